"""What every run must satisfy, whatever its scenario and policies.

Conservation of contacts, capacity never exceeded (per agent), staffing never negative,
times in order, shares in [0, 1], agent cost adding up across channels. :func:`broken`
lists what a run's tables violate (empty: nothing); the test suite asserts it on every
configuration it runs, and :func:`sim.policies.check_policy` on a user's policy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .metrics import queue_contacts
from .replications import Results

__all__ = ["broken", "usage_peaks"]


def usage_peaks(segments: pd.DataFrame, key: str) -> pd.Series:
    """Highest simultaneous capacity share held, per value of ``key`` (agent_id or pool)."""
    peaks = {}
    for k, g in segments.groupby(key, observed=True):
        t = np.concatenate([g["start_min"], g["end_min"].fillna(np.inf)])
        d = np.concatenate([g["share"], -g["share"]])
        order = np.lexsort((d, t))  # releases before starts at equal times
        peaks[k] = np.cumsum(d[order]).max()
    return pd.Series(peaks, dtype=float)


def broken(res: Results) -> list[str]:
    """The invariants ``res`` violates, one sentence each (empty when none)."""
    out = []
    c = res.contacts
    if "self_service" in c and (c["self_service"] != "none").any():
        out += _front_doors(c)
        c = queue_contacts(c)  # the checks below
    answered, abandoned, in_system = c["answered"], c["abandoned"], c["in_system_at_end"]
    if (answered & abandoned).any():
        out.append("a contact was both answered and abandoned")
    if not (answered | abandoned | in_system).all():
        out.append("a contact vanished (neither answered, abandoned nor in the system)")
    ans = c[answered]
    if not (ans["first_response_min"] >= ans["arrival_min"]).all():
        out.append("a contact was answered before it arrived")
    if not (c["wait_min"].dropna() >= 0).all():
        out.append("a negative wait")
    ab = c[abandoned]
    if not np.allclose(ab["wait_min"], ab["patience_min"]):
        out.append("a contact abandoned before its patience ran out")
    if not (res.staffing["agents"] >= 0).all():
        out.append("a pool was staffed with fewer than 0 agents")
    for r, g in res.segments.groupby("replication"):
        if len(g) and usage_peaks(g, "agent_id").max() > 1 + 1e-9:
            out.append(f"an agent held more than its capacity (replication {r})")
            break
    seg = res.segments
    closed = seg["end_min"].notna()
    if not (seg.loc[closed, "end_min"] >= seg.loc[closed, "start_min"]).all():
        out.append("an agent let go of a contact before taking it")
    per = res.per_replication.pivot_table(index=["replication", "channel"], columns="metric",
                                          values="value")
    if not (per["answered"] + per["abandoned"] <= per["arrivals"]).all():
        out.append("more contacts answered and abandoned than arrived")
    # Agent cost is shared out among channels, whatever the routing: they add up to all.
    hours = per["agent_hours"].unstack("channel")
    if not np.allclose(hours.drop(columns="all").sum(axis=1), hours["all"], rtol=1e-9,
                       atol=1e-9):
        out.append("agent_hours of the channels do not add up to all")
    s = res.summary
    shares = s[s["metric"].isin(["service_level", "abandon_rate", "frac_delayed",
                                 "dissatisfaction_rate", "occupancy"])]["mean"].dropna()
    if not ((shares >= 0) & (shares <= 1 + 1e-9)).all():
        out.append("a share outside [0, 1] in the summary")
    return out


def _front_doors(c: pd.DataFrame) -> list[str]:
    """Conservation through self-service front doors: each contact at a door is never
    answered, is still there exactly when it is in the system at the end, and each it
    escalated is exactly one human contact of its journey, arriving when the door let go."""
    out = []
    met = c[c["self_service"] != "none"]
    if met["answered"].any():
        out.append("an agent answered a contact still at its self-service front door")
    if not (met["in_system_at_end"] == (met["self_service"] == "in_progress")).all():
        out.append("a contact at a front door neither finished with it nor stayed in the system")
    # A journey may pass a door more than once (a retrial meets it again): pair each
    # escalation with its human contact by journey and time.
    escalated = met[met["self_service"] == "escalated"]
    left = escalated["arrival_min"] + escalated["self_service_min"]
    humans = c[c["origin"] == "self_service"]
    key = lambda rep, journey, t: sorted(zip(rep.tolist(), journey.tolist(),  # noqa: E731
                                             np.round(t.to_numpy(float), 6).tolist()))
    if key(escalated["replication"], escalated["journey_id"], left) != key(
            humans["replication"], humans["journey_id"], humans["arrival_min"]):
        out.append("a front door's escalation is not exactly one human contact of its journey")
    return out
