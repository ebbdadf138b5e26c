"""Figure helpers: processes that import matplotlib while a run simulates, then draw.

A single ``python -m sim`` run spends about half a second importing matplotlib and most of a
second drawing its figures, after the simulation. A :class:`Painter` started before the
simulation moves both off the path the user waits for, as far as the machine has cores: each
helper (``python -m sim.figures``, at lower priority than the run) imports matplotlib while
the model runs, and the helpers then draw the figures at the same time (shared out by cost,
:func:`shares`), from the tables the run has written: each figure as soon as the tables it
reads are (:data:`sim.outputs.FIGURE_INPUTS`; the contact figures while the run still
computes its metrics). Stdlib only: the run itself never imports matplotlib.

A helper reads one JSON request per line and answers each with one JSON line
(:func:`sim.figures.serve`); it exits at end of input, so it never outlives the run that
started it, even a run that is killed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .outputs import FIGURE_INPUTS, FIGURE_NAMES

__all__ = ["Painter", "cores", "shares"]

# The helper lowers its priority before importing anything (while the run simulates, the
# run comes first) and ignores Ctrl-C, which the terminal sends to it too: it ends when the
# run closes its input or dies.
_HELPER = ("import os, runpy, signal; os.nice(10); signal.signal(signal.SIGINT, signal.SIG_IGN); "
           "runpy.run_module('sim.figures', run_name='__main__', alter_sys=True)")


def shares(names: Sequence[str], load: list[float]) -> list[list[str]]:
    """``names`` shared among ``len(load)`` helpers so that drawing costs even out: each
    next most costly figure to the helper with the least to do, counting ``load`` (each
    helper's cost already asked for, updated in place). Some shares may be empty."""
    out: list[list[str]] = [[] for _ in load]
    for name in sorted(names, key=lambda n: -FIGURE_INPUTS[n][1]):
        i = load.index(min(load))
        out[i].append(name)
        load[i] += FIGURE_INPUTS[name][1]
    return out


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
        self._asked: list[str] = []   # figures asked for since the last finish, in order
        self._load: list[float] = []  # cost asked of each helper since then
        self._answers: list[int] = []  # answers each helper owes
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

    def start(self, directory: Path, names: Sequence[str] | None = None) -> None:
        """Have the helpers draw the figures ``names`` of ``directory`` (default: every
        figure not yet asked for; the tables they read written) while this process goes
        on; :meth:`finish` waits for every figure asked for."""
        directory = Path(directory).resolve()
        if self._directory is not None and directory != self._directory:
            raise RuntimeError(f"Painter.start({directory}) before the figures of "
                               f"{self._directory} were finished")
        self._directory = directory
        if names is None:
            names = [n for n in FIGURE_NAMES if n not in self._asked]
        names = [n for n in names if n not in self._asked]
        self._asked += names
        procs = self._procs
        if not procs or any(p.poll() is not None for p in procs):
            self.close()  # a helper is gone: :meth:`finish` draws here
            return
        if not self._load:
            self._load, self._answers = [0.0] * len(procs), [0] * len(procs)
        for i, share in enumerate(shares(names, self._load)):
            if share:
                stdin = procs[i].stdin
                assert stdin is not None
                try:
                    stdin.write(json.dumps({"directory": str(directory), "names": share})
                                + "\n")
                    stdin.flush()
                except OSError:  # the helper died since poll(): :meth:`finish` draws here
                    self.close()
                    return
                self._answers[i] += 1

    def finish(self) -> dict[str, Path]:
        """The figures :meth:`start` asked for: the PNG file of each, in report order."""
        directory, asked = self._directory, self._asked
        if directory is None:
            raise RuntimeError("Painter.finish() before start()")
        owed = self._answers
        self._directory, self._asked, self._load, self._answers = None, [], [], []
        if not self._procs:
            from .figures import draw  # noqa: PLC0415 - no helper: matplotlib here after all

            return draw(directory, asked)
        # Every answer is read before any error is raised: none is left for a later call.
        answers = [self._answer(proc, directory)
                   for proc, n in zip(self._procs, owed) for _ in range(n)]
        for answer in answers:
            if "error" in answer:
                raise RuntimeError(f"drawing the figures of {directory} failed in a figure "
                                   f"helper:\n{answer['error']}")
        drawn = {name: Path(p) for answer in answers for name, p in answer["figures"].items()}
        return {name: drawn[name] for name in FIGURE_NAMES if name in drawn}

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
                try:
                    proc.stdin.close()
                except OSError:  # a helper that died leaves a broken pipe
                    pass
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
