"""Bad input stops the run before it starts, naming the key, the value and what is valid."""

from __future__ import annotations

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf.errors import ConfigKeyError

from sim.cli.config import build_setup
from sim.errors import ConfigError
from sim.durations import parse_duration

from .conftest import assert_config_error, compose_config

BAD = {
    # override -> (key named in the message, words that say what is valid)
    "scenario.channels.phone.rate_per_hour=-5": ("scenario.channels.phone.rate_per_hour", "positive"),
    "scenario.channels.chat.rate_per_hour=0": ("scenario.channels.chat.rate_per_hour", "positive"),
    "scenario.channels.phone.handle.mean=0": ("scenario.channels.phone.handle.mean", "> 0"),
    "scenario.channels.phone.handle.mean=-3min": ("scenario.channels.phone.handle.mean", "duration"),
    "scenario.channels.email.target=5y": ("scenario.channels.email.target", "unit s, min, h or d"),
    "scenario.channels.email.target=soon": ("scenario.channels.email.target", "duration"),
    "scenario.channels.phone.handle.dist=weibul": ("scenario.channels.phone.handle.dist", "lognormal"),
    "scenario.channels.phone.handle.cv=-1": ("scenario.channels.phone.handle.cv", "positive"),
    "scenario.channels.phone.mode=fax": ("scenario.channels.phone.mode", "voice, chat, async"),
    "scenario.channels.phone.profile=offce": ("scenario.channels.phone.profile", "office"),
    "run.replications=0": ("run.replications", ">= 1"),
    "run.horizon=0": ("run.horizon", "> 0"),
    "run.warmup=9d": ("run.warmup", "shorter than run.horizon"),
    "seed=-1": ("seed", ">= 0"),
    "~scenario.pools.twitter": ("scenario.pools", "no pool has a skill for channel 'twitter'"),
    "+scenario.pools.chat.skills.fax=1": ("scenario.pools.chat.skills.fax", "channels: phone"),
    "+scenario.pools.phone.concurrency.phone=2": ("scenario.pools.phone.concurrency.phone", "1 for voice"),
    "scenario.pools.phone.skills.phone=0": ("scenario.pools.phone.skills.phone", "positive"),
    "scenario.interval=7min": ("scenario.interval", "divide a day"),
    "+staffing.agents.phne=[1]": ("staffing.agents", "must list exactly the pools"),
    "staffing.agents.phone=[1,2]": ("staffing.agents.phone",
                                    "24 (a day), 168 (a week) or another whole number"),
    "staffing=fixed staffing.agents.twitter=-1": ("staffing.agents.twitter",
                                                  "whole number of agents"),
    "routing._target_=sim.policies.routing.Nope": ("routing._target_", "must name a class"),
    "escalation._target_=builtins.open": ("escalation._target_",
                                          "implementing sim.policies.base.EscalationPolicy"),
    "routing._target_=sim.policies.staffing.Fixed": ("routing._target_",
                                                     "implementing sim.policies.base.Routing"),
    "routing=blended routing.reserve=-1": ("routing.reserve", "integer >= 0"),
    "routing=blended routing.organisation.text_proficiency=0": (
        "routing.organisation.text_proficiency", "> 0"),
    "routing=priority routing.order=[fax]": ("routing.order", "unknown channel(s) ['fax']"),
    "escalation=to_phone escalation.follow=2": ("escalation.follow", "probability"),
    "scenario.pools.chat.shrinkage=1": ("scenario.pools.chat.shrinkage", "[0, 1)"),
    "scenario.pools.phone.cost_per_hour=-3": ("scenario.pools.phone.cost_per_hour", ">= 0"),
    "scenario.fte_hours_per_week=0": ("scenario.fte_hours_per_week", "(0, 168]"),
    "scenario=erlang scenario.shrinkage=-0.1": ("scenario.shrinkage", "[0, 1)"),
    "escalation=tiered escalation.shrinkage=2": ("escalation.shrinkage", "[0, 1)"),
    "escalation=tiered +escalation.share.fax=0.1": ("escalation.share", "unknown channel(s)"),
    "scenario.incidents=[{channels:[fax],per_day:0.1}]": ("scenario.incidents[0].channels",
                                                           "channels of the scenario"),
    "scenario.incidents=[{channels:[phone],factor:2,duration:1h}]": (
        "scenario.incidents[0].at", "either a start time"),
    "scenario.incidents=[{channels:[phone],per_day:2}]": ("scenario.incidents[0].per_day",
                                                          "probability"),
    "scenario.channels.twitter.pileon.branching=1": ("scenario.channels.twitter.pileon.branching",
                                                     "need not die out"),
    "scenario.channels.twitter.pileon.decay=0": ("scenario.channels.twitter.pileon.decay", "> 0"),
    "scenario.channels.email.pileon.branching=0.2": ("scenario.channels.email.pileon.branching",
                                                     "public channel"),
    "scenario.channels.phone.switch.to=fax": ("scenario.channels.phone.switch.to",
                                              "another channel: phone, chat"),
    "scenario.channels.phone.switch.to=null": ("scenario.channels.phone.switch.to", "name the"),
    "scenario.channels.phone.switch.probability=0.7": ("scenario.channels.phone.switch.probability",
                                                       "at most 1"),
    "scenario.channels.email.switch.after=null": ("scenario.channels.email.switch.after",
                                                  "needs a duration"),
    "scenario.channels.email.retrial.probability=0.3": (
        "scenario.channels.email.retrial.probability", "customers who abandon"),
    "scenario.channels.phone.retrial.delay.dist=weibull": (
        "scenario.channels.phone.retrial.delay.cv", "positive"),
    "scenario.channels.chat.silent_share=1.5": ("scenario.channels.chat.silent_share", "[0, 1]"),
    "scenario.channels.phone.silent_share=0.2": ("scenario.channels.phone.silent_share",
                                                 "chat channel"),
    "+scenario.dissatisfaction.weights.bored=1": ("scenario.dissatisfaction.weights.bored",
                                                  "unknown cause"),
    "scenario.dissatisfaction.exposure_weight=-1": ("scenario.dissatisfaction.exposure_weight",
                                                    ">= 0"),
    "scenario.channels.chat.mode=async": (
        "scenario.channels.chat.patience", "async channels have no patience"),
}


@pytest.mark.parametrize("override", BAD)
def test_bad_value_is_a_config_error_naming_key_and_valid(override):
    assert_config_error(override.split(), *BAD[override])


@pytest.mark.parametrize("override", ["scenario=erlang scenario.agents=0",
                                      "scenario=erlang scenario.mean_patience_min=-2",
                                      "scenario=erlang scenario.rate_per_hour=0"])
def test_bad_erlang_values(override):
    with pytest.raises(ConfigError, match=r"^scenario\.(agents|mean_patience_min|rate_per_hour)="):
        build_setup(compose_config(override.split()))


@pytest.mark.parametrize("override", ["run.horizn=3d", "scenario.channels.phone.rate=5",
                                      "routing.nme=x"])
def test_misspelt_key_fails_at_composition(override):
    with pytest.raises((ConfigCompositionException, ConfigKeyError)):
        compose_config([override])


@pytest.mark.parametrize("text,minutes", [(20, 20.0), (1.5, 1.5), ("20s", 1 / 3), ("6min", 6.0),
                                          ("2h", 120.0), ("1d", 1440.0), ("0.5h", 30.0),
                                          ("2d10h", 3480.0), ("1h30min", 90.0),
                                          ("90", 90.0), (" 3 min ", 3.0)])
def test_parse_duration(text, minutes):
    assert parse_duration(text, "k") == pytest.approx(minutes)


@pytest.mark.parametrize("text", ["", "abc", "5 minutes", "-2h", "2w", "2d10", None, True,
                                  float("nan")])
def test_parse_duration_rejects(text):
    with pytest.raises(ConfigError, match=r"^k="):
        parse_duration(text, "k")


def test_every_shipped_config_group_option_builds():
    """Each file in conf/<group>/ composes and validates with the default study."""
    from .conftest import CONF

    for group in ("routing", "staffing", "escalation", "run"):
        for option in sorted(p.stem for p in (CONF / group).glob("*.yaml")):
            build_setup(compose_config([f"{group}={option}"]))


@pytest.mark.parametrize("override", [
    "scenario.channels.chat.think={dist:exponential,mean:1min}",
    "scenario.channels.email.think={dist:lognormal,mean:2h,cv:1}",
    "scenario.channels.messages.reach={dist:lognormal,median:80,sigma:1.2}",
    "scenario.channels.email.switch.after=null scenario.channels.email.switch.probability=0 "
    "scenario.channels.email.mode=chat scenario.channels.email.patience={dist:weibull,mean:5min,cv:0.8}",
])
def test_an_optional_distribution_can_be_set_from_the_command_line(override):
    """A channel's patience, reach or think time is null by default; setting it on the
    command line gives that distribution (it used to end in an OmegaConf traceback)."""
    study = build_setup(compose_config(override.split()))
    key = override.split()[-1].partition("=")[0]
    _, _, channel, attribute = key.split(".")
    assert getattr(study.scenario.channel(channel), attribute) is not None


def test_an_optional_distribution_with_a_misspelt_key_is_a_config_error():
    with pytest.raises(ConfigError, match=r"^scenario\.channels\.chat\.think\.meen=.*mean"):
        build_setup(compose_config(["scenario.channels.chat.think={dist:exponential,meen:1min}"]))


WHATSAPP = ("+scenario.channels.whatsapp={mode:chat,rate_per_hour:20,target:2min,"
            "handle:{dist:exponential,mean:5min},expectation:{dist:exponential,mean:5min},"
            "patience:{dist:exponential,mean:5min}}")


def test_a_channel_and_a_pool_can_be_added_from_the_command_line():
    """+scenario.channels.NAME={...} and +scenario.pools.NAME={...} (issue #13): checked
    against the channel and pool schemas, their defaults filled in, added after the
    config's own."""
    study = build_setup(compose_config([WHATSAPP, "+scenario.pools.wa={agents:2,skills:"
                                        "{whatsapp:1.0}}", "staffing=fixed"]))
    channel = study.scenario.channel("whatsapp")
    assert [c.name for c in study.scenario.channels][-1] == "whatsapp"
    assert channel.arrivals.rate_per_hour == 20 and channel.pileon is None
    assert channel.exchanges == 1 and channel.patience is not None  # a default, and as given
    pool = study.scenario.pools[-1]
    assert pool.name == "wa" and pool.agents == 2 and dict(pool.skills) == {"whatsapp": 1.0}


@pytest.mark.parametrize("override, key, phrase", [
    ("+scenario.pools.idle={agents:2}", "scenario.pools.idle.skills", "required for a pool"),
    ("+scenario.pools.idle={agents:2,skills:{phone:1},agnets:3}", "scenario.pools.idle.agnets",
     "not a key of a pool"),
    ("+scenario.pools.phone={agents:2,skills:{phone:1}}", "scenario.pools.phone",
     "exists already"),
    ("+scenario.pools.x={agents:two,skills:{phone:1}}", "scenario.pools.x.agents", "Integer"),
    ("+scenario.channels.fax={mode:async,rate_per_hour:1}", "scenario.channels.fax.expectation",
     "required for a channel"),
])
def test_an_added_channel_or_pool_is_checked_like_the_others(override, key, phrase):
    with pytest.raises(ConfigError) as err:
        build_setup(compose_config([override]))
    assert str(err.value).startswith(f"{key}=") and phrase in str(err.value), str(err.value)
