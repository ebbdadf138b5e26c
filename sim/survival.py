"""Duration fits from a client's per-contact history: patience under censoring, handle times.

Issue #10 ("calibrate") turns an operation's own records into the duration parameters that
:mod:`sim.distributions` takes: a family name, a ``mean`` (minutes) and a ``cv``. Patience is
seen only for customers who abandoned; one answered after waiting w minutes had a patience
longer than w (*right-censored*), and dropping them would bias patience down, so
:func:`fit_patience` maximises the censored likelihood and :func:`kaplan_meier` gives the
model-free curve to check it against. Handle times are complete: :func:`fit_handle` fits each
shipped mean/cv family by maximum likelihood. Families are compared by AIC (2 parameters - 2
log-likelihood, densities in minutes), the smallest wins. Pure numpy: the gamma fit's
:func:`digamma` and :func:`trigamma` are asymptotic series here, not a scipy dependency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .distributions import Distribution, make


@dataclass(frozen=True)
class KaplanMeier:
    """The product-limit estimate of a survival curve S(t) = P(duration > t).

    ``times`` are the distinct event times (minutes, increasing); ``survival[j]`` is S just
    after ``times[j]``, ``se[j]`` its Greenwood standard error (NaN once S reaches 0, where
    the formula divides by zero), ``at_risk[j]`` the durations >= ``times[j]`` and
    ``events[j]`` the events at ``times[j]``. At a tie, events come before censorings: a
    customer answered after exactly the wait another abandoned at was still at risk then.
    """

    times: np.ndarray
    survival: np.ndarray
    se: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray

    def mean_restricted(self, tau: float) -> float:
        """Restricted mean, the area under S on [0, ``tau``] (minutes): E[min(T, tau)]."""
        inside = self.times < tau
        knots = np.concatenate(([0.0], self.times[inside], [tau]))
        levels = np.concatenate(([1.0], self.survival[inside]))
        return float(np.sum(levels * np.diff(knots)))


def kaplan_meier(durations: ArrayLike, observed: ArrayLike) -> KaplanMeier:
    """Kaplan-Meier estimate with right censoring.

    Parameters
    ----------
    durations : array_like of float
        Durations in minutes (>= 0), e.g. each contact's wait.
    observed : array_like of bool
        True where the event happened at the duration (the customer abandoned), False where
        it is censored there (answered: their patience was longer). ValueError if the
        inputs differ in length, are empty, negative or not finite.
    """
    t, d = _checked(durations, observed, "durations")
    order = np.argsort(t, kind="stable")
    ts, ds = t[order], d[order]
    times, start = np.unique(ts, return_index=True)
    events = np.add.reduceat(ds.astype(np.int64), start)
    at_risk = len(ts) - start  # sorted: everything from the first of a tie on is at risk
    keep = events > 0
    times, events, at_risk = times[keep], events[keep], at_risk[keep]
    survival = np.cumprod(1.0 - events / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(events / (at_risk * (at_risk - events)))
        se = np.where(survival > 0, survival * np.sqrt(greenwood), np.nan)
    return KaplanMeier(times, survival, se, at_risk, events)


@dataclass(frozen=True)
class FamilyFit:
    """One family's maximum-likelihood fit: ``mean`` (minutes) and ``cv`` with their
    standard errors (delta method on the inverse information; 0 for a cv the family fixes),
    the maximised log-likelihood and the number of free parameters."""

    family: str
    mean: float
    cv: float
    mean_se: float
    cv_se: float
    loglik: float
    n_params: int

    @property
    def aic(self) -> float:
        return 2 * self.n_params - 2 * self.loglik


@dataclass(frozen=True)
class DurationFit:
    """The family with the smallest AIC, and every family tried (``candidates``, best first).

    ``family`` is spelt as :data:`sim.distributions.REGISTRY` spells it, ``mean`` and
    ``mean_se`` are in minutes; ``n`` counts the contacts, ``events`` the uncensored ones
    (abandonments for patience, all of them for handle times); ``km`` is the Kaplan-Meier
    curve of the data, to plot the fit against.
    """

    family: str
    mean: float
    cv: float
    mean_se: float
    cv_se: float
    n: int
    events: int
    censored: bool
    candidates: tuple[FamilyFit, ...]
    km: KaplanMeier

    @property
    def aic(self) -> dict[str, float]:
        return {c.family: c.aic for c in self.candidates}

    def candidate(self, family: str) -> FamilyFit:
        """The fit of ``family`` (KeyError if it was not fitted)."""
        for c in self.candidates:
            if c.family == family:
                return c
        raise KeyError(f"{family} was not fitted; fitted: {', '.join(self.aic)}")

    def distribution(self) -> Distribution:
        """The chosen fit as a :mod:`sim.distributions` object, ready to simulate."""
        return make(self.family, self.mean, self.cv)

    def describe(self) -> str:
        """One line for a YAML comment: family, mean (SE), cv, AIC per family, sample."""
        aics = ", ".join(f"{c.family} {c.aic:.1f}" for c in self.candidates)
        tail = f" ({self.events:,} abandoned)" if self.censored else ""
        return (f"{self.family} mean {self.mean:.3g} min (SE {self.mean_se:.2g}), "
                f"cv {self.cv:.2f}; AIC: {aics}; from {self.n:,} contacts{tail}")


def fit_patience(waits_min: ArrayLike, abandoned: ArrayLike) -> DurationFit:
    """Fit patience by censored maximum likelihood: exponential and Weibull, best by AIC.

    Parameters
    ----------
    waits_min : array_like of float
        Each contact's wait in minutes (>= 0).
    abandoned : array_like of bool
        True: the customer abandoned after ``waits_min`` (their patience); False: answered
        then, so their patience is only known to be longer (censored).

    Returns
    -------
    DurationFit
        Exponential: mean = total wait / abandonments, SE = mean / sqrt(abandonments).
        Weibull: shape from the profile score, SEs from the observed information. A family
        whose maximum does not exist (Weibull when every abandonment is at the longest
        wait) is left out of ``candidates``. ValueError on bad input, when nobody abandoned
        or when someone abandoned at a zero wait.
    """
    t, d = _checked(waits_min, abandoned, "waits_min")
    r = int(d.sum())
    if r == 0:
        raise ValueError(f"none of the {len(t):,} contacts abandoned: patience is only known "
                         "to exceed every wait, so it cannot be estimated")
    if np.any(d & (t == 0)):
        raise ValueError(f"{int(np.sum(d & (t == 0)))} abandoned contact(s) have a zero "
                         "wait: a Weibull density is 0 or infinite there; drop them or "
                         "round waits up to the timestamp resolution")
    return _result([_exponential(t, d), _weibull(t, d)], t, d, censored=True)


def fit_handle(handle_min: ArrayLike) -> DurationFit:
    """Fit complete durations: exponential, lognormal, gamma, Weibull by ML, best by AIC.

    Parameters
    ----------
    handle_min : array_like of float
        Handle times in minutes, all > 0 (ValueError naming how many are not), not all
        equal.

    Returns
    -------
    DurationFit
        Each candidate's ``mean_se`` is model-based (inverse information, delta method);
        for exponential and gamma the ML mean is the sample mean and its SE the model's
        sd / sqrt(n).
    """
    x = np.asarray(handle_min, dtype=float)
    if np.any(x <= 0):  # before the general check, so the count includes the negatives
        raise ValueError(f"{int(np.sum(x <= 0))} of {x.size:,} handle times are zero or "
                         "negative: the families fitted are for positive durations")
    t, d = _checked(x, np.ones(x.shape, dtype=bool), "handle_min")
    if np.ptp(t) == 0:
        raise ValueError(f"all {len(t):,} handle times equal {t[0]:g} min: a spread (cv) "
                         "cannot be estimated from identical values")
    fits = [_exponential(t, d), _lognormal(t), _gamma(t), _weibull(t, d)]
    return _result(fits, t, d, censored=False)


def digamma(x: float) -> float:
    """psi(x) = d/dx ln Gamma(x) for x > 0: recurrence up to x >= 10, then the asymptotic
    series to x**-10 (the next term is about 2e-14)."""
    x, acc = _positive(x), 0.0
    while x < 10:  # psi(x) = psi(x + 1) - 1/x
        acc -= 1 / x
        x += 1
    z = 1 / (x * x)
    return acc + math.log(x) - 0.5 / x - z * (1 / 12 - z * (1 / 120 - z * (
        1 / 252 - z * (1 / 240 - z / 132))))


def trigamma(x: float) -> float:
    """psi'(x) for x > 0, by the same recurrence and asymptotic series as :func:`digamma`."""
    x, acc = _positive(x), 0.0
    while x < 10:
        acc += 1 / (x * x)
        x += 1
    z = 1 / (x * x)
    return acc + 1 / x + z / 2 + z / x * (1 / 6 - z * (1 / 30 - z * (
        1 / 42 - z * (1 / 30 - z * 5 / 66))))


def _positive(x: float) -> float:
    x = float(x)  # the series and the recurrence are only valid for x > 0
    if not (x > 0 and math.isfinite(x)):
        raise ValueError(f"x={x:g}: the polygamma series here need a finite x > 0")
    return x


def _checked(durations: ArrayLike, observed: ArrayLike,
             name: str) -> tuple[np.ndarray, np.ndarray]:
    """Durations as a float array and events as a bool array, or a ValueError saying why."""
    t = np.asarray(durations, dtype=float)
    d = np.asarray(observed)
    if t.ndim != 1 or d.ndim != 1 or len(t) != len(d):
        raise ValueError(f"{name} and the event flags must be 1-D of the same length; got "
                         f"shapes {t.shape} and {d.shape}")
    if not len(t):
        raise ValueError(f"{name} is empty: nothing to fit")
    for bad, what in ((~np.isfinite(t), "NaN or infinite"), (t < 0, "negative")):
        if np.any(bad):
            raise ValueError(f"{int(bad.sum())} of {len(t):,} values of {name} are {what}")
    if d.dtype != bool and not np.all((d == 0) | (d == 1)):
        raise ValueError("the event flags must be booleans (or 0/1)")
    return t, d.astype(bool)


def _result(fits: list[FamilyFit | None], t: np.ndarray, d: np.ndarray,
            censored: bool) -> DurationFit:
    """The fits that exist, best AIC first, and the best one's values up front."""
    fits = sorted((f for f in fits if f is not None), key=lambda f: f.aic)
    b = fits[0]
    return DurationFit(b.family, b.mean, b.cv, b.mean_se, b.cv_se, len(t), int(d.sum()),
                       censored, tuple(fits), kaplan_meier(t, d))


def _exponential(t: np.ndarray, d: np.ndarray) -> FamilyFit:
    """Exponential ML with right censoring: mean = total time / events, and SE =
    mean / sqrt(events) from the inverse information (uncensored: the sample mean, its SE)."""
    r = int(d.sum())
    mean = float(t.sum()) / r
    return FamilyFit("exponential", mean, 1.0, mean / math.sqrt(r), 0.0,
                     -r * math.log(mean) - r, 1)


def _lognormal(t: np.ndarray) -> FamilyFit:
    """Lognormal ML: mu, s2 = mean and variance (divisor n) of ln t. ln mean = mu + s2/2 has
    variance s2/n + Var(s2)/4 with Var(s2) = 2 s2**2 / n (mu and s2 are independent)."""
    y, n = np.log(t), len(t)
    mu, s2 = float(y.mean()), float(y.var())
    mean, cv = math.exp(mu + s2 / 2), math.sqrt(math.expm1(s2))
    return FamilyFit("lognormal", mean, cv, mean * math.sqrt(s2 / n + s2**2 / (2 * n)),
                     math.exp(s2) / (2 * cv) * math.sqrt(2 * s2**2 / n),  # d cv / d s2
                     -float(y.sum()) - n / 2 * math.log(2 * math.pi * s2) - n / 2, 2)


def _gamma(t: np.ndarray) -> FamilyFit:
    """Gamma ML: the mean is the sample mean, SE = mean / sqrt(k n) (the model's sd over
    sqrt(n)); mean and shape k are orthogonal, and k has information n (psi'(k) - 1/k)."""
    y, n, mean = np.log(t), len(t), float(t.mean())
    k = _gamma_shape(math.log(mean) - float(y.mean()))
    loglik = ((k - 1) * float(y.sum()) - n * k - n * k * math.log(mean / k)
              - n * math.lgamma(k))
    return FamilyFit("gamma", mean, 1 / math.sqrt(k), mean / math.sqrt(k * n),
                     0.5 * k**-1.5 / math.sqrt(n * (trigamma(k) - 1 / k)), loglik, 2)


def _gamma_shape(s: float) -> float:
    """Gamma ML shape k: the root of log k - psi(k) = s (s = log mean - mean log > 0).
    Minka's (2002) closed-form start is within 1.5% of the root; Newton polishes it."""
    k = (3 - s + math.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s)
    for _ in range(50):
        step = (math.log(k) - digamma(k) - s) / (1 / k - trigamma(k))
        k = k - step if k - step > 0 else k / 2  # never leave k > 0
        if abs(step) < 1e-13 * k:
            break
    return k


def _weibull(t: np.ndarray, d: np.ndarray) -> FamilyFit | None:
    """Weibull ML with right censoring; None if the maximum is at k -> infinity (or at a
    shape below 1e-4).

    Given the shape k the scale is closed-form, lambda**k = sum t**k / r (r events); the
    profile score in k, sum t**k ln t / sum t**k - 1/k - mean of ln t over events, is
    increasing in k, so its root is bracketed and bisected on ln k (robust, no starting
    point). Zero durations can only be censored (checked by the callers) and add nothing.
    """
    pos = t > 0
    y, e = np.log(t[pos]), d[pos]
    r, ybar = int(e.sum()), float(np.mean(np.log(t[d])))
    ymax = float(y.max())

    def score(k: float) -> float:
        w = np.exp(k * (y - ymax))  # scaled by the largest term: no overflow
        return float(w @ y / w.sum()) - 1 / k - ybar

    lo, hi = math.log(0.05), math.log(50.0)
    while score(math.exp(lo)) > 0:
        if lo < math.log(1e-4):
            return None  # a shape below 1e-4: no Weibull a simulation could use
        lo -= 2
    while score(math.exp(hi)) < 0:
        if hi > math.log(1e4):
            return None
        hi += 2
    for _ in range(64):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if score(math.exp(mid)) < 0 else (lo, mid)
    k = math.exp((lo + hi) / 2)
    u = ymax + (math.log(np.sum(np.exp(k * (y - ymax)))) - math.log(r)) / k  # ln lambda
    w = k * (y - u)
    ew = np.exp(w)
    # Observed information in (ln lambda, k); at the maximum sum exp(w) = r.
    info = np.array([[k * k * ew.sum(), -float(ew @ w)],
                     [-float(ew @ w), (r + float(ew @ w**2)) / (k * k)]])
    cov = np.linalg.inv(info)
    mean = math.exp(u + math.lgamma(1 + 1 / k))
    grad = np.array([1.0, -digamma(1 + 1 / k) / k**2])  # d ln mean / d(ln lambda, k)
    cv = _weibull_cv(k)
    # d cv / dk from cv**2 + 1 = Gamma(1 + 2/k) / Gamma(1 + 1/k)**2.
    dcv = (cv * cv + 1) / (2 * cv) * 2 / k**2 * (digamma(1 + 1 / k) - digamma(1 + 2 / k))
    loglik = r * math.log(k) - float(np.sum(y[e])) + float(np.sum(w[e])) - r
    return FamilyFit("weibull", mean, cv, mean * math.sqrt(float(grad @ cov @ grad)),
                     abs(dcv) * math.sqrt(cov[1, 1]), loglik, 2)


def _weibull_cv(k: float) -> float:
    """cv of a Weibull of shape k; :func:`sim.distributions._weibull_shape` inverts it."""
    return math.sqrt(math.expm1(math.lgamma(1 + 2 / k) - 2 * math.lgamma(1 + 1 / k)))
