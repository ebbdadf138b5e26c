"""Tests for sim.app: the page's numbers against queueing theory and conservation, its
bounds, the pairing of its comparison, its figures, and the page itself in headless
Chromium (scripts/check_app.py) where the ``app`` and ``ui-test`` extras and Debian's
chromium are installed (CI installs them and sets CAREQUEUE_CI_APP=1: then it must run)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import erlang
from sim.app import lab
from sim.replications import run_replications

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def twelve() -> lab.Exploration:
    """The page as it opens: 100 calls/h x 6 min on 12 agents (Erlang C, 83% busy)."""
    return lab.explore(lab.Queue())


def test_prediction_is_erlang_c_or_erlang_a() -> None:
    c = lab.prediction(lab.Queue(agents=12))
    assert c.formula == "Erlang C" and c.note == ""
    assert c.metrics == erlang.erlang_c_metrics(100 / 60, 6.0, 12, 20 / 60)
    a = lab.prediction(lab.Queue(agents=9, mean_patience_min=5.0))  # overloaded: A copes
    assert a.formula == "Erlang A"
    assert a.metrics == erlang.erlang_a_metrics(100 / 60, 6.0, 9, 5.0, 20 / 60)
    unstable = lab.prediction(lab.Queue(agents=10))
    assert unstable.metrics is None and "grows without bound" in unstable.note


def test_concurrency_is_read_as_slots_at_the_scenarios_speed() -> None:
    q = lab.Queue(agents=4, concurrency=3, mean_handle_min=10.0, rate_per_hour=50)
    speed = q.scenario().speed(3)
    p = lab.prediction(q)
    assert p.metrics == erlang.erlang_c_metrics(50 / 60, 10.0 / speed, 12, 20 / 60)
    assert "12 servers" in p.note and q.channel == "chat"


@pytest.mark.parametrize("queue", [lab.Queue(agents=14),
                                   lab.Queue(agents=11, mean_patience_min=5.0)],
                         ids=["erlang_c", "erlang_a"])
def test_simulation_agrees_with_the_formula(queue: lab.Queue) -> None:
    """Each metric within twice its 95% half-width of the formula (about 4.7 standard errors
    over 8 replications: a miss means a bug, not bad luck)."""
    e = lab.explore(queue)
    for name in ("service_level", "frac_delayed", "asa_min", "abandon_rate", "occupancy"):
        mean, lo, hi = e.metric(name)
        theory = getattr(e.prediction.metrics, name)
        half = max(hi - mean, mean - lo, 1e-9)
        assert abs(mean - theory) <= 2 * half + 1e-9, (name, mean, lo, hi, theory)


def test_queue_trace_conserves_the_waiting_time(twelve: lab.Exploration) -> None:
    """The area under the trace is the time every contact of the replication spent waiting
    (Little's law on a sample path), and the count never goes below 0."""
    t = twelve.trace
    assert (t["waiting"] >= 0).all() and t["time_min"].is_monotonic_increasing
    end = lab.WARMUP_MIN + lab.DAY_MIN
    times = np.append(t["time_min"].to_numpy(), end)
    area = float(np.sum(np.diff(times) * t["waiting"].to_numpy()))
    # Replication 0 of one run is replication 0 of eight (each has its own streams).
    assert area == pytest.approx(_replication_waits(lab.Queue(), end), rel=1e-9)


def _replication_waits(queue: lab.Queue, end: float) -> float:
    """Total minutes the first replication's contacts waited, cut at ``end``."""
    c = run_replications(lab.setup(queue, replications=1)).contacts
    start = c["arrival_min"].to_numpy()
    stop = np.fmin(np.nan_to_num(start + c["wait_min"].to_numpy(), nan=np.inf), end)
    return float(np.sum(stop - start))


def test_sizes_stay_bounded() -> None:
    busy = lab.Queue(rate_per_hour=400, branching=0.9)
    reps = lab.replications_for(busy)
    assert reps == lab.MIN_REPLICATIONS
    assert lab.replications_for(lab.Queue()) == lab.REPLICATIONS
    with pytest.raises(ValueError, match="too long for the page"):
        lab.explore(lab.Queue(rate_per_hour=2000))


def test_wait_cdf_ends_at_the_answered_share() -> None:
    x, y = lab.wait_cdf(np.arange(10_000, dtype=float), 0.8, points=50)
    assert len(x) <= 50 and y[-1] == pytest.approx(0.8) and np.all(np.diff(y) >= 0)
    assert x[0] == 0 and x[-1] == 9_999


def test_the_same_policy_twice_differs_by_nothing() -> None:
    """Both sides see the same customers: a policy against itself is exactly 0 everywhere,
    and the verdict calls that equivalent."""
    label = "Silos, first come first served"
    c = lab.compare(label, label, days=0.25, replications=2)
    assert len(c.paired) and (c.paired["diff"] == 0).all()
    assert set(c.paired.loc[c.paired["margin"] > 0, "verdict"]) == {"equivalent"}
    with pytest.raises(ValueError, match="unknown policy"):
        lab.compare(label, "fastest of all")


def test_figures_show_simulation_and_theory(twelve: lab.Exploration) -> None:
    figures = pytest.importorskip("sim.app.figures")
    wait = figures.wait_figure(twelve)
    names = [t.name for t in wait.data]
    assert names == ["simulated", "Erlang C"]
    theory = wait.data[1]
    at_target = np.interp(20.0, np.asarray(theory.x), np.asarray(theory.y))
    assert at_target == pytest.approx(twelve.prediction.metrics.service_level, abs=0.01)
    trace = figures.trace_figure(twelve)
    assert len(trace.data[0].x) == len(twelve.trace)
    lq = 100 / 60 * twelve.prediction.metrics.mean_wait_min
    assert math.isclose(trace.layout.shapes[0].y0, lq)


def test_the_page_in_a_headless_browser(tmp_path: Path) -> None:
    """Loads, a control changes the table and both figures, the comparison tab answers, no
    console error (scripts/check_app.py), with screenshots of both tabs."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import check_app
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    found = check_app.tools()
    if isinstance(found, str):
        if os.environ.get("CAREQUEUE_CI_APP"):
            pytest.fail(f"CAREQUEUE_CI_APP is set but the page cannot be checked: {found}")
        pytest.skip(found)
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_app.py"),
                          "--screenshot", str(tmp_path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    for name in ("app_queue.png", "app_compare.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")
