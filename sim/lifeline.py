"""Worker processes end with the process that started them.

A run with ``run.workers > 1`` simulates replications in worker processes, and a joblib
sweep runs its jobs in worker processes. Killed, the parent cannot tell them to stop (a
``kill -9`` runs no handler), and a worker busy with a replication would go on for minutes,
then wait for work forever. So each worker watches its parent: a daemon thread checks every
half second that the process that started it is still its parent (an orphan is re-parented,
to init or a subreaper) and ends the worker at once when it is not.

The parent's host and process id travel in the environment (:data:`PARENT_ENV`, set by
the command, inherited by its workers): a worker started by it watches it, and one that
finds it already gone (killed while the worker was starting) ends at once; a process on
another host (a SLURM job, whose parent is the scheduler's step daemon) is left alone.

A joblib worker loads CareQueue with its first job: one killed in its first moments, before
it was given a job, waits for one until loky's idle timeout (5 minutes), then ends.
"""

from __future__ import annotations

import os
import socket
import threading
import time

__all__ = ["PARENT_ENV", "mark_parent", "watch_parent"]

#: The command's process id, for the workers it starts.
PARENT_ENV = "CAREQUEUE_PARENT_PID"
_watching: set[int] = set()
#: Set in a job a scheduler runs (SLURM, submitit): such a job is never watched.
_SCHEDULED = ("SLURM_JOB_ID", "SUBMITIT_EXECUTOR", "SUBMITIT_FOLDER")


def mark_parent() -> None:
    """Record this process as the parent its workers watch (the command calls this)."""
    os.environ[PARENT_ENV] = f"{socket.gethostname()}:{os.getpid()}"


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by someone else
        return False
    return False


def watch_parent(parent: int | None = None, interval_s: float = 0.5) -> bool:
    """End this process when ``parent`` (default: the process in :data:`PARENT_ENV`, if
    on this host) is gone. Only when this process is ``parent``'s direct child, or was
    and ``parent`` is gone already; once per process.

    Usable as a :class:`concurrent.futures.ProcessPoolExecutor` initializer. Returns
    whether a watch runs.
    """
    if parent is None:
        if any(k in os.environ for k in _SCHEDULED):
            return False  # a scheduler's task: it outlives the command that submitted it
        host, _, pid = os.environ.get(PARENT_ENV, "").rpartition(":")
        if host != socket.gethostname() or not pid.isdigit():
            return False
        parent = int(pid)
        if parent != os.getpid() and os.getppid() != parent and _gone(parent):
            os._exit(1)  # started by a command that was killed meanwhile
    if parent == os.getpid() or os.getppid() != parent:
        return False
    if parent in _watching:
        return True
    _watching.add(parent)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval_s)
        os._exit(1)  # orphaned: nobody waits for this work any more

    threading.Thread(target=watch, name="carequeue-lifeline", daemon=True).start()
    return True
