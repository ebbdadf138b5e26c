"""Tests for sim.advocacy: advocates only from public complaints answered in time, their
share within a confidence interval of the probability, the index crediting their positive
posts, intervals of a signed index, and bad input."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sim import api
from sim.advocacy import Advocacy
from sim.errors import InvalidValue
from sim.metrics import summary_ci
from sim.pileons import PileOn
from sim.replications import Results

from .conftest import assert_config_error, public_posts

ADVOCACY = Advocacy(probability=0.4, within_min=30.0, reach_min=1440.0)


@pytest.fixture(scope="module")
def fans() -> Results:
    """Two agents for 30 posts/h of 5 min (83% busy): some answered in time, some not;
    pile-ons on, so that some complaints are pile-ons (never advocates)."""
    return public_posts(agents=3, advocacy=ADVOCACY, pileon=PileOn(0.3, 60.0, 0.0))


def test_advocates_only_from_answered_public_complaints(fans) -> None:
    c = fans.contacts
    adv = c[c["advocate"]]
    assert len(adv) > 100
    assert adv["public"].all() and adv["negative"].all() and adv["answered"].all()
    assert (adv["origin"] != "pileon").all()
    assert (adv["wait_min"] <= ADVOCACY.within_min).all()
    assert not c.loc[c["wait_min"].isna() | (c["wait_min"] > 30.0), "advocate"].any()


def test_advocate_share_within_a_confidence_interval_of_the_probability(fans) -> None:
    c = fans.contacts
    eligible = c[(c["origin"] == "arrival") & c["answered"] & (c["wait_min"] <= 30.0)
                 & c["resolved_min"].notna()]
    p, n = ADVOCACY.probability, len(eligible)
    assert n > 1000
    assert abs(eligible["advocate"].mean() - p) < 4 * np.sqrt(p * (1 - p) / n)
    per = fans.per_replication
    rate = per[(per["channel"] == "posts") & (per["metric"] == "advocates_per_complaint")]
    assert len(rate) == 2 and (rate["value"] > 0).all()


def test_the_index_credits_an_advocates_positive_post(fans) -> None:
    """An advocate's index is its cause's weight + pile-ons + (its own exposure minus its
    reach x reach_min) x the exposure weight."""
    c = fans.contacts
    adv = c[c["advocate"] & ~c["dissatisfied"]]
    expected = (adv["pileons"] + 0.01 * (adv["public_exposure"]
                                         - adv["reach"] * ADVOCACY.reach_min) / 60_000.0)
    assert np.allclose(adv["dissatisfaction_index"], expected)
    assert (adv["dissatisfaction_index"] < adv["pileons"]).all()


def test_a_signed_index_keeps_its_negative_interval() -> None:
    mean, lo, hi, _ = summary_ci([-0.5, -0.2, 0.1], "dissatisfaction_index")
    assert lo < 0 and lo < mean < hi
    _, lo_pos, _, _ = summary_ci([0.01, 0.02, 0.4], "dissatisfaction_index")
    assert lo_pos == 0.0  # all >= 0: still cut at 0, as without advocacy


@pytest.mark.parametrize("field, value", [("probability", 1.5), ("within_min", 0.0),
                                          ("reach_min", float("inf"))])
def test_bad_advocacy_is_refused(field: str, value: float) -> None:
    with pytest.raises(InvalidValue, match=field):
        replace(ADVOCACY, **{field: value})


def test_config_errors_name_the_key() -> None:
    key = "scenario.channels"
    assert_config_error([f"{key}.phone.advocacy.enabled=true"],
                        f"{key}.phone.advocacy.enabled", "public channels")
    assert_config_error([f"{key}.twitter.advocacy.enabled=true",
                         f"{key}.twitter.advocacy.probability=2"],
                        f"{key}.twitter.advocacy.probability", "share")
    assert_config_error([f"{key}.twitter.advocacy.enabled=true",
                         f"{key}.twitter.advocacy.reach_time=0s"],
                        f"{key}.twitter.advocacy.reach_time", "")


def test_no_advocate_who_never_continued_in_private() -> None:
    """Taken private, only the complaints whose customer wrote back can make advocates;
    a public answer's reply exposure falls on complaints, not on praise."""
    key = "scenario.channels.twitter"
    res = api.run("escalation=take_private", "escalation.follow=0.5",
                  f"{key}.advocacy.enabled=true", f"{key}.advocacy.probability=1",
                  f"{key}.advocacy.within=1d", "run.horizon=1d", "run.replications=1",
                  "run.warmup=0")
    c = res.contacts
    adv = c[c["advocate"]]
    continued = set(c.loc[c["origin"] == "escalation", "journey_id"])
    assert len(adv) and set(adv["journey_id"]) <= continued


def test_reply_exposure_only_on_complaints() -> None:
    res = api.run("escalation=none", "scenario.channels.twitter.reply_exposure=2h",
                  "run.horizon=12h", "run.replications=1", "run.warmup=0")
    c = res.contacts
    praise = c[(c["channel"] == "twitter") & ~c["negative"] & c["answered"]]
    assert len(praise) and np.allclose(
        praise["public_exposure"], praise["reach"] * (praise["first_response_min"]
                                                      - praise["arrival_min"]))
