"""``python -m sim.optimize``: the cheapest staffing whose simulated service levels meet a goal.

Takes the same config as ``python -m sim`` (any scenario, routing and escalation) plus the
``optimize.*`` keys of :class:`OptimizeConf`, and searches for the fewest agents per pool
and *block* of intervals (e.g. 4 hours, the same every day, or every day of the week apart
with ``optimize.weekly=true``) such that, in every block, every channel answers at least
``optimize.goal`` of its arrivals within the channel's target. The configured ``staffing``
is not used: the search starts from Erlang C and writes a :class:`~sim.policies.staffing.Schedule`
(``schedule.yaml``) that ``staffing=<name>`` reads once copied to ``conf/staffing/<name>.yaml``,
and the service levels it achieved with 95% confidence intervals (``achieved.csv``).

The search logic lives in pure functions of a :class:`~sim.experiment.Study`
(:func:`erlang_start`, :func:`evaluate`, :func:`search`, :func:`schedule_table`,
:func:`achieved_table`); only the command's parts (the ``optimize`` schema,
:func:`register`, :func:`main`, :func:`cli`) know Hydra, as in ``sim.__main__``.
"""

from __future__ import annotations

import math
import numbers
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

import hydra
import numpy as np
import pandas as pd
import yaml
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from .arrivals import MIN_PER_DAY, MIN_PER_WEEK
from .config import CONF_DIR, Config, ConfigError, build_study, parse_duration
from .config import register as register_base
from .experiment import Study, build_model, run_study
from .metrics import mean_ci
from .policies.staffing import ErlangC, Schedule
from .scenario import Pool, Scenario

#: Counts per searched pool (a running pool's name): agents on the floor in each block.
Counts = Mapping[str, Sequence[int]]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# ---- options -----------------------------------------------------------------------------
@dataclass
class OptimizeConf:
    """``optimize.*`` in the composed config (typed: a misspelt key fails at composition).

    ``goal`` is the share of arrivals to answer within the channel's target, in (0, 1);
    ``block`` a duration dividing a day and a multiple of ``scenario.interval``; ``weekly``
    one count per block of each day of the week instead of one per block of the day;
    ``max_rounds`` >= 1; ``replications`` per evaluation (>= 2, null: ``run.replications``).
    """

    goal: float = 0.8
    block: Any = "4h"
    weekly: bool = False
    max_rounds: int = 30
    replications: Optional[int] = 3


@dataclass
class OptimizeConfig(Config):
    """The root schema of ``python -m sim`` with an ``optimize`` node."""

    optimize: OptimizeConf = field(default_factory=OptimizeConf)


def register() -> None:
    """Put the schemas in Hydra's ConfigStore, ``base_config`` extended with ``optimize``.

    ``conf/config.yaml`` starts from ``base_config``; storing a subclass of
    :class:`sim.config.Config` under that name gives ``python -m sim.optimize`` the same
    config plus ``optimize.*``, checked like every other key. Called by the command only, so
    importing this module leaves ``python -m sim``'s schema alone.
    """
    register_base()
    ConfigStore.instance().store(name="base_config", node=OptimizeConfig)


@dataclass(frozen=True)
class Options:
    """What the search aims for and how hard it tries.

    Attributes
    ----------
    goal : float
        Share of a channel's arrivals in a block to answer within the channel's target,
        in (0, 1) (abandoned and unanswered contacts are misses).
    block_min : float
        Length of a decision block, minutes: divides a day, multiple of the interval.
    weekly : bool
        One count per block of each day of the week (True) or per block of the day,
        repeated every day (False).
    max_rounds : int
        Rounds of the search at most (>= 1).
    replications : int or None
        Replications per evaluation (>= 2: the search needs confidence intervals);
        None keeps the study's.
    """

    goal: float = 0.8
    block_min: float = 240.0
    weekly: bool = False
    max_rounds: int = 30
    replications: Optional[int] = 3


def options_from_config(node: DictConfig | Mapping[str, Any]) -> Options:
    """:class:`Options` from an ``optimize`` node, checked.

    Raises
    ------
    ConfigError
        Naming the ``optimize.*`` key, the value and what is valid.
    """
    goal = node["goal"]
    if isinstance(goal, bool) or not isinstance(goal, numbers.Real) or not 0 < goal < 1:
        raise ConfigError("optimize.goal", goal, "must be a share strictly between 0 and 1 "
                          "(e.g. 0.8: 80% answered within the channel's target)")
    block = parse_duration(node["block"], "optimize.block")
    if not (MIN_PER_DAY / block).is_integer():
        raise ConfigError("optimize.block", node["block"],
                          "must divide a day evenly (e.g. 1h, 2h, 4h, 8h, 1d)")
    rounds = node["max_rounds"]
    if isinstance(rounds, bool) or not isinstance(rounds, numbers.Integral) or rounds < 1:
        raise ConfigError("optimize.max_rounds", rounds, "must be an integer >= 1")
    reps = node["replications"]
    if reps is not None and (isinstance(reps, bool) or not isinstance(reps, numbers.Integral)
                             or reps < 2):
        raise ConfigError("optimize.replications", reps, "must be an integer >= 2 (the search "
                          "compares confidence intervals), or null for run.replications")
    weekly = node["weekly"]
    if not isinstance(weekly, bool):
        raise ConfigError("optimize.weekly", weekly, "must be true or false")
    return Options(float(goal), block, weekly, int(rounds), None if reps is None else int(reps))


# ---- time structure ----------------------------------------------------------------------
@dataclass(frozen=True)
class Blocks:
    """The decision blocks: a day (or a week) cut into equal blocks of intervals.

    Attributes
    ----------
    interval_min : float
        The scenario's staffing interval, minutes.
    block_min : float
        Block length, minutes (a multiple of ``interval_min`` that divides a day).
    weekly : bool
        Blocks cover a week (Monday 00:00 first) rather than a day.
    """

    interval_min: float
    block_min: float
    weekly: bool

    @property
    def period_min(self) -> float:
        """Minutes the blocks cover before repeating: a day or a week."""
        return MIN_PER_WEEK if self.weekly else MIN_PER_DAY

    @property
    def count(self) -> int:
        """Blocks per period."""
        return round(self.period_min / self.block_min)

    @property
    def per_block(self) -> int:
        """Staffing intervals per block."""
        return round(self.block_min / self.interval_min)

    @property
    def hours_per_week(self) -> float:
        """Agent-hours per week of one agent in one block (a daily block recurs 7 times)."""
        return self.block_min / 60.0 * (1 if self.weekly else 7)

    def of(self, minutes: np.ndarray) -> np.ndarray:
        """Block index of each time (minutes from Monday 00:00)."""
        return (np.asarray(minutes, float) % self.period_min // self.block_min).astype(int)

    def label(self, block: int) -> str:
        """``'08:00-12:00'``, or ``'Tue 08:00-12:00'`` for weekly blocks."""
        start = block * self.block_min
        day, start = divmod(start, MIN_PER_DAY)
        end = start + self.block_min
        hhmm = lambda m: f"{int(m // 60):02d}:{int(m % 60):02d}"  # noqa: E731
        text = f"{hhmm(start)}-{hhmm(end)}"
        return f"{_DAYS[int(day)]} {text}" if self.weekly else text


def make_blocks(scenario: Scenario, options: Options) -> Blocks:
    """The blocks of ``options`` on the scenario's interval grid.

    Raises
    ------
    ConfigError
        When the block is not a whole number of the scenario's intervals.
    """
    ratio = options.block_min / scenario.interval_min
    if ratio < 1 - 1e-9 or abs(ratio - round(ratio)) > 1e-9:
        raise ConfigError("optimize.block", _minutes(options.block_min),
                          f"must be a whole number of the scenario's "
                          f"{scenario.interval_min:g}-min intervals (scenario.interval)")
    return Blocks(scenario.interval_min, options.block_min, options.weekly)


def agent_hours(counts: Counts, blocks: Blocks) -> float:
    """Agent-hours per week of the searched pools under ``counts``."""
    return float(sum(sum(c) for c in counts.values())) * blocks.hours_per_week


# ---- the study's operation ---------------------------------------------------------------
def searched_pools(scenario: Scenario) -> tuple[Pool, ...]:
    """Pools the search sizes: all but those a policy added with its own headcount."""
    return tuple(p for p in scenario.pools if not p.fixed)


def constrained_channels(scenario: Scenario) -> tuple[str, ...]:
    """Channels the goal applies to: those a searched pool serves (a queue only a policy's
    fixed pool serves, like tier 2, cannot be helped by the search)."""
    searched = {p.name for p in searched_pools(scenario)}
    return tuple(c.name for c in scenario.channels
                 if any(p.name in searched for p in scenario.pools_for(c.name)))


def erlang_start(study: Study, blocks: Blocks,
                 goal: float) -> tuple[Scenario, dict[str, list[int]]]:
    """Erlang C agents per searched pool and block: the search's starting point.

    :class:`~sim.policies.staffing.ErlangC` (``service_level=goal``, its other parameters
    at their defaults) is bound to a model of the study (replication 0, organised by its
    routing and escalation) and asked for every interval of the week; a block gets the
    largest count among its intervals (for daily blocks: among those of every day).

    Returns
    -------
    (scenario, counts)
        The organised scenario and the counts per pool (``blocks.count`` values each).
    """
    policy = ErlangC(service_level=goal)
    model = build_model(replace(study, staffing=lambda: policy), 0)
    scenario = model.scenario
    per_week = round(MIN_PER_WEEK / scenario.interval_min)
    block_of = blocks.of(np.arange(per_week) * scenario.interval_min)
    counts: dict[str, list[int]] = {}
    for pool in searched_pools(scenario):
        values = np.array([policy.agents(pool.name, i) for i in range(per_week)], int)
        top = np.zeros(blocks.count, int)
        np.maximum.at(top, block_of, values)
        counts[pool.name] = top.tolist()
    return scenario, counts


def schedule_table(scenario: Scenario, blocks: Blocks, counts: Counts) -> dict[str, list[int]]:
    """The :class:`~sim.policies.staffing.Schedule` table for ``counts``: agents per
    configured pool per interval, a day's values (or a week's, for weekly blocks).

    A pool routing merged (``unified_text``) is searched as one pool; :class:`Schedule`
    names its members and gives the merged pool their sum, so its count is split evenly
    among the members, the remainder to the first ones in config order (the members'
    individual numbers mean nothing under that routing; their sum is the decision).
    """
    table: dict[str, list[int]] = {}
    for pool in searched_pools(scenario):
        per_interval = np.repeat(np.asarray(counts[pool.name], int), blocks.per_block)
        members = list(pool.members)
        base, extra = np.divmod(per_interval, len(members))
        for k, member in enumerate(members):
            table[member] = (base + (extra > k)).astype(int).tolist()
    return table


# ---- evaluation --------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """A channel's service level in one block: mean over replications and 95% CI."""

    mean: float
    ci_low: float
    ci_high: float
    n: int


@dataclass(frozen=True)
class Evaluation:
    """One simulated staffing table.

    Attributes
    ----------
    counts : dict
        Searched pool -> agents per block.
    cells : DataFrame
        ``channel, block, metric, mean, ci_low, ci_high, n`` per channel and block, metrics
        ``service_level`` and ``arrivals`` (per replication).
    summary : DataFrame
        The study's summary table (whole horizon) for this table.
    misses : tuple
        ``(channel, block, mean)`` of constrained cells whose mean service level is below
        the goal.
    sl : dict
        ``(channel, block) -> Cell`` of service levels, for lookups.
    """

    counts: dict[str, tuple[int, ...]]
    cells: pd.DataFrame
    summary: pd.DataFrame
    misses: tuple[tuple[str, int, float], ...]
    sl: dict[tuple[str, int], Cell]

    @property
    def feasible(self) -> bool:
        """Every constrained channel meets the goal in every block."""
        return not self.misses


def block_service_levels(contacts: pd.DataFrame, blocks: Blocks, replications: int,
                         channels: Sequence[str]) -> pd.DataFrame:
    """Service level and arrivals per channel and block, mean and CI over replications.

    A replication's service level in a block is the share of its post-warm-up arrivals in
    that block (of every day, or of that day of the week) answered within the channel's
    target; abandoned and never answered contacts are misses, as in ``summary.csv``. A
    replication without arrivals in the block has no service level there.

    Returns
    -------
    DataFrame
        ``channel, block, metric, mean, ci_low, ci_high, n`` (``block`` an index).
    """
    c = contacts[~contacts["warmup"].to_numpy(bool)]
    met = c["answered"].to_numpy(bool) & (c["wait_min"].to_numpy(float)
                                          <= c["target_min"].to_numpy(float))
    frame = pd.DataFrame({"channel": c["channel"].to_numpy(str),
                          "block": blocks.of(c["arrival_min"].to_numpy(float)),
                          "replication": c["replication"].to_numpy(int), "met": met})
    counts = frame.groupby(["channel", "block", "replication"])["met"].agg(["sum", "size"])
    # Every channel, block and replication, with 0 arrivals where none came.
    full = pd.MultiIndex.from_product([list(channels), range(blocks.count), range(replications)],
                                      names=["channel", "block", "replication"])
    counts = counts.reindex(full, fill_value=0)
    arrivals = counts["size"].to_numpy(float).reshape(len(channels), blocks.count, replications)
    answered = counts["sum"].to_numpy(float).reshape(arrivals.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(arrivals > 0, answered / arrivals, np.nan)
    rows = []
    for i, ch in enumerate(channels):
        for b in range(blocks.count):
            rows.append((ch, b, "service_level", *mean_ci(share[i, b])))
            rows.append((ch, b, "arrivals", *mean_ci(arrivals[i, b])))
    return pd.DataFrame(rows, columns=["channel", "block", "metric", "mean", "ci_low",
                                       "ci_high", "n"])


def evaluate(study: Study, scenario: Scenario, blocks: Blocks, counts: Counts,
             goal: float) -> Evaluation:
    """Simulate ``study`` with the :class:`Schedule` of ``counts`` and measure every block.

    The study's seed (so its customers) is kept: evaluations of different tables are
    paired by common random numbers. ``scenario`` is the study's organised scenario.
    """
    table = schedule_table(scenario, blocks, counts)
    results = run_study(replace(study, staffing=partial(Schedule, table)))
    channels = [c.name for c in scenario.channels]
    cells = block_service_levels(results.contacts, blocks, study.run.replications, channels)
    sl = {(r.channel, int(r.block)): Cell(r.mean, r.ci_low, r.ci_high, int(r.n))
          for r in cells[cells["metric"] == "service_level"].itertuples()}
    constrained = constrained_channels(scenario)
    misses = tuple((ch, b, cell.mean) for (ch, b), cell in sl.items()
                   if ch in constrained and cell.n > 0 and cell.mean < goal - 1e-12)
    return Evaluation({p: tuple(int(v) for v in c) for p, c in counts.items()}, cells,
                      results.summary, misses, sl)


# ---- the search --------------------------------------------------------------------------
@dataclass(frozen=True)
class Round:
    """One round of the search, as reported.

    Attributes
    ----------
    number : int
        0 for the Erlang C start.
    action : str
        ``start``, ``add`` (agents added where the goal was missed), ``remove`` (surplus
        agents removed) or ``stop`` (no removal kept: converged).
    agent_hours : float
        Agent-hours per week of the searched pools after the round.
    change : int
        Agent-blocks added (+) or removed (-) in the round (one agent in one block: for
        daily blocks, that block of every day).
    misses : tuple
        ``(channel, block label, mean service level)`` still below the goal after it.
    simulations : int
        Evaluations the round ran.
    seconds : float
        Wall time since the search started, seconds.
    """

    number: int
    action: str
    agent_hours: float
    change: int
    misses: tuple[tuple[str, str, float], ...]
    simulations: int
    seconds: float

    def line(self) -> str:
        """One progress line."""
        missing = f"{len(self.misses)} channel-blocks missing"
        if self.misses:
            shown = ", ".join(f"{c} {b} {m:.1%}" for c, b, m in self.misses[:4])
            missing += f" ({shown}{', ...' if len(self.misses) > 4 else ''})"
        return (f"round {self.number:>2}  {self.action:<6} {self.change:+5d} agent-blocks "
                f"-> {self.agent_hours:>9,.1f} agent-h/week  {missing}  "
                f"[{self.simulations} sim, {self.seconds:.1f} s]")


@dataclass(frozen=True)
class SearchResult:
    """What :func:`search` found.

    Attributes
    ----------
    scenario : Scenario
        The organised scenario the counts are for.
    blocks : Blocks
    options : Options
    start, final : Evaluation
        The starting table (Erlang C unless given) and the table found (its metrics are
        the achieved ones).
    rounds : tuple of Round
    simulations : int
        Evaluations run in all (each ``options.replications`` replications).
    seconds : float
        Wall time, seconds.
    converged : bool
        Stopped because nothing changed (False: ``max_rounds`` reached first).
    """

    scenario: Scenario
    blocks: Blocks
    options: Options
    start: Evaluation
    final: Evaluation
    rounds: tuple[Round, ...]
    simulations: int
    seconds: float
    converged: bool

    @property
    def table(self) -> dict[str, list[int]]:
        """The :class:`Schedule` table of the final counts (configured pool -> intervals)."""
        return schedule_table(self.scenario, self.blocks, self.final.counts)


def prepare(study: Study, options: Options) -> Study:
    """The study as the search evaluates it: ``options.replications`` replications.

    Raises
    ------
    ConfigError
        When a block of the period would go unmeasured (``run.horizon`` minus
        ``run.warmup`` shorter than a day, or a week for weekly blocks).
    """
    run = study.run
    if options.replications is not None:
        run = replace(run, replications=options.replications)
    if run.replications < 2:
        raise ConfigError("run.replications", run.replications, "the search needs >= 2 "
                          "replications per evaluation (set optimize.replications)")
    period = MIN_PER_WEEK if options.weekly else MIN_PER_DAY
    if run.horizon_min - run.warmup_min < period - 1e-9:
        raise ConfigError("run.horizon", _minutes(run.horizon_min),
                          f"the search measures every block, so run.horizon - run.warmup must "
                          f"be at least {'7d (optimize.weekly=true)' if options.weekly else '1d'}")
    return replace(study, run=run)


class _Search:
    """State of one search: the evaluations cache, removals known to fail, counters."""

    def __init__(self, study: Study, scenario: Scenario, blocks: Blocks, goal: float) -> None:
        self.study, self.scenario, self.blocks, self.goal = study, scenario, blocks, goal
        constrained = set(constrained_channels(scenario))
        self.serves = {p.name: [c for c in p.skills if c in constrained]
                       for p in searched_pools(scenario)}
        self.servers = {c: [p for p, chs in self.serves.items() if c in chs] for c in constrained}
        # Components: pools linked by a channel two of them serve, with their channels. A
        # removal in one component cannot change another's service levels, except through
        # escalation between channels, which the check of every whole trial still catches.
        self.component: dict[str, int] = {p: k for k, p in enumerate(self.serves)}
        for pools in self.servers.values():
            merged = {self.component[p] for p in pools}
            for p, k in self.component.items():
                if k in merged:
                    self.component[p] = min(merged)
        self.channel_component = {c: self.component[pools[0]]
                                  for c, pools in self.servers.items()}
        self.cache: dict[tuple, Evaluation] = {}
        self.failed: set[tuple[str, int, int]] = set()  # (pool, block, count) removal misses
        self.simulations = 0

    def evaluate(self, counts: Counts) -> Evaluation:
        key = tuple((p, tuple(c)) for p, c in sorted(counts.items()))
        if key not in self.cache:
            self.cache[key] = evaluate(self.study, self.scenario, self.blocks, counts, self.goal)
            self.simulations += 1
        return self.cache[key]

    def additions(self, ev: Evaluation) -> list[tuple[str, int]]:
        """(pool, block) to give one more agent: every searched pool serving a missed
        channel, in the block it missed."""
        return sorted({(p, b) for ch, b, _ in ev.misses for p in self.servers[ch]})

    def candidates(self, ev: Evaluation) -> list[tuple[str, int]]:
        """(pool, block) worth trying with one agent fewer: every channel the pool serves
        that has arrivals in the block beats the goal with margin (lower CI bound above it),
        and that removal has not already been seen to miss."""
        out = []
        for pool, channels in self.serves.items():
            for b, count in enumerate(ev.counts[pool]):
                if count == 0 or (pool, b, count) in self.failed:
                    continue
                cells = [ev.sl[(c, b)] for c in channels if ev.sl[(c, b)].n > 0]
                # A NaN lower bound (one replication with arrivals) is no evidence of margin.
                if cells and all(cell.ci_low > self.goal for cell in cells):
                    out.append((pool, b))
        return out

    @staticmethod
    def shifted(counts: Counts, cells: Sequence[tuple[str, int]],
                step: int) -> dict[str, list[int]]:
        """``counts`` with ``step`` agents added in each (pool, block) of ``cells``."""
        out = {p: list(c) for p, c in counts.items()}
        for pool, b in cells:
            out[pool][b] += step
        return out

    def suspects(self, cells: Sequence[tuple[str, int]],
                 misses: Sequence[tuple[str, int, float]]) -> list[tuple[str, int]]:
        """The removals in ``cells`` a set of misses points at: for each missed channel and
        block, the removals from a pool serving that channel in that block or, if there is
        none, in any block (a backlog left by one block spills into the next)."""
        out: set[tuple[str, int]] = set()
        for ch, b, _ in misses:
            serving = [(p, k) for p, k in cells if ch in self.serves[p]]
            same = [(p, k) for p, k in serving if k == b]
            out.update(same or serving)
        return [cell for cell in cells if cell in out]

    def remove(self, ev: Evaluation, cells: list[tuple[str, int]]) -> Evaluation:
        """Remove one agent from each of ``cells`` where that keeps the table feasible.

        Within a component (pools linked by a channel they share), the cells are tried as
        a group; a group that misses is split into the cells its misses point at (see
        :meth:`suspects`) and the others, or halved if that separates nothing, and the
        parts are tried in turn; a single cell that misses is remembered and not tried
        again at that count. Components are independent queues, so one simulation tries
        a group of each: misses in a component's channels are blamed on its group only.
        A removal is kept only when the whole simulated table meets the goal.
        """
        queues: dict[int, list[list[tuple[str, int]]]] = {}
        for cell in cells:
            queues.setdefault(self.component[cell[0]], [[]])[0].append(cell)
        one_at_a_time = False
        while any(queues.values()):
            heads = {k: q[0] for k, q in queues.items() if q}
            if one_at_a_time:
                heads = dict([next(iter(heads.items()))])
            trial = self.evaluate(self.shifted(
                ev.counts, [cell for group in heads.values() for cell in group], -1))
            if trial.feasible:
                ev = trial
                for k in heads:
                    queues[k].pop(0)
                continue
            blamed = {k: [m for m in trial.misses if self.channel_component[m[0]] == k]
                      for k in heads}
            blamed = {k: misses for k, misses in blamed.items() if misses}
            if not blamed:  # misses where no group was tried (escalation couples queues)
                if len(heads) > 1:
                    one_at_a_time = True
                    continue
                blamed = {k: list(trial.misses) for k in heads}
            for k, misses in blamed.items():
                group = queues[k].pop(0)
                if len(group) == 1:
                    pool, b = group[0]
                    self.failed.add((pool, b, ev.counts[pool][b]))
                    continue
                suspects = self.suspects(group, misses)
                others = [cell for cell in group if cell not in suspects]
                if not suspects or not others:  # the misses single nothing out: halve
                    others, suspects = group[:len(group) // 2], group[len(group) // 2:]
                queues[k][:0] = [others, suspects]
        return ev


def search(study: Study, options: Options, start: Counts | None = None,
           report: Callable[[Round], None] | None = None) -> SearchResult:
    """The cheapest agents per pool and block meeting ``options.goal`` in every channel.

    1. **Start** from :func:`erlang_start` (or ``start``: counts per searched pool and
       block) and simulate it.
    2. Each **round**, if some channel misses the goal in some block (mean service level
       over the replications below ``goal``), every searched pool serving it gets one more
       agent in that block, all at once, and the table is simulated again.
    3. Otherwise (the table is feasible) each (pool, block) whose channels all beat the
       goal with margin (lower 95% CI bound above it) is a candidate to lose one agent;
       a removal is kept only if the re-simulated table still meets the goal everywhere
       (every block of every channel, since a block's backlog spills into the next).
       Candidates are tried as a group and split where the group misses (see
       ``_Search.remove``): pools that share no channel are judged in the same
       simulation, so a round costs a few simulations, not one per candidate.
    4. **Stop** when a round changes nothing, or after ``max_rounds``.

    Once feasible the table stays feasible (a removal is kept only if feasible), so the
    search cannot cycle; a removal that missed is not retried at the same count. The
    result is a local optimum (no single agent-block can go), not necessarily the global
    one: where blocks are coupled (a backlog carried for days by a 24-hour target), moving
    agents between blocks might do better. Every
    evaluation uses the study's seed: all tables see the same customers (common random
    numbers), so comparisons are paired and the search is deterministic. The flip side:
    the table is tuned to these customers, so the achieved intervals are optimistic; check
    it on another seed (``python -m sim staffing=<name> seed=2``).

    Parameters
    ----------
    study : Study
        Scenario, routing and escalation to staff; its staffing policy is not used.
    options : Options
        Goal, blocks, rounds and replications per evaluation.
    start : mapping, optional
        Starting counts per searched pool (``blocks.count`` values each); default Erlang C.
    report : callable, optional
        Called with each :class:`Round` as it ends.

    Raises
    ------
    ConfigError
        For options that do not fit the study (see :func:`make_blocks`, :func:`prepare`).
    """
    began = time.perf_counter()
    study = prepare(study, options)
    # Organising pools keeps the interval: the configured scenario's grid is the run's.
    blocks = make_blocks(study.scenario, options)
    scenario, erlang_counts = erlang_start(study, blocks, options.goal)
    counts = dict(erlang_counts) if start is None else {p: list(c) for p, c in start.items()}
    expected = {p.name for p in searched_pools(scenario)}
    if set(counts) != expected or any(len(c) != blocks.count for c in counts.values()):
        raise ValueError(f"start must give {blocks.count} counts for each of {sorted(expected)}")
    state = _Search(study, scenario, blocks, options.goal)
    rounds: list[Round] = []

    def log(number: int, action: str, ev: Evaluation, change: int, sims: int) -> None:
        misses = tuple((ch, blocks.label(b), m) for ch, b, m in ev.misses)
        rounds.append(Round(number, action, agent_hours(ev.counts, blocks), change, misses,
                            sims, time.perf_counter() - began))
        if report:
            report(rounds[-1])

    current = state.evaluate(counts)
    first = current
    log(0, "start", current, 0, state.simulations)
    converged = False
    for number in range(1, options.max_rounds + 1):
        before_sims, before = state.simulations, sum(map(sum, current.counts.values()))
        if current.misses:
            cells = state.additions(current)
            current = state.evaluate(state.shifted(current.counts, cells, +1))
            action = "add"
        else:
            cells = state.candidates(current)
            current = state.remove(current, cells) if cells else current
            action = "remove"
        change = sum(map(sum, current.counts.values())) - before
        if change == 0:
            converged = True
            action = "stop"
        log(number, action, current, change, state.simulations - before_sims)
        if converged:
            break
    return SearchResult(scenario, blocks, options, first, current, tuple(rounds),
                        state.simulations, time.perf_counter() - began, converged)


# ---- output ------------------------------------------------------------------------------
def achieved_table(result: SearchResult) -> pd.DataFrame:
    """``channel, block, metric, mean, ci_low, ci_high, n`` of the table found.

    Per channel and block (labelled, e.g. ``08:00-12:00``): ``service_level`` and
    ``arrivals`` per replication; per channel and ``all`` channels over the whole horizon
    (block ``all``): every metric of ``summary.csv``.
    """
    cells = result.final.cells.copy()
    cells["block"] = cells["block"].map(result.blocks.label)
    overall = result.final.summary.copy()
    overall.insert(1, "block", "all")
    return pd.concat([cells, overall], ignore_index=True)[
        ["channel", "block", "metric", "mean", "ci_low", "ci_high", "n"]]


def render_schedule(table: Mapping[str, Sequence[int]], header: Sequence[str] = ()) -> str:
    """A ``staffing`` config file for ``table``: header comment lines, then the Schedule."""
    body = yaml.safe_dump({"_target_": f"{Schedule.__module__}.{Schedule.__qualname__}",
                           "agents": {k: [int(v) for v in vals] for k, vals in table.items()}},
                          default_flow_style=None, sort_keys=False, width=1 << 20)
    return "".join(f"# {line}".rstrip() + "\n" for line in header) + body


def _minutes(value: float) -> str:
    for unit, size in (("d", 1440.0), ("h", 60.0), ("min", 1.0)):
        if value >= size and (value / size).is_integer():
            return f"{value / size:g}{unit}"
    return f"{value * 60:g}s"


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{100 * x:.1f}"


def format_achieved(result: SearchResult) -> str:
    """A terminal table: each channel's service level over the horizon and in its worst
    block (mean [95% CI], percent), the blocks meeting the goal, and the agent-hours."""
    goal, final, summary = result.options.goal, result.final, result.final.summary
    constrained = constrained_channels(result.scenario)
    rows = [["channel", "target", "overall %", "worst block", "worst %", "blocks ok"]]
    for ch in result.scenario.channels:
        row = summary[(summary["channel"] == ch.name) & (summary["metric"] == "service_level")]
        cells = {b: cell for (c, b), cell in final.sl.items() if c == ch.name and cell.n > 0}
        if row.empty or not cells:
            continue
        r = row.iloc[0]
        worst = min(cells, key=lambda b: cells[b].mean)
        ok = sum(cell.mean >= goal - 1e-12 for cell in cells.values())
        w = cells[worst]
        rows.append([ch.name, _minutes(ch.target_min),
                     f"{_pct(r['mean'])} [{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]",
                     result.blocks.label(worst), f"{_pct(w.mean)} [{_pct(w.ci_low)}, "
                     f"{_pct(w.ci_high)}]",
                     f"{ok}/{len(cells)}" + ("" if ch.name in constrained else " (fixed pool)")])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"Service level achieved (goal {goal:.0%} within target; mean [95% CI] over "
             f"{int(summary['n'].max())} replications):"]
    lines += ["  ".join(v.ljust(wd) if i in (0, 3) else v.rjust(wd)
                        for i, (v, wd) in enumerate(zip(r, widths))).rstrip() for r in rows]
    start_h = agent_hours(result.start.counts, result.blocks)
    end_h = agent_hours(final.counts, result.blocks)
    change = f" ({(end_h - start_h) / start_h:+.1%})" if start_h else ""
    lines += ["", f"Agent-hours per week (searched pools): {end_h:,.1f}, from the Erlang C "
                  f"start's {start_h:,.1f}{change}"]
    return "\n".join(lines)


def _header(result: SearchResult, overrides: Sequence[str], study: Study,
            cfg: DictConfig) -> list[str]:
    o, blocks = result.options, result.blocks
    repeat = "for each day of the week" if o.weekly else "repeated every day"
    merged = [p for p in searched_pools(result.scenario) if list(p.members) != [p.name]]
    lines = [
        f"Found by: python -m sim.optimize {' '.join(overrides)}".rstrip(),
        f"on {time.strftime('%Y-%m-%d %H:%M')}: the fewest agents on the floor per pool and "
        f"{_minutes(blocks.block_min)} block ({repeat})",
        f"whose simulated service level meets {o.goal:.0%} within target in every channel and "
        f"block{'' if o.weekly else ' (arrivals of all days pooled)'}",
        f"(mean over {study.run.replications if o.replications is None else o.replications} "
        f"replications of {_minutes(study.run.horizon_min)}, seed {study.run.seed}; "
        "95% CIs in achieved.csv).",
        f"Started from Erlang C (max per block): {agent_hours(result.start.counts, blocks):,.1f} "
        f"agent-h/week; found {agent_hours(result.final.counts, blocks):,.1f} after "
        f"{len(result.rounds) - 1} rounds, {result.simulations} simulations.",
    ]
    if not result.final.feasible:
        lines.append(f"WARNING: goal still missed in {len(result.final.misses)} channel-blocks "
                     "(optimize.max_rounds reached).")
    lines.append(f"For scenario {cfg.scenario.get('name', '?')!r}, routing "
                 f"{cfg.routing.get('_target_')}, escalation {cfg.escalation.get('_target_')}.")
    for p in merged:
        lines.append(f"Pool {p.name} (merged by routing) split evenly among its members "
                     f"{', '.join(p.members)}; only their sum matters under that routing.")
    lines.append("Use: copy to conf/staffing/<name>.yaml, then python -m sim staffing=<name>")
    return lines


# ---- the command -------------------------------------------------------------------------
#: Where results go unless hydra.run.dir is given.
RUN_DIR = "results/optimize/${now:%Y-%m-%d}/${now:%H-%M-%S}"


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    """Search, print progress and the achieved table, write ``schedule.yaml`` and
    ``achieved.csv``; bad input exits 2 with one message naming the key."""
    try:
        options = options_from_config(cfg.optimize)
        # The search replaces the staffing policy; a configured one that does not fit
        # this scenario (the default schedule names the default pools) must not stop it.
        cfg.staffing = OmegaConf.create({"_target_": "sim.policies.staffing.Fixed"})
        study = build_study(cfg)
        make_blocks(study.scenario, options), prepare(study, options)  # fail before the banner
        outdir = Path(HydraConfig.get().runtime.output_dir)
        print(f"staffing search: {options.goal:.0%} within target in every channel and "
              f"{_minutes(options.block_min)} block{' of the week' if options.weekly else ''}",
              flush=True)
        result = search(study, options, report=lambda r: print(r.line(), flush=True))
    except ConfigError as err:
        print(f"config error: {err}", file=sys.stderr)
        sys.exit(2)
    overrides = list(HydraConfig.get().overrides.task)
    pd.DataFrame([{**asdict(r), "misses": len(r.misses)} for r in result.rounds]).to_csv(
        outdir / "rounds.csv", index=False)
    (outdir / "schedule.yaml").write_text(
        render_schedule(result.table, _header(result, overrides, study, cfg)))
    # Last, as summary.csv for `python -m sim`: a run that failed does not look complete.
    achieved_table(result).to_csv(outdir / "achieved.csv", index=False)
    print()
    print(format_achieved(result))
    status = "converged" if result.converged else "stopped at optimize.max_rounds"
    print(f"{len(result.rounds) - 1} round(s) ({status}), {result.simulations} simulations in "
          f"{result.seconds:.1f} s -> {outdir}")
    if not result.final.feasible:
        print(f"warning: the goal is still missed in {len(result.final.misses)} channel-blocks; "
              "raise optimize.max_rounds", file=sys.stderr)


def cli() -> None:
    """``python -m sim.optimize``: register the schema, default the output directory."""
    register()
    if not any(a.startswith(("hydra.run.dir=", "++hydra.run.dir=")) for a in sys.argv[1:]):
        sys.argv.insert(1, f"hydra.run.dir={RUN_DIR}")
    main()


if __name__ == "__main__":
    cli()
