"""``comparison.csv``: every job's summary in one long table, its settings as columns."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .jobs import COMPLETE, FAILED, Job, override_keys

RESULT_COLUMNS = ["channel", "metric", "mean", "ci_low", "ci_high", "n"]


def _typed(column: pd.Series) -> pd.Series:
    """A settings column as numbers when every value is one (integers as Int64)."""
    present = column.dropna()
    if present.empty:
        return column
    num = pd.to_numeric(present, errors="coerce")
    if num.isna().any():
        return column
    full = pd.to_numeric(column, errors="coerce")
    if np.all(np.mod(num.to_numpy(float), 1) == 0):
        return full.astype("Int64")
    return full.astype(float)


def comparison_table(jobs: Sequence[Job]) -> pd.DataFrame:
    """All jobs' summaries in one long table, with the jobs' settings as columns.

    Parameters
    ----------
    jobs : sequence of Job
        From :func:`load_jobs`.

    Returns
    -------
    pandas.DataFrame
        Columns ``job``, one per override key set in any job (its value in each job: the
        override, else the job's config value; numeric where every value is a number),
        ``status``, ``error``, ``channel``, ``metric``, ``mean``, ``ci_low``, ``ci_high``,
        ``n``. A complete job has one row per channel and metric of its ``summary.csv``;
        a failed or missing job (or one whose summary cannot be read) has one row with its
        status and error and empty result columns.
    """
    keys = [k for k in override_keys(jobs) if k not in ("job", "status", "error", *RESULT_COLUMNS)]
    frames = []
    for job in jobs:
        head = {"job": job.name, **{k: job.setting(k) for k in keys},
                "status": job.status, "error": job.error}
        summary = None
        if job.status == COMPLETE:
            try:
                summary = job.summary[RESULT_COLUMNS]
            except (OSError, ValueError, KeyError, pd.errors.ParserError) as err:
                head.update(status=FAILED, error=f"unreadable summary.csv: {err}".splitlines()[0])
        if summary is None or summary.empty:
            frames.append(pd.DataFrame([{**head, **{c: None for c in RESULT_COLUMNS}}]))
        else:
            frames.append(summary.assign(**head))
    columns = ["job", *keys, "status", "error", *RESULT_COLUMNS]
    if not frames:
        return pd.DataFrame(columns=columns)
    table = pd.concat(frames, ignore_index=True)[columns]
    for k in keys:
        table[k] = _typed(table[k].astype(object).where(table[k].notna(), None))
    table["n"] = pd.to_numeric(table["n"], errors="coerce").astype("Int64")
    for c in ("mean", "ci_low", "ci_high"):
        table[c] = pd.to_numeric(table[c], errors="coerce")
    table["error"] = table["error"].fillna("")
    return table
