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


def public_posts(agents: int = 3, days: float = 4, drain_days: float = 1, seed: int = 1,
                 replications: int = 2, **channel: object) -> Results:
    """Simulate a public complaints channel "posts" (30 posts/h, 5-min replies, reach
    exponential with mean 100, every post a complaint) with extra Channel fields
    ``channel`` (a pile-on, listening, advocacy...), one pool of ``agents``."""
    from sim import distributions  # noqa: PLC0415
    from sim.arrivals import ProfiledPoisson  # noqa: PLC0415
    from sim.policies import Spec  # noqa: PLC0415
    from sim.policies.escalation import NoEscalation  # noqa: PLC0415
    from sim.policies.routing import FCFS  # noqa: PLC0415
    from sim.policies.staffing import Fixed  # noqa: PLC0415
    from sim.replications import RunSpec, Setup, run_replications  # noqa: PLC0415
    from sim.scenario import Channel, Mode, Pool, Scenario  # noqa: PLC0415

    posts = Channel(name="posts", mode=Mode.ASYNC, target_min=60.0,
                    arrivals=ProfiledPoisson(30.0), handle=distributions.Exponential(5.0),
                    expectation=distributions.Exponential(60.0), public=True,
                    reach=distributions.Exponential(100.0), negative_share=1.0, **channel)
    scenario = Scenario(channels=(posts,), pools=(Pool("team", {"posts": 1.0}, agents=agents),))
    return run_replications(Setup(
        scenario=scenario, routing=FCFS, staffing=Spec(Fixed), escalation=NoEscalation,
        run=RunSpec(horizon_min=days * 1440.0, drain_min=drain_days * 1440.0,
                    replications=replications, seed=seed)))
