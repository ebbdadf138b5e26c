"""Routing policies: which waiting contact an agent takes, and how pools are organised.

``Siloed`` keeps the configured pools (one per channel in the shipped scenarios) and serves
each agent's channels first come, first served. ``UnifiedText`` merges every pool that
serves only text channels into one pool that serves all of them from a single FCFS queue,
at the same headcount: the pooling question care leaders ask about social, chat and email.
"""

from __future__ import annotations

import math
from typing import Sequence

from ..scenario import Mode, Pool, Scenario
from .base import AgentSelection, AgentView, ModelView


class LongestIdle:
    """Give the contact to the agent whose last assignment or release is oldest.

    Each pool offers its agent that has had room for the channel longest; among those the
    oldest ``since`` wins, which for single-contact voice work is the longest-idle agent
    (the common fairness rule in contact centres).
    """

    def choose(self, channel: int, candidates: Sequence[AgentView]) -> AgentView:
        return min(candidates, key=lambda a: a.since) if len(candidates) > 1 else candidates[0]


class FCFS:
    """First come, first served across the channels an agent can take.

    Parameters
    ----------
    agent_selection : AgentSelection, optional
        Which agent gets an arriving contact; default :class:`LongestIdle`.
    """

    def __init__(self, agent_selection: AgentSelection | None = None) -> None:
        self.agent_selection = agent_selection or LongestIdle()
        self.model: ModelView | None = None
        self._channels: list[tuple[int, ...]] = []

    def organise(self, scenario: Scenario) -> Scenario:
        return scenario

    def bind(self, model: ModelView) -> None:
        self.model = model
        index = {c.name: k for k, c in enumerate(model.scenario.channels)}
        self._channels = [tuple(index[c] for c in p.skills) for p in model.scenario.pools]

    def next_contact(self, agent: AgentView) -> int | None:
        model = self.model
        best, best_t = None, math.inf
        for k in self._channels[agent.pool]:
            if agent.has_room(k):
                j = model.head(k)
                if j is not None and model.arrival[j] < best_t:
                    best, best_t = j, model.arrival[j]
        return best


class Siloed(FCFS):
    """A dedicated pool per channel as configured, each serving its queue FCFS."""


class UnifiedText(FCFS):
    """One pool serves every text channel from one FCFS queue; voice keeps its own pool.

    Every configured pool whose skills are all text channels is merged into a pool named
    ``name`` with the summed headcount; each channel keeps its proficiency and concurrency
    (the best one among the merged pools if several had it).

    Parameters
    ----------
    name : str
        Name of the merged pool.
    agent_selection : AgentSelection, optional
        As for :class:`FCFS`.
    """

    def __init__(self, name: str = "text", agent_selection: AgentSelection | None = None) -> None:
        super().__init__(agent_selection)
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
            raise ValueError(f"routing.name={self.name!r} clashes with a configured pool")
        return scenario.with_pools(rest + (merged,))


__all__ = ["FCFS", "LongestIdle", "Siloed", "UnifiedText", "Mode"]
