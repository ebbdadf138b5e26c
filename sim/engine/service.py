"""Service: replies in progress, processor sharing, threaded conversations, freeing capacity.

An agent working on several text contacts at once progresses each at
``Scenario.speed(n)`` of solo speed for ``n`` held (the practitioner efficiency table: three
chats at once give 2.5 chats' worth of work). Every change in what an agent holds re-times
its replies in progress; an ``epoch`` counter makes the completions scheduled before stale.
A contact with one reply on an agent that holds one contact at a time (every call) takes
the fast path: one completion event, no re-timing.

A threaded conversation needs several replies with the customer's think time between: a
chat keeps its slot while the customer types; an async contact (email, post, message)
releases it and rejoins the queue when the customer answers, for any agent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..scenario import Mode
from .clock import at
from .contacts import AWAY, WAITING, Contact
from .workforce import Agent

if TYPE_CHECKING:
    from .model import Model


class Service:
    """Work in progress and the release of capacity.

    Parameters
    ----------
    model : Model
        The running model (clock, scenario, pools, dispatcher, recorder).
    """

    def __init__(self, model: "Model") -> None:
        self.model = model
        self.env = model.clock.env
        self.scenario = model.scenario
        self.pools = model.pools
        self._exchanges = [c.exchanges for c in model.scenario.channels]
        self._sync = [c.mode is not Mode.ASYNC for c in model.scenario.channels]
        self._segments = model.recorder.segments
        self._segment = model.recorder.segment
        self._chunk = model.recorder.chunk
        self._fill = model.dispatch.fill

    def share(self, agent: Agent, c: Contact, work: float) -> None:
        """``agent`` starts a reply of ``work`` solo-minutes on ``c``, beside what it holds."""
        agent.advance(self.env.now)
        agent.work[c] = work
        self._retime(agent)

    def _retime(self, agent: Agent) -> None:
        """Schedule the agent's replies in progress at its speed for what it holds now."""
        agent.rate = rate = self.scenario.speed(agent.held)
        agent.epoch += 1
        token, env, done = agent.epoch, self.env, self._reply_done
        for c, work in agent.work.items():
            at(env, max(work, 0.0) / rate, done, (agent, c, token))

    def _reply_done(self, arg: tuple[Agent, Contact, int]) -> None:
        agent, c, token = arg
        if token != agent.epoch:
            return  # re-timed since: a later event carries this reply
        agent.advance(self.env.now)
        del agent.work[c]
        c.replies_left -= 1
        if c.replies_left == 0:
            self.model.finish((agent, c))
            return
        k = c.channel
        think = self.model.table.think(c.id, self._exchanges[k] - c.replies_left - 1)
        if self._sync[k]:
            # A chat customer types while the agent keeps the conversation open.
            at(self.env, think, self._chat_resumes, (agent, c))
        else:
            # Email / post / message: the reply is sent, the slot freed; the customer's
            # answer comes back to the queue later, for any agent.
            c.state = AWAY
            self.release(agent, c)
            at(self.env, think, self._customer_answers, c)

    def _chat_resumes(self, arg: tuple[Agent, Contact]) -> None:
        agent, c = arg
        ps = self.pools[agent.pool]
        k = c.channel
        agent.advance(self.env.now)
        agent.work[c] = c.handle_min * ps.proficiency[k] / self._exchanges[k]
        self._retime(agent)

    def _customer_answers(self, c: Contact) -> None:
        c.state = WAITING
        dispatch = self.model.dispatch
        dispatch.push(c)
        dispatch.offer(c.channel)

    def release(self, agent: Agent, c: Contact) -> None:
        """``agent`` lets go of ``c``: log the stretch it held, then offer the agent work."""
        now = self.env.now
        ps = self.pools[agent.pool]
        segments = self._segments
        segments.append(self._segment(c.id, agent.id, c.channel, c.slot_since, now))
        if len(segments) >= self._chunk:
            self.model.recorder.flush_segments()
        c.held_min += now - c.slot_since
        agent.free += ps.need[c.channel]
        agent.held -= 1
        agent.since = now
        if agent.work:
            agent.advance(now)
            self._retime(agent)  # fewer held: the others speed up
        if agent.leaving:
            if agent.free == ps.capacity:
                self.model.workforce.off_shift(ps, agent, now)
            return
        ps.refresh(agent)
        self._fill(agent)
