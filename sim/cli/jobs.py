"""The life of one job of ``python -m sim``: skip it when already complete, record a failure.

A job's directory is complete when it holds ``summary.csv`` (moved in last by
:func:`sim.report.write_results`) and a ``job.json`` whose ``fingerprint`` is this job's:
a hash of the resolved config, less the keys that cannot change results. Re-running a sweep
into the same ``hydra.sweep.dir`` therefore skips the jobs already done and re-runs the
others: failed ones (``error.txt``), killed ones (no ``summary.csv``) and changed ones
(another fingerprint). ``CAREQUEUE_FORCE=1`` in the environment re-runs every job.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any, Mapping

import yaml
from hydra.errors import CompactHydraException

from ..outputs import FIGURE_NAMES, TABLES

FORCE_ENV = "CAREQUEUE_FORCE"
DONE, JOB, ERROR = "summary.csv", "job.json", "error.txt"
#: Keys that change how a job runs, not what it computes (results are identical).
NOT_RESULTS = {"run": ("progress", "workers")}
#: Keys added after jobs were first fingerprinted: left out at their defaults, so that a
#: sweep run before them is still found complete.
LATER_DEFAULTS = {"run": {"tables": "all"},
                  "scenario": {"added_channels": {}, "added_pools": {}}}


class JobFailed(CompactHydraException):
    """A sweep job that failed; its ``error.txt`` says why.

    Raised from the task function in a multirun: Hydra records the job as failed and goes on
    with the others, then, after the batch, re-raises the first failure (exit status 1),
    printing only this one-line message (a compact Hydra exception: no traceback).
    """


def fingerprint(config: Mapping[str, Any]) -> str:
    """SHA-256 of the resolved config (plain containers) as YAML, without ``hydra`` and
    :data:`NOT_RESULTS`."""
    data = json.loads(json.dumps(config, default=str))  # a deep copy of plain values
    data.pop("hydra", None)
    for node, keys in NOT_RESULTS.items():
        for key in keys:
            if isinstance(data.get(node), dict):
                data[node].pop(key, None)
    for node, defaults in LATER_DEFAULTS.items():
        for key, default in defaults.items():
            if isinstance(data.get(node), dict) and data[node].get(key, default) == default:
                data[node].pop(key, None)
    return hashlib.sha256(yaml.safe_dump(data, sort_keys=False).encode()).hexdigest()


def forced() -> bool:
    """Whether ``CAREQUEUE_FORCE`` asks to re-run complete jobs."""
    return os.environ.get(FORCE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def is_complete(outdir: Path, fp: str) -> bool:
    """``outdir`` holds the finished results of the job with fingerprint ``fp``."""
    if not (outdir / DONE).is_file():
        return False
    try:
        job = json.loads((outdir / JOB).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(job, dict) and job.get("status") == "complete" and job.get("fingerprint") == fp


def begin(outdir: Path, fp: str) -> bool:
    """Prepare ``outdir`` for the job ``fp``; True when it is already complete (skip it).

    Either way, staging folders a killed writer left behind and a stale ``error.txt`` go.
    A job about to run also loses the files an earlier, different job wrote in the same
    directory (its tables, figures, report and completion marks), so that the directory
    does not look complete while it runs and holds only this job's results after; files
    CareQueue did not write stay.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    for stale in outdir.glob(".writing-*"):
        shutil.rmtree(stale, ignore_errors=True)
    (outdir / ERROR).unlink(missing_ok=True)
    if not forced() and is_complete(outdir, fp):
        return True
    # An earlier, different job's results: CareQueue's own files go (the job about to run
    # may keep fewer tables, and a comparison must not read the other job's); nothing else.
    for name in (DONE, JOB, "report.html", *(f"{t}.parquet" for t in TABLES)):
        (outdir / name).unlink(missing_ok=True)
    for name in FIGURE_NAMES:
        (outdir / "figures" / f"{name}.png").unlink(missing_ok=True)
    return False


def record_failure(outdir: Path, message: str, details: str = "") -> Path:
    """Write ``error.txt``: ``message`` on the first line, then ``details`` (a traceback)."""
    path = outdir / ERROR
    outdir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{ERROR}.{os.getpid()}")
    tmp.write_text(" ".join(message.split("\n")) + "\n" + details, encoding="utf-8")
    os.replace(tmp, path)
    return path
