"""Rosters: CareQueue's solver against pyworkforce's on the default study's requirement.

The requirement: what ``staffing=erlang_c`` puts on the floor in the default study (80%
within target), per pool and 15-min slot of the week. Plans compared, each per pool:

1. ``python -m sim.roster``'s solver (CP-SAT, ``sim/roster/solve.py``) under the ``standard``
   rules: 8-hour shifts starting every 30 min, three breaks in windows (the lunch unpaid),
   five days a week with two consecutive days off, shifts crossing midnight;
2. the same solver under the rules pyworkforce can express: every break at a fixed offset
   (the middle of its window), shifts within a day, no days-off rule (each day apart);
3. pyworkforce 0.5 ``MinRequiredResources`` (OR-Tools CP-SAT, 2 workers) on exactly (2):
   the same shifts as 0/1 coverage patterns per day, the same requirement;
4. HiGHS (``scipy.optimize.milp``) on the programme of (1), the same time limit: the
   solver choice.

For each: paid hours a week, solve time, and the plan simulated (the default study, three
replications of a week, agents on the floor slot by slot): each channel's service level and
the 4-hour blocks of the week below 80%.

Usage: ``python benchmarks/roster.py [--time-limit 10]`` (pyworkforce optional: ``pip install
-e ".[roster-bench]"``; its row is skipped without it). Not a test: numbers go
to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd

from sim.cli.config import build_setup, compose
from sim.optimize.blocks import Blocks
from sim.optimize.evaluation import block_service_levels
from sim.policies.staffing import Schedule
from sim.replications import run_replications
from sim.roster.plan import requirements
from sim.roster.output import markdown
from sim.roster.rules import Break, Rules, ShiftType
from sim.roster.solve import _Build, coverage, solve_pool

HOUR = 60.0
BREAKS = (Break(15, 90, 150), Break(30, 210, 270, paid=False), Break(15, 330, 390))


def standard(limit: float) -> Rules:
    return Rules((ShiftType("8h", 8 * HOUR, BREAKS),), 15, 30, time_limit_s=limit)


def day_local(limit: float) -> Rules:
    """What pyworkforce expresses: fixed break offsets, each day apart (one-day agents)."""
    fixed = tuple(Break(b.length_min, (b.earliest_min + b.latest_min) / 2,
                        (b.earliest_min + b.latest_min) / 2, b.paid) for b in BREAKS)
    return Rules((ShiftType("8h", 8 * HOUR, fixed),), 15, 30, days_per_week=1,
                 consecutive_days_off=False, time_limit_s=limit)


def pyworkforce_plan(need: np.ndarray, limit: float) -> tuple[np.ndarray, float, float, str]:
    """On-floor agents per slot, paid hours, seconds and status of pyworkforce's plan."""
    from pyworkforce.scheduling import MinRequiredResources  # noqa: PLC0415

    per_day, length = 96, 32
    offsets = [(6 + 10) // 2, (14 + 18) // 2, (22 + 26) // 2]  # the middles, in slots
    lengths = [1, 2, 1]
    shifts = {}
    for a in range(0, per_day - length + 1, 2):  # starts every 30 min, ending by midnight
        pattern = [0] * per_day
        for t in range(a, a + length):
            pattern[t] = 1
        for o, n in zip(offsets, lengths):
            for t in range(a + o, a + o + n):
                pattern[t] = 0
        shifts[f"s{a}"] = pattern
    required = need.reshape(7, per_day).tolist()
    started = time.perf_counter()
    solver = MinRequiredResources(num_days=7, periods=per_day, shifts_coverage=shifts,
                                  required_resources=required,
                                  max_period_concurrency=int(need.max()) * 3 + 10,
                                  max_shift_concurrency=int(need.max()) + 10,
                                  max_search_time=limit, num_search_workers=2)
    solution = solver.solve()
    seconds = time.perf_counter() - started
    floor = np.zeros(7 * per_day, int)
    count = 0
    for row in solution["resources_shifts"]:
        if row["resources"] > 0:
            pattern = np.asarray(shifts[row["shift"]])
            floor[row["day"] * per_day:(row["day"] + 1) * per_day] += row["resources"] * pattern
            count += row["resources"]
    return floor, count * 7.5, seconds, solution["status"]


def highs_plan(rules: Rules, pool: str, need: np.ndarray, limit: float
               ) -> tuple[np.ndarray, float, float, str]:
    """HiGHS (scipy.optimize.milp, wall-clock limit) on CareQueue's own programme."""
    from scipy.optimize import Bounds, LinearConstraint, milp  # noqa: PLC0415

    build = _Build(rules, need, np.ones(len(need), bool), 1.0, flexible=False)
    p = build.program
    started = time.perf_counter()
    res = milp(np.asarray(p.cost), integrality=np.ones(len(p.cost)),
               constraints=LinearConstraint(p.matrix(), p.lower, p.upper),
               bounds=Bounds(0, np.inf), options={"time_limit": limit})
    seconds = time.perf_counter() - started
    if res.x is None:
        return np.zeros(len(need), int), float("nan"), seconds, "none found"
    shifts = build.shifts(np.round(res.x).astype(int), 96, len(need))
    _, floor = coverage(shifts, rules, len(need))
    return (floor, sum(s.kind.paid_min for s in shifts) / 60, seconds,
            "optimal" if res.status == 0 else "time limit")


def simulate(setup, scenario, floors: dict[str, np.ndarray]) -> dict[str, str]:
    """Each channel's simulated service level and the 4-h blocks of the week below 80%."""
    table = {p.name: floors[p.name].tolist() for p in scenario.pools}
    results = run_replications(replace(setup, staffing=partial(Schedule, table, slot_min=15)))
    blocks = Blocks(scenario.interval_min, 240.0, weekly=True)
    channels = [c.name for c in scenario.channels]
    cells = block_service_levels(results.contacts, blocks, setup.run.replications, channels)
    sl = cells[cells["metric"] == "service_level"]
    s = results.summary
    overall = s[(s["metric"] == "service_level") & (s["channel"] == "all")].iloc[0]
    below = int(((sl["mean"] < 0.8 - 1e-12) & (sl["n"] > 0)).sum())
    return {"service level (all)": f"{100 * overall['mean']:.1f}% [{100 * overall['ci_low']:.1f}, "
                                   f"{100 * overall['ci_high']:.1f}]",
            "blocks below 80%": f"{below} of {len(sl)}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0)
    args = parser.parse_args()
    limit = args.time_limit
    setup = build_setup(compose(["run.progress=false", "staffing=fixed", "run.replications=3"]))
    rules = standard(limit)
    scenario, required = requirements(setup, "erlang_c", rules, 0.8)
    needed = sum(float(r.sum()) for r in required.values()) / 4
    plans: dict[str, dict[str, object]] = {}

    def ours(name: str, r: Rules) -> None:
        floors, paid, secs, worst = {}, 0.0, 0.0, 0.0
        for pool, need in required.items():
            pr = solve_pool(r, pool, need, 1.0)
            floors[pool] = pr.on_floor
            paid += pr.paid_hours
            secs += pr.seconds
            worst = max(worst, pr.gap)
        plans[name] = {"paid h/week": paid, "solve s": secs, "largest gap": f"{worst:.1%}",
                       **simulate(setup, scenario, floors)}

    ours("CareQueue (CP-SAT), standard rules", rules)
    ours("CareQueue (CP-SAT), pyworkforce's rules", day_local(limit))
    for name, solve in (("pyworkforce 0.5 (CP-SAT), its rules",
                         lambda pool, need: pyworkforce_plan(need, limit)),
                        ("HiGHS on CareQueue's programme, standard rules",
                         lambda pool, need: highs_plan(rules, pool, need, limit))):
        try:
            floors, paid, secs, status = {}, 0.0, 0.0, set()
            for pool, need in required.items():
                floors[pool], p, s, st = solve(pool, need)
                paid, secs = paid + p, secs + s
                status.add(st)
        except ImportError as err:
            print(f"skipped {name}: {err}")
            continue
        plans[name] = {"paid h/week": paid, "solve s": secs,
                       "largest gap": "/".join(sorted(status)),
                       **simulate(setup, scenario, floors)}
    table = pd.DataFrame(plans).T.reset_index(names="plan")
    print(f"Requirement: {needed:,.1f} agent-hours a week on the floor (erlang_c, default "
          f"study); time limit {limit:g} s per pool; Python {platform.python_version()}, "
          f"{platform.machine()}")
    print(markdown(table))


if __name__ == "__main__":
    main()
