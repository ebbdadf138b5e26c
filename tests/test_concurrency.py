"""Text concurrency and threaded conversations, checked against hand-computed timelines.

An agent holding n conversations progresses each one it is working on at efficiency(n)/n
of solo speed (processor sharing with the practitioner efficiency table); a threaded
conversation needs several replies with customer think time between, a chat keeping its
slot meanwhile, an async contact releasing it.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import distributions as D
from sim.arrivals import ProfiledPoisson
from sim.customers import Customers
from sim.engine import Model
from sim.policies.escalation import NoEscalation
from sim.policies.routing import FCFS, LongestIdle
from sim.policies.staffing import Fixed
from sim.records import Collector
from sim.rng import Streams
from sim.scenario import Channel, Mode, Pool, Scenario

from .invariants import usage_peaks

EFF = (1.0, 1.7, 2.5, 2.9, 3.5)


def _run(mode: Mode, arrivals, handle, *, slots=3, agents=1, exchanges=1, think=None):
    """One channel, one pool, given arrival times and handle times; returns the tables."""
    ch = Channel("c", mode, 10.0, ProfiledPoisson(1.0), D.Deterministic(1.0),
                 D.Deterministic(1.0), None, exchanges=exchanges,
                 think=D.Deterministic(think) if think is not None else None)
    scenario = Scenario((ch,), (Pool("p", {"c": 1.0}, {"c": slots} if slots > 1 else {},
                                     agents),), 60.0, EFF)
    n = len(arrivals)
    think_min = np.full((n, exchanges - 1), think if think is not None else np.nan)
    customers = Customers.of(arrivals, np.zeros(n), think_min, handle_min=handle,
                             expectation_min=np.full(n, 99.0))
    return _simulate(scenario, customers, Streams(0, 0), 600.0)


def _simulate(scenario: Scenario, customers: Customers, streams: Streams, horizon_min: float,
              drain_min: float = 0.0):
    """Contacts and segments of one FCFS replication at fixed headcount."""
    sink = Collector(scenario, 0, 0.0)
    Model(scenario, customers, FCFS(), LongestIdle(), Fixed(), NoEscalation(), streams, sink,
          horizon_min, drain_min).run()
    contacts, _, segments = sink.tables()
    return contacts, segments


def test_three_chats_at_once_share_the_agent_by_the_efficiency_table():
    """Three 10-minute chats arriving together each run at 2.5/3 speed: all end at 12 min."""
    c, _ = _run(Mode.CHAT, [0.0, 0.0, 0.0], [10.0, 10.0, 10.0])
    assert np.allclose(c["resolved_min"], 10.0 * 3 / 2.5)


def test_speed_changes_when_a_second_chat_joins():
    """Chat A (10 min of work) alone from 0 to 4 (4 done), then with B at 1.7/2 speed.

    A: 6 left at 0.85/min -> ends at 4 + 6/0.85. B then alone: it had done
    0.85 * 6/0.85 = 6 of 10 by then, so ends 4 more minutes later.
    """
    c, _ = _run(Mode.CHAT, [0.0, 4.0], [10.0, 10.0])
    a_end = 4 + 6 / 0.85
    assert c["resolved_min"].iloc[0] == pytest.approx(a_end)
    assert c["resolved_min"].iloc[1] == pytest.approx(a_end + 4.0)


def test_concurrency_limit_queues_the_fourth_chat():
    c, seg = _run(Mode.CHAT, [0.0, 0.0, 0.0, 0.0], [10.0] * 4)
    assert c["wait_min"].iloc[3] == pytest.approx(12.0)  # starts when the first three end
    assert c["resolved_min"].iloc[3] == pytest.approx(22.0)  # then alone at full speed
    assert usage_peaks(seg, "agent_id").max() == pytest.approx(1.0)


def test_async_thread_releases_the_slot_while_the_customer_thinks():
    """Two emails (1 slot): A needs 2 replies of 5 min with 30 min think between; B arrives
    at 1 and gets the agent while A's customer thinks, then A comes back to the queue."""
    c, seg = _run(Mode.ASYNC, [0.0, 1.0], [10.0, 10.0], slots=1, exchanges=2, think=30.0)
    # A: reply 1 [0, 5]; away 5-35; B: reply 1 [5, 10], away 10-40; A reply 2 [35, 40];
    # B reply 2 [40, 45].
    assert c["first_response_min"].tolist() == pytest.approx([0.0, 5.0])
    assert c["resolved_min"].tolist() == pytest.approx([40.0, 45.0])
    assert c["held_min"].tolist() == pytest.approx([10.0, 10.0])
    assert len(seg) == 4 and usage_peaks(seg, "agent_id").max() == pytest.approx(1.0)


def test_chat_thread_keeps_the_slot_while_the_customer_types():
    """One chat slot: A's 2 replies with 3 min think hold the slot throughout; B waits."""
    c, seg = _run(Mode.CHAT, [0.0, 1.0], [10.0, 10.0], slots=1, exchanges=2, think=3.0)
    assert c["resolved_min"].iloc[0] == pytest.approx(13.0)
    assert c["first_response_min"].iloc[1] == pytest.approx(13.0)
    assert c["held_min"].iloc[0] == pytest.approx(13.0)


def test_held_time_is_bounded_by_the_slowest_speed():
    """Under random load each chat's time held lies between its solo work and the work at
    the slowest speed an agent of concurrency 3 reaches (2.5/3): a ratio in [1, 1.2]."""
    ch = Channel("c", Mode.CHAT, 1.0, ProfiledPoisson(30.0), D.Exponential(8.0),
                 D.Deterministic(1.0), None)
    scenario = Scenario((ch,), (Pool("p", {"c": 1.0}, {"c": 3}, 3),), 60.0, EFF)
    from sim.customers import draw_customers

    streams = Streams(1, 0)
    c, seg = _simulate(scenario, draw_customers(scenario, streams, 3 * 1440.0), streams,
                       3 * 1440.0, 1440.0)
    ratio = c["held_min"] / c["handle_min"]
    assert c["answered"].all() and len(c) > 1000
    assert ratio.min() >= 1 - 1e-9 and ratio.max() <= 3 / 2.5 + 1e-9
    # Both ends are reached: some chats ran alone, some alongside two others throughout.
    assert ratio.min() < 1.001 and ratio.max() > 1.19
    assert usage_peaks(seg, "agent_id").max() <= 1 + 1e-9
