"""Checks every run must pass, whatever its scenario and policies (shared by several tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.replications import Results


def usage_peaks(segments: pd.DataFrame, key: str) -> pd.Series:
    """Highest simultaneous capacity share held, per value of ``key`` (agent_id or pool)."""
    peaks = {}
    for k, g in segments.groupby(key, observed=True):
        t = np.concatenate([g["start_min"], g["end_min"].fillna(np.inf)])
        d = np.concatenate([g["share"], -g["share"]])
        order = np.lexsort((d, t))  # releases before starts at equal times
        peaks[k] = np.cumsum(d[order]).max()
    return pd.Series(peaks, dtype=float)


def check_invariants(res: Results) -> None:
    """Conservation of contacts, capacity, staffing and time order."""
    c = res.contacts
    answered, abandoned, in_system = c["answered"], c["abandoned"], c["in_system_at_end"]
    assert not (answered & abandoned).any(), "a contact both answered and abandoned"
    assert (answered | abandoned | in_system).all(), "a contact vanished"
    ans = c[answered]
    assert (ans["first_response_min"] >= ans["arrival_min"]).all()
    assert (c["wait_min"].dropna() >= 0).all()
    ab = c[abandoned]
    assert np.allclose(ab["wait_min"], ab["patience_min"]), "abandoned before patience ran out"
    assert (res.staffing["agents"] >= 0).all()
    for r, g in res.segments.groupby("replication"):
        if len(g):
            assert usage_peaks(g, "agent_id").max() <= 1 + 1e-9, "an agent over capacity"
    seg = res.segments
    assert (seg["end_min"].dropna() >= seg.loc[seg["end_min"].notna(), "start_min"]).all()
    per = res.per_replication.pivot_table(index=["replication", "channel"], columns="metric",
                                          values="value")
    assert (per["answered"] + per["abandoned"] <= per["arrivals"]).all()
    # Agent cost is shared out among channels, whatever the routing: they add up to all.
    hours = per["agent_hours"].unstack("channel")
    channels = hours.drop(columns="all").sum(axis=1)
    assert np.allclose(channels, hours["all"], rtol=1e-9, atol=1e-9), "agent_hours do not add up"
    s = res.summary
    shares = s[s["metric"].isin(["service_level", "abandon_rate", "frac_delayed",
                                 "dissatisfaction_rate", "occupancy"])]["mean"].dropna()
    assert ((shares >= 0) & (shares <= 1 + 1e-9)).all()
