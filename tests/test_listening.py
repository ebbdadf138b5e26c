"""Tests for sim.listening and untagged public posts in the engine, records and metrics:
discovery never precedes posting, exposure and pile-ons run from the post, the discovered
share within a confidence interval of the coverage, the same posts found under every
policy, and bad input."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sim import api, distributions
from sim.errors import InvalidValue
from sim.listening import Listening
from sim.pileons import PileOn
from sim.replications import Results

from .conftest import assert_config_error, public_posts

HOUR, DAY = 60.0, 1440.0


def _run(ear: Listening, *, branching: float = 0.0, **run: object) -> Results:
    """A public complaints channel (30 posts/h, 5-min replies) behind ``ear``."""
    return public_posts(listening=ear, **run,
                        pileon=PileOn(branching, HOUR, 0.0) if branching else None)


EAR = Listening(untagged=0.4, delay=distributions.Deterministic(30.0), coverage=0.6)


@pytest.fixture(scope="module")
def heard() -> Results:
    return _run(EAR)


def test_discovery_never_precedes_posting(heard) -> None:
    c = heard.contacts
    found = c["discovered_min"].to_numpy()
    assert np.all(np.isnan(found[~c["untagged"].to_numpy()]))  # tagged posts are seen at once
    seen = ~np.isnan(found)
    assert np.all(found[seen] >= c["arrival_min"].to_numpy()[seen])
    assert np.allclose(found[seen] - c["arrival_min"].to_numpy()[seen], 30.0)
    # Nobody answers a post before it is found: routing never saw it.
    answered = c["answered"].to_numpy() & seen
    assert np.all(c["first_response_min"].to_numpy()[answered] >= found[answered])
    assert not (c["answered"] & c["untagged"] & ~seen).any()


def test_exposure_runs_from_the_post_not_from_discovery(heard) -> None:
    c = heard.contacts
    untagged = c[c["untagged"] & c["answered"]]
    expected = untagged["reach"] * (untagged["first_response_min"] - untagged["arrival_min"])
    assert np.allclose(untagged["public_exposure"], expected)
    assert (untagged["first_response_min"] - untagged["arrival_min"] >= 30.0 - 1e-9).all()


def test_discovered_share_within_a_confidence_interval_of_the_coverage(heard) -> None:
    c = heard.contacts
    # Posts with a day to go: all the found ones were found before the run stopped.
    early = c[c["untagged"] & (c["arrival_min"] < 3 * DAY)]
    share = early["discovered_min"].notna().to_numpy()
    p, n = EAR.coverage, len(share)
    assert n > 500 and abs(share.mean() - p) < 4 * np.sqrt(p * (1 - p) / n)
    tagged = c["untagged"].to_numpy()
    assert abs(tagged.mean() - EAR.untagged) < 4 * np.sqrt(0.4 * 0.6 / len(tagged))
    rates = heard.summary.set_index(["channel", "metric"])["mean"]
    assert rates[("posts", "time_to_discovery_min")] == pytest.approx(30.0)
    assert rates[("posts", "discovered_share")] == pytest.approx(EAR.coverage, abs=0.05)


def test_unfound_complaints_draw_pile_ons_as_if_never_answered() -> None:
    """Nothing is found (coverage 0): every original complaint draws its whole cascade of
    direct pile-ons, n (1 - exp(-W / tau)) for W until the end, from its posting on."""
    n = 0.5
    res = _run(Listening(untagged=1.0, delay=distributions.Deterministic(1.0), coverage=0.0),
               branching=n, days=3, drain_days=3)
    c = res.contacts
    roots = c[(c["origin"] == "arrival")]
    end = 6 * DAY
    expected = n * (1 - np.exp(-(end - roots["arrival_min"].to_numpy()) / HOUR))
    got = roots["pileons"].to_numpy(float)
    se = np.sqrt(expected.sum()) / len(got)  # Poisson counts
    assert abs(got.mean() - expected.mean()) < 4 * se
    assert not c["answered"].any()


def test_the_same_posts_are_found_under_every_headcount() -> None:
    a, b = (_run(EAR, agents=k, days=1).contacts for k in (2, 5))
    pick = lambda c: c[c["origin"] == "arrival"].set_index("contact_id")[  # noqa: E731
        ["untagged", "discovered_min"]]
    assert pick(a).equals(pick(b))


def test_bad_listening_is_refused() -> None:
    with pytest.raises(InvalidValue, match="untagged"):
        replace(EAR, untagged=1.5)
    with pytest.raises(InvalidValue, match="coverage"):
        replace(EAR, coverage=-0.1)
    key = "scenario.channels"
    assert_config_error([f"{key}.email.listening.enabled=true"],
                        f"{key}.email.listening.enabled", "public channels")
    assert_config_error([f"{key}.twitter.listening.enabled=true",
                         f"{key}.twitter.listening.untagged=2"],
                        f"{key}.twitter.listening.untagged", "share")


def test_a_run_with_listening_reports_it() -> None:
    res = api.run("scenario.channels.twitter.listening.enabled=true", "run.horizon=1d",
                  "run.replications=1", "run.warmup=0")
    rates = res.summary.set_index(["channel", "metric"])["mean"]
    assert 0 < rates[("twitter", "discovered_share")] <= 1
    assert rates[("twitter", "time_to_discovery_min")] > 0
    assert np.isnan(rates[("phone", "discovered_share")])


def test_patience_counts_from_the_post() -> None:
    """An untagged post on a channel whose customers give up is abandoned at its patience
    after posting, not after being found (the invariants hold)."""
    from sim.invariants import broken

    c_channel = replace(_chat_posts(), listening=Listening(0.5, distributions.Deterministic(30.0)))
    res = _single(c_channel)
    c = res.contacts
    gone = c[c["abandoned"]]
    assert len(gone) and np.allclose(gone["wait_min"], gone["patience_min"])
    assert broken(res) == []


def _chat_posts():
    from sim.arrivals import ProfiledPoisson
    from sim.scenario import Channel, Mode

    return Channel(name="posts", mode=Mode.CHAT, target_min=HOUR, arrivals=ProfiledPoisson(30.0),
                   handle=distributions.Exponential(5.0),
                   expectation=distributions.Exponential(HOUR), public=True,
                   patience=distributions.Exponential(20.0), negative_share=1.0)


def _single(channel):
    from sim.policies import Spec
    from sim.policies.escalation import NoEscalation
    from sim.policies.routing import FCFS
    from sim.policies.staffing import Fixed
    from sim.replications import RunSpec, Setup, run_replications
    from sim.scenario import Pool, Scenario

    scenario = Scenario(channels=(channel,), pools=(Pool("team", {"posts": 1.0}, agents=2),))
    return run_replications(Setup(scenario=scenario, routing=FCFS, staffing=Spec(Fixed),
                                  escalation=NoEscalation,
                                  run=RunSpec(horizon_min=DAY, drain_min=HOUR, seed=1)))
