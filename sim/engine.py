"""The simpy model of a care operation: the only module that imports simpy.

Design for speed: every exogenous attribute is drawn up front (:mod:`sim.customers`), the
arrivals are one simpy process, and everything else is a plain callback on a
:class:`simpy.events.Timeout` (a service completion, a patience expiry, a staffing change).
State is columnar (Python lists indexed by contact id); queues hold contact ids and drop the
ones that left lazily. After every arrival, completion, abandonment and staffing change the
dispatcher lets the routing policy match waiting contacts with agents that have room.

Capacity is one unit per agent, shared: a contact of a channel with concurrency ``m`` uses
``1/m`` of it (kept as integers), so an agent holds ``m`` chats, or one call, or a mix of text
contacts whose shares add up to at most one. That same share is the contact's weight in
occupancy.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import simpy
from simpy.events import Timeout

from .agents import Agent, PoolState
from .customers import (ESCALATION, ORIGINS, RETRIAL, SWITCH, Customers, draw_attributes,
                        pileons)
from .policies.base import EscalationPolicy, RoutingPolicy, StaffingPolicy
from .rng import Streams
from .scenario import Mode, Scenario

WAITING, SERVING, ABANDONED, DONE, ESCALATED, AWAY, PENDING = 0, 1, 2, 3, 4, 5, 6
# PENDING: a potential pile-on that has not arrived (and never will if its parent is
# answered first); such rows are dropped from the records.


class PolicyError(ValueError):
    """A policy refused the model it was bound to (bad parameters for this scenario)."""

    def __init__(self, group: str, message: str) -> None:
        self.group = group
        super().__init__(message)


@dataclass
class Records:
    """Raw columnar output of one replication (times in minutes)."""

    contacts: dict[str, np.ndarray]
    staffing: dict[str, np.ndarray]
    segments: dict[str, np.ndarray]  # each stretch a contact held an agent's capacity
    pools: tuple[str, ...]
    channels: tuple[str, ...]
    end_min: float  # when the simulation stopped; contacts still waiting are censored here


def _typed(code: str, values: np.ndarray) -> array:
    """A growable typed array (``array.array``) holding ``values``."""
    out = array(code)
    out.frombytes(np.ascontiguousarray(values, dtype=np.dtype(code)).tobytes())
    return out


class Model:
    """One replication of a care operation (the :class:`ModelView` policies see).

    Parameters
    ----------
    scenario : Scenario
        The operation, already organised by the routing policy.
    customers : Customers
        Exogenous contacts, sorted by arrival.
    routing, staffing, escalation : policies
        Built, not yet bound; :meth:`__init__` binds them.
    streams : Streams
        For contacts the model itself creates (escalations, retrials, switches and their
        pile-ons).
    horizon_min : float
        Arrivals stop here.
    drain_min : float
        After the horizon, keep serving (staffed per schedule) until empty or this long.
    progress : callable, optional
        Called with the minutes simulated since the last call, at interval boundaries.
    """

    def __init__(self, scenario: Scenario, customers: Customers, routing: RoutingPolicy,
                 staffing: StaffingPolicy, escalation: EscalationPolicy, streams: Streams,
                 horizon_min: float, drain_min: float = 0.0,
                 progress: Callable[[float], None] | None = None) -> None:
        self.scenario = scenario
        self.env = simpy.Environment()
        self.horizon_min = horizon_min
        self.end_min = horizon_min + drain_min
        self.streams = streams
        self._progress = progress
        names = [c.name for c in scenario.channels]
        self._channel_index = {n: k for k, n in enumerate(names)}
        self.pools = [PoolState(i, p, names) for i, p in enumerate(scenario.pools)]
        self._serving = [[ps for ps in self.pools if ps.need[k]] for k in range(len(names))]
        # Overflow: pools that take a channel only after a wait; re-offer when it elapses.
        self._wakeups = [sorted({p.delay[c] for p in scenario.pools if p.delay.get(c, 0) > 0})
                         for c in names]

        n = len(customers)
        n_roots = customers.n_roots
        # Hot columns (read at every event) are lists; the rest are typed arrays: a float in
        # an array costs 8 bytes, in a list 32, which matters at a million contacts.
        self.channel: list[int] = customers.channel.tolist()
        self.arrival: list[float] = customers.arrival_min.tolist()
        self.handle: list[float] = customers.handle_min.tolist()
        self.patience = _typed("d", customers.patience_min)
        self.expectation = _typed("d", customers.expectation_min)
        self.reach = _typed("d", customers.reach)
        self.negative = _typed("b", customers.negative)
        self.needs_secure = _typed("b", customers.needs_secure)
        self.compliance = _typed("d", customers.compliance)
        self.journey: list[int] = list(range(n))
        self.origin = _typed("b", customers.origin)
        self.parent = _typed("q", customers.parent)
        # Decision uniforms: single precision is ample for "u < p" and saves 12 B a contact.
        self.failure_u = _typed("f", customers.failure_u)
        self.silent_u = _typed("f", customers.silent_u)
        self.upset_u = _typed("f", customers.upset_u)
        self.pileons = _typed("i", np.zeros(n))  # pile-ons each contact caused
        # Abandoned without telling anyone: such a contact stays queued (still WAITING) until
        # an agent picks it up and finds it gone.
        self.silent = _typed("b", np.zeros(n))
        self.state: list[int] = [WAITING] * n_roots + [PENDING] * (n - n_roots)
        self._children: dict[int, list[int]] = {}
        for c in np.flatnonzero(customers.parent >= 0).tolist():
            self._children.setdefault(int(customers.parent[c]), []).append(c)
        self.first_response = _typed("d", np.full(n, np.nan))
        self.left = _typed("d", np.full(n, np.nan))  # resolution or abandonment time
        self.served_by = _typed("h", np.full(n, -1))
        self.agent_of = _typed("l", np.full(n, -1))
        self.forced = _typed("b", np.zeros(n))
        self.replies_left = _typed("b", np.zeros(n))  # 0 until the first reply starts
        self.slot_since = _typed("d", np.full(n, np.nan))
        self._think_rows = customers.think_min          # exogenous contacts' think times
        self._think_extra: dict[int, list[float]] = {}  # those of contacts the model created
        self._exchanges = [c.exchanges for c in scenario.channels]
        self._extra = max(self._exchanges) - 1
        self._overdue_after = [c.switch.after_min if c.switch else None
                               for c in scenario.channels]
        self._sync = [c.mode is not Mode.ASYNC for c in scenario.channels]
        # Slot-holding log: one row per stretch a contact held an agent's capacity.
        self._seg_contact = array("q")
        self._seg_agent = array("l")
        self._seg_start = array("d")
        self._seg_end = array("d")
        self._n_exogenous = n_roots
        self._n_drawn = n  # rows with think times in _think_rows
        self._queues: list[deque[int]] = [deque() for _ in names]
        self._waiting = [0] * len(names)
        self._in_system = 0
        self._pending = 0  # follow-up contacts scheduled but not yet arrived
        self._staff_log: list[tuple[float, int, int]] = []
        self._next_agent = 0
        self._agent_pool: list[int] = []  # pool of each agent id
        self._tick = 0
        review = getattr(staffing, "review_min", None)
        ticks = round(scenario.interval_min / review) if review else 1
        if review and (ticks < 1 or abs(ticks * review - scenario.interval_min) > 1e-9):
            raise PolicyError("staffing", f"staffing.review_min={review} must divide the "
                              f"{scenario.interval_min:g}-min interval")
        self._ticks_per_interval = ticks

        self.routing, self.staffing, self.escalation = routing, staffing, escalation
        for group, policy in (("routing", routing), ("staffing", staffing),
                              ("escalation", escalation)):
            try:
                policy.bind(self)
            except ValueError as err:
                raise PolicyError(group, str(err)) from err

    # ---- what policies see -------------------------------------------------------------
    @property
    def now(self) -> float:
        return self.env.now

    def queue(self, channel: int) -> deque[int]:
        return self._queues[channel]

    def head(self, channel: int) -> int | None:
        q, state = self._queues[channel], self.state
        while q:
            j = q[0]
            if state[j] == WAITING:
                return j
            q.popleft()
        return None

    def waiting(self, channel: int) -> int:
        return self._waiting[channel]

    def is_waiting(self, contact: int) -> bool:
        return self.state[contact] == WAITING

    def available(self, pool: int, channel: int) -> int:
        return len(self.pools[pool].room[channel])

    def pool_agents(self, pool: int) -> Iterable[Agent]:
        return iter(self.pools[pool].agents)

    # ---- running -----------------------------------------------------------------------
    def run(self) -> Records:
        """Simulate and return the records."""
        self.env.process(self._arrivals())
        self._staffing_tick(None)
        self.env.run(until=self.end_min)
        return self._records()

    def _arrivals(self):
        env, arrival = self.env, self.arrival
        for i in range(self._n_exogenous):
            yield Timeout(env, arrival[i] - env._now)
            self._arrive(i)

    def _arrive(self, i: int) -> None:
        k = self.channel[i]
        kids = self._children.get(i)
        if kids:
            env, arrival = self.env, self.arrival
            for c in kids:
                Timeout(env, arrival[c] - env._now, c).callbacks.append(self._pile_on)
        after = self._overdue_after[k]
        if after is not None:
            Timeout(self.env, after, i).callbacks.append(self._overdue)
        self._in_system += 1
        self._queues[k].append(i)
        self._waiting[k] += 1
        self._offer(k)
        if self.state[i] == WAITING:
            if self.patience[i] < math.inf:
                Timeout(self.env, self.patience[i], i).callbacks.append(self._abandon)
            for delay in self._wakeups[k]:
                Timeout(self.env, delay, k).callbacks.append(self._reoffer)

    def _pile_on(self, event: Timeout) -> None:
        """A potential pile-on's moment: it is posted if its parent is still unanswered."""
        c = event._value
        p = self.parent[c]
        if math.isnan(self.first_response[p]):
            self.state[c] = WAITING
            self.pileons[p] += 1
            self._arrive(c)

    def _overdue(self, event: Timeout) -> None:
        """An async contact reached its channel's switch limit: unanswered, it is a failure."""
        j = event._value
        if math.isnan(self.first_response[j]):
            self._follow_up(j, retrial_allowed=False)

    def _follow_up(self, j: int, retrial_allowed: bool) -> None:
        """After a failure of ``j``: retry, switch channel, or give up (see
        :mod:`sim.behaviour`)."""
        ch = self.scenario.channels[self.channel[j]]
        u = self.failure_u[j]
        p_retry = ch.retrial.probability if ch.retrial is not None else 0.0
        if retrial_allowed and u < p_retry:
            self._spawn(j, ch.name, RETRIAL, self._delay(ch.retrial.delay, f"retrial/{ch.name}"))
        elif (ch.switch is not None and u >= p_retry
              and u < p_retry + ch.switch.probability
              and (ch.switch.after_min is None) == retrial_allowed):
            self._spawn(j, ch.switch.to, SWITCH,
                        self._delay(ch.switch.delay, f"switch/{ch.name}"))

    def _delay(self, dist, purpose: str) -> float:
        return float(dist.sample(self.streams(purpose), 1)[0])

    def _reoffer(self, event: Timeout) -> None:
        self._offer(event._value)

    def _offer(self, k: int) -> None:
        """Let agents with room for channel ``k`` take work while its queue is not empty."""
        routing = self.routing
        serving = self._serving[k]
        while self.head(k) is not None:
            candidates = [next(iter(ps.room[k])) for ps in serving if ps.room[k]]
            taken = False
            while candidates:
                agent = (candidates[0] if len(candidates) == 1
                         else routing.agent_selection.choose(k, candidates))
                j = routing.next_contact(agent)
                if j is not None:
                    self._assign(agent, j)
                    taken = True
                    break
                candidates.remove(agent)
            if not taken:
                return

    def _fill(self, agent: Agent) -> None:
        """Let ``agent``, who just got room, take work until full or routing says stop."""
        routing = self.routing
        while True:
            j = routing.next_contact(agent)
            if j is None:
                return
            self._assign(agent, j)

    def _assign(self, agent: Agent, j: int) -> None:
        if self.state[j] != WAITING:
            raise RuntimeError(f"routing returned contact {j}, which is not waiting")
        k = self.channel[j]
        ps = self.pools[agent.pool]
        if not agent.has_room(k):
            raise RuntimeError(f"routing gave contact {j} to agent {agent.id} with no room")
        now = self.env._now
        self.state[j] = SERVING
        self._waiting[k] -= 1
        if self.silent[j]:
            # The customer left without telling: the agent spends a while finding out.
            self.replies_left[j] = 1
            work = self.scenario.channels[k].silent_notice_min
        else:
            if self.replies_left[j] == 0:  # first reply: this is the first response
                self.first_response[j] = now
                self.served_by[j] = agent.pool
                self.replies_left[j] = self._exchanges[k]
            work = self.handle[j] * ps.proficiency[k] / self._exchanges[k]
        self.agent_of[j] = agent.id
        self.slot_since[j] = now
        agent.free -= ps.need[k]
        agent.held += 1
        agent.since = now
        # Move to the back of the room sets: the next contact goes to someone else.
        for kk in ps.skilled:
            ps.room[kk].pop(agent, None)
        ps.refresh(agent)
        if ps.capacity == 1 and self._exchanges[k] == 1:
            # One contact at a time, one reply: no sharing to re-time (the voice fast path).
            Timeout(self.env, work, (agent, j)).callbacks.append(self._complete)
        else:
            agent.advance(now)
            agent.work[j] = work
            self._retime(agent)

    def _retime(self, agent: Agent) -> None:
        """Schedule the agent's replies in progress at its speed for what it holds now."""
        agent.rate = rate = self.scenario.speed(agent.held)
        agent.epoch += 1
        token, env, done = agent.epoch, self.env, self._reply_done
        for j, work in agent.work.items():
            Timeout(env, max(work, 0.0) / rate, (agent, j, token)).callbacks.append(done)

    def _reply_done(self, event: Timeout) -> None:
        agent, j, token = event._value
        if token != agent.epoch:
            return  # re-timed since: a later event carries this reply
        now = self.env._now
        agent.advance(now)
        del agent.work[j]
        self.replies_left[j] -= 1
        if self.replies_left[j] == 0:
            self._finish(agent, j)
            return
        k = self.channel[j]
        step = self._exchanges[k] - self.replies_left[j] - 1
        think = (float(self._think_rows[j, step]) if j < self._n_drawn
                 else self._think_extra[j][step])
        if self._sync[k]:
            # A chat customer types while the agent keeps the conversation open.
            Timeout(self.env, think, (agent, j)).callbacks.append(self._chat_resumes)
        else:
            # Email / post / message: the reply is sent, the slot freed; the customer's
            # answer comes back to the queue later, for any agent.
            self.state[j] = AWAY
            self._release(agent, j)
            Timeout(self.env, think, j).callbacks.append(self._customer_answers)

    def _chat_resumes(self, event: Timeout) -> None:
        agent, j = event._value
        ps = self.pools[agent.pool]
        k = self.channel[j]
        agent.advance(self.env._now)
        agent.work[j] = self.handle[j] * ps.proficiency[k] / self._exchanges[k]
        self._retime(agent)

    def _customer_answers(self, event: Timeout) -> None:
        j = event._value
        k = self.channel[j]
        self.state[j] = WAITING
        self._waiting[k] += 1
        self._queues[k].append(j)
        self._offer(k)

    def _complete(self, event: Timeout) -> None:
        agent, j = event._value
        self._finish(agent, j)

    def _finish(self, agent: Agent, j: int) -> None:
        """The last reply of ``j`` is done: resolve or escalate it, free the slot."""
        self._in_system -= 1
        if self.silent[j]:  # the agent found the silent abandoner gone
            self.state[j] = ABANDONED
            self._release(agent, j)
            return
        self.left[j] = self.env._now
        escalation = self.escalation.after_service(j)
        if escalation is None:
            self.state[j] = DONE
        else:
            self.state[j] = ESCALATED
            self.forced[j] = escalation.forced
            if escalation.channel is not None:
                self._spawn(j, escalation.channel, ESCALATION, escalation.delay_min)
        self._release(agent, j)

    def _release(self, agent: Agent, j: int) -> None:
        """``agent`` lets go of contact ``j``: log the slot's use, then offer it new work."""
        now = self.env._now
        ps = self.pools[agent.pool]
        k = self.channel[j]
        self._seg_contact.append(j)
        self._seg_agent.append(agent.id)
        self._seg_start.append(self.slot_since[j])
        self._seg_end.append(now)
        agent.free += ps.need[k]
        agent.held -= 1
        agent.since = now
        if agent.work:
            agent.advance(now)
            self._retime(agent)  # fewer held: the others speed up
        if agent.leaving:
            if agent.free == ps.capacity:
                self._off_shift(ps, agent)
            return
        ps.refresh(agent)
        self._fill(agent)

    def _abandon(self, event: Timeout) -> None:
        j = event._value
        if self.state[j] != WAITING:
            return
        k = self.channel[j]
        self.left[j] = self.env._now
        if self.silent_u[j] < self.scenario.channels[k].silent_share:
            # Nobody learns of it: the contact stays queued until an agent finds it gone.
            self.silent[j] = True
        else:
            self.state[j] = ABANDONED
            self._waiting[k] -= 1
            self._in_system -= 1
        self._follow_up(j, retrial_allowed=True)
        if not self.silent[j]:
            # A policy may hold agents back while a queue is non-empty (e.g. keep voice
            # agents for waiting calls): a departure can free them for other work.
            for kk, n in enumerate(self._waiting):
                if n:
                    self._offer(kk)

    def _spawn(self, parent: int, channel: str, origin: int, delay_min: float) -> None:
        """Create a follow-up contact of ``parent``'s journey in ``channel``, arriving
        ``delay_min`` from now, with the potential pile-ons it may cause."""
        if channel not in self._channel_index:
            raise ValueError(f"escalation to unknown channel {channel!r}")
        if self.env._now + delay_min >= self.end_min:
            return  # it would come after the run ends
        k = self._channel_index[channel]
        ch = self.scenario.channels[k]
        how = ORIGINS[origin]
        row = {c: v[0] for c, v in draw_attributes(ch, k, self.streams, 1, self._extra,
                                                      f"/{how}").items()}
        # Same customer, same problem: these carry over to the follow-up contact.
        row["needs_secure"] = self.needs_secure[parent]
        row["compliance"] = self.compliance[parent]
        if origin == RETRIAL:  # the same person about the same thing, once more
            row.update(handle_min=self.handle[parent], expectation_min=self.expectation[parent],
                       reach=self.reach[parent], negative=self.negative[parent])
        elif origin == SWITCH:
            row["negative"] = True  # failed once, now posting about it
        row.update(arrival_min=self.env._now + delay_min, origin=origin, parent=-1)
        i = self._append(row, self.journey[parent], WAITING)
        if ch.pileon is not None and row["negative"]:
            new = pileons(ch, k, self.streams, np.array([i]), np.array([row["arrival_min"]]),
                          np.array([row["reach"]]), i + 1, self.horizon_min, self._extra,
                          f"/{how}")
            for r in range(len(new["arrival_min"])):
                c = self._append({name: v[r] for name, v in new.items()},
                                 len(self.channel), PENDING)
                self._children.setdefault(int(new["parent"][r]), []).append(c)
        if delay_min > 0:
            self._pending += 1
            Timeout(self.env, delay_min, i).callbacks.append(self._arrive_later)
        else:
            self._arrive(i)

    def _append(self, row: dict, journey: int, state: int) -> int:
        """Add one contact's columns (``row`` as :func:`draw_attributes` names them)."""
        self.channel.append(int(row["channel"]))
        self.arrival.append(float(row["arrival_min"]))
        self.handle.append(float(row["handle_min"]))
        self.patience.append(float(row["patience_min"]))
        self.expectation.append(float(row["expectation_min"]))
        self.reach.append(float(row["reach"]))
        self.negative.append(bool(row["negative"]))
        self.needs_secure.append(bool(row["needs_secure"]))
        self.compliance.append(float(row["compliance"]))
        self.failure_u.append(float(row["failure_u"]))
        self.silent_u.append(float(row["silent_u"]))
        self.upset_u.append(float(row["upset_u"]))
        self.origin.append(int(row["origin"]))
        self.parent.append(int(row["parent"]))
        self.journey.append(journey)
        self.state.append(state)
        self.pileons.append(0)
        self.silent.append(False)
        self.first_response.append(math.nan)
        self.left.append(math.nan)
        self.served_by.append(-1)
        self.agent_of.append(-1)
        self.forced.append(False)
        self.replies_left.append(0)
        self.slot_since.append(math.nan)
        i = len(self.channel) - 1
        if self._extra:
            self._think_extra[i] = [float(x) for x in row["think_min"]]
        return i

    def _arrive_later(self, event: Timeout) -> None:
        self._pending -= 1
        self._arrive(event._value)

    # ---- staffing ----------------------------------------------------------------------
    def _staffing_tick(self, _event) -> None:
        """Ask the staffing policy for every pool's headcount: at each interval boundary, and
        every ``review_min`` in between for policies that react to the live state."""
        env = self.env
        now = env._now
        interval, step = divmod(self._tick, self._ticks_per_interval)
        self._tick += 1
        for ps in self.pools:
            target = self.staffing.agents(ps.pool.name, interval)
            if target < 0:
                raise ValueError(f"staffing gave {target} agents for pool {ps.pool.name}")
            self._restaff(ps, target)
        if self._progress is not None and step == 0 and 0 < now <= self.horizon_min:
            self._progress(self.scenario.interval_min)
        delay = self.scenario.interval_min / self._ticks_per_interval
        idle = self._in_system == 0 and self._pending == 0
        if now >= self.horizon_min and (idle or now + delay > self.end_min):
            return
        Timeout(env, delay).callbacks.append(self._staffing_tick)

    def _restaff(self, ps: PoolState, target: int) -> None:
        now = self.env._now
        before = len(ps.agents)
        if target > ps.active:
            for agent in [a for a in ps.agents if a.leaving][: target - ps.active]:
                agent.leaving = False
                ps.active += 1
                ps.refresh(agent)
                self._fill(agent)
            while ps.active < target:
                agent = Agent(self._next_agent, ps, now)
                self._next_agent += 1
                self._agent_pool.append(ps.index)
                ps.agents[agent] = None
                ps.active += 1
                ps.refresh(agent)
                self._fill(agent)
        elif target < ps.active:
            # Idle agents go first; busy ones finish their work, taking no more.
            by_load = sorted((a for a in ps.agents if not a.leaving),
                             key=lambda a: (a.free != ps.capacity, -a.since))
            for agent in by_load[: ps.active - target]:
                agent.leaving = True
                ps.active -= 1
                ps.refresh(agent)
                if agent.free == ps.capacity:
                    del ps.agents[agent]
        if len(ps.agents) != before or now == 0:
            self._staff_log.append((now, ps.index, len(ps.agents)))

    def _off_shift(self, ps: PoolState, agent: Agent) -> None:
        del ps.agents[agent]
        self._staff_log.append((self.env._now, ps.index, len(ps.agents)))

    # ---- output ------------------------------------------------------------------------
    def _records(self) -> Records:
        f = lambda xs, dt=float: np.asarray(xs, dtype=dt)
        pool = f(self.served_by, np.int16)
        channel = f(self.channel, np.int16)
        # Capacity share of a contact of each channel in each pool (its weight in occupancy);
        # the last row is for "no pool".
        share_table = np.array([[ps.need[k] / ps.capacity for k in range(len(self._queues))]
                                for ps in self.pools] + [[0.0] * len(self._queues)])
        state = f(self.state, np.int8)
        contacts = {
            "channel": channel,
            "origin": f(self.origin, np.int8),
            "journey": f(self.journey, np.int64),
            "arrival": f(self.arrival),
            "first_response": f(self.first_response),
            "left": f(self.left),
            "state": state,
            "pool": pool,
            "agent": f(self.agent_of, np.int32),
            "handle": f(self.handle),
            "patience": f(self.patience),
            "expectation": f(self.expectation),
            "reach": f(self.reach),
            "negative": f(self.negative, bool),
            "needs_secure": f(self.needs_secure, bool),
            "forced": f(self.forced, bool),
            "parent": f(self.parent, np.int64),
            "pileons": f(self.pileons, np.int64),
            "silent": f(self.silent, bool),
            "upset_u": f(self.upset_u),
        }
        # Slot use: closed stretches, then those still open when the run stopped.
        open_ = np.flatnonzero(state == SERVING)
        seg_contact = np.concatenate([np.frombuffer(self._seg_contact, np.int64), open_])
        seg_agent = np.concatenate([np.frombuffer(self._seg_agent, np.int64),
                                    f(self.agent_of, np.int64)[open_]])
        agent_pool = np.asarray(self._agent_pool + [-1], dtype=np.int16)
        seg_pool = agent_pool[seg_agent]
        segments = {
            "contact": seg_contact,
            "agent": seg_agent,
            "pool": seg_pool,
            "start": np.concatenate([np.frombuffer(self._seg_start, float),
                                     f(self.slot_since)[open_]]),
            "end": np.concatenate([np.frombuffer(self._seg_end, float),
                                   np.full(len(open_), np.nan)]),
            "share": share_table[seg_pool, channel[seg_contact]],
        }
        log = np.asarray(self._staff_log, dtype=float).reshape(-1, 3)
        staffing = {"time": log[:, 0], "pool": log[:, 1].astype(np.int16),
                    "agents": log[:, 2].astype(np.int32)}
        return Records(contacts, staffing, segments, tuple(p.name for p in self.scenario.pools),
                       tuple(c.name for c in self.scenario.channels), self.env.now)
