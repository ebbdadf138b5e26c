"""Replications with common random numbers: a setup in, tables out.

A :class:`Setup` is what to simulate: a scenario, factories of the five policies and a run
specification, all plain Python objects (no config framework): ``sim.cli.config`` builds one
from Hydra's config, a notebook or a test can build one by hand. Each replication builds
fresh policies (they hold state), draws its customers from the named streams of
``(seed, replication)``, runs the engine, and turns the records it streams into tables.
"""

from __future__ import annotations

import math
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from . import metrics, records
from .customers import draw_customers
from .lifeline import watch_parent
from .outputs import ALL
from .engine import Model, RecordSink
from .policies.base import AgentSelection, EscalationPolicy, Organisation, Routing, Staffing
from .policies.routing import LongestIdle, Silos
from .precision import Precision
from .rng import Streams
from .scenario import Scenario

__all__ = ["Results", "RunSpec", "Setup", "build_model", "run_replication",
           "run_replications"]


@dataclass(frozen=True)
class RunSpec:
    """How long and how often to simulate (times in minutes).

    Attributes
    ----------
    horizon_min : float
        Arrivals stop here.
    warmup_min : float
        Contacts arriving before this are simulated but flagged and left out of metrics.
    drain_min : float
        After the horizon, keep serving until empty or this much longer.
    replications : int
        Independent replications (>= 1).
    seed : int
        The seed.
    workers : int
        Processes to spread replications over (1: in this process).
    precision : Precision, optional
        Precision mode (:mod:`sim.precision`): ``replications`` is then the pilot, and
        batches of replications follow until the targets are estimated closely enough.
    """

    horizon_min: float
    warmup_min: float = 0.0
    drain_min: float = 0.0
    replications: int = 1
    seed: int = 0
    workers: int = 1
    precision: Precision | None = None


@dataclass(frozen=True)
class Setup:
    """What to simulate: a scenario, a factory for each policy, a run specification.

    A factory is called once per replication for a fresh policy (a class, or a
    :class:`sim.policies.Spec` holding a class and its parameters).
    """

    scenario: Scenario
    routing: Callable[[], Routing]
    staffing: Callable[[], Staffing]
    escalation: Callable[[], EscalationPolicy]
    run: RunSpec
    organisation: Callable[[], Organisation] = Silos
    selection: Callable[[], AgentSelection] = LongestIdle


@dataclass
class Results:
    """Every table of a run; each has a ``replication`` column."""

    scenario: Scenario          # as organised for the run
    contacts: pd.DataFrame      # all columns, or records.ANALYSIS when streamed to disk
    staffing: pd.DataFrame
    segments: pd.DataFrame
    journeys: pd.DataFrame | None  # None when written to disk as the run went
    intervals: pd.DataFrame
    per_replication: pd.DataFrame
    summary: pd.DataFrame
    overrides: tuple[str, ...] = ()  # how it was configured, when known (sim.api.run)
    config_yaml: str = ""
    precision: str = ""  # precision mode's outcome (sim.precision), "" when off


def expected_arrivals(setup: Setup) -> float:
    """Contacts the arrival processes are expected to bring over all replications, at their
    profiled rates: the follow-ups and pile-ons they cause, and incidents' surges, come on
    top (a size estimate, known before the run)."""
    horizon = setup.run.horizon_min
    return setup.run.replications * horizon * sum(
        ch.arrivals.mean_rate(0.0, horizon) for ch in setup.scenario.channels)


def build_model(setup: Setup, replication: int, sink: RecordSink | None = None,
                progress: Callable[[float], None] | None = None) -> Model:
    """Policies built and bound, customers drawn: one replication's model, not yet run.

    ``sink`` receives the records (default: a :class:`sim.records.Collector` keeping every
    column in memory, as ``model.sink``). Raises whatever a policy raises on binding
    (:class:`sim.errors.InvalidValue` for bad parameters) before any simulated time passes.
    """
    scenario = organised(setup)
    if sink is None:
        sink = records.Collector(scenario, replication, setup.run.warmup_min)
    streams = Streams(setup.run.seed, replication)
    customers = draw_customers(scenario, streams, setup.run.horizon_min)
    model = Model(scenario, customers, setup.routing(), setup.selection(), setup.staffing(),
                  setup.escalation(), streams, sink, setup.run.horizon_min,
                  setup.run.drain_min, progress)
    model.sink = sink
    return model


def organised(setup: Setup) -> Scenario:
    """The scenario as the setup's organisation and escalation policies organise it."""
    return setup.escalation().organise(setup.organisation().organise(setup.scenario))


def run_replication(setup: Setup, replication: int,
                    progress: Callable[[float], None] | None = None,
                    writer: records.TableWriter | None = None,
                    simulated: Callable[[], None] | None = None,
                    measured: Callable[[pd.DataFrame], None] | None = None
                    ) -> tuple[pd.DataFrame, ...]:
    """Run one replication: (contacts, staffing, segments, intervals, per-replication
    metrics). With ``writer``, full contact and segment tables stream there and
    ``contacts`` holds the :data:`sim.records.ANALYSIS` columns. ``simulated`` is called
    once the model has run, before the metrics are computed; ``measured`` with the
    intervals table as soon as it is, before the other metrics."""
    spec = setup.run
    collector = records.Collector(organised(setup), replication, spec.warmup_min, writer)
    model = build_model(setup, replication, collector, progress)
    model.run()
    if simulated is not None:
        simulated()
    scenario = model.scenario
    contacts, staffing, segments = collector.tables()
    serving = {c.name: [p.name for p in scenario.pools_for(c.name)] for c in scenario.channels}
    ivals = metrics.intervals(contacts, staffing, segments, serving, scenario.interval_min,
                              spec.horizon_min)
    ivals.insert(0, "replication", replication)
    if measured is not None:
        measured(ivals)
    pay = {p.name: (p.cost_per_hour, p.shrinkage) for p in scenario.pools}
    per_rep = metrics.replication_metrics(contacts, staffing, segments, serving,
                                          (spec.warmup_min, spec.horizon_min), pay,
                                          scenario.fte_hours_per_week,
                                          any(c.self_service for c in scenario.channels),
                                          any(c.listening for c in scenario.channels),
                                          any(c.advocacy for c in scenario.channels))
    per_rep.insert(0, "replication", replication)
    return contacts, staffing, segments, ivals, per_rep


def _run_part(args: tuple[Setup, int, str | None, frozenset[str] | None]
              ) -> tuple[pd.DataFrame, ...]:
    setup, replication, part, keep = args
    writer = None if part is None else records.TableWriter(Path(part), keep=keep)
    try:
        return run_replication(setup, replication, writer=writer)
    finally:
        if writer is not None:
            writer.close()


def _run_batch(setup: Setup, reps: range, progress: Callable[[float], None] | None,
               writer: records.TableWriter | None, directory: Path | None,
               last: Callable[[], None] | None = None,
               measured: Callable[[pd.DataFrame], None] | None = None
               ) -> list[tuple[pd.DataFrame, ...]]:
    """Replications ``reps``: the first in this process when it is replication 0 (its
    progress is drawn as it goes, a failure shows at once), the others over
    ``setup.run.workers`` processes. ``last`` and ``measured`` are passed to the batch's
    last replication as ``simulated`` and ``measured`` (:func:`run_replication`) when it
    runs in this process."""
    spec = setup.run
    parts = []
    if reps.start == 0:
        alone = len(reps) == 1
        parts.append(run_replication(setup, 0, progress, writer, last if alone else None,
                                     measured if alone else None))
        reps = reps[1:]
    workers = min(spec.workers or os.cpu_count() or 1, len(reps))
    if workers > 1:
        scratch = None if directory is None else Path(directory) / ".parts"
        keep = None if writer is None else writer.keep
        jobs = [(setup, r, None if scratch is None else str(scratch / str(r)), keep)
                for r in reps]
        for job in jobs:
            if job[2] is not None:
                Path(job[2]).mkdir(parents=True, exist_ok=True)
        # Workers end with this process, even killed (sim/lifeline.py).
        with ProcessPoolExecutor(workers, initializer=watch_parent,
                                 initargs=(os.getpid(),)) as pool:
            for (_, r, part, _), tables in zip(jobs, pool.map(_run_part, jobs)):
                parts.append(tables)
                if part is not None:
                    writer.append_files(Path(part))
                if progress:
                    progress(spec.horizon_min)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    else:
        parts += [run_replication(setup, r, progress, writer,
                                  *((last, measured) if r == reps[-1] else (None, None)))
                  for r in reps]
    return parts


def _with_journeys(parts: list[tuple[pd.DataFrame, ...]],
                   window: tuple[float, float]) -> tuple[tuple[pd.DataFrame, ...], pd.DataFrame]:
    """A batch's tables concatenated, its per-replication metrics joined by the journey
    metrics, and its journeys."""
    contacts, staffing, segments, ivals, per_rep = (
        pd.concat(p, ignore_index=True) if len(p) > 1 else p[0] for p in zip(*parts))
    journeys = records.journeys_frame(contacts)
    cost = per_rep[(per_rep["channel"] == "all") & (per_rep["metric"] == "cost")]
    costs = dict(zip(cost["replication"], cost["value"])) if len(cost) else None
    per_rep = pd.concat([per_rep, metrics.journey_metrics(journeys, window, costs)],
                        ignore_index=True)
    return (contacts, staffing, segments, ivals, per_rep), journeys


def run_replications(setup: Setup, progress: Callable[[float], None] | None = None,
                     directory: Path | None = None, keep_journeys: bool = False,
                     note: Callable[[str], None] | None = None,
                     tables: frozenset[str] = ALL,
                     written: Callable[[str], None] | None = None) -> Results:
    """All replications of a setup, then the summary across them.

    ``progress`` is called with simulated minutes as they pass (in-process runs) or with a
    whole replication's horizon as each finishes (parallel runs). With ``directory``,
    ``contacts.parquet`` and ``segments.parquet`` are written there as the run goes (peak
    memory then follows the contacts in the system), ``Results.contacts`` holds the
    :data:`sim.records.ANALYSIS` columns, and ``journeys.parquet`` is written at the end
    (``Results.journeys`` is None) unless ``keep_journeys`` (the caller writes them: the CLI
    does while its figure helpers draw); without, every table stays in memory. In precision
    mode (``setup.run.precision``) batches of replications follow the first
    ``setup.run.replications`` until the targets are met; ``note`` is told of each batch.
    ``tables`` (:mod:`sim.outputs`) are those written to ``directory``: the others are
    computed but never written (summary-only jobs write no contact record).
    ``written`` is called with the name of each table of ``directory`` that is complete
    before the end, so that the figures that read it can be drawn while the run goes on:
    ``"contacts"`` as soon as the last replication has been simulated when it runs in
    this process (at the end otherwise), and ``"intervals"`` (then written early) as soon
    as they are measured, when the run is one replication run in this process.
    """
    spec = setup.run
    window = (spec.warmup_min, spec.horizon_min)
    writer = None if directory is None else records.TableWriter(Path(directory), keep=tables)
    batches, done, total, outcome = [], 0, spec.replications, ""
    told: list[bool] = []

    def simulated() -> None:
        if writer is not None and written is not None and not told:
            writer.finish("contacts")
            told.append(True)
            written("contacts")

    def measured(ivals: pd.DataFrame) -> None:
        # The run's only replication: its intervals are the run's table, final now.
        ivals.to_parquet(Path(directory) / "intervals.parquet", index=False)
        written("intervals")

    # In precision mode a batch is known to be the last only after its metrics.
    early = simulated if spec.precision is None else None
    alone = (early is not None and total == 1 and writer is not None and written is not None
             and "intervals" in tables)
    try:
        while total > done:
            batches.append(_with_journeys(_run_batch(setup, range(done, total), progress,
                                                     writer, directory, early,
                                                     measured if alone else None), window))
            done = total
            if spec.precision is not None:
                per_rep = pd.concat([b[0][4] for b in batches], ignore_index=True)
                found = spec.precision.widths(per_rep)
                total = spec.precision.next_total(found, done)
                outcome = _precision_note(spec.precision, found, done, total)
                if note is not None:
                    note(outcome)
    finally:
        if writer is not None:
            writer.close()
    if not told:
        simulated()
    parts = [b[0] for b in batches]
    contacts, staffing, segments, ivals, per_rep = (
        pd.concat(p, ignore_index=True) if len(p) > 1 else p[0] for p in zip(*parts))
    journeys = (pd.concat([b[1] for b in batches], ignore_index=True) if len(batches) > 1
                else batches[0][1])
    del batches, parts
    if directory is not None and not keep_journeys:
        # On disk at once, out of memory: nothing downstream of a written run reads it.
        if "journeys" in tables:
            journeys.to_parquet(Path(directory) / "journeys.parquet", index=False)
        journeys = None
    return Results(organised(setup), contacts, staffing, segments, journeys, ivals, per_rep,
                   metrics.summarise(per_rep), precision=outcome)


def _precision_note(precision: Precision, found: dict, done: int, total: int) -> str:
    """What precision mode did after ``done`` replications, from the targets' widths."""
    missing = [str(t) for t, w in found.items() if math.isnan(w)]
    if missing:
        return (f"precision {precision.relative:.0%} not sought after {done} replications: "
                f"{', '.join(missing)} has no value to estimate")
    widths = ", ".join(f"{t} ±{w:.1%}" for t, w in found.items())
    if total > done:
        return (f"precision {precision.relative:.0%}: after {done} replications {widths}; "
                f"running {total - done} more")
    if max(found.values()) > precision.relative:
        return (f"precision {precision.relative:.0%} not reached within run.max_replications="
                f"{precision.most}: {widths}")
    return f"precision {precision.relative:.0%} reached with {done} replications: {widths}"
