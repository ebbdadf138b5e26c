"""One replication of a care operation: the contact lifecycle, wired to the engine's parts.

The :class:`Model` owns the clock and the life of each contact: arrival (and the pile-ons an
unanswered complaint may draw), abandonment, the end of service (where escalation policies
decide), follow-up contacts, and the staffing reviews. The parts do the rest:
:mod:`~sim.engine.dispatch` matches waiting contacts with agents, :mod:`~sim.engine.service`
runs the work, :mod:`~sim.engine.workforce` keeps the agents, :mod:`~sim.engine.recorder`
streams what finished. The model is also what policies see (:class:`ModelView`).
"""

from __future__ import annotations

import gc
import math
from typing import Callable, Iterable

import numpy as np

from ..errors import InvalidValue
from .. import selfservice
from ..customers import ESCALATION, RETRIAL, SELF_SERVICE, Customers
from ..policies.base import (AgentSelection, ContractError, EscalationPolicy, Routing,
                             Staffing)
from ..rng import Streams
from ..scenario import Scenario
from .clock import Clock, at, at_time
from .contacts import (ABANDONED, DONE, ESCALATED, UNHELPED, UNSEEN, WAITING, Contact,
                       ContactTable)
from .contacts import SELF_SERVICE as WITH_DOOR
from .dispatch import Dispatcher
from .followups import after_failure, follow_up, follow_up_pileons
from .recorder import Discard, Recorder, RecordSink, unchanged_fields
from .service import Service
from .workforce import Agent, PoolState, Workforce

#: Contacts a front door lets straight through: its own escalations, and those an agent
#: handed on (an escalation policy's transfer is not sent back to a bot).
_PAST_THE_DOOR = (SELF_SERVICE, ESCALATION)


class PolicyError(ValueError):
    """A policy refused the model it was bound to (bad parameters for this scenario)."""

    def __init__(self, group: str, message: str) -> None:
        self.group = group
        super().__init__(message)


class Model:
    """One replication of a care operation (the :class:`ModelView` policies see).

    Parameters
    ----------
    scenario : Scenario
        The operation, already organised (routing organisation, escalation).
    customers : Customers
        Exogenous contacts, sorted by arrival.
    routing, selection, staffing, escalation : policies
        Built, not yet bound; the model binds them.
    streams : Streams
        For contacts the model itself creates (escalations, retrials, switches and their
        pile-ons).
    sink : RecordSink or None
        Where finished contacts and segments go (None: nowhere, for a model that is only
        bound, never run).
    horizon_min : float
        Arrivals stop here.
    drain_min : float
        After the horizon, keep serving (staffed per schedule) until empty or this long.
    progress : callable, optional
        Called with the minutes simulated since the last call, at interval boundaries.
    """

    def __init__(self, scenario: Scenario, customers: Customers, routing: Routing,
                 selection: AgentSelection, staffing: Staffing, escalation: EscalationPolicy,
                 streams: Streams, sink: RecordSink | None, horizon_min: float,
                 drain_min: float = 0.0,
                 progress: Callable[[float], None] | None = None) -> None:
        self.scenario = scenario
        self.clock = Clock()
        self.env = self.clock.env
        self.horizon_min = horizon_min
        self.end_min = horizon_min + drain_min
        self.streams = streams
        self._progress = progress
        names = [c.name for c in scenario.channels]
        self._channel_index = {n: k for k, n in enumerate(names)}
        self.pools = [PoolState(i, p, names) for i, p in enumerate(scenario.pools)]
        self.workforce = Workforce(self.pools)
        self.table = ContactTable(customers)
        # The base policy resolves everything: no need to ask it (the result is the same).
        self._escalates = type(escalation).after_service is not EscalationPolicy.after_service
        self.recorder = Recorder(self.table, Discard() if sink is None else sink,
                                 self.workforce.agent_pool,
                                 unchanged=unchanged_fields(scenario, self._escalates))
        self.dispatch = Dispatcher(self, routing, selection)
        self.service = Service(self)
        self.dispatch.bind(self.service)
        self._release = self.service.release
        self._push, self._offer = self.dispatch.push, self.dispatch.offer
        # What policies see: the dispatcher's queues, the model's clock.
        self.head = self.dispatch.head
        self.queue = self.dispatch.waiting
        self.live: dict[int, Contact] = {}  # contacts in the system, by id
        # Unanswered public contacts that left the system: their exposure runs to the end
        # and, for those with pile-ons still to come, their pile-on count may still grow.
        self.kept: dict[int, Contact] = {}
        self._public = [c.public for c in scenario.channels]
        self._pending = 0  # follow-up contacts scheduled but not yet arrived
        # Potential pile-ons, by parent, in id order: of the drawn customers as ranges of
        # _kid_order, of the contacts the model creates as lists.
        parent = customers.parent[customers.n_roots:]
        order = np.argsort(parent, kind="stable")
        self._kid_order = order + customers.n_roots
        parents, starts = np.unique(parent[order], return_index=True)
        ends = np.append(starts[1:], len(order))
        self._kid_ranges = dict(zip(parents.tolist(), zip(starts.tolist(), ends.tolist())))
        self._kids_created: dict[int, list[int]] = {}
        self._overdue_after = [c.switch.after_min if c.switch else None
                               for c in scenario.channels]
        self._doors = [c.self_service for c in scenario.channels]
        self._listened = [c.listening is not None for c in scenario.channels]
        # Overflow: pools that take a channel only after a wait; re-offer when it elapses.
        self._wakeups = [sorted({p.delay[c] for p in scenario.pools if p.delay.get(c, 0) > 0})
                         for c in names]
        self._extra = max(c.exchanges for c in scenario.channels) - 1
        self._tick = 0
        self.routing, self.selection = routing, selection
        self.staffing, self.escalation = staffing, escalation
        review = staffing.review_min
        ticks = round(scenario.interval_min / review) if review else 1
        if review and (ticks < 1 or abs(ticks * review - scenario.interval_min) > 1e-9):
            err = InvalidValue("review_min", review,
                               f"must divide the {scenario.interval_min:g}-min interval")
            raise PolicyError("staffing", str(err)) from err
        self._ticks_per_interval = ticks
        for group, policy in (("routing", routing), ("agent_selection", selection),
                              ("staffing", staffing), ("escalation", escalation)):
            try:
                policy.bind(self)
            except ValueError as err:
                raise PolicyError(group, str(err)) from err

    # ---- what policies see (also head and queue, the dispatcher's) -----------------------
    @property
    def now(self) -> float:
        return self.env.now

    def waiting(self, channel: int) -> int:
        return self.dispatch.counts[channel]

    def available(self, pool: int, channel: int) -> int:
        return len(self.pools[pool].room[channel])

    def pool_agents(self, pool: int) -> Iterable[Agent]:
        return iter(self.pools[pool].agents)

    # ---- running -----------------------------------------------------------------------
    def run(self) -> float:
        """Simulate; the recorder's sink gets everything. Returns when it stopped (min)."""
        self._staffing_tick(None)
        self.clock.stream(self._arrive, self.table.roots())
        # The cyclic garbage collector is paused while the events run: the engine makes no
        # reference cycles (contacts, events and their arguments are freed by reference
        # counting as they go), yet its generational passes, triggered by every few hundred
        # new contacts and events, would re-scan every object of the process (the config
        # framework, pandas...) again and again: a quarter of the run's time.
        paused = gc.isenabled()
        gc.disable()
        try:
            self.clock.run(self.end_min)
        finally:
            if paused:
                gc.enable()
        end = self.env.now
        self.recorder.close([*self.live.values(), *self.kept.values()], self.workforce.log,
                            end)
        self.live.clear()
        self.kept.clear()
        self.table.clear()
        return end

    def _kids(self, i: int) -> list[int]:
        """Potential pile-ons of contact ``i``, in id order."""
        if i >= self.table.n:
            return self._kids_created.pop(i, [])
        span = self._kid_ranges.pop(i)
        return self._kid_order[span[0]:span[1]].tolist()

    def _arrive(self, c: Contact) -> None:
        env = self.env
        k = c.channel
        if self._doors[k] is not None and c.origin not in _PAST_THE_DOOR:
            self._enter_door(c)
            return
        if c.id in self._kid_ranges or c.id in self._kids_created:
            for kid in self._kids(c.id):
                at_time(env, self.table.get("arrival_min", kid), self._pile_on, kid)
        after = self._overdue_after[k]
        if after is not None:
            at(env, after, self._overdue, c)
        self.live[c.id] = c
        if self._listened[k] and self.table.get("untagged", c.id):
            # Public and unanswered from now (pile-ons, exposure and patience run), but in
            # no queue until the listening finds it, if it ever does.
            c.state = UNSEEN
            found = self.table.get("discovery_min", c.id)
            if found < math.inf:
                at(env, found, self._found, c)
            if c.patience_min < math.inf:
                at(env, c.patience_min, self._abandon, c)
            return
        self._join(c)

    def _found(self, c: Contact) -> None:
        """The listening found the untagged post ``c``: it joins its channel's queue."""
        if c.state != UNSEEN:
            return  # it left meanwhile
        c.state = WAITING
        c.found_min = self.env.now
        self._join(c, patience=False)  # its patience has run since it was posted

    def _join(self, c: Contact, patience: bool = True) -> None:
        """``c`` joins its channel's queue: taken at once if an agent may, else it waits
        (and, with ``patience``, its patience starts)."""
        env, k = self.env, c.channel
        self._push(c)
        self._offer(k)
        if c.state == WAITING:
            if patience and c.patience_min < math.inf:
                at(env, c.patience_min, self._abandon, c)
            for delay in self._wakeups[k]:
                at(env, delay, self._reoffer, k)

    def _enter_door(self, c: Contact) -> None:
        """``c`` meets its channel's self-service front door (sim/selfservice.py): no agent,
        no queue, no patience clock until it is over."""
        c.state = WITH_DOOR
        c.door = selfservice.IN_PROGRESS
        self.live[c.id] = c
        at(self.env, self.table.get("bot_min", c.id), self._leave_door, c)

    def _leave_door(self, c: Contact) -> None:
        """The front door is done with ``c``: contained, escalated to the queue (a new
        contact of the journey, now), or abandoned."""
        k = c.channel
        door = self._doors[k]
        c.door = outcome = door.outcome(self.table.get("bot_u", c.id),
                                        self.table.get("needs_secure", c.id))
        c.left_min = self.env.now
        del self.live[c.id]
        if outcome == selfservice.ESCALATED:
            c.state = ESCALATED
            self._spawn(c, self.scenario.channels[k].name, SELF_SERVICE, 0.0,
                        door.handle_factor)
        elif outcome == selfservice.CONTAINED:
            c.state = DONE
        else:  # abandoned, or contained without being helped: back as after a failure
            c.state = ABANDONED if outcome == selfservice.ABANDONED else UNHELPED
            self._follow_up(c, abandoned=True)
        self._leave(c)

    def _pile_on(self, kid: int) -> None:
        """A potential pile-on's moment: it is posted if its parent is still unanswered."""
        p = self.table.get("parent", kid)
        parent = self.live.get(p) or self.kept.get(p)  # gone otherwise: it was answered
        if parent is not None and math.isnan(parent.first_response_min):
            parent.pileons += 1
            self._arrive(self.table.contact(kid, kid))

    def _reoffer(self, channel: int) -> None:
        self.dispatch.offer(channel)

    def _overdue(self, c: Contact) -> None:
        """An async contact reached its channel's switch limit: unanswered, it is a failure."""
        if math.isnan(c.first_response_min):
            self._follow_up(c, abandoned=False)

    def _follow_up(self, c: Contact, abandoned: bool) -> None:
        """After a failure of ``c``: retry, switch channel, or give up."""
        ch = self.scenario.channels[c.channel]
        then = after_failure(ch, c.failure_u, abandoned)
        if then is not None:
            delay = float(then.delay.sample(self.streams(then.stream), 1)[0])
            self._spawn(c, then.channel, then.origin, delay)

    def _abandon(self, c: Contact) -> None:
        state = c.state
        if state != WAITING and state != UNSEEN:
            return  # answered (or gone) before its patience ran out
        k = c.channel
        c.left_min = self.env.now
        queued = state == WAITING  # else a post nobody had found: in no queue
        if queued and c.silent_u < self.scenario.channels[k].silent_share:
            # Nobody learns of it: the contact stays queued until an agent finds it gone.
            c.silent = True
        else:
            c.state = ABANDONED
            if queued:
                self.dispatch.counts[k] -= 1
            del self.live[c.id]
        self._follow_up(c, abandoned=True)
        if not c.silent:
            if queued:
                # A policy may hold agents back while a queue is non-empty (e.g. keep voice
                # agents for waiting calls): a departure can free them for other work.
                self.dispatch.offer_all()
            self._leave(c)

    def finish(self, served: tuple[Agent, Contact]) -> None:
        """The last reply of contact ``c`` by ``agent``, ``served = (agent, c)``, is done:
        resolve or escalate it, free the slot. (One tuple: it is the argument of the
        completion event, called directly.)"""
        agent, c = served
        del self.live[c.id]
        if c.silent:  # the agent found the silent abandoner gone
            c.state = ABANDONED
            self._release(agent, c)
            self._leave(c)
            return
        c.left_min = self.env.now
        escalation = self.escalation.after_service(c) if self._escalates else None
        if escalation is None:
            c.state = DONE
        else:
            c.state = ESCALATED
            if not isinstance(escalation.forced, (bool, np.bool_)):
                raise ContractError("escalation", self.escalation,
                                    f"after_service() returned forced={escalation.forced!r}; "
                                    "it must be True or False")
            c.forced = escalation.forced
            if escalation.channel is not None:
                c.handed = True
                self._spawn(c, escalation.channel, ESCALATION, escalation.delay_min)
        self._release(agent, c)
        self._leave(c)

    def _leave(self, c: Contact) -> None:
        """``c`` left the system: to the recorder, unless its exposure still runs."""
        if self._public[c.channel] and math.isnan(c.first_response_min):
            self.kept[c.id] = c
        else:
            self.recorder.finished(c)

    def _spawn(self, parent: Contact, channel: str, origin: int, delay_min: float,
               handle_factor: float = 1.0) -> None:
        """Create a follow-up contact of ``parent``'s journey in ``channel``, arriving
        ``delay_min`` from now, with the potential pile-ons it may cause (its handle time
        times ``handle_factor``)."""
        if channel not in self._channel_index:
            raise ContractError("escalation", self.escalation,
                                f"escalated to {channel!r}, which is not a channel")
        now = self.env.now
        if now + delay_min >= self.end_min:
            return  # it would come after the run ends
        k = self._channel_index[channel]
        ch = self.scenario.channels[k]
        # A retrial after a front door's hand-over carries the customer's own work content:
        # it meets the door again, and its escalation scales it once.
        undo = (self._doors[k].handle_factor
                if origin == RETRIAL and parent.origin == SELF_SERVICE else None)
        row = follow_up(ch, k, self.streams, self._extra, origin, parent, now + delay_min,
                        undo, handle_factor)
        i = self.table.add(row)
        for kid in follow_up_pileons(ch, k, self.streams, self._extra, origin, i, row,
                                     self.horizon_min):
            self._kids_created.setdefault(kid["parent"], []).append(self.table.add(kid))
        c = self.table.contact(i, parent.journey)
        if delay_min > 0:
            self._pending += 1
            at(self.env, delay_min, self._arrive_later, c)
        else:
            self._arrive(c)

    def _arrive_later(self, c: Contact) -> None:
        self._pending -= 1
        self._arrive(c)

    # ---- staffing ----------------------------------------------------------------------
    def _staffing_tick(self, _: None) -> None:
        """Ask the staffing policy for every pool's headcount: at each interval boundary, and
        every ``review_min`` in between for policies that react to the live state."""
        now = self.env.now
        interval, step = divmod(self._tick, self._ticks_per_interval)
        self._tick += 1
        for ps in self.pools:
            target = self.staffing.agents(ps.pool.name, interval)
            if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or target < 0:
                raise ContractError("staffing", self.staffing,
                                    f"agents({ps.pool.name!r}, {interval}) returned {target!r};"
                                    " it must be a whole number of agents >= 0")
            self.workforce.restaff(ps, int(target), now, self.dispatch.fill)
        if self._progress is not None and step == 0 and 0 < now <= self.horizon_min:
            self._progress(self.scenario.interval_min)
        delay = self.scenario.interval_min / self._ticks_per_interval
        idle = not self.live and self._pending == 0
        if now >= self.horizon_min and (idle or now + delay > self.end_min):
            return
        at(self.env, delay, self._staffing_tick)

