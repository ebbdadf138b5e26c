"""Agents on shift and the pools they belong to: capacity, room per channel, work in progress.

No simulation clock here: the engine calls these with the current time. Capacity is one unit
per agent, shared: a contact of a channel with concurrency ``m`` takes ``1/m`` of it (kept as
integers), so an agent holds ``m`` chats, or one call, or a mix of text contacts whose shares
add up to at most one.

Work in progress is processor sharing with an efficiency table: an agent holding ``n``
contacts progresses each one it is working on at ``Scenario.speed(n)`` of solo speed (the
practitioner table: 3 chats at once give 2.5 chats' worth of throughput, so each runs at
2.5/3). Each change in what the agent holds re-times its replies; the ``epoch`` counter
marks earlier completion events stale.
"""

from __future__ import annotations

import math

from .scenario import Pool


class Agent:
    """One agent on shift (see :class:`sim.policies.base.AgentView`)."""

    __slots__ = ("id", "pool", "free", "since", "leaving", "_need", "held", "work", "rate",
                 "stamp", "epoch")

    def __init__(self, id: int, pool: "PoolState", now: float) -> None:
        self.id = id
        self.pool = pool.index
        self.free = pool.capacity
        self.since = now
        self.leaving = False
        self._need = pool.need
        self.held = 0                      # contacts holding a slot (working or waiting)
        self.work: dict[int, float] = {}   # contact -> solo-minutes left of its current reply
        self.rate = 1.0                    # progress per minute of each reply worked on
        self.stamp = now                   # when ``work`` was last brought up to date
        self.epoch = 0                     # bumped whenever replies are re-timed

    def advance(self, now: float) -> None:
        """Bring the remaining work of every reply in progress up to ``now``."""
        done = (now - self.stamp) * self.rate
        if done:
            work = self.work
            for j in work:
                work[j] -= done
        self.stamp = now

    def has_room(self, channel: int) -> bool:
        need = self._need[channel]
        return 0 < need <= self.free and not self.leaving


class PoolState:
    """Live state of one pool: its agents and, per channel, those with room, oldest first."""

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
        # dicts used as ordered sets: insertion order = longest since last assignment.
        self.room: list[dict[Agent, None]] = [{} for _ in channel_names]
        # On shift, in order of arrival on shift (agent ids increase): never a set, whose
        # order follows memory addresses and would make who leaves and who returns differ
        # from one process to the next.
        self.agents: dict[Agent, None] = {}
        self.active = 0  # agents on shift and not leaving

    def refresh(self, agent: Agent) -> None:
        """Put ``agent`` into / out of each channel's room set after its load changed."""
        free, leaving = agent.free, agent.leaving
        for k in self.skilled:
            room = self.room[k]
            if not leaving and self.need[k] <= free:
                if agent not in room:
                    room[agent] = None
            elif agent in room:
                del room[agent]
