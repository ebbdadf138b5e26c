"""A history's ``agents`` column as a staffing schedule over whole weeks.

The schedule starts on the Monday 00:00 of the history's first week (the model's time 0)
and covers whole weeks, so that repeated after its end it stays in step with the weekly
arrival profile. Intervals the history does not cover (before its first interval, after
its last, a channel reported later than another) take the mean of the same interval of the
week in the weeks that do, else the mean of the same time of day over every day that does:
a warm-up staffed like the operation, never an empty floor before the history starts.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..arrivals import MIN_PER_DAY, MIN_PER_WEEK

__all__ = ["agents_per_interval", "schedule"]


def agents_per_interval(rows: pd.DataFrame, length: int, end_min: float) -> np.ndarray:
    """Agents per interval from the origin to the end of the history's last week (NaN
    where the history says nothing). ``rows`` has ``t_min`` (minutes from the origin) and
    ``agents``."""
    n = int(math.ceil(end_min / MIN_PER_WEEK) * MIN_PER_WEEK // length)
    out = np.full(n, np.nan)
    idx = (rows["t_min"].to_numpy(float) // length).astype(np.int64)
    out[idx] = rows["agents"].to_numpy(float)
    return out


def _mean_by(agents: np.ndarray, period: int) -> np.ndarray:
    """Mean of the finite values at each position of a repeating ``period`` (NaN: none)."""
    grid = np.full(-(-len(agents) // period) * period, np.nan)
    grid[:len(agents)] = agents
    grid = grid.reshape(-1, period)
    seen = np.isfinite(grid).sum(axis=0)
    return np.where(seen > 0, np.nansum(grid, axis=0) / np.maximum(seen, 1), np.nan)


def schedule(agents: np.ndarray, length: int) -> list[int]:
    """Whole agents per interval (rounded): as staffed where the history says, else the
    same interval of the week in other weeks, else the same time of day, else 0."""
    at = np.arange(len(agents))
    week = _mean_by(agents, int(MIN_PER_WEEK // length))[at % int(MIN_PER_WEEK // length)]
    day = _mean_by(agents, int(MIN_PER_DAY // length))[at % int(MIN_PER_DAY // length)]
    filled = np.where(np.isfinite(agents), agents, np.where(np.isfinite(week), week, day))
    return [int(v) for v in np.round(np.nan_to_num(filled, nan=0.0))]
