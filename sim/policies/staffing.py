"""Staffing policies: how many agents of each pool work in each interval.

``Fixed`` and ``Schedule`` take headcounts from config. Headcounts in config name the
configured pools; when routing merged pools (a unified text queue), a merged pool gets the sum
of its members' headcounts, so policies compare at equal headcount.

``ErlangC``, ``ErlangA`` and ``SquareRoot`` size each running pool from the arrival forecast
(:mod:`sim.policies.forecast`, named here with the rest of the catalogue). ``Reactive``
moves agents between pools from the live queues.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from ..errors import InvalidValue
from .base import ModelView, Staffing
from .forecast import (ErlangA, ErlangC, Forecast, SquareRoot, check_count, check_real,
                       pool_forecast)

__all__ = ["ErlangA", "ErlangC", "Fixed", "Forecast", "Reactive", "Schedule", "SquareRoot",
           "pool_forecast"]


class Fixed(Staffing):
    """Every pool works its configured headcount (``pools.<name>.agents``) all the time.

    Parameters
    ----------
    agents : Mapping[str, int or None], optional
        Overrides of the configured headcount by pool name; None keeps the configured one
        (so a config can list pools a scenario may not have).
    """

    def __init__(self, agents: Mapping[str, int | None] | None = None) -> None:
        self.overrides = {k: v for k, v in (agents or {}).items() if v is not None}
        self._agents: dict[str, int] = {}

    def bind(self, model: ModelView) -> None:
        super().bind(model)
        configured = {m: n for p in model.scenario.pools for m, n in p.members.items()}
        unknown = sorted(set(self.overrides) - set(configured))
        if unknown:
            raise InvalidValue(f"agents.{unknown[0]}", self.overrides[unknown[0]],
                               "names no pool; pools: " + ", ".join(configured))
        for pool, n in self.overrides.items():
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise InvalidValue(f"agents.{pool}", n, "must be a whole number of agents "
                                   ">= 0 (or null: the configured headcount)")
        headcount = {**configured, **self.overrides}
        self._agents = {p.name: sum(headcount[m] for m in p.members) for p in model.scenario.pools}

    def agents(self, pool: str, interval: int) -> int:
        return self._agents[pool]


class Schedule(Staffing):
    """A shift table: agents per configured pool per interval.

    Each pool's list covers one day (``1440 / interval`` values, repeated every day), one
    week (``7 * 1440 / interval`` values, Monday first, repeated every week) or any whole
    number of days from a Monday (e.g. the weeks of a client's history, as
    ``python -m sim.calibrate`` writes them), repeated after its end.

    With ``slot_min`` shorter than the interval, each value covers a slot of that many
    minutes instead (a roster's breaks take agents off the floor for 15 minutes): the
    policy is asked every slot.

    Parameters
    ----------
    agents : Mapping[str, Sequence[int]]
        Pool name -> agents in each interval (or slot).
    slot_min : float, optional
        Minutes each value covers; divides the scenario's interval (None: the interval).
    """

    def __init__(self, agents: Mapping[str, Sequence[int]],
                 slot_min: float | None = None) -> None:
        if slot_min is not None:
            slot_min = check_real("slot_min", slot_min, lambda x: x > 0, "> 0 (minutes) or null")
        self.slot_min = slot_min
        self.review_min = slot_min
        for name, values in agents.items():
            if (isinstance(values, (str, bytes)) or not hasattr(values, "__len__")
                    or not len(values) or not all(
                        isinstance(v, int) and not isinstance(v, bool) and v >= 0
                        for v in values)):
                raise InvalidValue(f"agents.{name}", values,
                                   "must be a non-empty list of whole numbers of agents >= 0")
        self.table = {name: [int(v) for v in values] for name, values in agents.items()}

    def bind(self, model: ModelView) -> None:
        super().bind(model)
        per_day = round(1440 / (self.slot_min or model.scenario.interval_min))
        self._members = {p.name: p.members for p in model.scenario.pools}
        self._fixed = {p.name: p.agents for p in model.scenario.pools if p.fixed}
        members = [m for p in model.scenario.pools if not p.fixed for m in p.members]
        missing = [m for m in members if m not in self.table]
        unknown = [m for m in self.table if m not in members]
        if missing or unknown:
            raise InvalidValue("agents", sorted(self.table), f"must list exactly the pools "
                               f"{members}; missing {missing}, unknown {unknown}")
        for name, values in self.table.items():
            if len(values) % per_day:
                raise InvalidValue(f"agents.{name}", f"{len(values)} values",
                                   f"with {self.slot_min or model.scenario.interval_min:g}-min "
                                   f"{'slots' if self.slot_min else 'intervals'} it needs "
                                   f"{per_day} (a day), {7 * per_day} (a week) or another "
                                   f"whole number of days ({per_day} a day)")

    def agents(self, pool: str, interval: int) -> int:
        if pool in self._fixed:
            return self._fixed[pool]
        return sum(self._at(m, interval) for m in self._members[pool])

    def _at(self, pool: str, interval: int) -> int:
        values = self.table[pool]
        if self.slot_min is not None:  # asked every slot: the slot is the clock's
            return values[round(self.model.now / self.slot_min) % len(values)]
        return values[interval % len(values)]


# ---- reacting to the live queues -----------------------------------------------------------
class Reactive(Staffing):
    """Move agents between pools toward the one whose backlog is furthest over target.

    Every ``review_min`` the policy looks at each pool's pressure: the longest current wait
    among the channels it serves, divided by that channel's target (above 1: over target).
    If the most pressed pool of a ``group`` is over target and another pool of the group is
    under target with more than its ``minimum`` agents, one agent leaves the relaxed pool
    (finishing their work first) and joins the pressed one ``switch_delay_min`` later (log
    off one queue, log on another). Moves last until the end of the staffing interval; each
    interval starts again from the ``base`` policy's headcounts.

    Parameters
    ----------
    base : StaffingPolicy
        Headcounts before any move (e.g. the shift table).
    groups : list of list of str
        Pools whose agents are skilled for each other's work (configured pool names); moves
        happen only within a group.
    review_min : float
        Minutes between reviews (must divide the staffing interval).
    switch_delay_min : float
        Minutes an agent is off both queues while switching (a multiple of ``review_min``,
        rounded up to one).
    minimum : int
        Agents a pool keeps whatever the pressure elsewhere.
    """

    def __init__(self, base, groups: Sequence[Sequence[str]], review_min: float = 5.0,
                 switch_delay_min: float = 5.0, minimum: int = 1) -> None:
        review_min = check_real("review_min", review_min, lambda x: x > 0, "> 0 (minutes)")
        check_real("switch_delay_min", switch_delay_min, lambda x: x >= 0, ">= 0 (minutes)")
        self.base = base
        self.groups = [list(g) for g in groups]
        self.review_min, self.minimum = float(review_min), check_count("minimum", minimum)
        self.delay_ticks = max(1, math.ceil(switch_delay_min / review_min - 1e-9))

    def bind(self, model: ModelView) -> None:
        super().bind(model)
        self.base.bind(model)
        scenario = model.scenario
        # Groups name configured pools; a routing policy may have merged some (a unified text
        # pool): a group then covers the running pools its members ended up in.
        running = {m: p.name for p in scenario.pools for m in p.members}
        running.update({p.name: p.name for p in scenario.pools})
        self._groups = []
        for g in self.groups:
            unknown = [p for p in g if p not in running]
            if unknown or len(g) < 2:
                raise InvalidValue("groups", self.groups, f"entry {g} must name 2+ pools of "
                                   f"{sorted(running)}")
            pools = list(dict.fromkeys(running[p] for p in g))
            if len(pools) > 1:  # all merged into one pool: nothing left to move between
                self._groups.append(pools)
        index = {c.name: k for k, c in enumerate(scenario.channels)}
        self._channels = {p.name: [index[c] for c in p.skills] for p in scenario.pools}
        self._target = [c.target_min for c in scenario.channels]
        self._offset: dict[str, int] = {}
        self._arriving: list[tuple[float, str]] = []  # (when on the new floor, pool)
        self._interval, self._decided_at = -1, -math.inf

    def pressure(self, pool: str) -> float:
        """Longest current wait / target over the pool's channels (0 when none waits)."""
        m = self.model
        worst = 0.0
        for k in self._channels[pool]:
            c = m.head(k)
            if c is not None:
                worst = max(worst, (m.now - c.arrival_min) / self._target[k])
        return worst

    def agents(self, pool: str, interval: int) -> int:
        if interval != self._interval:  # a new interval starts from the base headcounts
            self._interval, self._offset, self._arriving = interval, {}, []
        if self.model.now != self._decided_at:  # first question of this review
            self._decided_at = self.model.now
            self._decide(interval)
        return max(0, self.base.agents(pool, interval) + self._offset.get(pool, 0))

    def _decide(self, interval: int) -> None:
        now = self.model.now
        for due, pool in [a for a in self._arriving if a[0] <= now + 1e-9]:
            self._offset[pool] = self._offset.get(pool, 0) + 1
            self._arriving.remove((due, pool))
        for group in self._groups:
            level = {p: self.base.agents(p, interval) + self._offset.get(p, 0) for p in group}
            press = {p: self.pressure(p) for p in group}
            hot = max(group, key=press.get)
            spare = [p for p in group if press[p] < 1 and level[p] > self.minimum and p != hot]
            if press[hot] > 1 and spare:
                cold = min(spare, key=press.get)
                self._offset[cold] = self._offset.get(cold, 0) - 1
                self._arriving.append((now + self.delay_ticks * self.review_min, hot))
