"""Hostile and extreme input (issue #13): each stops before simulating with one message
naming the key and what is valid: sizes that cannot fit, values that overflow, non-finite
numbers, ``_target_`` values that are not policies, strings where lists belong."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from omegaconf import open_dict

from sim import budget
from sim.cli.config import build_setup
from sim.errors import ConfigError, InvalidValue

from .conftest import assert_config_error, compose_config, run_command

#: override(s) -> (the key the message names, a phrase of what is valid)
REFUSED = {
    "scenario=erlang scenario.rate_per_hour=1e12 run.horizon=1h run.warmup=0": (
        "scenario.rate_per_hour", "would bring about"),
    "scenario.channels.phone.rate_per_hour=1e9": (
        "scenario.channels.phone.rate_per_hour", "of memory; this machine has"),
    "run.horizon=1e30min": ("run.horizon", "at most"),
    "scenario.incidents=[{channels:[phone],factor:1e9,duration:2h,at:1d}]": (
        "scenario.incidents[0].factor", "would bring about"),
    "scenario.channels.twitter.reach.sigma=40": ("scenario.channels.twitter.reach.sigma",
                                                 "must be <= 10"),
    "scenario.channels.twitter.pileon.reach_exponent=50": (
        "scenario.channels.twitter.pileon.reach_exponent", "overflows"),
    "scenario.dissatisfaction.weights.late=inf": ("scenario.dissatisfaction.weights.late",
                                                  "finite"),
    "scenario.channels.phone.daily_variance=inf": ("scenario.channels.phone.daily_variance",
                                                   "finite"),
    "scenario.channels.chat.negative_share=nan": ("scenario.channels.chat.negative_share",
                                                  "finite"),
    "routing=priority routing.order=twitter": ("routing.order", "must be a list of channel"),
    "scenario.channels.phone.handle={dist:lognormal,mean:5min,cv:1e200}": (
        "scenario.channels.phone.handle.cv", "for a lognormal"),
    "scenario.trace=": ("scenario.trace", "must be the path of a CSV file"),
    "escalation._target_=builtins.open": ("escalation._target_", "the standard library"),
    "routing._target_=os.system": ("routing._target_", "the standard library"),
    "staffing._target_=numpy.ndarray": ("staffing._target_", "must name a class implementing"),
    "scenario._target_=builtins.print": ("scenario._target_", "must name a scenario builder"),
}


@pytest.mark.parametrize("overrides", REFUSED)
def test_refused_naming_the_key_before_anything_is_built(overrides):
    start = time.perf_counter()
    assert_config_error(overrides.split(), *REFUSED[overrides])
    assert time.perf_counter() - start < 10


def test_a_target_in_the_standard_library_is_never_imported():
    """Importing runs a module's code: a module named in _target_ is imported only when it
    could hold a policy (antigravity would open a web browser)."""
    sys.modules.pop("antigravity", None)
    with pytest.raises(ConfigError, match=r"^escalation\._target_="):
        build_setup(compose_config(["escalation._target_=antigravity.Policy"]))
    assert "antigravity" not in sys.modules


def test_a_pool_with_no_skills_names_its_key():
    cfg = compose_config([])
    with open_dict(cfg):
        cfg.scenario.pools.phone.skills = {}
    with pytest.raises(ConfigError, match=r"^scenario\.pools\.phone\.skills=\{\}: must name at "):
        build_setup(cfg)


def test_the_size_estimate_follows_the_scenario():
    """The estimate is the expected arrivals (weekly mean rates over the horizon), with
    incidents' surges, and the memory measured per contact; the default study fits."""
    setup = build_setup(compose_config(["scenario=erlang", "scenario.rate_per_hour=600",
                                        "run.horizon=10h", "run.warmup=0"]))
    found = budget.estimate(setup.scenario, setup.run.horizon_min, 3)
    assert found.per_replication == pytest.approx(6000)
    assert found.contacts == pytest.approx(18000)
    assert found.memory_bytes == pytest.approx(budget.BASE_BYTES + budget.BYTES_PER_DRAWN * 6000
                                               + budget.BYTES_PER_KEPT * 18000)
    surge = build_setup(compose_config([
        "scenario.incidents=[{channels:[phone],factor:3,duration:2h,at:1d}]"])).scenario
    calm = build_setup(compose_config([])).scenario
    phone = next(c for c in calm.channels if c.name == "phone").arrivals.rate_per_hour / 60
    week = 7 * 1440.0
    assert (budget.estimate(surge, week, 1).per_replication
            - budget.estimate(calm, week, 1).per_replication) == pytest.approx(2 * phone * 120)
    with pytest.raises(InvalidValue) as err:
        budget.check(calm, week, 5, available=budget.BASE_BYTES)
    assert err.value.field == "rate:phone" and "available" in err.value.valid


@pytest.mark.parametrize("overrides", [
    ["scenario=erlang", "scenario.rate_per_hour=1e12", "run.horizon=1h", "run.warmup=0"],
    ["scenario.channels.twitter.pileon.reach_exponent=50"],
    ["escalation._target_=builtins.open"],
])
def test_the_command_line_refuses_in_seconds_with_one_line(tmp_path, overrides):
    start = time.perf_counter()
    proc = run_command(tmp_path, "sim", *overrides)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("config error: ") and len(proc.stderr.splitlines()) == 1
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "run" / "summary.csv").exists()
    assert time.perf_counter() - start < 30


def test_a_fifo_trace_does_not_hang_the_command(tmp_path):
    import os  # noqa: PLC0415

    fifo = tmp_path / "arrivals.csv"
    os.mkfifo(fifo)
    try:
        proc = run_command(tmp_path, "sim", f"scenario.trace={fifo}")
    except subprocess.TimeoutExpired:  # pragma: no cover - the failure this guards against
        pytest.fail("python -m sim blocked on a FIFO given as scenario.trace")
    assert proc.returncode == 2 and "not a regular file" in proc.stderr
