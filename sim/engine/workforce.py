"""Agents on shift and the pools they belong to: capacity, room per channel, shift changes.

Capacity is one unit per agent, shared: a contact of a channel with concurrency ``m`` takes
``1/m`` of it (kept as integers), so an agent holds ``m`` chats, or one call, or a mix of
text contacts whose shares add up to at most one.

Order is deterministic everywhere: agents get increasing ids as they come on shift, a pool
keeps them in that order, and each channel's *room* (agents with room for one more of its
contacts) is kept in the order they last got room, so the first is the longest waiting for
work. Nothing is ordered by memory address.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable

from ..scenario import Pool

if TYPE_CHECKING:
    from .contacts import Contact


class Agent:
    """One agent on shift (see :class:`sim.policies.base.AgentView`).

    ``work`` holds, for each reply in progress, its solo-minutes left as of ``stamp``;
    every reply progresses at ``rate`` (processor sharing, :mod:`sim.engine.service`), and
    ``epoch`` marks completion events scheduled before the last re-timing stale.
    """

    __slots__ = ("id", "pool", "free", "since", "leaving", "_need", "held", "work", "rate",
                 "stamp", "epoch")

    def __init__(self, id: int, pool: "PoolState", now: float) -> None:
        self.id = id
        self.pool = pool.index
        self.free = pool.capacity
        self.since = now
        self.leaving = False
        self._need = pool.need
        self.held = 0                          # contacts holding a slot (working or waiting)
        self.work: dict[Contact, float] = {}   # reply in progress -> solo-minutes left
        self.rate = 1.0                        # progress per minute of each reply
        self.stamp = now                       # when ``work`` was last brought up to date
        self.epoch = 0

    def advance(self, now: float) -> None:
        """Bring the remaining work of every reply in progress up to ``now``."""
        done = (now - self.stamp) * self.rate
        if done:
            work = self.work
            for c in work:
                work[c] -= done
        self.stamp = now

    def has_room(self, channel: int) -> bool:
        """Whether the agent can take one more contact of ``channel`` now."""
        need = self._need[channel]
        return 0 < need <= self.free and not self.leaving

    def __repr__(self) -> str:
        return f"Agent(id={self.id}, pool={self.pool}, free={self.free}, leaving={self.leaving})"


class PoolState:
    """Live state of one pool: its agents and, per channel, those with room.

    Parameters
    ----------
    index : int
        Position in ``Scenario.pools``.
    pool : Pool
        The pool.
    channel_names : list of str
        The scenario's channels, in order.
    """

    def __init__(self, index: int, pool: Pool, channel_names: list[str]) -> None:
        self.index = index
        self.pool = pool
        slots = [pool.slots(c) if c in pool.skills else 0 for c in channel_names]
        self.capacity = math.lcm(*[s for s in slots if s]) if any(slots) else 1
        # Capacity units one contact of each channel uses (0: no skill).
        self.need = [self.capacity // s if s else 0 for s in slots]
        # Handle-time multiplier: the agents' proficiency times their set-up's tool quality.
        self.proficiency = [pool.skills.get(c, 0.0) * pool.tool_quality for c in channel_names]
        self.skilled = [k for k, s in enumerate(slots) if s]
        # Capacity an agent needs free to take anything at all (none: never).
        self.least = min((n for n in self.need if n), default=self.capacity + 1)
        # Minutes a contact must have waited before this pool may take it (overflow).
        self.delay = [pool.delay.get(c, 0.0) for c in channel_names]
        # dicts used as ordered sets: insertion order = longest since it last got room.
        self.room: list[dict[Agent, None]] = [{} for _ in channel_names]
        # On shift, in id order: never a set, whose order follows memory addresses.
        self.agents: dict[Agent, None] = {}
        self.active = 0  # agents on shift and not leaving

    def refresh(self, agent: Agent) -> None:
        """Put ``agent`` into / out of each channel's room after its load changed."""
        free, leaving = agent.free, agent.leaving
        for k in self.skilled:
            room = self.room[k]
            if not leaving and self.need[k] <= free:
                if agent not in room:
                    room[agent] = None
            elif agent in room:
                del room[agent]


class Workforce:
    """Every pool's agents, and the log of how many are on shift.

    Parameters
    ----------
    pools : list of PoolState
        The running pools.
    """

    def __init__(self, pools: list[PoolState]) -> None:
        self.pools = pools
        self.agent_pool: list[int] = []  # pool of each agent id
        self.log: list[tuple[float, int, int]] = []  # (time, pool, agents on shift)

    def restaff(self, ps: PoolState, target: int, now: float,
                fill: Callable[[Agent], None]) -> None:
        """Bring ``ps`` to ``target`` agents not leaving.

        Agents asked to leave earlier come back first (oldest first); then new agents come
        on shift; each takes work (``fill``) before the next arrives. Going down, idle
        agents leave first (the longest idle last), busy ones finish their work first and
        take no more.
        """
        before = len(ps.agents)
        if target > ps.active:
            for agent in [a for a in ps.agents if a.leaving][: target - ps.active]:
                agent.leaving = False
                ps.active += 1
                ps.refresh(agent)
                fill(agent)
            while ps.active < target:
                agent = Agent(len(self.agent_pool), ps, now)
                self.agent_pool.append(ps.index)
                ps.agents[agent] = None
                ps.active += 1
                ps.refresh(agent)
                fill(agent)
        elif target < ps.active:
            by_load = sorted((a for a in ps.agents if not a.leaving),
                             key=lambda a: (a.free != ps.capacity, -a.since))
            for agent in by_load[: ps.active - target]:
                agent.leaving = True
                ps.active -= 1
                ps.refresh(agent)
                if agent.free == ps.capacity:
                    del ps.agents[agent]
        if len(ps.agents) != before or now == 0:
            self.log.append((now, ps.index, len(ps.agents)))

    def off_shift(self, ps: PoolState, agent: Agent, now: float) -> None:
        """A leaving agent finished their last contact."""
        del ps.agents[agent]
        self.log.append((now, ps.index, len(ps.agents)))
