"""What customers do when the operation fails them, and how their dissatisfaction is scored.

A failure is an abandonment (a caller hangs up, a chat customer leaves) or, in an async
channel, a message left unanswered past a limit. After a failure a customer may try the
same channel again (a *retrial*, callers mostly) or go where others can see them: a public
post in the same journey (a *switch*; "social works where all else fails"). Which of these a
customer does is decided by one uniform number drawn up front per contact, so the same
customers retry or switch under every policy; a policy only changes who fails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

from .distributions import Distribution
from .errors import InvalidValue


@dataclass(frozen=True)
class Retrial:
    """Abandoned customers of a synchronous channel who try the same channel again.

    Parameters
    ----------
    probability : float
        Chance that an abandonment is followed by a retrial (each retrial that is abandoned
        again may retry again, with the same chance).
    delay : Distribution
        Time from the abandonment to the retrial, minutes.
    """

    probability: float
    delay: Distribution

    def __post_init__(self) -> None:
        if not 0 <= self.probability <= 1:
            raise InvalidValue("probability", self.probability, "must be in [0, 1]")


@dataclass(frozen=True)
class Switch:
    """Failed customers who come back in another channel, the same journey (``origin=switch``).

    Parameters
    ----------
    to : str
        The channel they post in (usually public: Twitter, Facebook).
    probability : float
        Chance that a failure is followed by a switch. For a channel with retrials the two
        are exclusive: a customer retries with the retrial probability, else switches with
        this one, so the two add up to at most 1.
    delay : Distribution
        Time from the failure to the new contact, minutes.
    after_min : float or None
        Async channels: a contact still unanswered this long after arriving counts as a
        failure (the original stays in its queue). Synchronous channels fail by abandonment
        and leave this None.
    """

    to: str
    probability: float
    delay: Distribution
    after_min: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.probability <= 1:
            raise InvalidValue("probability", self.probability, "must be in [0, 1]")
        if self.after_min is not None and not (math.isfinite(self.after_min)
                                               and self.after_min > 0):
            raise InvalidValue("after_min", self.after_min, "must be > 0 (minutes)")


#: Causes of a dissatisfied contact (a contact gets one: the first that applies in the order
#: abandoned, forced_switch, unhelped, late, repeated, so causes never double count).
#: ``unhelped``: a self-service front door ended the contact without helping (false
#: containment); ``repeated``: a front door escalated it without context, and the customer
#: told it all again (sim/selfservice.py).
CAUSES = ("abandoned", "forced_switch", "late", "unhelped", "repeated")


@dataclass(frozen=True)
class Dissatisfaction:
    """How contacts are scored (docs/dissatisfaction.md explains each term and its default).

    A contact is *dissatisfied* when it is abandoned, when it is told to switch channel and
    its customer minds (probability ``forced_switch``), or when its first response comes
    later than its customer expected. The *index* adds up, per contact,

    ``weights[cause]`` for its cause (if dissatisfied)
    + ``pileon_weight`` x the pile-ons it caused
    + ``exposure_weight`` x its public exposure in thousands of follower-hours,

    in "dissatisfied-customer equivalents"; ``summary.csv`` reports its mean per contact.

    Parameters
    ----------
    forced_switch : float
        Probability that a forced channel switch dissatisfies the customer.
    weights : Mapping[str, float]
        Weight of each cause in :data:`CAUSES`.
    pileon_weight : float
        Weight of each pile-on a contact caused (each is another customer complaining in
        public because this one was left unanswered).
    exposure_weight : float
        Weight per 1,000 follower-hours a public contact stayed unanswered.
    """

    forced_switch: float = 1.0
    weights: Mapping[str, float] = field(
        default_factory=lambda: {"abandoned": 1.0, "forced_switch": 1.0, "late": 1.0})
    pileon_weight: float = 1.0
    exposure_weight: float = 0.01

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", {**{c: 1.0 for c in CAUSES}, **self.weights})
        if not 0 <= self.forced_switch <= 1:
            raise InvalidValue("forced_switch", self.forced_switch, "must be a probability")
        unknown = sorted(set(self.weights) - set(CAUSES))
        if unknown:
            raise InvalidValue(f"weights.{unknown[0]}", self.weights[unknown[0]],
                               f"names an unknown cause; causes: {', '.join(CAUSES)}")
        for name, w in self.weights.items():
            if not (math.isfinite(w) and w >= 0):
                raise InvalidValue(f"weights.{name}", w, "must be >= 0")
        for name in ("pileon_weight", "exposure_weight"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise InvalidValue(name, getattr(self, name), "must be >= 0")
