"""The back-test's metrics, defined alike for the history and the simulation.

Per channel and interval of arrival: ``offered`` (contacts that arrived: every attempt),
``abandon_rate`` (abandoned / offered), ``asa_s`` (mean wait of the answered, seconds) and
``service_level`` (answered within the channel's target / (answered + abandoned)); and the
same over the whole period, counted over the (channel, interval) cells the history has.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..history import IntervalReport

__all__ = ["COLUMNS", "METRICS", "observed", "observed_period", "per_interval", "show",
           "simulated", "simulated_period"]

METRICS = ("offered", "abandon_rate", "asa_s", "service_level")
#: Columns of ``backtest.csv``.
COLUMNS = ("interval_start", "channel", "metric", "observed", "sim_mean", "sim_low",
           "sim_high")
_TOTALS = ["offered", "answered", "abandoned", "waited", "met"]


def show(metric: str, x: float) -> str:
    """A value of ``metric`` as a person reads it: rates in %, contacts whole, ASA in s."""
    if metric in ("abandon_rate", "service_level"):
        return f"{x:.1%}"
    return f"{x:,.0f}" if metric == "offered" else f"{x:.1f} s"


def _ratio(num: Any, den: Any) -> np.ndarray:
    num, den = np.asarray(num, float), np.asarray(den, float)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _metrics(t: Any) -> dict[str, np.ndarray]:
    """The metrics from totals of offered, answered, abandoned, waited (s) and met."""
    return {"offered": np.asarray(t["offered"], float),
            "abandon_rate": _ratio(t["abandoned"], t["offered"]),
            "asa_s": _ratio(t["waited"], t["answered"]),
            "service_level": _ratio(t["met"], np.asarray(t["answered"], float)
                                    + np.asarray(t["abandoned"], float))}


def _in_order(report: IntervalReport) -> pd.DataFrame:
    """The report's rows, channels in the file's order (as the calibrated scenario has them)."""
    rank = {c: i for i, c in enumerate(report.channels)}
    return report.table.iloc[np.argsort(report.table["channel"].map(rank).to_numpy(),
                                        kind="stable")]


def observed(report: IntervalReport, origin: pd.Timestamp) -> pd.DataFrame:
    """The report's metrics, long: ``interval_start, channel, interval, metric, observed``
    (``interval``: index from ``origin`` in the report's interval length; NaN where the
    report has no value: no contact offered or answered, or an empty optional column)."""
    t = _in_order(report)
    length = pd.Timedelta(minutes=report.interval_min)
    values = {"offered": t["offered"].to_numpy(float),
              "abandon_rate": _ratio(t["abandoned"], t["offered"])}
    if "asa_s" in t:
        values["asa_s"] = np.where(t["handled"].to_numpy() > 0, t["asa_s"].to_numpy(float),
                                   np.nan)
    if "service_level" in t:
        values["service_level"] = t["service_level"].to_numpy(float)
    index = ((t["interval_start"] - origin) // length).to_numpy(np.int64)
    return pd.concat([pd.DataFrame({"interval_start": t["interval_start"].to_numpy(),
                                    "channel": t["channel"].to_numpy(), "interval": index,
                                    "metric": m, "observed": v})
                      for m, v in values.items()], ignore_index=True)


def observed_period(report: IntervalReport) -> pd.DataFrame:
    """The report's metrics over its whole period: ``channel, metric, observed``. ASA and
    service level over the intervals that give them (a column left empty in some rows
    weighs nothing there, in the numerator as in the denominator)."""
    rows = []
    for name, g in _in_order(report).groupby("channel", sort=False):
        handled, abandoned = g["handled"].to_numpy(float), g["abandoned"].to_numpy(float)
        offered = float(g["offered"].sum())
        values = {"offered": offered,
                  "abandon_rate": abandoned.sum() / offered if offered > 0 else np.nan}
        for column, weight in (("asa_s", handled), ("service_level", handled + abandoned)):
            if column in g:
                x = g[column].to_numpy(float)
                ok = np.isfinite(x) & (weight > 0)
                values[column] = (float(np.sum(x[ok] * weight[ok]) / weight[ok].sum())
                                  if ok.any() else np.nan)
        rows += [{"channel": name, "metric": m, "observed": float(v)}
                 for m, v in values.items() if np.isfinite(v)]
    return pd.DataFrame(rows)


def simulated(contacts: pd.DataFrame, interval_min: float, n_intervals: int,
              channels: tuple[str, ...]) -> pd.DataFrame:
    """Each replication's totals per channel and interval of arrival: ``replication,
    channel, interval, offered, answered, abandoned, waited`` (seconds, of the answered)
    and ``met`` (answered within target).

    ``contacts`` is a run's contact table (every replication; columns ``replication``,
    ``channel``, ``arrival_min``, ``answered``, ``abandoned``, ``wait_min``,
    ``target_min``).
    """
    reps = np.sort(contacts["replication"].unique())
    frames = []
    for name in channels:
        c = contacts[contacts["channel"].astype(str) == name]
        idx = (c["arrival_min"].to_numpy(float) // interval_min).astype(np.int64)
        rep = np.searchsorted(reps, c["replication"].to_numpy())
        keep = (idx >= 0) & (idx < n_intervals)
        answered = c["answered"].to_numpy(bool)[keep]
        wait = c["wait_min"].to_numpy(float)[keep]
        weights = {"offered": None, "answered": answered,
                   "abandoned": c["abandoned"].to_numpy(bool)[keep],
                   "waited": np.where(answered, wait * 60.0, 0.0),
                   "met": answered & (wait <= c["target_min"].to_numpy(float)[keep])}
        cells = rep[keep] * n_intervals + idx[keep]
        size = len(reps) * n_intervals
        frames.append(pd.DataFrame({
            "replication": np.repeat(reps, n_intervals), "channel": name,
            "interval": np.tile(np.arange(n_intervals), len(reps)),
            **{k: np.bincount(cells, w, minlength=size).astype(float)
               for k, w in weights.items()}}))
    return pd.concat(frames, ignore_index=True)


def per_interval(totals: pd.DataFrame) -> pd.DataFrame:
    """:func:`simulated`'s totals as metrics, long: ``replication, channel, interval,
    metric, value``."""
    keys = totals[["replication", "channel", "interval"]]
    return pd.concat([keys.assign(metric=m, value=v) for m, v in _metrics(totals).items()],
                     ignore_index=True)


def _cells(obs: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The (channel, interval) cells where the history has ``metric`` (offered's for the
    abandonment rate: an interval with nothing offered adds nothing to it)."""
    name = "offered" if metric == "abandon_rate" else metric
    rows = obs[(obs["metric"] == name) & obs["observed"].notna()]
    return rows[["channel", "interval"]]


def simulated_period(totals: pd.DataFrame, obs: pd.DataFrame) -> pd.DataFrame:
    """Each replication's metrics over the history's own cells, long: ``replication,
    channel, metric, value``: only the intervals the history observed in each channel, so
    that a channel reported from Thursday is not judged on its simulated Monday."""
    frames = []
    for metric in METRICS:
        seen = totals.merge(_cells(obs, metric), on=["channel", "interval"])
        if seen.empty:
            continue
        sums = seen.groupby(["replication", "channel"], sort=False)[_TOTALS].sum()
        frames.append(sums.index.to_frame(index=False).assign(
            metric=metric, value=_metrics(sums)[metric]))
    return pd.concat(frames, ignore_index=True)
