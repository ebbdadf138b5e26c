"""From a staffing policy's requirement to a roster the simulation says meets the goal.

:func:`requirements` reads the agents a staffing policy (Erlang C or A, the staffing search
of :mod:`sim.optimize`, or a shift table file) puts on the floor in each slot of the week;
:func:`plan` solves a roster per pool (:func:`sim.roster.solve.solve_pool`), simulates it
with breaks taking agents off the floor, and where a channel misses the goal in a block of
the week requires one agent more on the floor there than the roster had, in the pools
serving it, and solves again, until the goal holds everywhere or ``max_rounds`` rounds are
spent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import yaml

from ..arrivals import MIN_PER_WEEK
from ..errors import ConfigError
from ..optimize.blocks import Blocks
from ..optimize.evaluation import block_service_levels
from ..optimize.pools import constrained_channels, searched_pools, split_members
from ..policies.staffing import ErlangA, ErlangC, Schedule
from ..replications import Results, Setup, build_model, run_replications
from ..scenario import Scenario
from .rules import Rules
from .solve import PoolRoster, open_slots, solve_pool

__all__ = ["Plan", "Round", "plan", "requirements", "schedule"]

def _per_slot(values: list[int], step: int, slots: int) -> np.ndarray:
    """Values per interval (a day or a week, repeated) as values per slot of the week."""
    per_slot = np.repeat(np.asarray(values, int), step)
    return np.resize(per_slot, slots)


def requirements(setup: Setup, source: str, rules: Rules, goal: float,
                 search: Callable[[Setup], dict[str, list[int]]] | None = None,
                 ) -> tuple[Scenario, dict[str, np.ndarray]]:
    """Agents required on the floor per searched pool and slot of the week.

    Parameters
    ----------
    setup : Setup
        The scenario and policies (its staffing is not used).
    source : str
        ``erlang_c`` or ``erlang_a`` (the policy at ``service_level=goal``, asked for every
        interval of the week), ``optimize`` (``search(setup)``: the staffing search's shift
        table), or a path to a ``Schedule`` file (``agents:`` per configured pool).
    rules : Rules
        For the slot length.
    goal : float
        Share answered within target the Erlang policies size for.

    Returns
    -------
    (scenario, required)
        The organised scenario, and per searched (running) pool the agents per slot.
    """
    if source in ("erlang_c", "erlang_a"):
        policy = (ErlangC if source == "erlang_c" else ErlangA)(service_level=goal)
        factory = lambda: policy  # noqa: E731 - the one bound policy, asked below
    elif source == "optimize":
        if search is None:
            raise ConfigError("roster.requirements", source, "needs the staffing search")
        factory = partial(Schedule, search(setup))
    else:
        factory = partial(Schedule, **_read_table(Path(source)))
    try:
        model = build_model(replace(setup, staffing=factory), 0)
    except ValueError as err:
        raise ConfigError("roster.requirements", source, f"does not fit the scenario: {err}"
                          ) from None
    scenario, policy = model.scenario, model.staffing
    interval = scenario.interval_min
    step = round(interval / rules.granularity_min)
    if step < 1 or abs(step * rules.granularity_min - interval) > 1e-9:
        raise ConfigError("roster.granularity", rules.granularity_min,
                          f"must divide the scenario's {interval:g}-min interval")
    per_week = round(MIN_PER_WEEK / interval)
    slots = per_week * step
    out = {}
    for pool in searched_pools(scenario):
        out[pool.name] = _per_slot([policy.agents(pool.name, i) for i in range(per_week)],
                                   step, slots)
    return scenario, out


def _read_table(path: Path) -> dict:
    """The ``agents`` (and ``slot_min``) of a Schedule file."""
    key = "roster.requirements"
    if not path.is_file():
        raise ConfigError(key, str(path), "must be erlang_c, erlang_a, optimize or a "
                          "shift-table file (a staffing config with agents:)")
    try:
        node = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError, OSError):
        node = None
    if not isinstance(node, dict) or not isinstance(node.get("agents"), dict):
        raise ConfigError(key, str(path), "must be a YAML staffing config with "
                          "agents: {pool: [agents per interval]}")
    if node.get("slot_min"):
        raise ConfigError(key, str(path), "must give agents per interval (it has slot_min: "
                          "a roster's schedule; use its requirement instead)")
    return {"agents": node["agents"]}


@dataclass(frozen=True)
class Round:
    """One roster solved and simulated."""

    round: int
    paid_hours: float
    cost: float
    misses: tuple[tuple[str, int, float], ...]  # (channel, block, mean service level)
    solve_s: float
    simulate_s: float


@dataclass(frozen=True)
class Plan:
    """The roster found, how it did in simulation, and how it was found."""

    scenario: Scenario
    rules: Rules
    blocks: Blocks
    goal: float
    requirement: dict[str, np.ndarray]  # the staffing policy's, before any addition
    rosters: dict[str, PoolRoster]      # the last round's
    cells: pd.DataFrame                 # service level per channel and block
    results: Results                    # the last round's simulation
    rounds: tuple[Round, ...]

    @property
    def met(self) -> bool:
        return not self.rounds[-1].misses


def schedule(scenario: Scenario, rosters: dict[str, PoolRoster]) -> dict[str, list[int]]:
    """The Schedule table (per configured pool, agents on the floor per slot) of rosters."""
    table: dict[str, list[int]] = {}
    for pool in searched_pools(scenario):
        table.update(split_members(pool, rosters[pool.name].on_floor))
    return table


def plan(setup: Setup, scenario: Scenario, required: dict[str, np.ndarray], rules: Rules,
         goal: float, block_min: float, max_rounds: int,
         report: Callable[[Round], None] = lambda r: None) -> Plan:
    """Solve, simulate, add coverage where the goal is missed; see the module docstring."""
    blocks = Blocks(scenario.interval_min, block_min, weekly=True)
    g = rules.granularity_min
    n = len(next(iter(required.values())))
    slot_block = blocks.of(np.arange(n) * g)
    constrained = set(constrained_channels(scenario))
    channels = [c.name for c in scenario.channels]
    need = {p: r.copy() for p, r in required.items()}
    costs = {p.name: (p.cost_per_hour or 1.0) for p in searched_pools(scenario)}
    rounds: list[Round] = []
    rosters: dict[str, PoolRoster] = {}
    for k in range(max_rounds + 1):
        t0 = time.perf_counter()
        # Only pools whose requirement changed are solved again.
        rosters = {p: (rosters[p] if p in rosters and (rosters[p].required == need[p]).all()
                       else solve_pool(rules, p, need[p], costs[p])) for p in need}
        t1 = time.perf_counter()
        staffing = partial(Schedule, schedule(scenario, rosters), slot_min=g)
        results = run_replications(replace(setup, staffing=staffing))
        cells = block_service_levels(results.contacts, blocks, setup.run.replications,
                                     channels)
        sl = cells[cells["metric"] == "service_level"]
        misses = tuple((r.channel, int(r.block), float(r.mean)) for r in sl.itertuples()
                       if r.channel in constrained and r.n > 0 and r.mean < goal - 1e-12)
        paid = sum(r.paid_hours for r in rosters.values())
        cost = sum((s.kind.cost_per_hour if s.kind.cost_per_hour is not None else costs[p])
                   * s.kind.paid_min / 60.0 for p, r in rosters.items() for s in r.shifts)
        rounds.append(Round(k, paid, cost, misses, t1 - t0, time.perf_counter() - t1))
        report(rounds[-1])
        if not misses or k == max_rounds:
            break
        for channel, block, _ in misses:
            for pool in scenario.pools_for(channel):
                if pool.name in need:
                    # One more agent on the floor than the roster had, all through the
                    # block (a requirement the roster already exceeded would change
                    # nothing).
                    add = (slot_block == block) & open_slots(rules, pool.name)
                    more = rosters[pool.name].on_floor + 1
                    need[pool.name] = np.where(add, np.maximum(need[pool.name], more),
                                               need[pool.name])
    return Plan(scenario, rules, blocks, goal, required, rosters, cells, results,
                tuple(rounds))
