"""``python -m sim.backtest``: simulate the calibrated model over its history and compare.

Takes the ``calibrate.*`` keys of :mod:`sim.cli.calibrate` (calibrating first when
``calibrate.out`` has no configs of that name yet, so that a hand-edited calibration is
back-tested as edited) plus the usual run keys (``run.replications``, ``seed``,
``run.workers``...; default 20 replications). The model runs from the Monday 00:00 of the
history's first week to the end of its last interval, with the calibrated staffing (the
history's own agents), and ``calibrate.out`` receives ``backtest.csv`` and
``backtest.html`` (:mod:`sim.backtest`). Exit status 0 when the model is good enough to use,
1 when it is not, 2 for bad input.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .. import backtest as bt
from ..calibrate import origin_of
from ..errors import ConfigError
from ..history import IntervalReport, read_intervals
from .calibrate import CalibrateKeys, command, run_calibration, search_path

__all__ = ["Outcome", "main", "run_backtest", "staffed_as_history", "terminal"]

REPLICATIONS = 20


def run_backtest(keys: CalibrateKeys, overrides: Sequence[str] = (),
                 progress: bool = True) -> Outcome:
    """Simulate, compare, write ``backtest.csv``, ``backtest.html`` and a figure per channel
    (``backtest-<channel>.png``).

    Raises
    ------
    HistoryError, ConfigError, ValueError
        Bad data or keys: nothing is simulated.
    """
    from ..replications import run_replications  # noqa: PLC0415
    from .config import build_setup, compose  # noqa: PLC0415

    out = Path(keys.out)
    configs = [out / "conf" / g / f"{keys.name}.yaml" for g in ("scenario", "staffing")]
    if not all(p.exists() for p in configs):
        print(f"no calibration {keys.name} in {out}: calibrating first", file=sys.stderr)
        run_calibration(keys)
    else:
        _same_source(configs[0], Path(keys.intervals).name)
    report = read_intervals(keys.intervals)
    origin = origin_of(report)
    obs = bt.observed(report, origin)
    if not staffed_as_history(report):
        # The calibrated staffing is a rule, not what the operation had on the floor:
        # waits say nothing about the model then, arrivals still do.
        print("the history has no agents for every channel, so its staffing was not "
              "reproduced: judging offered only", file=sys.stderr)
        obs = obs[obs["metric"] == "offered"]
    n_intervals = int(obs["interval"].max()) + 1
    horizon = n_intervals * report.interval_min
    given = {o.partition("=")[0].lstrip("+~") for o in overrides}
    for key in ("scenario", "staffing", "run.horizon", "run.warmup"):
        if key in given:
            raise ConfigError(key, "(given)", "set by the back-test: the calibrated model over "
                              "the history's own period")
    defaults = {"run.replications": str(REPLICATIONS), "run.progress": str(progress).lower()}
    cfg = compose([search_path(keys), f"scenario={keys.name}", f"staffing={keys.name}",
                   *(f"{k}={v}" for k, v in defaults.items() if k not in given),
                   *overrides, "run.warmup=0", f"run.horizon={horizon}min"])
    setup = build_setup(cfg)
    least = bt.min_replications()
    if setup.run.replications < least:
        n = setup.run.replications
        raise ConfigError("run.replications", n, f"at least {least} for a {bt.LEVEL:.0%} band "
                          f"(with {n} the widest band, lowest to highest, holds a new draw "
                          f"with probability {(n - 1) / (n + 1):.0%})")
    if setup.scenario.interval_min != report.interval_min:
        raise ConfigError("scenario.interval", f"{setup.scenario.interval_min:g}min",
                          f"the history's interval, {report.interval_min}min")
    start = time.perf_counter()
    results = run_replications(setup)
    totals = bt.simulated(results.contacts, report.interval_min, n_intervals,
                          report.channels)
    sim = bt.per_interval(totals)
    table = bt.bands(obs, sim)
    observed_period = bt.observed_period(report)
    observed_period = observed_period[observed_period["metric"].isin(set(obs["metric"]))]
    period = bt.period_check(observed_period, bt.simulated_period(totals, obs))
    per_day = 1440 // report.interval_min
    scores = bt.scores(table)
    flags = bt.flags(table, bt.null_days(table, sim, per_day), per_day)
    verdict = bt.verdict(period, scores, flags)
    notes = {"history": str(keys.intervals), "model": f"scenario={keys.name} "
             f"staffing={keys.name} in {out / 'conf'}",
             "period": f"{origin:%Y-%m-%d} (Monday) + {horizon / 1440:g} days",
             "replications": str(setup.run.replications), "seed": str(setup.run.seed),
             "simulated in": f"{time.perf_counter() - start:.1f} s"}
    _write(out, table, period, scores, flags, verdict, notes)
    return Outcome(verdict, table, period, scores, flags)


@dataclass(frozen=True)
class Outcome:
    """A back-test's tables (:mod:`sim.backtest`) and its verdict."""

    verdict: bt.Verdict
    table: pd.DataFrame
    period: pd.DataFrame
    scores: pd.DataFrame
    flags: pd.DataFrame


def _same_source(scenario: Path, intervals: str) -> None:
    """Warn when the calibration on disk was made from another file (a stale one)."""
    with scenario.open() as f:
        head = [next(f, "") for _ in range(3)]
    source = next((line[len("# from "):].strip() for line in head
                   if line.startswith("# from ")), None)
    if source is not None and intervals not in source.split(" and "):
        print(f"warning: {scenario} was calibrated from {source}, not {intervals}: re-run "
              "python -m sim.calibrate, or choose another calibrate.name", file=sys.stderr)


def staffed_as_history(report: IntervalReport) -> bool:
    """Whether the calibrated staffing is the history's own (an ``agents`` value for every
    channel; see :func:`sim.calibrate.write.staffing_yaml`)."""
    t = report.table
    return "agents" in t and bool(t.groupby("channel")["agents"].apply(
        lambda a: np.isfinite(a.to_numpy(float)).any()).all())


def terminal(period: pd.DataFrame, scores: pd.DataFrame) -> str:
    """The whole period and each channel's band coverage, as a few aligned lines."""
    cover = scores.set_index(["channel", "metric"])["coverage"]
    lines = [f"{'channel':<10}{'metric':<15}{'observed':>10}{'simulated':>11}"
             f"{'90% band':>22}{'in band':>9}"]
    for r in period.itertuples():
        fmt = lambda x: bt.show(r.metric, x)  # noqa: E731
        lines.append(f"{r.channel:<10}{r.metric:<15}{fmt(r.observed):>10}"
                     f"{fmt(r.sim_mean):>11}{fmt(r.sim_low) + ' to ' + fmt(r.sim_high):>22}"
                     f"{cover.get((r.channel, r.metric), float('nan')):>9.0%}")
    return "\n".join(lines)


def _write(out: Path, table: pd.DataFrame, period: pd.DataFrame, scores: pd.DataFrame,
           flags: pd.DataFrame, verdict: bt.Verdict, notes: dict[str, str]) -> None:
    """The figures, the page, then the table, each written whole or not at all."""
    from ..backtest.page import figures, page  # noqa: PLC0415 - matplotlib only when writing

    out.mkdir(parents=True, exist_ok=True)
    pngs = figures(table)
    files: dict[str, bytes] = {f"backtest-{channel}.png": png for channel, png in pngs.items()}
    files["backtest.html"] = page(table, period, scores, flags, verdict, notes,
                                  pngs).encode("utf-8")
    files["backtest.csv"] = table[list(bt.COLUMNS)].to_csv(
        index=False, lineterminator="\n", float_format="%.6g",
        date_format="%Y-%m-%dT%H:%M").encode("utf-8")
    for name, data in files.items():
        tmp = out / f".{name}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, out / name)


def _backtest(keys: CalibrateKeys, rest: list[str]) -> int:
    outcome = run_backtest(keys, rest)
    out = Path(keys.out)
    print(terminal(outcome.period, outcome.scores))
    print("('in band': share of the intervals whose observed value is inside the band)")
    print(f"wrote {out / 'backtest.csv'} and {out / 'backtest.html'}")
    print(outcome.verdict)
    return 0 if outcome.verdict.good else 1


def main(argv: Sequence[str] | None = None) -> int:
    """The command; returns its exit status (0: good enough, 1: not, 2: bad input)."""
    return command("backtest", __doc__, argv, _backtest)
