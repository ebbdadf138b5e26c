"""Tests for sim.erlang: published figures, identities, independent numerical checks.

Every tolerance below is stated from first principles (rounding of a published figure,
floating-point accuracy of a linear solve, or a Monte Carlo standard error), never copied
from a previous run of the code under test.
"""

from __future__ import annotations

import heapq
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.erlang import (QueueMetrics, birth_death_mmc, erlang_a_metrics, erlang_b, erlang_c,
                        erlang_c_metrics, erlang_c_wait_transform, halfin_whitt_delay,
                        min_agents_erlang_a, min_agents_erlang_c, sqrt_staffing)

# Agreement expected between two exact methods computed in double precision: absolute for
# probabilities, relative for times (a 60-minute mean wait carries ~1e-11 relative error
# from the dense linear solve, which is more than 1e-9 absolute).
EXACT = 1e-9


# --- 1. Published calibration figures -----------------------------------------------------
# The sheet gives rounded figures, so each is checked to half a unit in its last digit.

def test_calibration_erlang_c_40_agents() -> None:
    # 1000 calls/h, AHT 120 s -> 1000/60 per minute, 2 min handle, load 33.3 Erlangs.
    m = erlang_c_metrics(1000 / 60, 2.0, 40, 20 / 60)
    assert m.frac_delayed == pytest.approx(0.1907, abs=5e-5)
    assert m.service_level == pytest.approx(0.9372, abs=5e-5)
    # 3.43 s only matches ASA over ALL calls (zero waits included), the usual Erlang C ASA.
    assert m.asa_min * 60 == pytest.approx(3.43, abs=5e-3)
    assert m.occupancy == pytest.approx(0.833, abs=5e-4)


def test_calibration_erlang_c_35_agents() -> None:
    m = erlang_c_metrics(1000 / 60, 2.0, 35, 20 / 60)
    assert m.service_level == pytest.approx(0.472, abs=5e-4)
    assert m.asa_min * 60 == pytest.approx(50.1, abs=5e-2)  # again over all calls


def test_calibration_erlang_c_14_agents() -> None:
    # 100 contacts / 30 min, AHT 3 min -> load 10 Erlangs; target 20 s.
    m = erlang_c_metrics(100 / 30, 3.0, 14, 20 / 60)
    assert m.service_level == pytest.approx(0.8884, abs=5e-5)
    assert m.frac_delayed == pytest.approx(0.1741, abs=5e-5)


def test_calibration_erlang_a_13_agents() -> None:
    m = erlang_a_metrics(100 / 30, 3.0, 13, 5.0, 20 / 60)
    assert m.frac_delayed == pytest.approx(0.2258, abs=5e-5)  # P(all busy at arrival)
    assert m.abandon_rate == pytest.approx(0.0250, abs=5e-5)
    # 0.125 min is E[wait] over ALL arrivals (answer or abandonment, zero waits included);
    # consistently P(ab) = theta * E[wait] = 0.125 / 5 = 0.025. The mean over answered
    # contacts only (ASA) is about 0.115, which would not round to 0.125.
    assert m.mean_wait_min == pytest.approx(0.125, abs=5e-4)
    assert m.occupancy == pytest.approx(0.750, abs=5e-4)  # carried load / servers


# --- 2. Erlang B ----------------------------------------------------------------------------

def _erlang_b_exact(c: int, a: Fraction) -> Fraction:
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


@pytest.mark.parametrize("c, a", [(1, Fraction(1, 2)), (2, Fraction(1)), (5, Fraction(7, 2)),
                                  (12, Fraction(10)), (30, Fraction(45))])
def test_erlang_b_against_exact_rational_formula(c: int, a: Fraction) -> None:
    assert erlang_b(c, float(a)) == pytest.approx(float(_erlang_b_exact(c, a)), rel=1e-12)


@pytest.mark.parametrize("a", [0.01, 0.5, 1.0, 7.0, 250.0])
def test_erlang_b_single_server(a: float) -> None:
    assert erlang_b(1, a) == pytest.approx(a / (1 + a), rel=1e-14)


@pytest.mark.parametrize("c, a", [(3, 2.0), (40, 33.3), (400, 380.0)])
def test_erlang_b_recursion_identity(c: int, a: float) -> None:
    prev = erlang_b(c - 1, a)
    assert erlang_b(c, a) == pytest.approx(a * prev / (c + a * prev), rel=1e-12)


@pytest.mark.parametrize("c, a", [(3000, 2900.0), (5000, 4000.0), (2000, 5000.0)])
def test_erlang_b_large_systems_match_log_space_formula(c: int, a: float) -> None:
    # Independent route: log of a^k/k! via lgamma, summed with log-sum-exp.
    logs = np.array([k * math.log(a) - math.lgamma(k + 1) for k in range(c + 1)])
    log_b = logs[-1] - (logs.max() + math.log(np.exp(logs - logs.max()).sum()))
    # lgamma of arguments ~5000 is ~4e4, so absolute log errors ~1e-11 are expected.
    assert math.log(erlang_b(c, a)) == pytest.approx(log_b, abs=1e-9)


def test_erlang_b_and_c_edge_values() -> None:
    assert erlang_b(4, 0.0) == 0.0
    assert erlang_c(4, 0.0) == 0.0
    assert erlang_c(4, 4.0) == 1.0
    assert erlang_c(4, 9.0) == 1.0
    assert erlang_b(2, 1.0) == pytest.approx(0.2, rel=1e-14)  # (1/2) / (1 + 1 + 1/2)


# --- 3. Stationary results against the numerically solved chain ----------------------------

def _chain_measures(p: np.ndarray, lam: float, c: int) -> tuple[float, float, float]:
    n = np.arange(p.size)
    lq = float((np.maximum(n - c, 0) * p).sum())
    return float(p[c:].sum()), lq / lam, float((np.minimum(n, c) * p).sum()) / c


@pytest.mark.parametrize("c", [1, 5, 20])
@pytest.mark.parametrize("rho", [0.3, 0.8, 0.95, 0.97])
def test_erlang_c_matches_birth_death_chain(c: int, rho: float) -> None:
    lam, h = rho * c / 2.0, 2.0
    # Truncate where the geometric queue tail (including its first moment) is < 1e-14.
    max_n = c + math.ceil(math.log(1e-14 * (1 - rho) ** 2) / math.log(rho))
    p = birth_death_mmc(lam, h, c, None, max_n)
    p_wait, mean_wait, occupancy = _chain_measures(p, lam, c)
    m = erlang_c_metrics(lam, h, c, 0.5)
    assert m.frac_delayed == pytest.approx(p_wait, abs=EXACT)
    # Little's law: mean wait = E[number waiting] / lambda.
    assert m.mean_wait_min == pytest.approx(mean_wait, rel=EXACT, abs=EXACT)
    assert m.occupancy == pytest.approx(occupancy, abs=EXACT)
    assert erlang_c(c, lam * h) == pytest.approx(p_wait, abs=EXACT)


ERLANG_A_CASES = [  # (rate/min, handle min, servers, patience min)
    (10 / 3, 3.0, 13, 5.0),    # calibration case
    (1.0, 1.0, 1, 0.5),        # single server
    (9.5, 1.0, 10, 30.0),      # rho = 0.95, patient callers
    (9.9, 2.0, 20, 10.0),      # rho = 0.99
    (4.0, 3.0, 10, 2.0),       # overloaded: load 12 > 10 servers
    (30.0, 1.0, 15, 1.0),      # load twice the servers
]


def _erlang_a_chain(lam: float, h: float, c: int, patience: float) -> np.ndarray:
    # Past the fluid queue length (lam - c/h) * patience the chain decays faster than
    # geometrically; 600 more states is ample, and the assertion checks it.
    max_n = c + math.ceil(max(0.0, (lam - c / h) * patience)) + 600
    p = birth_death_mmc(lam, h, c, patience, max_n)
    assert p[-1] < 1e-15
    return p


@pytest.mark.parametrize("lam, h, c, patience", ERLANG_A_CASES)
def test_erlang_a_matches_birth_death_chain(lam: float, h: float, c: int,
                                            patience: float) -> None:
    p_wait, mean_wait, occupancy = _chain_measures(_erlang_a_chain(lam, h, c, patience), lam, c)
    m = erlang_a_metrics(lam, h, c, patience, 0.25)
    assert m.frac_delayed == pytest.approx(p_wait, abs=EXACT)
    assert m.mean_wait_min == pytest.approx(mean_wait, rel=EXACT, abs=EXACT)
    assert m.abandon_rate == pytest.approx(mean_wait / patience, abs=EXACT)  # theta E[Lq]/lam
    assert m.occupancy == pytest.approx(occupancy, abs=EXACT)


def _absorbing_reference(lam: float, h: float, c: int, patience: float,
                         target: float) -> tuple[float, float]:
    """(service level, ASA) from the waiting customer's absorbing chain, solved numerically.

    State j = customers ahead of the tagged one (all servers busy). From j he moves to j-1
    at rate c*mu + j*theta (a service completion or an abandonment ahead), is answered from
    j = 0 at rate c*mu, and abandons at rate theta. The arrival sees the stationary chain
    (PASTA), taken from birth_death_mmc.
    """
    p = _erlang_a_chain(lam, h, c, patience)
    cmu, theta = c / h, 1.0 / patience
    start = p[c:]
    size = start.size
    j = np.arange(size, dtype=float)
    forward = cmu + theta * j  # rate j -> j-1, or to "answered" from j = 0
    # Uniformisation: P(answered by t) = sum_n Poisson(n; L t) * (mass answered after n jumps).
    rate = cmu + theta * size
    stay = 1.0 - (forward + theta) / rate
    mean_jumps = rate * target
    # Poisson mass beyond mean + 12 sd (+40 for small means) is far below 1e-15.
    jumps = math.ceil(mean_jumps + 12 * math.sqrt(mean_jumps) + 40) if target > 0 else 0
    v, answered, total = start.copy(), 0.0, 0.0
    for n in range(jumps + 1):
        # Computed in logs so that exp(-L t) underflowing for large L t is harmless.
        log_weight = (n * math.log(mean_jumps) - mean_jumps - math.lgamma(n + 1)
                      if target > 0 else 0.0)
        total += math.exp(log_weight) * answered
        answered += v[0] * cmu / rate
        v = v * stay + np.append(v[1:] * forward[1:] / rate, 0.0)
    service_level = float(p[:c].sum()) + total
    # Fundamental matrix: time spent in each state, times P(eventually answered from it).
    gen = np.diag(-(forward + theta)) + np.diag(forward[1:], k=-1)
    reward = np.zeros(size)
    reward[0] = cmu
    p_answer_from = np.linalg.solve(-gen, reward)
    time_in = np.linalg.solve(-gen.T, start)
    p_answered = float(p[:c].sum()) + float(start @ p_answer_from)
    return service_level, float(time_in @ p_answer_from) / p_answered


@pytest.mark.parametrize("target", [0.0, 1 / 3, 1.0, 4.0])
@pytest.mark.parametrize("lam, h, c, patience", ERLANG_A_CASES)
def test_erlang_a_service_level_and_asa_match_absorbing_chain(lam: float, h: float, c: int,
                                                              patience: float,
                                                              target: float) -> None:
    sl, asa = _absorbing_reference(lam, h, c, patience, target)
    m = erlang_a_metrics(lam, h, c, patience, target)
    assert m.service_level == pytest.approx(sl, abs=EXACT)
    assert m.asa_min == pytest.approx(asa, rel=EXACT, abs=EXACT)


def test_erlang_a_service_level_limits() -> None:
    # Target 0: only immediate answers count. Very long target: everyone not abandoning.
    m0 = erlang_a_metrics(4.0, 3.0, 10, 2.0, 0.0)
    assert m0.service_level == pytest.approx(1 - m0.frac_delayed, abs=EXACT)
    m_inf = erlang_a_metrics(4.0, 3.0, 10, 2.0, 500.0)
    assert m_inf.service_level == pytest.approx(1 - m_inf.abandon_rate, abs=EXACT)


def _simulate_mmc_m(lam: float, h: float, c: int, patience: float, target: float,
                    n: int, seed: int) -> dict[str, np.ndarray]:
    """Per-customer outcomes of an FCFS M/M/c+M queue.

    With FCFS, a customer's offered wait depends only on earlier customers, and one who
    abandons never takes a server, so serving each arrival on the earliest-free server if
    that happens within his patience is an exact simulation.
    """
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / lam, n)).tolist()
    services = rng.exponential(h, n).tolist()
    patiences = rng.exponential(patience, n).tolist()
    free = [0.0] * c
    wait, delayed, answered = np.empty(n), np.empty(n, bool), np.empty(n, bool)
    for i, (t, s, tau) in enumerate(zip(arrivals, services, patiences)):
        offered = max(0.0, free[0] - t)
        delayed[i] = offered > 0
        answered[i] = offered <= tau
        wait[i] = offered if answered[i] else tau
        if answered[i]:
            heapq.heapreplace(free, t + offered + s)
    warm = n // 20  # the run starts empty; drop the transient
    wait, delayed, answered = wait[warm:], delayed[warm:], answered[warm:]
    return {"frac_delayed": delayed, "abandon_rate": ~answered, "mean_wait_min": wait,
            "service_level": answered & (wait <= target)}


@pytest.mark.parametrize("lam, h, c, patience, target", [
    (10 / 3, 3.0, 13, 5.0, 1 / 3),  # calibration case
    (4.0, 3.0, 10, 2.0, 0.5),       # overloaded
])
def test_erlang_a_against_monte_carlo(lam: float, h: float, c: int, patience: float,
                                      target: float) -> None:
    outcome = _simulate_mmc_m(lam, h, c, patience, target, n=200_000, seed=20240611)
    m = erlang_a_metrics(lam, h, c, patience, target)
    batches = 40
    # Consecutive customers are correlated, so a plain binomial standard error would be too
    # small; batch means over long batches give an honest one. 4.5 standard errors make a
    # spurious failure about a 1e-4 event per quantity (t with 39 degrees of freedom).
    for name, values in outcome.items():
        means = np.array([b.mean() for b in np.array_split(values.astype(float), batches)])
        se = means.std(ddof=1) / math.sqrt(batches)
        assert abs(means.mean() - getattr(m, name)) < 4.5 * se, name
    answered = ~outcome["abandon_rate"]
    waits = outcome["mean_wait_min"][answered]
    means = np.array([b.mean() for b in np.array_split(waits, batches)])
    assert abs(means.mean() - m.asa_min) < 4.5 * means.std(ddof=1) / math.sqrt(batches)


# --- 4. Limits --------------------------------------------------------------------------------

def test_erlang_a_converges_to_erlang_c_as_patience_grows() -> None:
    lam, h, c, t = 10 / 3, 3.0, 13, 1 / 3
    ref = erlang_c_metrics(lam, h, c, t)
    errors = []
    for patience in (1e2, 1e4, 1e6):
        m = erlang_a_metrics(lam, h, c, patience, t)
        errors.append(max(abs(getattr(m, f) - getattr(ref, f)) for f in
                          ("frac_delayed", "mean_wait_min", "asa_min", "service_level",
                           "abandon_rate", "occupancy")))
    # The effect of abandonment is first order in theta = 1/patience.
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-5


@pytest.mark.parametrize("lam, h, t", [(0.5, 1.0, 0.0), (0.9, 1.0, 2.0), (0.2, 3.0, 1.5)])
def test_erlang_c_single_server_is_mm1(lam: float, h: float, t: float) -> None:
    mu = 1 / h
    rho = lam / mu
    m = erlang_c_metrics(lam, h, 1, t)
    assert m.frac_delayed == pytest.approx(rho, rel=1e-12)
    assert m.mean_wait_min == pytest.approx(rho / (mu - lam), rel=1e-12)
    assert m.service_level == pytest.approx(1 - rho * math.exp(-(mu - lam) * t), rel=1e-12)
    assert m.occupancy == pytest.approx(rho, rel=1e-12)
    assert m.abandon_rate == 0.0 and m.asa_min == m.mean_wait_min


# --- 5. Properties ----------------------------------------------------------------------------

loads = st.floats(min_value=0.01, max_value=300.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(c=st.integers(1, 400), a=loads)
def test_erlang_c_is_a_probability_decreasing_in_servers(c: int, a: float) -> None:
    now, more = erlang_c(c, a), erlang_c(c + 1, a)
    assert 0.0 <= more <= now <= 1.0


@settings(max_examples=200, deadline=None)
@given(extra=st.integers(1, 50), a=loads, t1=st.floats(0, 5), t2=st.floats(0, 5))
def test_erlang_c_service_level_increases_with_target(extra: int, a: float, t1: float,
                                                      t2: float) -> None:
    c = math.floor(a) + extra
    lo, hi = sorted((t1, t2))
    sl_lo = erlang_c_metrics(a, 1.0, c, lo).service_level
    sl_hi = erlang_c_metrics(a, 1.0, c, hi).service_level
    assert 0.0 <= sl_lo <= sl_hi <= 1.0


@settings(max_examples=150, deadline=None)
@given(c=st.integers(1, 120), a=st.floats(0.05, 150.0), patience=st.floats(0.05, 50.0),
       t=st.floats(0, 5))
def test_erlang_a_abandonment_is_a_probability_decreasing_in_servers(c: int, a: float,
                                                                     patience: float,
                                                                     t: float) -> None:
    now = erlang_a_metrics(a, 1.0, c, patience, t)
    more = erlang_a_metrics(a, 1.0, c + 1, patience, t)
    assert 0.0 <= more.abandon_rate <= now.abandon_rate + 1e-12 <= 1.0 + 1e-12
    for m in (now, more):
        assert 0.0 <= m.frac_delayed <= 1.0 and 0.0 <= m.service_level <= 1.0
        assert m.service_level <= 1.0 - m.abandon_rate + 1e-12
        assert 0.0 <= m.occupancy <= 1.0 + 1e-12


# --- 6. Staffing ------------------------------------------------------------------------------

STAFFING_CASES = [  # (rate/min, handle min, target min, service level, max occupancy)
    (100 / 30, 3.0, 1 / 3, 0.80, 1.0),
    (1000 / 60, 2.0, 1 / 3, 0.90, 1.0),
    (1000 / 60, 2.0, 1 / 3, 0.50, 0.85),  # occupancy cap binds
    (0.05, 4.0, 0.0, 0.70, 1.0),
    (400.0, 1.5, 0.5, 0.95, 1.0),
]


@pytest.mark.parametrize("lam, h, t, goal, occ", STAFFING_CASES)
def test_min_agents_erlang_c_is_the_fewest_meeting_goal(lam: float, h: float, t: float,
                                                        goal: float, occ: float) -> None:
    c = min_agents_erlang_c(lam, h, t, goal, occ)
    m = erlang_c_metrics(lam, h, c, t)
    assert c > lam * h and m.service_level >= goal and m.occupancy <= occ
    if c - 1 > lam * h:
        fewer = erlang_c_metrics(lam, h, c - 1, t)
        assert fewer.service_level < goal or fewer.occupancy > occ


@pytest.mark.parametrize("patience", [0.5, 3.0, 50.0])
@pytest.mark.parametrize("lam, h, t, goal, occ", STAFFING_CASES)
def test_min_agents_erlang_a_is_the_fewest_meeting_goal(lam: float, h: float, t: float,
                                                        goal: float, occ: float,
                                                        patience: float) -> None:
    c = min_agents_erlang_a(lam, h, patience, t, goal, occ)
    m = erlang_a_metrics(lam, h, c, patience, t)
    assert m.service_level >= goal and m.occupancy <= occ
    if c > 1:
        fewer = erlang_a_metrics(lam, h, c - 1, patience, t)
        assert fewer.service_level < goal or fewer.occupancy > occ
    # Abandonment only helps the remaining callers, so Erlang C never needs fewer agents.
    assert c <= min_agents_erlang_c(lam, h, t, goal, occ)


def test_sqrt_staffing_values() -> None:
    assert sqrt_staffing(100.0, 1.0) == 110  # exact integer must not round up to 111
    assert sqrt_staffing(400.0, 0.5) == 410
    assert sqrt_staffing(10.0, 0.0) == 10
    assert sqrt_staffing(10.5, 0.0) == 11
    assert sqrt_staffing(4.0, -1.0) == 2


def test_halfin_whitt_delay_values() -> None:
    assert halfin_whitt_delay(0.0) == 1.0
    assert 0.0 <= halfin_whitt_delay(60.0) < 1e-300
    betas = [0.1, 0.5, 1.0, 2.0, 3.0]
    values = [halfin_whitt_delay(b) for b in betas]
    assert all(x > y for x, y in zip(values, values[1:]))


@pytest.mark.parametrize("beta", [0.25, 0.5, 1.0, 1.5, 2.0])
def test_square_root_staffing_reaches_halfin_whitt_limit(beta: float) -> None:
    # QED regime: with c = R + beta sqrt(R) the Erlang C delay probability tends to the
    # Halfin-Whitt value; the error is O(1/sqrt(R)), i.e. a few 1e-3 at R = 400.
    def error(r: float) -> float:
        c = sqrt_staffing(r, beta)
        return abs(erlang_c(c, r) - halfin_whitt_delay((c - r) / math.sqrt(r)))
    assert error(400.0) < 0.02
    assert error(6400.0) < error(400.0)


# --- 7. Bad inputs ----------------------------------------------------------------------------

@pytest.mark.parametrize("call, name", [
    (lambda: erlang_b(0, 1.0), "servers"),
    (lambda: erlang_b(2.5, 1.0), "servers"),
    (lambda: erlang_b(True, 1.0), "servers"),
    (lambda: erlang_b(3, -1.0), "load"),
    (lambda: erlang_c(3, float("nan")), "load"),
    (lambda: erlang_c(-2, 1.0), "servers"),
    (lambda: erlang_c_metrics(0.0, 3.0, 5, 0.3), "rate_per_min"),
    (lambda: erlang_c_metrics(1.0, -3.0, 5, 0.3), "mean_handle_min"),
    (lambda: erlang_c_metrics(1.0, 3.0, 5, -0.3), "target_min"),
    (lambda: erlang_c_metrics(1.0, 3.0, 3, 0.3), "unstable"),
    (lambda: erlang_c_metrics(float("inf"), 3.0, 5, 0.3), "rate_per_min"),
    (lambda: erlang_a_metrics(1.0, 3.0, 5, 0.0, 0.3), "mean_patience_min"),
    (lambda: erlang_a_metrics(1.0, 3.0, 5, float("inf"), 0.3), "mean_patience_min"),
    (lambda: erlang_a_metrics(1.0, 3.0, 0, 2.0, 0.3), "servers"),
    (lambda: erlang_a_metrics(1.0, float("nan"), 5, 2.0, 0.3), "mean_handle_min"),
    (lambda: birth_death_mmc(1.0, 3.0, 5, None, 0), "max_n"),
    (lambda: birth_death_mmc(-1.0, 3.0, 5, 2.0, 50), "rate_per_min"),
    (lambda: halfin_whitt_delay(-0.5), "beta"),
    (lambda: sqrt_staffing(0.0, 1.0), "load"),
    (lambda: sqrt_staffing(10.0, float("nan")), "beta"),
    (lambda: min_agents_erlang_c(1.0, 3.0, 0.3, 1.0), "service_level"),
    (lambda: min_agents_erlang_c(1.0, 3.0, 0.3, 0.8, 0.0), "max_occupancy"),
    (lambda: min_agents_erlang_c(0.0, 3.0, 0.3, 0.8), "rate_per_min"),
    (lambda: min_agents_erlang_a(1.0, 3.0, -1.0, 0.3, 0.8), "mean_patience_min"),
    (lambda: min_agents_erlang_a(1.0, 3.0, 2.0, 0.3, 1.2), "service_level"),
])
def test_bad_inputs_raise_value_error_naming_argument(call, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        call()


def test_metrics_are_immutable() -> None:
    m = erlang_c_metrics(1.0, 3.0, 5, 0.3)
    assert isinstance(m, QueueMetrics)
    with pytest.raises(AttributeError):
        m.frac_delayed = 0.0  # type: ignore[misc]


# --- the wait's Laplace transform (what stops a complaint's pile-ons) -----------------------

@pytest.mark.parametrize("lam, h, c", [(1.5, 6.0, 10), (0.2, 4.0, 1), (5.0, 1.0, 6)])
def test_erlang_c_wait_transform_edges_and_mean(lam: float, h: float, c: int) -> None:
    """L(0) = 1; L decreases in s; (1 - L(s)) / s -> E[W] as s -> 0 (the mean wait of
    erlang_c_metrics); L(s) -> 1 - C as s -> inf (only those who wait are slow)."""
    assert erlang_c_wait_transform(lam, h, c, 0.0) == 1.0
    values = [erlang_c_wait_transform(lam, h, c, s) for s in (0.01, 0.1, 1.0, 10.0)]
    assert values == sorted(values, reverse=True)
    s = 1e-7
    mean_wait = erlang_c_metrics(lam, h, c, 1.0).mean_wait_min
    assert (1 - erlang_c_wait_transform(lam, h, c, s)) / s == pytest.approx(mean_wait, rel=1e-5)
    assert erlang_c_wait_transform(lam, h, c, 1e12) == pytest.approx(1 - erlang_c(c, lam * h))


def test_erlang_c_wait_transform_unstable_and_empty() -> None:
    assert erlang_c_wait_transform(2.0, 6.0, 10, 0.5) == 0.0  # load 12 >= 10 servers
    assert erlang_c_wait_transform(0.0, 6.0, 10, 0.5) == 1.0  # nobody arrives, nobody waits
    with pytest.raises(ValueError, match="servers"):
        erlang_c_wait_transform(1.0, 6.0, 0, 0.5)


def test_erlang_c_wait_transform_against_monte_carlo() -> None:
    """E[exp(-W / tau)] over the waits of a simulated M/M/c FCFS queue (the Lindley-style
    recursion of _simulate_mmc_m with no abandonment) within its 99.9% CI."""
    lam, h, c, tau = 1.5, 6.0, 11, 5.0
    rng = np.random.default_rng(17)
    n = 200_000
    arrivals = np.cumsum(rng.exponential(1 / lam, n))
    service = rng.exponential(h, n)
    free = [0.0] * c  # when each server is next free
    waits = np.empty(n)
    for i, t in enumerate(arrivals):
        start = max(t, heapq.heappop(free))
        waits[i] = start - t
        heapq.heappush(free, start + service[i])
    x = np.exp(-waits[n // 10:] / tau)
    # Waits are autocorrelated: batch means (100 batches) give an honest standard error.
    batches = x[: len(x) // 100 * 100].reshape(100, -1).mean(axis=1)
    se = batches.std(ddof=1) / math.sqrt(len(batches))
    expected = erlang_c_wait_transform(lam, h, c, 1 / tau)
    assert abs(x.mean() - expected) < 3.29 * se, (x.mean(), expected, se)
