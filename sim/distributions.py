"""Duration distributions given by their mean and coefficient of variation, sampled in batches.

Contact-centre data are usually summarised by a mean and a spread (Brown et al. 2005 find
service times close to lognormal), so every distribution here is parametrised the same way:
``mean`` in minutes and ``cv`` = standard deviation / mean. Sampling is vectorised: the
engine draws every exogenous attribute of a replication in one call per stream.
"""

from __future__ import annotations

import math
from functools import lru_cache
from dataclasses import dataclass
from typing import ClassVar, Protocol, Sequence

import numpy as np
from .errors import InvalidValue


class Distribution(Protocol):
    """A non-negative duration distribution (minutes)."""

    mean: float

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` independent durations in minutes."""
        ...

    def moment(self, p: float) -> float:
        """E[X**p] (used to normalise reach weights so their mean is exactly 1)."""
        ...


@dataclass(frozen=True)
class Exponential:
    """Exponential durations (cv = 1), the memoryless textbook case."""

    mean: float
    cv: float = 1.0
    fixed_cv: ClassVar[float | None] = 1.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean, size)

    def moment(self, p: float) -> float:
        return math.gamma(1 + p) * self.mean**p


@dataclass(frozen=True)
class Lognormal:
    """Lognormal durations with the given mean and cv (minutes)."""

    mean: float
    cv: float
    fixed_cv: ClassVar[float | None] = None

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        mu = math.log(self.mean) - sigma2 / 2
        return rng.lognormal(mu, math.sqrt(sigma2), size)

    def moment(self, p: float) -> float:
        sigma2 = math.log1p(self.cv**2)
        return math.exp(p * (math.log(self.mean) - sigma2 / 2) + p * p * sigma2 / 2)


@dataclass(frozen=True)
class Gamma:
    """Gamma durations with the given mean and cv (minutes)."""

    mean: float
    cv: float
    fixed_cv: ClassVar[float | None] = None

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean / shape, size)

    def moment(self, p: float) -> float:
        shape = 1.0 / self.cv**2
        return math.exp(math.lgamma(shape + p) - math.lgamma(shape)) * (self.mean / shape) ** p


@dataclass(frozen=True)
class Weibull:
    """Weibull durations with the given mean and cv (minutes).

    The shape k solves cv^2 = Gamma(1 + 2/k) / Gamma(1 + 1/k)^2 - 1 (cv < 1: an increasing
    hazard, customers grow less patient the longer they wait; cv > 1: decreasing), the scale
    then gives the mean. Abandonment studies often find Weibull patience fits better than
    exponential (the hazard is not constant).
    """

    mean: float
    cv: float
    fixed_cv: ClassVar[float | None] = None

    @property
    def shape(self) -> float:
        return _weibull_shape(self.cv)

    @property
    def scale(self) -> float:
        return self.mean / math.gamma(1 + 1 / self.shape)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.scale * rng.weibull(self.shape, size)

    def moment(self, p: float) -> float:
        return self.scale**p * math.gamma(1 + p / self.shape)


@lru_cache(maxsize=256)
def _weibull_shape(cv: float) -> float:
    """Weibull shape k with coefficient of variation ``cv`` (bisection on log k; cv falls
    as k grows)."""
    def cv_of(k: float) -> float:
        return math.sqrt(math.exp(math.lgamma(1 + 2 / k) - 2 * math.lgamma(1 + 1 / k)) - 1)

    lo, hi = math.log(0.05), math.log(500.0)
    for _ in range(200):
        mid = (lo + hi) / 2
        if cv_of(math.exp(mid)) > cv:
            lo = mid
        else:
            hi = mid
    return math.exp((lo + hi) / 2)


@dataclass(frozen=True)
class Deterministic:
    """Every duration equals the mean (cv = 0)."""

    mean: float
    cv: float = 0.0
    fixed_cv: ClassVar[float | None] = 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # Draw nothing: a deterministic source must not advance its stream differently
        # from how it would if it were swapped for a random one in a paired comparison;
        # streams are per purpose, so not drawing is safe.
        return np.full(size, self.mean)

    def moment(self, p: float) -> float:
        return self.mean**p


@dataclass(frozen=True)
class Empirical:
    """Resample observed durations (minutes) with replacement."""

    values: tuple[float, ...]
    fixed_cv: ClassVar[float | None] = None

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def cv(self) -> float:
        return float(np.std(self.values) / np.mean(self.values))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size)

    def moment(self, p: float) -> float:
        return float(np.mean(np.asarray(self.values, dtype=float) ** p))


#: Distribution kinds by the name used in config (``dist: lognormal``).
REGISTRY: dict[str, type] = {
    "exponential": Exponential,
    "lognormal": Lognormal,
    "gamma": Gamma,
    "weibull": Weibull,
    "deterministic": Deterministic,
    "empirical": Empirical,
}


def make(kind: str, mean: float | None = None, cv: float | None = None,
         values: Sequence[float] | None = None) -> Distribution:
    """Build a distribution, checking its parameters.

    Parameters
    ----------
    kind : str
        A key of :data:`REGISTRY`.
    mean : float, optional
        Mean in minutes (> 0); not used by ``empirical``.
    cv : float, optional
        Coefficient of variation (> 0) for ``lognormal``, ``gamma`` and ``weibull``; for
        ``exponential`` and ``deterministic`` it may be omitted or must equal 1 / 0.
    values : sequence of float, optional
        Observed durations in minutes for ``empirical``.

    Raises
    ------
    ValueError
        Naming the offending parameter, its value and what is valid.
    """
    if kind not in REGISTRY:
        raise InvalidValue("dist", kind, "is not a distribution; valid: " + ", ".join(REGISTRY))
    cls = REGISTRY[kind]
    if cls is Empirical:
        vals = tuple(float(v) for v in (() if values is None else values))
        if not vals or not all(math.isfinite(v) and v >= 0 for v in vals) or sum(vals) <= 0:
            raise InvalidValue("values", list(vals), "must be a non-empty list of durations "
                               ">= 0 with a positive sum")
        return Empirical(vals)
    if mean is None or not math.isfinite(mean) or mean <= 0:
        raise InvalidValue("mean", mean, "must be a positive duration (> 0)")
    if cls.fixed_cv is not None:
        if cv is not None and not math.isclose(cv, cls.fixed_cv):
            raise InvalidValue("cv", cv, f"is not valid for {kind}: its cv is {cls.fixed_cv:g}")
        return cls(mean)
    if cv is None or not math.isfinite(cv) or cv <= 0:
        raise InvalidValue("cv", cv, f"must be a positive number for {kind}")
    if cls is Weibull and not 0.01 <= cv <= 20:
        raise InvalidValue("cv", cv, "must be in [0.01, 20] for weibull (shape 0.1 to 100)")
    return cls(mean, cv)
