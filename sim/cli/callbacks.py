"""Hydra callbacks: compare the jobs of a sweep when it ends.

Registered in ``conf/config.yaml`` under ``hydra.callbacks``. Hydra instantiates callbacks
for single runs too, so this module imports nothing heavy at import time: pandas loads when
a multirun starts (its margins and objective are checked before any job runs) and
matplotlib when it ends. Hydra skips ``on_multirun_end`` when a job
raised; ``python -m sim.compare <sweep dir>`` then does the same job by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig


class CompareSweep(Callback):
    """At the end of ``python -m sim -m ...``, write the sweep's comparison files.

    Writes ``comparison.csv``, ``paired.csv``, ``figures/`` and ``comparison.html`` into
    ``hydra.sweep.dir`` (see :mod:`sim.compare`) and prints a short summary and where it
    wrote. A failure here is reported as one line on stderr and never fails the sweep: the
    jobs' own results are already written.

    Parameters
    ----------
    baseline : str, optional
        ``KEY=VALUE`` choosing the baseline of the paired comparisons (e.g.
        ``routing=siloed``; a Hydra prefix on KEY, as in ``++staffing.agents.twitter=4``, is
        ignored); default: each group's first job. Set it from the command line, quoted
        because the value holds an ``=``:
        ``'hydra.callbacks.compare.baseline="routing=siloed"'``. A baseline no complete job
        has is reported on stderr with the valid values, and each group's first job is used.
    enabled : bool
        False turns the comparison off (``hydra.callbacks.compare.enabled=false``).
    treat : str, optional
        The treatment keys of the paired comparisons, comma-separated (default: the policy
        keys if any varies, else every varying key but the seed; see :mod:`sim.compare`).
        Set it with ``hydra.callbacks.compare.treat=KEY``.
    margins : mapping, optional
        Metric -> the smallest difference that matters (a number in the metric's unit, or
        ``'5%'`` of the larger of the two means), replacing defaults of
        :data:`sim.compare.margins.DEFAULT_MARGINS`:
        ``hydra.callbacks.compare.margins.service_level=0.02``.
    hold : str, optional
        Keys inside the treatment held equal within a pair, comma-separated
        (``hydra.callbacks.compare.hold=escalation.follow``: each policy against the
        baseline at the same ``follow``, one comparison per value: a sensitivity analysis).
    objective : str, optional
        The metric the comparison's answer ranks the policies by (default
        ``dissatisfaction_rate`` of all channels, at equal cost; see :mod:`sim.compare`).
    """

    def __init__(self, baseline: str | None = None, enabled: bool = True,
                 treat: str | None = None, margins: Any = None,
                 objective: str | None = None, hold: str | None = None) -> None:
        self.hold = None if hold is None else str(hold)
        self.margins = dict(margins or {})
        self.objective = None if objective is None else str(objective)
        self.baseline = None if baseline is None else str(baseline)
        self.enabled = enabled
        self.treat = None if treat is None else str(treat)
        self._sweep_dir: Path | None = None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        if self.enabled:
            # Checked before any job runs: a bad margin or objective stops the sweep with one
            # line, not after all its work.
            from ..compare.margins import MarginError, check_objective, margins  # noqa: PLC0415

            try:
                margins(self.margins)
                if self.objective is not None:
                    check_objective(self.objective)
            except MarginError as err:
                print(f"config error: hydra.callbacks.compare.{err}", file=sys.stderr)
                raise SystemExit(2) from None
        # Resolved now, before any job runs: the directory the sweeper writes to.
        try:
            self._sweep_dir = Path(str(config.hydra.sweep.dir))
        except Exception:  # noqa: BLE001 - resolved again at the end
            self._sweep_dir = None

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if not self.enabled:
            return
        try:
            from .. import compare  # noqa: PLC0415 - heavy imports only when a sweep ends

            sweep_dir = self._sweep_dir or Path(str(config.hydra.sweep.dir))
            jobs = compare.load_jobs([sweep_dir])
            treatment = compare.choose_treatment(jobs, self.treat, self.hold)
            baseline = self.baseline
            if baseline is not None:
                try:
                    compare.check_baseline(jobs, baseline, treatment)
                except ValueError as err:  # compare anyway: the sweep's work is done
                    print(f"compare: hydra.callbacks.compare.baseline={baseline}: {err}; "
                          "using each group's first job", file=sys.stderr)
                    baseline = None
            result = compare.compare(jobs, sweep_dir, baseline=baseline, sources=[sweep_dir],
                                     treat=treatment, margins=self.margins,
                                     objective=self.objective)
            print(compare.format_overview(jobs, result.paired, objective=self.objective))
            print(f"comparison -> {result.html} (comparison.csv, paired.csv, figures/, per_replication/)")
        except Exception as err:  # noqa: BLE001 - never fail a finished sweep over its report
            message = " ".join(str(err).split()) or type(err).__name__
            print(f"compare: could not compare the sweep ({type(err).__name__}: {message}); "
                  f"run python -m sim.compare <sweep dir>", file=sys.stderr)
