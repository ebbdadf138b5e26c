"""Service recovery and advocacy: a public complaint answered fast may win its author over.

A complaint made in public and fixed quickly can turn its author into an advocate who
says so in public (the *service recovery paradox*: a recovered customer more satisfied than
one who never had a problem). The evidence is mixed, and CareQueue models only its hopeful
part, as an option: a meta-analysis finds the paradox for satisfaction but not reliably for
repurchase or word of mouth, and a firm's public reply can also publicise a complaint
(docs/advocacy.md).

A public complaint (a negative post that is not itself a pile-on) whose first response
came within ``within_min`` of posting, and that was then resolved where it was posted or
taken on in a private channel, makes its author an advocate with probability
``probability``, decided by one uniform number drawn up front per contact
(``advocate_u``). An advocate's positive post is *negative exposure*: it reaches the
author's followers for ``reach_min`` minutes, and the dissatisfaction index subtracts it
with the same weight as an unanswered complaint's exposure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import InvalidValue

__all__ = ["Advocacy"]


@dataclass(frozen=True)
class Advocacy:
    """How a public channel's complaints, answered fast, make advocates.

    Parameters
    ----------
    probability : float
        Chance that the author of a complaint answered in time becomes an advocate.
    within_min : float
        First response within this many minutes of posting, to count as answered in time.
    reach_min : float
        Minutes an advocate's positive post counts as (negative) exposure.
    """

    probability: float
    within_min: float
    reach_min: float = 1440.0

    def __post_init__(self) -> None:
        p = self.probability
        if not (isinstance(p, (int, float)) and math.isfinite(p) and 0 <= p <= 1):
            raise InvalidValue("probability", p, "must be a share in [0, 1]")
        for name in ("within_min", "reach_min"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise InvalidValue(name, v, "must be > 0 (minutes)")
