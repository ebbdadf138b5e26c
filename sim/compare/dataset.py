"""A sweep's per-replication results as one partitioned parquet dataset.

Ten thousand jobs are ten thousand ``per_replication.parquet`` files; a question across the
sweep ("the service level of every job with 14 agents") should be one query, not ten
thousand reads. :func:`write_dataset` gathers the complete jobs' per-replication values
into ``per_replication/`` beside the comparison, Hive-partitioned by metric
(``per_replication/metric=service_level/part-0.parquet``), one row per job, replication,
channel and metric:

``job`` (its name: the job number in a sweep), ``seed``, one column per override key of the
sweep (the value as given on the command line, a string; null where the job did not set
it), ``replication``, ``channel``, ``metric`` (the partition) and ``value`` (units as in
``per_replication.parquet``: minutes, shares in [0, 1], hours).

Read it with pandas (``pd.read_parquet(path, filters=[("metric", "==", "asa_min")])``) or
DuckDB (``read_parquet('per_replication/*/*.parquet', hive_partitioning = true)``);
docs/sweeps.md has examples.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .jobs import COMPLETE, Job, override_keys

__all__ = ["DATASET", "MARK", "dataset_frame", "write_dataset"]

#: The dataset's directory, in the comparison's output directory.
DATASET = "per_replication"
#: A file marking the directory as CareQueue's (only such a directory is ever replaced).
#: Its leading underscore keeps parquet readers (pyarrow, DuckDB's globs) from reading it.
MARK = "_carequeue_dataset"


def dataset_frame(jobs: Sequence[Job]) -> pd.DataFrame:
    """The rows of the dataset: every complete job's per-replication values, with the job's
    name, seed and override values as columns."""
    keys = [k for k in override_keys(jobs) if k not in ("seed", "job", "replication",
                                                        "channel", "metric", "value")]
    frames = []
    for job in jobs:
        if job.status != COMPLETE:
            continue
        try:
            t = job.per_replication
        except Exception:  # noqa: BLE001 - an unreadable table: the job has no rows here
            continue
        head = {"job": job.name, "seed": job.seed,
                **{k: job.overrides.get(k) for k in keys}}
        frames.append(pd.DataFrame({**{c: [v] * len(t) for c, v in head.items()},
                                    "replication": t["replication"].to_numpy(),
                                    "channel": t["channel"].astype(str).to_numpy(),
                                    "metric": t["metric"].astype(str).to_numpy(),
                                    "value": t["value"].to_numpy(float)}))
    columns = ["job", "seed", *keys, "replication", "channel", "metric", "value"]
    if not frames:
        return pd.DataFrame(columns=columns)
    data = pd.concat(frames, ignore_index=True)
    for c in ["job", "seed", *keys]:
        data[c] = data[c].astype("string")
    data["replication"] = data["replication"].astype("int64")
    return data[columns]


def write_dataset(jobs: Sequence[Job], out_dir: Path | str) -> Path | None:
    """Write ``out_dir/per_replication/`` (see the module docstring); None when no job is
    complete. The directory appears whole: written beside it, then swapped in; an earlier
    dataset there is replaced only when it is CareQueue's (it holds :data:`MARK`)."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.dataset as ds  # noqa: PLC0415

    data = dataset_frame(jobs)
    out = Path(out_dir)
    target = out / DATASET
    if target.exists() and not (target / MARK).is_file():
        raise FileExistsError(f"{target} exists and is not a CareQueue dataset: not replaced")
    if data.empty:  # no complete job: an earlier dataset would describe other results
        if target.exists():
            shutil.rmtree(target)
        return None
    tmp = Path(tempfile.mkdtemp(prefix=f".{DATASET}-", dir=out))
    try:
        table = pa.Table.from_pandas(data, preserve_index=False)
        ds.write_dataset(table, tmp, format="parquet", partitioning=["metric"],
                         partitioning_flavor="hive", existing_data_behavior="error",
                         basename_template="part-{i}.parquet")
        (tmp / MARK).write_text(f"{len(data)} rows from {data['job'].nunique()} jobs\n",
                                encoding="utf-8")
        if target.exists():
            old = target.with_name(f".{DATASET}-old-{os.getpid()}")
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
