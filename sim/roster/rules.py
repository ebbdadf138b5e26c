"""Shift rules: what shifts a floor can work, as the roster's solver reads them.

All times are minutes. A shift of a :class:`ShiftType` starts on the week's grid (every
``Rules.start_every`` minutes, Monday 00:00 first), lasts ``length_min`` and takes each of its
:class:`Break` s once, starting somewhere in the break's window; a pool's opening hours bound
where its shifts may lie. Agents work ``days_per_week`` days, one shift a day, with their days
off together (``consecutive_days_off``) or anywhere in the week.

:meth:`Rules.check` refuses rules that cannot be worked (breaks that do not fit their shift,
windows that overlap, times off the grid) with an :class:`~sim.errors.InvalidValue` naming the
rule; :func:`sim.roster.solve.check_coverable` refuses opening hours no shift can cover.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Mapping

from ..arrivals import MIN_PER_DAY
from ..errors import InvalidValue

__all__ = ["Break", "Rules", "ShiftType", "day_patterns"]


def _on_grid(value: float, grid: float) -> bool:
    return abs(value / grid - round(value / grid)) < 1e-9


@dataclass(frozen=True)
class Break:
    """A break every shift of a type takes once, off the floor.

    Attributes
    ----------
    length_min : float
        Minutes off the floor.
    earliest_min, latest_min : float
        Window for the break's start, minutes after the shift starts.
    paid : bool
        Whether the break is paid time (a lunch often is not).
    """

    length_min: float
    earliest_min: float
    latest_min: float
    paid: bool = True


@dataclass(frozen=True)
class ShiftType:
    """One kind of shift.

    Attributes
    ----------
    name : str
        Label in ``roster.csv`` (``8h``, ``part_time``).
    length_min : float
        Minutes from start to end, breaks included.
    breaks : tuple of Break
        Taken in order, their windows apart.
    min_agents, max_agents : int or None
        Bounds on the agents of each pool who work this type of shift (None: no bound).
    cost_per_hour : float or None
        Cost of a paid hour of this type; None: the pool's ``cost_per_hour``.
    """

    name: str
    length_min: float
    breaks: tuple[Break, ...] = ()
    min_agents: int | None = None
    max_agents: int | None = None
    cost_per_hour: float | None = None

    @property
    def paid_min(self) -> float:
        """Paid minutes of one shift: its length less its unpaid breaks."""
        return self.length_min - sum(b.length_min for b in self.breaks if not b.paid)


@dataclass(frozen=True)
class Rules:
    """The shift rules of a roster.

    Attributes
    ----------
    shifts : tuple of ShiftType
        The kinds of shift that may be worked (at least one).
    granularity_min : float
        Time step of the roster, minutes: shift and break times are multiples of it, and
        coverage is counted per step. Divides a day and the scenario's interval.
    start_every_min : float
        Shifts start on multiples of this (a multiple of the granularity).
    open : Mapping[str, tuple[float, float]]
        Opening hours per pool, (from, to) minutes after midnight, the same every day;
        shifts of that pool lie within them and what is required outside them is not
        covered. A pool not named is open around the clock (shifts may cross midnight).
    days_per_week : int
        Days each agent works, one shift a day, 1 to 7.
    consecutive_days_off : bool
        Whether an agent's days off are together (cyclically: Sunday and Monday are
        together) rather than anywhere in the week.
    time_limit_s : float
        Seconds the solver may spend per pool.
    gap : float
        Relative optimality gap at which the solver stops: a roster proven within this
        share of the cheapest possible (0.01: 1%).
    """

    shifts: tuple[ShiftType, ...]
    granularity_min: float = 15.0
    start_every_min: float = 30.0
    open: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    days_per_week: int = 5
    consecutive_days_off: bool = True
    time_limit_s: float = 60.0
    gap: float = 0.01

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Refuse rules no roster can follow, naming the rule (:class:`InvalidValue`)."""
        g = self.granularity_min
        if not (g > 0 and math.isfinite(g) and _on_grid(MIN_PER_DAY, g)):
            raise InvalidValue("granularity", g, "must be a duration > 0 that divides a day "
                               "(e.g. 15min, 30min, 1h)")
        if not (self.start_every_min > 0 and _on_grid(self.start_every_min, g)):
            raise InvalidValue("start_every", self.start_every_min,
                               f"must be a multiple of the granularity ({g:g} min)")
        if not self.shifts:
            raise InvalidValue("shifts", [], "must list at least one kind of shift")
        names = [s.name for s in self.shifts]
        if len(set(names)) != len(names):
            raise InvalidValue("shifts", names, "names must differ")
        for i, s in enumerate(self.shifts):
            self._check_shift(s, f"shifts.{i}")
        if isinstance(self.days_per_week, bool) or self.days_per_week not in range(1, 8):
            raise InvalidValue("days_per_week", self.days_per_week, "must be a whole number "
                               "of days from 1 to 7")
        if not (self.time_limit_s > 0 and math.isfinite(self.time_limit_s)):
            raise InvalidValue("time_limit", self.time_limit_s, "must be > 0 seconds")
        if not 0 <= self.gap < 1:
            raise InvalidValue("gap", self.gap, "must be a share in [0, 1)")
        for pool, hours in self.open.items():
            start, end = hours
            if not (0 <= start < end <= MIN_PER_DAY and _on_grid(start, g) and _on_grid(end, g)):
                raise InvalidValue(f"open.{pool}", [start, end], "must be [from, to] within a "
                                   f"day, from before to, on the {g:g}-min granularity")

    def _check_shift(self, s: ShiftType, key: str) -> None:
        g = self.granularity_min
        if not (0 < s.length_min <= MIN_PER_DAY and _on_grid(s.length_min, g)):
            raise InvalidValue(f"{key}.length", s.length_min, "must be > 0, at most a day and "
                               f"a multiple of the granularity ({g:g} min)")
        for lo, hi in ((s.min_agents, "min_agents"), (s.max_agents, "max_agents")):
            if lo is not None and (isinstance(lo, bool) or not isinstance(lo, int) or lo < 0):
                raise InvalidValue(f"{key}.{hi}", lo, "must be a whole number >= 0 or null")
        if (s.min_agents is not None and s.max_agents is not None
                and s.min_agents > s.max_agents):
            raise InvalidValue(f"{key}.min_agents", s.min_agents,
                               f"must not exceed max_agents ({s.max_agents})")
        if s.cost_per_hour is not None and not (s.cost_per_hour >= 0
                                                and math.isfinite(s.cost_per_hour)):
            raise InvalidValue(f"{key}.cost_per_hour", s.cost_per_hour, "must be >= 0 or null")
        end_of_last = 0.0
        for j, b in enumerate(s.breaks):
            bk = f"{key}.breaks.{j}"
            for name, v in (("length", b.length_min), ("earliest", b.earliest_min),
                            ("latest", b.latest_min)):
                if not (v >= 0 and _on_grid(v, g)) or (name == "length" and v <= 0):
                    raise InvalidValue(f"{bk}.{name}", v, f"must be {'> 0' if name == 'length' else '>= 0'}"
                                       f" and a multiple of the granularity ({g:g} min)")
            if b.latest_min < b.earliest_min:
                raise InvalidValue(f"{bk}.latest", b.latest_min,
                                   f"must not be before earliest ({b.earliest_min:g} min)")
            if b.earliest_min < end_of_last or b.earliest_min == 0:
                raise InvalidValue(f"{bk}.earliest", b.earliest_min,
                                   "must leave the break after the shift's start and after the "
                                   f"previous break's window (ends {end_of_last:g} min in)")
            if b.latest_min + b.length_min >= s.length_min:
                raise InvalidValue(f"{bk}.latest", b.latest_min,
                                   f"a {b.length_min:g}-min break starting {b.latest_min:g} min "
                                   f"in does not fit a {s.length_min:g}-min shift (it must end "
                                   "before the shift does)")
            end_of_last = b.latest_min + b.length_min

    def opening(self, pool: str) -> tuple[float, float] | None:
        """``pool``'s opening hours, None when open around the clock."""
        hours = self.open.get(pool)
        if hours is None or (hours[0] == 0 and hours[1] == MIN_PER_DAY):
            return None
        return hours


def day_patterns(days: int, consecutive_off: bool) -> list[tuple[int, ...]]:
    """The weeks an agent may work: for each, the days worked (0 = Monday), sorted.

    With ``consecutive_off``, the days off are together, counted around the week (off on
    Sunday and Monday is together): 7 patterns for fewer than 7 days. Otherwise any
    ``days`` of the 7."""
    if days == 7:
        return [tuple(range(7))]
    if consecutive_off:
        off = 7 - days
        return sorted({tuple(sorted(d for d in range(7)
                                    if (d - first) % 7 >= off)) for first in range(7)})
    return [tuple(c) for c in itertools.combinations(range(7), days)]
