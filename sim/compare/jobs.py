"""The jobs of a comparison: found in a sweep directory or given as results directories.

A job is *complete* when its ``summary.csv`` exists (written last by ``python -m sim``),
*failed* when it has an ``error.txt`` (first line: the message), and *missing* when its
directory does not exist (expected from ``multirun.yaml``) or holds neither file (killed
mid-run). Failed and missing jobs are listed with their error, never dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from .settings import lookup, norm_key, norm_value, overrides_dict, read_yaml

COMPLETE, FAILED, MISSING = "complete", "failed", "missing"


class NotResultsError(ValueError):
    """A path given to compare is neither a results (job) directory nor a sweep directory."""


@dataclass(eq=False)
class Job:
    """One job of a comparison: a results directory (or where one should have been).

    Attributes
    ----------
    name : str
        Display name: the directory name (the job number in a sweep).
    path : pathlib.Path
        The job directory (may not exist for a missing job).
    overrides : dict[str, str | None]
        The job's command-line overrides, key -> value (``.hydra/overrides.yaml``, or the
        sweep's expansion for a job that never started). Keys have no Hydra prefix:
        ``++staffing.agents.twitter=3`` is ``{"staffing.agents.twitter": "3"}``.
    status : str
        ``"complete"`` (has ``summary.csv``), ``"failed"`` (has ``error.txt``) or
        ``"missing"`` (no directory, or killed mid-run).
    error : str
        One line: the failure message, or why the job is missing; ``""`` when complete.
    number : int or None
        Job number in its sweep (``hydra.job.num``), when known.

    Tables are read lazily from the directory: :attr:`summary`, :attr:`per_replication`
    (cached) and :meth:`contacts` (not cached: it can be large).
    """

    name: str
    path: Path
    overrides: dict[str, str | None] = field(default_factory=dict)
    status: str = COMPLETE
    error: str = ""
    number: int | None = None

    @cached_property
    def config(self) -> dict[str, Any] | None:
        """The composed task config (``.hydra/config.yaml``), unresolved; None if absent."""
        data = read_yaml(self.path / ".hydra" / "config.yaml")
        return data if isinstance(data, dict) else None

    @cached_property
    def choices(self) -> dict[str, str]:
        """Config group choices (``hydra.runtime.choices``: ``routing -> siloed``...)."""
        data = read_yaml(self.path / ".hydra" / "hydra.yaml")
        found = lookup(data, "hydra.runtime.choices") if isinstance(data, dict) else None
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, Mapping) else {}

    @cached_property
    def summary(self) -> pd.DataFrame:
        """``summary.csv``: ``channel, metric, mean, ci_low, ci_high, n``."""
        return pd.read_csv(self.path / "summary.csv")

    @cached_property
    def per_replication(self) -> pd.DataFrame:
        """``per_replication.parquet``: ``replication, channel, metric, value``."""
        return pd.read_parquet(self.path / "per_replication.parquet")

    @property
    def has_contacts(self) -> bool:
        """Whether the job wrote ``contacts.parquet`` (a summary-only job did not): as its
        ``job.json`` lists, else as the directory holds."""
        try:
            tables = json.loads((self.path / "job.json").read_text(encoding="utf-8"))["tables"]
        except (OSError, ValueError, KeyError, TypeError):
            tables = None
        if isinstance(tables, list) and "contacts" not in tables:
            return False
        return (self.path / "contacts.parquet").is_file()

    def contacts(self, columns: Sequence[str] | None = None,
                 filters: list[tuple[str, str, Any]] | None = None) -> pd.DataFrame:
        """Rows of ``contacts.parquet``, reading only ``columns`` and rows matching ``filters``.

        ``filters`` are pyarrow predicates such as ``[("warmup", "==", False)]``; they are
        applied while reading, so skipped rows never take memory.
        """
        return pd.read_parquet(self.path / "contacts.parquet",
                               columns=None if columns is None else list(columns),
                               filters=filters)

    def setting(self, key: str) -> str | None:
        """The job's value of ``key``: its override, else its config group choice, else the
        value in its composed config (None when unknown, e.g. for a missing job). A Hydra
        prefix on ``key`` (``++staffing.agents.twitter``) is ignored."""
        key = norm_key(key)
        if key in self.overrides:
            return self.overrides[key]
        if key in self.choices:
            return self.choices[key]
        return norm_value(lookup(self.config, key))

    @property
    def seed(self) -> str | None:
        """The job's seed, as a string."""
        return self.setting("seed")


def is_job_dir(path: Path) -> bool:
    """Whether ``path`` looks like one job's results directory."""
    return any((path / name).exists() for name in ("summary.csv", "error.txt", ".hydra"))


def is_sweep_dir(path: Path) -> bool:
    """Whether ``path`` looks like a sweep directory (``multirun.yaml`` or numbered jobs)."""
    if (path / "multirun.yaml").is_file():
        return True
    return not is_job_dir(path) and any(c.is_dir() and c.name.isdigit() and is_job_dir(c)
                                        for c in path.iterdir())


def _first_line(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        return f"unreadable error.txt: {err}"
    return next((line.strip() for line in text.splitlines() if line.strip()), "(empty error.txt)")


def _job_from_dir(path: Path, name: str, number: int | None = None,
                  expected: Sequence[str] | None = None) -> Job:
    """Status, error and overrides of one job directory."""
    lines = read_yaml(path / ".hydra" / "overrides.yaml")
    if not isinstance(lines, list):
        lines = list(expected or [])
    job = Job(name=name, path=path, overrides=overrides_dict(lines), number=number)
    if (path / "summary.csv").is_file():
        job.status = COMPLETE
    elif (path / "error.txt").is_file():
        job.status, job.error = FAILED, _first_line(path / "error.txt")
    else:
        job.status = MISSING
        job.error = "incomplete: neither summary.csv nor error.txt (killed mid-run?)"
    return job


def expected_job_overrides(sweep_dir: Path) -> list[list[str]] | None:
    """The overrides of every job a sweep should have, in job-number order.

    Expands ``multirun.yaml`` as Hydra's basic sweeper does: ``hydra.sweeper.params`` then
    ``hydra.overrides.task``, each comma list (or ``range``/``choice``) a factor of a
    cartesian product, the first key varying slowest; job ``i`` is the ``i``-th element.

    Returns
    -------
    list of list of str, or None
        ``None`` when there is no ``multirun.yaml``, another sweeper was used, or the sweep
        cannot be expanded without the config (e.g. a glob over config group options).
    """
    data = read_yaml(Path(sweep_dir) / "multirun.yaml")
    hydra_cfg = data.get("hydra") if isinstance(data, dict) else None
    if not isinstance(hydra_cfg, dict):
        return None
    sweeper = hydra_cfg.get("sweeper") or {}
    if "BasicSweeper" not in str(sweeper.get("_target_", "BasicSweeper")):
        return None
    params = sweeper.get("params") or {}
    task = lookup(hydra_cfg, "overrides.task") or []
    lines = [f"{k}={v}" for k, v in params.items()] + [str(t) for t in task]
    from ..cli.overrides import expand_sweep  # noqa: PLC0415 - Hydra's grammar, when needed

    return expand_sweep(lines)



def _sweep_jobs(sweep_dir: Path, prefix: str = "") -> list[Job]:
    """The jobs of a sweep directory: expected ones (complete, failed or missing) then extras."""
    expected = expected_job_overrides(sweep_dir) or []
    dirs = {c.name: c for c in sweep_dir.iterdir()
            if c.is_dir() and (c.name.isdigit() or is_job_dir(c))}
    numbered = sorted((n for n in dirs if n.isdigit()), key=int)
    order = numbered + sorted(n for n in dirs if not n.isdigit())
    overrides_of: dict[str, list[str] | None] = {}
    jobs, used = [], set()
    for i, lines in enumerate(expected):
        name = str(i) if str(i) in dirs else None
        if name is None:  # a custom hydra.sweep.subdir: find the job by its overrides
            for n in order:
                if n not in used and n not in overrides_of:
                    got = read_yaml(dirs[n] / ".hydra" / "overrides.yaml")
                    overrides_of[n] = [str(x) for x in got] if isinstance(got, list) else None
                if n not in used and overrides_of.get(n) == lines:
                    name = n
                    break
        if name is None:
            jobs.append(Job(name=prefix + str(i), path=sweep_dir / str(i),
                            overrides=overrides_dict(lines), status=MISSING, number=i,
                            error="missing: no job directory (never started, or deleted)"))
        else:
            used.add(name)
            jobs.append(_job_from_dir(dirs[name], prefix + name, i, lines))
    for n in order:
        if n not in used:
            jobs.append(_job_from_dir(dirs[n], prefix + n, int(n) if n.isdigit() else None))
    return jobs


def _unique_names(paths: Sequence[Path]) -> list[str]:
    """Shortest distinct trailing parts of each path (``12-00-00``, or ``day2/12-00-00``)."""
    parts = [p.resolve().parts for p in paths]
    for k in range(1, max((len(p) for p in parts), default=1) + 1):
        names = ["/".join(p[-k:]) for p in parts]
        if len(set(names)) == len(names):
            return names
    return [str(p) for p in paths]


def load_jobs(paths: Path | str | Sequence[Path | str]) -> list[Job]:
    """Find the jobs to compare.

    Parameters
    ----------
    paths : path or sequence of paths
        One sweep directory (``hydra.sweep.dir``, holding ``multirun.yaml`` and one directory
        per job): its jobs, including failed ones and the missing ones ``multirun.yaml`` says
        should exist. Otherwise every path is a job (a results directory of ``python -m
        sim``); a sweep directory among several paths contributes all its jobs.

    Returns
    -------
    list of Job
        In job-number order for a sweep, else in the order given. Nothing is read beyond the
        overrides and the status files until a table is asked for.

    Raises
    ------
    NotResultsError
        If a path does not exist or is neither a results nor a sweep directory.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    if not paths:
        raise NotResultsError("no results or sweep directory given")
    for p in paths:
        if not p.is_dir():
            raise NotResultsError(f"{p}: no such directory")
        if not (is_job_dir(p) or is_sweep_dir(p)):
            raise NotResultsError(
                f"{p}: not a results directory (no summary.csv, error.txt or .hydra/) "
                "nor a sweep directory (no multirun.yaml or numbered job directories)")
    names = _unique_names(paths)
    jobs: list[Job] = []
    for p, name in zip(paths, names):
        if is_job_dir(p):
            jobs.append(_job_from_dir(p, name))
        else:
            jobs += _sweep_jobs(p, prefix="" if len(paths) == 1 else name + "/")
    return jobs


def override_keys(jobs: Sequence[Job]) -> list[str]:
    """Every override key set in any of ``jobs``, in order of first appearance."""
    return list(dict.fromkeys(k for j in jobs for k in j.overrides))
