"""Routing policies: which waiting contact an agent takes, and how pools are organised.

``Siloed`` keeps the configured pools (one per channel in the shipped scenarios) and serves
each agent's channels first come, first served. ``UnifiedText`` merges every pool that
serves only text channels into one pool that serves all of them from a single FCFS queue,
at the same headcount: the pooling question care leaders ask about social, chat and email.
``Blended`` lets voice agents take text when no call waits, keeping a reserve for calls.
``Priority``, ``EarliestDeadline`` and ``CMu`` order the channels an agent can serve by a
static rank, by deadline (arrival + target) and by cost x service rate. Agent selection is
its own strategy: ``LongestIdle`` (default) or ``MostProficient``.
"""

from __future__ import annotations

import math
from typing import Iterable, Protocol, Sequence

from ..scenario import Mode, Pool, Scenario
from .base import AgentSelection, AgentView, ModelView


class LongestIdle:
    """Give the contact to the agent whose last assignment or release is oldest.

    Each pool offers its agent that has had room for the channel longest; among those the
    oldest ``since`` wins, which for single-contact voice work is the longest-idle agent
    (the common fairness rule in contact centres).
    """

    def bind(self, model: ModelView) -> None:
        pass

    def choose(self, channel: int, candidates: Sequence[AgentView]) -> AgentView:
        return min(candidates, key=lambda a: a.since) if len(candidates) > 1 else candidates[0]


class MostProficient:
    """Give the contact to an agent of the pool that handles its channel fastest.

    Lowest handle-time multiplier (proficiency x tool quality) wins; ties go to the longest
    idle. Fast agents get more work: shorter handle times, less even occupancy.
    """

    def bind(self, model: ModelView) -> None:
        names = [c.name for c in model.scenario.channels]
        self._factor = [[p.skills.get(c, math.inf) * p.tool_quality for c in names]
                        for p in model.scenario.pools]

    def choose(self, channel: int, candidates: Sequence[AgentView]) -> AgentView:
        return min(candidates, key=lambda a: (self._factor[a.pool][channel], a.since))


class Organisation(Protocol):
    """How configured pools are organised for a run (before any policy is bound)."""

    def organise(self, scenario: Scenario) -> Scenario: ...


class Silos:
    """The pools as configured (one per channel in the shipped scenarios)."""

    def organise(self, scenario: Scenario) -> Scenario:
        return scenario


class UnifiedTextPool:
    """Merge every pool that serves only text channels into one pool, at equal headcount.

    Each channel keeps its proficiency and concurrency (the best one among the merged pools
    if several had it); merged pools must share one tool quality.

    Parameters
    ----------
    name : str
        Name of the merged pool.
    """

    def __init__(self, name: str = "text") -> None:
        self.name = name

    def organise(self, scenario: Scenario) -> Scenario:
        modes = {c.name: c.mode for c in scenario.channels}
        text = [p for p in scenario.pools if all(modes[ch].is_text for ch in p.skills)]
        if len(text) < 2:
            return scenario
        skills: dict[str, float] = {}
        concurrency: dict[str, int] = {}
        for p in text:
            for ch, prof in p.skills.items():
                skills[ch] = min(prof, skills.get(ch, math.inf))
                concurrency[ch] = max(p.slots(ch), concurrency.get(ch, 1))
        members = {m: n for p in text for m, n in p.members.items()}
        tools = {p.tool_quality for p in text}
        if len(tools) > 1:
            raise ValueError(f"cannot merge text pools with different tool_quality {sorted(tools)}:"
                             " a unified team works on one set-up; set them equal")
        merged = Pool(self.name, skills, concurrency, sum(members.values()), members,
                      tools.pop())
        rest = tuple(p for p in scenario.pools if p not in text)
        if any(p.name == self.name for p in rest):
            raise ValueError(f"routing.organisation.name={self.name!r} clashes with a pool")
        return scenario.with_pools(rest + (merged,))


class FCFS:
    """First come, first served across the channels an agent can take.

    Parameters
    ----------
    agent_selection : AgentSelection, optional
        Which agent gets an arriving contact; default :class:`LongestIdle`.
    organisation : Organisation, optional
        How the configured pools are organised for the run; default :class:`Silos`.
    """

    def __init__(self, agent_selection: AgentSelection | None = None,
                 organisation: Organisation | None = None) -> None:
        self.agent_selection = agent_selection or LongestIdle()
        self.organisation = organisation or Silos()
        self.model: ModelView | None = None
        self._channels: list[tuple[int, ...]] = []

    def organise(self, scenario: Scenario) -> Scenario:
        return self.organisation.organise(scenario)

    def bind(self, model: ModelView) -> None:
        self.model = model
        self.agent_selection.bind(model)
        index = {c.name: k for k, c in enumerate(model.scenario.channels)}
        self._channels = [tuple(index[c] for c in p.skills) for p in model.scenario.pools]
        self._delay = [[p.delay.get(c.name, 0.0) for c in model.scenario.channels]
                       for p in model.scenario.pools]

    def eligible_head(self, agent: AgentView, k: int) -> int | None:
        """The head of queue ``k`` if ``agent`` may take it now (room; overflow delay passed)."""
        if not agent.has_room(k):
            return None
        j = self.model.head(k)
        if j is not None and self._delay[agent.pool][k]:
            if self.model.now - self.model.arrival[j] < self._delay[agent.pool][k]:
                return None
        return j

    def next_contact(self, agent: AgentView) -> int | None:
        channels = self._channels[agent.pool]
        if (len(channels) == 1 and not self._delay[agent.pool][channels[0]]
                and type(self).candidates is FCFS.candidates):
            # One queue, no overflow delay, heads only: its head if the agent has room (the
            # hot path of every siloed pool).
            k = channels[0]
            return self.model.head(k) if agent.has_room(k) else None
        best, best_key = None, (math.inf,)
        for k in channels:
            for j in self.candidates(agent, k):
                key = self.key(j, k, agent)
                if key < best_key:
                    best, best_key = j, key
        return best

    def candidates(self, agent: AgentView, channel: int) -> Iterable[int]:
        """The contacts of ``channel``'s queue the rule compares for ``agent`` (its head)."""
        j = self.eligible_head(agent, channel)
        return () if j is None else (j,)

    def key(self, contact: int, channel: int, agent: AgentView) -> tuple[float, ...]:
        """Rank of a candidate for ``agent``: the smallest key is served first."""
        return (self.model.arrival[contact],)


class Siloed(FCFS):
    """A dedicated pool per channel as configured, each serving its queue FCFS."""


class UnifiedText(FCFS):
    """One pool serves every text channel from one FCFS queue; voice keeps its own pool.

    FCFS with the :class:`UnifiedTextPool` organisation.

    Parameters
    ----------
    name : str
        Name of the merged pool.
    agent_selection : AgentSelection, optional
        As for :class:`FCFS`.
    """

    def __init__(self, name: str = "text", agent_selection: AgentSelection | None = None) -> None:
        super().__init__(agent_selection, UnifiedTextPool(name))


def _channel_index(scenario: Scenario, names: Sequence[str], key: str) -> list[int]:
    known = [c.name for c in scenario.channels]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"{key} names unknown channel(s) {unknown}; channels: {', '.join(known)}")
    return [known.index(n) for n in names]


class Priority(FCFS):
    """Static priority: an agent takes the first channel in ``order`` that has a waiting
    contact it can serve (non-preemptive), FCFS within a channel.

    Parameters
    ----------
    order : list of str
        Channel names, highest priority first; channels not listed come after, FCFS.
    """

    def __init__(self, order: Sequence[str], agent_selection: AgentSelection | None = None,
                 organisation: Organisation | None = None) -> None:
        super().__init__(agent_selection, organisation)
        self.order = list(order)

    def bind(self, model: ModelView) -> None:
        super().bind(model)
        ranked = _channel_index(model.scenario, self.order, "routing.order")
        n = len(model.scenario.channels)
        self._rank = [ranked.index(k) if k in ranked else n for k in range(n)]

    def key(self, contact: int, channel: int, agent: AgentView) -> tuple[float, ...]:
        return (self._rank[channel], self.model.arrival[contact])


class EarliestDeadline(FCFS):
    """Earliest deadline first, deadline = arrival + the channel's response-time target.

    A tweet (30 min target) that arrived 25 min ago goes before an email (24 h) that arrived
    an hour ago. Within a channel this is FCFS.
    """

    def bind(self, model: ModelView) -> None:
        super().bind(model)
        self._target = [c.target_min for c in model.scenario.channels]

    def key(self, contact: int, channel: int, agent: AgentView) -> tuple[float, ...]:
        return (self.model.arrival[contact] + self._target[channel],)


class CMu(FCFS):
    """The generalized c-mu rule: serve the waiting contact with the highest cost weight x
    service rate (contacts per minute of this agent), FCFS among equals.

    With ``reputation`` on, a public post's weight is multiplied by
    ``1 + reach_weight * log10(1 + reach) + negative_weight * negative``: the author's
    followers and whether the post is a complaint, so the most visible, angriest posts go
    first (within public channels the whole queue is searched, not just its head).

    Parameters
    ----------
    weights : dict of str to float
        Cost weight per channel name (default 1 for channels not listed).
    reputation : bool
        Weight public posts by reach and negativity.
    reach_weight, negative_weight : float
        Strength of the two reputation terms.
    """

    def __init__(self, weights: dict[str, float] | None = None, reputation: bool = False,
                 reach_weight: float = 0.5, negative_weight: float = 1.0,
                 agent_selection: AgentSelection | None = None,
                 organisation: Organisation | None = None) -> None:
        super().__init__(agent_selection, organisation)
        self.weights = dict(weights or {})
        for name, w in self.weights.items():
            if not (math.isfinite(w) and w > 0):
                raise ValueError(f"routing.weights.{name}={w} must be > 0")
        self.reputation = reputation
        self.reach_weight, self.negative_weight = reach_weight, negative_weight

    def bind(self, model: ModelView) -> None:
        super().bind(model)
        channels = model.scenario.channels
        _channel_index(model.scenario, list(self.weights), "routing.weights")
        # c_k * mu_{pool,k}: weight / (mean handle x the pool's handle-time multiplier).
        self._cmu = [[self.weights.get(c.name, 1.0)
                      / (c.handle.mean * p.skills.get(c.name, math.inf) * p.tool_quality)
                      for c in channels] for p in model.scenario.pools]
        self._public = [self.reputation and c.public for c in channels]

    def _boost(self, j: int) -> float:
        m = self.model
        return 1.0 + self.reach_weight * math.log10(1.0 + m.reach[j]) + (
            self.negative_weight * m.negative[j])

    def candidates(self, agent: AgentView, channel: int) -> Iterable[int]:
        if not self._public[channel] or self.eligible_head(agent, channel) is None:
            return super().candidates(agent, channel)
        # Reputation: any waiting public post may be the most urgent, not just the oldest.
        model, delay = self.model, self._delay[agent.pool][channel]
        return [j for j in model.queue(channel)
                if model.is_waiting(j) and model.now - model.arrival[j] >= delay]

    def key(self, contact: int, channel: int, agent: AgentView) -> tuple[float, ...]:
        weight = self._cmu[agent.pool][channel]
        if self._public[channel]:
            weight *= self._boost(contact)
        return (-weight, self.model.arrival[contact])


class Blended(FCFS):
    """Call blending with a threshold: voice agents also serve text when no call waits,
    keeping at least ``reserve`` voice agents idle for arriving calls.

    Every pool whose skills are all voice channels gains a skill for each of ``channels``
    (default: every text channel) at ``text_proficiency``, one text contact at a time.
    A voice agent always takes a waiting call first; it takes text only if no call waits and
    at least ``reserve`` other voice agents of its pool would still be idle. Text pools work
    FCFS as usual.

    Parameters
    ----------
    reserve : int
        Idle voice agents kept for calls (the threshold k).
    channels : list of str, optional
        Text channels voice agents may take.
    text_proficiency : float
        Handle-time multiplier of voice agents on text (1 = as fast as text specialists).
    """

    def __init__(self, reserve: int = 2, channels: Sequence[str] | None = None,
                 text_proficiency: float = 1.0,
                 agent_selection: AgentSelection | None = None) -> None:
        super().__init__(agent_selection)
        if int(reserve) != reserve or reserve < 0:
            raise ValueError(f"routing.reserve={reserve} must be an integer >= 0")
        if not (math.isfinite(text_proficiency) and text_proficiency > 0):
            raise ValueError(f"routing.text_proficiency={text_proficiency} must be > 0")
        self.reserve, self.text_proficiency = int(reserve), text_proficiency
        self.channels = None if channels is None else list(channels)

    def organise(self, scenario: Scenario) -> Scenario:
        text = [c.name for c in scenario.channels if c.mode.is_text]
        chosen = text if self.channels is None else self.channels
        _channel_index(scenario, chosen, "routing.channels")
        bad = [c for c in chosen if c not in text]
        if bad:
            raise ValueError(f"routing.channels {bad} are not text channels; text: {text}")
        modes = {c.name: c.mode for c in scenario.channels}
        pools = []
        for p in scenario.pools:
            if all(modes[ch] is Mode.VOICE for ch in p.skills):
                skills = {**p.skills, **{c: self.text_proficiency for c in chosen}}
                p = Pool(p.name, skills, dict(p.concurrency), p.agents, p.members, p.tool_quality)
            pools.append(p)
        return scenario.with_pools(tuple(pools))

    def bind(self, model: ModelView) -> None:
        super().bind(model)
        channels = model.scenario.channels
        # Per pool, the voice channels it serves: only their calls hold its agents back.
        self._voice = [[k for k in ks if channels[k].mode is Mode.VOICE] for ks in self._channels]

    def next_contact(self, agent: AgentView) -> int | None:
        voice = self._voice[agent.pool]
        if not voice or len(voice) == len(self._channels[agent.pool]):
            return super().next_contact(agent)  # a text pool, or a voice pool with no text
        model = self.model
        calls = [(model.arrival[j], j) for k in voice
                 if (j := self.eligible_head(agent, k)) is not None]
        if calls:
            return min(calls)[1]
        if any(model.waiting(k) for k in voice):
            return None
        # Idle voice agents other than this one must stay >= reserve after it takes text.
        idle_others = model.available(agent.pool, voice[0]) - (
            1 if agent.has_room(voice[0]) else 0)
        if idle_others < self.reserve:
            return None
        return super().next_contact(agent)
