"""What the staffing search aims for: :class:`Options` (the command's ``optimize.*`` keys,
checked by :func:`sim.cli.optimize.options_from_config`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Options:
    """What the search aims for and how hard it tries.

    Attributes
    ----------
    goal : float
        Share of a channel's arrivals in a block to answer within the channel's target,
        in (0, 1) (abandoned and unanswered contacts are misses).
    block_min : float
        Length of a decision block, minutes: divides a day, multiple of the interval.
    weekly : bool
        One count per block of each day of the week (True) or per block of the day,
        repeated every day (False).
    max_rounds : int
        Rounds of the search at most (>= 1).
    replications : int or None
        Replications per evaluation (>= 2: the search needs confidence intervals);
        None keeps the setup's.
    """

    goal: float = 0.8
    block_min: float = 240.0
    weekly: bool = False
    max_rounds: int = 30
    replications: Optional[int] = 3


def _minutes(value: float) -> str:
    """A duration in minutes as it is written in the config: ``'4h'``, ``'1d'``, ``'30min'``."""
    for unit, size in (("d", 1440.0), ("h", 60.0), ("min", 1.0)):
        if value >= size and (value / size).is_integer():
            return f"{value / size:g}{unit}"
    return f"{value * 60:g}s"
