"""Matching waiting contacts with agents that have room: queues, eligibility, the policy call.

The engine enforces who may take what before any policy is asked, and checks what policies
return: a routing policy chooses among contacts an agent may take (skill, room, and for an
overflow pool a long enough wait); agent selection chooses among agents with room. A policy
that returns anything else breaks its contract, and the run stops with a
:class:`sim.policies.base.ContractError` naming the policy and the rule, before the model's
state is touched.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Iterator

from ..policies.base import AgentSelection, ContractError, Routing
from .clock import at
from .contacts import SERVING, WAITING, Contact
from .workforce import Agent, PoolState

if TYPE_CHECKING:
    from .model import Model
    from .service import Service


class Dispatcher:
    """Per-channel FIFO queues and the matching of their contacts with agents.

    Queues hold contacts and drop those that left (answered elsewhere, abandoned) lazily,
    when they reach the head.

    Parameters
    ----------
    model : Model
        The running model (clock, scenario, pools, service).
    routing : Routing
        Which waiting contact an agent with room takes.
    selection : AgentSelection
        Which agent with room gets a contact several could take.
    """

    def __init__(self, model: "Model", routing: Routing, selection: AgentSelection) -> None:
        self.model = model
        self.routing = routing
        self.selection = selection
        n = len(model.scenario.channels)
        self.queues: list[deque[Contact]] = [deque() for _ in range(n)]
        self.counts = [0] * n  # contacts waiting per channel
        self.pools = model.pools
        self.serving: list[list[PoolState]] = [[ps for ps in self.pools if ps.need[k]]
                                               for k in range(n)]
        self.env = model.clock.env
        self._exchanges = [c.exchanges for c in model.scenario.channels]
        self._silent_notice = [c.silent_notice_min for c in model.scenario.channels]

    def bind(self, service: "Service") -> None:
        """Hand over to ``service`` the contacts agents take."""
        self._service = service
        # A one-reply contact of a one-at-a-time agent (every call) needs no sharing: its
        # completion event ends its service directly, with (agent, contact).
        self._complete = self.model.finish

    # ---- queues ------------------------------------------------------------------------
    def push(self, c: Contact) -> None:
        """``c`` joins (or, an async thread, rejoins) its channel's queue."""
        self.queues[c.channel].append(c)
        self.counts[c.channel] += 1

    def first(self, channel: int) -> Contact | None:
        """The longest-waiting contact of ``channel``, or None."""
        q = self.queues[channel]
        while q:
            c = q[0]
            if c.state == WAITING:
                return c
            q.popleft()
        return None

    def head(self, channel: int, agent: Agent | None = None) -> Contact | None:
        """The longest-waiting contact of ``channel`` (that ``agent`` may take now), or None."""
        c = self.first(channel)
        if c is None or agent is None:
            return c
        need = agent._need[channel]
        if not 0 < need <= agent.free or agent.leaving:
            return None
        delay = self.pools[agent.pool].delay[channel]
        if delay and self.env.now - c.arrival_min < delay:
            return None
        return c

    def waiting(self, channel: int, agent: Agent | None = None) -> Iterator[Contact]:
        """The contacts waiting in ``channel`` in queue order (those ``agent`` may take now)."""
        if agent is not None and not agent.has_room(channel):
            return iter(())
        delay = 0.0 if agent is None else self.pools[agent.pool].delay[channel]
        if delay:
            now = self.env.now
            return (c for c in list(self.queues[channel])
                    if c.state == WAITING and now - c.arrival_min >= delay)
        return (c for c in list(self.queues[channel]) if c.state == WAITING)

    # ---- matching ----------------------------------------------------------------------
    def offer(self, k: int) -> None:
        """Let agents with room for channel ``k`` take work while its queue is not empty."""
        routing, serving, first = self.routing, self.serving[k], self.first
        if len(serving) == 1:
            # One pool serves the channel: its agent with room longest is the candidate.
            room = serving[0].room[k]
            while room and first(k) is not None:
                agent = next(iter(room))
                c = routing.next_contact(agent)
                if c is None:
                    return
                self.assign(agent, c)
            return
        while first(k) is not None:
            candidates = [next(iter(ps.room[k])) for ps in serving if ps.room[k]]
            taken = False
            while candidates:
                agent = candidates[0] if len(candidates) == 1 else self._choose(k, candidates)
                c = routing.next_contact(agent)
                if c is not None:
                    self.assign(agent, c)
                    taken = True
                    break
                candidates.remove(agent)
            if not taken:
                return

    def offer_all(self) -> None:
        """Offer every channel that has contacts waiting (a departure may free agents a
        policy was holding back)."""
        for k, n in enumerate(self.counts):
            if n:
                self.offer(k)

    def fill(self, agent: Agent) -> None:
        """Let ``agent``, who just got room, take work until full or routing says stop."""
        routing, least = self.routing, self.pools[agent.pool].least
        # An agent with no room for any channel takes nothing: routing is not asked.
        while agent.free >= least and not agent.leaving:
            c = routing.next_contact(agent)
            if c is None:
                return
            self.assign(agent, c)

    def _choose(self, channel: int, candidates: list[Agent]) -> Agent:
        agent = self.selection.choose(channel, candidates)
        if agent not in candidates:
            raise ContractError(
                "agent_selection", self.selection,
                f"choose() returned {agent!r}, not one of the agents with room it was offered")
        return agent

    def assign(self, agent: Agent, c: Contact) -> None:
        """``agent`` takes contact ``c``: the first response if it is one, and the work."""
        now = self.env.now
        k = c.channel
        if type(c) is not Contact or c.state != WAITING:
            raise ContractError("routing", self.routing,
                                f"next_contact() returned {c!r}, which is not a waiting contact")
        ps = self.pools[agent.pool]
        need = ps.need[k]
        if not 0 < need <= agent.free or agent.leaving:
            why = ("has no skill for" if not need else
                   "is leaving and takes no more" if agent.leaving else "has no room for")
            raise ContractError("routing", self.routing,
                                f"next_contact() gave {c!r} to agent {agent.id} of pool "
                                f"{ps.pool.name}, which {why} channel "
                                f"{self.model.scenario.channels[k].name}")
        delay = ps.delay[k]
        if delay and now - c.arrival_min < delay:
            raise ContractError("routing", self.routing,
                                f"next_contact() gave {c!r} to pool {ps.pool.name} after "
                                f"{now - c.arrival_min:.3g} min of waiting; that pool may take "
                                f"channel {self.model.scenario.channels[k].name} only after "
                                f"{delay:g} min (overflow)")
        c.state = SERVING
        self.counts[k] -= 1
        if c.silent:
            # The customer left without telling: the agent spends a while finding out.
            c.replies_left = 1
            work = self._silent_notice[k]
        else:
            if c.replies_left == 0:  # first reply: this is the first response
                c.first_response_min = now
                c.pool = agent.pool
                c.replies_left = self._exchanges[k]
            work = c.handle_min * ps.proficiency[k] / self._exchanges[k]
        c.agent = agent.id
        c.slot_since = now
        agent.free -= need
        agent.held += 1
        agent.since = now
        # To the back of every room it is still in: the next contact goes to someone else.
        free, room, needs = agent.free, ps.room, ps.need
        for kk in ps.skilled:
            r = room[kk]
            r.pop(agent, None)
            if needs[kk] <= free:
                r[agent] = None
        if ps.capacity == 1 and self._exchanges[k] == 1:
            # One contact at a time, one reply: no sharing to re-time (every call).
            at(self.env, work, self._complete, (agent, c))
        else:
            self._service.share(agent, c, work)
