"""Reactive staffing: agents move within a group toward the pool most over target."""

from __future__ import annotations

import pytest

from sim.errors import ConfigError

from .conftest import simulate
from .invariants import check_invariants

GROUP = ["chat", "email", "twitter", "facebook", "messages"]


@pytest.fixture(scope="module")
def pair():
    base = ["run.horizon=3d", "run.replications=3", "seed=2"]
    return simulate(base + ["staffing=schedule"]), simulate(base + ["staffing=reactive"])


def test_reactive_keeps_invariants_and_headcount(pair):
    schedule, reactive = pair
    check_invariants(reactive)
    # Moves only shift agents within the group. Staffed time may exceed the table's slightly:
    # an agent leaving a pool finishes the contact in hand while the pool gaining one is
    # already counting the newcomer (after the switching delay); bounded here at 2%.
    hours = [res.per_replication.query("channel == 'all' and metric == 'agent_hours'")
             ["value"].sum() for res in (schedule, reactive)]
    assert hours[0] - 1e-6 <= hours[1] <= 1.02 * hours[0]
    # Pools outside the group (phone) are untouched (up to the horizon; after it, the runs
    # stop staffing when their last contact is done, which differs).
    def phone(res):
        st = res.staffing
        return st[(st["pool"] == "phone") & (st["time_min"] < 3 * 1440)].reset_index(drop=True)

    s, r = phone(schedule), phone(reactive)
    assert s[["time_min", "agents"]].equals(r[["time_min", "agents"]])


def test_reactive_moves_agents_and_respects_minimums(pair):
    _, reactive = pair
    staff = reactive.staffing
    moved = staff[staff["pool"].isin(GROUP) & (staff["time_min"] % 60 != 0)]
    assert len(moved) > 0, "no agent ever moved between reviews"
    # A pool the table staffs with >= 1 never drops below the minimum of 1 between reviews
    # because of a move (a leaving agent finishing work can only delay the drop).
    assert (moved["agents"] >= 0).all()


def test_reactive_lifts_the_worst_served_channel(pair):
    """Paired on the same customers: the worst text channel's service level improves."""
    schedule, reactive = pair

    def worst(res):
        per = res.per_replication.query("metric == 'service_level' and channel in @GROUP")
        return per.groupby("replication")["value"].min().to_numpy()

    diff = worst(reactive) - worst(schedule)
    assert diff.mean() > 0 and (diff > 0).all(), diff


def test_review_must_divide_the_interval():
    with pytest.raises(ConfigError, match=r"^staffing\.review_min=7(\.0)?: must divide the 60-min interval"):
        simulate(["staffing=reactive", "staffing.review_min=7", "run.horizon=1d"])


def test_unknown_pool_in_group_is_a_config_error():
    with pytest.raises(ConfigError, match=r"^staffing\.groups=.*entry \['chat', 'fax'\] must name 2\+ pools"):
        simulate(["staffing=reactive", "staffing.groups=[[chat,fax]]", "run.horizon=1d"])
