"""The teaching notebooks (notebooks/lab.ipynb, notebooks/lab_solutions.ipynb): exactly what
notebooks/build.py generates, committed without outputs, and each runs top to bottom in
well under a minute without writing anything into the checkout.

The structural tests are cheap and run in the main suite; executing the notebooks takes
about half a minute each, so those tests are marked slow (CI runs them in their own step).
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import time
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

from .conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
NAMES = ["lab.ipynb", "lab_solutions.ipynb"]
#: Seconds one cell may take before nbclient gives up on it.
CELL_TIMEOUT_S = 120
#: Seconds a whole notebook may take (kernel start included): the class runs it on a lab
#: machine, and the slow test step must not grow by minutes.
WALL_LIMIT_S = 60.0
#: Directories of the checkout a notebook could plausibly write into (a script's figures go
#: next to it, as experiments/teaching_lab/lab.py's once did): snapshotted before and after
#: running it. Not the whole checkout, whose sim/, tests/ and docs/ others may be editing (or
#: running the CLI in) at the same time: that must not fail this test. What a run writes
#: relative to its working directory (results/, outputs/) would land in the kernel's working
#: directory, a tmp_path checked to stay empty.
WATCHED = ["notebooks", "experiments"]
#: Top-level entries others may create meanwhile: a CLI run's output and tool caches (all
#: ignored by git).
TRANSIENT = {"results", "outputs", "multirun", ".pytest_cache", ".hypothesis", "build"}


def _load_build() -> ModuleType:
    """notebooks/build.py as a module (it is a script, not part of a package)."""
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building it
    spec.loader.exec_module(module)
    return module


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def test_notebooks_are_what_build_py_generates() -> None:
    build = _load_build()
    assert sorted(build.NOTEBOOKS) == sorted(NAMES)
    stale = [str(p.relative_to(ROOT)) for p in build.check()]
    assert not stale, f"{stale} differ from notebooks/build.py: run python notebooks/build.py"


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebooks_have_no_outputs(name: str) -> None:
    nb = _read(name)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    # A standard Python 3 kernelspec and nothing else: no machine-specific metadata.
    assert set(nb.metadata) == {"kernelspec"}
    assert nb.metadata.kernelspec.name == "python3"
    ids = [cell.id for cell in nb.cells]
    assert ids == [f"cell-{i}" for i in range(len(nb.cells))]
    for cell in nb.cells:
        assert cell.metadata == {}, cell.id
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{cell.id} has outputs"
            assert cell.execution_count is None, f"{cell.id} has an execution count"


def test_students_get_starters_and_the_teacher_gets_every_answer() -> None:
    """The same exercises in both; every one answered in the teacher's version; the
    student's starter cells run as they are (no ``...`` placeholder)."""
    student, teacher = _read("lab.ipynb"), _read("lab_solutions.ipynb")
    exercise = re.compile(r"\*\*Exercise ([A-F]\d)")

    def exercises(nb: nbformat.NotebookNode) -> list[str]:
        return [m for c in nb.cells if c.cell_type == "markdown"
                for m in exercise.findall(c.source)]

    assert exercises(student) == exercises(teacher)
    assert len(exercises(student)) >= 12
    for cell in student.cells:
        assert "**Answer.**" not in cell.source
        if cell.cell_type == "code":
            assert "..." not in cell.source and "Ellipsis" not in cell.source, cell.id
    # Each exercise is followed by an answer before the next exercise or part begins.
    pending: str | None = None
    for cell in teacher.cells:
        found = exercise.findall(cell.source) if cell.cell_type == "markdown" else []
        assert len(found) <= 1, f"{cell.id}: one exercise per cell"
        if found or cell.source.startswith("## "):
            assert pending is None, f"exercise {pending} has no answer"
        if found:
            pending = found[0]
        if cell.source.startswith("**Answer.**"):
            pending = None
    assert pending is None, f"exercise {pending} has no answer"
    assert not any("Your turn" in c.source for c in teacher.cells)


def _snapshot() -> dict[str, tuple[int, int]]:
    """(mtime, size) of every file under WATCHED, and the names at the top of the checkout."""
    files: dict[str, tuple[int, int]] = {}
    for top in WATCHED:
        for folder, dirs, names in os.walk(ROOT / top):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in names:
                stat = (Path(folder) / name).stat()
                files[str((Path(folder) / name).relative_to(ROOT))] = (stat.st_mtime_ns,
                                                                        stat.st_size)
    # New entries only at the top: README.md and friends may be edited by others meanwhile.
    files.update({f"/{p.name}": (0, 0) for p in ROOT.iterdir() if p.name not in TRANSIENT})
    return files


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(name: str, tmp_path: Path) -> None:
    from nbclient import NotebookClient  # noqa: PLC0415 - only the slow step needs it

    nb = _read(name)
    before = _snapshot()
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the traceback, on the first error
    wall = time.perf_counter() - start

    errors = [f"{cell.id}: {out.ename}: {out.evalue}" for cell in nb.cells
              if cell.cell_type == "code" for out in cell.outputs if out.output_type == "error"]
    assert not errors
    assert wall < WALL_LIMIT_S, f"{name} took {wall:.0f} s"
    # Figures are shown inline, never saved: nothing in the working directory, nothing new
    # or changed in the checkout.
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    after = _snapshot()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"running {name} wrote {changed}"
    images = sum("image/png" in out.get("data", {}) for cell in nb.cells
                 if cell.cell_type == "code" for out in cell.outputs)
    assert images >= 6  # one figure per part at least
