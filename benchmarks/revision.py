"""A git revision checked out beside this checkout, for the benchmarks that compare with one
(``default_study.py``, ``engine.py``, ``memory.py``): the same virtualenv runs both, the
revision's ``sim`` first on the path."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def checked_out(revision: str, directory: Path) -> Iterator[Path]:
    """``revision`` as a git worktree at ``directory`` (which must not exist), removed on
    leaving, whatever happened."""
    subprocess.run(["git", "worktree", "add", "--detach", str(directory), revision],
                   cwd=ROOT, check=True, capture_output=True)
    try:
        yield directory
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(directory)], cwd=ROOT,
                       check=False, capture_output=True)
