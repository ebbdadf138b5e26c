"""A roster from the LP relaxation, rounded and repaired: the solver's fast first answer.

HiGHS proves good lower bounds on roster programmes quickly but can take minutes to find a
good integer roster (benchmarks/README.md). :func:`round_up` builds one in well under a
second from the LP solution of the same programme: agents per days-off pattern rounded up,
each day's shifts of a type chosen among the LP's (its whole shifts first, then greedily
where coverage is short), and agents added one pattern at a time while any slot is still
short. The result meets every constraint of the programme, so its cost is an upper bound
the MILP then tries to beat within the time limit.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .solve import _Build

__all__ = ["round_up"]


def round_up(build: "_Build", lp: np.ndarray, need: np.ndarray, per_day: int,
             ) -> np.ndarray | None:
    """Integer values of ``build``'s variables meeting its constraints, from the LP
    solution ``lp``; None when the rules' agent bounds (``max_agents``) get in the way."""
    rules, n = build.rules, len(need)
    g = rules.granularity_min
    value = np.zeros(len(build.program.cost), int)
    floor_slots: dict[int, np.ndarray] = {}
    by_day: dict[tuple[int, int], list[int]] = {}
    for si, begins, x_vars, offsets in build.xs:
        kind = rules.shifts[si]
        length = round(kind.length_min / g)
        for a, x, placed in zip(begins, x_vars, offsets):
            on = np.zeros(length, bool)
            on[:] = True
            for p, brk in zip(placed or (), kind.breaks):
                on[p:p + round(brk.length_min / g)] = False
            floor_slots[x] = (a + np.flatnonzero(on)) % n
            by_day.setdefault((si, a // per_day), []).append(x)
    cost = build.program.cost
    on_floor = np.zeros(n, int)

    def take(x: int) -> None:
        value[x] += 1
        np.add.at(on_floor, floor_slots[x], 1)

    def gain(x: int) -> int:
        short = need[floor_slots[x]] - on_floor[floor_slots[x]]
        return int(np.clip(short, 0, None).sum())

    def best(si: int, day: int) -> int | None:
        options = by_day.get((si, day), [])
        return max(options, key=lambda x: (gain(x) / max(cost[x], 1e-9), -x), default=None)

    # Agents per pattern rounded up; each day's shifts, the LP's whole ones first.
    days = {}
    for si, pattern, z in build.zs:
        value[z] = math.ceil(lp[z] - 1e-6)
        for d in pattern:
            days[(si, d)] = days.get((si, d), 0) + value[z]
    for (si, d), count in sorted(days.items()):
        for x in by_day.get((si, d), []):
            whole = min(int(math.floor(lp[x] + 1e-6)), count - int(value[by_day[(si, d)]].sum()))
            for _ in range(max(whole, 0)):
                take(x)
    for (si, d), count in sorted(days.items()):
        for _ in range(count - int(value[by_day.get((si, d), [])].sum())):
            x = best(si, d)
            if x is None:
                return None
            take(x)
    # Short somewhere: add the agent (type and pattern) that covers most per cost.
    for _ in range(100 * n):
        if (on_floor >= need).all():
            break
        choice, score = None, 0.0
        for si, pattern, z in build.zs:
            picks = [best(si, d) for d in pattern]
            if any(x is None for x in picks):
                continue
            total = sum(gain(x) for x in picks)
            price = sum(cost[x] for x in picks)
            if total > 0 and total / max(price, 1e-9) > score:
                choice, score = (z, picks), total / max(price, 1e-9)
        if choice is None:
            return None
        z, picks = choice
        value[z] += 1
        for x in picks:
            take(x)
    else:
        return None
    # Rounding up leaves agents nobody needs: take them out (a whole week: one shift on each
    # day of their pattern) while coverage still holds, the costliest first.
    removed = True
    while removed:
        removed = False
        for si, pattern, z in sorted(build.zs, key=lambda e: -sum(
                cost[x] for x in by_day.get((e[0], e[1][0]), [])[:1])):
            if value[z] == 0:
                continue
            drops = []
            for d in pattern:
                spare = [x for x in by_day.get((si, d), []) if value[x] > 0 and (
                    on_floor[floor_slots[x]] - 1 >= need[floor_slots[x]]).all()]
                if not spare:
                    break
                x = max(spare, key=lambda x: (cost[x], -x))
                drops.append(x)
                value[x] -= 1
                np.add.at(on_floor, floor_slots[x], -1)
            if len(drops) == len(pattern):
                value[z] -= 1
                removed = True
            else:
                for x in drops:  # this agent is needed: put the shifts back
                    take(x)
    for si, kind in enumerate(rules.shifts):
        heads = sum(int(value[z]) for sj, _, z in build.zs if sj == si)
        if kind.max_agents is not None and heads > kind.max_agents:
            return None
        if kind.min_agents is not None and heads < kind.min_agents:
            return None
    return value
