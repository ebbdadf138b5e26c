"""Figure helpers: processes that import matplotlib while a run simulates, then draw.

A single ``python -m sim`` run spends about half a second importing matplotlib and most of a
second drawing its figures, after the simulation. A :class:`Painter` started before the
simulation moves both off the path the user waits for, as far as the machine has cores: each
helper (``python -m sim.figures``, at lower priority than the run) imports matplotlib while
the model runs, and the helpers then share the figures (:func:`sim.figures.shares`) and draw
them at the same time, from the tables the run has written. Stdlib only: the run itself never
imports matplotlib.

A helper reads one JSON request per line and answers each with one JSON line
(:func:`sim.figures.serve`); it exits at end of input, so it never outlives the run that
started it, even a run that is killed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["Painter", "cores"]

# The helper lowers its priority before importing anything (while the run simulates, the
# run comes first) and ignores Ctrl-C, which the terminal sends to it too: it ends when the
# run closes its input or dies.
_HELPER = ("import os, runpy, signal; os.nice(10); signal.signal(signal.SIGINT, signal.SIG_IGN); "
           "runpy.run_module('sim.figures', run_name='__main__', alter_sys=True)")


def cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class Painter:
    """:func:`sim.figures.draw` in helper processes, started now and used later.

    A context manager: leaving it ends the helpers. If a helper cannot be started,
    :meth:`draw` draws in this process instead; if one fails while drawing, :meth:`draw`
    raises with its traceback.

    Parameters
    ----------
    helpers : int
        Helper processes (at least 1).
    """

    def __init__(self, helpers: int = 1) -> None:
        # This package's root first on the path: a helper imports the same ``sim`` from any
        # working directory (a Hydra job may run in its output directory).
        root = str(Path(__file__).resolve().parents[1])
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}
        self._procs: list[subprocess.Popen[str]] = []
        self._directory: Path | None = None
        try:
            for _ in range(max(1, helpers)):
                self._procs.append(subprocess.Popen(
                    [sys.executable, "-c", _HELPER], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, text=True, env=env))
        except OSError:
            self.close()

    def draw(self, directory: Path) -> dict[str, Path]:
        """The figures of the results (or staging) directory ``directory``, drawn into its
        ``figures/`` folder: the PNG file of each, in report order."""
        self.start(directory)
        return self.finish()

    def start(self, directory: Path) -> None:
        """Have the helpers draw the figures of ``directory`` (its tables written) while this
        process goes on; :meth:`finish` waits for them."""
        self._directory = directory = Path(directory).resolve()
        procs = self._procs
        if not procs or any(p.poll() is not None for p in procs):
            self.close()  # a helper is gone: :meth:`finish` draws here
            return
        for i, proc in enumerate(procs):
            assert proc.stdin is not None
            proc.stdin.write(json.dumps({"directory": str(directory), "share": i,
                                         "helpers": len(procs)}) + "\n")
            proc.stdin.flush()

    def finish(self) -> dict[str, Path]:
        """The figures :meth:`start` asked for: the PNG file of each, in report order."""
        directory = self._directory
        if directory is None:
            raise RuntimeError("Painter.finish() before start()")
        self._directory = None
        if not self._procs:
            from .figures import draw  # noqa: PLC0415 - no helper: matplotlib here after all

            return draw(directory)
        # Every answer is read before any error is raised: none is left for a later call.
        answers = [self._answer(proc, directory) for proc in self._procs]
        for answer in answers:
            if "error" in answer:
                raise RuntimeError(f"drawing the figures of {directory} failed in a figure "
                                   f"helper:\n{answer['error']}")
        drawn = {name: Path(p) for answer in answers for name, p in answer["figures"].items()}
        return {name: drawn[name] for name in answers[0]["order"] if name in drawn}

    @staticmethod
    def _answer(proc: subprocess.Popen[str], directory: Path) -> dict:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            return {"error": f"the helper exited with status {proc.wait()} while drawing "
                             f"{directory}"}
        return json.loads(line)

    def close(self) -> None:
        """End the helpers (each exits at end of input; killed if not within 10 s)."""
        procs, self._procs = self._procs, []
        for proc in procs:
            if proc.stdin is not None:
                proc.stdin.close()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()

    def __enter__(self) -> Painter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
