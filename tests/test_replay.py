"""Trace replay through the real CLI: ``python -m sim scenario.trace=<csv>``.

The replayed arrivals must be the trace's timestamps exactly (bit for bit), in every
replication, with the attributes the trace gives; a malformed trace stops the run before it
starts, naming every bad line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from .conftest import run_command


def _write_trace(path, rng: np.random.Generator) -> pd.DataFrame:
    n = 400
    trace = pd.DataFrame({
        "arrival_min": np.sort(rng.random(n) * 2 * 1440.0),
        "channel": rng.choice(["phone", "twitter", "email"], n),
    })
    trace["reach"] = np.where(trace["channel"] == "twitter", rng.integers(1, 10_000, n), "")
    trace = trace.sample(frac=1.0, random_state=1)  # unsorted rows are fine
    trace.to_csv(path, index=False, float_format="%.17g")
    return trace


@pytest.mark.slow  # the whole command on a long trace (~16 s)
def test_replay_reproduces_the_trace_exactly(tmp_path) -> None:
    trace = _write_trace(tmp_path / "trace.csv", np.random.default_rng(5))
    done = run_command(tmp_path, "sim", "scenario.trace=trace.csv", "run.horizon=1d",
                       "run.replications=2", "run.drain=6h")
    assert done.returncode == 0, done.stderr
    contacts = pd.read_parquet(tmp_path / "run" / "contacts.parquet")
    expected = trace[trace["arrival_min"] < 1440.0]
    for rep, c in contacts.groupby("replication"):
        replayed = c[c["origin"] == "arrival"]
        for channel in ("phone", "twitter", "email"):
            got = np.sort(replayed.loc[replayed["channel"] == channel, "arrival_min"].to_numpy())
            want = np.sort(expected.loc[expected["channel"] == channel, "arrival_min"].to_numpy())
            assert np.array_equal(got, want), (rep, channel)
        assert (replayed["channel"].isin(["phone", "twitter", "email"])).all()
        tw = replayed[replayed["channel"] == "twitter"].sort_values("arrival_min")
        want = expected[expected["channel"] == "twitter"].sort_values("arrival_min")
        assert np.array_equal(tw["reach"].to_numpy(), want["reach"].astype(float).to_numpy())


def test_malformed_trace_stops_before_simulating(tmp_path) -> None:
    (tmp_path / "bad.csv").write_text(
        "arrival_min,channel\n1.5,phone\nsoon,phone\n3,fax\n4,twitter\n-2,email\n")
    done = run_command(tmp_path, "sim", "scenario.trace=bad.csv", "run.horizon=1d")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    for line in ("line 3", "line 4", "line 6"):
        assert line in done.stderr, done.stderr
    assert "line 5" not in done.stderr and "line 2" not in done.stderr
    assert done.stderr.startswith("config error: scenario.trace=")
    assert not (tmp_path / "run" / "summary.csv").exists()
