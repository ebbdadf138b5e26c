"""The policy contract: a user's policy written from the base classes is what it seems.

Regression tests for what a new user found (issue #9): a policy written from the documented
contract failed on arguments the YAML injected, died mid-run under overflow because the
engine reached into the routing object, and the FCFS shortcut ignored an overridden hook;
blending rebuilt pools and dropped their overflow delays and fixed headcounts. The engine
now enforces eligibility and refuses what a policy must not return.
"""

from __future__ import annotations

import pytest

from sim import distributions as D
from sim.arrivals import ProfiledPoisson
from sim.policies import ContractError
from sim.policies.base import Escalation, EscalationPolicy, Routing, Staffing
from sim.policies.routing import BlendedPools
from sim.scenario import Channel, Mode, Pool, Scenario

from .conftest import simulate
from .invariants import check_invariants

SHORT = ["run.horizon=1d", "run.replications=1", "run.drain=6h"]


class Oldest(Routing):
    """Written from the contract alone: the oldest contact the agent may take, any queue."""

    def candidates(self, agent, channel):
        return self.model.queue(channel, agent)


class RefuseAll(Routing):
    """Never offers a candidate: nobody is ever served."""

    def candidates(self, agent, channel):
        return ()


class IgnoresEligibility(Routing):
    """Returns the head of a queue whatever the agent may take."""

    def next_contact(self, agent):
        for k in range(len(self.model.scenario.channels)):
            c = self.model.head(k)
            if c is not None:
                return c
        return None


class IgnoresOverflowDelay(Routing):
    """Takes any waiting contact of the agent's channels, ignoring overflow delays."""

    def next_contact(self, agent):
        for k in self.channels[agent.pool]:
            if agent.has_room(k):
                c = self.model.head(k)
                if c is not None:
                    return c
        return None


class VagueForced(EscalationPolicy):
    """Gives up on every other contact without saying whether the customer was forced."""

    def after_service(self, contact):
        return Escalation(None, forced=None) if contact.id % 2 else None


class HalfAgents(Staffing):
    """Half an agent is not an agent."""

    def agents(self, pool, interval):
        return 2.5


@pytest.mark.parametrize("escalation", ["none", "overflow", "tiered"])
def test_a_policy_written_from_the_contract_runs_under_every_escalation(escalation):
    res = simulate([*SHORT, "routing._target_=tests.test_contract.Oldest",
                    f"escalation={escalation}"])
    check_invariants(res)
    assert res.summary.query("channel == 'all' and metric == 'answered'")["mean"].iloc[0] > 0


def test_an_overridden_hook_is_honoured_under_silos():
    """A rule that offers no candidate serves nobody, even where each pool has one queue
    (the shortcut for first come, first served must not bypass it)."""
    res = simulate([*SHORT, "routing._target_=tests.test_contract.RefuseAll"])
    assert not res.contacts["answered"].any()


def test_a_policy_that_ignores_eligibility_is_stopped_with_a_contract_error():
    with pytest.raises(ContractError, match=r"has no skill for channel"):
        simulate([*SHORT, "routing._target_=tests.test_contract.IgnoresEligibility"])


def test_a_policy_that_ignores_overflow_delays_is_stopped_with_a_contract_error():
    with pytest.raises(ContractError, match=r"overflow"):
        simulate([*SHORT, "escalation=overflow",
                  "routing._target_=tests.test_contract.IgnoresOverflowDelay"])


def test_blended_pools_keep_every_field_but_the_skills():
    """Voice pools gain text skills and keep their headcount, overflow delays and fixed flag."""
    phone = Channel("phone", Mode.VOICE, 1, ProfiledPoisson(10), D.Exponential(5),
                    D.Exponential(1), D.Exponential(3))
    chat = Channel("chat", Mode.CHAT, 1, ProfiledPoisson(10), D.Exponential(5),
                   D.Exponential(1), D.Exponential(3))
    voice = Pool("v", {"phone": 1.0}, {}, 3, tool_quality=1.2, delay={"phone": 2.0}, fixed=True)
    scenario = Scenario((phone, chat), (voice, Pool("t", {"chat": 1.0}, {}, 2)))
    blended = BlendedPools(text_proficiency=1.5).organise(scenario).pools[0]
    assert blended.skills == {"phone": 1.0, "chat": 1.5}
    assert (blended.agents, blended.tool_quality, blended.delay, blended.fixed) == (
        3, 1.2, {"phone": 2.0}, True)


def test_staffing_must_return_whole_agents():
    with pytest.raises(ContractError, match=r"whole number of agents"):
        simulate([*SHORT, "~staffing", "+staffing._target_=tests.test_contract.HalfAgents"])


def test_an_escalation_must_say_whether_the_switch_was_forced():
    """``forced`` is recorded as a yes or no: anything else (None, a string) is refused,
    never read as one or the other."""
    with pytest.raises(ContractError, match=r"forced=None.*True or False"):
        simulate([*SHORT, "escalation._target_=tests.test_contract.VagueForced"])
