"""The customers: everything about a contact that no policy can change, drawn up front.

Arrival time, channel, base handle time, patience, the response time the customer expects,
reach, and the uniform numbers that decide what a customer does after a failure are
exogenous. Drawing them all before the simulation, each channel and attribute from its own
named stream, is what gives common random numbers: any two policies run on the same seed
and replication see exactly these customers, whatever order the engine serves them. It is
also what makes the engine fast: numpy batches instead of per-contact sampling.

The pile-ons public complaints *would* cause if nobody answered are drawn here too (see
:mod:`sim.pileons`); the engine lets each arrive only if its parent is still unanswered.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from .pileons import draw_cascade
from .rng import Streams

if TYPE_CHECKING:
    from .scenario import Channel, Scenario

#: Where a contact came from (``contacts.parquet`` column ``origin``): the arrival process,
#: or the model itself.
ORIGINS = ("arrival", "escalation", "pileon", "switch", "retrial")
ARRIVAL, ESCALATION, PILEON, SWITCH, RETRIAL = range(len(ORIGINS))


@dataclass(frozen=True)
class Customers:
    """Columnar exogenous attributes of one replication's contacts.

    Rows ``0..n_roots-1`` are the arrival process's contacts, sorted by arrival; the rows
    after them are potential pile-ons (``parent`` >= 0), which arrive only if their parent
    is still unanswered at ``arrival_min``.

    Attributes
    ----------
    arrival_min : ndarray of float
        Arrival times, minutes from the start (Monday 00:00).
    channel : ndarray of int
        Index into ``Scenario.channels``.
    handle_min : ndarray of float
        Handle time in minutes for a proficiency-1 agent.
    patience_min : ndarray of float
        Time the customer waits before abandoning (inf: never abandons).
    expectation_min : ndarray of float
        The first-response time the customer expects; answered later = dissatisfied.
    reach : ndarray of float
        Followers of the author (0 for private channels).
    negative : ndarray of bool
        Whether the contact is a negative complaint.
    needs_secure : ndarray of bool
        Whether the contact needs account-specific work.
    compliance : ndarray of float
        Uniform(0, 1) propensity to do what the operation asks (call us, open a secure chat):
        the customer follows a request made with probability p when compliance < p, so the
        same customers follow under every policy.
    think_min : ndarray of float, shape (n, E - 1)
        Customer think times before each later reply, minutes (E: the most exchanges of any
        channel; NaN-padded).
    origin : ndarray of int8
        Index into :data:`ORIGINS` (``arrival`` or ``pileon`` here).
    parent : ndarray of int64
        The complaint a potential pile-on answers (-1: none).
    failure_u, silent_u, upset_u : ndarray of float
        Uniform(0, 1) numbers deciding, after a failure, retrial (< retrial probability) or
        switch (next band); in chat, whether an abandonment is silent (< silent_share); and
        whether a forced switch dissatisfies (< its probability).
    """

    arrival_min: np.ndarray
    channel: np.ndarray
    handle_min: np.ndarray
    patience_min: np.ndarray
    expectation_min: np.ndarray
    reach: np.ndarray
    negative: np.ndarray
    needs_secure: np.ndarray
    compliance: np.ndarray
    think_min: np.ndarray
    origin: np.ndarray | None = None
    parent: np.ndarray | None = None
    failure_u: np.ndarray | None = None
    silent_u: np.ndarray | None = None
    upset_u: np.ndarray | None = None
    n_roots: int = -1

    def __post_init__(self) -> None:
        # Hand-built populations (tests) need only the first ten columns.
        n = len(self.arrival_min)
        defaults = {"origin": np.zeros(n, np.int8), "parent": np.full(n, -1, np.int64),
                    "failure_u": np.ones(n), "silent_u": np.ones(n), "upset_u": np.zeros(n)}
        for name, value in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        if self.n_roots < 0:
            object.__setattr__(self, "n_roots", n)

    def __len__(self) -> int:
        return len(self.arrival_min)


_COLUMNS = [f.name for f in fields(Customers) if f.name != "n_roots"]


def no_customers() -> Customers:
    """An empty population (to bind and check policies without simulating)."""
    e = np.zeros(0)
    b = np.zeros(0, dtype=bool)
    return Customers(e, np.zeros(0, dtype=np.int32), e, e, e, e, b, b, e, np.zeros((0, 0)))


def draw_attributes(channel: Channel, k: int, streams: Streams, n: int, extra: int,
                    suffix: str = "") -> dict[str, np.ndarray]:
    """Everything but the arrival time of ``n`` contacts of ``channel`` (index ``k``).

    Each attribute comes from the stream ``<attribute>/<channel><suffix>``: the arrival
    process's contacts use no suffix, contacts the model creates a suffix naming how
    (``/pileon``, ``/switch``...), so neither kind shifts the other's numbers.
    """
    name = channel.name
    s = lambda what: streams(f"{what}/{name}{suffix}")
    return {
        "channel": np.full(n, k, dtype=np.int32),
        "handle_min": channel.handle.sample(s("handle"), n),
        "patience_min": (channel.patience.sample(s("patience"), n)
                         if channel.patience is not None else np.full(n, np.inf)),
        "expectation_min": channel.expectation.sample(s("expectation"), n),
        "reach": (channel.reach.sample(s("reach"), n) if channel.reach is not None
                  else np.zeros(n)),
        "negative": s("negative").random(n) < channel.negative_share,
        "needs_secure": s("secure").random(n) < channel.secure_share,
        "compliance": s("compliance").random(n),
        "think_min": _think(channel, s, n, extra),
        "failure_u": s("failure").random(n),
        "silent_u": s("silent").random(n),
        "upset_u": s("upset").random(n),
    }


def draw_customers(scenario: Scenario, streams: Streams, horizon_min: float) -> Customers:
    """Sample all contacts arriving in ``[0, horizon_min)`` and their potential pile-ons.

    Incidents draw from ``incidents``; each channel's arrivals from ``arrivals/<ch>``, its
    attributes as :func:`draw_attributes` says, its pile-ons from ``pileon/<ch>``, so adding
    a channel or changing one leaves the others' customers unchanged. A replayed channel
    (a trace) takes its arrival times, and whatever attributes the trace gives, from the
    trace.
    """
    extra = max(c.exchanges for c in scenario.channels) - 1
    # Incidents hit every channel they name at the same moments: one shared stream.
    surges: dict[str, list] = {c.name: [] for c in scenario.channels}
    for incident in scenario.incidents:
        for surge in incident.surges(streams("incidents"), horizon_min):
            for name in incident.channels:
                surges[name].append(surge)
    parts = []
    for k, ch in enumerate(scenario.channels):
        t = ch.arrivals.sample(streams(f"arrivals/{ch.name}"), horizon_min, surges[ch.name])
        part = {"arrival_min": t, **draw_attributes(ch, k, streams, len(t), extra)}
        replayed = getattr(ch.arrivals, "attributes_until", None)
        if replayed is not None:
            _override(part, replayed(horizon_min))
        parts.append(part)
    roots = {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}
    order = np.argsort(roots["arrival_min"], kind="stable")
    cols = {c: v[order] for c, v in roots.items()}
    n_roots = len(order)
    cols["origin"] = np.zeros(n_roots, np.int8)
    cols["parent"] = np.full(n_roots, -1, np.int64)
    for k, ch in enumerate(scenario.channels):
        if ch.pileon is None:
            continue
        complaints = np.flatnonzero((cols["channel"] == k) & cols["negative"])
        new = pileons(ch, k, streams, complaints, cols["arrival_min"][complaints],
                      cols["reach"][complaints], len(cols["arrival_min"]), horizon_min, extra)
        for name, v in new.items():
            cols[name] = np.concatenate([cols[name], v])
    return Customers(**{c: cols[c] for c in _COLUMNS}, n_roots=n_roots)


def pileons(channel: Channel, k: int, streams: Streams, parents: np.ndarray,
            arrival_min: np.ndarray, reach: np.ndarray, start: int, horizon_min: float,
            extra: int, suffix: str = "") -> dict[str, np.ndarray]:
    """Rows of the potential pile-ons of complaints ``parents`` (row indices) posted at
    ``arrival_min`` by authors of ``reach``, to be appended from row ``start`` on."""
    cascade = draw_cascade(channel.pileon, channel.reach, arrival_min, reach, horizon_min,
                           streams(f"pileon/{channel.name}{suffix}"),
                           streams(f"reach/{channel.name}/pileon{suffix}"))
    m, r = len(cascade), len(parents)
    new = draw_attributes(channel, k, streams, m, extra, f"/pileon{suffix}")
    new["arrival_min"] = cascade.arrival_min
    new["reach"] = cascade.reach
    new["negative"] = np.ones(m, bool)  # a pile-on is a complaint
    new["origin"] = np.full(m, PILEON, np.int8)
    pos = cascade.parent
    first_gen = pos < r
    new["parent"] = np.where(first_gen, np.asarray(parents, np.int64)[np.where(first_gen, pos, 0)]
                             if r else -1, start + pos - r).astype(np.int64)
    return new


def _override(part: dict[str, np.ndarray], given: dict[str, np.ndarray]) -> None:
    """Put the attributes a trace gives (non-NaN cells) over the drawn ones."""
    for column, values in given.items():
        drawn = part[column]
        # NaN cells keep the drawn value (NaN cast to bool is True, but masked out here).
        part[column] = np.where(~np.isnan(values), values.astype(drawn.dtype), drawn)


def _think(channel: Channel, s, n: int, extra: int) -> np.ndarray:
    """Think times before replies 2..E of each contact (NaN beyond the channel's E)."""
    out = np.full((n, extra), np.nan)
    used = channel.exchanges - 1
    if used:
        out[:, :used] = channel.think.sample(s("think"), n * used).reshape(n, used)
    return out
