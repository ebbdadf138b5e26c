"""Duration distributions given by their mean and coefficient of variation, sampled in batches.

Contact-centre data are usually summarised by a mean and a spread (Brown et al. 2005 find
service times close to lognormal), so every distribution here is parametrised the same way:
``mean`` in minutes and ``cv`` = standard deviation / mean. Sampling is vectorised: the
engine draws every exogenous attribute of a replication in one call per stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Protocol, Sequence

import numpy as np


class Distribution(Protocol):
    """A non-negative duration distribution (minutes)."""

    mean: float

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` independent durations in minutes."""
        ...


@dataclass(frozen=True)
class Exponential:
    """Exponential durations (cv = 1), the memoryless textbook case."""

    mean: float
    cv: float = 1.0
    fixed_cv: ClassVar[float | None] = 1.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean, size)


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


@dataclass(frozen=True)
class Gamma:
    """Gamma durations with the given mean and cv (minutes)."""

    mean: float
    cv: float
    fixed_cv: ClassVar[float | None] = None

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean / shape, size)


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


#: Distribution kinds by the name used in config (``dist: lognormal``).
REGISTRY: dict[str, type] = {
    "exponential": Exponential,
    "lognormal": Lognormal,
    "gamma": Gamma,
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
        Coefficient of variation (> 0) for ``lognormal`` and ``gamma``; for
        ``exponential`` and ``deterministic`` it may be omitted or must equal 1 / 0.
    values : sequence of float, optional
        Observed durations in minutes for ``empirical``.

    Raises
    ------
    ValueError
        Naming the offending parameter, its value and what is valid.
    """
    if kind not in REGISTRY:
        raise ValueError(f"dist={kind!r} is not a distribution; valid: {', '.join(REGISTRY)}")
    cls = REGISTRY[kind]
    if cls is Empirical:
        vals = tuple(float(v) for v in (() if values is None else values))
        if not vals or not all(math.isfinite(v) and v >= 0 for v in vals) or sum(vals) <= 0:
            raise ValueError(f"values={list(vals)} must be a non-empty list of durations >= 0 "
                             "with a positive sum")
        return Empirical(vals)
    if mean is None or not math.isfinite(mean) or mean <= 0:
        raise ValueError(f"mean={mean} must be a positive duration")
    if cls.fixed_cv is not None:
        if cv is not None and not math.isclose(cv, cls.fixed_cv):
            raise ValueError(f"cv={cv} is not valid for {kind}: its cv is {cls.fixed_cv:g}")
        return cls(mean)
    if cv is None or not math.isfinite(cv) or cv <= 0:
        raise ValueError(f"cv={cv} must be a positive number for {kind}")
    return cls(mean, cv)
