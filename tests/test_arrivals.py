"""Tests for sim.arrivals.ProfiledPoisson: exact piecewise-constant Poisson sampling.

Expected counts are computed here from the documented formula
``rate_per_hour / 60 * intraday[i] / mean(intraday) * weekly[d] / mean(weekly)``, not from
the class's own helpers. Statistical checks use the Poisson law of the counts: a sum of
independent Poisson counts is Poisson, so its sd is sqrt(expectation); tolerances are 4 sd
(or a chi-square upper quantile at p = 1e-4), with fixed seeds for reproducibility.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sim.arrivals import MIN_PER_DAY, MIN_PER_WEEK, ProfiledPoisson

INTRADAY = (0, 0, 0, 0, 0, 0, 1, 2, 4, 6, 8, 8, 7, 7, 6, 6, 5, 5, 4, 3, 2, 1, 0.5, 0)
WEEKLY = (1.2, 1.1, 1.0, 1.0, 1.0, 0.5, 0.3)
RATE = 20.0  # per hour, weekly average


def per_minute(rate: float, intraday, weekly) -> np.ndarray:
    """Reference rate per minute, shape (7, len(intraday)), from the documented formula."""
    d = np.asarray(intraday, float) / np.mean(intraday)
    w = np.asarray(weekly, float) / np.mean(weekly)
    w = np.full(7, w[0]) if len(w) == 1 else w
    return rate / 60.0 * w[:, None] * d[None, :]


def chi2_upper(df: int, p_upper: float = 1e-4) -> float:
    """Upper ``p_upper`` quantile of chi-square(df) (Wilson-Hilferty; ample for df >= 10)."""
    z = NormalDist().inv_cdf(1 - p_upper)
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


@pytest.fixture(scope="module")
def weeks() -> list[np.ndarray]:
    """200 independent one-week samples of the profiled process (one stream, fixed seed)."""
    proc = ProfiledPoisson(RATE, INTRADAY, WEEKLY)
    rng = np.random.default_rng(20240601)
    return [proc.sample(rng, MIN_PER_WEEK) for _ in range(200)]


# --- basic contract -----------------------------------------------------------------------

def test_times_sorted_and_within_horizon(weeks: list[np.ndarray]) -> None:
    """Sampled times are sorted, finite and in [0, horizon)."""
    for t in weeks:
        assert np.all(np.diff(t) >= 0)
        assert np.all(np.isfinite(t))
        assert t.size == 0 or (t[0] >= 0 and t[-1] < MIN_PER_WEEK)


def test_no_arrivals_in_zero_rate_pieces(weeks: list[np.ndarray]) -> None:
    """Pieces with zero rate (night hours) receive no arrivals at all."""
    t = np.concatenate(weeks)
    hour = ((t % MIN_PER_DAY) // 60).astype(int)
    zero_hours = [i for i, v in enumerate(INTRADAY) if v == 0]
    assert not np.isin(hour, zero_hours).any()


def test_daily_totals_match_integrated_rate(weeks: list[np.ndarray]) -> None:
    """Each weekday's total over 200 weeks is within 4 sd of its Poisson expectation."""
    t = np.concatenate(weeks)
    day = (t // MIN_PER_DAY).astype(int)
    observed = np.bincount(day, minlength=7)
    expected = 200 * per_minute(RATE, INTRADAY, WEEKLY).sum(axis=1) * 60.0
    assert len(observed) == 7
    assert np.all(np.abs(observed - expected) < 4 * np.sqrt(expected)), (observed, expected)
    # The weekly profile matters: Monday and Sunday differ by a factor of 4.
    assert observed[0] > 3 * observed[6]


@pytest.mark.parametrize("day", [0, 2, 6])
def test_hourly_bins_chi_square(weeks: list[np.ndarray], day: int) -> None:
    """One day's 24 hourly counts over 200 weeks: Pearson chi-square below the 1e-4 quantile.

    Expectations are fully specified (nothing fitted), so df = number of positive bins;
    bins with zero expectation must be empty.
    """
    t = np.concatenate(weeks)
    t = t[(t >= day * MIN_PER_DAY) & (t < (day + 1) * MIN_PER_DAY)]
    observed = np.bincount(((t - day * MIN_PER_DAY) // 60).astype(int), minlength=24)
    expected = 200 * per_minute(RATE, INTRADAY, WEEKLY)[day] * 60.0
    pos = expected > 0
    assert np.all(observed[~pos] == 0)
    stat = float(np.sum((observed[pos] - expected[pos]) ** 2 / expected[pos]))
    assert stat < chi2_upper(int(pos.sum())), stat


def test_times_uniform_within_pieces(weeks: list[np.ndarray]) -> None:
    """Within each hourly piece times are uniform: position-in-piece deciles pass chi-square."""
    t = np.concatenate(weeks)
    decile = ((t % 60.0) // 6.0).astype(int)
    observed = np.bincount(decile, minlength=10)
    expected = np.full(10, len(t) / 10)
    stat = float(np.sum((observed - expected) ** 2 / expected))
    assert stat < chi2_upper(9), stat


def test_count_dispersion_is_poisson() -> None:
    """Count in [630, 690) min (straddling a rate change at 660) over 2000 days:
    mean within 4 SE of the integrated rate and index of dispersion var/mean within 4 sd of 1
    (sd of the dispersion index for Poisson counts ~ sqrt(2/(R-1))); counts in disjoint
    intervals are uncorrelated (|r| < 4/sqrt(R))."""
    proc = ProfiledPoisson(RATE, INTRADAY, WEEKLY)
    rng = np.random.default_rng(7)
    R = 2000
    a = np.empty(R)
    b = np.empty(R)
    for i in range(R):
        t = proc.sample(rng, MIN_PER_DAY)
        a[i] = np.count_nonzero((t >= 630) & (t < 690))
        b[i] = np.count_nonzero((t >= 900) & (t < 960))
    r = per_minute(RATE, INTRADAY, WEEKLY)[0]
    lam = 30 * r[10] + 30 * r[11]
    assert abs(a.mean() - lam) < 4 * math.sqrt(lam / R)
    dispersion = a.var(ddof=1) / a.mean()
    assert abs(dispersion - 1) < 4 * math.sqrt(2 / (R - 1)), dispersion
    assert abs(np.corrcoef(a, b)[0, 1]) < 4 / math.sqrt(R)


def test_partial_last_piece() -> None:
    """Horizon 90.5 min with 60-min pieces: the last piece is 30.5 min long, so the expected
    count in [60, 90.5) is rate1 * 30.5 (not rate1 * 60), and no time reaches 90.5."""
    intraday = (1.0, 3.0) + (1.0,) * 22
    proc = ProfiledPoisson(60.0, intraday)
    r = per_minute(60.0, intraday, (1.0,))[0]
    rng = np.random.default_rng(11)
    R = 3000
    samples = [proc.sample(rng, 90.5) for _ in range(R)]
    t = np.concatenate(samples)
    assert t.max() < 90.5
    first = np.count_nonzero(t < 60)
    last = np.count_nonzero(t >= 60)
    exp_first, exp_last = R * r[0] * 60, R * r[1] * 30.5
    assert abs(first - exp_first) < 4 * math.sqrt(exp_first)
    assert abs(last - exp_last) < 4 * math.sqrt(exp_last)
    # Uniform within the partial piece: its two halves get equal shares (binomial, 4 sd).
    half = np.count_nonzero((t >= 60) & (t < 75.25))
    assert abs(half / last - 0.5) < 4 * math.sqrt(0.25 / last)
    assert proc.mean_rate(0, 90.5) == pytest.approx((r[0] * 60 + r[1] * 30.5) / 90.5,
                                                     rel=1e-12)


def test_horizon_beyond_one_week_wraps_profile() -> None:
    """A 9-day horizon repeats the week: day 7 is a Monday, day 8 a Tuesday."""
    proc = ProfiledPoisson(RATE, INTRADAY, WEEKLY)
    grid = np.arange(0, MIN_PER_WEEK, 17.0)
    np.testing.assert_array_equal(proc.rate_at(grid + MIN_PER_WEEK), proc.rate_at(grid))
    assert proc.mean_rate(MIN_PER_WEEK, MIN_PER_WEEK + 2 * MIN_PER_DAY) == pytest.approx(
        proc.mean_rate(0, 2 * MIN_PER_DAY), rel=1e-12)
    rng = np.random.default_rng(13)
    R = 100
    t = np.concatenate([proc.sample(rng, 9 * MIN_PER_DAY) for _ in range(R)])
    assert t.max() < 9 * MIN_PER_DAY
    daily = per_minute(RATE, INTRADAY, WEEKLY).sum(axis=1) * 60.0
    for day, ref in ((7, 0), (8, 1)):
        n = np.count_nonzero((t >= day * MIN_PER_DAY) & (t < (day + 1) * MIN_PER_DAY))
        assert abs(n - R * daily[ref]) < 4 * math.sqrt(R * daily[ref])


def test_zero_horizon_gives_no_arrivals() -> None:
    """A zero horizon yields an empty float array."""
    t = ProfiledPoisson(RATE, INTRADAY, WEEKLY).sample(np.random.default_rng(0), 0.0)
    assert t.shape == (0,)


# --- rate, mean rate, shapes ------------------------------------------------------------

def test_rate_at_matches_formula() -> None:
    """``rate_at`` equals the documented formula at every piece of the week, scalar or array."""
    proc = ProfiledPoisson(RATE, INTRADAY, WEEKLY)
    ref = per_minute(RATE, INTRADAY, WEEKLY)
    mid = (np.arange(7)[:, None] * MIN_PER_DAY + np.arange(24)[None, :] * 60 + 30.0)
    np.testing.assert_allclose(proc.rate_at(mid.ravel()), ref.ravel(), rtol=1e-12)
    assert float(proc.rate_at(2 * MIN_PER_DAY + 10 * 60 + 1)) == pytest.approx(ref[2, 10],
                                                                              rel=1e-12)
    # Piece boundaries belong to the piece they start.
    assert float(proc.rate_at(MIN_PER_DAY + 6 * 60)) == pytest.approx(ref[1, 6], rel=1e-12)
    assert float(proc.rate_at(MIN_PER_DAY + 6 * 60 - 1e-6)) == 0.0


def test_mean_rate_over_a_week_is_the_average_rate() -> None:
    """``mean_rate(0, 1 week)`` is rate_per_hour / 60 whatever the shapes (they have mean 1)."""
    for intr, week in ((INTRADAY, WEEKLY), ((1.0,), (1.0,)), ((5, 0, 1), (0, 0, 0, 0, 0, 1, 1))):
        proc = ProfiledPoisson(RATE, intr, week)
        assert proc.mean_rate(0, MIN_PER_WEEK) == pytest.approx(RATE / 60, rel=1e-12)
        # Any whole number of weeks, from any starting point.
        assert proc.mean_rate(1234.5, 1234.5 + 3 * MIN_PER_WEEK) == pytest.approx(RATE / 60,
                                                                                  rel=1e-12)


@settings(max_examples=50, deadline=None)
@given(a=st.floats(0, 2 * MIN_PER_WEEK), length=st.floats(1e-3, 3 * MIN_PER_DAY))
def test_hypothesis_mean_rate_is_integral_of_rate_at(a: float, length: float) -> None:
    """``mean_rate(a, b)`` * (b - a) equals the integral of ``rate_at`` split at piece edges."""
    proc = ProfiledPoisson(RATE, INTRADAY, WEEKLY)
    b = a + length
    assume(b > a)
    cuts = np.arange(math.floor(a / 60) + 1, math.ceil(b / 60)) * 60.0
    pts = np.concatenate([[a], cuts[(cuts > a) & (cuts < b)], [b]])
    integral = float(np.sum(proc.rate_at((pts[:-1] + pts[1:]) / 2) * np.diff(pts)))
    assert proc.mean_rate(a, b) * (b - a) == pytest.approx(integral, rel=1e-9, abs=1e-9)


def test_mean_rate_requires_positive_span() -> None:
    """An empty or reversed span is rejected."""
    proc = ProfiledPoisson(RATE)
    with pytest.raises(ValueError):
        proc.mean_rate(10, 10)
    with pytest.raises(ValueError):
        proc.mean_rate(10, 5)


def test_shapes_are_normalised() -> None:
    """Scaling intraday by 10 and weekly by 3 changes neither rates nor samples."""
    p1 = ProfiledPoisson(RATE, INTRADAY, WEEKLY)
    p2 = ProfiledPoisson(RATE, tuple(10 * v for v in INTRADAY), tuple(3 * v for v in WEEKLY))
    grid = np.arange(0, MIN_PER_WEEK, 7.0)
    np.testing.assert_allclose(p2.rate_at(grid), p1.rate_at(grid), rtol=1e-12)
    assert p2.mean_rate(100, 5000) == pytest.approx(p1.mean_rate(100, 5000), rel=1e-12)
    s1 = p1.sample(np.random.default_rng(5), MIN_PER_WEEK)
    s2 = p2.sample(np.random.default_rng(5), MIN_PER_WEEK)
    assert len(s1) == len(s2)
    np.testing.assert_allclose(s2, s1, rtol=1e-12)


def test_flat_defaults() -> None:
    """Default shapes are flat: constant rate; weekly (1,) equals seven equal days."""
    proc = ProfiledPoisson(12.0)
    assert proc.piece_min == MIN_PER_DAY
    np.testing.assert_allclose(proc.rate_at(np.linspace(0, 3 * MIN_PER_WEEK, 101)), 0.2,
                               rtol=1e-12)
    seven = ProfiledPoisson(12.0, (1.0,), (2.0,) * 7)
    np.testing.assert_array_equal(proc.sample(np.random.default_rng(3), 5000.0),
                                  seven.sample(np.random.default_rng(3), 5000.0))


@pytest.mark.parametrize("n, piece", [(1, 1440.0), (24, 60.0), (48, 30.0), (96, 15.0)])
def test_piece_min(n: int, piece: float) -> None:
    """``piece_min`` is the day divided into ``len(intraday)`` equal pieces."""
    assert ProfiledPoisson(1.0, (1.0,) * n).piece_min == piece


@pytest.mark.parametrize("kwargs, name", [
    (dict(intraday=(1.0, -0.5, 2.0)), "intraday"),
    (dict(intraday=(0.0, 0.0)), "intraday"),
    (dict(intraday=()), "intraday"),
    (dict(weekly=(1, 1, 1, 1, 1, -1, 1)), "weekly"),
    (dict(weekly=(0,) * 7), "weekly"),
    (dict(weekly=(1.0, 2.0, 3.0)), "weekly"),
    (dict(weekly=(1.0,) * 8), "weekly"),
    (dict(rate_per_hour=0.0), "rate_per_hour"),
    (dict(rate_per_hour=-3.0), "rate_per_hour"),
    (dict(rate_per_hour=float("nan")), "rate_per_hour"),
    (dict(rate_per_hour=float("inf")), "rate_per_hour"),
])
def test_invalid_parameters_raise(kwargs: dict, name: str) -> None:
    """Invalid shapes or rate raise ValueError whose message starts with the parameter name."""
    args = {"rate_per_hour": RATE, **kwargs}
    with pytest.raises(ValueError, match=rf"^{name}="):
        ProfiledPoisson(**args)


@pytest.mark.parametrize("kwargs", [
    dict(intraday=(float("nan"), 1.0)),
    dict(intraday=(1.0, float("nan"))),
    dict(intraday=(float("inf"), 1.0)),
    dict(weekly=(1.0,) * 6 + (float("nan"),)),
], ids=["intraday-nan-first", "intraday-nan-last", "intraday-inf", "weekly-nan"])
def test_non_finite_shapes_raise(kwargs: dict) -> None:
    """Non-finite shape values are invalid ("non-negative" relative rates) and must be
    rejected at construction, naming the shape, like negative values are."""
    with pytest.raises(ValueError, match=r"^(intraday|weekly)="):
        ProfiledPoisson(RATE, **kwargs)


# --- invariants -------------------------------------------------------------------------

shape_values = st.floats(0, 10, allow_nan=False)


def _valid_shape(values: list[float]) -> bool:
    """What ProfiledPoisson accepts: a positive mean (subnormal-only profiles are refused)."""
    return float(np.mean(values)) > 0


def _valid_intraday(values: list[float]) -> bool:
    """... and pieces that divide a day (so that none straddles midnight)."""
    return _valid_shape(values) and 1440 % len(values) == 0


def test_a_profile_too_small_to_scale_is_refused() -> None:
    """[5e-324, 0] sums above 0, but its mean rounds to 0: refused, not NaN rates."""
    with pytest.raises(ValueError, match=r"intraday=\[5e-324, 0\.0\]: must be finite"):
        ProfiledPoisson(30.0, (5e-324, 0.0))
    with pytest.raises(ValueError, match="weekly="):
        ProfiledPoisson(30.0, (1.0,), (5e-324, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0))


@settings(max_examples=60, deadline=None)
@given(rate=st.floats(0.1, 60), horizon=st.floats(0, 3 * MIN_PER_WEEK),
       intraday=st.lists(shape_values, min_size=1, max_size=48).filter(_valid_intraday),
       weekly=st.one_of(st.just([1.0]),
                        st.lists(shape_values, min_size=7, max_size=7).filter(_valid_shape)),
       seed=st.integers(0, 2**32))
def test_hypothesis_times_sorted_in_horizon(rate: float, horizon: float, intraday: list[float],
                                            weekly: list[float], seed: int) -> None:
    """Any valid shapes (any piece count that divides a day) and any horizon:
    times are sorted, in [0, horizon), and only where the rate is positive."""
    proc = ProfiledPoisson(rate, tuple(intraday), tuple(weekly))
    t = proc.sample(np.random.default_rng(seed), horizon)
    assert t.ndim == 1
    assert np.all(np.diff(t) >= 0)
    assert np.all((t >= 0) & (t < horizon))
    assert np.all(proc.rate_at(t) > 0)
    if horizon > 0:
        assert proc.mean_rate(0, horizon) >= 0


# --- over-dispersion (Poisson-gamma) ------------------------------------------------------

def test_daily_counts_have_the_poisson_gamma_variance() -> None:
    """Day counts: mean m = 24 * rate, variance m + v m^2 (negative binomial).

    2,800 simulated days; the sample variance of a negative binomial with these parameters
    has a relative standard error of about 3.5%, so 15% is more than 4 standard errors.
    """
    rate, v = 10.0, 0.04
    proc = ProfiledPoisson(rate, daily_variance=v)
    rng = np.random.default_rng(20261123)
    counts = np.concatenate([np.bincount((proc.sample(rng, 7 * 1440.0) // 1440).astype(int),
                                         minlength=7) for _ in range(400)])
    m = 24 * rate
    assert counts.mean() == pytest.approx(m, rel=0.02)
    assert counts.var(ddof=1) == pytest.approx(m + v * m * m, rel=0.15)
    # ... far above the Poisson variance m, which plain Poisson arrivals keep.
    plain = np.concatenate([np.bincount((ProfiledPoisson(rate).sample(rng, 7 * 1440.0)
                                         // 1440).astype(int), minlength=7) for _ in range(400)])
    assert plain.var(ddof=1) == pytest.approx(m, rel=0.15)


def test_busyness_factor_is_shared_by_the_whole_day() -> None:
    """Within a day, hours move together: their counts correlate positively across days."""
    proc = ProfiledPoisson(10.0, daily_variance=0.1)
    rng = np.random.default_rng(7)
    hours = np.stack([np.bincount((proc.sample(rng, 1440.0) // 60).astype(int), minlength=24)
                      for _ in range(600)])
    am, pm = hours[:, :12].sum(axis=1), hours[:, 12:].sum(axis=1)
    assert np.corrcoef(am, pm)[0, 1] > 0.5


def test_negative_daily_variance_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"^daily_variance="):
        ProfiledPoisson(10.0, daily_variance=-0.1)


# --- incidents (bursts) -----------------------------------------------------------------

def test_surge_multiplies_the_rate_exactly_over_its_window() -> None:
    """A 3x surge over [100, 190) min: expected count there 3 * rate * 90, outside unchanged
    (Poisson; summed over 400 samples, within 4 standard deviations)."""
    from sim.arrivals import ProfiledPoisson

    proc = ProfiledPoisson(60.0)  # one a minute
    rng = np.random.default_rng(11)
    inside = outside = 0
    for _ in range(400):
        t = proc.sample(rng, 300.0, [(100.0, 190.0, 3.0)])
        n_in = int(((t >= 100) & (t < 190)).sum())
        inside, outside = inside + n_in, outside + len(t) - n_in
    for count, expected in ((inside, 400 * 3 * 90), (outside, 400 * 210)):
        assert abs(count - expected) < 4 * np.sqrt(expected)


def test_random_incidents_start_on_the_stated_share_of_days() -> None:
    from sim.arrivals import Incident

    inc = Incident(("phone",), 2.0, 120.0, per_day=0.25)
    rng = np.random.default_rng(5)
    starts = [s for _ in range(200) for s, _, _ in inc.surges(rng, 7 * 1440.0)]
    share = len(starts) / (200 * 7)
    assert abs(share - 0.25) < 4 * np.sqrt(0.25 * 0.75 / 1400)
    days = np.floor(np.asarray(starts) / 1440)
    assert np.allclose(np.bincount(days.astype(int), minlength=7) / 200, 0.25, atol=0.15)


@pytest.mark.parametrize("kwargs", [dict(factor=0.0, duration_min=60, per_day=0.1),
                                    dict(factor=2.0, duration_min=0, per_day=0.1),
                                    dict(factor=2.0, duration_min=60, per_day=1.5),
                                    dict(factor=2.0, duration_min=60),
                                    dict(factor=2.0, duration_min=60, start_min=5, per_day=0.1)])
def test_bad_incidents_are_rejected(kwargs) -> None:
    from sim.arrivals import Incident

    with pytest.raises(ValueError):
        Incident(("phone",), **kwargs)
