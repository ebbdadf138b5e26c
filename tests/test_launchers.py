"""Sweeps through the optional launchers (conf/hydra/launcher/): joblib (``cores``) and
submitit on this machine (``local``, the code path of ``slurm``).

Each runs a real three-job sweep with one bad job: the two others complete, the bad one
leaves ``error.txt``, the sweep exits non-zero, and a re-run skips the complete jobs.
Skipped when the launcher's extra is not installed (``pip install -e ".[joblib]"``,
``pip install -e ".[slurm]"``); .ci/run installs both.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli.config import compose

from .test_jobs import skipped_jobs

SMALL = ("scenario=erlang", "run.horizon=6h", "run.replications=2", "run.drain=1h",
         "run.warmup=0", "run.progress=false")
PLUGINS = {"cores": "hydra_plugins.hydra_joblib_launcher",
           "local": "hydra_plugins.hydra_submitit_launcher",
           "slurm": "hydra_plugins.hydra_submitit_launcher"}
EXTRA = {"cores": "joblib", "local": "slurm", "slurm": "slurm"}


def need(launcher: str) -> None:
    pytest.importorskip(PLUGINS[launcher], reason=f"hydra/launcher={launcher} needs the "
                        f'optional extra: pip install -e ".[{EXTRA[launcher]}]"')


def sweep(tmp_path: Path, launcher: str, *overrides: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    for name in ("PYTHONPATH", "CAREQUEUE_FORCE"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "sim", "-m", f"hydra/launcher={launcher}", *SMALL, *overrides,
         f"hydra.sweep.dir={tmp_path / 'sweep'}"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)


def check_sweep(tmp_path: Path, launcher: str, *overrides: str) -> None:
    proc = sweep(tmp_path, launcher, "scenario.agents=0,12,13", *overrides)
    out = tmp_path / "sweep"
    assert proc.returncode != 0, "a failed job must fail the sweep"
    assert "config error: scenario.agents=0" in proc.stderr
    for job in ("1", "2"):
        assert (out / job / "summary.csv").is_file(), proc.stderr
        record = json.loads((out / job / "job.json").read_text())
        assert record["status"] == "complete" and record["contacts"] > 0
        assert not (out / job / "error.txt").exists()
        assert not [p for p in (out / job).iterdir() if p.name.startswith(".writing-")]
    error = (out / "0" / "error.txt").read_text().splitlines()[0]
    assert error == "config error: scenario.agents=0: must be an integer >= 1"
    assert not (out / "0" / "summary.csv").exists()

    written = {job: (out / job / "job.json").stat().st_mtime_ns for job in ("1", "2")}
    again = sweep(tmp_path, launcher, "scenario.agents=0,12,13", *overrides)
    assert again.returncode != 0
    text = again.stdout
    if launcher in ("local", "slurm"):  # submitit: a job's stdout goes to its log
        text = "".join(p.read_text() for p in (out / ".submitit").rglob("*_log.out"))
    assert skipped_jobs(text) == {"1", "2"}
    assert {job: (out / job / "job.json").stat().st_mtime_ns for job in written} == written


def test_skipped_jobs_reads_interleaved_lines():
    text = ("already complete, skipped: /tmp/a-1/sweep/0already complete, skipped: "
            "/tmp/a-1/sweep/12\n\nalready complete, skipped: /tmp/a-1/sweep/3\n")
    assert skipped_jobs(text) == {"0", "12", "3"}


def test_joblib_launcher_sweep(tmp_path):
    need("cores")
    check_sweep(tmp_path, "cores", "hydra.launcher.n_jobs=2")


def test_submitit_local_launcher_sweep(tmp_path):
    need("local")
    check_sweep(tmp_path, "local")


def test_submitit_launcher_runs_jobs_in_chunks(tmp_path):
    """hydra.launcher.chunk=2: three jobs (one bad) in two array tasks; each job still gets
    its own directory, the bad one its error.txt, and the others complete."""
    need("local")
    check_sweep(tmp_path, "local", "hydra.launcher.chunk=2")
    # Two tasks a run (submitit's local executor runs each as a job of its own), two runs.
    tasks = list((tmp_path / "sweep" / ".submitit").rglob("*_submitted.pkl"))
    assert len(tasks) == 4, tasks


@pytest.mark.parametrize("jobs, chunk, max_tasks, size", [
    (4, None, 1000, 1), (10_000, None, 1000, 10), (10_001, None, 1000, 11), (7, 3, 1000, 3),
    (7, None, 2, 4)])
def test_chunk_size(jobs, chunk, max_tasks, size):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    from hydra_plugins.carequeue_launcher.chunked import chunk_size  # noqa: PLC0415

    assert chunk_size(jobs, chunk, max_tasks) == size
    if chunk is None:  # sized: the array stays within max_tasks, with the fewest per task
        assert -(-jobs // size) <= max_tasks
        assert size == 1 or -(-jobs // (size - 1)) > max_tasks


def cluster_up() -> bool:
    """A SLURM cluster answers here (CI starts one: scripts/slurm_cluster.sh)."""
    if shutil.which("sinfo") is None:
        return False
    proc = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return proc.returncode == 0 and "idle" in proc.stdout.split()


def test_slurm_launcher_sweep_on_a_real_cluster(tmp_path):
    """hydra/launcher=slurm for real, through sbatch: a job array of chunks, each job's
    directory complete or failed as with the other launchers; skipped without a cluster."""
    need("slurm")
    if not cluster_up():
        if os.environ.get("CAREQUEUE_CI_SLURM"):
            pytest.fail("CAREQUEUE_CI_SLURM is set but no SLURM cluster answers here")
        pytest.skip("no SLURM cluster answers here (.ci/run starts one: scripts/slurm_cluster.sh)")
    check_sweep(tmp_path, "slurm", "hydra.launcher.chunk=2", "hydra.launcher.mem_gb=1")


@pytest.mark.parametrize("launcher,target", [
    ("cores", "JoblibLauncher"), ("local", "LocalLauncher"), ("slurm", "SlurmLauncher")])
def test_launcher_configs_compose(launcher, target):
    """Each conf/hydra/launcher/*.yaml extends its plugin's config with our defaults."""
    need(launcher)
    cfg = compose([f"hydra/launcher={launcher}"], return_hydra_config=True)
    node = cfg.hydra.launcher
    assert node._target_.endswith(target)
    if launcher == "cores":
        assert node.n_jobs == -1
    else:
        assert node.timeout_min == 60 and node.cpus_per_task == 1
    if launcher == "slurm":
        assert node.mem_gb == 4 and node.array_parallelism == 64 and node.max_num_timeout == 0
        assert node.partition is None and node.account is None
