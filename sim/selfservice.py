"""A self-service front door: the bot (chat, messages) or IVR (phone) contacts meet first.

A contact of a channel with a front door spends a while with it (its own duration, no agent
capacity), then one of:

- **abandoned** in the bot: the customer gives up (and may retry or switch, as after any
  abandonment of the channel: :func:`sim.engine.followups.after_failure`);
- **contained**: the bot ends the contact. Most contained customers were helped; a share
  (*false containment*) were not: they count as not helped (a dissatisfaction cause) and
  come back as after a failure (a retrial, or a public post), or their journey stays
  unresolved;
- **escalated**: the customer asks for a human and joins the channel's queue at once, a new
  contact of the same journey (``origin=self_service``). With *context* (the bot hands over
  what it learnt) the human's handle time is ``context_factor`` x the customer's; without,
  the customer repeats themselves: ``repeat_factor`` x, and a dissatisfaction cause
  (``repeated``).

Which of these happens is decided by one uniform number drawn up front per contact
(:data:`sim.customers.ATTRIBUTES`: ``bot_u``), in bands: ``[0, abandon)`` abandons; the
next ``(1 - abandon) x containment`` is contained, its first ``false_containment`` share
falsely; the rest escalates. So the same customers do the same thing under every policy.

Every parameter is ASSUMED unless a study's client data says otherwise; docs/selfservice.md
lists the published figures they are set against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .distributions import Distribution
from .errors import InvalidValue

__all__ = ["ABANDONED", "CONTAINED", "ESCALATED", "FALSE_CONTAINMENT", "NONE", "OUTCOMES",
           "SelfService"]

#: What a contact's front door did (``contacts.parquet`` column ``self_service``): ``none``
#: for contacts that never met one (every contact of a channel without one, and the
#: human contacts a front door escalated), ``in_progress`` for one still with it when the
#: run stopped.
OUTCOMES = ("none", "contained", "false_containment", "escalated", "abandoned", "in_progress")
NONE, CONTAINED, FALSE_CONTAINMENT, ESCALATED, ABANDONED, IN_PROGRESS = range(len(OUTCOMES))


def _share(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and 0 <= value <= 1):
        raise InvalidValue(name, value, "must be a share in [0, 1]")


def _factor(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0):
        raise InvalidValue(name, value, "must be a handle-time multiplier > 0")


@dataclass(frozen=True)
class SelfService:
    """A channel's self-service front door (see the module docstring).

    Parameters
    ----------
    duration : Distribution
        Time a customer spends with it before it ends (contained, escalated or abandoned),
        minutes.
    containment : float
        Share of those who do not abandon that it contains.
    containment_secure : float or None
        The same for contacts that need account work (``needs_secure``: billing, identity,
        payments are what bots resolve least); None: ``containment``.
    abandon : float
        Share who give up while with it.
    false_containment : float
        Share of the contained who were not helped.
    context : bool
        Whether an escalation hands the human what the customer told the bot.
    context_factor : float
        Handle-time multiplier of an escalated contact with context.
    repeat_factor : float
        Handle-time multiplier without context (the customer repeats themselves).
    """

    duration: Distribution
    containment: float
    containment_secure: float | None = None
    abandon: float = 0.0
    false_containment: float = 0.0
    context: bool = True
    context_factor: float = 0.9
    repeat_factor: float = 1.2

    def __post_init__(self) -> None:
        for name in ("containment", "abandon", "false_containment"):
            _share(name, getattr(self, name))
        if self.containment_secure is not None:
            _share("containment_secure", self.containment_secure)
        _factor("context_factor", self.context_factor)
        _factor("repeat_factor", self.repeat_factor)

    @property
    def handle_factor(self) -> float:
        """Handle-time multiplier of the human contact an escalation creates."""
        return self.context_factor if self.context else self.repeat_factor

    def outcome(self, u: float, secure: bool) -> int:
        """:data:`CONTAINED`, :data:`FALSE_CONTAINMENT`, :data:`ESCALATED` or
        :data:`ABANDONED` for a contact with uniform ``u`` (needing account work if
        ``secure``)."""
        if u < self.abandon:
            return ABANDONED
        share = (self.containment_secure if secure and self.containment_secure is not None
                 else self.containment)
        contained = (1.0 - self.abandon) * share
        if u < self.abandon + contained * self.false_containment:
            return FALSE_CONTAINMENT
        if u < self.abandon + contained:
            return CONTAINED
        return ESCALATED
