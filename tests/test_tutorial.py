"""The tutorial (docs/tutorial.py) runs top to bottom and its Erlang C check holds."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import ROOT


def test_tutorial_runs(tmp_path) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(ROOT / "docs" / "tutorial.py")], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "tutorial-output"
    for name in ("frt_cdf.png", "dissatisfaction.png", "erlang_c.png"):
        assert (out / name).stat().st_size > 1000
    assert (out / "siloed" / "summary.csv").exists()
    assert "Erlang C" in done.stdout


def test_own_policy_tutorial_runs(tmp_path) -> None:
    """docs/own_policy.py: from an empty file to a checked policy and a paired comparison."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(ROOT / "docs" / "own_policy.py")], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "no problem found" in done.stdout
    assert "Twitter public exposure:" in done.stdout
    assert (tmp_path / "own-policy-output" / "loudest_first" / "summary.csv").exists()
