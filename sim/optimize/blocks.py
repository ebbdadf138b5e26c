"""The decision blocks: a day (or a week) cut into equal blocks of the scenario's intervals.

The search decides one agent count per searched pool and block (:data:`Counts`);
:class:`Blocks` maps times to blocks and labels them, :func:`make_blocks` checks the block
against the scenario's interval grid, and :func:`agent_hours` totals a set of counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from ..arrivals import MIN_PER_DAY, MIN_PER_WEEK
from ..errors import ConfigError
from ..scenario import Scenario
from .options import Options, _minutes


#: Counts per searched pool (a running pool's name): agents on the floor in each block.
Counts = Mapping[str, Sequence[int]]

#: Day names of the week, Monday (day 0) first.
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def clock(minutes: float) -> str:
    """``'HH:MM'`` of a time of day in minutes after midnight."""
    return f"{int(minutes // 60):02d}:{int(minutes % 60):02d}"


@dataclass(frozen=True)
class Blocks:
    """The decision blocks: a day (or a week) cut into equal blocks of intervals.

    Attributes
    ----------
    interval_min : float
        The scenario's staffing interval, minutes.
    block_min : float
        Block length, minutes (a multiple of ``interval_min`` that divides a day).
    weekly : bool
        Blocks cover a week (Monday 00:00 first) rather than a day.
    """

    interval_min: float
    block_min: float
    weekly: bool

    @property
    def period_min(self) -> float:
        """Minutes the blocks cover before repeating: a day or a week."""
        return MIN_PER_WEEK if self.weekly else MIN_PER_DAY

    @property
    def count(self) -> int:
        """Blocks per period."""
        return round(self.period_min / self.block_min)

    @property
    def per_block(self) -> int:
        """Staffing intervals per block."""
        return round(self.block_min / self.interval_min)

    @property
    def hours_per_week(self) -> float:
        """Agent-hours per week of one agent in one block (a daily block recurs 7 times)."""
        return self.block_min / 60.0 * (1 if self.weekly else 7)

    def of(self, minutes: np.ndarray) -> np.ndarray:
        """Block index of each time (minutes from Monday 00:00)."""
        return (np.asarray(minutes, float) % self.period_min // self.block_min).astype(int)

    def label(self, block: int) -> str:
        """``'08:00-12:00'``, or ``'Tue 08:00-12:00'`` for weekly blocks."""
        start = block * self.block_min
        day, start = divmod(start, MIN_PER_DAY)
        end = start + self.block_min
        text = f"{clock(start)}-{clock(end)}"
        return f"{DAYS[int(day)]} {text}" if self.weekly else text


def make_blocks(scenario: Scenario, options: Options) -> Blocks:
    """The blocks of ``options`` on the scenario's interval grid.

    Raises
    ------
    ConfigError
        When the block is not a whole number of the scenario's intervals.
    """
    ratio = options.block_min / scenario.interval_min
    if ratio < 1 - 1e-9 or abs(ratio - round(ratio)) > 1e-9:
        raise ConfigError("optimize.block", _minutes(options.block_min),
                          f"must be a whole number of the scenario's "
                          f"{scenario.interval_min:g}-min intervals (scenario.interval)")
    return Blocks(scenario.interval_min, options.block_min, options.weekly)


def agent_hours(counts: Counts, blocks: Blocks) -> float:
    """Agent-hours per week of the searched pools under ``counts``."""
    return float(sum(sum(c) for c in counts.values())) * blocks.hours_per_week
