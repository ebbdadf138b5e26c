"""Tests for answering public complaints in public or taking them private: the
TakePrivate escalation policy and a public answer's reply exposure."""

from __future__ import annotations

import numpy as np
import pytest

from sim import api
from sim.errors import InvalidValue
from sim.policies.escalation import TakePrivate

from .conftest import assert_config_error

SHORT = ("run.horizon=12h", "run.replications=1", "run.warmup=0", "run.drain=6h",
         "scenario.channels.twitter.reply_exposure=2h")


@pytest.fixture(scope="module")
def in_public():
    return api.run("escalation=none", *SHORT)


@pytest.fixture(scope="module")
def in_private():
    return api.run("escalation=take_private", *SHORT)


def test_a_public_answer_adds_its_reply_exposure(in_public) -> None:
    c = in_public.contacts
    done = c[c["public"] & c["answered"] & c["resolved_min"].notna()]
    bumped = (done["channel"] == "twitter") & done["negative"]  # complaints only
    expected = done["reach"] * (done["first_response_min"] - done["arrival_min"]
                                + np.where(bumped, 120.0, 0.0))
    assert bumped.any() and (~bumped).any()
    assert len(done) and np.allclose(done["public_exposure"], expected)


def test_complaints_taken_private_continue_in_messages(in_private) -> None:
    """Each answered public complaint is acknowledged (no reply exposure) and, if its
    customer follows, continues in messages as an escalation of the same journey."""
    c = in_private.contacts
    complaints = c[c["public"] & c["negative"] & c["answered"] & ~c["in_system_at_end"]]
    assert len(complaints) and complaints["resolved_min"].isna().all()
    assert not complaints["forced_switch"].any()
    exposure = complaints["reach"] * (complaints["first_response_min"]
                                      - complaints["arrival_min"])
    assert np.allclose(complaints["public_exposure"], exposure)
    follow_ups = c[(c["origin"] == "escalation") & (c["channel"] == "messages")]
    assert set(follow_ups["journey_id"]) <= set(complaints["journey_id"])
    # About follow = 0.8 of them write back (exogenous compliance; binomial, 4 sd).
    early = complaints[complaints["service_end_min"] < 12 * 60]
    share = early["journey_id"].isin(follow_ups["journey_id"]).mean()
    assert abs(share - 0.8) < 4 * np.sqrt(0.16 / len(early))
    praise = c[c["public"] & ~c["negative"] & c["answered"] & ~c["in_system_at_end"]]
    assert praise["resolved_min"].notna().all()  # positive posts are answered in public


def test_take_private_refuses_impossible_channels() -> None:
    with pytest.raises(InvalidValue, match="follow"):
        TakePrivate(follow=1.5)
    assert_config_error(["escalation=take_private", "escalation.channel=twitter"],
                        "escalation.channel", "private channel")
    assert_config_error(["escalation=take_private", "escalation.sources=[email]"],
                        "escalation.sources", "not a public channel")
    assert_config_error(["scenario.channels.email.reply_exposure=1h"],
                        "scenario.channels.email.reply_exposure", "public channels")
