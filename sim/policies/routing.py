"""Routing policies, agent selection and pool organisation: three separate choices.

A run's routing is three things, each configured on its own and handed to the engine:

- the **rule** (:class:`~sim.policies.base.Routing`), which waiting contact an agent with
  room takes: :class:`FCFS` (first come, first served), :class:`Priority` (a static rank of
  channels), :class:`EarliestDeadline` (arrival + target), :class:`CMu` (cost x service
  rate, optionally weighted by a public post's reach and negativity), :class:`Blended`
  (voice agents take text when no call waits, keeping a reserve);
- the **organisation** of the pools (:class:`~sim.policies.base.Organisation`):
  :class:`Silos` as configured, :class:`UnifiedTextPool` (every text pool merged into one,
  at equal headcount: the pooling question), :class:`BlendedPools` (voice agents also
  skilled for text);
- **agent selection** (:class:`~sim.policies.base.AgentSelection`): :class:`LongestIdle`
  or :class:`MostProficient`.

A rule that orders channels matters only where one pool serves several channels: under
silos each pool has one queue, and only the order within it (``candidates`` beyond the
head) can change anything.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Iterable, Sequence

from ..errors import InvalidValue
from ..scenario import Mode, Pool, Scenario
from .base import (AgentSelection, AgentView, ContactView, ModelView, Organisation, Routing)

__all__ = ["BlendedPools", "Blended", "CMu", "EarliestDeadline", "FCFS", "LongestIdle",
           "MostProficient", "Priority", "Silos", "UnifiedTextPool"]


# ---- agent selection ---------------------------------------------------------------------
class LongestIdle(AgentSelection):
    """Give the contact to the agent whose last assignment or release is oldest.

    Each pool offers its agent that has had room for the channel longest; among those the
    oldest ``since`` wins, which for single-contact voice work is the longest-idle agent
    (the common fairness rule in contact centres).
    """

    def choose(self, channel: int, candidates: Sequence[AgentView]) -> AgentView:
        return min(candidates, key=lambda a: a.since)


class MostProficient(AgentSelection):
    """Give the contact to an agent of the pool that handles its channel fastest.

    Lowest handle-time multiplier (proficiency x tool quality) wins; ties go to the longest
    idle. Fast agents get more work: shorter handle times, less even occupancy.
    """

    def bind(self, model: ModelView) -> None:
        super().bind(model)
        names = [c.name for c in model.scenario.channels]
        self._factor = [[p.skills.get(c, math.inf) * p.tool_quality for c in names]
                        for p in model.scenario.pools]

    def choose(self, channel: int, candidates: Sequence[AgentView]) -> AgentView:
        return min(candidates, key=lambda a: (self._factor[a.pool][channel], a.since))


# ---- organisation ------------------------------------------------------------------------
class Silos(Organisation):
    """The pools as configured (one per channel in the shipped scenarios)."""


class UnifiedTextPool(Organisation):
    """Merge every pool that serves only text channels into one pool, at equal headcount.

    Each channel keeps its proficiency and concurrency (the best one among the merged pools
    if several had it); merged pools must share one tool quality. The team's hourly cost and
    shrinkage are the merged pools' averaged by headcount (equally when none has agents).

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
        tools = sorted({p.tool_quality for p in text})
        if len(tools) > 1:
            raise InvalidValue("organisation", "unified_text",
                               f"cannot merge text pools with different tool_quality {tools}: "
                               "a unified team works on one set-up; set them equal")
        heads = [p.agents for p in text] if any(p.agents for p in text) else [1] * len(text)
        average = lambda values: sum(h * v for h, v in zip(heads, values)) / sum(heads)
        merged = Pool(self.name, skills, concurrency, sum(members.values()), members, tools[0],
                      cost_per_hour=average([p.cost_per_hour for p in text]),
                      shrinkage=average([p.shrinkage for p in text]))
        rest = tuple(p for p in scenario.pools if p not in text)
        if any(p.name == self.name for p in rest):
            raise InvalidValue("name", self.name, "clashes with the name of a pool")
        return scenario.with_pools(rest + (merged,))


class BlendedPools(Organisation):
    """Voice agents also skilled for text: every pool whose skills are all voice channels
    gains a skill for each of ``channels`` (default: every text channel) at
    ``text_proficiency``, one text contact at a time.

    Parameters
    ----------
    channels : list of str, optional
        Text channels voice agents may take.
    text_proficiency : float
        Handle-time multiplier of voice agents on text (1 = as fast as text specialists).
    """

    def __init__(self, channels: Sequence[str] | None = None,
                 text_proficiency: float = 1.0) -> None:
        if not (_real(text_proficiency) and text_proficiency > 0):
            raise InvalidValue("text_proficiency", text_proficiency, "must be > 0")
        self.text_proficiency = float(text_proficiency)
        self.channels = None if channels is None else list(channels)

    def organise(self, scenario: Scenario) -> Scenario:
        text = [c.name for c in scenario.channels if c.mode.is_text]
        chosen = text if self.channels is None else self.channels
        _channel_index(scenario, chosen, "channels")
        bad = [c for c in chosen if c not in text]
        if bad:
            raise InvalidValue("channels", chosen, f"{bad} are not text channels; text: {text}")
        modes = {c.name: c.mode for c in scenario.channels}
        pools = []
        for p in scenario.pools:
            if all(modes[ch] is Mode.VOICE for ch in p.skills):
                # replace(): every other field (headcount, members, delays, fixed) kept.
                p = replace(p, skills={**p.skills, **{c: self.text_proficiency for c in chosen}})
            pools.append(p)
        return scenario.with_pools(tuple(pools))


# ---- rules -------------------------------------------------------------------------------
class FCFS(Routing):
    """First come, first served across the channels an agent can take (the base rule)."""


def _real(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _channel_index(scenario: Scenario, names: Sequence[str], key: str) -> list[int]:
    known = [c.name for c in scenario.channels]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidValue(key, list(names), f"names unknown channel(s) {unknown}; channels: "
                           + ", ".join(known))
    return [known.index(n) for n in names]


class Priority(Routing):
    """Static priority: an agent takes the first channel in ``order`` that has a waiting
    contact it can serve (non-preemptive), FCFS within a channel.

    Parameters
    ----------
    order : list of str
        Channel names, highest priority first; channels not listed come after, FCFS.
    """

    def __init__(self, order: Sequence[str]) -> None:
        if isinstance(order, str) or not all(isinstance(n, str) for n in order):
            # A string is a sequence too: 'twitter' would be the channels t, w, i...
            raise InvalidValue("order", order, "must be a list of channel names, highest "
                               "priority first, e.g. [twitter, facebook]")
        self.order = list(order)

    def bind(self, model: ModelView) -> None:
        super().bind(model)
        ranked = _channel_index(model.scenario, self.order, "order")
        n = len(model.scenario.channels)
        self._rank = [ranked.index(k) if k in ranked else n for k in range(n)]

    def key(self, contact: ContactView, agent: AgentView) -> tuple[float, float]:
        return (self._rank[contact.channel], contact.arrival_min)


class EarliestDeadline(Routing):
    """Earliest deadline first, deadline = arrival + the channel's response-time target.

    A tweet (30 min target) that arrived 25 min ago goes before an email (24 h) that arrived
    an hour ago. Within a channel this is FCFS.
    """

    def bind(self, model: ModelView) -> None:
        super().bind(model)
        self._target = [c.target_min for c in model.scenario.channels]

    def key(self, contact: ContactView, agent: AgentView) -> float:
        return contact.arrival_min + self._target[contact.channel]


class CMu(Routing):
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
                 reach_weight: float = 0.5, negative_weight: float = 1.0) -> None:
        self.weights = dict(weights or {})
        for name, w in self.weights.items():
            if not (_real(w) and w > 0):
                raise InvalidValue(f"weights.{name}", w, "must be > 0")
        self.reputation = reputation
        self.reach_weight, self.negative_weight = reach_weight, negative_weight

    def bind(self, model: ModelView) -> None:
        super().bind(model)
        channels = model.scenario.channels
        _channel_index(model.scenario, list(self.weights), "weights")
        # c_k * mu_{pool,k}: weight / (mean handle x the pool's handle-time multiplier).
        self._cmu = [[self.weights.get(c.name, 1.0)
                      / (c.handle.mean * p.skills.get(c.name, math.inf) * p.tool_quality)
                      for c in channels] for p in model.scenario.pools]
        self._public = [self.reputation and c.public for c in channels]

    def candidates(self, agent: AgentView, channel: int) -> Iterable[ContactView]:
        if not self._public[channel] or self.model.head(channel, agent) is None:
            return super().candidates(agent, channel)
        # Reputation: any waiting public post may be the most urgent, not just the oldest.
        return self.model.queue(channel, agent)

    def key(self, contact: ContactView, agent: AgentView) -> tuple[float, float]:
        weight = self._cmu[agent.pool][contact.channel]
        if self._public[contact.channel]:
            weight *= 1.0 + self.reach_weight * math.log10(1.0 + contact.reach) + (
                self.negative_weight * contact.negative)
        return (-weight, contact.arrival_min)


class Blended(Routing):
    """Call blending with a threshold: a voice agent who may also take text (organisation
    :class:`BlendedPools`) always takes a waiting call first, and takes text only if no call
    waits and at least ``reserve`` other voice agents of its pool would still be idle.
    Text pools work FCFS as usual.

    Parameters
    ----------
    reserve : int
        Idle voice agents kept for calls (the threshold k).
    """

    def __init__(self, reserve: int = 2) -> None:
        if isinstance(reserve, bool) or not isinstance(reserve, int) or reserve < 0:
            raise InvalidValue("reserve", reserve, "must be an integer >= 0")
        self.reserve = reserve

    def bind(self, model: ModelView) -> None:
        super().bind(model)
        channels = model.scenario.channels
        # Per pool, the voice channels it serves: only their calls hold its agents back.
        self._voice = [[k for k in ks if channels[k].mode is Mode.VOICE] for ks in self.channels]

    def next_contact(self, agent: AgentView) -> ContactView | None:
        voice = self._voice[agent.pool]
        if not voice or len(voice) == len(self.channels[agent.pool]):
            return super().next_contact(agent)  # a text pool, or a voice pool with no text
        model = self.model
        calls = [(c.arrival_min, c.id, c) for k in voice
                 if (c := model.head(k, agent)) is not None]
        if calls:
            return min(calls)[2]
        if any(model.waiting(k) for k in voice):
            return None
        # Idle voice agents other than this one must stay >= reserve after it takes text.
        idle_others = model.available(agent.pool, voice[0]) - (
            1 if agent.has_room(voice[0]) else 0)
        if idle_others < self.reserve:
            return None
        return super().next_contact(agent)
