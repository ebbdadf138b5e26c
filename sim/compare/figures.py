"""The data behind the comparison figures, and which figures apply to a set of jobs.

The figures themselves are pure functions of small tables in :mod:`.plots`;
this module reads the jobs' tables (one job at a time, only the columns needed) and pools
jobs that differ only in their seed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..metrics import summary_ci
from .jobs import COMPLETE, Job, override_keys
from .settings import varying

#: At most this many first-response times per label and channel are kept for the CDF overlay.
MAX_CDF_POINTS = 20_000
_CURVE_METRICS = ("service_level", "mean_wait_min", "dissatisfaction_rate")
_HEAT_METRICS = ("service_level", "dissatisfaction_rate")


def _plot_keys(jobs: Sequence[Job]) -> list[str]:
    """Override keys that vary across complete jobs, seed excluded (seeds are pooled)."""
    complete = [j for j in jobs if j.status == COMPLETE]
    keys = [k for k in override_keys(complete) if k != "seed"]
    return varying({k: j.setting(k) for k in keys} for j in complete)


def _short(key: str) -> str:
    parts = key.split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else key


def _plot_label(job: Job, keys: Sequence[str]) -> str:
    return " ".join(f"{_short(k)}={job.setting(k)}" for k in keys) or "all jobs"


def _subsample(values: np.ndarray, k: int = MAX_CDF_POINTS) -> np.ndarray:
    """At most ``k`` evenly spaced order statistics: the ECDF keeps its shape exactly."""
    values = np.sort(values)
    if values.size <= k:
        return values
    return values[np.linspace(0, values.size - 1, k).round().astype(int)]


def _contact_data(jobs: Sequence[Job], keys: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """CDF points, cause counts and targets from ``contacts.parquet``, one job at a time.

    Only the needed columns of non-warm-up rows are read, and at most
    :data:`MAX_CDF_POINTS` waits are kept per label and channel, so memory stays bounded
    by one job's columns however many jobs there are.
    """
    waits: dict[tuple[str, str], list[np.ndarray]] = {}
    answered_n: dict[tuple[str, str], list[int]] = {}
    causes: dict[tuple[str, str], int] = {}
    totals: dict[str, int] = {}
    targets: dict[str, float] = {}
    for job in jobs:
        if job.status != COMPLETE or not job.has_contacts:
            continue
        label = _plot_label(job, keys)
        try:
            c = job.contacts(["channel", "answered", "wait_min", "target_min",
                              "dissatisfaction_cause"], filters=[("warmup", "==", False)])
        except Exception:  # noqa: BLE001 - an unreadable table leaves this job out of the plots
            continue
        c = c.assign(channel=c["channel"].astype(str))
        answered = c[c["answered"].to_numpy(bool)]
        for ch, g in answered.groupby("channel", sort=True):
            waits.setdefault((label, ch), []).append(_subsample(g["wait_min"].dropna().to_numpy(float)))
        for ch, g in c.groupby("channel", sort=True):
            n = answered_n.setdefault((label, str(ch)), [0, 0])
            n[0] += int(g["answered"].to_numpy(bool).sum())
            n[1] += len(g)
        for ch, t in c.groupby("channel")["target_min"].first().items():
            targets.setdefault(str(ch), float(t))
        for cause, k in c["dissatisfaction_cause"].astype(str).value_counts().items():
            causes[(label, str(cause))] = causes.get((label, str(cause)), 0) + int(k)
        totals[label] = totals.get(label, 0) + len(c)
    rows = [pd.DataFrame({"label": lab, "channel": ch, "wait_min": _subsample(np.concatenate(parts)),
                          "answered_share": answered_n[lab, ch][0] / answered_n[lab, ch][1]})
            for (lab, ch), parts in waits.items()]
    wait_table = (pd.concat(rows, ignore_index=True) if rows
                  else pd.DataFrame(columns=["label", "channel", "wait_min", "answered_share"]))
    cause_table = pd.DataFrame([(lab, cause, k, totals[lab]) for (lab, cause), k in causes.items()],
                               columns=["label", "cause", "count", "total"])
    return wait_table, cause_table, targets


def _pooled(jobs: Sequence[Job], by: Mapping[str, Any], metrics: Sequence[str],
            channel: str) -> pd.DataFrame:
    """Mean and CI of metrics over all replications of jobs sharing settings (seeds pooled).

    ``by`` maps an output column to a function ``job -> value``; one row per distinct
    combination of those values and metric.
    """
    frames = []
    for job in jobs:
        if job.status != COMPLETE or not (job.path / "per_replication.parquet").is_file():
            continue
        t = job.per_replication
        t = t[(t["channel"].astype(str) == channel) & t["metric"].isin(metrics)]
        frames.append(t.assign(**{col: [f(job)] * len(t) for col, f in by.items()}))
    cols = [*by, "metric", "mean", "ci_low", "ci_high", "n"]
    if not frames:
        return pd.DataFrame(columns=cols)
    data = pd.concat(frames, ignore_index=True)
    rows = []
    for key, g in data.groupby([*by, "metric"], sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        rows.append((*key, *summary_ci(g["value"].to_numpy(float), key[-1])))
    out = pd.DataFrame(rows, columns=cols)
    order = {m: i for i, m in enumerate(metrics)}  # panels in the order asked for
    return out.sort_values("metric", key=lambda m: m.map(order), kind="stable").reset_index(drop=True)


def _numeric(values: Iterable[Any]) -> bool:
    vals = [v for v in values if v is not None]
    return bool(vals) and pd.to_numeric(pd.Series(vals, dtype=object), errors="coerce").notna().all()


def comparison_figures(jobs: Sequence[Job]) -> dict[str, Any]:
    """The figures that apply to these jobs, by name (see :mod:`.plots`).

    Always: cost vs dissatisfaction with the Pareto front; when jobs wrote their contacts
    (not summary-only, :mod:`sim.outputs`), first-response-time CDFs overlaid per channel
    and dissatisfaction by cause. For each numeric key that varies (seed
    excepted): metric curves against it, one line per value of the other varying keys. For
    exactly two varying keys: heatmaps. Jobs that differ only in their seed are pooled.
    """
    from . import plots as cp  # noqa: PLC0415 - matplotlib only when drawing

    complete = [j for j in jobs if j.status == COMPLETE]
    keys = _plot_keys(complete)
    figures: dict[str, Any] = {}
    if any(j.has_contacts for j in complete):
        waits, causes, targets = _contact_data(complete, keys)
        figures["frt_cdf_overlay"] = cp.frt_cdf_overlay(waits, targets)
        figures["dissatisfaction_causes"] = cp.dissatisfaction_causes(causes)
    channels = {c for j in complete for c in _per_rep_names(j, "channel")}
    for x in [k for k in keys if _numeric(j.setting(k) for j in complete)][:4]:
        others = [k for k in keys if k != x]
        # A key such as scenario.pools.twitter.agents speaks about one channel: show that one.
        channel = next((p for p in x.split(".") if p in channels), "all")
        pts = _pooled(complete, {"x": lambda j, x=x: float(j.setting(x)),
                                 "line": lambda j, o=others: _plot_label(j, o) if o else ""},
                      _CURVE_METRICS, channel)
        figures[f"curves_{x}"] = cp.metric_curves(pts, x, line_label=" ".join(others) or None,
                                                  channel=channel)
    if len(keys) == 2:
        kx, ky = keys
        pts = _pooled(complete, {"x": lambda j: j.setting(kx), "y": lambda j: j.setting(ky)},
                      _HEAT_METRICS, "all")
        figures[f"heatmap_{kx}_{ky}"] = cp.heatmaps(pts, kx, ky)
    harm = "dissatisfaction_index"
    if not any(harm in _per_rep_names(j, "metric") for j in complete):
        harm = "dissatisfaction_rate"
    pts = _pooled(complete, {"label": lambda j: _plot_label(j, keys)}, ["agent_hours", harm], "all")
    figures["cost_vs_dissatisfaction"] = cp.cost_vs_dissatisfaction(_cost_points(pts, harm), harm)
    return figures


def _per_rep_names(job: Job, column: str) -> set[str]:
    """The channels or metrics of a job's per-replication table (none if unreadable)."""
    try:
        return set(job.per_replication[column].astype(str))
    except Exception:  # noqa: BLE001 - a job without the table just offers nothing
        return set()


def _cost_points(pooled: pd.DataFrame, harm: str) -> pd.DataFrame:
    cols = ["label", "cost", "cost_low", "cost_high", "harm", "harm_low", "harm_high"]
    if pooled.empty:
        return pd.DataFrame(columns=cols)
    wide = pooled.pivot_table(index="label", columns="metric", values=["mean", "ci_low", "ci_high"],
                              sort=False)
    labels = list(dict.fromkeys(pooled["label"]))
    get = lambda stat, m: (wide[(stat, m)].reindex(labels).to_numpy(float)  # noqa: E731
                           if (stat, m) in wide.columns else np.full(len(labels), np.nan))
    return pd.DataFrame({"label": labels, "cost": get("mean", "agent_hours"),
                         "cost_low": get("ci_low", "agent_hours"),
                         "cost_high": get("ci_high", "agent_hours"), "harm": get("mean", harm),
                         "harm_low": get("ci_low", harm), "harm_high": get("ci_high", harm)})
