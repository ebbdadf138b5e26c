"""Tests for sim.compare: job discovery, the comparison table, paired differences, the CLI
and the Hydra callback (a real sweep in a subprocess)."""

from __future__ import annotations

import base64
import math
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from sim import compare
from sim.compare import Job
from sim.compare.figures import _subsample

from .conftest import ROOT

METRICS = ("service_level", "mean_wait_min", "arrivals")


# --------------------------------------------------------------------------- helpers


def make_job(path: Path, overrides: list[str], values: dict[str, np.ndarray] | None = None,
             channels: tuple[str, ...] = ("all",), contacts: bool = False,
             config: dict | None = None) -> Path:
    """A complete job directory: overrides, per_replication.parquet and summary.csv.

    ``values`` maps a metric to its per-replication values (replications 0..n-1);
    ``config`` is written as the composed config (``.hydra/config.yaml``) when given.
    """
    (path / ".hydra").mkdir(parents=True, exist_ok=True)
    (path / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    if config is not None:
        (path / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
    values = values or {m: np.arange(3.0) for m in METRICS}
    rows = [(r, ch, m, float(v)) for ch in channels for m, vs in values.items()
            for r, v in enumerate(vs)]
    per = pd.DataFrame(rows, columns=["replication", "channel", "metric", "value"])
    per.to_parquet(path / "per_replication.parquet", index=False)
    if contacts:
        rng = np.random.default_rng(len(str(path)))
        n = 400
        pd.DataFrame({
            "replication": np.repeat([0, 1], n // 2), "channel": rng.choice(["phone", "chat"], n),
            "answered": rng.random(n) < 0.9, "wait_min": rng.exponential(2.0, n),
            "target_min": 1.0, "warmup": rng.random(n) < 0.1,
            "dissatisfaction_cause": rng.choice(["none", "late", "abandoned"], n),
        }).to_parquet(path / "contacts.parquet", index=False)
    summary = per.groupby(["channel", "metric"], sort=False)["value"].agg(["mean", "count"])
    summary = summary.reset_index().rename(columns={"count": "n"})
    summary["ci_low"], summary["ci_high"] = summary["mean"] - 1, summary["mean"] + 1
    summary[["channel", "metric", "mean", "ci_low", "ci_high", "n"]].to_csv(path / "summary.csv",
                                                                            index=False)
    return path


def paired_rows(jobs, **kw) -> pd.DataFrame:
    return compare.paired_differences(jobs, **kw)


def as_jobs(*dirs: Path) -> list[Job]:
    return compare.load_jobs(list(dirs))


# --------------------------------------------------------------------------- unit tests


@pytest.mark.parametrize("key,policy", [
    ("routing", True), ("routing.reserve", True), ("routing/organisation", True),
    ("staffing.agents.twitter", True), ("escalation", True), ("+routing.x", True),
    ("seed", False), ("scenario.pools.twitter.agents", False), ("run.horizon", False),
    ("routingx", False),
])
def test_policy_keys(key, policy):
    assert compare.is_policy_key(key) is policy


def test_metric_directions():
    assert compare.direction("service_level") == 1
    for m in ("mean_wait_min", "asa_min", "frt_p50_min", "frt_p90_min", "abandon_rate",
              "dissatisfaction_rate", "dissatisfaction_index", "forced_switch_rate",
              "expectation_violation_rate", "public_exposure", "pileons_per_complaint",
              "frac_delayed", "agent_hours"):
        assert compare.direction(m) == -1
    # Counts rise with volume (pile-ons, retrials): no direction; their rates have one.
    for m in ("arrivals", "answered", "abandoned", "occupancy", "in_system_at_end",
              "unknown_metric"):
        assert compare.direction(m) == 0


def test_paired_ci_is_the_t_interval_of_the_differences(tmp_path):
    rng = np.random.default_rng(1)
    common = rng.normal(0.7, 0.1, 8)  # common random numbers: shared by both policies
    a = common + rng.normal(0, 0.01, 8)
    b = common + 0.03 + rng.normal(0, 0.01, 8)
    base = make_job(tmp_path / "a", ["routing=siloed"], {"service_level": a})
    pol = make_job(tmp_path / "b", ["routing=blended"], {"service_level": b})
    row = paired_rows(as_jobs(base, pol)).iloc[0]
    d = b - a
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    assert row["n_pairs"] == 8
    assert row["diff"] == pytest.approx(d.mean(), rel=1e-12)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((d.mean() - half, d.mean() + half),
                                                            rel=1e-9)
    # Unpaired: Welch's interval (df rounded down), much wider under positive correlation.
    va, vb, n = a.var(ddof=1), b.var(ddof=1), len(a)
    df = (va / n + vb / n) ** 2 / ((va / n) ** 2 / (n - 1) + (vb / n) ** 2 / (n - 1))
    uhalf = stats.t.ppf(0.975, math.floor(df)) * math.sqrt(va / n + vb / n)
    assert (row["unpaired_ci_low"], row["unpaired_ci_high"]) == pytest.approx(
        (d.mean() - uhalf, d.mean() + uhalf), rel=1e-9)
    assert row["ci_ratio"] == pytest.approx(uhalf / half, rel=1e-9)
    assert row["ci_ratio"] > 3
    assert row["variance_reduction"] == pytest.approx(1 - d.var(ddof=1) / (va + vb), rel=1e-12)
    assert row["variance_reduction"] > 0.9
    assert row["significant"] and row["verdict"] == "better" and row["better"] == "routing=blended"
    assert row["baseline"] == "routing=siloed" and row["policy"] == "routing=blended"


def test_p_value_is_the_paired_t_test(tmp_path):
    """``p_value`` is scipy's paired t-test, and agrees with the interval on significance."""
    rng = np.random.default_rng(5)
    common = rng.normal(5.0, 1.0, 6)
    values = {m: (common + rng.normal(0, 0.3, 6), common + shift + rng.normal(0, 0.3, 6))
              for m, shift in (("asa_min", 0.0), ("mean_wait_min", 0.4), ("frt_p90_min", 2.0))}
    jobs = as_jobs(make_job(tmp_path / "a", ["routing=siloed"], {m: v[0] for m, v in values.items()}),
                   make_job(tmp_path / "b", ["routing=blended"], {m: v[1] for m, v in values.items()}))
    rows = paired_rows(jobs).set_index("metric")
    for metric, (a, b) in values.items():
        expected = stats.ttest_rel(b, a).pvalue
        assert rows.loc[metric, "p_value"] == pytest.approx(expected, rel=1e-9, abs=1e-15)
        assert rows.loc[metric, "significant"] == (expected < 0.05)


def test_holm_step_down():
    """Holm (1979): reject in ascending order while p_(k) <= alpha / (m - k + 1)."""
    p = [0.01, 0.04, 0.03, 0.005, math.nan]
    # m = 4: 0.005 <= .0125 yes, 0.01 <= .0167 yes, 0.03 <= .025 no -> stop.
    assert compare.holm(p, 0.05).tolist() == [True, False, False, True, False]
    assert compare.holm([0.01, 0.02], 0.05).tolist() == [True, True]  # .01<=.025, .02<=.05
    assert compare.holm([], 0.05).tolist() == []


@pytest.mark.parametrize("seed", range(3))
def test_holm_is_between_bonferroni_and_no_correction(seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 0.1, 40) ** 2
    rejected = compare.holm(p, 0.05)
    assert (rejected >= (p <= 0.05 / len(p))).all()  # at least Bonferroni's
    assert (rejected <= (p <= 0.05)).all()  # at most the uncorrected tests'
    # Monotone: every p-value below a rejected one is rejected.
    assert (rejected == (p <= p[rejected].max())).all() if rejected.any() else True


def test_holm_holds_the_family_wise_error_rate():
    """Under the null (20 uniform p-values), P(any rejection) <= 5% (binomial 99.9% bound)."""
    rng = np.random.default_rng(11)
    trials = 4000
    any_rejected = sum(compare.holm(rng.uniform(size=20), 0.05).any() for _ in range(trials))
    # For independent tests the rate is 1 - 0.95**(1/20)... ~ 4.9%; above 5% + 3.3 sd is a bug.
    assert any_rejected / trials <= 0.05 + 3.3 * math.sqrt(0.05 * 0.95 / trials)
    assert any_rejected / trials >= 0.03  # and not vacuous: it does reject


def test_holm_corrects_within_each_comparison(tmp_path):
    """One clear difference among many null metrics: the clear one survives Holm; a row
    significant only by chance does not, and the rows without direction never count."""
    rng = np.random.default_rng(3)
    n = 10
    metrics = ["asa_min", "mean_wait_min", "frt_p50_min", "frt_p90_min", "abandon_rate",
               "dissatisfaction_rate", "frac_delayed", "service_level"]
    a = {m: rng.normal(1.0, 0.1, n) for m in metrics + ["occupancy"]}
    b = {m: v + rng.normal(0, 0.1, n) for m, v in a.items()}
    b["service_level"] = a["service_level"] + 0.5 + rng.normal(0, 0.01, n)
    # A borderline "significant" difference: p just under 0.05 on its own.
    d = rng.normal(0, 1, n)
    d = (d - d.mean()) / d.std(ddof=1)
    b["asa_min"] = a["asa_min"] + d + 2.3 / math.sqrt(n)
    jobs = as_jobs(make_job(tmp_path / "a", ["routing=siloed"], a),
                   make_job(tmp_path / "b", ["routing=blended"], b))
    rows = paired_rows(jobs).set_index("metric")
    assert rows.loc["service_level", "significant_holm"]
    assert rows.loc["asa_min", "significant"] and not rows.loc["asa_min", "significant_holm"]
    assert not rows.loc["occupancy", "significant_holm"]
    directed = rows[rows["direction"] != "none"]
    assert directed["significant_holm"].tolist() == compare.holm(directed["p_value"]).tolist()


def test_a_repeated_test_counts_once_in_the_correction(tmp_path):
    """One channel: its rows are the all rows; the family is the all rows alone."""
    rng = np.random.default_rng(0)
    metrics = ["asa_min", "mean_wait_min", "frt_p90_min", "service_level", "abandon_rate"]
    a = {m: rng.normal(1.0, 0.1, 6) for m in metrics}
    b = {m: v + 0.06 + rng.normal(0, 0.05, 6) for m, v in a.items()}
    jobs = as_jobs(make_job(tmp_path / "a", ["routing=siloed"], a, channels=("phone", "all")),
                   make_job(tmp_path / "b", ["routing=blended"], b, channels=("phone", "all")))
    rows = paired_rows(jobs)
    every = rows[rows["channel"] == "all"]
    assert every["significant_holm"].tolist() == compare.holm(every["p_value"]).tolist()
    phone = rows[rows["channel"] == "phone"]
    assert phone["significant_holm"].tolist() == every["significant_holm"].tolist()
    # Counted twice, the same p-values would lose some of these rejections.
    twice = compare.holm(np.concatenate([every["p_value"], every["p_value"]]))[:len(every)]
    assert every["significant_holm"].sum() > twice.sum()


def test_independent_runs_gain_nothing_from_pairing(tmp_path):
    rng = np.random.default_rng(2)
    a, b = rng.normal(10, 1, 400), rng.normal(10, 1, 400)
    jobs = as_jobs(make_job(tmp_path / "a", ["routing=siloed"], {"asa_min": a}),
                   make_job(tmp_path / "b", ["routing=blended"], {"asa_min": b}))
    row = paired_rows(jobs).iloc[0]
    assert abs(row["variance_reduction"]) < 0.2
    assert row["ci_ratio"] == pytest.approx(1.0, abs=0.15)


@pytest.mark.parametrize("sign, diff, low, high, margin, expected", [
    (1, 0.05, 0.03, 0.07, 0.01, "better"),        # beyond the margin, interval above 0
    (-1, 0.05, 0.03, 0.07, 0.01, "worse"),        # lower is better: a rise is worse
    (1, 0.004, 0.002, 0.006, 0.01, "equivalent"),  # significant, but too small to matter
    (1, 0.0, -0.005, 0.005, 0.01, "equivalent"),
    (1, 0.02, -0.01, 0.05, 0.01, "inconclusive"),  # spans 0 and differences that matter
    (1, 0.008, 0.001, 0.015, 0.01, "inconclusive"),  # real, may or may not matter
    (0, 0.05, 0.03, 0.07, 0.01, "none"),
    (1, 0.05, math.nan, math.nan, 0.01, "none"),
])
def test_verdict_reads_the_interval_against_the_margin(sign, diff, low, high, margin, expected):
    from sim.compare.margins import verdict  # noqa: PLC0415

    assert verdict(sign, diff, low, high, margin) == expected


def test_margins_are_checked_and_relative_ones_scale_with_the_baseline():
    from sim.compare.margins import MarginError, absolute, margins  # noqa: PLC0415

    m = margins({"service_level": 0.02, "asa_min": "10%"})
    assert m["service_level"] == 0.02 and absolute(m["asa_min"], 3.0) == pytest.approx(0.3)
    assert absolute(m["cost"], -200.0) == pytest.approx(2.0)  # 1% of the baseline's size
    # Of the larger side, so a zero baseline does not make every difference matter.
    assert absolute(m["pileons_per_complaint"], 0.0, 0.4) == pytest.approx(0.02)
    assert math.isnan(absolute(m["pileons_per_complaint"], 0.0, 0.0))
    for bad in (-0.1, "x%", "-5%", True):
        with pytest.raises(MarginError, match="margins.asa_min"):
            margins({"asa_min": bad})
    for unknown in ("servce_level", "occupancy"):
        with pytest.raises(MarginError, match="not a metric with a better direction"):
            margins({unknown: 0.02})


def test_a_channels_share_of_pooled_hours_gets_no_verdict(tmp_path):
    """Per-channel agent_hours under pooling is an allocation: no verdict, out of Holm's
    family; the all-channel row keeps its verdict."""
    a = np.array([100.0, 101.0, 99.0, 100.0])
    tables = {"agent_hours": a}
    jobs = as_jobs(make_job(tmp_path / "a", ["routing=siloed"], tables,
                            channels=("chat", "all")),
                   make_job(tmp_path / "b", ["routing=blended"], {"agent_hours": a * 0.8},
                            channels=("chat", "all")))
    rows = compare.paired_differences(jobs).set_index("channel")
    assert rows.loc["chat", "verdict"] == "none" and rows.loc["chat", "direction"] == "none"
    assert rows.loc["all", "verdict"] == "better"


@pytest.mark.parametrize("metric,delta,better,verdict", [
    ("service_level", +0.1, "routing=blended", "better"),
    ("service_level", -0.1, "routing=siloed", "worse"),
    ("mean_wait_min", +1.0, "routing=siloed", "worse"),
    ("agent_hours", -5.0, "routing=blended", "better"),
    ("occupancy", +0.1, "none", "none"),
    ("arrivals", 0.0, "none", "none"),
    ("abandon_rate", 0.0, "equivalent", "equivalent"),
    ("abandon_rate", -0.1, "routing=blended", "better"),
    # Counts rise with volume (pile-ons, retrials): a difference, but no verdict.
    ("answered", +5.0, "none", "none"),
    ("abandoned", -3.0, "none", "none"),
])
def test_better_follows_the_metric_direction(tmp_path, metric, delta, better, verdict):
    a = np.array([1.0, 2.0, 3.0, 4.0])
    jobs = as_jobs(make_job(tmp_path / "a", ["routing=siloed"], {metric: a}),
                   make_job(tmp_path / "b", ["routing=blended"], {metric: a + delta}))
    row = paired_rows(jobs).iloc[0]
    assert (row["better"], row["verdict"]) == (better, verdict)
    # A constant shift is a certain difference; no shift is none.
    assert bool(row["significant"]) == (delta != 0)


def test_grouping_pairs_only_policy_differences(tmp_path):
    """Jobs are paired within one scenario value, by (seed, replication); never across."""
    jobs = []
    for i, (branching, routing, seed) in enumerate(
            (b, r, s) for b in ("0.1", "0.5") for r in ("siloed", "blended") for s in ("1", "2")):
        # Values encode the seed and scenario, so a wrong pairing would show in the diffs.
        offset = 100 * float(branching) + 10 * int(seed) + (1 if routing == "blended" else 0)
        jobs.append(make_job(tmp_path / str(i),
                             [f"routing={routing}", f"seed={seed}",
                              f"scenario.channels.twitter.pileon.branching={branching}"],
                             {"asa_min": offset + np.arange(3.0)}))
    table = paired_rows(compare.load_jobs(jobs))
    assert len(table) == 2  # one pair per scenario value
    assert set(table["context"]) == {"scenario.channels.twitter.pileon.branching=0.1",
                                     "scenario.channels.twitter.pileon.branching=0.5"}
    assert (table["diff"] == 1.0).all() and (table["n_pairs"] == 6).all()
    assert (table["seeds"] == "1,2").all()
    assert (table["baseline"] == "routing=siloed").all()


def test_different_seeds_are_never_paired(tmp_path):
    jobs = as_jobs(make_job(tmp_path / "a", ["routing=siloed", "seed=1"]),
                   make_job(tmp_path / "b", ["routing=blended", "seed=2"]))
    assert paired_rows(jobs).empty


def test_policy_parameters_are_paired_and_baseline_is_chosen(tmp_path):
    dirs = [make_job(tmp_path / str(i), ["staffing=fixed", f"staffing.agents.twitter={k}"],
                     {"service_level": np.array([0.5, 0.6, 0.7]) + 0.01 * k})
            for i, k in enumerate((2, 4, 6))]
    table = paired_rows(as_jobs(*dirs))
    assert list(table["baseline"]) == ["staffing.agents.twitter=2"] * 2
    table = paired_rows(as_jobs(*dirs), baseline="staffing.agents.twitter=4")
    assert list(table["baseline"]) == ["staffing.agents.twitter=4"] * 2
    assert sorted(table["diff"].round(9)) == [-0.02, 0.02]
    with pytest.raises(ValueError, match="KEY=VALUE"):
        paired_rows(as_jobs(*dirs), baseline="nonsense")


def test_counts_get_no_verdict_but_their_rates_do(tmp_path):
    a = np.array([100.0, 120.0, 90.0])
    jobs = as_jobs(make_job(tmp_path / "a", ["routing=siloed"],
                            {"answered": a, "abandoned": a / 10, "abandon_rate": [0.1] * 3}),
                   make_job(tmp_path / "b", ["routing=blended"],
                            {"answered": a + 20, "abandoned": a / 10 + 5,
                             "abandon_rate": [0.14, 0.15, 0.16]}))
    rows = paired_rows(jobs).set_index("metric")
    assert rows.loc["answered", "significant"] and rows.loc["abandoned", "significant"]
    for m in ("answered", "abandoned"):
        assert tuple(rows.loc[m, ["direction", "better", "verdict"]]) == ("none", "none", "none")
    assert tuple(rows.loc["abandon_rate", ["direction", "verdict"]]) == ("lower", "worse")
    overview = compare.format_overview(jobs, paired_rows(jobs))
    assert "abandon_rate" in overview and "answered" not in overview


# --------------------------------------------------------------------------- hydra prefixes


def _twitter_staffing_jobs(tmp_path: Path, prefix: str = "++") -> list[Path]:
    return [make_job(tmp_path / str(i), ["staffing=fixed", f"{prefix}staffing.agents.twitter={k}"],
                     {"service_level": np.array([0.5, 0.6, 0.7]) + 0.01 * k})
            for i, k in enumerate((2, 4, 6))]


@pytest.mark.parametrize("baseline", ["++staffing.agents.twitter=4", "+staffing.agents.twitter=4",
                                      "staffing.agents.twitter=4", "~staffing.agents.twitter=4.0"])
def test_baseline_and_override_keys_ignore_hydra_prefixes(tmp_path, baseline):
    jobs = as_jobs(*_twitter_staffing_jobs(tmp_path))
    assert jobs[1].overrides["staffing.agents.twitter"] == "4"
    assert jobs[1].setting("++staffing.agents.twitter") == "4"
    table = paired_rows(jobs, baseline=baseline)
    assert list(table["baseline"]) == ["staffing.agents.twitter=4"] * 2
    assert list(table["policy"]) == ["staffing.agents.twitter=2", "staffing.agents.twitter=6"]
    compare.check_baseline(jobs, baseline)  # matches a job: no error


def test_cli_takes_a_prefixed_baseline(tmp_path, capsys):
    dirs = _twitter_staffing_jobs(tmp_path / "jobs")
    out = tmp_path / "o"
    assert compare.main([*map(str, dirs), "--baseline", "++staffing.agents.twitter=6",
                         "--out", str(out)]) == 0
    paired = pd.read_csv(out / "paired.csv")
    assert set(paired["baseline"]) == {"staffing.agents.twitter=6"}
    assert "staffing.agents.twitter=2 vs staffing.agents.twitter=6" in capsys.readouterr().out


def test_cli_lists_valid_baselines(tmp_path, capsys):
    dirs = _twitter_staffing_jobs(tmp_path / "jobs")
    assert compare.main([*map(str, dirs), "--baseline", "++staffing.agents.twitter=5",
                         "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "no complete job has staffing.agents.twitter=5" in err
    assert ("valid values: staffing.agents.twitter=2, staffing.agents.twitter=4, "
            "staffing.agents.twitter=6") in err
    assert not (tmp_path / "o").exists()


def test_callback_uses_a_prefixed_baseline_and_reports_a_wrong_one(tmp_path, capsys):
    from sim.cli.callbacks import CompareSweep

    sweep = tmp_path / "sweep"
    _twitter_staffing_jobs(sweep)
    callback = CompareSweep(baseline="++staffing.agents.twitter=4")
    callback._sweep_dir = sweep
    callback.on_multirun_end(config=None)
    assert set(pd.read_csv(sweep / "paired.csv")["baseline"]) == {"staffing.agents.twitter=4"}
    assert "comparison ->" in capsys.readouterr().out
    callback = CompareSweep(baseline="staffing.agents.twitter=5")
    callback._sweep_dir = sweep
    callback.on_multirun_end(config=None)
    err = capsys.readouterr().err
    assert "valid values: staffing.agents.twitter=2" in err and "first job" in err
    assert set(pd.read_csv(sweep / "paired.csv")["baseline"]) == {"staffing.agents.twitter=2"}


# --------------------------------------------------------------------------- treatment


def test_a_sweep_over_a_non_policy_key_is_paired(tmp_path):
    """No policy varies: the varying key is the treatment, paired on (seed, replication)."""
    dirs = []
    for i, (quality, seed) in enumerate((q, s) for q in ("1.0", "1.3") for s in ("1", "2")):
        offset = 10 * int(seed) + (2 if quality == "1.3" else 0)
        # run.progress varies too, but changes no result: never a treatment.
        dirs.append(make_job(tmp_path / str(i), [f"scenario.pools.twitter.tool_quality={quality}",
                                                 f"seed={seed}", f"run.progress={i % 2 == 0}"],
                             {"asa_min": offset + np.arange(3.0)}))
    jobs = as_jobs(*dirs)
    treatment = compare.choose_treatment(jobs)
    assert treatment.keys == ("scenario.pools.twitter.tool_quality",)
    assert treatment.reason == "varying"
    table = paired_rows(jobs)
    assert len(table) == 1
    row = table.iloc[0]
    assert row["baseline"] == "scenario.pools.twitter.tool_quality=1.0"
    assert row["policy"] == "scenario.pools.twitter.tool_quality=1.3"
    assert row["context"] == "" and row["seeds"] == "1,2" and row["n_pairs"] == 6
    assert row["diff"] == 2.0 and row["variance_reduction"] == pytest.approx(1.0)
    assert row["verdict"] == "worse"
    table = paired_rows(jobs, baseline="scenario.pools.twitter.tool_quality=1.3")
    assert table.iloc[0]["diff"] == -2.0


def _target_by_staffing(tmp_path: Path, with_config: bool) -> list[Job]:
    """Jobs over a policy key (twitter agents) and a non-policy one (twitter target)."""
    dirs = []
    for i, (target, agents, seed) in enumerate(
            (t, a, s) for t in ("15min", "2h") for a in (2, 4) for s in (1, 2)):
        config = {"seed": seed, "run": {"horizon": "1d", "progress": False},
                  "staffing": {"_target_": "Fixed", "agents": {"twitter": agents}},
                  "scenario": {"channels": {"twitter": {"target": target, "rate": 5}}}}
        # Values encode every setting: a wrong pairing would show in the differences.
        offset = 1000 * seed + 100 * (target == "2h") + agents
        dirs.append(make_job(tmp_path / str(i),
                             [f"scenario.channels.twitter.target={target}",
                              f"++staffing.agents.twitter={agents}", f"seed={seed}"],
                             {"asa_min": offset + np.arange(3.0)},
                             config=config if with_config else None))
    return as_jobs(*dirs)


@pytest.mark.parametrize("with_config", [False, True])
def test_a_policy_key_is_the_treatment_and_other_keys_group(tmp_path, with_config):
    jobs = _target_by_staffing(tmp_path, with_config)
    assert compare.choose_treatment(jobs).reason == "policy"
    table = paired_rows(jobs)
    assert list(table["context"]) == ["scenario.channels.twitter.target=15min",
                                      "scenario.channels.twitter.target=2h"]
    assert (table["baseline"] == "staffing.agents.twitter=2").all()
    assert (table["policy"] == "staffing.agents.twitter=4").all()
    assert (table["diff"] == 2.0).all() and (table["n_pairs"] == 6).all()
    assert (table["seeds"] == "1,2").all()


@pytest.mark.parametrize("with_config", [False, True])
def test_treat_chooses_the_treatment(tmp_path, with_config):
    jobs = _target_by_staffing(tmp_path, with_config)
    table = paired_rows(jobs, treat="++scenario.channels.twitter.target",
                        baseline="scenario.channels.twitter.target=2h")
    assert list(table["context"]) == ["staffing.agents.twitter=2", "staffing.agents.twitter=4"]
    assert (table["baseline"] == "scenario.channels.twitter.target=2h").all()
    assert (table["policy"] == "scenario.channels.twitter.target=15min").all()
    assert (table["diff"] == -100.0).all() and (table["n_pairs"] == 6).all()
    # Both keys as the treatment: one group, every combination against the baseline.
    table = paired_rows(jobs, treat=["scenario.channels.twitter.target", "staffing"])
    assert set(table["context"]) == {""} and len(table) == 3
    assert sorted(table["diff"]) == [2.0, 100.0, 102.0]
    with pytest.raises(ValueError, match="seed"):
        paired_rows(jobs, treat="seed")


def test_cli_treat(tmp_path, capsys):
    jobs = _target_by_staffing(tmp_path / "jobs", with_config=False)
    paths = [str(j.path) for j in jobs]
    out = tmp_path / "o"
    assert compare.main([*paths, "--treat", "scenario.channels.twitter.target", "--out",
                         str(out)]) == 0
    paired = pd.read_csv(out / "paired.csv")
    assert set(paired["policy"]) == {"scenario.channels.twitter.target=2h"}
    assert "Treatment: scenario.channels.twitter.target" in (out / "comparison.html").read_text()
    capsys.readouterr()
    assert compare.main([*paths, "--treat", "scenario.typo", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no complete job has a setting scenario.typo" in err
    assert "scenario.channels.twitter.target" in err


def test_comparison_table_lists_failed_and_missing_jobs(tmp_path):
    ok = make_job(tmp_path / "0", ["routing=siloed", "seed=1"], channels=("phone", "all"))
    failed = tmp_path / "1"
    (failed / ".hydra").mkdir(parents=True)
    (failed / ".hydra" / "overrides.yaml").write_text("- routing=blended\n- seed=1\n")
    (failed / "error.txt").write_text("config error: x=-5: must be positive\nTraceback...\n")
    killed = tmp_path / "2"
    (killed / ".hydra").mkdir(parents=True)
    (killed / ".hydra" / "overrides.yaml").write_text("- routing=edf\n- seed=1\n")
    table = compare.comparison_table(as_jobs(ok, failed, killed))
    assert list(table.columns) == ["job", "routing", "seed", "status", "error", "channel", "metric",
                                   "mean", "ci_low", "ci_high", "n"]
    assert len(table) == 2 * len(METRICS) + 2
    bad = table[table["status"] != "complete"].set_index("job")
    assert bad.loc["1", "status"] == "failed"
    assert bad.loc["1", "error"] == "config error: x=-5: must be positive"
    assert bad.loc["2", "status"] == "missing" and "killed" in bad.loc["2", "error"]
    assert bad["channel"].isna().all() and bad["metric"].isna().all()
    assert table["seed"].dtype == "Int64"


def test_sweep_expansion_follows_hydra_order(tmp_path):
    (tmp_path / "multirun.yaml").write_text(yaml.safe_dump({"hydra": {
        "sweeper": {"_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper",
                    "params": {"run.horizon": "1d,2d"}},
        "overrides": {"task": ["routing=siloed,blended", "seed=1", "run.progress=false"]}}}))
    expected = compare.expected_job_overrides(tmp_path)
    assert len(expected) == 4
    assert expected[0] == ["run.horizon=1d", "routing=siloed", "seed=1", "run.progress=False"]
    assert expected[1][:2] == ["run.horizon=1d", "routing=blended"]
    assert expected[2][:2] == ["run.horizon=2d", "routing=siloed"]
    # A sweep whose jobs 1 and 3 never got a directory lists them as missing.
    make_job(tmp_path / "0", expected[0])
    make_job(tmp_path / "2", expected[2])
    jobs = compare.load_jobs(tmp_path)
    assert [(j.name, j.status) for j in jobs] == [("0", "complete"), ("1", "missing"),
                                                   ("2", "complete"), ("3", "missing")]
    assert jobs[1].overrides["routing"] == "blended" and jobs[3].overrides["run.horizon"] == "2d"


def test_cli_rejects_a_path_that_is_not_results(tmp_path, capsys):
    (tmp_path / "plain").mkdir()
    assert compare.main([str(tmp_path / "plain")]) == 2
    assert compare.main([str(tmp_path / "absent")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "not a results directory" in err[0] and "no such directory" in err[1]


def test_cli_rejects_a_baseline_no_job_has(tmp_path, capsys):
    a = make_job(tmp_path / "a", ["routing=siloed"])
    b = make_job(tmp_path / "b", ["routing=blended"])
    assert compare.main([str(a), str(b), "--baseline", "routing=siloe", "--out",
                         str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "no complete job has routing=siloe" in err
    assert "valid values: routing=siloed, routing=blended" in err
    assert not (tmp_path / "o").exists()


def test_cli_compares_several_single_run_dirs(tmp_path, capsys):
    a = make_job(tmp_path / "day1" / "12-00-00", ["routing=siloed"], contacts=True)
    b = make_job(tmp_path / "day2" / "12-00-00", ["routing=blended"], contacts=True)
    out = tmp_path / "cmp"
    assert compare.main([str(a), str(b), "--out", str(out)]) == 0
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["job"]) == {"day1/12-00-00", "day2/12-00-00"}
    assert (out / "comparison.html").is_file() and (out / "paired.csv").is_file()
    assert "2 jobs: 2 complete" in capsys.readouterr().out


def test_subsample_keeps_the_extremes_and_bounds_size():
    x = np.random.default_rng(3).exponential(size=100_000)
    s = _subsample(x)
    assert len(s) == compare.MAX_CDF_POINTS
    assert s[0] == x.min() and s[-1] == x.max() and np.all(np.diff(s) >= 0)
    assert np.quantile(s, 0.9) == pytest.approx(np.quantile(x, 0.9), rel=1e-3)


# --------------------------------------------------------------------------- end to end


SWEEP = ("routing=siloed,unified_text", "seed=1,2", "run.horizon=1d", "run.replications=3",
         "run.drain=6h", "run.progress=false")


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """A command as a user runs it, on the installed package."""
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    env.pop("PYTHONPATH", None)
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """A real 4-job sweep; the callback registered in conf/config.yaml compares it."""
    root = tmp_path_factory.mktemp("sweep")
    proc = run(["-m", "sim", "-m", *SWEEP, f"hydra.sweep.dir={root / 'sweep'}"], root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return root / "sweep", proc


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.tables = 0

    def handle_starttag(self, tag, attrs) -> None:
        self.tables += tag == "table"
        if tag == "img":
            self.images.append(dict(attrs)["src"])


def test_sweep_callback_writes_the_comparison(sweep):
    sweep_dir, proc = sweep
    assert "comparison ->" in proc.stdout and "4 jobs: 4 complete" in proc.stdout
    table = pd.read_csv(sweep_dir / "comparison.csv")
    assert list(table.columns[:3]) == ["job", "routing", "seed"]
    assert list(table.columns[-8:]) == ["status", "error", "channel", "metric", "mean", "ci_low",
                                        "ci_high", "n"]
    assert {"run.horizon", "run.replications"} <= set(table.columns)
    assert set(table["job"]) == {0, 1, 2, 3} and (table["status"] == "complete").all()
    per_job = table.groupby("job").size()
    assert per_job.nunique() == 1 and per_job.iloc[0] >= 7 * 15  # channels x metrics
    jobs = table.drop_duplicates("job").set_index("job")
    assert list(jobs["routing"]) == ["siloed", "siloed", "unified_text", "unified_text"]
    assert list(jobs["seed"]) == [1, 2, 1, 2]

    paired = pd.read_csv(sweep_dir / "paired.csv")
    assert set(paired["policy"]) == {"routing=unified_text"}
    assert set(paired["baseline"]) == {"routing=siloed"}
    assert (paired["n_pairs"] == 6).all() and set(paired["seeds"]) == {"1,2"}
    everywhere = paired[paired["channel"] == "all"].set_index("metric")
    assert everywhere["significant"].any()  # the two routings differ
    # Common random numbers: phone arrivals are the same customers under both routings.
    phone = paired[(paired["channel"] == "phone") & (paired["metric"] == "arrivals")].iloc[0]
    assert phone["diff"] == 0 and phone["ci_low"] == 0 and phone["ci_high"] == 0
    assert everywhere.loc["service_level", "ci_ratio"] > 1


def test_comparison_page_embeds_every_figure_and_table(sweep):
    sweep_dir, _ = sweep
    pngs = sorted((sweep_dir / "figures").glob("*.png"))
    names = {p.stem for p in pngs}
    assert {"frt_cdf_overlay", "dissatisfaction_causes", "cost_vs_dissatisfaction"} <= names
    page = _Page()
    page.feed((sweep_dir / "comparison.html").read_text(encoding="utf-8"))
    assert len(page.images) == len(pngs)
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        image = mpimg.imread(BytesIO(base64.b64decode(src.split(",", 1)[1])), format="png")
        assert image.shape[0] > 100 and image.shape[1] > 100
    assert page.tables >= 4  # facts, jobs, a paired comparison, results by job
    text = (sweep_dir / "comparison.html").read_text(encoding="utf-8")
    assert "routing=unified_text vs routing=siloed" in text and "<script" not in text


def test_compare_cli_lists_failed_and_missing_jobs(sweep, tmp_path):
    """After a failure (Hydra then skips the callback) the CLI recovers: nothing dropped."""
    copy = tmp_path / "sweep"
    shutil.copytree(sweep[0], copy)
    for name in ("comparison.csv", "paired.csv", "comparison.html"):
        (copy / name).unlink()
    (copy / "1" / "summary.csv").unlink()
    (copy / "1" / "error.txt").write_text("RuntimeError: boom in replication 2\nTraceback ...\n")
    shutil.rmtree(copy / "3")
    proc = run(["-m", "sim.compare", str(copy)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "4 jobs: 2 complete, 1 failed, 1 missing" in proc.stdout
    assert "job 1 failed: RuntimeError: boom in replication 2" in proc.stdout
    assert "job 3 missing" in proc.stdout
    table = pd.read_csv(copy / "comparison.csv")
    bad = table[table["status"] != "complete"].set_index("job")
    assert len(bad) == 2 and bad.loc[1, "status"] == "failed"
    assert bad.loc[1, "error"] == "RuntimeError: boom in replication 2"
    assert bad.loc[3, "status"] == "missing" and bad.loc[3, "routing"] == "unified_text"
    assert bad.loc[3, "seed"] == 2  # from the sweep's overrides in multirun.yaml
    paired = pd.read_csv(copy / "paired.csv")
    assert (paired["n_pairs"] == 3).all() and set(paired["seeds"].astype(str)) == {"1"}
    html = (copy / "comparison.html").read_text(encoding="utf-8")
    assert "boom in replication 2" in html and "missing: no job directory" in html


def test_a_failing_job_is_listed_with_its_config_error(tmp_path):
    """A real sweep with a job that fails validation: listed with python -m sim's message."""
    proc = run(["-m", "sim", "-m", "scenario.channels.phone.rate_per_hour=-5,80",
                "run.horizon=6h", "run.replications=2", "run.drain=1h", "run.progress=false",
                f"hydra.sweep.dir={tmp_path / 'sweep'}"], tmp_path)
    assert proc.returncode != 0  # Hydra fails the sweep and skips the callback
    jobs = compare.load_jobs(tmp_path / "sweep")
    assert [j.status for j in jobs] == ["failed", "complete"]
    assert "rate_per_hour" in jobs[0].error and "\n" not in jobs[0].error
    table = compare.comparison_table(jobs)
    assert table.loc[table["job"] == "0", "status"].tolist() == ["failed"]


def test_sweep_over_a_scenario_key_with_a_prefixed_callback_baseline(tmp_path):
    """A real sweep over a non-policy key (forced with ++), its baseline given to the
    callback with the same prefix: paired on common random numbers against that baseline."""
    proc = run(["-m", "sim", "-m", "++scenario.channels.twitter.target=15min,2h",
                'hydra.callbacks.compare.baseline="++scenario.channels.twitter.target=2h"',
                "run.horizon=6h", "run.replications=2", "run.drain=1h", "run.progress=false",
                f"hydra.sweep.dir={tmp_path / 'sweep'}"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "compare:" not in proc.stderr
    paired = pd.read_csv(tmp_path / "sweep" / "paired.csv")
    assert set(paired["baseline"]) == {"scenario.channels.twitter.target=2h"}
    assert set(paired["policy"]) == {"scenario.channels.twitter.target=15min"}
    assert (paired["n_pairs"] == 2).all()
    # Same seed, same customers: phone arrivals are identical under both targets.
    phone = paired[(paired["metric"] == "arrivals") & (paired["channel"] == "phone")].iloc[0]
    assert phone["diff"] == 0 and phone["ci_low"] == phone["ci_high"] == 0
    assert "scenario.channels.twitter.target=15min vs scenario.channels.twitter.target=2h" \
        in proc.stdout


def test_single_run_is_unaffected_by_the_callback():
    """The callback is registered for every run; it must not import the heavy modules."""
    code = ("import sys; from hydra.utils import instantiate; "
            "cb = instantiate({'_target_': 'sim.cli.callbacks.CompareSweep'}); "
            "print('pandas' in sys.modules, 'matplotlib' in sys.modules)")
    proc = run(["-c", code], ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]
    assert "sim.cli.callbacks.CompareSweep" in (ROOT / "conf" / "config.yaml").read_text()


def test_hold_pairs_policies_at_equal_values_of_a_key_inside_the_treatment(tmp_path):
    """``hold=escalation.follow``: each escalation against the baseline's at the same follow,
    one group per follow value; without it the follow is part of the policy compared."""
    paths = []
    for i, (esc, follow) in enumerate((e, f) for e in ("to_phone", "to_chat") for f in (0.6, 0.9)):
        config = {"seed": 1, "escalation": {"_target_": esc, "follow": follow}}
        values = {"dissatisfaction_rate": np.array([0.3, 0.31, 0.29]) - 0.1 * (esc == "to_chat")
                  + 0.01 * follow}
        paths.append(make_job(tmp_path / str(i), [f"escalation={esc}",
                                                  f"escalation.follow={follow}"],
                              values, config=config))
    jobs = as_jobs(*paths)
    held = compare.paired_differences(jobs, "escalation=to_phone",
                                      treat=compare.choose_treatment(jobs, None,
                                                                     "escalation.follow"))
    assert set(held["context"]) == {"escalation.follow=0.6", "escalation.follow=0.9"}
    assert set(held["policy"]) == {"escalation=to_chat"}
    assert np.allclose(held["diff"], -0.1)
    free = compare.paired_differences(jobs, "escalation=to_phone")
    assert len(set(free["policy"])) == 3  # every other (escalation, follow) against one
    for outside in ("scenario.channels.chat.target", "escalation"):
        with pytest.raises(ValueError, match=f"hold {outside}: not a setting inside"):
            compare.choose_treatment(jobs, None, outside)
