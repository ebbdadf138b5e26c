"""Must show (issue #11): the secure-chat question answered from the comparison alone.

Drives the shipped study ``experiments/secure_chat`` (shortened) through ``python -m
sim.study`` as a consultant would, then checks that its comparison carries the journey
metrics, the money metrics and verdicts, and that they agree with ``journeys.parquet`` and
the jobs' own tables.
"""

from __future__ import annotations

import html
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.compare import load_jobs
from sim.compare.answer import holds, sensitivity_rows
from sim.compare.margins import DEFAULT_MARGINS, absolute, verdict
from sim.metrics import ALLOCATED, JOURNEY_METRICS, MONEY_METRICS

from .conftest import ROOT


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("secure_chat") / "results"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-m", "sim.study", "experiments/secure_chat",
                           "run.horizon=2d", "run.drain=12h", "run.replications=4",
                           "run.progress=false", "--results", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "is better than" in proc.stdout or "is worse than" in proc.stdout \
        or "equivalent" in proc.stdout or "inconclusive" in proc.stdout, proc.stdout
    return out


def test_the_page_leads_with_an_answer_on_journeys_and_money(study):
    page = (study / "comparison.html").read_text()
    answer = page.index("<h2>Answer</h2>")
    assert answer < page.index("<h2>Jobs</h2>")
    lead = page[answer:page.index("<h2>Jobs</h2>")]
    assert "journey_dissatisfaction_rate (all channels)" in lead
    assert "It costs" in lead and ": cost " in lead
    # One comparison per follow (held equal within pairs), and whether the verdict holds.
    assert "escalation.follow=0.6: " in lead and "escalation.follow=0.9: " in lead
    paired = pd.read_csv(study / "paired.csv")
    spread = sensitivity_rows(paired, "journey_dissatisfaction_rate")
    assert spread is not None and len(spread) == 2
    for text in holds(spread):
        assert html.escape(text) in lead
    assert (study / "figures" / "sensitivity.png").is_file()
    # The settings the two policies differ in besides the policy are named.
    assert "escalation.channel phone → chat" in lead


def test_paired_rows_hold_journey_money_and_margin_verdicts(study):
    paired = pd.read_csv(study / "paired.csv")
    every = paired[paired["channel"] == "all"]
    assert set(JOURNEY_METRICS) | set(MONEY_METRICS) <= set(every["metric"])
    # Pairs at equal follow: the context names it, the policy and baseline do not.
    assert set(paired["context"]) == {"escalation.follow=0.6", "escalation.follow=0.9"}
    assert set(paired["policy"]) == {"escalation=to_secure_chat"}
    for _, r in paired.iterrows():
        metric, channel = r["metric"], r["channel"]
        if channel != "all" and metric in ALLOCATED:
            assert r["verdict"] == "none"  # a share of pooled hours is not a channel's
            continue
        if r["direction"] == "none":
            assert r["verdict"] == "none"
            continue
        sign = 1 if r["direction"] == "higher" else -1
        margin = absolute(DEFAULT_MARGINS[metric], r["baseline_mean"], r["policy_mean"])
        assert r["margin"] == pytest.approx(margin, nan_ok=True)
        assert r["verdict"] == verdict(sign, r["diff"], r["ci_low"], r["ci_high"], margin)
    assert set(every["verdict"]) <= {"better", "worse", "equivalent", "inconclusive", "none"}


def test_journey_and_money_differences_are_those_of_the_jobs_tables(study):
    jobs = {j.name: j for j in load_jobs([study]) if j.status == "complete"}
    paired = pd.read_csv(study / "paired.csv")
    every = paired[paired["channel"] == "all"]
    for (base, pol), g in every.groupby(["baseline_jobs", "jobs"]):
        a, b = jobs[str(base)], jobs[str(pol)]
        rates = []
        for job in (a, b):
            journeys = pd.read_parquet(job.path / "journeys.parquet")
            journeys = journeys[~journeys["warmup"]]
            rates.append(journeys.groupby("replication")["resolved"].mean())
        row = g.set_index("metric").loc["journey_resolution_rate"]
        assert row["diff"] == pytest.approx(float((rates[1] - rates[0]).mean()))
        cost = [j.per_replication.query("channel == 'all' and metric == 'cost'")
                .set_index("replication")["value"] for j in (a, b)]
        row = g.set_index("metric").loc["cost"]
        assert row["diff"] == pytest.approx(float((cost[1] - cost[0]).mean()))
        # Cost per resolution is the replication's cost over its resolved journeys.
        per_res = b.per_replication.query("channel == 'all' and "
                                          "metric == 'cost_per_resolution'")
        journeys = pd.read_parquet(b.path / "journeys.parquet")
        resolved = journeys[~journeys["warmup"]].groupby("replication")["resolved"].sum()
        assert np.allclose(per_res.set_index("replication")["value"].sort_index(),
                           (cost[1] / resolved).sort_index())
        assert all(math.isfinite(x) for x in g["diff"])
