"""Replications with common random numbers: a study in, tables out.

A :class:`Study` is a scenario, three policy factories and a run specification. Each
replication builds fresh policies (they hold state), draws its customers from the named
streams of ``(seed, replication)``, runs the engine and turns its records into tables.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from . import metrics, records
from .customers import draw_customers
from .engine import Model
from .policies.base import EscalationPolicy, RoutingPolicy, StaffingPolicy
from .rng import Streams
from .scenario import Scenario


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
        The study's seed.
    workers : int
        Processes to spread replications over (1: in this process).
    """

    horizon_min: float
    warmup_min: float = 0.0
    drain_min: float = 0.0
    replications: int = 1
    seed: int = 0
    workers: int = 1


@dataclass(frozen=True)
class Study:
    """What to simulate: a scenario, policy factories and a run specification."""

    scenario: Scenario
    routing: Callable[[], RoutingPolicy]
    staffing: Callable[[], StaffingPolicy]
    escalation: Callable[[], EscalationPolicy]
    run: RunSpec


@dataclass
class Results:
    """Every table of a study; each has a ``replication`` column."""

    scenario: Scenario          # as organised by the routing policy
    contacts: pd.DataFrame
    staffing: pd.DataFrame
    segments: pd.DataFrame
    journeys: pd.DataFrame
    intervals: pd.DataFrame
    per_replication: pd.DataFrame
    summary: pd.DataFrame
    overrides: tuple[str, ...] = ()  # how it was configured, when known (sim.api.run)
    config_yaml: str = ""


def build_model(study: Study, replication: int,
                progress: Callable[[float], None] | None = None) -> Model:
    """Policies built and bound, customers drawn: the model of one replication, not yet run.

    Raises whatever a policy raises on binding (``ValueError`` for bad parameters), before
    any simulated time passes.
    """
    routing, escalation = study.routing(), study.escalation()
    scenario = escalation.organise(routing.organise(study.scenario))
    streams = Streams(study.run.seed, replication)
    customers = draw_customers(scenario, streams, study.run.horizon_min)
    return Model(scenario, customers, routing, study.staffing(), escalation, streams,
                 study.run.horizon_min, study.run.drain_min, progress)


def run_replication(study: Study, replication: int,
                    progress: Callable[[float], None] | None = None,
                    model: Model | None = None) -> tuple[pd.DataFrame, ...]:
    """Run one replication: (contacts, staffing, segments, intervals, per-replication metrics)."""
    model = model or build_model(study, replication, progress)
    rec = model.run()
    scenario, spec = model.scenario, study.run
    contacts = records.contacts_frame(rec, scenario, replication, spec.warmup_min)
    staffing = records.staffing_frame(rec, replication)
    segments = records.segments_frame(rec, replication)
    serving = {c.name: [p.name for p in scenario.pools_for(c.name)] for c in scenario.channels}
    ivals = metrics.intervals(contacts, staffing, segments, serving, scenario.interval_min,
                              spec.horizon_min)
    ivals.insert(0, "replication", replication)
    per_rep = metrics.replication_metrics(contacts, staffing, segments, serving,
                                          (spec.warmup_min, spec.horizon_min))
    per_rep.insert(0, "replication", replication)
    return contacts, staffing, segments, ivals, per_rep


def _run_quiet(args: tuple[Study, int]) -> tuple[pd.DataFrame, ...]:
    return run_replication(*args)


def run_study(study: Study, progress: Callable[[float], None] | None = None) -> Results:
    """All replications of a study, then the summary across them.

    ``progress`` is called with simulated minutes as they pass (in-process runs) or with a
    whole replication's horizon as each finishes (parallel runs).
    """
    spec = study.run
    first = build_model(study, 0, progress)  # fails fast on bad policy parameters
    parts: list[tuple[pd.DataFrame, ...]] = [run_replication(study, 0, progress, first)]
    rest = range(1, spec.replications)
    workers = min(spec.workers or os.cpu_count() or 1, len(rest))
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            for part in pool.map(_run_quiet, [(study, r) for r in rest]):
                parts.append(part)
                if progress:
                    progress(spec.horizon_min)
    else:
        parts += [run_replication(study, r, progress) for r in rest]
    contacts, staffing, segments, ivals, per_rep = (pd.concat(p, ignore_index=True)
                                                    for p in zip(*parts))
    return Results(first.scenario, contacts, staffing, segments,
                   records.journeys_frame(contacts), ivals, per_rep, metrics.summarise(per_rep))
