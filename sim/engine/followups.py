"""Follow-up contacts as pure functions of the customer and the event.

After a failure (an abandonment; in an async channel, a contact unanswered past the
channel's ``switch.after``) a customer may try the same channel again (a *retrial*) or post
in another (a *switch*); escalation policies send others on (an *escalation*). Which one is
decided by the contact's exogenous uniform ``failure_u`` and the channel's behaviour, so the
same customers do the same thing under every policy; a follow-up carries over what belongs
to the customer and the problem (:attr:`sim.customers.Attribute.inherit`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from ..customers import ATTRIBUTES, ORIGINS, RETRIAL, SWITCH, draw_attributes, pileons
from ..distributions import Distribution
from ..rng import Streams
from ..scenario import Channel


@dataclass(frozen=True)
class FollowUp:
    """A follow-up contact to create.

    Attributes
    ----------
    origin : int
        ``RETRIAL`` or ``SWITCH`` (:data:`sim.customers.ORIGINS`).
    channel : str
        Where it arrives.
    delay : Distribution
        Minutes from the failure to its arrival.
    stream : str
        The random stream its delay is drawn from.
    """

    origin: int
    channel: str
    delay: Distribution
    stream: str


def after_failure(channel: Channel, failure_u: float, abandoned: bool) -> FollowUp | None:
    """What a customer whose contact in ``channel`` failed does next (None: nothing).

    ``abandoned``: the customer abandoned (retrials and abandonment-triggered switches
    apply); otherwise an async contact went unanswered for ``switch.after`` (only switches
    with ``after`` apply). The customer retries when ``failure_u`` is below the retrial
    probability, else switches when it falls in the next band of width the switch
    probability.
    """
    p_retry = channel.retrial.probability if channel.retrial is not None else 0.0
    if abandoned and failure_u < p_retry:
        return FollowUp(RETRIAL, channel.name, channel.retrial.delay, f"retrial/{channel.name}")
    sw = channel.switch
    if (sw is not None and p_retry <= failure_u < p_retry + sw.probability
            and (sw.after_min is None) == abandoned):
        return FollowUp(SWITCH, sw.to, sw.delay, f"switch/{channel.name}")
    return None


def carried_over(origin: int, parent: Callable[[str], Any]) -> dict[str, Any]:
    """Attribute values a follow-up of ``origin`` takes from its parent (``parent(name)``).

    A retrial is the same person about the same thing; every follow-up keeps the customer's
    need for secure work and compliance; a customer who switches after a failure posts a
    complaint.
    """
    values = {a.name: parent(a.name) for a in ATTRIBUTES if origin in a.inherit}
    if origin == SWITCH:
        values["negative"] = True
    return values


def follow_up(channel: Channel, k: int, streams: Streams, extra: int, origin: int,
              parent: Any, arrival_min: float, undo: float | None = None,
              handle_factor: float = 1.0) -> dict[str, Any]:
    """The attributes of a follow-up contact of ``parent`` (a contact), of ``origin``, in
    ``channel`` (index ``k``), arriving at ``arrival_min``: drawn from the channel's
    streams for that origin (``extra`` think times), what the customer carries over
    (:func:`carried_over`), its handle time divided by ``undo`` (a hand-over's factor to
    take back) and then times ``handle_factor``."""
    how = ORIGINS[origin]
    row = {name: v[0].tolist() for name, v in
           draw_attributes(channel, k, streams, 1, extra, f"/{how}").items()}
    row.update(carried_over(origin, lambda name: getattr(parent, name)))
    row.update(arrival_min=arrival_min, origin=origin, parent=-1)
    if undo is not None:
        row["handle_min"] /= undo
    if handle_factor != 1.0:
        row["handle_min"] *= handle_factor
    return row


def follow_up_pileons(channel: Channel, k: int, streams: Streams, extra: int, origin: int,
                      i: int, row: dict[str, Any], horizon_min: float
                      ) -> Iterator[dict[str, Any]]:
    """The potential pile-ons of the follow-up ``row`` (contact id ``i``; theirs follow it),
    each a row of Python values, in id order: none unless it is a public complaint."""
    if channel.pileon is None or not row["negative"]:
        return
    new = pileons(channel, k, streams, np.array([i]), np.array([row["arrival_min"]]),
                  np.array([row["reach"]]), i + 1, horizon_min, extra, f"/{ORIGINS[origin]}")
    for r in range(len(new["arrival_min"])):
        yield {name: v[r].tolist() for name, v in new.items()}
