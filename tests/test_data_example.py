"""docs/data.md's worked example is what its two commands write: the shipped configs and
back-test table under docs/data/example/, and the outputs the page quotes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

DOC = ROOT / "docs" / "data.md"
SHIPPED = ROOT / "docs" / "data" / "example"
KEYS = ["calibrate.intervals=docs/data/intervals_example.csv",
        "calibrate.contacts=docs/data/contacts_example.csv", "calibrate.name=example"]


def _run(module: str, out: Path) -> str:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([sys.executable, "-m", module, *KEYS, f"calibrate.out={out}",
                           "run.progress=false"][: None if module == "sim.backtest" else -1],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _quoted(after: str) -> list[str]:
    """The lines of the first ``text`` block after the line ``after`` in docs/data.md."""
    text = DOC.read_text()
    block = re.search(re.escape(after) + r"\n\n```text\n(.*?)```", text, re.S)
    assert block, after
    return block.group(1).splitlines()


@pytest.mark.slow
def test_the_worked_example_is_what_its_commands_write(tmp_path):
    calibrated = _run("sim.calibrate", tmp_path).splitlines()
    assert _quoted("The calibration prints:") == [
        line for line in calibrated if not line.startswith(("wrote", "run it"))]
    for name in ("conf/scenario/example.yaml", "conf/staffing/example.yaml"):
        assert (tmp_path / name).read_text() == (SHIPPED / name).read_text(), name
    tested = _run("sim.backtest", tmp_path).splitlines()
    assert _quoted("The back-test prints (20 replications):") == [
        line for line in tested if not line.startswith("wrote")]
    assert (tmp_path / "backtest.csv").read_text() == (SHIPPED / "backtest.csv").read_text()
    for channel in ("phone", "chat"):
        assert (SHIPPED / f"backtest-{channel}.png").read_bytes().startswith(b"\x89PNG")
