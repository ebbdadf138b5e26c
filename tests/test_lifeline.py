"""No orphans (issue #13): killing a run's parent leaves no worker process behind, for a run
with ``run.workers > 1`` and a joblib sweep (sim/lifeline.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.lifeline import watch_parent


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                kids.append(int(entry.name))
    return kids


def _descendants(pid: int) -> set[int]:
    found = set()
    for kid in _children(pid):
        found |= {kid} | _descendants(kid)
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill_parent_and_count_orphans(tmp_path: Path, args: list[str], workers: int,
                                  sig: int = signal.SIGKILL, busy: str | None = None
                                  ) -> list[int]:
    """Start ``python -m sim <args>``, wait until it has ``workers`` descendants (and files
    matching the glob ``busy`` under ``tmp_path``: work under way), kill it with ``sig``;
    the descendants still alive 5 s later (killed before returning)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    seen: set[int] = set()
    deadline = time.monotonic() + 60
    def started() -> bool:
        return len(seen) >= workers and (busy is None or len(list(tmp_path.glob(busy))) >= workers)

    while not started() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        seen |= _descendants(proc.pid)
    assert len(seen) >= workers, f"only {len(seen)} worker processes started"
    time.sleep(1.0)  # the workers are simulating
    seen |= _descendants(proc.pid)
    os.kill(proc.pid, sig)
    proc.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in seen):
        time.sleep(0.2)
    left = [p for p in seen if _alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    return left


@pytest.mark.slow  # real runs, killed (~6 s each)
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table in /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_run_leaves_no_replication_workers(tmp_path, sig):
    args = ["run.workers=2", "run.replications=6", "run.horizon=28d", "run.progress=false",
            f"hydra.run.dir={tmp_path / 'run'}"]
    assert kill_parent_and_count_orphans(tmp_path, args, 2, sig) == []


@pytest.mark.slow  # a real sweep, killed (~8 s)
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table in /proc")
def test_a_killed_joblib_sweep_leaves_no_workers(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher",
                        reason='hydra/launcher=cores needs pip install -e ".[joblib]"')
    args = ["-m", "hydra/launcher=cores", "hydra.launcher.n_jobs=2", "seed=1,2,3,4",
            "run.horizon=28d", "run.progress=false", f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    # Killed while two jobs are simulating (their staging folders exist).
    assert kill_parent_and_count_orphans(tmp_path, args, 2, busy="sweep/*/.writing-*") == []


def test_only_a_direct_child_watches_its_parent():
    """The command itself, or a process whose parent is someone else (a SLURM job under
    the scheduler's daemon), never watches: it would end at once."""
    assert not watch_parent(os.getpid())
    assert not watch_parent(os.getppid() + 10**7)
