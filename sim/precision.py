"""Precision mode: add replications until the named metrics are estimated closely enough.

Sequential sampling as in ContactCenters' ``simulateSequential``: a pilot of
``run.replications`` independent replications, then, while the 95% interval of a named
metric is wider than ``run.precision`` of its mean (half-width relative to the mean), a
batch of further replications sized from the pilot's spread (the classical
n' = n (h / h*)^2), never beyond ``run.max_replications``. Replication ``r`` is seeded from
``(seed, r)`` alone, so a run stopped at n replications holds exactly the replications a
run of n from the start would: the same seed gives the same results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import pandas as pd

from .metrics import METRICS, summary_ci

__all__ = ["Precision", "Target", "parse_targets", "relative_half_width"]


@dataclass(frozen=True)
class Target:
    """A metric of one channel (``all``: every channel together)."""

    metric: str
    channel: str = "all"

    def __str__(self) -> str:
        return self.metric if self.channel == "all" else f"{self.channel}/{self.metric}"


def parse_targets(names: Sequence[str], channels: Sequence[str]) -> tuple[Target, ...]:
    """``["mean_wait_min", "phone/asa_min"]`` as targets; ValueError naming what is valid."""
    out = []
    for name in names:
        channel, _, metric = str(name).rpartition("/")
        channel = channel or "all"
        if metric not in METRICS:
            raise ValueError(f"{name!r}: {metric!r} is not a summary metric; metrics: "
                             + ", ".join(METRICS))
        if channel != "all" and channel not in channels:
            raise ValueError(f"{name!r}: {channel!r} is not a channel; channels: "
                             + ", ".join(channels) + " (or no prefix: all channels)")
        out.append(Target(metric, channel))
    return tuple(out)


def relative_half_width(values: pd.Series, metric: str) -> float:
    """Half the width of the summary's 95% interval over |mean|: inf while it cannot be
    told yet (one value, or a zero mean with spread), NaN when the metric has no value at
    all (nothing answered in the channel, no cost given)."""
    mean, low, high, n = summary_ci(values, metric)
    if n == 0:
        return math.nan
    if n < 2 or not all(math.isfinite(x) for x in (mean, low, high)) or mean == 0:
        return math.inf if (n < 2 or mean != 0 or high > low) else 0.0
    return (high - low) / 2 / abs(mean)


@dataclass(frozen=True)
class Precision:
    """The stopping rule: ``relative`` half-width for each target, at most ``most``
    replications in all."""

    relative: float
    targets: tuple[Target, ...]
    most: int

    def widths(self, per_replication: pd.DataFrame) -> dict[Target, float]:
        """Each target's relative half-width over the replications so far."""
        out = {}
        for t in self.targets:
            rows = per_replication[(per_replication["metric"] == t.metric)
                                   & (per_replication["channel"] == t.channel)]
            out[t] = relative_half_width(rows["value"], t.metric)
        return out

    def next_total(self, found: dict[Target, float], done: int) -> int:
        """Replications to have in all after the next batch, from the targets' :meth:`widths`
        over the ``done`` so far (``done`` when precise enough, at the bound, or when a
        target has no value to estimate: more replications would not give it one)."""
        widths = list(found.values())
        if any(math.isnan(w) for w in widths):
            return done
        worst = max(widths, default=0.0)
        if worst <= self.relative or done >= self.most:
            return done
        if not math.isfinite(worst):
            return min(self.most, 2 * done)
        # A pilot's spread is itself uncertain: grow at most fourfold per batch, then look
        # again, rather than commit to a target estimated from two or three values.
        needed = math.ceil(done * (worst / self.relative) ** 2)
        return min(self.most, 4 * done, max(done + 1, needed))
