"""Which tables a results directory keeps (``run.tables``, sim/outputs.py), summary-only
jobs end to end, and the sweep's per-replication dataset (sim/compare/dataset.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import compare
from sim.compare.dataset import DATASET, MARK, dataset_frame, write_dataset
from sim.errors import InvalidValue
from sim.outputs import ALL, SUMMARY, describe, kept

from .conftest import ROOT, run_command
from .test_compare import make_job

#: The most a summary-only job may write (issue #13): what a sweep of 10,000 jobs keeps.
SUMMARY_JOB_BYTES = 200_000


@pytest.mark.parametrize("value, expected", [
    ("all", ALL), ("summary", SUMMARY), ("intervals", SUMMARY | {"intervals"}),
    (["contacts", "segments"], SUMMARY | {"contacts", "segments"}), ([], SUMMARY),
])
def test_tables_kept(value, expected):
    assert kept(value) == expected


def test_tables_described_as_the_user_would_write_them():
    assert describe(ALL) == "all" and describe(SUMMARY) == "summary"
    assert describe(kept(["staffing", "contacts"])) == "[summary,per_replication,contacts,staffing]"


@pytest.mark.parametrize("value", ["none", "contact", ["contacts", "figures"], 3, {"a": 1}])
def test_unknown_tables_are_refused_naming_what_is_valid(value):
    with pytest.raises(InvalidValue) as err:
        kept(value)
    assert err.value.field == "tables" and "summary" in err.value.valid


def _size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def test_a_summary_only_job_is_small_and_computes_the_same_summary(tmp_path):
    """run.tables=summary writes summary.csv, per_replication.parquet, job.json and a
    report of the tables, under 200 KB, and no contact record; its summary is the full
    run's, to the bit (the same metrics of the same records)."""
    common = ["run.horizon=2d", "run.replications=2", "run.progress=false"]
    full = run_command(tmp_path, "sim", *common, name="full")
    small = run_command(tmp_path, "sim", *common, "run.tables=summary", name="small")
    assert full.returncode == 0 and small.returncode == 0, small.stderr
    out = tmp_path / "small"
    names = {p.name for p in out.iterdir()}
    assert names == {".hydra", "carequeue.log", "job.json", "per_replication.parquet",
                     "report.html", "summary.csv", "summary.parquet"}, names
    assert _size(out) < SUMMARY_JOB_BYTES, _size(out)
    pd.testing.assert_frame_equal(pd.read_csv(out / "summary.csv"),
                                  pd.read_csv(tmp_path / "full" / "summary.csv"))
    pd.testing.assert_frame_equal(pd.read_parquet(out / "per_replication.parquet"),
                                  pd.read_parquet(tmp_path / "full" / "per_replication.parquet"))
    report = (out / "report.html").read_text()
    assert "data:image/png" not in report and "run.tables=summary" in report
    assert '"tables": [\n  "summary",\n  "per_replication"\n ]' in (out / "job.json").read_text()


def test_chosen_tables_are_written_and_others_not(tmp_path):
    proc = run_command(tmp_path, "sim", "scenario=erlang", "run.horizon=6h", "run.warmup=0",
                       "run.replications=2", "run.workers=2", "run.tables=[intervals,segments]")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "run"
    assert (out / "intervals.parquet").is_file() and (out / "segments.parquet").is_file()
    for name in ("contacts.parquet", "journeys.parquet", "staffing.parquet", "figures"):
        assert not (out / name).exists(), name
    # Both replications' segments, the second streamed from a worker process.
    assert set(pd.read_parquet(out / "segments.parquet")["replication"]) == {0, 1}


def test_a_wrong_tables_value_stops_before_running(tmp_path):
    proc = run_command(tmp_path, "sim", "run.tables=[summary,contact]")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "config error: run.tables=['summary', 'contact']: 'contact' is not a table; must be "
        "'all', 'summary', or a list of tables among summary, per_replication, contacts, "
        "segments, journeys, intervals, staffing (summary and per_replication are always "
        "written)"]
    assert not (tmp_path / "run" / "summary.csv").exists()


@pytest.mark.slow  # a four-job sweep and its comparison (~10 s)
def test_a_summary_only_sweep_is_compared_and_gives_one_dataset(tmp_path):
    """A summary-only sweep: the comparison pairs the jobs from per_replication.parquet,
    draws no wait distribution it has no data for (and says why), and writes the sweep's
    per_replication/ dataset, one query away with pandas."""
    sweep = tmp_path / "sweep"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "-m", "scenario=erlang", "scenario.agents=11,12",
         "seed=1,2", "run.horizon=6h", "run.warmup=0", "run.drain=1h",
         "run.replications=2", "run.progress=false", "run.tables=summary",
         f"hydra.sweep.dir={sweep}"], cwd=tmp_path, capture_output=True, text=True,
        env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    paired = pd.read_csv(sweep / "paired.csv")
    assert len(paired) and set(paired["n_pairs"]) == {4}
    assert not (sweep / "figures" / "frt_cdf_overlay.png").exists()
    assert "wrote no contact records (run.tables without contacts)" in (
        sweep / "comparison.html").read_text()
    per_job = sum(len(pd.read_parquet(sweep / str(j) / "per_replication.parquet"))
                  for j in range(4))
    data = pd.read_parquet(sweep / DATASET)
    assert len(data) == per_job
    asa = pd.read_parquet(sweep / DATASET, filters=[("metric", "==", "asa_min"),
                                                     ("scenario.agents", "==", "12")])
    assert set(asa["job"]) == {"2", "3"}  # Hydra's order: agents, then seed
    assert set(asa["channel"]) == {"phone", "all"} and len(asa) == 2 * 2 * 2
    for job in asa["job"].unique():
        own = pd.read_parquet(sweep / job / "per_replication.parquet")
        own = own[own["metric"] == "asa_min"].sort_values(["replication", "channel"])
        mine = asa[asa["job"] == job].sort_values(["replication", "channel"])
        np.testing.assert_array_equal(mine["value"].to_numpy(), own["value"].to_numpy())
    _documented_duckdb_query(sweep, data)


def _documented_duckdb_query(sweep: Path, data: pd.DataFrame) -> None:
    """docs/sweeps.md's DuckDB query, on this sweep, gives what pandas gives."""
    try:
        import duckdb  # noqa: PLC0415 - optional extra
    except ImportError:
        return
    text = (ROOT / "docs" / "sweeps.md").read_text()
    query = text.split("```sql\n", 1)[1].split("```", 1)[0]
    query = query.replace("results/sweeps/staffing", str(sweep))
    got = duckdb.sql(query).df()
    sl = data[(data["metric"] == "service_level") & (data["channel"] == "all")]
    want = sl.groupby(sl["scenario.agents"].astype(int))["value"].agg(["mean", "count"])
    assert got["agents"].tolist() == want.index.tolist()
    np.testing.assert_allclose(got["service_level"], want["mean"], rtol=1e-12)
    assert got["n"].tolist() == want["count"].tolist()


def test_the_dataset_holds_every_complete_job_and_replaces_only_its_own(tmp_path):
    a = make_job(tmp_path / "s" / "0", ["routing=siloed", "seed=1"])
    make_job(tmp_path / "s" / "1", ["routing=blended", "seed=1"],
             values={"asa_min": np.array([1.0, 2.0])}, channels=("all", "phone"))
    (tmp_path / "s" / "2").mkdir()
    (tmp_path / "s" / "2" / "error.txt").write_text("config error: x\n")
    jobs = compare.load_jobs([tmp_path / "s"])
    frame = dataset_frame(jobs)
    assert list(frame.columns[:3]) == ["job", "seed", "routing"]
    assert set(frame["job"]) == {"0", "1"}
    assert len(frame) == len(pd.read_parquet(a / "per_replication.parquet")) + 4
    out = tmp_path / "out"
    out.mkdir()
    path = write_dataset(jobs, out)
    assert (path / MARK).is_file()
    assert write_dataset(jobs, out) == path  # its own dataset: replaced
    back = pd.read_parquet(path)
    assert len(back) == len(frame)
    assert write_dataset([], out) is None and not path.exists()  # no job: no stale dataset
    write_dataset(jobs, out)
    (out / DATASET / MARK).unlink()  # now it could be anyone's
    with pytest.raises(FileExistsError):
        write_dataset(jobs, out)


def test_the_dataset_is_documented_with_queries():
    text = (ROOT / "docs" / "sweeps.md").read_text()
    assert "per_replication/" in text and "hive_partitioning" in text and "```sql\n" in text
