"""Compare the jobs of a sweep: one table, paired differences, figures, one HTML page.

``python -m sim.compare PATH [PATH ...] [--out DIR] [--baseline KEY=VALUE] [--treat KEY[,KEY]]``
reads a Hydra sweep directory (``hydra.sweep.dir``: ``multirun.yaml`` plus one directory per
job) or several results directories, and writes ``comparison.csv``, ``paired.csv``,
``figures/`` and ``comparison.html`` (into the sweep directory, or ``--out``). The Hydra
callback :class:`sim.cli.callbacks.CompareSweep` runs the same at the end of every
``python -m sim -m``.

A job is *complete* when its ``summary.csv`` exists (written last by ``python -m sim``),
*failed* when it has an ``error.txt`` (first line: the message), and *missing* when its
directory does not exist (expected from ``multirun.yaml``) or holds neither file (killed
mid-run). Failed and missing jobs are listed with their error, never dropped.

Paired comparisons: complete jobs on the same seed ran on the same customers (common random
numbers, see :mod:`sim.rng`). The *treatment* is the policy keys (``routing*``,
``escalation*``, ``staffing*``) when any of them varies across the complete jobs, otherwise
every varying key but ``seed`` (and the run keys that do not change results), or the keys
given with ``--treat``. Jobs whose settings are identical except the treatment form a group;
in a group each treatment value is compared with the baseline's on the units
``(seed, replication)`` both ran: the mean paired difference with a Student-t 95% interval,
next to the unpaired (Welch) interval of the same difference and the variance reduction that
pairing buys. Time metrics are in minutes, shares in [0, 1], ``agent_hours`` in staffed
agent-hours. Keys are compared without their Hydra prefix (``+``, ``++``, ``~``).

Modules: :mod:`.jobs` (finding jobs, their status and settings), :mod:`.table`
(``comparison.csv``), :mod:`.treatment` (treatment and grouping), :mod:`.paired`
(``paired.csv``: pairing, intervals, directions, verdicts), :mod:`.figures` (the figures'
data), :mod:`.plots` (the figures, pure functions of those tables), :mod:`.html` (the page),
:mod:`.write` (writing it all), :mod:`.cli` (the command).

Public API (for notebooks): :func:`load_jobs`, :class:`Job`, :func:`comparison_table`,
:func:`paired_differences`, :func:`write_comparison` (or :func:`compare`, which also returns
the tables), :func:`comparison_figures`, :func:`format_overview`, :func:`choose_treatment`.
"""

from __future__ import annotations

from .cli import format_overview, main
from .figures import MAX_CDF_POINTS, comparison_figures
from .jobs import (COMPLETE, FAILED, MISSING, Job, NotResultsError, expected_job_overrides,
                   load_jobs)
from .paired import DIRECTIONS, PAIRED_COLUMNS, direction, holm, paired_differences
from .table import RESULT_COLUMNS, comparison_table
from .treatment import (NEUTRAL_KEYS, POLICY_GROUPS, Treatment, check_baseline,
                        choose_treatment, is_policy_key)
from .write import Comparison, compare, write_comparison

__all__ = ["COMPLETE", "DIRECTIONS", "FAILED", "MAX_CDF_POINTS", "MISSING", "NEUTRAL_KEYS",
           "PAIRED_COLUMNS", "POLICY_GROUPS", "RESULT_COLUMNS", "Comparison", "Job",
           "NotResultsError", "Treatment", "check_baseline", "choose_treatment", "compare",
           "comparison_figures", "comparison_table", "direction", "expected_job_overrides", "holm",
           "format_overview", "is_policy_key", "load_jobs", "main", "paired_differences",
           "write_comparison"]
