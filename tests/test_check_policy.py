"""check_policy catches what breaks policies, each with a policy made to break that way."""

from __future__ import annotations

from sim.policies import check_policy
from sim.policies.base import Routing
from sim.policies.routing import FCFS

from .test_contract import IgnoresEligibility, IgnoresOverflowDelay


class ByAddress(Routing):
    """Orders waiting contacts by their memory address: a different order in every process."""

    def candidates(self, agent, channel):
        return self.model.queue(channel, agent)

    def key(self, contact, agent):
        return id(contact) % 9973


class OneQueuePerPool(Routing):
    """Assumes every pool serves exactly one channel."""

    def next_contact(self, agent):
        (k,) = self.channels[agent.pool]
        return self.model.head(k, agent)


class Lazy(Routing):
    """Never takes anything."""

    def next_contact(self, agent):
        return None


def _kinds(report, shape):
    return {p.kind for p in report.problems if p.shape == shape}


def test_the_built_in_rule_passes():
    report = check_policy(FCFS, shapes=["silos", "overflow", "threads"])
    assert report.ok and not report.problems, str(report)
    assert "no problem found" in str(report)


def test_a_policy_that_serves_a_channel_its_pool_lacks_is_caught():
    report = check_policy(IgnoresEligibility, shapes=["silos"], processes=False)
    assert not report.ok
    assert _kinds(report, "silos") == {"contract"}
    assert "has no skill for channel" in str(report)


def test_a_policy_that_ignores_eligibility_is_caught():
    report = check_policy(IgnoresOverflowDelay, shapes=["silos", "overflow"], processes=False)
    assert _kinds(report, "silos") == set()
    assert _kinds(report, "overflow") == {"contract"}
    assert "may take channel" in str(report) and "(overflow)" in str(report)


def test_a_non_deterministic_policy_is_caught():
    report = check_policy(ByAddress, shapes=["silos"])
    assert "non-determinism" in _kinds(report, "silos"), str(report)
    assert "another process" in str(report)


def test_a_policy_that_breaks_under_overflow_is_caught():
    report = check_policy(OneQueuePerPool, shapes=["silos", "overflow"], processes=False)
    assert _kinds(report, "silos") == set()
    assert _kinds(report, "overflow") == {"crash"}
    assert "ValueError: too many values to unpack" in str(report)
    assert "in next_contact" in str(report)


def test_a_policy_that_refuses_a_scenario_clearly_is_not_a_problem():
    """The shipped priority order names channels the teaching scenario lacks: it refuses
    that scenario with an InvalidValue when bound, which is a refusal, not a crash."""
    from sim.policies import Spec
    from sim.policies.routing import Priority

    report = check_policy(Spec(Priority, {"order": ["twitter", "phone"]}),
                          shapes=["erlang"], processes=False)
    assert report.ok and _kinds(report, "erlang") == {"refused"}
    assert "unknown channel(s) ['twitter']" in str(report)


def test_a_policy_that_never_serves_is_flagged():
    report = check_policy(Lazy, shapes=["erlang"], processes=False)
    assert _kinds(report, "erlang") == {"idle"}


def test_the_command_line_reports_and_exits_1_on_a_problem(tmp_path):
    import subprocess
    import sys

    (tmp_path / "mine.py").write_text(
        "from sim.policies.base import Routing\n"
        "class Lazy(Routing):\n"
        "    def next_contact(self, agent):\n"
        "        return None\n")
    proc = subprocess.run([sys.executable, "-m", "sim.policies.check", "mine.Lazy",
                           "--shape", "erlang"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "[erlang] idle: none of" in proc.stdout
