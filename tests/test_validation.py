"""The simulator against queueing theory: Erlang C, Erlang A, M/M/inf, Little's law.

Each check runs ``scenario=erlang`` through the real config layer and asserts that the
closed-form value lies inside the simulation's confidence interval across independent
replications, widened by a stated tolerance for the finite-horizon bias. The interval is
computed here at 99.9% so that a correct simulator fails these tests about once in a
thousand, not once in twenty.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import erlang
from sim.metrics import mean_ci

from .conftest import simulate

# (rate/h, AHT min, agents, mean patience min or None, target) -> rho from 0.83 to overload.
CASES = {
    "erlang_c_rho0.83": (100, 6, 12, None, "20s"),
    "erlang_c_rho0.91": (100, 6, 11, None, "20s"),
    "erlang_c_rho0.95": (114, 6, 12, None, "20s"),
    "erlang_a_rho1.00": (100, 6, 10, 5, "20s"),
    "erlang_a_overload": (120, 6, 10, 3, "30s"),
}
METRICS = ("frac_delayed", "mean_wait_min", "service_level", "abandon_rate", "occupancy")
# Absolute slack beyond the CI: start-up bias after warm-up deletion is well below this.
TOLERANCE = {"frac_delayed": 0.005, "mean_wait_min": 0.02, "service_level": 0.005,
             "abandon_rate": 0.002, "occupancy": 0.003}


def _theory(rate, aht, agents, patience, target_min) -> erlang.QueueMetrics:
    if patience is None:
        return erlang.erlang_c_metrics(rate / 60, aht, agents, target_min)
    return erlang.erlang_a_metrics(rate / 60, aht, agents, patience, target_min)


@pytest.mark.parametrize("case", CASES)
def test_erlang_scenario_matches_theory(case):
    rate, aht, agents, patience, target = CASES[case]
    # rho >= 0.95 mixes slowly: a longer horizon keeps the CI informative.
    horizon = "40d" if case == "erlang_c_rho0.95" else "12d"
    res = simulate([
        "scenario=erlang", f"scenario.rate_per_hour={rate}", f"scenario.mean_handle_min={aht}",
        f"scenario.agents={agents}", f"scenario.mean_patience_min={patience or 'null'}",
        f"scenario.target={target}", f"run.horizon={horizon}", "run.warmup=1d",
        "run.replications=8", "seed=11",
    ])
    target_min = {"20s": 1 / 3, "30s": 0.5}[target]
    theory = _theory(rate, aht, agents, patience, target_min)
    per_rep = res.per_replication
    for metric in METRICS:
        values = per_rep[(per_rep["channel"] == "all") & (per_rep["metric"] == metric)]["value"]
        mean, lo, hi, n = mean_ci(values, level=0.999)
        expected = getattr(theory, metric)
        tol = TOLERANCE[metric]
        assert lo - tol <= expected <= hi + tol, (
            f"{case} {metric}: theory {expected:.4f} outside simulated 99.9% CI "
            f"[{lo:.4f}, {hi:.4f}] (mean {mean:.4f}, n={n}) +- {tol}")


def test_little_law_queue_length():
    """L_q = lambda * W_q: the time-average queue equals arrival rate x mean wait."""
    res = simulate(["scenario=erlang", "scenario.agents=11", "scenario.mean_patience_min=8",
                    "run.horizon=10d", "run.warmup=1d", "run.replications=6", "seed=5"])
    iv, c = res.intervals, res.contacts
    lq, lam_w = [], []
    for r, g in c[~c["warmup"]].groupby("replication"):
        window = iv[(iv["replication"] == r) & (iv["scope"] == "channel") &
                    (iv["start_min"] >= 1440)]
        lq.append(window["queue_mean"].mean())
        span = window["start_min"].max() + 60 - 1440
        # Each contact's time in queue, to answer or abandonment.
        lam_w.append(g["wait_min"].sum() / span)
    diff = np.array(lq) - np.array(lam_w)
    mean, lo, hi, _ = mean_ci(diff, level=0.999)
    # Contacts straddling the window edges make the two differ by O(1/horizon).
    assert lo - 0.02 <= 0 <= hi + 0.02, f"L_q - lambda W_q = {mean:.4f} [{lo:.4f}, {hi:.4f}]"
    theory = erlang.erlang_a_metrics(100 / 60, 6, 11, 8, 1 / 3)
    assert abs(np.mean(lq) - 100 / 60 * theory.mean_wait_min) < 0.1 * max(np.mean(lq), 0.1)


def test_many_agents_is_m_m_infinity():
    """With far more agents than load nobody waits and busy agents average the load."""
    res = simulate(["scenario=erlang", "scenario.agents=60", "run.horizon=6d",
                    "run.warmup=1d", "run.replications=5", "seed=3"])
    c = res.contacts
    assert (c.loc[c["answered"], "wait_min"] == 0).all()
    occ = res.per_replication
    occ = occ[(occ["metric"] == "occupancy") & (occ["channel"] == "all")]["value"] * 60
    mean, lo, hi, _ = mean_ci(occ, level=0.999)
    assert lo - 0.05 <= 10.0 <= hi + 0.05, f"mean busy {mean:.3f} [{lo:.3f}, {hi:.3f}] vs load 10"


def test_halfin_whitt_square_root_staffing():
    """QED regime: with N = R + beta sqrt(R), P(wait) approaches Halfin-Whitt's formula."""
    load, beta = 100.0, 0.5
    agents = erlang.sqrt_staffing(load, beta)
    res = simulate(["scenario=erlang", f"scenario.rate_per_hour={load * 10}",
                    "scenario.mean_handle_min=6", f"scenario.agents={agents}",
                    "run.horizon=4d", "run.warmup=6h", "run.replications=5", "seed=2"])
    per_rep = res.per_replication
    delayed = per_rep[(per_rep["metric"] == "frac_delayed") & (per_rep["channel"] == "all")]
    mean, lo, hi, _ = mean_ci(delayed["value"], level=0.999)
    exact = erlang.erlang_c(agents, load)
    assert lo - 0.01 <= exact <= hi + 0.01
    beta_actual = (agents - load) / math.sqrt(load)
    # The asymptotic formula is within 0.03 of the exact value at R = 100.
    assert abs(erlang.halfin_whitt_delay(beta_actual) - mean) < 0.03 + (hi - lo) / 2


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_erlang_scenario_matches_theory_precisely(case):
    """The same comparison with ~4x the data per case, and half the bias tolerance."""
    rate, aht, agents, patience, target = CASES[case]
    res = simulate([
        "scenario=erlang", f"scenario.rate_per_hour={rate}", f"scenario.mean_handle_min={aht}",
        f"scenario.agents={agents}", f"scenario.mean_patience_min={patience or 'null'}",
        f"scenario.target={target}", "run.horizon=60d", "run.warmup=2d",
        "run.replications=16", "run.workers=2", "seed=21",
    ])
    theory = _theory(rate, aht, agents, patience, {"20s": 1 / 3, "30s": 0.5}[target])
    per_rep = res.per_replication
    for metric in METRICS:
        values = per_rep[(per_rep["channel"] == "all") & (per_rep["metric"] == metric)]["value"]
        mean, lo, hi, n = mean_ci(values, level=0.999)
        expected, tol = getattr(theory, metric), TOLERANCE[metric] / 2
        assert lo - tol <= expected <= hi + tol, (
            f"{case} {metric}: theory {expected:.4f} outside [{lo:.4f}, {hi:.4f}] +- {tol}")
