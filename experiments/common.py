"""Shared helpers for the studies' figure scripts (not a study itself: no study.yaml).

The scripts read a study's sweep directory (``results/experiments/<name>``) through
:func:`sim.compare.load_jobs` and each job's ``per_replication.parquet`` (one value per
replication, channel and metric), and add what ``python -m sim.compare`` does not give: the
three social channels as one team (agent-hours summed, shares arrival-weighted), with means
and, where a study needs them, paired differences of those aggregates. Per-channel and
all-channel paired differences are the comparison's own ``paired.csv``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.compare import Job, load_jobs
from sim.metrics import mean_ci

SOCIAL = ("twitter", "facebook", "messages")


def jobs(results: Path | str) -> list[Job]:
    """The complete jobs of a sweep directory, in job order."""
    return [j for j in load_jobs([Path(results)]) if j.status == "complete"]


def per_replication(job: Job) -> pd.DataFrame:
    """Wide per-replication table: one row per replication, columns ``<channel>.<metric>``."""
    p = job.per_replication
    wide = p.pivot_table(index="replication", columns=["channel", "metric"], values="value",
                         aggfunc="first")
    wide.columns = [f"{c}.{m}" for c, m in wide.columns]
    return wide


def social(job: Job) -> pd.DataFrame:
    """Per replication: the three social channels as one team, plus a few per-channel metrics.

    ``social.agent_hours`` sums the three channels' staffed hours (under siloed pools, the
    social pools' hours; under pooled routings, the pools' hours shared out by busy time);
    shares and the index are arrival-weighted over the three channels.
    """
    w = per_replication(job)
    arrivals = sum(w[f"{c}.arrivals"] for c in SOCIAL)
    out = pd.DataFrame(index=w.index)
    out["social.agent_hours"] = sum(w[f"{c}.agent_hours"] for c in SOCIAL)
    for metric in ("service_level", "dissatisfaction_rate", "dissatisfaction_index"):
        out[f"social.{metric}"] = sum(w[f"{c}.{metric}"] * w[f"{c}.arrivals"]
                                      for c in SOCIAL) / arrivals
    for c in SOCIAL:
        out[f"{c}.frt_p50_min"] = w[f"{c}.frt_p50_min"]
        out[f"{c}.frt_p90_min"] = w[f"{c}.frt_p90_min"]
    for c in ("twitter", "facebook"):
        out[f"{c}.pileons_per_complaint"] = w[f"{c}.pileons_per_complaint"]
        out[f"{c}.public_exposure"] = w[f"{c}.public_exposure"]
    out["all.agent_hours"] = w["all.agent_hours"]
    out["all.dissatisfaction_rate"] = w["all.dissatisfaction_rate"]
    return out


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% Student-t interval over replications of every column."""
    rows = []
    for col in table.columns:
        m, lo, hi, n = mean_ci(table[col].astype(float).tolist())
        rows.append({"metric": col, "mean": m, "ci_low": lo, "ci_high": hi, "n": n})
    return pd.DataFrame(rows)


def paired(policy: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """Paired differences policy - baseline over the replications both ran (same seed)."""
    common = policy.index.intersection(baseline.index)
    return summary(policy.loc[common] - baseline.loc[common])


def switched(results: Path | str, switch: str, context: Sequence[str],
             shown: Sequence[tuple[str, str, float]], off: str = "false",
             on: str = "true") -> pd.DataFrame:
    """A feature switched on against off, at each value of the swept ``context`` keys.

    ``switch`` is a key swept between ``off`` and ``on`` (an ``...enabled`` key, or a
    policy); the job with it off at each context value is the baseline of the job with it
    on at the same values (an unused context key gives the same customers and results). ``shown``: (per-replication column ``<channel>.<metric>``,
    label, scale). One row per job with the feature on and per shown column: its context
    values, ``diff`` (on - off, paired over replications, scaled) with ``lo``, ``hi``, and
    both means (``on``, ``off``).
    """
    setting = lambda job, key: str(job.setting(key)).lower()  # noqa: E731
    done = jobs(results)
    columns = [c for c, _, _ in shown]
    baseline = {tuple(setting(j, k) for k in context): per_replication(j)[columns]
                for j in done if setting(j, switch) == off}
    rows = []
    for job in done:
        if setting(job, switch) != on:
            continue
        where = tuple(setting(job, k) for k in context)
        treated = per_replication(job)[columns]
        diff = paired(treated, baseline[where])
        for (col, label, scale), (_, d) in zip(shown, diff.iterrows()):
            rows.append({**dict(zip(context, where)), "metric": label,
                         "diff": d["mean"] * scale, "lo": d["ci_low"] * scale,
                         "hi": d["ci_high"] * scale, "on": float(treated[col].mean()) * scale,
                         "off": float(baseline[where][col].mean()) * scale})
    return pd.DataFrame(rows)


def finish(fig, table: pd.DataFrame, here: Path, name: str, digits: int = 4) -> pd.DataFrame:
    """Save ``fig`` as ``figures/<name>.png`` next to the study's script (``here``) and
    print ``table`` with ``digits`` significant digits; returns the table."""
    (here / "figures").mkdir(exist_ok=True)
    fig.savefig(here / "figures" / f"{name}.png", dpi=110)
    pd.set_option("display.width", 180)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.{digits}g}"))
    return table


def results_dir(here: Path, argv: Sequence[str]) -> Path:
    """The study's results directory: the command line's, else
    ``results/experiments/<study>`` of the repository."""
    return Path(argv[1]) if len(argv) > 1 else here.parents[1] / "results" / "experiments" / here.name


def fmt(mean: float, lo: float, hi: float, digits: int = 3) -> str:
    """``mean [lo, hi]`` with ``digits`` significant digits."""
    if not np.isfinite(mean):
        return "nan"
    return f"{mean:.{digits}g} [{lo:.{digits}g}, {hi:.{digits}g}]"
