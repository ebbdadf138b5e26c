"""Tests for sim.survival: Kaplan-Meier, censored patience fits and handle-time fits.

Exact results (the Kaplan-Meier example, the closed forms, the polygamma identities) are
checked to rounding. Statistical recoveries use the estimator's own standard error: a fitted
mean or cv must lie within Z = 3 SEs of the truth (a false alarm has probability 0.27% per
check if the SE is right, and the SE itself is checked against the spread over replications).
The seeds are fixed, so the tests are deterministic; the tolerances say why they pass.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.distributions import REGISTRY, Weibull, _weibull_shape
from sim.survival import (_weibull_cv, digamma, fit_handle, fit_patience, kaplan_meier,
                          trigamma)

Z = 3.0
EULER_GAMMA = 0.57721566490153286  # the Euler-Mascheroni constant, -psi(1)


def weibull_truth(shape: float, scale: float) -> tuple[float, float]:
    """Mean and cv of a Weibull from the Gamma function, independently of sim.survival."""
    g1, g2 = math.gamma(1 + 1 / shape), math.gamma(1 + 2 / shape)
    return scale * g1, math.sqrt(g2 / g1**2 - 1)


def censored(patience: np.ndarray, rng: np.random.Generator,
             answer_mean: float) -> tuple[np.ndarray, np.ndarray]:
    """Waits and abandonment flags when an independent exponential answer time censors."""
    answer = rng.exponential(answer_mean, len(patience))
    return np.minimum(patience, answer), patience < answer


# --- digamma and trigamma ---------------------------------------------------------------

def test_digamma_known_values() -> None:
    assert digamma(1) == pytest.approx(-EULER_GAMMA, abs=1e-13)
    assert digamma(0.5) == pytest.approx(-EULER_GAMMA - 2 * math.log(2), abs=1e-13)
    for n in (1, 2, 5, 20):  # psi(n + 1) = H_n - gamma
        harmonic = math.fsum(1 / j for j in range(1, n + 1))
        assert digamma(n + 1) == pytest.approx(harmonic - EULER_GAMMA, abs=1e-13)
    for x in (1e-3, 0.3, 2.7, 9.99, 10.0, 55.5):  # the recurrence, across the series switch
        assert digamma(x + 1) - digamma(x) == pytest.approx(1 / x, rel=1e-12)
    # Central difference of ln Gamma: error about h**2 psi''' / 6 < 1e-8 here.
    for x in (0.7, 3.0, 12.0):
        h = 1e-4
        assert digamma(x) == pytest.approx(
            (math.lgamma(x + h) - math.lgamma(x - h)) / (2 * h), abs=1e-7)


def test_trigamma_known_values() -> None:
    assert trigamma(1) == pytest.approx(math.pi**2 / 6, rel=1e-13)
    assert trigamma(0.5) == pytest.approx(math.pi**2 / 2, rel=1e-13)
    for x in (0.2, 4.0, 30.0):
        h = 1e-4
        assert trigamma(x) == pytest.approx((digamma(x + h) - digamma(x - h)) / (2 * h),
                                            rel=1e-6)


@pytest.mark.parametrize("x", [0, -1, float("nan"), float("inf")])
def test_polygamma_rejects_bad_x(x: float) -> None:
    with pytest.raises(ValueError, match="x > 0"):
        digamma(x)
    with pytest.raises(ValueError, match="x > 0"):
        trigamma(x)


# --- Kaplan-Meier -----------------------------------------------------------------------

def test_kaplan_meier_without_censoring_is_one_minus_ecdf() -> None:
    t = np.round(np.random.default_rng(1).exponential(2.0, 300), 1)  # rounded: many ties
    km = kaplan_meier(t, np.ones(len(t), dtype=bool))
    np.testing.assert_array_equal(km.times, np.unique(t))
    np.testing.assert_allclose(km.survival, [np.mean(t > s) for s in km.times],
                               rtol=0, atol=1e-12)
    np.testing.assert_array_equal(km.at_risk, [np.sum(t >= s) for s in km.times])
    np.testing.assert_array_equal(km.events, [np.sum(t == s) for s in km.times])
    assert km.mean_restricted(t.max()) == pytest.approx(t.mean())


def test_kaplan_meier_hand_computed_example() -> None:
    # Six customers: abandoned at 2, answered at 3, abandoned at 3 (the tie: the one answered
    # at 3 is still at risk then), abandoned at 5, answered at 6, abandoned at 7.
    waits = [6, 3, 7, 2, 5, 3]
    abandoned = [False, False, True, True, True, True]
    km = kaplan_meier(waits, abandoned)
    F = Fraction
    s = [F(5, 6), F(5, 6) * F(4, 5), F(5, 6) * F(4, 5) * F(2, 3), F(0)]
    # Greenwood: S**2 * cumulative sum of d / (n (n - d)).
    terms = np.cumsum([F(1, 6 * 5), F(1, 5 * 4), F(1, 3 * 2)])
    np.testing.assert_array_equal(km.times, [2, 3, 5, 7])
    np.testing.assert_array_equal(km.at_risk, [6, 5, 3, 1])
    np.testing.assert_array_equal(km.events, [1, 1, 1, 1])
    np.testing.assert_allclose(km.survival, [float(x) for x in s], rtol=1e-15)
    np.testing.assert_allclose(km.se[:3], [math.sqrt(s[j] ** 2 * terms[j]) for j in range(3)],
                               rtol=1e-14)
    assert km.se[2] == pytest.approx(2 / 9)
    assert math.isnan(km.se[3])  # S = 0: Greenwood's formula divides by zero
    # Area under the steps on [0, 6]: 2 * 1 + 1 * 5/6 + 2 * 2/3 + 1 * 4/9 = 83/18.
    assert km.mean_restricted(6) == pytest.approx(83 / 18, rel=1e-15)


def test_kaplan_meier_tracks_the_true_survival_within_greenwood() -> None:
    rng = np.random.default_rng(2)
    waits, abandoned = censored(rng.exponential(3.0, 3000), rng, 2.0)
    km = kaplan_meier(waits, abandoned)
    for t in (0.5, 1.0, 2.0, 4.0):
        j = np.searchsorted(km.times, t, side="right") - 1
        assert abs(km.survival[j] - math.exp(-t / 3.0)) < Z * km.se[j]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 100), st.booleans()), min_size=1, max_size=60))
def test_hypothesis_kaplan_meier_is_a_survival_curve(data: list[tuple[float, bool]]) -> None:
    durations, observed = zip(*data)
    km = kaplan_meier(durations, observed)
    assert np.all((km.survival >= 0) & (km.survival <= 1))
    assert np.all(np.diff(km.survival) <= 0) and np.all(np.diff(km.times) > 0)
    assert np.all(np.diff(km.at_risk) < 0) and np.all(km.events >= 1)
    assert km.events.sum() == sum(observed)
    assert np.all(np.isnan(km.se) | (km.se >= 0))


# --- patience ---------------------------------------------------------------------------

def test_exponential_patience_is_recovered() -> None:
    rng = np.random.default_rng(3)
    true_mean = 3.0
    waits, abandoned = censored(rng.exponential(true_mean, 4000), rng, 2.0)
    fit = fit_patience(waits, abandoned)
    assert abs(fit.mean - true_mean) < Z * fit.mean_se
    weibull = fit.candidate("weibull")
    # Exponential is Weibull with cv 1: AIC prefers the simpler model, or the cv is
    # consistent with 1.
    assert fit.family == "exponential" or abs(weibull.cv - 1) < Z * weibull.cv_se
    # The closed form: total wait over abandonments, SE mean / sqrt(abandonments).
    expo, r = fit.candidate("exponential"), int(abandoned.sum())
    assert expo.mean == pytest.approx(waits.sum() / r, rel=1e-14)
    assert expo.mean_se == pytest.approx(expo.mean / math.sqrt(r), rel=1e-14)
    assert (fit.n, fit.events, fit.censored) == (4000, r, True)


@pytest.mark.parametrize("shape", [0.6, 2.0])
def test_weibull_patience_is_recovered(shape: float) -> None:
    rng = np.random.default_rng(4)
    true_mean, true_cv = weibull_truth(shape, scale=4.0)
    waits, abandoned = censored(4.0 * rng.weibull(shape, 4000), rng, 4.0)
    fit = fit_patience(waits, abandoned)
    assert fit.family == "weibull"
    assert abs(fit.mean - true_mean) < Z * fit.mean_se
    assert abs(fit.cv - true_cv) < Z * fit.cv_se
    # Same parametrisation as the simulator: the Weibull it builds has the fitted mean and
    # the shape whose cv is the fitted cv.
    dist = fit.distribution()
    assert isinstance(dist, Weibull) and dist.mean == fit.mean
    assert _weibull_cv(dist.shape) == pytest.approx(fit.cv, rel=1e-9)
    assert "abandoned" in fit.describe() and fit.describe().startswith("weibull mean")


@pytest.mark.parametrize("family", ["exponential", "weibull"])
def test_patience_standard_errors_match_the_spread(family: str) -> None:
    # Over R replications the sample sd of the fitted means has relative SE about
    # 1 / sqrt(2 (R - 1)); the average reported SE must match it within 4 of those.
    rng, reps, n = np.random.default_rng(5), 200, 400
    means, ses = [], []
    for _ in range(reps):
        waits, abandoned = censored(3.0 * rng.weibull(1.5, n), rng, 3.0)
        c = fit_patience(waits, abandoned).candidate(family)
        means.append(c.mean)
        ses.append(c.mean_se)
    ratio = np.std(means, ddof=1) / math.sqrt(np.mean(np.square(ses)))
    assert abs(ratio - 1) < 4 / math.sqrt(2 * (reps - 1))


def test_weibull_left_out_when_its_maximum_does_not_exist() -> None:
    # The only abandonment is at the longest wait: the likelihood grows without bound in k.
    fit = fit_patience([1.0, 2.0, 3.0, 5.0], [False, False, False, True])
    assert [c.family for c in fit.candidates] == ["exponential"]
    assert fit.mean == pytest.approx(11.0)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.01, 100))
def test_hypothesis_scaling_durations_scales_the_fit(seed: int, c: float) -> None:
    rng = np.random.default_rng(seed)
    waits, abandoned = censored(2.0 * rng.weibull(1.3, 200), rng, 2.0)
    base, scaled = fit_patience(waits, abandoned), fit_patience(c * waits, abandoned)
    r = int(abandoned.sum())
    for b in base.candidates:
        s = scaled.candidate(b.family)
        assert s.mean == pytest.approx(c * b.mean, rel=1e-9)
        assert s.mean_se == pytest.approx(c * b.mean_se, rel=1e-6)
        assert s.cv == pytest.approx(b.cv, rel=1e-9)
        # Densities in minutes: every log-likelihood moves by -r ln c, AIC by 2 r ln c.
        assert s.aic - b.aic == pytest.approx(2 * r * math.log(c), abs=1e-6 * abs(b.aic))
    np.testing.assert_allclose(scaled.km.survival, base.km.survival)


# --- handle times -----------------------------------------------------------------------

def lognormal(rng: np.random.Generator, mean: float, cv: float, n: int) -> np.ndarray:
    s2 = math.log1p(cv**2)
    return rng.lognormal(math.log(mean) - s2 / 2, math.sqrt(s2), n)


SAMPLERS = {
    "lognormal": (6.0, 0.9, lambda rng, n: lognormal(rng, 6.0, 0.9, n)),
    "gamma": (6.0, 0.7, lambda rng, n: rng.gamma(1 / 0.7**2, 6.0 * 0.7**2, n)),
    "exponential": (6.0, 1.0, lambda rng, n: rng.exponential(6.0, n)),
    "weibull": (*weibull_truth(2.5, 5.0), lambda rng, n: 5.0 * rng.weibull(2.5, n)),
}


@pytest.mark.parametrize("family", SAMPLERS)
def test_fit_handle_recovers_family_mean_and_cv(family: str) -> None:
    true_mean, true_cv, draw = SAMPLERS[family]
    x = draw(np.random.default_rng(6), 5000)
    fit = fit_handle(x)
    assert {c.family for c in fit.candidates} == {"exponential", "lognormal", "gamma",
                                                  "weibull"} <= set(REGISTRY)
    assert list(fit.aic.values()) == sorted(fit.aic.values())
    if family == "exponential" and fit.family in ("gamma", "weibull"):
        # Both nest the exponential (cv 1); AIC picks them by chance (about 16% each),
        # and then their cv must be consistent with 1.
        assert abs(fit.cv - 1) < Z * fit.cv_se
    else:
        assert fit.family == family
    assert abs(fit.mean - true_mean) < Z * fit.mean_se
    assert fit.cv_se == 0 or abs(fit.cv - true_cv) < Z * fit.cv_se
    assert (fit.n, fit.events, fit.censored) == (5000, 5000, False)
    assert fit.describe().endswith("from 5,000 contacts")


def test_gamma_fit_solves_its_likelihood_equation() -> None:
    x = np.random.default_rng(7).gamma(3.0, 2.0, 2000)
    g = fit_handle(x).candidate("gamma")
    k = 1 / g.cv**2
    assert g.mean == pytest.approx(x.mean(), rel=1e-14)
    assert math.log(k) - digamma(k) == pytest.approx(
        math.log(x.mean()) - np.mean(np.log(x)), abs=1e-12)


def test_weibull_cv_matches_the_simulators_shape() -> None:
    for k in (0.3, 0.6, 1.0, 2.0, 7.0):
        assert _weibull_shape(_weibull_cv(k)) == pytest.approx(k, rel=1e-9)


# --- bad input --------------------------------------------------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda: fit_patience([1.0, 2.0], [False, False]), "none of the 2 contacts abandoned"),
    (lambda: fit_patience([1.0, -2.0, -1.0], [True, False, True]),
     "2 of 3 values of waits_min are negative"),
    (lambda: fit_patience([1.0, float("nan")], [True, False]), "1 of 2 .* NaN"),
    (lambda: fit_patience([1.0, 2.0], [True]), "same length"),
    (lambda: fit_patience([0.0, 0.0, 2.0], [True, False, True]),
     "1 abandoned contact.* zero wait"),
    (lambda: fit_patience([1.0, 2.0], [1, 2]), "booleans"),
    (lambda: fit_patience([], []), "empty"),
    (lambda: fit_handle([1.0, 0.0, -3.0, 2.0]), "2 of 4 handle times are zero or negative"),
    (lambda: fit_handle([4.0, 4.0, 4.0]), "all 3 handle times equal 4"),
    (lambda: fit_handle([1.0, float("inf")]), "NaN or infinite"),
    (lambda: kaplan_meier([[1.0]], [[True]]), "1-D"),
])
def test_bad_input_raises_a_clear_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
