"""Tests for sim.selfservice and the self-service front door in the engine, records and
metrics: conservation through the bot, containment within a confidence interval of its
parameter, context carried over as the configured handle-time factor, common random
numbers, follow-ups after false containment, and bad input."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sim import api, distributions
from sim.app import lab
from sim.behaviour import Retrial
from sim.errors import InvalidValue
from sim.replications import Results, run_replications
from sim.selfservice import (ABANDONED, CONTAINED, ESCALATED, FALSE_CONTAINMENT,
                             SelfService)

from .conftest import assert_config_error

DOOR = SelfService(distributions.Exponential(2.0), containment=0.3, containment_secure=0.1,
                   abandon=0.1, false_containment=0.25, context=True, context_factor=0.8,
                   repeat_factor=1.3)


def _run(door: SelfService, *, retrial: float = 0.0, replications: int = 3,
         secure_share: float = 0.3, agents: int = 11, days_seed: int = 1) -> Results:
    """The lab queue (100 contacts/h x 6 min, patience 5 min) behind ``door``."""
    q = lab.Queue(agents=agents, mean_patience_min=5.0)
    channel = replace(q.scenario().channels[0], self_service=door, secure_share=secure_share,
                      retrial=Retrial(retrial, distributions.Exponential(10.0))
                      if retrial else None)
    setup = lab.setup(q, replications, seed=days_seed)
    return run_replications(replace(setup, scenario=replace(setup.scenario,
                                                             channels=(channel,))))


@pytest.fixture(scope="module")
def door_run() -> Results:
    return _run(DOOR)


def test_outcomes_fall_in_their_bands() -> None:
    u = np.linspace(0, 1, 100_001)[:-1]
    plain = np.array([DOOR.outcome(x, False) for x in u])
    secure = np.array([DOOR.outcome(x, True) for x in u])
    assert np.mean(plain == ABANDONED) == pytest.approx(0.1, abs=1e-4)
    assert np.mean(np.isin(plain, (CONTAINED, FALSE_CONTAINMENT))) == pytest.approx(0.27, abs=1e-4)
    assert np.mean(plain == FALSE_CONTAINMENT) == pytest.approx(0.27 * 0.25, abs=1e-4)
    assert np.mean(secure == ESCALATED) == pytest.approx(0.9 * 0.9, abs=1e-4)


def test_every_contact_at_the_door_is_contained_escalated_or_abandoned(door_run) -> None:
    """Conservation: each contact that met the door ends in exactly one outcome (or is still
    there at the end), and every escalation is exactly one human contact of its journey,
    arriving when the door let go."""
    c = door_run.contacts
    met = c[c["self_service"] != "none"]
    assert set(met["self_service"].astype(str)) <= {"contained", "false_containment",
                                                    "escalated", "abandoned", "in_progress"}
    assert (met["origin"] != "self_service").all() and not met["answered"].any()
    escalated = met[met["self_service"] == "escalated"]
    humans = c[c["origin"] == "self_service"]
    assert (humans["self_service"] == "none").all()
    key = ["replication", "journey_id"]
    pairs = escalated.merge(humans, on=key, suffixes=("_door", "_human"))
    assert len(pairs) == len(escalated) == len(humans)
    ends = pairs["arrival_min_door"] + pairs["self_service_min_door"]
    assert np.allclose(pairs["arrival_min_human"], ends, rtol=0, atol=1e-9)
    # The queue's own conservation is untouched: answered + abandoned + still there.
    queue = c[c["self_service"] == "none"]
    assert len(queue) == queue["answered"].sum() + (queue["abandoned"] & ~queue["answered"]).sum() \
        + (queue["in_system_at_end"] & ~queue["answered"]).sum()


def test_containment_within_a_confidence_interval_of_its_parameter(door_run) -> None:
    """Contained share of the finished, by need, within 4 binomial standard errors of
    (1 - abandon) x containment (containment_secure for account work)."""
    c = door_run.contacts
    done = c[c["self_service"].isin(["contained", "false_containment", "escalated",
                                     "abandoned"])]
    for secure, share in ((False, DOOR.containment), (True, DOOR.containment_secure)):
        g = done[done["needs_secure"] == secure]
        contained = g["self_service"].isin(["contained", "false_containment"]).to_numpy()
        p = (1 - DOOR.abandon) * share
        assert len(g) > 1000
        assert abs(contained.mean() - p) < 4 * np.sqrt(p * (1 - p) / len(g)), secure
    rates = door_run.summary.set_index(["channel", "metric"])["mean"]
    assert rates[("phone", "false_containment_rate")] == pytest.approx(
        DOOR.false_containment, abs=0.05)
    assert rates[("phone", "containment_rate")] + rates[("phone", "bot_escalation_rate")] < 1


@pytest.mark.parametrize("context", [True, False])
def test_escalation_changes_handle_time_by_the_configured_factor(context: bool) -> None:
    door = replace(DOOR, context=context)
    c = _run(door, replications=1).contacts
    pairs = c[c["self_service"] == "escalated"].merge(
        c[c["origin"] == "self_service"], on=["replication", "journey_id"],
        suffixes=("_door", "_human"))
    factor = 0.8 if context else 1.3
    assert np.allclose(pairs["handle_min_human"], factor * pairs["handle_min_door"],
                       rtol=1e-12)
    causes = set(c.loc[c["origin"] == "self_service", "dissatisfaction_cause"].astype(str))
    assert ("repeated" in causes) == (not context)


def test_false_containment_and_abandonment_come_back_as_retrials() -> None:
    c = _run(replace(DOOR, false_containment=1.0), retrial=1.0, replications=1).contacts
    failed = c[c["self_service"].isin(["false_containment", "abandoned"])]
    retrials = c[c["origin"] == "retrial"]
    assert failed["dissatisfaction_cause"].isin(["unhelped", "abandoned"]).all()
    journeys = set(retrials["journey_id"])
    # Every failure but those too close to the end to come back has its retrial.
    early = failed[failed["arrival_min"] < lab.WARMUP_MIN + lab.DAY_MIN - 120]
    assert set(early["journey_id"]) <= journeys


def test_queue_metrics_leave_the_door_out(door_run) -> None:
    c = door_run.contacts
    q = c[(c["replication"] == 0) & ~c["warmup"] & (c["self_service"] == "none")]
    per = door_run.per_replication
    value = lambda m: float(per[(per["replication"] == 0) & (per["channel"] == "phone")  # noqa: E731
                                & (per["metric"] == m)]["value"].iloc[0])
    assert value("arrivals") == len(q)
    within = q["answered"] & (q["wait_min"] <= q["target_min"])
    assert value("service_level") == pytest.approx(within.mean())
    everyone = c[(c["replication"] == 0) & ~c["warmup"]]
    assert value("dissatisfaction_rate") == pytest.approx(everyone["dissatisfied"].mean())


def test_the_door_treats_the_same_customers_alike_under_every_policy() -> None:
    """Door outcomes are exogenous: a different headcount changes the queue, not what the
    bot does with each arrival."""
    a, b = (_run(DOOR, agents=n, replications=1).contacts for n in (10, 14))
    first = lambda c: c[c["origin"] == "arrival"].set_index("contact_id")["self_service"]  # noqa: E731
    assert first(a).equals(first(b))
    journeys = lambda c: c[c["origin"] == "arrival"]["journey_id"]  # noqa: E731
    assert pd.Series(journeys(a).to_numpy()).equals(pd.Series(journeys(b).to_numpy()))


def test_journeys_show_the_door() -> None:
    res = api.run("scenario.channels.chat.self_service.enabled=true", "run.horizon=6h",
                  "run.replications=1", "run.warmup=0")
    j = res.journeys
    chat = j[j["channels"].astype(str).str.startswith("chat")]
    assert set(chat["self_service"].astype(str)) >= {"escalated", "contained"}
    escalated = chat[chat["self_service"] == "escalated"]
    assert escalated["channels"].astype(str).str.startswith("chat>chat").all()
    assert (j.loc[~j["channels"].astype(str).str.startswith("chat"), "self_service"]
            == "none").all()


@pytest.mark.parametrize("field, value", [("containment", 1.5), ("abandon", -0.1),
                                          ("false_containment", float("nan")),
                                          ("context_factor", 0.0), ("repeat_factor", -1.0),
                                          ("containment_secure", 2.0)])
def test_bad_parameters_are_refused(field: str, value: float) -> None:
    with pytest.raises(InvalidValue, match=field):
        replace(DOOR, **{field: value})


def test_config_errors_name_the_key() -> None:
    key = "scenario.channels.chat.self_service"
    assert_config_error([f"{key}.enabled=true", f"{key}.repeat_factor=0"],
                        f"{key}.repeat_factor", "multiplier")
    assert_config_error(["scenario.channels.twitter.self_service.enabled=true"],
                        "scenario.channels.twitter.self_service.enabled", "private channels")


def test_retrials_of_escalated_contacts_are_scaled_once() -> None:
    """A customer who abandons the queue after the door retries, meets the door again and is
    escalated again: every human contact's handle time is the factor times the customer's
    own, never the factor squared; and the invariants pair each escalation with its human
    contact even when a journey passes the door twice."""
    from sim.invariants import broken

    door = replace(DOOR, context=False, repeat_factor=1.5, abandon=0.0)
    res = _run(door, retrial=1.0, replications=1, agents=9)
    c = res.contacts
    base = c[c["origin"] == "arrival"].set_index(["replication", "journey_id"])["handle_min"]
    humans = c[c["origin"] == "self_service"]
    own = base.loc[list(zip(humans["replication"], humans["journey_id"]))].to_numpy()
    assert humans["journey_id"].duplicated().any()  # some journeys passed the door twice
    assert np.allclose(humans["handle_min"].to_numpy(), 1.5 * own, rtol=1e-12)
    assert broken(res) == []


def test_intervals_count_only_the_queue(door_run) -> None:
    c = door_run.contacts
    queue = c[(c["replication"] == 0) & (c["self_service"] == "none")]
    iv = door_run.intervals
    iv = iv[(iv["replication"] == 0) & (iv["scope"] == "channel")]
    inside = queue["arrival_min"] < lab.WARMUP_MIN + lab.DAY_MIN
    assert iv["arrivals"].sum() == inside.sum()


def test_a_hand_over_by_an_agent_skips_the_door() -> None:
    """Contacts an escalation policy sends to a channel with a front door go straight to
    its queue: an agent's hand-over is not sent back to a bot."""
    res = api.run("escalation=take_private", "scenario.channels.messages.self_service.enabled=true",
                  "run.horizon=12h", "run.replications=1", "run.warmup=0")
    c = res.contacts
    handed = c[(c["origin"] == "escalation") & (c["channel"] == "messages")]
    assert len(handed) and (handed["self_service"] == "none").all()
    own = c[(c["origin"] == "arrival") & (c["channel"] == "messages")]
    assert (own["self_service"] != "none").all()
