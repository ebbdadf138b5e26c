"""Staffing policies: how many agents of each pool work in each interval.

Headcounts in config name the configured pools; when routing merged pools (a unified text
queue), a merged pool gets the sum of its members' headcounts, so policies compare at equal
headcount.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from .base import ModelView


class Fixed:
    """Every pool works its configured headcount (``pools.<name>.agents``) all the time.

    Parameters
    ----------
    agents : Mapping[str, int], optional
        Overrides of the configured headcount by pool name.
    """

    def __init__(self, agents: Mapping[str, int] | None = None) -> None:
        self.overrides = dict(agents or {})
        self._agents: dict[str, int] = {}

    def bind(self, model: ModelView) -> None:
        configured = {m: n for p in model.scenario.pools for m, n in p.members.items()}
        unknown = set(self.overrides) - set(configured)
        if unknown:
            raise ValueError(f"staffing.agents names unknown pool(s) {sorted(unknown)}; "
                             f"pools: {', '.join(configured)}")
        headcount = {**configured, **self.overrides}
        self._agents = {p.name: sum(headcount[m] for m in p.members) for p in model.scenario.pools}

    def agents(self, pool: str, interval: int) -> int:
        return self._agents[pool]


class Schedule:
    """A shift table: agents per configured pool per interval.

    Each pool's list covers one day (``1440 / interval`` values, repeated every day) or one
    week (``7 * 1440 / interval`` values, Monday first, repeated every week).

    Parameters
    ----------
    agents : Mapping[str, Sequence[int]]
        Pool name -> agents in each interval.
    """

    def __init__(self, agents: Mapping[str, Sequence[int]]) -> None:
        self.table = {name: [int(v) for v in values] for name, values in agents.items()}
        for name, values in self.table.items():
            if not values or min(values) < 0:
                raise ValueError(f"staffing.agents.{name} must be a non-empty list of "
                                 f"counts >= 0, got {values}")

    def bind(self, model: ModelView) -> None:
        per_day = round(1440 / model.scenario.interval_min)
        self._members = {p.name: p.members for p in model.scenario.pools}
        members = [m for p in model.scenario.pools for m in p.members]
        missing = [m for m in members if m not in self.table]
        unknown = [m for m in self.table if m not in members]
        if missing or unknown:
            raise ValueError(f"staffing.agents must list exactly the pools {members}; "
                             f"missing {missing}, unknown {unknown}")
        for name, values in self.table.items():
            if len(values) not in (per_day, 7 * per_day):
                raise ValueError(f"staffing.agents.{name} has {len(values)} values; with "
                                 f"{model.scenario.interval_min:g}-min intervals it needs "
                                 f"{per_day} (a day) or {7 * per_day} (a week)")

    def agents(self, pool: str, interval: int) -> int:
        return sum(self._at(m, interval) for m in self._members[pool])

    def _at(self, pool: str, interval: int) -> int:
        values = self.table[pool]
        return values[interval % len(values)]
