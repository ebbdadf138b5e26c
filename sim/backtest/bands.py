"""Prediction bands: where one interval's value falls if the model is right.

For each channel, interval and metric, the band holds the (1 - level)/2 and (1 + level)/2
quantiles of the replications' values at plotting positions p (n + 1), so that a new draw
of the same model falls inside with probability ``level`` (the usual quantiles of n
replications would cover less: about (n - 1)/(n + 1) of it). The same is done for each
replication against the band of the others (:func:`null_days`): how many of a day's
intervals a *correct* model leaves outside, which the day flags compare the history with.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .tables import COLUMNS, METRICS

__all__ = ["LEVEL", "bands", "inside", "min_replications", "null_days", "scores"]

LEVEL = 0.9
_TOL = 1e-9  # ends included: counts are whole numbers


def min_replications(level: float = LEVEL) -> int:
    """Fewest replications whose band can hold a new draw with probability ``level``:
    the lowest and highest of n hold it with probability (n - 1) / (n + 1)."""
    return math.ceil((1 + level) / (1 - level) - 1e-9)


def _wide(sim: pd.DataFrame) -> pd.DataFrame:
    """Replications as columns, one row per (channel, interval, metric) some replication has."""
    wide = sim.pivot_table(index=["channel", "interval", "metric"], columns="replication",
                           values="value", dropna=False, sort=False)
    return wide[np.isfinite(wide.to_numpy(float)).any(axis=1)]


def _limits(values: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = (1 - level) / 2, (1 + level) / 2
    low, high = np.nanquantile(values, [lo, hi], axis=1, method="weibull")
    return low, high


def bands(obs: pd.DataFrame, sim: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """``backtest.csv``: each observed value beside the simulation's mean and band, plus
    its ``interval`` index. Intervals where no replication has the metric (no answered
    contact: no ``asa_s``) or the history has no value are left out."""
    wide = _wide(sim)
    values = wide.to_numpy(float)
    low, high = _limits(values, level)
    stats = wide.index.to_frame(index=False).assign(
        sim_mean=np.nanmean(values, axis=1), sim_low=low, sim_high=high)
    out = obs.dropna(subset=["observed"]).merge(stats, on=["channel", "interval", "metric"],
                                               how="inner")
    metric = {m: i for i, m in enumerate(METRICS)}
    channel = {c: i for i, c in enumerate(dict.fromkeys(obs["channel"]))}
    out = out.assign(_m=out["metric"].map(metric), _c=out["channel"].map(channel)).sort_values(
        ["_c", "_m", "interval"], kind="stable")
    return out[[*COLUMNS, "interval"]].reset_index(drop=True)


def inside(bt: pd.DataFrame) -> np.ndarray:
    """Whether each observed value lies in its band."""
    return ((bt["observed"] >= bt["sim_low"] - _TOL)
            & (bt["observed"] <= bt["sim_high"] + _TOL)).to_numpy()


def null_days(bt: pd.DataFrame, sim: pd.DataFrame, per_day: int,
              level: float = LEVEL) -> pd.DataFrame:
    """What a correct model leaves outside its band, day by day: each replication judged,
    on the history's own cells, against the band of the other replications. Long:
    ``channel, metric, day, replication, n, n_outside`` (``day``: interval // per_day).

    A day's intervals are not independent (a busy day is busy all day, queues carry over),
    so this, not a binomial, is what a day of the history is compared with.
    """
    wide = _wide(sim)
    seen = bt.set_index(["channel", "interval", "metric"]).index
    wide = wide[wide.index.isin(seen)]
    values = wide.to_numpy(float)
    keys = wide.index.to_frame(index=False)
    frames = []
    for r in range(values.shape[1]):
        others = np.delete(values, r, axis=1)
        low, high = _limits(others, level)
        mine = values[:, r]
        ok = np.isfinite(mine)
        out = ~((mine >= low - _TOL) & (mine <= high + _TOL))
        frames.append(keys[ok].assign(day=keys["interval"][ok] // per_day, replication=r,
                                      outside=out[ok]))
    rows = pd.concat(frames, ignore_index=True)
    g = rows.groupby(["channel", "metric", "day", "replication"], sort=False)["outside"]
    return g.agg(n="size", n_outside="sum").reset_index()


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
