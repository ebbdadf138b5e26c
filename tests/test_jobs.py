"""Job lifecycle of ``python -m sim`` (sim/cli/jobs.py): complete jobs are skipped on a re-run,
failed jobs leave ``error.txt`` without stopping the sweep, killed jobs never look complete.

Every test runs the real CLI in a subprocess on a small erlang model.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from pathlib import Path

from omegaconf import OmegaConf

from sim.cli import jobs
from sim.cli.config import compose

from .conftest import compose_config

SMALL = ("scenario=erlang", "run.horizon=6h", "run.replications=2", "run.drain=1h",
         "run.warmup=0", "run.progress=false")


def env(**extra: str) -> dict[str, str]:
    out = {**os.environ, "HYDRA_FULL_ERROR": "0", **extra}
    out.pop("PYTHONPATH", None)
    if "CAREQUEUE_FORCE" not in extra:
        out.pop("CAREQUEUE_FORCE", None)
    return out


def sweep(tmp_path: Path, *overrides: str, sweep_dir: Path | None = None,
          **extra_env: str) -> subprocess.CompletedProcess:
    """``python -m sim -m SMALL overrides hydra.sweep.dir=...`` in a subprocess."""
    sweep_dir = sweep_dir or tmp_path / "sweep"
    return subprocess.run(
        [sys.executable, "-m", "sim", "-m", *SMALL, *overrides, f"hydra.sweep.dir={sweep_dir}"],
        cwd=tmp_path, capture_output=True, text=True, env=env(**extra_env), timeout=120)


def single(tmp_path: Path, *overrides: str, name: str = "run") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *SMALL, *overrides, f"hydra.run.dir={tmp_path / name}"],
        cwd=tmp_path, capture_output=True, text=True, env=env(), timeout=120)


def complete(job_dir: Path) -> bool:
    if not (job_dir / "summary.csv").is_file():
        return False
    return json.loads((job_dir / "job.json").read_text())["status"] == "complete"


def skipped_jobs(text: str) -> set[str]:
    """Job numbers of the "already complete, skipped: DIR" messages in ``text``, even when
    parallel workers' lines run together."""
    return set(re.findall(r"already complete, skipped: \S*?/(\d+)(?=already|\s|$)", text))


def skipped(proc: subprocess.CompletedProcess) -> set[str]:
    return skipped_jobs(proc.stdout)


# ---------------------------------------------------------------- fingerprint (in-process)
def test_fingerprint_ignores_keys_that_do_not_change_results():
    def fingerprint(overrides):
        return jobs.fingerprint(OmegaConf.to_container(compose_config(overrides), resolve=True))

    base = fingerprint(list(SMALL))
    assert fingerprint([*SMALL, "run.workers=2"]) == base
    assert fingerprint([*SMALL, "run.progress=true"]) == base
    assert fingerprint([*SMALL, "seed=2"]) != base
    assert fingerprint([*SMALL, "scenario.agents=12"]) != base
    # Keys added later leave the fingerprint alone at their defaults (sweeps run before
    # them are still complete), and count when set.
    assert fingerprint([*SMALL, "run.tables=all"]) == base
    assert fingerprint([*SMALL, "run.tables=summary"]) != base


# ---------------------------------------------------------------- skip complete jobs
@pytest.mark.slow  # three sweeps end to end (~20 s); .ci/run's launcher step re-runs one too
def test_rerun_skips_complete_jobs_and_reruns_only_changed_ones(tmp_path):
    first = sweep(tmp_path, "scenario.agents=11,12", "seed=1,2")
    assert first.returncode == 0, first.stderr
    out = tmp_path / "sweep"
    dirs = sorted(p for p in out.iterdir() if p.name.isdigit())
    assert [d.name for d in dirs] == ["0", "1", "2", "3"] and all(map(complete, dirs))
    record = json.loads((out / "0" / "job.json").read_text())
    assert record["fingerprint"] and record["seed"] == 1 and record["contacts"] > 0
    assert record["wall_s"] >= 0 and "scenario.agents=11" in record["overrides"]
    stamps = {d.name: (d / "summary.csv").stat().st_mtime_ns for d in dirs}

    again = sweep(tmp_path, "scenario.agents=11,12", "seed=1,2")
    assert again.returncode == 0, again.stderr
    assert skipped(again) == {"0", "1", "2", "3"}
    assert "contacts," not in again.stdout  # nothing simulated
    assert stamps == {d.name: (d / "summary.csv").stat().st_mtime_ns for d in dirs}

    # seed=1,3: jobs 1 (agents=11 seed=3) and 3 (agents=12 seed=3) change; 0 and 2 do not.
    # run.workers and run.progress do not change results, so they do not re-run a job.
    changed = sweep(tmp_path, "scenario.agents=11,12", "seed=1,3", "run.workers=2")
    assert changed.returncode == 0, changed.stderr
    assert skipped(changed) == {"0", "2"}
    assert json.loads((out / "1" / "job.json").read_text())["seed"] == 3
    assert all(map(complete, dirs))

    forced = sweep(tmp_path, "scenario.agents=11", "seed=1", CAREQUEUE_FORCE="1")
    assert forced.returncode == 0 and not skipped(forced), forced.stderr


def test_single_runs_go_to_fresh_directories():
    """So a plain ``python -m sim`` is never skipped: only a fixed run or sweep dir is."""
    cfg = compose(return_hydra_config=True)
    run_dir = cfg.hydra.run._get_node("dir")._value()
    assert "${now:" in run_dir and "%S" in run_dir


# ---------------------------------------------------------------- failed jobs
def test_a_failed_job_records_its_error_and_the_sweep_goes_on(tmp_path):
    proc = sweep(tmp_path, "scenario.agents=0,12")
    assert proc.returncode != 0  # the sweep as a whole failed ...
    out = tmp_path / "sweep"
    assert complete(out / "1")  # ... after the other job ran
    error = (out / "0" / "error.txt").read_text().splitlines()
    assert error[0] == "config error: scenario.agents=0: must be an integer >= 1"
    assert not (out / "0" / "summary.csv").exists()
    assert not (out / "1" / "error.txt").exists()
    assert error[0] in proc.stderr
    assert "Traceback" not in proc.stderr

    # Re-running the same sweep retries only the failed job (and fails it again) ...
    again = sweep(tmp_path, "scenario.agents=0,12")
    assert again.returncode != 0 and skipped(again) == {"1"}
    # ... and once it is fixed, the stale error.txt goes.
    fixed = sweep(tmp_path, "scenario.agents=11,12")
    assert fixed.returncode == 0, fixed.stderr
    assert skipped(fixed) == {"1"}
    assert complete(out / "0") and not (out / "0" / "error.txt").exists()


BOOM = '''
from sim.policies.routing import FCFS


class Boom(FCFS):
    def next_contact(self, agent):
        raise RuntimeError("boom in next_contact")
'''


def test_an_unexpected_error_records_its_traceback(tmp_path):
    (tmp_path / "boom.py").write_text(BOOM)
    proc = sweep(tmp_path, "routing._target_=boom.Boom,sim.policies.routing.FCFS")
    assert proc.returncode != 0
    out = tmp_path / "sweep"
    lines = (out / "0" / "error.txt").read_text().splitlines()
    assert lines[0] == "RuntimeError: boom in next_contact"
    assert lines[1].startswith("Traceback") and "boom.py" in "\n".join(lines)
    assert complete(out / "1")


def test_single_run_config_error_is_unchanged(tmp_path):
    """Exit 2, the one line on stderr, no traceback; error.txt as a record."""
    proc = single(tmp_path, "scenario.agents=0")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "config error: scenario.agents=0: must be an integer >= 1"
    assert not (tmp_path / "run" / "summary.csv").exists()
    assert (tmp_path / "run" / "error.txt").read_text().splitlines() == [proc.stderr.strip()]


# ---------------------------------------------------------------- killed jobs
def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, "the job ended before it could be killed"
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_job_killed_while_simulating_leaves_no_summary_and_reruns(tmp_path):
    long = ("scenario.agents=14", "run.horizon=60d")  # about two seconds of simulation
    args = [sys.executable, "-m", "sim", "-m", *SMALL, *long,
            f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    proc = subprocess.Popen(args, cwd=tmp_path, env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    job = tmp_path / "sweep" / "0"
    _wait_for(job / ".hydra" / "overrides.yaml", proc)  # written just before the job starts
    time.sleep(0.4)  # config built (~0.1 s), simulating
    assert proc.poll() is None, "the job ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    # Tables stream into a staging folder while the job simulates; nothing else is there yet.
    staging = [p for p in job.iterdir() if p.name.startswith(".writing-")]
    assert not any((p / "report.html").exists() for p in staging), \
        "killed while writing, not while simulating: lengthen run.horizon"
    assert not [p.name for p in job.iterdir() if p.suffix in (".csv", ".json", ".parquet",
                                                              ".html")]

    rerun = sweep(tmp_path, *long)
    assert rerun.returncode == 0, rerun.stderr
    assert not skipped(rerun) and complete(job)
    assert not [p for p in job.iterdir() if p.name.startswith(".writing-")]


KILL_WHILE_WRITING = """
import os, time
real = os.replace
def replace(src, dst):
    if str(dst).endswith("summary.csv"):  # everything else has been moved in
        open(os.environ["KILL_MARKER"], "w").close()
        time.sleep(120)
    return real(src, dst)
os.replace = replace
from sim.__main__ import run
run()
"""


def test_job_killed_while_writing_leaves_no_summary_and_reruns(tmp_path):
    marker, job = tmp_path / "writing", tmp_path / "sweep" / "0"
    args = [sys.executable, "-c", KILL_WHILE_WRITING, "-m", *SMALL,
            f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    proc = subprocess.Popen(args, cwd=tmp_path, env=env(KILL_MARKER=str(marker)),
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _wait_for(marker, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert (job / "job.json").exists() and (job / "report.html").exists()
    assert not (job / "summary.csv").exists()
    assert [p for p in job.iterdir() if p.name.startswith(".writing-")]  # left behind

    rerun = sweep(tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert not skipped(rerun) and complete(job)
    assert not [p for p in job.iterdir() if p.name.startswith(".writing-")]
