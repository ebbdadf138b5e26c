"""Is the model good enough to use? The whole period, the intervals, and the days.

Three tests, each with a threshold a user can read (:func:`verdict`):

- over the whole period, no metric is both outside the replications' band and off by a
  difference that matters (:data:`MATERIAL`): significance alone is not a reason;
- each channel's band holds at least :data:`MIN_COVERAGE` of the observed intervals;
- no day has more intervals outside the band than a correct model leaves outside
  (:func:`flags`): the count a correct model leaves is learned from the replications
  themselves (:func:`sim.backtest.bands.null_days`), as a beta-binomial whose
  over-dispersion carries the day-level busyness and the queues' carry-over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .bands import LEVEL, inside
from .tables import show

__all__ = ["FLAG_ALPHA", "MATERIAL", "MIN_COVERAGE", "Verdict", "flags", "period_check",
           "tail", "verdict"]

#: Each channel's band must hold at least this share of the observed intervals (nominal:
#: LEVEL).
MIN_COVERAGE = 0.8
#: A day is flagged when a correct model leaves as many of its intervals outside with a
#: chance below this, Bonferroni-corrected over the days, channels and metrics tested.
FLAG_ALPHA = 0.01
#: A difference over the whole period that matters: relative for offered and ASA, in
#: absolute shares for the rates.
MATERIAL = {"offered": 0.05, "asa_s": 0.25, "abandon_rate": 0.02, "service_level": 0.05}


def period_check(obs: pd.DataFrame, sim: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """The whole period, observed against the replications' band: ``channel, metric,
    observed, sim_mean, sim_low, sim_high, difference`` (relative for ``offered`` and
    ``asa_s``, absolute for the rates), ``relative`` and ``matters`` (outside the band
    *and* a difference beyond :data:`MATERIAL`)."""
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
        if relative:
            diff = (mean - r.observed) / r.observed if r.observed > 0 else math.inf
        else:
            diff = mean - r.observed
        outside = not (low - 1e-9 <= r.observed <= high + 1e-9)
        rows.append({"channel": r.channel, "metric": r.metric, "observed": r.observed,
                     "sim_mean": mean, "sim_low": float(low), "sim_high": float(high),
                     "difference": diff, "relative": relative,
                     "matters": outside and abs(diff) > MATERIAL[r.metric]})
    return pd.DataFrame(rows)


def tail(n: int, k: int, p: float, rho: float = 0.0) -> float:
    """P(K >= k) for K beta-binomial with n trials, mean share p and intra-class
    correlation rho (rho = 0: binomial)."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    js = np.arange(k, n + 1)
    log_comb = (math.lgamma(n + 1) - np.array([math.lgamma(j + 1) + math.lgamma(n - j + 1)
                                               for j in js]))
    if rho <= 0:
        logs = log_comb + js * math.log(p) + (n - js) * math.log1p(-p)
    else:
        a, b = p * (1 / rho - 1), (1 - p) * (1 / rho - 1)
        lbeta = lambda x, y: math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)  # noqa: E731
        logs = log_comb + np.array([lbeta(j + a, n - j + b) for j in js]) - lbeta(a, b)
    return float(min(1.0, np.exp(logs).sum()))


def _null_law(null: pd.DataFrame) -> tuple[float, float]:
    """Mean share outside and intra-day correlation (method of moments) of a correct
    model's days."""
    n, k = null["n"].to_numpy(float), null["n_outside"].to_numpy(float)
    if not n.sum():
        return 0.0, 0.0
    p = k.sum() / n.sum()
    if not 0 < p < 1:
        return p, 0.0
    spread = np.sum((k - n * p) ** 2) - np.sum(n * p * (1 - p))
    pairs = p * (1 - p) * np.sum(n * (n - 1))
    return float(p), float(min(max(spread / pairs, 0.0), 1.0)) if pairs > 0 else 0.0


def flags(bt: pd.DataFrame, null: pd.DataFrame, per_day: int,
          alpha: float = FLAG_ALPHA) -> pd.DataFrame:
    """Days the model cannot explain: per channel, metric and day, how many intervals fall
    outside the band, and the chance that a correct model leaves at least as many
    (``p_value``, beta-binomial fitted to ``null``, :func:`sim.backtest.bands.null_days`).
    ``flagged`` when it is below ``alpha`` divided by the number of days tested; ``outside``
    names the intervals (their starts) outside the band."""
    bt = bt.assign(_in=inside(bt), day=bt["interval"] // per_day)
    laws = {key: _null_law(g) for key, g in null.groupby(["channel", "metric"], sort=False)}
    groups = list(bt.groupby(["channel", "metric", "day"], sort=False))
    rows = []
    for (channel, metric, day), g in groups:
        k = int((~g["_in"]).sum())
        p, rho = laws.get((channel, metric), (1 - LEVEL, 0.0))
        chance = tail(len(g), k, p, rho)
        rows.append({"channel": channel, "metric": metric,
                     "day": g["interval_start"].iloc[0].normalize(), "n": len(g),
                     "n_outside": k, "expected": len(g) * p, "p_value": chance,
                     "flagged": chance < alpha / max(len(groups), 1),
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
                    "band more often than a correct model would leave it")
        return "NOT GOOD ENOUGH TO USE: " + "; ".join(self.reasons)


def _difference(row: Any) -> str:
    if row.relative:
        return f"{row.difference:+.0%}"
    return f"{row.difference * 100:+.1f} points"


def verdict(period: pd.DataFrame, sc: pd.DataFrame, fl: pd.DataFrame) -> Verdict:
    """Apply the thresholds above to :func:`period_check`, :func:`sim.backtest.bands.scores`
    and :func:`flags`."""
    reasons = [f"{r.channel} {r.metric} over the period: simulated {show(r.metric, r.sim_mean)} "
               f"against {show(r.metric, r.observed)} observed ({_difference(r)}; band "
               f"{show(r.metric, r.sim_low)} to {show(r.metric, r.sim_high)})"
               for r in period.itertuples() if r.matters]
    for row in sc.itertuples():
        if row.coverage < MIN_COVERAGE:
            reasons.append(f"{row.channel} {row.metric}: the band holds {row.coverage:.0%} "
                           f"of {row.n} intervals (at least {MIN_COVERAGE:.0%} needed)")
    bad = fl[fl["flagged"].astype(bool)] if len(fl) else fl
    for (channel, metric), g in (bad.groupby(["channel", "metric"], sort=False)
                                 if len(bad) else ()):
        days = ", ".join(f"{d:%a %d %b}" for d in g["day"])
        reasons.append(f"{channel} {metric}: more intervals out of the band than a correct "
                       f"model leaves on {days}")
    return Verdict(not reasons, tuple(reasons))
