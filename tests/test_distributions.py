"""Tests for sim.distributions: moments match (mean, cv), validation names the bad parameter.

Statistical tolerances are 4 standard errors of the statistic under the configured
distribution (fixed seeds, so the tests are reproducible):

* sample mean: SE = sigma / sqrt(n), sigma = cv * mean;
* sample variance: SE = sqrt((mu4 - sigma^4) / n), with mu4 the 4th central moment
  (exponential mu4 = 9 sigma^4; gamma with shape k: mu4 = (3 + 6/k) sigma^4);
* lognormal: log X ~ Normal(mu, s^2) exactly, so its sample mean has SE s/sqrt(n) and its
  sample variance SE s^2 sqrt(2/n); the sample cv itself is too noisy with heavy tails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.distributions import (REGISTRY, Deterministic, Empirical, Exponential, Gamma,
                               Lognormal, Weibull, make)

N = 200_000
Z = 4.0  # standard errors allowed


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# --- moments ----------------------------------------------------------------------------

@pytest.mark.parametrize("mean", [0.5, 4.0, 30.0])
def test_exponential_mean_and_variance(mean: float) -> None:
    """Exponential: sample mean within 4 SE of mean; sample variance within 4 SE of mean^2."""
    x = make("exponential", mean).sample(rng(1), N)
    sigma2 = mean**2
    assert abs(x.mean() - mean) < Z * math.sqrt(sigma2 / N)
    assert abs(x.var(ddof=1) - sigma2) < Z * math.sqrt((9 - 1) * sigma2**2 / N)


@pytest.mark.parametrize("mean, cv", [(3.0, 0.3), (6.0, 1.0), (10.0, 2.0)])
def test_gamma_mean_and_cv(mean: float, cv: float) -> None:
    """Gamma: sample mean and variance (hence cv) within 4 SE of the configured values."""
    x = make("gamma", mean, cv).sample(rng(2), N)
    k = 1 / cv**2
    sigma2 = (cv * mean) ** 2
    assert abs(x.mean() - mean) < Z * math.sqrt(sigma2 / N)
    assert abs(x.var(ddof=1) - sigma2) < Z * sigma2 * math.sqrt((2 + 6 / k) / N)


@pytest.mark.parametrize("mean, cv", [(2.0, 0.25), (5.0, 0.7), (8.0, 1.0), (4.0, 3.0)])
def test_lognormal_log_moments(mean: float, cv: float) -> None:
    """Lognormal: log X has mean ln(mean) - s^2/2 and variance s^2, s^2 = ln(1 + cv^2).

    The log-moments are exact normal statistics, so they are a tight test of the
    parametrisation even for heavy tails (cv = 3).
    """
    x = make("lognormal", mean, cv).sample(rng(3), N)
    s2 = math.log1p(cv**2)
    logx = np.log(x)
    assert abs(logx.mean() - (math.log(mean) - s2 / 2)) < Z * math.sqrt(s2 / N)
    assert abs(logx.var(ddof=1) - s2) < Z * s2 * math.sqrt(2 / (N - 1))


@pytest.mark.parametrize("mean, cv", [(2.0, 0.25), (5.0, 0.7), (8.0, 1.0)])
def test_lognormal_mean(mean: float, cv: float) -> None:
    """Lognormal with cv <= 1: the arithmetic mean itself is within 4 SE (SE = cv*mean/sqrt n)."""
    x = make("lognormal", mean, cv).sample(rng(4), N)
    assert abs(x.mean() - mean) < Z * cv * mean / math.sqrt(N)


def test_lognormal_cv_low_variance_case() -> None:
    """Lognormal with small cv (light tails): sample variance within 4 SE of (cv*mean)^2.

    Uses the exact 4th central moment of the lognormal, so no normal approximation.
    """
    mean, cv = 5.0, 0.3
    x = make("lognormal", mean, cv).sample(rng(5), N)
    w = 1 + cv**2  # exp(s^2)
    sigma2 = (cv * mean) ** 2
    mu4 = sigma2**2 * (w**4 + 2 * w**3 + 3 * w**2 - 3)  # kurtosis * sigma^4
    assert abs(x.var(ddof=1) - sigma2) < Z * math.sqrt((mu4 - sigma2**2) / N)


@pytest.mark.parametrize("mean", [0.001, 1.0, 7.25])
def test_deterministic_is_exactly_the_mean(mean: float) -> None:
    """Deterministic samples equal the mean exactly and do not consume the stream."""
    g = rng(6)
    state = g.bit_generator.state
    x = make("deterministic", mean).sample(g, 1000)
    assert x.shape == (1000,)
    assert np.all(x == mean)
    assert g.bit_generator.state == state  # nothing drawn
    assert make("deterministic", mean).sample(g, 0).shape == (0,)


def test_empirical_returns_only_observed_values_with_right_frequencies() -> None:
    """Empirical resamples with replacement: only observed values, each with frequency
    count/len within 4 binomial SE; its ``mean`` property is the values' mean."""
    values = [0.0, 1.0, 2.0, 2.0, 7.5]
    d = make("empirical", values=values)
    assert isinstance(d, Empirical)
    assert d.mean == pytest.approx(np.mean(values), rel=1e-15)
    assert d.cv == pytest.approx(np.std(values) / np.mean(values), rel=1e-12)
    x = d.sample(rng(7), N)
    assert set(np.unique(x)) <= set(values)
    for v in set(values):
        p = values.count(v) / len(values)
        assert abs(np.mean(x == v) - p) < Z * math.sqrt(p * (1 - p) / N)
    sigma = np.std(values)
    assert abs(x.mean() - d.mean) < Z * sigma / math.sqrt(N)


def test_empirical_single_value_is_constant() -> None:
    """One observed value: every draw is that value, mean is that value, cv is 0."""
    d = make("empirical", values=[4.5])
    assert np.all(d.sample(rng(8), 100) == 4.5)
    assert d.mean == 4.5 and d.cv == 0.0


@pytest.mark.parametrize("kind, mean, cv", [("exponential", 3.0, None), ("lognormal", 3.0, 1.5),
                                            ("gamma", 3.0, 0.5), ("deterministic", 3.0, None)])
def test_samples_non_negative_and_reproducible(kind: str, mean: float, cv: float | None) -> None:
    """All kinds give non-negative finite floats; the same seed reproduces the same draws."""
    d = make(kind, mean, cv)
    x = d.sample(rng(9), 10_000)
    assert x.dtype == np.float64 and x.shape == (10_000,)
    assert np.all(np.isfinite(x)) and np.all(x >= 0)
    np.testing.assert_array_equal(x, d.sample(rng(9), 10_000))


# --- construction -----------------------------------------------------------------------

def test_registry_kinds_and_make_types() -> None:
    """REGISTRY maps the config names to the classes, and ``make`` builds that class."""
    assert REGISTRY == {"exponential": Exponential, "lognormal": Lognormal, "gamma": Gamma,
                        "weibull": Weibull, "deterministic": Deterministic, "empirical": Empirical}
    assert type(make("exponential", 2.0)) is Exponential
    assert type(make("lognormal", 2.0, 0.5)) is Lognormal
    assert type(make("gamma", 2.0, 0.5)) is Gamma
    assert type(make("deterministic", 2.0)) is Deterministic


def test_make_sets_parameters() -> None:
    """``make`` keeps mean and cv; fixed-cv kinds accept their own cv (1 or 0) or none."""
    d = make("gamma", 2.5, 0.4)
    assert (d.mean, d.cv) == (2.5, 0.4)
    assert make("exponential", 2.0, 1.0).cv == 1.0
    assert make("exponential", 2.0).cv == 1.0
    assert make("deterministic", 2.0, 0.0).cv == 0.0
    assert make("deterministic", 2.0).mean == 2.0


def test_unknown_kind_lists_valid_kinds() -> None:
    """An unknown kind is rejected with a message naming it and every valid kind."""
    with pytest.raises(ValueError) as err:
        make("pareto", 2.0, 1.0)
    msg = str(err.value)
    assert msg.startswith("dist=") and "pareto" in msg
    for kind in REGISTRY:
        assert kind in msg


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("kwargs, param, shown", [
    (dict(kind="exponential", mean=0.0), "mean", "0.0"),
    (dict(kind="exponential", mean=-2.0), "mean", "-2.0"),
    (dict(kind="lognormal", mean=NAN, cv=1.0), "mean", "nan"),
    (dict(kind="gamma", mean=INF, cv=1.0), "mean", "inf"),
    (dict(kind="gamma", mean=None, cv=1.0), "mean", "None"),
    (dict(kind="deterministic", mean=-1.0), "mean", "-1.0"),
    (dict(kind="lognormal", mean=2.0, cv=0.0), "cv", "0.0"),
    (dict(kind="lognormal", mean=2.0, cv=-0.5), "cv", "-0.5"),
    (dict(kind="gamma", mean=2.0, cv=0.0), "cv", "0.0"),
    (dict(kind="gamma", mean=2.0, cv=NAN), "cv", "nan"),
    (dict(kind="gamma", mean=2.0, cv=None), "cv", "None"),
    (dict(kind="lognormal", mean=2.0), "cv", "None"),
    (dict(kind="exponential", mean=2.0, cv=0.5), "cv", "0.5"),
    (dict(kind="exponential", mean=2.0, cv=2.0), "cv", "2.0"),
    (dict(kind="deterministic", mean=2.0, cv=0.3), "cv", "0.3"),
    (dict(kind="empirical", values=[]), "values", "[]"),
    (dict(kind="empirical", values=None), "values", "[]"),
    (dict(kind="empirical", values=[-1.0, 2.0]), "values", "-1.0"),
    (dict(kind="empirical", values=[0.0, 0.0]), "values", "0.0"),
    (dict(kind="empirical", values=[1.0, NAN]), "values", "nan"),
])
def test_make_rejects_invalid_parameters(kwargs: dict, param: str, shown: str) -> None:
    """Each invalid parameter raises ValueError whose message starts ``<param>=<value>``.

    The ``param=`` prefix is a contract: sim.cli.config reads it to name the config key.
    """
    with pytest.raises(ValueError) as err:
        make(**kwargs)
    msg = str(err.value)
    assert msg.startswith(f"{param}="), msg
    assert shown in msg, msg


# --- invariants -------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(["exponential", "lognormal", "gamma", "deterministic"]),
       mean=st.floats(1e-3, 1e4), cv=st.floats(0.05, 5.0), size=st.integers(0, 300),
       seed=st.integers(0, 2**32))
def test_hypothesis_valid_parameters_sample_shape(kind: str, mean: float, cv: float,
                                                  size: int, seed: int) -> None:
    """Any valid (mean, cv): ``size`` finite non-negative floats; parameters kept."""
    d = make(kind, mean, cv if kind in ("lognormal", "gamma") else None)
    x = d.sample(rng(seed), size)
    assert x.shape == (size,)
    assert np.all(np.isfinite(x)) and np.all(x >= 0)
    assert d.mean == mean


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.floats(0, 1e4), min_size=1, max_size=20).filter(lambda v: sum(v) > 0),
       size=st.integers(0, 200), seed=st.integers(0, 2**32))
def test_hypothesis_empirical(values: list[float], size: int, seed: int) -> None:
    """Any valid observed list: draws are a subset of it, and ``mean`` is its mean."""
    d = make("empirical", values=values)
    x = d.sample(rng(seed), size)
    assert x.shape == (size,)
    assert set(x.tolist()) <= set(values)
    assert d.mean == pytest.approx(float(np.mean(values)), rel=1e-12)


@pytest.mark.parametrize("mean, cv", [(3.0, 0.3), (5.0, 1.0), (2.0, 1.8)])
def test_weibull_mean_and_cv(mean: float, cv: float) -> None:
    """Weibull: the shape solves the cv equation (to 1e-9), cv = 1 is the exponential, and
    the sample mean is within 4 SE; log X is a Gumbel with variance pi^2 / (6 k^2) (exact,
    a tight check of the shape even for heavy tails)."""
    d = make("weibull", mean, cv)
    assert isinstance(d, Weibull)
    k = d.shape
    assert math.sqrt(math.gamma(1 + 2 / k) / math.gamma(1 + 1 / k) ** 2 - 1) == pytest.approx(cv, abs=1e-9)
    if cv == 1.0:
        assert k == pytest.approx(1.0, abs=1e-9)
    x = d.sample(rng(11), N)
    assert abs(x.mean() - mean) < Z * cv * mean / math.sqrt(N)
    s2 = math.pi**2 / (6 * k**2)
    # Var of the sample variance of a Gumbel: (mu4 - s^4)/n with mu4 = 27/5 s^4.
    assert abs(np.log(x).var(ddof=1) - s2) < Z * s2 * math.sqrt((27 / 5 - 1) / N)


def test_weibull_cv_out_of_range_is_named() -> None:
    with pytest.raises(ValueError, match="cv=50"):
        make("weibull", 3.0, 50.0)


@pytest.mark.parametrize("d", [make("exponential", 4.0), make("lognormal", 4.0, 0.8),
                               make("gamma", 4.0, 0.6), make("weibull", 4.0, 0.7),
                               make("deterministic", 4.0), make("empirical", values=[1, 2, 9])])
@pytest.mark.parametrize("p", [0.5, 1.0, 2.0])
def test_moment_matches_sample(d, p: float) -> None:
    """E[X^p] in closed form agrees with the sample mean of X^p within 4 SE (and p = 1 is
    the mean)."""
    x = d.sample(rng(12), N) ** p
    se = x.std() / math.sqrt(N)
    assert abs(x.mean() - d.moment(p)) <= Z * se + 1e-12 * d.moment(p)
    if p == 1.0:
        assert d.moment(1.0) == pytest.approx(d.mean, rel=1e-12)
