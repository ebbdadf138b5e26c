"""Tests for sim.metrics: Student-t quantiles, confidence intervals, exact step integrals,
summary layout, and per-replication / per-interval metrics on hand-made record tables.

Reference values are independent of the code under test: published t-table values,
closed-form box overlaps, a brute-force grid integral with a stated error bound, and
metrics worked out by hand from tiny contact tables (the arithmetic is in the comments).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.metrics import (BOUNDS, CONTACT_METRICS, JOURNEY_METRICS, MONEY_METRICS,
                         channel_agent_minutes, intervals, journey_metrics, mean_ci,
                         replication_metrics, step_integral, summarise, summary_ci,
                         t_quantile)

from .conftest import simulate

NAN = math.nan

# --- t_quantile ---------------------------------------------------------------------------

# Two-sided 95% critical values (p = 0.975) from standard t tables, rounded to 3 decimals.
T_TABLE = {1: 12.706, 2: 4.303, 5: 2.571, 10: 2.228, 30: 2.042, 10**6: 1.960}

# The same to 9+ significant digits (standard values, e.g. NIST/SEMATECH e-Handbook).
T_EXACT_975 = {3: 3.182446305, 4: 2.776445105, 5: 2.570581836, 6: 2.446911851}


@pytest.mark.parametrize("df, value", sorted(T_TABLE.items()))
def test_t_quantile_table_values(df: int, value: float) -> None:
    """t_{0.975, df} against the t table (3-decimal values, tolerance 1e-3)."""
    assert t_quantile(0.975, df) == pytest.approx(value, abs=1e-3)


def test_t_quantile_exact_small_df() -> None:
    """df = 1 (Cauchy: tan) and df = 2 (closed form) are exact at several p."""
    for p in (0.6, 0.9, 0.975, 0.995):
        assert t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-12)
        # df=2: F(t) = 1/2 + t / (2 sqrt(2 + t^2)); check F(t_p) = p.
        t = t_quantile(p, 2)
        assert 0.5 + t / (2 * math.sqrt(2 + t * t)) == pytest.approx(p, abs=1e-12)


@pytest.mark.parametrize("df", [1, 2, 3, 7, 40])
def test_t_quantile_symmetry(df: int) -> None:
    """The t distribution is symmetric: q(1-p) = -q(p) and q(0.5) = 0."""
    assert t_quantile(0.5, df) == pytest.approx(0.0, abs=1e-12)
    for p in (0.9, 0.975):
        assert t_quantile(1 - p, df) == pytest.approx(-t_quantile(p, df), rel=1e-9)


def test_t_quantile_decreases_to_normal() -> None:
    """At p = 0.975 the quantile decreases strictly with df and stays above z = 1.95996."""
    q = np.array([t_quantile(0.975, df) for df in range(1, 501)])
    assert np.all(np.diff(q) < 0)
    assert np.all(q > 1.959963984)


@pytest.mark.parametrize("df", [0, -1])
def test_t_quantile_rejects_df_below_one(df: int) -> None:
    """df < 1 is rejected, naming df."""
    with pytest.raises(ValueError, match="df="):
        t_quantile(0.975, df)


def test_t_quantile_matches_scipy() -> None:
    """Against scipy.stats.t.ppf for df 1..200: within 1e-9."""
    scipy_stats = pytest.importorskip("scipy.stats")
    for p in (0.95, 0.975):
        for df in range(1, 201):
            assert t_quantile(p, df) == pytest.approx(scipy_stats.t.ppf(p, df), abs=1e-9), df


@pytest.mark.parametrize("df", sorted(T_EXACT_975))
def test_t_quantile_exact_for_few_replications(df: int) -> None:
    """Few replications (df = 3..6) need the exact quantile: 9-decimal reference values."""
    assert abs(t_quantile(0.975, df) - T_EXACT_975[df]) < 1e-8


@pytest.mark.parametrize("p", [0.6, 0.9, 0.995, 0.9995])
@pytest.mark.parametrize("df", [1, 2, 3, 7, 50, 1000])
def test_t_quantile_inverts_the_cdf(p: float, df: int) -> None:
    """Round trip: the CDF at the quantile returns p (exact CDF from A&S 26.7.3-4)."""
    from sim.metrics import _t_abs_cdf

    t = t_quantile(p, df)
    assert (1 + _t_abs_cdf(t, df)) / 2 == pytest.approx(p, abs=1e-12)
    assert t_quantile(1 - p, df) == pytest.approx(-t, abs=1e-12)


# --- mean_ci ------------------------------------------------------------------------------

def test_mean_ci_hand_computed() -> None:
    """[1..5]: mean 3, s = sqrt(2.5), half-width = t_{.975,4} * s / sqrt(5)."""
    m, lo, hi, n = mean_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    half = T_EXACT_975[4] * math.sqrt(2.5) / math.sqrt(5)
    assert (m, n) == (3.0, 5)
    assert lo == pytest.approx(3 - half, abs=1e-6)  # T_EXACT_975 is given to 6 decimals
    assert hi == pytest.approx(3 + half, abs=1e-6)
    assert (m - lo) == pytest.approx(hi - m, rel=1e-12)


def test_mean_ci_drops_nans() -> None:
    """NaNs are ignored: [1, nan, 3] behaves as [1, 3] (n = 2, half = 12.706 * sqrt(2)/sqrt(2))."""
    m, lo, hi, n = mean_ci([1.0, NAN, 3.0])
    assert (m, n) == (2.0, 2)
    assert hi - m == pytest.approx(12.7062047, rel=1e-6)
    assert mean_ci(pd.Series([1.0, NAN, 3.0])) == (m, lo, hi, n)


def test_mean_ci_degenerate_sizes() -> None:
    """n = 1: mean with NaN interval; n = 0 (or all NaN): everything NaN and n = 0."""
    m, lo, hi, n = mean_ci([4.2])
    assert m == 4.2 and n == 1 and math.isnan(lo) and math.isnan(hi)
    m, lo, hi, n = mean_ci([NAN, 4.2, NAN])
    assert m == 4.2 and n == 1 and math.isnan(lo) and math.isnan(hi)
    for empty in ([], [NAN, NAN]):
        m, lo, hi, n = mean_ci(empty)
        assert n == 0 and all(math.isnan(v) for v in (m, lo, hi))


def test_mean_ci_constant_values_zero_width() -> None:
    """Identical values: zero-width interval at that value."""
    assert mean_ci([2.5] * 4) == (2.5, 2.5, 2.5, 4)


def test_mean_ci_level() -> None:
    """A 90% interval is the 95% one scaled by t_{.95}/t_{.975} (narrower)."""
    x = [0.3, 1.9, 2.2, 4.0, 5.5, 6.1]
    m, lo95, hi95, _ = mean_ci(x)
    _, lo90, hi90, _ = mean_ci(x, level=0.90)
    assert lo95 < lo90 < m < hi90 < hi95
    ratio = (hi90 - m) / (hi95 - m)
    assert ratio == pytest.approx(t_quantile(0.95, 5) / t_quantile(0.975, 5), rel=1e-12)


def test_mean_ci_coverage() -> None:
    """Coverage of the 95% interval over 2000 normal samples of size 5 is in [0.93, 0.97]
    (binomial sd of the coverage is sqrt(.95*.05/2000) = 0.0049, so +-0.02 is 4 sd)."""
    rng = np.random.default_rng(42)
    mu = 10.0
    data = rng.normal(mu, 3.0, size=(2000, 5))
    hits = 0
    for row in data:
        _, lo, hi, _ = mean_ci(row)
        hits += lo <= mu <= hi
    assert 0.93 <= hits / 2000 <= 0.97


# --- step_integral ------------------------------------------------------------------------

def overlap_reference(starts, ends, weights, edges) -> np.ndarray:
    """Closed form: sum_j w_j * |[s_j, e_j) n [a_i, b_i)|."""
    s, e = np.asarray(starts, float)[:, None], np.asarray(ends, float)[:, None]
    w = np.broadcast_to(np.asarray(weights, float), np.shape(starts))[:, None]
    a, b = np.asarray(edges[:-1])[None, :], np.asarray(edges[1:])[None, :]
    return (w * np.clip(np.minimum(e, b) - np.maximum(s, a), 0, None)).sum(axis=0)


def test_step_integral_hand_example() -> None:
    """Two boxes by hand: height 2 on [1, 4), height 1 on [3, inf), edges 0, 2, 5, 10."""
    got = step_integral(np.array([1.0, 3.0]), np.array([4.0, np.inf]), np.array([2.0, 1.0]),
                        np.array([0.0, 2.0, 5.0, 10.0]))
    # [0,2): 2*1 = 2; [2,5): 2*2 + 1*2 = 6; [5,10): 1*5 = 5.
    np.testing.assert_allclose(got, [2.0, 6.0, 5.0], rtol=1e-12)


def test_step_integral_empty_and_scalar_weight() -> None:
    """No boxes: zeros; a scalar weight applies to every box; zero-width boxes add nothing."""
    edges = np.array([0.0, 1.0, 3.0])
    np.testing.assert_array_equal(step_integral(np.zeros(0), np.zeros(0), 1.0, edges), [0, 0])
    got = step_integral(np.array([0.5, 2.0, 2.0]), np.array([1.5, 2.0, 2.5]), 3.0, edges)
    np.testing.assert_allclose(got, [1.5, 3.0], rtol=1e-12)  # [0,1): 3*0.5; [1,3): 3*0.5 + 0 + 3*0.5


def test_step_integral_matches_fine_grid() -> None:
    """Random boxes against a midpoint-rule integral on a grid of step h = 1e-3: each box
    edge inside an interval mis-attributes at most |w| * h, giving the stated tolerance."""
    rng = np.random.default_rng(3)
    k = 12
    starts = rng.uniform(-5, 15, k)
    ends = starts + rng.exponential(3, k)
    ends[:3] = np.inf
    ends[3] = starts[3]  # zero width
    weights = rng.uniform(-1, 3, k)
    edges = np.array([-2.0, 0.0, 0.7, 4.1, 9.0, 12.5])
    h = 1e-3
    grid = np.arange(edges[0], edges[-1], h) + h / 2
    level = (weights[:, None] * ((grid >= starts[:, None]) & (grid < ends[:, None]))).sum(0)
    brute = np.add.reduceat(level * h, np.searchsorted(grid, edges[:-1]))
    got = step_integral(starts, ends, weights, edges)
    assert np.all(np.abs(got - brute) <= 2 * np.abs(weights).sum() * h + 1e-9)


box = st.tuples(st.floats(-20, 30), st.one_of(st.floats(0, 15), st.just(0.0), st.just(math.inf)),
                st.floats(-5, 5))


@settings(max_examples=100, deadline=None)
@given(boxes=st.lists(box, max_size=8),
       edges=st.lists(st.floats(-10, 25), min_size=2, max_size=7, unique=True))
def test_hypothesis_step_integral_matches_overlap(boxes, edges) -> None:
    """Random boxes (infinite ends, zero widths, outside the edges, negative weights):
    result equals the closed-form overlap sum to rounding."""
    edges = np.sort(np.asarray(edges))
    s = np.array([b[0] for b in boxes], float)
    e = s + np.array([b[1] for b in boxes], float)
    w = np.array([b[2] for b in boxes], float)
    got = step_integral(s, e, w, edges)
    ref = overlap_reference(s, e, w, edges)
    assert got.shape == (len(edges) - 1,)
    scale = 1 + np.sum(np.abs(w)) * (np.abs(edges).max() + 50)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * scale)


@settings(max_examples=60, deadline=None)
@given(boxes=st.lists(st.tuples(st.integers(-3, 12), st.integers(0, 6), st.integers(1, 4),
                                st.booleans()), max_size=8),
       edges=st.lists(st.integers(-2, 14), min_size=2, max_size=6, unique=True))
def test_hypothesis_step_integral_ties(boxes, edges) -> None:
    """Integer coordinates force ties between box ends, starts and edges: still exact."""
    edges = np.sort(np.asarray(edges, float))
    s = np.array([b[0] for b in boxes], float)
    e = np.array([math.inf if b[3] else b[0] + b[1] for b in boxes], float)
    w = np.array([b[2] for b in boxes], float)
    np.testing.assert_allclose(step_integral(s, e, w, edges), overlap_reference(s, e, w, edges),
                               rtol=0, atol=1e-9)


# --- summarise ----------------------------------------------------------------------------

def test_summarise_columns_order_and_values() -> None:
    """Columns ``channel, metric, mean, ci_low, ci_high, n``; channels in first-seen order,
    metrics in METRICS order (unknown metrics last); each row is summary_ci of its values."""
    rng = np.random.default_rng(0)
    channels = ["phone", "chat", "all"]  # first-seen order, deliberately not alphabetical
    metrics = ["extra_metric", "occupancy", "arrivals", "service_level"]  # not METRICS order
    rows = [(r, c, m, float(rng.normal())) for r in range(3) for c in channels for m in metrics]
    rows.append((3, "phone", "occupancy", NAN))  # dropped by mean_ci
    per_rep = pd.DataFrame(rows, columns=["replication", "channel", "metric", "value"])
    out = summarise(per_rep)
    assert list(out.columns) == ["channel", "metric", "mean", "ci_low", "ci_high", "n"]
    assert list(out.index) == list(range(len(out)))
    expected_metrics = ["arrivals", "service_level", "occupancy", "extra_metric"]
    assert list(out["channel"]) == [c for c in channels for _ in expected_metrics]
    assert list(out["metric"]) == expected_metrics * len(channels)
    for _, row in out.iterrows():
        sel = per_rep[(per_rep["channel"] == row["channel"]) & (per_rep["metric"] == row["metric"])]
        m, lo, hi, n = summary_ci(sel["value"], row["metric"])
        assert row["n"] == n == 3
        assert (row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx((m, lo, hi))


def test_summarise_of_replication_metrics_keeps_metrics_order() -> None:
    """Summarising real replication_metrics output lists every CONTACT_METRICS name in order."""
    contacts, staffing = hand_tables()
    reps = []
    for r in range(2):
        pr = replication_metrics(contacts, staffing, _segments(contacts), SERVING, WINDOW)
        pr.insert(0, "replication", r)
        reps.append(pr)
    out = summarise(pd.concat(reps, ignore_index=True))
    assert list(out["metric"]) == list(CONTACT_METRICS) * 3
    assert list(out["channel"]) == [c for c in ("phone", "chat", "all") for _ in CONTACT_METRICS]
    # Identical replications: zero-width intervals where the value is defined.
    arr = out[(out["channel"] == "all") & (out["metric"] == "arrivals")].iloc[0]
    assert (arr["mean"], arr["ci_low"], arr["ci_high"], arr["n"]) == (6, 6, 6, 2)


# --- replication_metrics and intervals on hand-made tables ----------------------------------

SERVING = {"phone": ["voice"], "chat": ["digital"]}
WINDOW = (60.0, 180.0)  # warm-up 60 min, horizon 180 min


def hand_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seven contacts (columns as in sim.records.contacts_frame) and a staffing log.

    id channel arrive first_resp wait   end   pool    share  notes
    1  phone   10     12         2      70    voice   1      warm-up (arrival < 60)
    2  phone   70     70         0      100   voice   1      answered at once
    3  phone   80     -          5      -     -       -      abandoned at 85
    4  phone   90     110        20     inf   voice   1      still in service at end
    5  phone   170    -          NaN    -     -       -      still waiting at end
    6  chat    100    101        1      141   digital 0.5
    7  chat    120    130        10     150   digital 0.5    later than chat target 5
    Chat is public here: contact 6 a complaint (exposure 100), 7 its pile-on (exposure 300).
    Dissatisfaction index: phone 0, 0, 1, 1.5, 0; chat 0, 2. Expectation violated: 3, 4, 5, 7.
    Targets: phone 15, chat 5. Staffing: voice 2 agents from 0, 1 from 120; digital 1
    agent from 0, 0 from 150.
    """
    inf = math.inf
    rows = [
        # ch,   arr,  first, wait, end,  pool,     share, ans,   aband, diss,  forced, in_sys
        ("phone", 10, 12, 2, 70, "voice", 1.0, True, False, False, False, False),
        ("phone", 70, 70, 0, 100, "voice", 1.0, True, False, False, False, False),
        ("phone", 80, NAN, 5, NAN, "", 0.0, False, True, True, False, False),
        ("phone", 90, 110, 20, inf, "voice", 1.0, True, False, True, False, True),
        ("phone", 170, NAN, NAN, NAN, "", 0.0, False, False, False, True, True),
        ("chat", 100, 101, 1, 141, "digital", 0.5, True, False, False, False, False),
        ("chat", 120, 130, 10, 150, "digital", 0.5, True, False, True, False, False),
    ]
    df = pd.DataFrame(rows, columns=["channel", "arrival_min", "first_response_min", "wait_min",
                                     "service_end_min", "pool", "share", "answered",
                                     "abandoned", "dissatisfied", "forced_switch",
                                     "in_system_at_end"])
    # records.contacts_frame gives NaN (not inf) service_end for contacts still in service.
    df["service_end_min"] = df["service_end_min"].replace(inf, NAN).astype(float)
    df["channel"] = pd.Categorical(df["channel"], categories=["phone", "chat"])
    for col in ("arrival_min", "first_response_min", "wait_min", "share"):
        df[col] = df[col].astype(float)
    # Time waited so far: contact 5 is still waiting when the run stops at 180.
    df["waited_min"] = np.where(df["wait_min"].isna(), 180.0 - df["arrival_min"], df["wait_min"])
    df["target_min"] = np.where(df["channel"] == "phone", 15.0, 5.0)
    df["warmup"] = df["arrival_min"] < WINDOW[0]
    df["public"] = df["channel"] == "chat"
    df["negative"] = df["public"]
    df["origin"] = pd.Categorical(["arrival"] * 6 + ["pileon"])
    df["public_exposure"] = [0.0] * 5 + [100.0, 300.0]
    df["dissatisfaction_index"] = [0.0, 0.0, 0.0, 1.0, 1.5, 0.0, 2.0]
    df["expectation_violated"] = [False, False, True, True, True, False, True]
    df["contact_id"] = df.index
    staffing = pd.DataFrame({"time_min": [0.0, 120.0, 0.0, 150.0],
                             "pool": pd.Categorical(["voice", "voice", "digital", "digital"]),
                             "agents": [2, 1, 1, 0]})
    return df, staffing


def _segments(contacts: pd.DataFrame) -> pd.DataFrame:
    """The slot-holding table of the hand-made contacts: one stretch per answered contact,
    from first response to service end (NaN: still held), as the engine logs it."""
    served = contacts[contacts["answered"]]
    return pd.DataFrame({"contact_id": served.index, "agent_id": np.arange(len(served)),
                         "pool": served["pool"], "channel": served["channel"],
                         "start_min": served["first_response_min"],
                         "end_min": served["service_end_min"], "share": served["share"]})


# Hand computations (window [60, 180), warm-up contact 1 excluded from counts).
# phone (contacts 2-5, n=4): answered 2,4; abandoned 3; censored waits 0, 5, 20, 180-170=10.
#   voice busy in window: c1 [60,70)=10, c2 [70,100)=30, c4 [110,180)=70 -> 110;
#   voice staffed: 2*60 + 1*60 = 180 agent-min.
# chat (contacts 6-7, n=2): digital busy 0.5*40 + 0.5*20 = 30; staffed [60,150) = 90.
# all: pools voice+digital: busy 140, staffed 270.
EXPECTED = {
    "phone": dict(arrivals=4, answered=2, abandoned=1, frac_delayed=3 / 4,
                  mean_wait_min=35 / 4, asa_min=10.0, frt_p50_min=10.0, frt_p90_min=18.0,
                  service_level=1 / 4,  # only contact 2; abandoned 3 counts as a miss
                  abandon_rate=1 / 4, occupancy=110 / 180, dissatisfaction_rate=2 / 4,
                  expectation_violation_rate=3 / 4,
                  forced_switch_rate=1 / 4, public_exposure=NAN, pileons_per_complaint=NAN,
                  dissatisfaction_index=2.5 / 4, in_system_at_end=2, agent_hours=3.0),
    "chat": dict(arrivals=2, answered=2, abandoned=0, frac_delayed=1.0, mean_wait_min=5.5,
                 asa_min=5.5, frt_p50_min=5.5, frt_p90_min=1 + 0.9 * 9, service_level=0.5,
                 abandon_rate=0.0, occupancy=30 / 90, dissatisfaction_rate=0.5,
                 expectation_violation_rate=1 / 2,
                 forced_switch_rate=0.0, public_exposure=200.0, pileons_per_complaint=1.0,
                 dissatisfaction_index=1.0, in_system_at_end=0, agent_hours=1.5),
    # frt over answered waits [0, 1, 10, 20]: p50 = 5.5, p90 at position 2.7 -> 10 + 0.7*10.
    "all": dict(arrivals=6, answered=4, abandoned=1, frac_delayed=5 / 6, mean_wait_min=46 / 6,
                asa_min=31 / 4, frt_p50_min=5.5, frt_p90_min=17.0, service_level=2 / 6,
                abandon_rate=1 / 6, occupancy=140 / 270, dissatisfaction_rate=3 / 6,
                expectation_violation_rate=4 / 6,
                forced_switch_rate=1 / 6, public_exposure=200.0, pileons_per_complaint=1.0,
                dissatisfaction_index=4.5 / 6, in_system_at_end=2, agent_hours=4.5),
}


def test_replication_metrics_layout() -> None:
    """Long table ``channel, metric, value``: channels in serving order then ``all``,
    metrics in CONTACT_METRICS order."""
    contacts, staffing = hand_tables()
    out = replication_metrics(contacts, staffing, _segments(contacts), SERVING, WINDOW)
    assert list(out.columns) == ["channel", "metric", "value"]
    assert list(out["channel"]) == [c for c in ("phone", "chat", "all") for _ in CONTACT_METRICS]
    assert list(out["metric"]) == list(CONTACT_METRICS) * 3


@pytest.mark.parametrize("channel", ["phone", "chat", "all"])
def test_replication_metrics_hand_computed(channel: str) -> None:
    """Every metric equals its hand computation (see EXPECTED and hand_tables)."""
    contacts, staffing = hand_tables()
    out = replication_metrics(contacts, staffing, _segments(contacts), SERVING, WINDOW)
    got = out[out["channel"] == channel].set_index("metric")["value"]
    assert set(EXPECTED[channel]) == set(CONTACT_METRICS)
    for metric, value in EXPECTED[channel].items():
        assert got[metric] == pytest.approx(value, rel=1e-12, abs=1e-12, nan_ok=True), metric


def test_replication_metrics_channel_without_contacts() -> None:
    """A served channel with no contacts: zero counts, NaN rates, occupancy of its pools."""
    contacts, staffing = hand_tables()
    out = replication_metrics(contacts, staffing, _segments(contacts), {**SERVING, "email": ["digital"]}, WINDOW)
    got = out[out["channel"] == "email"].set_index("metric")["value"]
    assert got["arrivals"] == 0 and got["answered"] == 0 and got["in_system_at_end"] == 0
    for m in ("frac_delayed", "mean_wait_min", "asa_min", "service_level", "abandon_rate"):
        assert math.isnan(got[m]), m
    assert got["occupancy"] == pytest.approx(30 / 90)
    # The digital pool's hours go to the channel whose contacts kept it busy: all to chat.
    assert got["agent_hours"] == 0.0
    chat = out[(out["channel"] == "chat") & (out["metric"] == "agent_hours")]["value"]
    assert chat.item() == pytest.approx(1.5)


def test_money_hand_computed() -> None:
    """Paid hours gross staffed hours up by shrinkage, cost prices them per pool, FTE spreads
    them over a week of paid hours: on hand_tables (window 120 min), voice staffed 3 h at
    40/h and shrinkage 0.2 (3.75 paid h, 150), digital 1.5 h at 20/h and 0.5 (3 paid h, 60);
    2 phone and 2 chat contacts answered after the warm-up."""
    contacts, staffing = hand_tables()
    pay = {"voice": (40.0, 0.2), "digital": (20.0, 0.5)}
    out = replication_metrics(contacts, staffing, _segments(contacts), SERVING, WINDOW, pay,
                              fte_hours_per_week=40.0)
    got = out.set_index(["channel", "metric"])["value"]
    weeks = 120 / 10080
    for channel, paid, cost, answered in (("phone", 3.75, 150.0, 2), ("chat", 3.0, 60.0, 2),
                                          ("all", 6.75, 210.0, 4)):
        assert got[channel, "paid_hours"] == pytest.approx(paid)
        assert got[channel, "fte"] == pytest.approx(paid / weeks / 40.0)
        assert got[channel, "cost"] == pytest.approx(cost)
        assert got[channel, "cost_per_contact"] == pytest.approx(cost / answered)
    assert list(out["metric"]) == [m for _ in range(3) for m in
                                   (*CONTACT_METRICS, *MONEY_METRICS[:4])]


def test_money_without_costs_reports_hours_only() -> None:
    """No pool with an hourly cost: paid hours and FTE, and no cost rows to mislead."""
    contacts, staffing = hand_tables()
    out = replication_metrics(contacts, staffing, _segments(contacts), SERVING, WINDOW,
                              {"voice": (0.0, 0.0), "digital": (0.0, 0.0)})
    assert {"paid_hours", "fte"} <= set(out["metric"])
    assert not out["metric"].str.startswith("cost").any()
    agent = out[out["metric"] == "agent_hours"]["value"].to_numpy()
    assert np.allclose(out[out["metric"] == "paid_hours"]["value"].to_numpy(), agent)


def test_channel_agent_minutes_shares_each_pool_by_busy_time() -> None:
    """A pool's staffed time goes to its channels pro rata to busy time in the window, an
    idle pool's equally; open and straddling stretches count only their part in the window.

    text: 2 agents on [0, 60) = 120 agent-min. Busy: chat [0, 30) x 1 = 30; email
    [-10, 20) x 1 -> 20 in the window, and [50, open) x 0.5 -> 5: email 25, chat 30.
    So chat 120 * 30/55, email 120 * 25/55. spare: 1 agent, never busy, serves email and
    chat: 30 each. mail_only: 1 agent from 30: 30 to email.
    """
    segments = pd.DataFrame({"contact_id": [10, 11, 12], "pool": ["text"] * 3,
                             "channel": pd.Categorical(["chat", "email", "email"]),
                             "start_min": [0.0, -10.0, 50.0], "end_min": [30.0, 20.0, NAN],
                             "share": [1.0, 1.0, 0.5]})
    staffing = pd.DataFrame({"time_min": [-60.0, 0.0, 0.0, 30.0],
                             "pool": ["text", "spare", "mail_only", "mail_only"],
                             "agents": [2, 1, 0, 1]})
    serving = {"chat": ["text", "spare"], "email": ["text", "spare", "mail_only"]}
    got = channel_agent_minutes(staffing, segments, serving, np.array([0.0, 60.0]))
    assert got["chat"] == pytest.approx(120 * 30 / 55 + 30)
    assert got["email"] == pytest.approx(120 * 25 / 55 + 30 + 30)
    assert sum(got.values()) == pytest.approx(120 + 60 + 30)


def test_intervals_hand_computed() -> None:
    """60-min intervals over 180 min: per-channel arrivals / answered / abandoned / service
    level by arrival interval, time-average queue, and per-pool agents and occupancy."""
    contacts, staffing = hand_tables()
    out = intervals(contacts, staffing, _segments(contacts), SERVING, 60.0, 180.0)
    assert list(out.columns) == ["interval", "start_min", "day", "scope", "name", "arrivals",
                                 "answered", "abandoned", "service_level", "queue_mean",
                                 "agents", "occupancy"]
    assert [(s, n) for s, n in zip(out["scope"], out["name"])][::3] == [
        ("channel", "phone"), ("channel", "chat"), ("pool", "digital"), ("pool", "voice")]
    by = {n: g.reset_index(drop=True) for n, g in out.groupby("name")}
    for g in by.values():
        assert list(g["interval"]) == [0, 1, 2]
        assert list(g["start_min"]) == [0.0, 60.0, 120.0]
        assert list(g["day"]) == [0, 0, 0]

    ph = by["phone"]  # arrivals at 10 | 70, 80, 90 | 170 (warm-up contacts included here)
    assert list(ph["arrivals"]) == [1, 3, 1]
    assert list(ph["answered"]) == [1, 2, 0]
    assert list(ph["abandoned"]) == [0, 1, 0]
    np.testing.assert_allclose(ph["service_level"], [1.0, 1 / 3, 0.0])
    # Waiting boxes: [10,12) | [80,85) + [90,110) | [170,inf) clipped at 180.
    np.testing.assert_allclose(ph["queue_mean"], [2 / 60, 25 / 60, 10 / 60])
    assert ph["agents"].isna().all() and ph["occupancy"].isna().all()

    ch = by["chat"]  # arrivals at 100 | 120; waits [100,101) and [120,130)
    assert list(ch["arrivals"]) == [0, 1, 1]
    assert list(ch["answered"]) == [0, 1, 1]
    assert math.isnan(ch["service_level"][0])  # no arrivals
    assert list(ch["service_level"][1:]) == [1.0, 0.0]
    np.testing.assert_allclose(ch["queue_mean"], [0.0, 1 / 60, 10 / 60])

    vo = by["voice"]  # busy: [12,70) share 1, [70,100), [110,inf) -> 48 | 10+30+10 | 60
    np.testing.assert_allclose(vo["agents"], [2.0, 2.0, 1.0])
    np.testing.assert_allclose(vo["occupancy"], [48 / 120, 50 / 120, 60 / 60])
    assert vo["arrivals"].eq(0).all() and vo["queue_mean"].isna().all()

    di = by["digital"]  # busy 0.5*[101,141) + 0.5*[130,150): 0 | 9.5 | 10.5 + 10
    np.testing.assert_allclose(di["agents"], [1.0, 1.0, 0.5])
    np.testing.assert_allclose(di["occupancy"], [0.0, 9.5 / 60, 20.5 / 30])


def test_intervals_partial_last_interval_and_days() -> None:
    """A horizon that is not a multiple of the interval ends with a short interval whose
    queue mean and agents are averaged over its own length; arrivals at or after the
    horizon are not counted; ``day`` is the day of week of the interval start."""
    contacts, staffing = hand_tables()
    out = intervals(contacts, staffing, _segments(contacts), SERVING, 60.0, 150.0)
    ph = out[out["name"] == "phone"].reset_index(drop=True)
    assert list(ph["start_min"]) == [0.0, 60.0, 120.0]
    assert list(ph["arrivals"]) == [1, 3, 0]  # arrival at 170 is beyond the horizon
    assert ph["queue_mean"][2] == 0.0
    vo = out[out["name"] == "voice"].reset_index(drop=True)
    np.testing.assert_allclose(vo["agents"], [2.0, 2.0, 1.0])  # 30 agent-min over 30 min
    np.testing.assert_allclose(vo["occupancy"][2], 30 / 30)  # c4 busy [120,150)

    week = intervals(contacts.iloc[:0], staffing, _segments(contacts.iloc[:0]), SERVING, 720.0, 8 * 1440.0)
    g = week[week["name"] == "phone"]
    assert list(g["day"]) == [d % 7 for d in range(8) for _ in range(2)]
    assert g["arrivals"].eq(0).all() and g["queue_mean"].eq(0).all()


@pytest.mark.parametrize("replications", [2, 5])
def test_no_summary_interval_crosses_its_metrics_bounds(replications):
    """Shares in [0, 1], times, counts and hours >= 0: on the default study (two days), with
    few replications, where a plain t interval ran past them (e.g. 86.7% +- 88.3)."""
    s = simulate(["run.horizon=2d", f"run.replications={replications}"]).summary
    for row in s.dropna(subset=["ci_low"]).itertuples():
        low, high = BOUNDS[row.metric]
        assert low <= row.ci_low <= row.mean <= row.ci_high <= high, row


def test_summary_intervals_stay_in_bounds_and_hold_the_mean() -> None:
    """A share near 100% is cut at 1 (a t interval would run past it); a skewed positive
    metric gets Cox's interval, asymmetric to the right and above 0."""
    m, lo, hi, _ = summary_ci([0.99, 0.97, 1.0, 0.6], "service_level")
    t_mean, t_lo, t_hi, _ = mean_ci([0.99, 0.97, 1.0, 0.6])
    assert hi == 1.0 < t_hi and lo == t_lo and m == t_mean
    waits = [0.2, 0.25, 0.3, 1.9, 0.22]
    m, lo, hi, _ = summary_ci(waits, "mean_wait_min")
    assert 0 < lo <= m <= hi and hi - m > m - lo  # the long tail is to the right
    assert summary_ci([0.0, 0.5, 1.0], "mean_wait_min")[1] == 0.0  # a zero: t, cut at 0


def test_journey_metrics_are_the_journeys_tables(default_study):
    """The summary's journey rows are what journeys.parquet says, replication by replication:
    journeys started after the warm-up, resolved share, dissatisfied share, contacts per
    resolution (never below one contact a solved problem)."""
    res = default_study
    j = res.journeys[~res.journeys["warmup"]]
    per = res.per_replication
    for rep, g in j.groupby("replication"):
        got = per[(per["replication"] == rep) & (per["channel"] == "all")].set_index("metric")
        assert got.loc["journey_resolution_rate", "value"] == pytest.approx(g["resolved"].mean())
        assert got.loc["journey_dissatisfaction_rate", "value"] == pytest.approx(
            g["dissatisfied"].mean())
        assert got.loc["contacts_per_resolution", "value"] == pytest.approx(
            g["contacts"].sum() / g["resolved"].sum())
        assert got.loc["contacts_per_resolution", "value"] >= 1
        times = g.loc[g["resolved"], "resolution_min"]
        assert got.loc["journey_resolution_p90_min", "value"] == pytest.approx(times.quantile(0.9))
    assert set(JOURNEY_METRICS) <= set(res.summary["metric"])


def _journeys(channels, start) -> pd.DataFrame:
    n = len(start)
    return pd.DataFrame({"replication": np.zeros(n, np.int64), "start_min": start,
                         "contacts": np.ones(n, np.int64), "channels": channels,
                         "resolved": np.ones(n, bool), "resolution_min": np.ones(n),
                         "forced_switches": np.zeros(n, np.int64),
                         "dissatisfied": np.zeros(n, bool)})


def test_a_journey_without_a_channel_counts_for_all_channels_only():
    """A journey whose path is missing started in no channel: it counts in ``all``, never
    under another channel's name; channels with no journey in the window get no row."""
    j = _journeys(np.array(["phone", "chat", None, "twitter"], dtype=object),
                  [0.0, 0.0, 0.0, 99.0])
    m = journey_metrics(j, (0.0, 10.0))
    rate = m[m["metric"] == "journey_resolution_rate"]
    assert rate["channel"].tolist() == ["phone", "chat", "all"]
    counted = m[(m["metric"] == "contacts_per_resolution") & (m["channel"] == "all")]
    assert counted["value"].tolist() == [1.0]
    assert journey_metrics(_journeys(pd.Categorical([None], categories=[]), [99.0]),
                           (0.0, 10.0)).empty
    nobody = journey_metrics(_journeys(pd.Categorical([None], categories=[]), [1.0]),
                             (0.0, 10.0))
    assert nobody["channel"].unique().tolist() == ["all"]


def test_money_of_the_default_study_is_its_hours_priced(default_study):
    """Each replication's cost is its pools' staffed hours, grossed up by their shrinkage
    and priced at their hourly cost; cost per resolution divides it by the journeys
    resolved (those started after the warm-up)."""
    res = default_study
    per = res.per_replication.set_index(["replication", "channel", "metric"])["value"]
    pools = {p.name: p for p in res.scenario.pools}
    j = res.journeys[~res.journeys["warmup"]]
    for rep, g in j.groupby("replication"):
        hours = sum(per[rep, ch, "agent_hours"] for ch in [c.name for c in res.scenario.channels]
                    if (rep, ch, "agent_hours") in per.index)
        assert hours == pytest.approx(per[rep, "all", "agent_hours"])
        # One rate and one shrinkage everywhere in the default scenario.
        (rate, shrink), = {(p.cost_per_hour, p.shrinkage) for p in pools.values()}
        assert per[rep, "all", "paid_hours"] == pytest.approx(hours / (1 - shrink))
        assert per[rep, "all", "cost"] == pytest.approx(hours / (1 - shrink) * rate)
        assert per[rep, "all", "cost_per_resolution"] == pytest.approx(
            per[rep, "all", "cost"] / g["resolved"].sum())
    assert set(MONEY_METRICS) <= set(res.summary["metric"])
