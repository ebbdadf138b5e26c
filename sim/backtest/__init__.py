"""Does the model reproduce the operation? Observed intervals against simulated ones.

A back-test simulates the calibrated model over the history's own period, with its own
staffing, many times, and asks of every interval and channel whether what the operation
observed lies inside the simulation's prediction band (by default 90%: the 5th to 95th
percentile of the replications' values for that interval). The metrics, per channel and
interval of arrival, defined the same way on both sides:

- ``offered``: contacts that arrived (every attempt);
- ``abandon_rate``: abandoned / offered;
- ``asa_s``: mean wait of the answered, seconds;
- ``service_level``: answered within the channel's target / (answered + abandoned).

Pure functions of tables: :func:`simulated` turns the replications' contacts into these
metrics, :func:`bands` puts each observed value beside its band, :func:`scores` sums up
each channel and metric (bias, MAPE, coverage), :func:`flags` names the days whose
intervals fall outside the band more often than chance allows, and :func:`verdict` says
whether the model is good enough to use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..history import IntervalReport

__all__ = ["COLUMNS", "LEVEL", "MATERIAL", "METRICS", "Verdict", "bands", "flags", "inside",
           "min_replications", "observed", "observed_period", "period_check", "scores", "simulated", "verdict"]

METRICS = ("offered", "abandon_rate", "asa_s", "service_level")
#: Columns of ``backtest.csv``.
COLUMNS = ("interval_start", "channel", "metric", "observed", "sim_mean", "sim_low",
           "sim_high")
LEVEL = 0.9
#: A model is good enough when each channel's band holds at least this share of the
#: observed intervals (nominal: LEVEL)...
MIN_COVERAGE = 0.8
#: ... no day falls outside the band more often than chance allows at this level
#: (Bonferroni over the days, channels and metrics tested)...
FLAG_ALPHA = 0.01
#: ... and over the whole period, no metric is both outside the replications' band and off
#: by more than this: a difference that matters (relative for offered and ASA, in
#: absolute shares for the rates).
MATERIAL = {"offered": 0.05, "asa_s": 0.25, "abandon_rate": 0.02, "service_level": 0.05}


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(np.shape(num), np.nan)
    np.divide(num, den, out=out, where=np.asarray(den) > 0)
    return out


def _in_order(report: IntervalReport) -> pd.DataFrame:
    """The report's rows, channels in the file's order (as the calibrated scenario has them)."""
    rank = {c: i for i, c in enumerate(report.channels)}
    return report.table.iloc[np.argsort(report.table["channel"].map(rank).to_numpy(),
                                         kind="stable")]


def observed(report: IntervalReport, origin: pd.Timestamp) -> pd.DataFrame:
    """The report's metrics, long: ``interval_start, channel, interval, metric, observed``
    (``interval``: index from ``origin`` in the report's interval length)."""
    t = _in_order(report)
    length = pd.Timedelta(minutes=report.interval_min)
    values = {"offered": t["offered"].to_numpy(float),
              "abandon_rate": _ratio(t["abandoned"].to_numpy(float),
                                     t["offered"].to_numpy(float))}
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


def simulated(contacts: pd.DataFrame, interval_min: float, n_intervals: int,
              channels: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each replication's metrics per channel and interval of arrival, and over the whole
    period, long: ``replication, channel, interval, metric, value`` and ``replication,
    channel, metric, value``.

    ``contacts`` is a run's contact table (every replication; columns ``replication``,
    ``channel``, ``arrival_min``, ``answered``, ``abandoned``, ``wait_min``,
    ``target_min``).
    """
    reps = np.sort(contacts["replication"].unique())
    frames, periods = [], []
    for name in channels:
        c = contacts[contacts["channel"].astype(str) == name]
        idx = (c["arrival_min"].to_numpy(float) // interval_min).astype(np.int64)
        rep = np.searchsorted(reps, c["replication"].to_numpy())
        keep = (idx >= 0) & (idx < n_intervals)
        answered = c["answered"].to_numpy(bool)[keep]
        wait = c["wait_min"].to_numpy(float)[keep]
        counts = {"offered": np.ones(len(answered)), "answered": answered,
                  "abandoned": c["abandoned"].to_numpy(bool)[keep],
                  "waited": np.where(answered, wait * 60.0, 0.0),
                  "met": answered & (wait <= c["target_min"].to_numpy(float)[keep])}
        for cells, size, out in (
                (rep[keep] * n_intervals + idx[keep], len(reps) * n_intervals, frames),
                (rep[keep], len(reps), periods)):
            totals = {k: np.bincount(cells, v, minlength=size).astype(float)
                      for k, v in counts.items()}
            values = _metrics(totals)
            base = ({"replication": np.repeat(reps, n_intervals), "channel": name,
                     "interval": np.tile(np.arange(n_intervals), len(reps))}
                    if out is frames else {"replication": reps, "channel": name})
            out += [pd.DataFrame({**base, "metric": m, "value": v}) for m, v in values.items()]
    return pd.concat(frames, ignore_index=True), pd.concat(periods, ignore_index=True)


def _metrics(t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The metrics from totals of offered, answered, abandoned, waited (s) and met."""
    return {"offered": t["offered"],
            "abandon_rate": _ratio(t["abandoned"], t["offered"]),
            "asa_s": _ratio(t["waited"], t["answered"]),
            "service_level": _ratio(t["met"], t["answered"] + t["abandoned"])}


def observed_period(report: IntervalReport) -> pd.DataFrame:
    """The report's metrics over its whole period: ``channel, metric, observed``."""
    t = _in_order(report)
    rows = []
    for name, g in t.groupby("channel", sort=False):
        handled, abandoned = g["handled"].to_numpy(float), g["abandoned"].to_numpy(float)
        totals = {"offered": g["offered"].sum(), "answered": handled.sum(),
                  "abandoned": abandoned.sum(),
                  "waited": (np.nansum(g["asa_s"].to_numpy(float) * handled)
                             if "asa_s" in g else np.nan),
                  "met": (np.nansum(g["service_level"].to_numpy(float)
                                    * (handled + abandoned)) if "service_level" in g
                          else np.nan)}
        values = _metrics({k: np.array([float(v)]) for k, v in totals.items()})
        rows += [{"channel": name, "metric": m, "observed": float(v[0])}
                 for m, v in values.items() if np.isfinite(v[0])]
    return pd.DataFrame(rows)


def period_check(obs: pd.DataFrame, sim: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """The whole period, observed against the replications' band: ``channel, metric,
    observed, sim_mean, sim_low, sim_high, difference`` (relative for ``offered`` and
    ``asa_s``, absolute for the rates) and ``matters`` (outside the band *and* a difference
    beyond :data:`MATERIAL`)."""
    lo, hi = (1 - level) / 2, (1 + level) / 2
    rows = []
    for r in obs.itertuples():
        v = sim[(sim["channel"] == r.channel) & (sim["metric"] == r.metric)]["value"]
        v = v.dropna().to_numpy()
        if not len(v):
            continue
        low, high = np.quantile(v, [lo, hi], method="weibull")
        mean = float(v.mean())
        relative = r.metric in ("offered", "asa_s")
        diff = ((mean - r.observed) / r.observed if r.observed > 0 else math.inf
                ) if relative else mean - r.observed
        outside = not (low - 1e-9 <= r.observed <= high + 1e-9)
        rows.append({"channel": r.channel, "metric": r.metric, "observed": r.observed,
                     "sim_mean": mean, "sim_low": float(low), "sim_high": float(high),
                     "difference": diff, "relative": relative,
                     "matters": outside and abs(diff) > MATERIAL[r.metric]})
    return pd.DataFrame(rows)


def bands(obs: pd.DataFrame, sim: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """``backtest.csv``: each observed value beside the simulation's mean and band.

    The band is a prediction band for one interval's value: the (1 - level)/2 and
    (1 + level)/2 quantiles of the replications' values at plotting positions p (n + 1),
    so that a new draw of the same model falls inside with probability ``level`` (the
    usual quantiles of n replications would cover less: about (n - 1)/(n + 1) of it).
    Intervals where no replication has the metric (no answered contact: no ``asa_s``) or
    the history has no value are left out.
    """
    lo, hi = (1 - level) / 2, (1 + level) / 2
    wide = sim.pivot_table(index=["channel", "interval", "metric"], columns="replication",
                           values="value", dropna=False, sort=False)
    values = wide.to_numpy(float)
    some = np.isfinite(values).any(axis=1)
    values = values[some]
    low, high = np.nanquantile(values, [lo, hi], axis=1, method="weibull")
    stats = wide.index[some].to_frame(index=False).assign(
        sim_mean=np.nanmean(values, axis=1), sim_low=low, sim_high=high)
    out = obs.dropna(subset=["observed"]).merge(stats, on=["channel", "interval", "metric"],
                                               how="inner")
    metric = {m: i for i, m in enumerate(METRICS)}
    channel = {c: i for i, c in enumerate(dict.fromkeys(obs["channel"]))}
    out = out.assign(_m=out["metric"].map(metric), _c=out["channel"].map(channel)).sort_values(
        ["_c", "_m", "interval"], kind="stable")
    return out[[*COLUMNS, "interval"]].reset_index(drop=True)


def min_replications(level: float = LEVEL) -> int:
    """Fewest replications whose band can hold a new draw with probability ``level``:
    the lowest and highest of n hold it with probability (n - 1) / (n + 1)."""
    return math.ceil((1 + level) / (1 - level) - 1e-9)


def inside(bt: pd.DataFrame) -> np.ndarray:
    """Whether each observed value lies in its band (ends included: counts are whole)."""
    tol = 1e-9
    return ((bt["observed"] >= bt["sim_low"] - tol)
            & (bt["observed"] <= bt["sim_high"] + tol)).to_numpy()


def scores(bt: pd.DataFrame) -> pd.DataFrame:
    """Per channel and metric: ``n`` intervals, ``bias`` (mean of simulated - observed, the
    metric's unit), ``relative_bias`` (sum of the differences / sum observed), ``mape`` (mean
    absolute percentage error over intervals observed > 0) and ``coverage`` (share inside
    the band)."""
    bt = bt.assign(_in=inside(bt), _d=bt["sim_mean"] - bt["observed"])
    rows = []
    for (channel, metric), g in bt.groupby(["channel", "metric"], sort=False):
        pos = g["observed"] > 0
        rows.append({
            "channel": channel, "metric": metric, "n": len(g),
            "bias": float(g["_d"].mean()),
            "relative_bias": (float(g["_d"].sum() / g["observed"].sum())
                              if g["observed"].sum() > 0 else math.nan),
            "mape": (float((g["_d"][pos].abs() / g["observed"][pos]).mean())
                     if pos.any() else math.nan),
            "coverage": float(g["_in"].mean()),
        })
    return pd.DataFrame(rows)


def _tail(n: int, k: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    return float(sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1)))


def flags(bt: pd.DataFrame, level: float = LEVEL, alpha: float = FLAG_ALPHA) -> pd.DataFrame:
    """Days the model cannot explain: per channel, metric and day, how many intervals fall
    outside the band, and the chance of at least that many if the model were right
    (binomial, each outside with probability 1 - level). ``flagged`` when that chance is
    below ``alpha`` divided by the number of days tested (Bonferroni); ``outside`` names the
    intervals (their starts) outside the band."""
    bt = bt.assign(_in=inside(bt), day=bt["interval_start"].dt.normalize())
    groups = list(bt.groupby(["channel", "metric", "day"], sort=False))
    rows = []
    for (channel, metric, day), g in groups:
        k = int((~g["_in"]).sum())
        p = _tail(len(g), k, 1 - level)
        rows.append({"channel": channel, "metric": metric, "day": day, "n": len(g),
                     "n_outside": k, "p_value": p, "flagged": p < alpha / max(len(groups), 1),
                     "outside": [t for t, ok in zip(g["interval_start"], g["_in"]) if not ok]})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Verdict:
    """Whether the model is good enough to use, and why not."""

    good: bool
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        if self.good:
            return ("GOOD ENOUGH TO USE: over the whole period no metric differs from the "
                    "history by a margin that matters, every channel's band holds at least "
                    f"{MIN_COVERAGE:.0%} of the observed intervals, and no day is out of the "
                    "band more often than chance allows")
        return "NOT GOOD ENOUGH TO USE: " + "; ".join(self.reasons)


def _difference(row: Any) -> str:
    if row.relative:
        return f"{row.difference:+.0%}"
    return f"{row.difference * 100:+.1f} points"


def verdict(period: pd.DataFrame, sc: pd.DataFrame, fl: pd.DataFrame) -> Verdict:
    """Apply the thresholds above to :func:`period_check`, :func:`scores` and
    :func:`flags`."""
    reasons = [f"{r.channel} {r.metric} over the period: simulated {r.sim_mean:.4g} against "
               f"{r.observed:.4g} observed ({_difference(r)}; band {r.sim_low:.4g} to "
               f"{r.sim_high:.4g})" for r in period.itertuples() if r.matters]
    for row in sc.itertuples():
        if row.coverage < MIN_COVERAGE:
            reasons.append(f"{row.channel} {row.metric}: the band holds {row.coverage:.0%} "
                           f"of {row.n} intervals (at least {MIN_COVERAGE:.0%} needed)")
    bad = fl[fl["flagged"].astype(bool)]
    for (channel, metric), g in bad.groupby(["channel", "metric"], sort=False):
        days = ", ".join(f"{d:%a %d %b}" for d in g["day"])
        reasons.append(f"{channel} {metric}: out of the band more often than chance allows "
                       f"on {days}")
    return Verdict(not reasons, tuple(reasons))
