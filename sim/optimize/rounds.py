"""The search: from Erlang C, add agents where the goal is missed, remove those not needed.

:func:`search` runs the rounds (the algorithm is in its docstring) on the setup
:func:`prepare` returns, with the state of one search (evaluations cache, removals seen to
miss, counters) in :class:`_Search`; it reports each :class:`Round` and returns a
:class:`SearchResult`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable, Sequence

from ..arrivals import MIN_PER_DAY, MIN_PER_WEEK
from ..errors import ConfigError
from ..replications import Setup
from ..scenario import Scenario
from .blocks import Blocks, Counts, agent_hours, make_blocks
from .evaluation import Evaluation, evaluate
from .options import Options, _minutes
from .pools import constrained_channels, erlang_start, schedule_table, searched_pools


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


def prepare(setup: Setup, options: Options) -> Setup:
    """The setup as the search evaluates it: ``options.replications`` replications.

    Raises
    ------
    ConfigError
        When a block of the period would go unmeasured (``run.horizon`` minus
        ``run.warmup`` shorter than a day, or a week for weekly blocks).
    """
    run = setup.run
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
    return replace(setup, run=run)


class _Search:
    """State of one search: the evaluations cache, removals known to fail, counters."""

    def __init__(self, setup: Setup, scenario: Scenario, blocks: Blocks, goal: float) -> None:
        self.setup, self.scenario, self.blocks, self.goal = setup, scenario, blocks, goal
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
            self.cache[key] = evaluate(self.setup, self.scenario, self.blocks, counts, self.goal)
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


def search(setup: Setup, options: Options, start: Counts | None = None,
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
    evaluation uses the setup's seed: all tables see the same customers (common random
    numbers), so comparisons are paired and the search is deterministic. The flip side:
    the table is tuned to these customers, so the achieved intervals are optimistic; check
    it on another seed (``python -m sim staffing=<name> seed=2``).

    Parameters
    ----------
    setup : Setup
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
        For options that do not fit the setup (see :func:`make_blocks`, :func:`prepare`).
    """
    began = time.perf_counter()
    setup = prepare(setup, options)
    # Organising pools keeps the interval: the configured scenario's grid is the run's.
    blocks = make_blocks(setup.scenario, options)
    scenario, erlang_counts = erlang_start(setup, blocks, options.goal)
    counts = dict(erlang_counts) if start is None else {p: list(c) for p, c in start.items()}
    expected = {p.name for p in searched_pools(scenario)}
    if set(counts) != expected or any(len(c) != blocks.count for c in counts.values()):
        raise ValueError(f"start must give {blocks.count} counts for each of {sorted(expected)}")
    state = _Search(setup, scenario, blocks, options.goal)
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
