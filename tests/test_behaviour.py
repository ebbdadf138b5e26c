"""Customer behaviour after failure (retrials, channel switches, silent abandonment) and the
dissatisfaction scoring of sim.behaviour, in the engine.

Shares are checked against binomial 99.9% intervals (z = 3.29) around the configured
probability; "upstream" checks compare two runs row by row.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim import distributions as D
from sim.arrivals import ProfiledPoisson
from sim.behaviour import Dissatisfaction, Retrial, Switch
from sim.replications import RunSpec, Setup, run_replications
from sim.policies.escalation import NoEscalation
from sim.policies.routing import FCFS
from sim.policies.staffing import Fixed
from sim.scenario import Channel, Mode, Pool, Scenario

from .conftest import simulate
from .invariants import check_invariants

DAY = 1440.0
Z = 3.29


def _within_binomial(successes: int, trials: int, p: float) -> None:
    half = Z * math.sqrt(p * (1 - p) / trials)
    assert abs(successes / trials - p) <= half, (successes, trials, p, half)


def _study(channels, pools, *, days=5.0, reps=2, seed=3, drain=DAY, scoring=None) -> Setup:
    scenario = Scenario(tuple(channels), tuple(pools), 60.0,
                        dissatisfaction=scoring or Dissatisfaction())
    return Setup(scenario, FCFS, Fixed, NoEscalation,
                 RunSpec(horizon_min=days * DAY, warmup_min=0.0, drain_min=drain,
                         replications=reps, seed=seed))


def _twitter() -> Channel:
    return Channel("twitter", Mode.ASYNC, 30.0, ProfiledPoisson(1.0), D.Exponential(5.0),
                   D.Deterministic(60.0), public=True, reach=D.make("lognormal", 100.0, 1.0))


def test_retrials_and_switches_after_abandonment() -> None:
    """Callers on a hopeless line (one agent, 30 calls/h of 6 min, 2-min patience): each
    abandonment is followed by a retrial with p = 0.4, else by a tweet with p = 0.2 (of all
    abandonments: 0.2), each in the same journey, after the configured delay; a retrial
    can itself be abandoned and retried."""
    phone = Channel("phone", Mode.VOICE, 0.5, ProfiledPoisson(30.0), D.Exponential(6.0),
                    D.Deterministic(1.0), D.Exponential(2.0),
                    retrial=Retrial(0.4, D.Deterministic(10.0)),
                    switch=Switch("twitter", 0.2, D.Deterministic(30.0)))
    res = run_replications(_study([phone, _twitter()], [Pool("p", {"phone": 1.0}, {}, 1),
                                                  Pool("s", {"twitter": 1.0}, {}, 2)]))
    c = res.contacts
    for rep, g in c.groupby("replication"):
        g = g.set_index("contact_id")
        failed = g[g["abandoned"] & (g["channel"] == "phone") & (g["arrival_min"] < 4 * DAY)]
        follow = g[g["origin"].isin(["retrial", "switch"])]
        # Each follow-up: same journey as an abandoned phone contact, arriving at its
        # abandonment + the delay.
        for origin, delay, channel in (("retrial", 10.0, "phone"), ("switch", 30.0, "twitter")):
            f = follow[follow["origin"] == origin]
            assert (f["channel"] == channel).all()
            for _, row in f.head(50).iterrows():
                parents = g[(g["journey_id"] == row["journey_id"]) & g["abandoned"]
                            & (g["channel"] == "phone")]
                ends = parents["arrival_min"] + parents["wait_min"]
                assert np.isclose(ends + delay, row["arrival_min"]).any()
        n_fail = len(failed)
        n_retry = int((follow["origin"] == "retrial").sum())
        n_switch = int((follow["origin"] == "switch").sum())
        assert n_fail > 500
        all_failed = int((g["abandoned"] & (g["channel"] == "phone")).sum())
        _within_binomial(n_retry, all_failed, 0.4)
        _within_binomial(n_switch, all_failed, 0.2)
        # A retried retrial, or a retrial then a tweet: journeys of three contacts or more.
        assert g.groupby("journey_id").size().max() >= 3


def test_async_switch_after_limit() -> None:
    """Email nobody answers: each email unanswered 24 h later tweets with p = 0.25 after
    ~1 h; the email itself stays queued (the journey holds both)."""
    email = Channel("email", Mode.ASYNC, 1440.0, ProfiledPoisson(20.0), D.Exponential(8.0),
                    D.Deterministic(240.0),
                    switch=Switch("twitter", 0.25, D.Exponential(60.0), after_min=1440.0))
    res = run_replications(_study([email, _twitter()], [Pool("e", {"email": 1.0}, {}, 0),
                                                  Pool("s", {"twitter": 1.0}, {}, 3)],
                           days=6.0, reps=1, drain=2 * DAY))
    c = res.contacts
    # The run ends 2 days after the last email: every one is overdue within it, and its
    # tweet (an exponential 1-h delay later) arrives within it but with odds e^-24.
    emails = c[c["channel"] == "email"]
    switched = c[c["origin"] == "switch"]
    _within_binomial(len(switched), len(emails), 0.25)
    parents = emails.set_index("journey_id").loc[switched["journey_id"]]
    assert (switched["arrival_min"].to_numpy() >= parents["arrival_min"].to_numpy() + 1440.0).all()
    assert (switched["negative"]).all()
    j = res.journeys
    two = j[j["contacts"] == 2]
    assert len(two) == len(switched)
    assert (two["channels"] == "email>twitter").all() and (two["switches"] == 1).all()
    assert (two["forced_switches"] == 0).all()


def test_silent_abandonment_in_chat() -> None:
    """Half the chat abandoners leave silently: they stay queued, the agent who picks one up
    spends the notice time on it, and it counts as abandoned, not answered. The share of
    silent abandoners is 0.5 within the binomial 99.9% interval; capacity invariants hold."""
    chat = Channel("chat", Mode.CHAT, 1.0, ProfiledPoisson(40.0), D.Exponential(6.0),
                   D.Deterministic(1.0), D.Exponential(1.5), silent_share=0.5,
                   silent_notice_min=2.0)
    res = run_replications(_study([chat], [Pool("c", {"chat": 1.0}, {"chat": 2}, 2)]))
    c = res.contacts
    ab = c[c["abandoned"]]
    silent = ab[ab["silent_abandon"]]
    _within_binomial(len(silent), len(ab), 0.5)
    assert not silent["answered"].any()
    assert silent["first_response_min"].isna().all()
    found = silent[silent["held_min"].notna()]
    assert len(found) > 0.9 * len(silent)
    # Each silent abandoner found took the agent 2 min of work at the concurrency speed.
    assert (found["held_min"] >= 2.0 / 1.0 - 1e-9).all()
    assert (found["held_min"] <= 2.0 * 2 / 1.7 + 1e-9).all()
    assert not ab[~ab["silent_abandon"]]["held_min"].notna().any()
    check_invariants(res)


def test_switching_off_changes_nothing_upstream_of_the_first_failure() -> None:
    """The default study (two days), with and without channel switching: the arrival
    process's customers are identical, and every contact that left before the first switch
    contact arrived has the same outcome (common random numbers hold)."""
    on = simulate(["run.horizon=2d", "run.replications=1"])
    off = simulate(["run.horizon=2d", "run.replications=1",
                    *(f"scenario.channels.{ch}.switch.probability=0"
                      for ch in ("phone", "chat", "email"))])
    a, b = on.contacts, off.contacts
    assert (a["origin"] == "switch").any() and not (b["origin"] == "switch").any()
    first = a.loc[a["origin"] == "switch", "arrival_min"].min()
    exo = ["contact_id", "channel", "arrival_min", "handle_min", "patience_min",
           "expectation_min", "reach", "negative", "needs_secure"]
    arr = lambda c: c[c["origin"] == "arrival"][exo].reset_index(drop=True)
    pd.testing.assert_frame_equal(arr(a), arr(b))
    # Everything that happened before the first switch contact arrived is the same: who
    # arrived, and which of them were answered, resolved or abandoned by then, and when.
    # (Contacts the model creates are numbered as created; the switch contact, created at
    # its failure, shifts later ones, so rows are matched on arrival time and channel.)
    def before(c: pd.DataFrame) -> pd.DataFrame:
        c = c[c["arrival_min"] < first].sort_values(["arrival_min", "channel"])
        out = c[["channel", "origin", "arrival_min"]].reset_index(drop=True)
        end = c["arrival_min"] + c["wait_min"]
        for col, t in (("first_response_min", c["first_response_min"]),
                       ("resolved_min", c["resolved_min"]),
                       ("abandoned_at", end.where(c["abandoned"]))):
            out[col] = t.where(t < first).to_numpy()
        return out
    pd.testing.assert_frame_equal(before(a), before(b))
    assert before(a)["first_response_min"].notna().sum() > 20


def test_dissatisfaction_causes_and_index() -> None:
    """Causes take precedence (abandoned before late); a forced switch dissatisfies with its
    probability; the index is weights[cause] + pile-on and exposure terms."""
    from sim.engine import STATES
    from sim.records import categories, contact_columns, frame

    ABANDONED, DONE, ESCALATED = (STATES.index(s) for s in ("abandoned", "done", "escalated"))
    n = 5
    raw = {
        "id": np.arange(n), "channel": np.zeros(n, np.int16), "origin": np.zeros(n, np.int8),
        "journey": np.arange(n), "thread": np.arange(n), "arrival_min": np.zeros(n),
        "first_response_min": np.array([np.nan, 5.0, 1.0, 1.0, 1.0]),
        "left_min": np.array([3.0, 9.0, 2.0, 2.0, 2.0]),
        "state": np.array([ABANDONED, DONE, DONE, ESCALATED, ESCALATED], np.int8),
        "pool": np.array([-1, 0, 0, 0, 0], np.int16), "agent": np.full(n, -1),
        "held_min": np.zeros(n), "handle_min": np.ones(n), "patience_min": np.full(n, np.inf),
        "expectation_min": np.full(n, 2.0), "reach": np.full(n, 600.0),
        "negative": np.ones(n, bool), "needs_secure": np.zeros(n, bool),
        "forced": np.array([False, False, False, True, True]),
        "pileons": np.array([0, 2, 0, 0, 0]), "silent": np.zeros(n, bool),
        "upset_u": np.array([0.5, 0.5, 0.5, 0.2, 0.9], np.float32),
        "door": np.zeros(n, np.int8), "found_min": np.full(n, np.nan),
        "untagged": np.zeros(n, bool), "handed": np.zeros(n, bool),
    }
    scoring = Dissatisfaction(forced_switch=0.5, weights={"late": 2.0}, pileon_weight=0.5,
                              exposure_weight=1.0)
    scenario = Scenario((_twitter(),), (Pool("p", {"twitter": 1.0}),), 60.0,
                        dissatisfaction=scoring)
    c = frame(contact_columns(raw, scenario, 0, 0.0, end_min=100.0), categories(scenario))
    assert list(c["dissatisfaction_cause"]) == ["abandoned", "late", "none", "forced_switch",
                                                "none"]
    exposure = 600.0 * np.array([100.0, 5.0, 1.0, 1.0, 1.0]) / 60_000.0
    expected = np.array([1.0, 2.0 + 0.5 * 2, 0.0, 1.0, 0.0]) + exposure
    assert np.allclose(c["dissatisfaction_index"], expected)
    assert list(c["dissatisfied"]) == [True, True, False, True, False]
    # Expectation violation is counted on its own too, whatever the cause that takes
    # precedence: the abandoned contact had also waited past its 2-min expectation.
    assert list(c["expectation_violated"]) == [True, True, False, False, False]


def test_scoring_rejects_unknown_causes_and_bad_probabilities() -> None:
    with pytest.raises(ValueError, match=r"weights\.bored="):
        Dissatisfaction(weights={"bored": 1.0})
    with pytest.raises(ValueError, match="forced_switch="):
        Dissatisfaction(forced_switch=1.5)


@pytest.mark.parametrize("patience", [D.make("weibull", 3.0, 0.5),
                                      D.make("empirical", values=[1.0, 2.0, 4.0]),
                                      D.make("lognormal", 3.0, 1.2)])
def test_patience_distributions_drive_abandonment(patience) -> None:
    """Nobody answers: every caller abandons exactly at their patience, so the waits are a
    sample of the configured distribution (mean within 4 SE)."""
    phone = Channel("phone", Mode.VOICE, 0.5, ProfiledPoisson(60.0), D.Exponential(6.0),
                    D.Deterministic(1.0), patience)
    res = run_replications(_study([phone], [Pool("p", {"phone": 1.0}, {}, 0)], days=3.0, reps=1))
    c = res.contacts
    assert c["abandoned"].all()
    assert np.allclose(c["wait_min"], c["patience_min"])
    w = c["wait_min"].to_numpy()
    assert abs(w.mean() - patience.mean) < 4 * w.std() / math.sqrt(len(w))
