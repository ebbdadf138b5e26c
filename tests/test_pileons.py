"""Pile-ons (sim.pileons and their life in the engine): Hawkes theory and the policy effect.

Theory: in a Hawkes process with branching ratio n < 1 every event has on average n direct
offspring, so a cluster (an original complaint and all its descendants) has
1 + n + n^2 + ... = 1 / (1 - n) events, i.e. n / (1 - n) pile-ons per original complaint
(a Galton-Watson process; Hawkes & Oakes 1974). Reach weights have mean exactly 1, so reach
changes who draws pile-ons, not how many on average. Intervals are 99.9% Student-t over
independent replications (or a normal CI over many independent clusters).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim import distributions as D
from sim.arrivals import ProfiledPoisson
from sim.replications import RunSpec, Setup, run_replications
from sim.metrics import mean_ci
from sim.pileons import PileOn, draw_cascade
from sim.policies.escalation import NoEscalation
from sim.policies.routing import FCFS
from sim.policies.staffing import Fixed
from sim.scenario import Channel, Mode, Pool, Scenario

from .conftest import simulate

DAY = 1440.0
LEVEL = 0.999
Z = 3.29  # two-sided 99.9% normal quantile


def _cluster_sizes(parent: np.ndarray, roots: int) -> np.ndarray:
    """Pile-ons (all generations) under each of the ``roots`` originals."""
    top = np.arange(roots + len(parent))
    for j, p in enumerate(parent):  # parents precede children: one pass suffices
        top[roots + j] = top[p]
    return np.bincount(top[roots:], minlength=roots)[:roots]


@pytest.mark.parametrize("n", [0.2, 0.5, 0.8])
def test_cluster_size_matches_n_over_1_minus_n(n: float) -> None:
    """40,000 never-answered complaints with lognormal reach: the mean pile-ons per complaint
    is n/(1-n) within a 99.9% normal CI (clusters are independent; the sample sd of the
    cluster size is its standard error's basis)."""
    reach_dist = D.make("lognormal", 400.0, 3.0)
    pile = PileOn(n, 60.0, reach_exponent=0.5)
    rng = np.random.default_rng(7)
    roots = 40_000
    reach = reach_dist.sample(rng, roots)
    cascade = draw_cascade(pile, reach_dist, np.zeros(roots), reach, math.inf, rng,
                           np.random.default_rng(8))
    sizes = _cluster_sizes(cascade.parent, roots)
    se = sizes.std(ddof=1) / math.sqrt(roots)
    assert abs(sizes.mean() - n / (1 - n)) < Z * se, (sizes.mean(), n / (1 - n), se)
    assert pile.mean_cluster == pytest.approx(n / (1 - n))


@pytest.mark.parametrize("n, answer_mean", [(0.5, 30.0), (0.8, 120.0), (0.3, 5.0)])
def test_cluster_when_complaints_are_answered_matches_m_over_1_minus_m(
        n: float, answer_mean: float) -> None:
    """Every complaint (original or pile-on) answered an exponential time W after it is
    posted, and a pile-on posted only while its parent is unanswered (the engine's rule):
    the mean surviving pile-ons per original is m/(1-m), m = n (1 - E[exp(-W/tau)]),
    within a 99.9% CI. Here E[exp(-W/tau)] = 1 / (1 + answer_mean / tau)."""
    tau = 60.0
    reach_dist = D.make("lognormal", 400.0, 3.0)
    pile = PileOn(n, tau, reach_exponent=0.5)
    rng = np.random.default_rng(21)
    roots = 40_000
    cascade = draw_cascade(pile, reach_dist, np.zeros(roots), reach_dist.sample(rng, roots),
                           math.inf, rng, np.random.default_rng(22))
    posted = np.concatenate([np.zeros(roots), cascade.arrival_min])
    answered = posted + rng.exponential(answer_mean, len(posted))
    alive = np.ones(len(posted), bool)
    for j, parent in enumerate(cascade.parent):  # parents precede their pile-ons
        alive[roots + j] = alive[parent] and posted[roots + j] < answered[parent]
    top = np.arange(len(posted))
    for j, parent in enumerate(cascade.parent):
        top[roots + j] = top[parent]
    sizes = np.bincount(top[roots:][alive[roots:]], minlength=roots)
    se = sizes.std(ddof=1) / math.sqrt(roots)
    expected = pile.cluster(1 / (1 + answer_mean / tau))
    assert abs(sizes.mean() - expected) < Z * se, (sizes.mean(), expected, se)


def test_cluster_limits() -> None:
    pile = PileOn(0.6, 45.0)
    assert pile.expected_cluster(math.inf) == pytest.approx(pile.mean_cluster)
    assert pile.expected_cluster(0.0) == 0.0
    m = 0.6 * (1 - math.exp(-1))
    assert pile.expected_cluster(45.0) == pytest.approx(m / (1 - m))
    with pytest.raises(ValueError, match="stop_transform=1.5 must be in"):
        pile.cluster(1.5)


def test_louder_authors_draw_more_pileons_with_mean_weight_one() -> None:
    """Weights are reach^gamma / E[R^gamma]: mean 1 over the reach distribution (4 SE), and
    the top reach decile draws more direct pile-ons than the bottom one."""
    reach_dist = D.make("lognormal", 300.0, 2.0)
    pile = PileOn(0.4, 30.0, reach_exponent=0.7)
    rng = np.random.default_rng(3)
    reach = reach_dist.sample(rng, 200_000)
    w = pile.weights(reach, reach_dist)
    assert abs(w.mean() - 1) < 4 * w.std() / math.sqrt(len(w))
    cascade = draw_cascade(pile, reach_dist, np.zeros(len(reach)), reach, math.inf, rng,
                           np.random.default_rng(4))
    direct = np.bincount(cascade.parent[cascade.parent < len(reach)], minlength=len(reach))
    lo, hi = np.quantile(reach, [0.1, 0.9])
    assert direct[reach >= hi].mean() > 3 * direct[reach <= lo].mean()


def test_cascade_structure_and_horizon() -> None:
    """Parents come before their pile-ons and are posted earlier; nothing at or after the
    horizon survives (with its descendants)."""
    pile = PileOn(0.7, 120.0, reach_exponent=0.0)
    rng = np.random.default_rng(5)
    t0 = np.sort(rng.random(2000) * 1000)
    cascade = draw_cascade(pile, None, t0, np.zeros(len(t0)), 1000.0, rng, rng)
    times = np.concatenate([t0, cascade.arrival_min])
    pos = len(t0) + np.arange(len(cascade))
    assert np.all(cascade.parent < pos)
    assert np.all(cascade.arrival_min > times[cascade.parent])
    assert np.all(cascade.arrival_min < 1000.0)
    assert np.all(cascade.reach == 0)


def test_branching_of_one_or_more_is_refused() -> None:
    for n in (1.0, 1.5, -0.1, math.nan):
        with pytest.raises(ValueError, match="branching="):
            PileOn(n, 60.0)


# --- in the engine ---------------------------------------------------------------------------

def _public_study(agents: int, n: float, *, days: float, replications: int) -> Setup:
    """One public async channel, every post a complaint, lognormal reach."""
    twitter = Channel("twitter", Mode.ASYNC, 30.0, ProfiledPoisson(30.0),
                      D.Exponential(5.0), D.Deterministic(60.0), public=True,
                      reach=D.make("lognormal", 500.0, 2.5), negative_share=1.0,
                      pileon=PileOn(n, 45.0))
    scenario = Scenario((twitter,), (Pool("social", {"twitter": 1.0}, {}, agents),), 60.0)
    return Setup(scenario, FCFS, Fixed, NoEscalation,
                 RunSpec(horizon_min=days * DAY, warmup_min=0.0, drain_min=0.0,
                         replications=replications, seed=11))


def test_nobody_answering_gives_n_over_1_minus_n_pileons_per_complaint() -> None:
    """No agents: every complaint excites for ever. pileons_per_complaint (pile-on contacts
    over original complaints) matches n/(1-n) within the 99.9% CI across replications, plus
    a stated slack for the horizon: pile-ons due after it are not posted. A cluster lasts
    ~ generations x tau (tau = 45 min), so the cut misses at most the clusters of the last
    few hours of a 20-day run: < 1% of n/(1-n)."""
    n = 0.6
    res = run_replications(_public_study(0, n, days=20, replications=10))
    values = res.per_replication.query("channel == 'twitter' and metric == "
                                       "'pileons_per_complaint'")["value"]
    mean, lo, hi, _ = mean_ci(values, LEVEL)
    expected = n / (1 - n)
    assert lo - 0.01 * expected <= expected <= hi + 0.01 * expected, (mean, lo, hi, expected)
    c = res.contacts
    assert not c["answered"].any()
    # Each complaint's pileons column counts exactly its own direct pile-ons.
    piles = c[c["origin"] == "pileon"]
    assert len(piles) == c["pileons"].sum()


def test_answering_at_once_stops_all_pileons() -> None:
    """With far more agents than posts, every complaint is answered the moment it arrives,
    before any pile-on could follow: none is posted, and public exposure is zero."""
    res = run_replications(_public_study(50, 0.8, days=3, replications=2))
    c = res.contacts
    assert (c["origin"] == "arrival").all()
    assert (c["public_exposure"] == 0).all()


def test_pileon_rows_thread_and_exposure() -> None:
    """A pile-on is its own customer (own journey) in its root complaint's thread; public
    exposure is reach x minutes until first response (or the end of the run)."""
    res = run_replications(_public_study(1, 0.5, days=4, replications=1))
    c = res.contacts.set_index("contact_id")
    piles = c[c["origin"] == "pileon"]
    assert len(piles) > 0
    assert (piles["journey_id"] == piles.index).all()
    roots = c.loc[piles["thread_id"]]
    assert (roots["origin"] != "pileon").all()
    assert (piles["arrival_min"].to_numpy() > roots["arrival_min"].to_numpy()).all()
    end = np.where(c["answered"], c["first_response_min"], np.nan)
    answered = c["answered"].to_numpy()
    expected = c["reach"].to_numpy()[answered] * (end[answered] - c["arrival_min"].to_numpy()[answered])
    assert np.allclose(c["public_exposure"].to_numpy()[answered], expected)


def _values(res, channel: str, metric: str) -> np.ndarray:
    p = res.per_replication
    return p[(p["channel"] == channel) & (p["metric"] == metric)].sort_values(
        "replication")["value"].to_numpy()


def test_priority_to_public_social_means_fewer_pileons_and_less_exposure() -> None:
    """The default study, same seed: public social first (routing=priority) against one FCFS
    text queue at the same headcount (unified_text). Paired over replications (common random
    numbers: the same customers and the same potential pile-ons), priority has fewer
    pile-ons per complaint and less public exposure on Twitter and overall: the 99.9% CI of
    the paired difference lies below zero."""
    runs = {r: simulate([f"routing={r}", "run.horizon=3d", "run.replications=8"])
            for r in ("unified_text", "priority")}
    for channel in ("twitter", "all"):
        for metric in ("pileons_per_complaint", "public_exposure"):
            a, b = (_values(runs[r], channel, metric) for r in runs)
            _, lo, hi, _ = mean_ci(b - a, LEVEL)
            assert hi < 0, (channel, metric, lo, hi)
    # The potential pile-ons are common: the arrival-process customers are identical.
    first = [r.contacts[r.contacts["origin"] == "arrival"][["replication", "contact_id",
                                                             "arrival_min", "reach"]]
             for r in runs.values()]
    pd.testing.assert_frame_equal(first[0].reset_index(drop=True),
                                  first[1].reset_index(drop=True))
