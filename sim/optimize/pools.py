"""The pools the search sizes, the channels its goal binds, and their staffing tables.

:func:`searched_pools` and :func:`constrained_channels` read the organised scenario;
:func:`erlang_start` gives the search's starting counts (Erlang C) and
:func:`schedule_table` turns counts per pool and block into the
:class:`~sim.policies.staffing.Schedule` table that is simulated and written.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..arrivals import MIN_PER_WEEK
from ..replications import Setup, build_model
from ..policies.staffing import ErlangC
from ..scenario import Pool, Scenario
from .blocks import Blocks, Counts


def searched_pools(scenario: Scenario) -> tuple[Pool, ...]:
    """Pools the search sizes: all but those a policy added with its own headcount."""
    return tuple(p for p in scenario.pools if not p.fixed)


def constrained_channels(scenario: Scenario) -> tuple[str, ...]:
    """Channels the goal applies to: those a searched pool serves (a queue only a policy's
    fixed pool serves, like tier 2, cannot be helped by the search)."""
    searched = {p.name for p in searched_pools(scenario)}
    return tuple(c.name for c in scenario.channels
                 if any(p.name in searched for p in scenario.pools_for(c.name)))


def erlang_start(setup: Setup, blocks: Blocks,
                 goal: float) -> tuple[Scenario, dict[str, list[int]]]:
    """Erlang C agents per searched pool and block: the search's starting point.

    :class:`~sim.policies.staffing.ErlangC` (``service_level=goal``, its other parameters
    at their defaults) is bound to a model of the setup (replication 0, organised by its
    routing and escalation) and asked for every interval of the week; a block gets the
    largest count among its intervals (for daily blocks: among those of every day).

    Returns
    -------
    (scenario, counts)
        The organised scenario and the counts per pool (``blocks.count`` values each).
    """
    policy = ErlangC(service_level=goal)
    model = build_model(replace(setup, staffing=lambda: policy), 0)
    scenario = model.scenario
    per_week = round(MIN_PER_WEEK / scenario.interval_min)
    block_of = blocks.of(np.arange(per_week) * scenario.interval_min)
    counts: dict[str, list[int]] = {}
    for pool in searched_pools(scenario):
        values = np.array([policy.agents(pool.name, i) for i in range(per_week)], int)
        top = np.zeros(blocks.count, int)
        np.maximum.at(top, block_of, values)
        counts[pool.name] = top.tolist()
    return scenario, counts


def schedule_table(scenario: Scenario, blocks: Blocks, counts: Counts) -> dict[str, list[int]]:
    """The :class:`~sim.policies.staffing.Schedule` table for ``counts``: agents per
    configured pool per interval, a day's values (or a week's, for weekly blocks).

    A pool routing merged (``unified_text``) is searched as one pool; :class:`Schedule`
    names its members and gives the merged pool their sum, so its count is split evenly
    among the members, the remainder to the first ones in config order (the members'
    individual numbers mean nothing under that routing; their sum is the decision).
    """
    table: dict[str, list[int]] = {}
    for pool in searched_pools(scenario):
        table.update(split_members(pool, np.repeat(np.asarray(counts[pool.name], int),
                                                   blocks.per_block)))
    return table


def split_members(pool: Pool, agents: np.ndarray) -> dict[str, list[int]]:
    """A running pool's agents per interval split evenly among the configured pools it
    was merged from, the remainder to the first ones in config order (under the routing
    that merged them only their sum matters)."""
    members = list(pool.members)
    base, extra = np.divmod(np.asarray(agents, int), len(members))
    return {member: (base + (extra > k)).astype(int).tolist()
            for k, member in enumerate(members)}
