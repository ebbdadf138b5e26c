"""Precision mode (sim/precision.py): replications added until the targets are met."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sim.cli.config import build_setup
from sim.errors import ConfigError
from sim.precision import Precision, Target, parse_targets, relative_half_width
from sim.replications import run_replications

from .conftest import compose_config

ERLANG = ["scenario=erlang", "run.horizon=1d", "run.warmup=2h", "run.progress=false",
          "run.figures=false"]


def _per_rep(values: list[float], metric: str = "mean_wait_min") -> pd.DataFrame:
    return pd.DataFrame({"replication": range(len(values)), "channel": "all",
                         "metric": metric, "value": values})


def test_next_total_grows_from_the_pilot_spread_and_stops_when_precise():
    rule = Precision(0.05, (Target("mean_wait_min"),), most=50)
    precise = _per_rep([1.0, 1.01, 0.99, 1.0, 1.0])
    assert rule.next_total(rule.widths(precise), 5) == 5
    loose = _per_rep([1.0, 1.5, 0.5, 1.2, 0.8])
    w = relative_half_width(loose["value"], "mean_wait_min")
    assert rule.next_total(rule.widths(loose), 5) == min(50, 20,
                                                         math.ceil(5 * (w / 0.05) ** 2))
    at_bound = Precision(0.05, rule.targets, most=5)
    assert at_bound.next_total(rule.widths(loose), 5) == 5


def test_a_target_without_any_value_stops_the_search_at_once():
    """Nothing to estimate (a channel where nothing was answered): more replications would
    not give it a value, so none are added."""
    rule = Precision(0.05, (Target("asa_min"),), most=50)
    other_metric = _per_rep([1.0, 2.0], metric="mean_wait_min")
    assert rule.next_total(rule.widths(other_metric), 2) == 2
    unanswered = _per_rep([math.nan, math.nan], metric="asa_min")
    assert rule.next_total(rule.widths(unanswered), 2) == 2


def test_parse_targets_names_what_is_valid():
    assert parse_targets(["asa_min", "phone/service_level"], ["phone"]) == (
        Target("asa_min"), Target("service_level", "phone"))
    with pytest.raises(ValueError, match="not a summary metric"):
        parse_targets(["asa"], ["phone"])
    with pytest.raises(ValueError, match="channels: phone"):
        parse_targets(["fax/asa_min"], ["phone"])


def test_precision_run_is_the_fixed_run_of_its_length_and_meets_its_target():
    """Same seed: a precision run that stopped at n replications holds exactly the
    replications of a run of n from the start, and its target is met (not at the bound)."""
    notes: list[str] = []
    setup = build_setup(compose_config([*ERLANG, "run.replications=3", "run.precision=0.1",
                                        "run.precision_metrics=[service_level]"]))
    res = run_replications(setup, note=notes.append)
    n = res.per_replication["replication"].nunique()
    assert 3 < n < 100 and "reached" in res.precision and len(notes) >= 2
    rows = res.per_replication[(res.per_replication["channel"] == "all")
                               & (res.per_replication["metric"] == "service_level")]
    assert relative_half_width(rows["value"], "service_level") <= 0.1
    fixed = run_replications(replace(setup, run=replace(setup.run, replications=n,
                                                        precision=None)))
    pd.testing.assert_frame_equal(res.per_replication.sort_values(
        ["replication", "channel", "metric"]).reset_index(drop=True),
        fixed.per_replication.sort_values(["replication", "channel", "metric"])
        .reset_index(drop=True))
    assert np.array_equal(res.contacts["wait_min"].to_numpy(), fixed.contacts["wait_min"]
                          .to_numpy(), equal_nan=True)


@pytest.mark.parametrize("override, key, words", [
    ("run.precision=1.5", "run.precision", "(0, 1)"),
    ("run.precision_metrics=[asa]", "run.precision_metrics", "not a summary metric"),
    ("run.precision_metrics=[]", "run.precision_metrics", "at least one"),
    ("run.max_replications=2", "run.max_replications", ">= run.replications"),
    ("run.precision_metrics=[cost]", "run.precision_metrics", "no pool has a cost_per_hour"),
])
def test_bad_precision_settings_are_config_errors(override, key, words):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")) as err:
        build_setup(compose_config([*ERLANG, "run.replications=3", "run.precision=0.05",
                                    override]))
    assert words in str(err.value)


def test_precision_needs_a_pilot_of_two():
    with pytest.raises(ConfigError, match="run.replications"):
        build_setup(compose_config([*ERLANG, "run.replications=1", "run.precision=0.05"]))
