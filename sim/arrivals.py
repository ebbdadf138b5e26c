"""Arrival processes: when contacts of one channel arrive.

A process turns a random stream into sorted arrival times (minutes) over a horizon. The
piecewise-constant profile is the workhorse of workforce management: an average rate
shaped by a relative intraday curve and a relative day-of-week curve. Because the rate is
constant within each piece, the inhomogeneous Poisson process is sampled exactly (a
Poisson count per piece, uniform times within it), with no thinning error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np
from .errors import InvalidValue

MIN_PER_DAY = 1440.0
MIN_PER_WEEK = 7 * MIN_PER_DAY


Surge = tuple[float, float, float]
"""A stretch of raised volume: (start, end) in minutes and the factor on the rate."""


class ArrivalProcess(Protocol):
    """Arrival times of one channel's contacts."""

    def sample(self, rng: np.random.Generator, horizon_min: float,
               surges: Sequence[Surge] = ()) -> np.ndarray:
        """Sorted arrival times in minutes in ``[0, horizon_min)``, the rate multiplied by
        each surge's factor while it lasts."""
        ...

    def mean_rate(self, start_min: float, end_min: float) -> float:
        """Expected arrivals per minute averaged over ``[start_min, end_min)``."""
        ...


@dataclass(frozen=True)
class ProfiledPoisson:
    """Poisson arrivals whose rate is piecewise constant by time of day and day of week.

    The rate at time t is ``rate_per_hour / 60 * intraday[i(t)] * weekly[d(t)]``, where the
    day is cut into ``len(intraday)`` equal pieces and the simulation starts on Monday 00:00.
    Both shapes are normalised to mean 1, so ``rate_per_hour`` is the average over a week.

    Parameters
    ----------
    rate_per_hour : float
        Average arrival rate over a week, contacts per hour (> 0).
    intraday : tuple of float
        Relative rate of each equal piece of the day (>= 0, not all zero); ``(1.0,)`` is flat.
    weekly : tuple of float
        Relative rate of each day Monday..Sunday (7 values) or ``(1.0,)`` for flat.
    daily_variance : float
        Over-dispersion: each day's rate is multiplied by a busyness factor drawn from a gamma
        distribution with mean 1 and this variance (Poisson-gamma; 0: plain Poisson). A day
        with expected count m then has variance m + daily_variance * m**2 (Brown et al. 2005
        find call-centre days over-dispersed in this way).
    """

    rate_per_hour: float
    intraday: tuple[float, ...] = (1.0,)
    weekly: tuple[float, ...] = (1.0,)
    daily_variance: float = 0.0

    def __post_init__(self) -> None:
        for name, shape in (("intraday", self.intraday), ("weekly", self.weekly)):
            # The mean, not the sum: rates divide by it, and the mean of a few subnormal values
            # rounds to 0 (found by hypothesis: [5e-324, 0] gave NaN rates).
            if (not shape or not all(math.isfinite(v) and v >= 0 for v in shape)
                    or not np.mean(np.asarray(shape, float)) > 0):
                raise InvalidValue(name, shape, "must be finite, non-negative and not all zero")
        if 1440 % len(self.intraday):
            raise InvalidValue("intraday", self.intraday, "needs a number of values that "
                               "divides a day (e.g. 24 or 48)")
        if len(self.weekly) not in (1, 7):
            raise InvalidValue("weekly", self.weekly, "must have 7 values (Mon..Sun) or 1")
        if not (math.isfinite(self.rate_per_hour) and self.rate_per_hour > 0):
            raise InvalidValue("rate_per_hour", self.rate_per_hour,
                               "must be a positive rate (contacts per hour)")
        if not (math.isfinite(self.daily_variance) and self.daily_variance >= 0):
            raise InvalidValue("daily_variance", self.daily_variance, "must be >= 0 (variance "
                               "of the daily busyness factor; 0: Poisson)")

    @property
    def piece_min(self) -> float:
        """Length of one intraday piece in minutes."""
        return MIN_PER_DAY / len(self.intraday)

    def _piece_rates(self) -> np.ndarray:
        """Rate per minute of each piece of one week."""
        day = np.asarray(self.intraday, float) / np.mean(self.intraday)
        week = np.resize(np.asarray(self.weekly, float) / np.mean(self.weekly), 7)
        return (self.rate_per_hour / 60.0) * np.outer(week, day).ravel()

    def rate_at(self, t_min: np.ndarray | float) -> np.ndarray:
        """Rate in contacts per minute at time(s) ``t_min``."""
        rates = self._piece_rates()
        idx = (np.asarray(t_min, float) % MIN_PER_WEEK) // self.piece_min
        return rates[idx.astype(int)]

    def mean_rate(self, start_min: float, end_min: float) -> float:
        if end_min <= start_min:
            raise ValueError("end_min must be after start_min")
        edges, rates = self._pieces(end_min, start_min)
        return float(np.sum(rates * np.diff(edges)) / (end_min - start_min))

    def _pieces(self, horizon_min: float, start_min: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Piece edges clipped to ``[start_min, horizon_min]`` and each piece's rate."""
        step = self.piece_min
        first = math.floor(start_min / step)
        last = math.ceil(horizon_min / step)
        edges = np.arange(first, last + 1) * step
        edges[0], edges[-1] = start_min, horizon_min
        week = self._piece_rates()
        rates = week[np.arange(first, last) % len(week)]
        return edges, rates

    def sample(self, rng: np.random.Generator, horizon_min: float,
               surges: Sequence[Surge] = ()) -> np.ndarray:
        edges, rates = self._pieces(horizon_min)
        if self.daily_variance > 0:
            # Pieces never straddle midnight (their length divides a day): one factor each day.
            v = self.daily_variance
            days = (edges[:-1] // MIN_PER_DAY).astype(int)
            rates = rates * rng.gamma(1.0 / v, v, days.max() + 1 if len(days) else 0)[days]
        if surges:
            # Cut the pieces at every surge boundary; the rate stays constant on each cut piece.
            cuts = [t for a, b, _ in surges for t in (a, b) if 0 < t < horizon_min]
            fine = np.union1d(edges, cuts)
            rates = rates[np.searchsorted(edges, fine[:-1], side="right") - 1]
            mid = (fine[:-1] + fine[1:]) / 2
            for a, b, factor in surges:
                rates = np.where((mid >= a) & (mid < b), rates * factor, rates)
            edges = fine
        widths = np.diff(edges)
        counts = rng.poisson(rates * widths)
        starts = np.repeat(edges[:-1], counts)
        times = starts + rng.random(counts.sum()) * np.repeat(widths, counts)
        times.sort()
        return times


@dataclass(frozen=True)
class Incident:
    """An outage or a viral moment: chosen channels' rates multiplied for a while.

    Either at a fixed time (``start_min``) or at random: each day, with probability
    ``per_day``, an incident starts at a uniformly random minute of that day.

    Parameters
    ----------
    channels : tuple of str
        Channels whose volume rises.
    factor : float
        Rate multiplier while it lasts (> 0; 3 = three times the usual volume).
    duration_min : float
        How long it lasts, minutes.
    start_min : float or None
        Fixed start, minutes from Monday 00:00; None: random, ``per_day``.
    per_day : float
        Probability of an incident starting on a given day (random incidents).
    """

    channels: tuple[str, ...]
    factor: float
    duration_min: float
    start_min: float | None = None
    per_day: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.factor) and self.factor > 0):
            raise InvalidValue("factor", self.factor, "must be > 0")
        if not (math.isfinite(self.duration_min) and self.duration_min > 0):
            raise InvalidValue("duration_min", self.duration_min, "must be > 0 (minutes)")
        if not 0 <= self.per_day <= 1:
            raise InvalidValue("per_day", self.per_day, "must be a probability in [0, 1]")
        if (self.start_min is None) == (self.per_day == 0):
            raise InvalidValue("start_min", self.start_min, "give either a start time (at) or "
                               "a probability per day (per_day), not both or neither")

    def surges(self, rng: np.random.Generator, horizon_min: float) -> list[Surge]:
        """The stretches this incident raises volume in one replication."""
        if self.start_min is not None:
            return [(self.start_min, self.start_min + self.duration_min, self.factor)]
        days = math.ceil(horizon_min / MIN_PER_DAY)
        hit = rng.random(days) < self.per_day
        offsets = rng.random(days) * MIN_PER_DAY
        return [(d * MIN_PER_DAY + o, d * MIN_PER_DAY + o + self.duration_min, self.factor)
                for d, (h, o) in enumerate(zip(hit, offsets)) if h]


@dataclass(frozen=True)
class NoArrivals:
    """An internal queue fed only by the model (transfers to tier 2): no arrivals of its own."""

    def sample(self, rng: np.random.Generator, horizon_min: float,
               surges: Sequence[Surge] = ()) -> np.ndarray:
        return np.zeros(0)

    def mean_rate(self, start_min: float, end_min: float) -> float:
        return 0.0
