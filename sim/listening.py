"""Listening: finding the public complaints that do not tag the brand.

A brand answers what it sees. A post that tags it (``@brand``) lands in the queue at once;
one that only names it, or complains about it without naming it, is seen only when the
brand's *listening* (a social-listening tool's search, or people who search) finds it, if
ever. Until then the post is public, unanswered and invisible to every routing policy:
its public exposure and the pile-ons it draws run from the moment it was posted, not from
its discovery.

Per contact, two numbers are drawn up front (:data:`sim.customers.ATTRIBUTES`):
``untagged`` (with probability :attr:`Listening.untagged`) and ``discovery_min`` (the
listening's delay, or infinity for a post it never finds: probability
``1 - coverage``), so the same posts are found at the same moments under every policy.

Every parameter is ASSUMED unless a client's listening data says otherwise
(docs/listening.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .distributions import Distribution
from .errors import InvalidValue

__all__ = ["Listening"]


@dataclass(frozen=True)
class Listening:
    """How a public channel's untagged posts are found.

    Parameters
    ----------
    untagged : float
        Share of the channel's posts that do not tag the brand.
    delay : Distribution
        Time from posting to discovery of an untagged post the listening finds, minutes.
    coverage : float
        Share of untagged posts the listening finds at all (the rest stay unseen).
    """

    untagged: float
    delay: Distribution
    coverage: float = 1.0

    def __post_init__(self) -> None:
        for name in ("untagged", "coverage"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and not isinstance(value, bool)
                    and math.isfinite(value) and 0 <= value <= 1):
                raise InvalidValue(name, value, "must be a share in [0, 1]")
