"""The cheapest shifts covering a requirement: an integer programme per pool.

Over the week's slots of ``Rules.granularity_min`` (cyclic: a Sunday-night shift ends on
Monday), a shift-scheduling programme joined with days-off patterns (tour scheduling):

- ``x[s, a, k]``: shifts of type ``s`` starting at slot ``a`` (allowed starts only: on the
  ``start_every`` grid, every slot within the pool's opening hours) whose breaks take
  placement ``k`` (:func:`_placements`: every break early in its window, each a step later,
  ..., every break late; staggered placements among shifts of the same start let breaks
  spread as they would anywhere in their windows);
- ``z[s, pi]``: agents on shift type ``s`` working the days of pattern ``pi``, with the
  shifts of type ``s`` on day ``d`` = the agents of type ``s`` whose pattern works ``d``
  (one shift a day on each day worked), and ``min_agents <= sum_pi z[s, pi] <= max_agents``;
- coverage, for every slot ``t``: agents on shift at ``t`` and not on a break
  ``>= required[t]``;

minimising the cost of the paid hours, solved by OR-Tools CP-SAT within a deterministic
time budget (:mod:`sim.roster.program`). The gap reported is against a lower bound on *any* roster under the rules: the
LP relaxation of the programme that lets each break anywhere in its window, with break-start
variables matched to shifts by Bechtold and Jacobs' prefix constraints ("Implicit modeling
of flexible break assignments in optimal shift scheduling", Management Science 36(11),
1990), solved by HiGHS; when the placements offered are every combination, also
CP-SAT's own bound.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidValue
from ..optimize.blocks import DAYS, clock
from .program import Program
from .rules import MIN_PER_DAY, Rules, ShiftType, day_patterns

__all__ = ["PoolRoster", "Shift", "check_coverable", "open_slots", "solve_pool"]


@dataclass(frozen=True)
class Shift:
    """One shift worked: its type, start slot in the week, break start slots, agent."""

    kind: ShiftType
    start: int              # slot of the week (0 = Monday 00:00)
    breaks: tuple[int, ...]  # slot of the week each break starts
    agent: int              # the pool's agent who works it (their days follow a pattern)


@dataclass(frozen=True)
class PoolRoster:
    """One pool's solved roster.

    Attributes
    ----------
    pool : str
        The running pool.
    shifts : tuple of Shift
        Every shift of the week.
    required, rostered, on_floor : numpy.ndarray
        Agents per slot of the week: required (as given, closed hours included), on shift,
        and on shift less those on a break.
    status : str
        ``optimal`` (proven within ``Rules.gap``), ``best found`` (``gap`` says how far
        from the cheapest possible it may be) or ``empty`` (nothing required).
    gap : float
        Relative gap to the lower bound on any roster under the rules (0 when optimal).
    seconds : float
        Wall-clock time of the solve.
    """

    pool: str
    shifts: tuple[Shift, ...]
    required: np.ndarray
    rostered: np.ndarray
    on_floor: np.ndarray
    status: str
    gap: float
    seconds: float

    @property
    def paid_hours(self) -> float:
        """Paid hours of the week's shifts (their lengths less unpaid breaks)."""
        return sum(s.kind.paid_min for s in self.shifts) / 60.0


def open_slots(rules: Rules, pool: str) -> np.ndarray:
    """Whether ``pool`` is open in each slot of the week."""
    g = rules.granularity_min
    per_day = round(MIN_PER_DAY / g)
    hours = rules.opening(pool)
    if hours is None:
        return np.ones(7 * per_day, bool)
    day = np.zeros(per_day, bool)
    day[round(hours[0] / g):round(hours[1] / g)] = True
    return np.tile(day, 7)


def _starts(rules: Rules, kind: ShiftType, is_open: np.ndarray) -> list[int]:
    """Slots of the week where a shift of ``kind`` may start (all of it within opening)."""
    g = rules.granularity_min
    n, every = len(is_open), round(rules.start_every_min / g)
    length = round(kind.length_min / g)
    out = []
    for a in range(0, n, every):
        if is_open[np.arange(a, a + length) % n].all():
            out.append(a)
    return out


def check_coverable(rules: Rules, pool: str, required: np.ndarray) -> None:
    """Refuse opening hours that no allowed shift can cover where agents are required.

    Raises
    ------
    InvalidValue
        Naming ``open.<pool>`` (or ``shifts`` when the pool is open around the clock).
    """
    is_open = open_slots(rules, pool)
    covered = np.zeros(len(is_open), bool)
    g = rules.granularity_min
    for kind in rules.shifts:
        length = round(kind.length_min / g)
        for a in _starts(rules, kind, is_open):
            covered[np.arange(a, a + length) % len(is_open)] = True
    gap = np.flatnonzero(is_open & ~covered & (required > 0))
    if gap.size:
        t = int(gap[0])
        when = f"{DAYS[int(t * g // MIN_PER_DAY)]} {clock(t * g % MIN_PER_DAY)}"
        kinds = ", ".join(f"{s.name} ({s.length_min / 60:g} h)" for s in rules.shifts)
        hours = rules.opening(pool)
        if hours is None:
            raise InvalidValue("shifts", kinds, f"no shift starting every "
                               f"{rules.start_every_min:g} min covers {when}, where pool "
                               f"{pool} needs agents")
        raise InvalidValue(f"open.{pool}", [clock(hours[0]), clock(hours[1])],
                           f"no shift of {kinds} starting every {rules.start_every_min:g} min "
                           f"fits within these opening hours and covers {when}, where agents "
                           "are required")




def solve_pool(rules: Rules, pool: str, required: np.ndarray, cost_per_hour: float = 1.0,
               ) -> PoolRoster:
    """The cheapest roster of ``pool`` covering ``required`` agents per slot of the week
    within its opening hours (what is required outside them is left uncovered).

    Parameters
    ----------
    rules : Rules
        The shift rules.
    pool : str
        The running pool's name (for its opening hours and the result).
    required : numpy.ndarray
        Whole agents required on the floor per slot of the week (``7 * 1440 / granularity``
        values, Monday 00:00 first).
    cost_per_hour : float
        Cost of a paid hour for shift types without their own.

    Raises
    ------
    InvalidValue
        When an opening hour with agents required cannot be covered by any shift
        (:func:`check_coverable`), or no roster meets the rules (e.g. ``max_agents`` too low).
    """
    started = time.perf_counter()
    required = np.asarray(required, int)
    is_open = open_slots(rules, pool)
    n = len(is_open)
    if len(required) != n:
        raise ValueError(f"{len(required)} requirement values; the week has {n} slots")
    check_coverable(rules, pool, required)
    need = np.where(is_open, required, 0)
    zero = np.zeros(n, int)
    if not need.any() and not any(s.min_agents for s in rules.shifts):
        return PoolRoster(pool, (), required, zero, zero.copy(), "empty", 0.0,
                          time.perf_counter() - started)
    g = rules.granularity_min
    per_day = round(MIN_PER_DAY / g)
    # The roster: shifts whose breaks take one of a few staggered placements in their
    # windows, searched by CP-SAT. Its cost is then compared with the LP relaxation of the
    # programme that lets every break anywhere in its window (Bechtold and Jacobs' break
    # constraints): a lower bound on any roster under these rules, so the gap reported is
    # the most the roster can cost over the cheapest.
    explicit = _Build(rules, need, is_open, cost_per_hour, flexible=False)
    costs = np.asarray(explicit.program.cost)
    found = explicit.program.search(rules.time_limit_s, rules.gap,
                                    top=int(need.max()) * per_day + 10)
    if found.value is None:
        why = ("no roster found within roster.time_limit" if found.status == "UNKNOWN" else
               "no roster meets the rules (check min_agents and max_agents, days_per_week "
               "and the opening hours)")
        raise InvalidValue("shifts", [s.name for s in rules.shifts], f"pool {pool}: {why}")
    value = found.value
    cost = float(costs @ value)
    # When the placements offered are every combination, the explicit programme is the
    # whole problem, and CP-SAT's own bound holds too.
    complete = all(_complete(k, g) for k in rules.shifts)
    lp = explicit.program.relaxation() if complete else (
        _Build(rules, need, is_open, cost_per_hour, flexible=True).program.relaxation())
    bound = max(lp or 0.0, found.bound if complete else 0.0)
    shifts = explicit.shifts(value, per_day, n)
    rostered, on_floor = coverage(shifts, rules, n)
    gap = max(0.0, (cost - bound) / cost) if cost > 1e-9 else 0.0
    optimal = gap <= rules.gap + 1e-9 or (found.optimal and complete)
    return PoolRoster(pool, shifts, required, rostered, on_floor,
                      "optimal" if optimal else "best found", 0.0 if optimal else gap,
                      time.perf_counter() - started)


class _Build:
    """The programme of one pool's roster, and reading its solution back as shifts.

    ``flexible``: each break anywhere in its window (break-start variables with the
    prefix constraints that let them be matched to shifts); otherwise each break in the
    middle of its window, part of the shift's pattern.
    """

    def __init__(self, rules: Rules, need: np.ndarray, is_open: np.ndarray,
                 cost_per_hour: float, flexible: bool) -> None:
        self.rules = rules
        n, g = len(need), rules.granularity_min
        per_day = round(MIN_PER_DAY / g)
        program = self.program = Program()
        cover_row = {t: program.row(float(need[t]), np.inf)
                     for t in np.flatnonzero(need > 0).tolist()}
        # Per kind: (kind, start of each x, x variables, break offsets of each x; None in
        # the flexible programme, whose break-start variables are not read back)
        self.xs: list[tuple[int, list[int], list[int], list[tuple[int, ...] | None]]] = []
        self.zs: list[tuple[int, tuple[int, ...], int]] = []  # (kind, pattern, variable)
        patterns = day_patterns(rules.days_per_week, rules.consecutive_days_off)

        def cover(var: int, first: int, slots: int, sign: float) -> None:
            for t in range(first, first + slots):
                if t % n in cover_row:
                    program.add(cover_row[t % n], var, sign)

        for si, kind in enumerate(rules.shifts):
            price = kind.cost_per_hour if kind.cost_per_hour is not None else cost_per_hour
            length = round(kind.length_min / g)
            starts = _starts(rules, kind, is_open)
            day_rows = [program.row(0.0, 0.0) for _ in range(7)]
            x_vars, begins, offsets = [], [], []
            placements: list[tuple[int, ...] | None] = (
                [None] if flexible else _placements(kind, g))
            for a in starts:
                for placed in placements:
                    x = program.var(kind.paid_min / 60.0 * price)
                    x_vars.append(x)
                    begins.append(a)
                    offsets.append(placed)
                    program.add(day_rows[a // per_day], x, 1.0)
                    cover(x, a, length, 1.0)
                    for p, brk in zip(placed or (), kind.breaks):
                        cover(x, a + p, round(brk.length_min / g), -1.0)
            self.xs.append((si, begins, x_vars, offsets))
            if flexible and kind.breaks:
                self._breaks(si, kind, starts, x_vars, cover)
            heads = program.row(float(kind.min_agents or 0),
                                np.inf if kind.max_agents is None else float(kind.max_agents))
            for pattern in patterns:
                z = program.var(0.0)
                self.zs.append((si, pattern, z))
                program.add(heads, z, 1.0)
                for d in pattern:
                    program.add(day_rows[d], z, -1.0)

    def _breaks(self, si: int, kind: ShiftType, starts: list[int], x_vars: list[int],
                cover) -> None:
        program, g = self.program, self.rules.granularity_min
        # Shifts started so far, X[k] = x[0] + ... + x[k] (continuous: sums of integers).
        cum_x = program.cumulative(x_vars)
        for b, brk in enumerate(kind.breaks):
            early, late = round(brk.earliest_min / g), round(brk.latest_min / g)
            # Break starts on the unrolled week (a Sunday-night shift's break may fall
            # after the week's end; it covers Monday's slots).
            positions = sorted({a + p for a in starts for p in range(early, late + 1)})
            v_vars = []
            for pos in positions:
                v = program.var(0.0)
                v_vars.append(v)
                cover(v, pos, round(brk.length_min / g), -1.0)
            cum_v = program.cumulative(v_vars)
            # Windows [a + early, a + late] are ordered like the starts, so breaks can be
            # matched to shifts (each in its own window) exactly when every prefix of
            # shifts has its breaks by its last deadline and no break comes before its
            # shift's window opens (Bechtold and Jacobs 1990).
            for k, a in enumerate(starts):
                upto = int(np.searchsorted(positions, a + late, side="right")) - 1
                row = program.row(0.0, np.inf)
                program.add(row, cum_v[upto], 1.0)
                program.add(row, cum_x[k], -1.0)
                before = int(np.searchsorted(positions, a + early, side="left")) - 1
                if before >= 0:
                    row = program.row(-np.inf, 0.0)
                    program.add(row, cum_v[before], 1.0)
                    if k:
                        program.add(row, cum_x[k - 1], -1.0)
            row = program.row(0.0, 0.0)
            program.add(row, cum_v[-1], 1.0)
            program.add(row, cum_x[-1], -1.0)

    def shifts(self, value: np.ndarray, per_day: int, n: int) -> tuple[Shift, ...]:
        """The solution as shifts, each day's shifts of a type given to the agents whose
        pattern works that day (only for the explicit programme)."""
        rules = self.rules
        agents_on: dict[tuple[int, int], list[int]] = {}
        agent = 0
        for si, pattern, z in self.zs:
            for _ in range(int(value[z])):
                for d in pattern:
                    agents_on.setdefault((si, d), []).append(agent)
                agent += 1
        out: list[Shift] = []
        for si, starts, x_vars, offsets in self.xs:
            kind = rules.shifts[si]
            chosen = [(a, placed) for a, x, placed in zip(starts, x_vars, offsets)
                      for _ in range(int(value[x]))]
            begins = [a for a, _ in chosen]
            breaks = [tuple((a + p) % n for p in placed) for a, placed in chosen]
            taken: dict[int, int] = {}
            for a, brk_slots in zip(begins, breaks):
                day = a // per_day
                j = taken.get(day, 0)
                taken[day] = j + 1
                out.append(Shift(kind, a, brk_slots, agents_on[(si, day)][j]))
        out.sort(key=lambda s: (s.agent, s.start))
        return tuple(out)


def _complete(kind: ShiftType, g: float) -> bool:
    """Whether :func:`_placements` offers every combination of break positions."""
    combos = math.prod(round((b.latest_min - b.earliest_min) / g) + 1 for b in kind.breaks)
    return combos == len(_placements(kind, g))


def _placements(kind: ShiftType, g: float) -> list[tuple[int, ...]]:
    """Break offsets (slots from the shift's start) the explicit programme offers a shift:
    every break early in its window, then each a step later, up to every break late (as
    many placements as the widest window has positions). Shifts starting at the same time
    can then stagger their breaks, as the flexible programme lets them anywhere."""
    if not kind.breaks:
        return [()]
    spans = [(round(b.earliest_min / g), round(b.latest_min / g)) for b in kind.breaks]
    m = max(hi - lo for lo, hi in spans) + 1
    if m == 1:
        return [tuple(lo for lo, _ in spans)]
    return [tuple(lo + round(k * (hi - lo) / (m - 1)) for lo, hi in spans) for k in range(m)]


def coverage(shifts: tuple[Shift, ...], rules: Rules, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Agents on shift and on the floor (on shift, not on a break) per slot of the week."""
    g = rules.granularity_min
    rostered = np.zeros(n, int)
    on_break = np.zeros(n, int)
    for s in shifts:
        rostered[np.arange(s.start, s.start + round(s.kind.length_min / g)) % n] += 1
        for start, brk in zip(s.breaks, s.kind.breaks):
            on_break[np.arange(start, start + round(brk.length_min / g)) % n] += 1
    return rostered, rostered - on_break
