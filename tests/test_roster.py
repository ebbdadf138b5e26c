"""Rosters (sim/roster/): the solver against brute force, rules refused before solving, the
simulated check adding coverage, and the command as a user runs it."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path
from functools import partial

import numpy as np
import pandas as pd
import pytest
import yaml
from omegaconf import OmegaConf

from sim.cli.config import build_setup
from sim.cli.roster import RosterConf, rules_from_config
from sim.errors import InvalidValue
from sim.optimize.rounds import prepare
from sim.optimize.options import Options
from sim.policies.staffing import Schedule
from sim.replications import run_replications
from sim.roster import Break, Rules, ShiftType, check_coverable, day_patterns, solve_pool
from sim.roster.plan import plan, requirements
from sim.roster.solve import coverage

from .conftest import compose_config, run_command

HOUR = 60.0


def _tiny_rules(**kw) -> Rules:
    """Open 08:00-16:00, 4-hour shifts with a 1-hour break starting 1 or 2 hours in,
    hourly slots, every agent works all 7 days (so every day is the same problem)."""
    return Rules(shifts=(ShiftType("4h", 4 * HOUR, (Break(HOUR, HOUR, 2 * HOUR),)),),
                 granularity_min=HOUR, start_every_min=HOUR, open={"p": (8 * HOUR, 16 * HOUR)},
                 days_per_week=7, time_limit_s=30, gap=0.0, **kw)


def _brute_force(day_need: np.ndarray) -> float:
    """Cheapest paid hours a day by enumeration: up to 3 shifts per start and break slot."""
    columns = []  # on-floor pattern over 08:00-16:00 of a shift starting s, break at s + b
    for s in range(5):          # starts 08:00 .. 12:00 (a 4-hour shift ends by 16:00)
        for b in (1, 2):
            col = np.zeros(8, int)
            col[s:s + 4] = 1
            col[s + b] = 0
            columns.append(col)
    m = np.array(columns)       # 10 x 8
    best = np.inf
    for counts in itertools.product(range(4), repeat=len(columns)):
        c = np.array(counts)
        if (c @ m >= day_need).all():
            best = min(best, 4.0 * c.sum())
    return best


def test_solver_finds_the_brute_force_optimum():
    day_need = np.array([1, 2, 2, 3, 2, 2, 2, 1])
    rules = _tiny_rules()
    required = np.tile(np.concatenate([np.zeros(8, int), day_need, np.zeros(8, int)]), 7)
    result = solve_pool(rules, "p", required, cost_per_hour=1.0)
    paid = sum(s.kind.paid_min for s in result.shifts) / 60.0
    assert result.status == "optimal"
    assert paid == pytest.approx(7 * _brute_force(day_need))
    assert (result.on_floor >= required).all()
    # Each shift's break lies in its window, and on_floor is what the shifts give.
    for s in result.shifts:
        assert s.start + 1 <= s.breaks[0] <= s.start + 2
    rostered, on_floor = coverage(result.shifts, rules, len(required))
    assert (on_floor == result.on_floor).all() and (rostered >= on_floor).all()


def test_days_off_patterns():
    assert day_patterns(7, True) == [tuple(range(7))]
    consecutive = day_patterns(5, True)
    assert len(consecutive) == 7 and all(len(p) == 5 for p in consecutive)
    assert (0, 1, 2, 3, 4) in consecutive and (0, 2, 3, 4, 6) not in consecutive
    assert (0, 1, 2, 3, 6) in consecutive  # off Thursday and Friday
    assert (2, 3, 4, 5, 6) in consecutive  # off Monday and Tuesday
    assert len(day_patterns(5, False)) == 21


def test_days_off_rule_costs_what_it_should():
    """Weekday demand only: 5-day agents with consecutive days off can take the weekend
    off; a 7-day rule forces weekend shifts nobody needs."""
    day = np.zeros(24, int)
    day[9:17] = 2
    week = np.concatenate([np.tile(day, 5), np.zeros(48, int)])
    base = dict(shifts=(ShiftType("8h", 8 * HOUR),), granularity_min=HOUR, start_every_min=HOUR,
                time_limit_s=30, gap=0.0)
    five = solve_pool(Rules(days_per_week=5, **base), "p", week)
    seven = solve_pool(Rules(days_per_week=7, **base), "p", week)
    assert sum(s.kind.paid_min for s in five.shifts) / 60 == pytest.approx(2 * 8 * 5)
    assert sum(s.kind.paid_min for s in seven.shifts) / 60 == pytest.approx(2 * 8 * 7)
    # Every agent works exactly its days, one shift a day.
    per_agent = pd.Series([s.agent for s in five.shifts]).value_counts()
    assert (per_agent == 5).all()


def test_break_that_does_not_fit_is_refused():
    with pytest.raises(InvalidValue) as err:
        Rules(shifts=(ShiftType("4h", 4 * HOUR, (Break(30, HOUR, 4 * HOUR),)),))
    assert err.value.field == "shifts.0.breaks.0.latest"
    assert "does not fit" in err.value.valid


def test_opening_hours_no_shift_covers_are_refused():
    rules = Rules(shifts=(ShiftType("8h", 8 * HOUR),), open={"email": (8 * HOUR, 12 * HOUR)})
    need = np.ones(7 * 96, int)
    with pytest.raises(InvalidValue) as err:
        check_coverable(rules, "email", need)
    assert err.value.field == "open.email"
    assert "fits within these opening hours" in err.value.valid


ERLANG = ["scenario=erlang", "run.horizon=7d2h", "run.warmup=2h", "run.replications=2",
          "run.progress=false"]


def test_simulated_check_adds_coverage(tmp_path):
    """A requirement below what the traffic needs (8 agents for about 10 Erlangs): the
    roster covers it, simulation finds the goal missed, coverage is added until it holds."""
    table = tmp_path / "low.yaml"
    table.write_text("agents:\n  agents: [" + ", ".join(["8"] * 24) + "]\n")
    setup = prepare(build_setup(compose_config(ERLANG)),
                    Options(0.8, 1440.0, True, 30, 2))
    rules = Rules(shifts=(ShiftType("8h", 8 * HOUR),), granularity_min=HOUR,
                  start_every_min=HOUR, days_per_week=7, time_limit_s=20, gap=0.0)
    scenario, required = requirements(setup, str(table), rules, 0.8)
    assert (required["agents"] == 8).all()
    result = plan(setup, scenario, required, rules, 0.8, 1440.0, max_rounds=8)
    first, last = result.rounds[0], result.rounds[-1]
    assert first.misses, "8 agents for 10 Erlangs must miss the goal"
    assert len(result.rounds) > 1 and last.paid_hours > first.paid_hours
    assert not last.misses
    assert (result.rosters["agents"].on_floor >= 10).all()
    sl = result.cells[result.cells["metric"] == "service_level"]
    assert (sl["mean"] >= 0.8).all()


def test_command_refuses_a_break_that_does_not_fit(tmp_path):
    done = run_command(tmp_path, "sim.roster", "roster.shifts.0.breaks.2.latest=7h50min")
    assert done.returncode == 2
    assert "roster.shifts.0.breaks.2.latest" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "run" / "achieved.csv").exists()


def test_command_refuses_opening_hours_no_shift_fits(tmp_path):
    done = run_command(tmp_path, "sim.roster", "roster.open={email:[8h,12h]}")
    assert done.returncode == 2, done.stderr
    assert "roster.open.email" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow  # the whole command, simulated checks included (~25 s)
def test_command_writes_a_roster(tmp_path):
    done = run_command(tmp_path, "sim.roster", *ERLANG,
                       "roster.time_limit=5", "roster.max_rounds=2", "roster.replications=2",
                       "roster.check_block=1d")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "run"
    roster = pd.read_csv(out / "roster.csv")
    assert list(roster.columns[:7]) == ["shift_id", "pool", "agent", "type", "day", "start",
                                        "end"]
    assert "breaks" in roster.columns
    cov = pd.read_csv(out / "coverage.csv")
    assert {"pool", "interval", "required", "rostered", "on_floor"} <= set(cov.columns)
    assert (cov["rostered"] >= cov["on_floor"]).all()
    assert (out / "schedule.yaml").exists() and (out / "figures" / "coverage.png").exists()
    assert (out / "achieved.csv").exists() and (out / "report.html").exists()
    # schedule.yaml is a staffing config: simulated again with the same seed, it gives the
    # service level achieved.csv reports for the roster.
    node = yaml.safe_load((out / "schedule.yaml").read_text())
    assert node.pop("_target_") == "sim.policies.staffing.Schedule"
    setup = build_setup(compose_config(ERLANG))
    again = run_replications(replace(setup, staffing=partial(Schedule, **node)))
    achieved = pd.read_csv(out / "achieved.csv")
    want = achieved[(achieved["block"] == "all") & (achieved["metric"] == "service_level")
                    & (achieved["channel"] == "phone")]["mean"].iloc[0]
    got = again.summary[(again.summary["channel"] == "phone")
                        & (again.summary["metric"] == "service_level")]["mean"].iloc[0]
    assert got == pytest.approx(want, rel=1e-12)


def test_schedule_slots_change_the_floor_within_an_interval():
    """Schedule(slot_min=15): the agents on the floor follow the 15-min values inside the
    scenario's 1-hour intervals (a roster's breaks), as the staffing log records."""
    per_day = [3, 2, 3, 4] * 24  # a 15-min dip and rise inside every hour
    setup = build_setup(compose_config(["scenario=erlang", "run.horizon=1d", "run.warmup=0",
                                        "run.replications=1", "run.progress=false"]))
    results = run_replications(replace(setup, staffing=partial(
        Schedule, {"agents": per_day}, slot_min=15)))
    log = results.staffing.sort_values("time_min")
    at = {round(t): int(a) for t, a in zip(log["time_min"], log["agents"]) if t < 1440}
    for slot, want in enumerate(per_day):
        assert at.get(slot * 15, want) == want
    assert {round(t) % 60 for t in at} >= {15, 30, 45}


def test_schedule_slot_must_divide_the_interval():
    setup = build_setup(compose_config(["scenario=erlang", "run.horizon=1d", "run.warmup=0",
                                        "run.replications=1", "run.progress=false"]))
    with pytest.raises(Exception, match="review_min"):
        run_replications(replace(setup, staffing=partial(
            Schedule, {"agents": [3] * 60}, slot_min=24)))


@pytest.mark.parametrize("path", sorted((Path(__file__).parents[1] / "conf" / "roster")
                                        .glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_roster_config_builds_rules(path):
    """Each conf/roster/ file fits the typed schema (no misspelt key) and its rules can be
    worked (the checks of Rules), on the 15-min grid of the default scenario's intervals."""
    node = OmegaConf.merge(OmegaConf.structured(RosterConf), OmegaConf.load(path))
    rules = rules_from_config(node)
    assert rules.shifts and 60 % rules.granularity_min == 0
    assert node.name == path.stem


_SOLVE_TWICE = """
import numpy as np
from sim.roster import Break, Rules, ShiftType, solve_pool
rules = Rules(shifts=(ShiftType("8h", 480, (Break(15, 90, 150), Break(30, 210, 270, False))),
                      ShiftType("4h", 240, (Break(15, 60, 120),))), time_limit_s=2)
junk = [object() for _ in range({n})]  # another allocation history
day = np.array([1] * 28 + [3, 5, 8, 9, 9, 8, 7, 8, 9, 8, 6, 5, 4, 3] * 4 + [2] * 12)
r = solve_pool(rules, "p", np.tile(day, 7))
print([(s.kind.name, s.start, s.breaks, s.agent) for s in r.shifts])
"""


@pytest.mark.slow  # two solves in fresh processes (~10 s)
def test_the_same_roster_in_two_processes():
    """The search has work limits, not wall-clock ones: two processes with different
    allocation histories get the same roster, shift for shift."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    out = [subprocess.run([sys.executable, "-c", _SOLVE_TWICE.format(n=n)], capture_output=True,
                          text=True, check=True).stdout for n in (0, 200_000)]
    assert out[0] == out[1] and len(out[0]) > 100


def test_command_refuses_a_requirement_file_that_is_not_one(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("phone: lots\n")
    for value in (str(tmp_path / "missing.yaml"), str(bad)):
        done = run_command(tmp_path, "sim.roster", f"roster.requirements={value}")
        assert done.returncode == 2, done.stderr
        assert "roster.requirements" in done.stderr and "Traceback" not in done.stderr
