"""The staffing search (``sim.optimize``): fewest agents, a schedule the config layer reads, CLI.

The search's claim is checked where theory gives the answer: on the stationary M/M/c queue
(``scenario=erlang``: 100 calls/h, 6-min handle, 80% within 20 s) the fewest agents meeting
the goal is ``min_agents_erlang_c`` = 14. Erlang C puts 13 agents at 76.3% and 14 at 86.6%,
each more than 3 points from the goal, several standard errors of the simulated estimate
(about 1 point with six 3-day replications): so the search must land exactly on 14, not
within one agent of it.
"""

from __future__ import annotations

import math
import subprocess
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf

from sim import distributions as D
from sim.arrivals import ProfiledPoisson
from sim.cli.config import build_setup
from sim.errors import ConfigError
from sim.erlang import erlang_c_metrics, min_agents_erlang_c
from sim.replications import run_replications
from sim.cli.optimize import options_from_config
from sim.optimize import (Blocks, Options, block_service_levels, constrained_channels,
                          erlang_start, evaluate, make_blocks, prepare, render_schedule,
                          schedule_table, search, searched_pools)
from sim.policies.staffing import Schedule
from sim.scenario import Channel, Mode, Pool, Scenario

from .conftest import compose_config, run_command

RATE_PER_MIN, HANDLE_MIN, TARGET_MIN, GOAL = 100 / 60, 6.0, 20 / 60, 0.8
# Lower CI bound of the achieved service level may sit this far below the goal: the search
# requires the *mean* to meet the goal, and the 95% half-width here is about 2 points.
TOLERANCE = 0.05
ERLANG = ["scenario=erlang", "run.horizon=3d", "run.warmup=2h", "run.progress=false"]
ONE_BLOCK = Options(goal=GOAL, block_min=1440.0, replications=6)


@pytest.fixture(scope="module")
def erlang_study():
    return build_setup(compose_config(ERLANG))


@pytest.fixture(scope="module")
def found(erlang_study):
    rounds = []
    result = search(erlang_study, ONE_BLOCK, report=rounds.append)
    return result, rounds


def test_theory_separates_13_from_14_agents():
    """The premise of the exact check below (see the module docstring)."""
    assert min_agents_erlang_c(RATE_PER_MIN, HANDLE_MIN, TARGET_MIN, GOAL) == 14
    sl = {c: erlang_c_metrics(RATE_PER_MIN, HANDLE_MIN, c, TARGET_MIN).service_level
          for c in (13, 14)}
    assert sl[13] < GOAL - 0.03 and sl[14] > GOAL + 0.03


def test_search_ends_with_the_fewest_agents_meeting_the_goal(found, erlang_study):
    result, rounds = found
    assert result.converged and result.final.feasible
    assert result.final.counts == {"agents": (14,)}
    cell = result.final.sl[("phone", 0)]
    assert cell.n == 6 and cell.mean >= GOAL and cell.ci_low >= GOAL - TOLERANCE
    overall = result.final.summary.query("channel == 'phone' and metric == 'service_level'")
    assert overall["ci_low"].iloc[0] >= GOAL - TOLERANCE
    # One agent fewer misses the goal (simulated, same customers).
    study = prepare(erlang_study, ONE_BLOCK)
    fewer = evaluate(study, result.scenario, result.blocks, {"agents": [13]}, GOAL)
    assert [(ch, b) for ch, b, _ in fewer.misses] == [("phone", 0)]
    assert fewer.sl[("phone", 0)].mean < GOAL
    # Progress was reported once per round, starting from Erlang C's answer.
    assert [r.number for r in rounds] == list(range(len(rounds)))
    assert rounds[0].action == "start" and rounds[-1].action == "stop"
    assert rounds[0].agent_hours == 14 * 24 * 7 == rounds[-1].agent_hours


def test_search_climbs_from_too_few_agents(erlang_study):
    """Started far below (11 agents: 35% answered in time), it adds until the goal holds."""
    result = search(erlang_study, ONE_BLOCK, start={"agents": [11]})
    assert result.final.counts == {"agents": (14,)}
    assert [r.action for r in result.rounds][:4] == ["start", "add", "add", "add"]
    assert result.start.sl[("phone", 0)].mean < 0.5


def test_blocks_are_searched_independently(erlang_study):
    """4-hour blocks of a stationary queue: every block ends within one agent of 14.

    Not exactly 14: a block has a sixth of the arrivals (a few points of noise on its
    service level), and a block at 13 agents between blocks at 14 starts each day with the
    shorter queue they leave, so on some seeds it meets 80% on its sample (seeds 2 and 3
    leave one or two blocks at 13 with 82-83%; 1 and 4 give 14 everywhere).
    """
    options = replace(ONE_BLOCK, block_min=240.0, replications=4)
    result = search(erlang_study, options)
    (counts,) = result.final.counts.values()
    assert len(counts) == 6 and all(abs(c - 14) <= 1 for c in counts)
    assert result.final.feasible
    assert all(result.final.sl[("phone", b)].mean >= GOAL for b in range(6))


def test_written_schedule_runs_through_the_config_layer(found, tmp_path):
    """schedule.yaml as a staffing option: found by Hydra, built, simulated with 14 agents."""
    result, _ = found
    (tmp_path / "staffing").mkdir()
    (tmp_path / "staffing" / "found.yaml").write_text(
        render_schedule(result.table, ["made by a test"]))
    # The same as `python -m sim --config-dir <dir> staffing=found` (or a copy in conf/).
    cfg = compose_config([*ERLANG, f"hydra.searchpath=[file://{tmp_path}]", "staffing=found",
                          "run.replications=1"])
    assert list(cfg.staffing.agents) == ["agents"] and len(cfg.staffing.agents.agents) == 24
    res = run_replications(build_setup(cfg))
    assert set(res.staffing.loc[res.staffing["time_min"] < 1440, "agents"]) == {14}


def _text_scenario() -> Scenario:
    def channel(name: str, mode: Mode) -> Channel:
        return Channel(name, mode, 1.0, ProfiledPoisson(10.0), D.Exponential(5.0),
                       D.Deterministic(1.0))
    text = Pool("text", {"chat": 1.0, "email": 1.0}, {}, 5, {"chat": 2, "email": 3})
    tier2 = Pool("tier2", {"tier2": 1.0}, {}, 4, fixed=True)
    return Scenario((channel("chat", Mode.CHAT), channel("email", Mode.ASYNC),
                     channel("tier2", Mode.VOICE)), (text, tier2), 60.0)


def test_merged_pool_is_split_evenly_and_fixed_pools_are_left_alone():
    scenario = _text_scenario()
    assert [p.name for p in searched_pools(scenario)] == ["text"]
    assert constrained_channels(scenario) == ("chat", "email")
    blocks = Blocks(60.0, 360.0, weekly=False)
    table = schedule_table(scenario, blocks, {"text": [0, 1, 4, 7]})
    assert table == {"chat": [0] * 6 + [1] * 6 + [2] * 6 + [4] * 6,
                     "email": [0] * 6 + [0] * 6 + [2] * 6 + [3] * 6}
    policy = Schedule(table)
    policy.bind(SimpleNamespace(scenario=scenario))
    assert [policy.agents("text", i) for i in (0, 6, 12, 18, 24)] == [0, 1, 4, 7, 0]
    assert policy.agents("tier2", 5) == 4


def test_erlang_start_takes_the_busiest_interval_of_each_block():
    study = build_setup(compose_config(["run.progress=false", "run.replications=2"]))
    blocks = make_blocks(study.scenario, Options(block_min=240.0, weekly=True))
    scenario, counts = erlang_start(study, blocks, GOAL)
    assert set(counts) == {p.name for p in scenario.pools}
    assert all(len(c) == 42 for c in counts.values())
    phone = counts["phone"]
    # Busier Monday than Sunday (weekly profile 1.2 vs 0.5), quiet nights.
    assert phone[2] > phone[6 * 6 + 2] > 0 and phone[0] < phone[2]


def test_block_service_level_pools_days_and_counts_misses():
    """Arrivals of every day in the block, after the warm-up; abandoned = miss; a
    replication without arrivals in a block has no value there."""
    rows = [  # replication, arrival_min, answered, wait_min, warmup
        (0, 30.0, True, 0.1, True),             # warm-up: ignored
        (0, 60.0, True, 0.1, False),            # day 1, block 0: met
        (0, 1440 + 60.0, True, 5.0, False),     # day 2, block 0: late
        (0, 1440 + 100.0, False, 2.0, False),   # day 2, block 0: abandoned
        (0, 1440 + 200.0, True, 0.0, False),    # day 2, block 0: met
        (1, 800.0, True, 0.0, False),           # replication 1: block 1 only
    ]
    contacts = pd.DataFrame(rows, columns=["replication", "arrival_min", "answered", "wait_min",
                                           "warmup"]).assign(channel="phone", target_min=1.0)
    out = block_service_levels(contacts, Blocks(60.0, 720.0, False), 2, ["phone"])
    sl = out[out["metric"] == "service_level"].set_index("block")
    assert sl.loc[0, "mean"] == pytest.approx(0.5) and sl.loc[0, "n"] == 1
    assert sl.loc[1, "mean"] == 1.0 and sl.loc[1, "n"] == 1 and math.isnan(sl.loc[1, "ci_low"])
    arrivals = out[out["metric"] == "arrivals"].set_index("block")
    assert arrivals.loc[0, "mean"] == 2.0 and arrivals.loc[0, "n"] == 2  # 4 and 0


@pytest.mark.parametrize("key,value", [
    ("goal", 1.5), ("goal", 0.0), ("block", "5h"), ("block", "soon"),
    ("max_rounds", 0), ("replications", 1), ("weekly", "yes"),
])
def test_bad_options_name_the_key(key, value):
    node = {"goal": 0.8, "block": "4h", "weekly": False, "max_rounds": 30, "replications": 3}
    with pytest.raises(ConfigError, match=rf"^optimize\.{key}="):
        options_from_config({**node, key: value})


def test_options_that_do_not_fit_the_study_name_the_key(erlang_study):
    with pytest.raises(ConfigError, match=r"^optimize\.block='30min'"):
        make_blocks(erlang_study.scenario, Options(block_min=30.0))
    with pytest.raises(ConfigError, match=r"^run\.horizon='3d'.*7d"):
        prepare(erlang_study, Options(weekly=True))


# ---- the command -----------------------------------------------------------------------
def run_optimize(tmp_path: Path, *overrides: str) -> subprocess.CompletedProcess:
    return run_command(tmp_path, "sim.optimize", *overrides)


def test_command_writes_schedule_and_achieved(tmp_path):
    proc = run_optimize(tmp_path, "scenario=erlang", "run.horizon=2d", "run.warmup=2h",
                        "optimize.block=12h", "optimize.replications=3")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "run"
    assert "round  0" in proc.stdout and "agent-h/week" in proc.stdout
    text = (out / "schedule.yaml").read_text()
    assert text.startswith("# Found by: python -m sim.optimize scenario=erlang")
    node = OmegaConf.load(out / "schedule.yaml")
    policy = instantiate(node)
    assert isinstance(policy, Schedule) and set(policy.table) == {"agents"}
    assert len(policy.table["agents"]) == 24 and min(policy.table["agents"]) >= 13
    achieved = pd.read_csv(out / "achieved.csv")
    assert list(achieved.columns) == ["channel", "block", "metric", "mean", "ci_low", "ci_high",
                                      "n"]
    sl = achieved[(achieved["metric"] == "service_level") & (achieved["channel"] == "phone")]
    assert list(sl["block"]) == ["00:00-12:00", "12:00-24:00", "all"]
    assert (sl["mean"] >= GOAL).all() and (sl["n"] == 3).all()


def test_command_bad_goal_stops_with_one_message(tmp_path):
    proc = run_optimize(tmp_path, "scenario=erlang", "optimize.goal=1.5")
    assert proc.returncode == 2
    assert "optimize.goal=1.5" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not (tmp_path / "run" / "schedule.yaml").exists()
