"""Shared fixtures: compose the project's real configs with overrides, run studies in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import pytest
from omegaconf import DictConfig

from sim.cli.config import build_setup, compose, register
from sim.replications import Results, run_replications

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"

register()

#: Overrides that turn off the default study's failure follow-ups (retrials and channel
#: switches), for tests that count the contacts of escalation journeys.
NO_FOLLOW_UPS = ("scenario.channels.phone.retrial.probability=0",
                 *(f"scenario.channels.{ch}.switch.probability=0"
                   for ch in ("phone", "chat", "email")))


def compose_config(overrides: Sequence[str] = ()) -> DictConfig:
    """The composed config of ``python -m sim <overrides>``."""
    return compose(overrides)


def simulate(overrides: Sequence[str] = ()) -> Results:
    """Run a study in this process, as the CLI would (without writing files)."""
    return run_replications(build_setup(compose_config(["run.progress=false", *overrides])))


def assert_config_error(overrides: Sequence[str], key: str, phrase: str) -> str:
    """Building the config of ``overrides`` stops with a ConfigError on ``key`` whose
    message says ``phrase``; returns the message."""
    from sim.errors import ConfigError  # noqa: PLC0415

    with pytest.raises(ConfigError) as info:
        build_setup(compose_config(overrides))
    message = str(info.value)
    assert message.startswith(f"{key}="), message
    assert phrase in message, message
    return message


def summary_row(results: Results, metric: str, channel: str = "all"):
    """The summary row of one metric (mean, ci_low, ci_high, n)."""
    s = results.summary
    row = s[(s["channel"] == channel) & (s["metric"] == metric)]
    assert len(row) == 1, f"no summary row for {channel}/{metric}"
    return row.iloc[0]


@pytest.fixture
def sample_figures() -> dict:
    """Two small line figures, one named with a slash (file names must stay flat)."""
    import numpy as np  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    rng = np.random.default_rng(99)
    out = {}
    for name in ("frt cdf", "profile/week"):
        fig = Figure(figsize=(6, 4))
        fig.add_subplot().plot(rng.normal(size=50).cumsum())
        out[name] = fig
    return out


@pytest.fixture(scope="session")
def default_study() -> Results:
    """The default study, shortened to two days and two replications for speed."""
    return simulate(["run.horizon=2d", "run.replications=2"])


def run_command(tmp_path: Path, module: str, *overrides: str,
                name: str = "run") -> subprocess.CompletedProcess:
    """``python -m <module> <overrides>`` in a subprocess, as a user runs it, writing to
    ``tmp_path / name`` (the installed package, not this checkout's PYTHONPATH)."""
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [sys.executable, "-m", module, f"hydra.run.dir={tmp_path / name}", *overrides],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
