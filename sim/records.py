"""Columnar engine output -> the tables users read (``contacts.parquet`` and staffing log).

The column names and meanings here are a published contract (DESIGN.md, README): times in
minutes from the start of the simulation (Monday 00:00).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .engine import ABANDONED, AWAY, DONE, ORIGINS, SERVING, WAITING, Records
from .scenario import Scenario


def contacts_frame(rec: Records, scenario: Scenario, replication: int,
                   warmup_min: float) -> pd.DataFrame:
    """One row per contact of one replication.

    ``wait_min`` is the time to first response for answered contacts, to abandonment for
    abandoned ones, and NaN for contacts still waiting when the run stopped. A contact is
    dissatisfied when it is abandoned, forced to switch channel, answered later than its
    customer expected, or still unanswered at the end after waiting longer than expected.
    """
    c = rec.contacts
    state = c["state"]
    arrival, first, left = c["arrival"], c["first_response"], c["left"]
    answered = ~np.isnan(first)
    abandoned = state == ABANDONED
    waiting_at_end = state == WAITING
    wait = np.where(answered, first - arrival, np.where(abandoned, left - arrival, np.nan))
    waited_so_far = np.where(waiting_at_end, rec.end_min - arrival, wait)
    targets = np.array([ch.target_min for ch in scenario.channels])[c["channel"]]
    public = np.array([ch.public for ch in scenario.channels])[c["channel"]]
    dissatisfied = abandoned | c["forced"] | (waited_so_far > c["expectation"])
    pools = np.array(list(rec.pools) + [""], dtype=object)
    served = answered & ~np.isin(state, (SERVING, WAITING, AWAY))
    seg = rec.segments
    held = np.bincount(seg["contact"], weights=np.where(np.isnan(seg["end"]), rec.end_min,
                                                        seg["end"]) - seg["start"],
                       minlength=len(state))
    return pd.DataFrame({
        "replication": np.full(len(state), replication, dtype=np.int32),
        "contact_id": np.arange(len(state), dtype=np.int64),
        "journey_id": c["journey"],
        "channel": pd.Categorical.from_codes(c["channel"], categories=list(rec.channels)),
        "origin": pd.Categorical.from_codes(c["origin"], categories=list(ORIGINS)),
        "arrival_min": arrival,
        "first_response_min": first,
        "wait_min": wait,
        "waited_min": waited_so_far,
        "answered": answered,
        "abandoned": abandoned,
        "resolved_min": np.where(state == DONE, left, np.nan),
        "service_end_min": np.where(served, left, np.nan),
        "pool": pools[c["pool"]],
        "agent_id": c["agent"],
        "handle_min": c["handle"],
        "held_min": np.where(answered, held, np.nan),
        "patience_min": c["patience"],
        "expectation_min": c["expectation"],
        "target_min": targets,
        "public": public,
        "reach": c["reach"],
        "negative": c["negative"],
        "needs_secure": c["needs_secure"],
        "forced_switch": c["forced"],
        "in_system_at_end": np.isin(state, (WAITING, SERVING, AWAY)),
        "dissatisfied": dissatisfied,
        "warmup": arrival < warmup_min,
    })


def staffing_frame(rec: Records, replication: int) -> pd.DataFrame:
    """Agents on shift per pool as a step function: one row per change (time in minutes)."""
    s = rec.staffing
    return pd.DataFrame({
        "replication": np.full(len(s["time"]), replication, dtype=np.int32),
        "time_min": s["time"],
        "pool": pd.Categorical.from_codes(s["pool"], categories=list(rec.pools)),
        "agents": s["agents"],
    })


def segments_frame(rec: Records, replication: int) -> pd.DataFrame:
    """Each stretch a contact held an agent's capacity: who, which pool, when, what share.

    ``end_min`` is NaN for a stretch still open when the run stopped. ``share`` is the part
    of one agent the contact used (1 for a call, 1/3 for a chat at concurrency 3); this table
    is what occupancy and the capacity invariants are computed from.
    """
    seg = rec.segments
    return pd.DataFrame({
        "replication": np.full(len(seg["contact"]), replication, dtype=np.int32),
        "contact_id": seg["contact"],
        "agent_id": seg["agent"],
        "pool": pd.Categorical.from_codes(seg["pool"], categories=list(rec.pools)),
        "start_min": seg["start"],
        "end_min": seg["end"],
        "share": seg["share"],
    })


def journeys_frame(contacts: pd.DataFrame) -> pd.DataFrame:
    """One row per customer journey (a problem followed across contacts and channels).

    Columns: ``replication``, ``journey_id``, ``start_min`` (first arrival), ``contacts``,
    ``channels`` (the channels touched, in order, joined by ``>``), ``resolved`` (its last
    contact was resolved where it arrived), ``resolution_min`` (from first arrival to
    resolution; NaN when unresolved), ``forced_switches`` (involuntary channel changes),
    ``dissatisfied`` (any contact of the journey was), ``warmup`` (started in the warm-up).
    """
    c = contacts.sort_values(["replication", "journey_id", "arrival_min"], kind="stable")
    keys = ["replication", "journey_id"]
    g = c.groupby(keys, sort=False, observed=True)
    out = g.agg(start_min=("arrival_min", "first"), contacts=("contact_id", "size"),
                end_min=("resolved_min", "last"), forced_switches=("forced_switch", "sum"),
                dissatisfied=("dissatisfied", "any"), warmup=("warmup", "first"))
    # Most journeys are one contact: join channel names only where there are several.
    out["channels"] = g["channel"].first().astype(str)
    multi = out.index[out["contacts"] > 1]
    if len(multi):
        several = c.set_index(keys).loc[multi, "channel"].astype(str)
        out.loc[multi, "channels"] = several.groupby(level=keys, sort=False).agg(">".join)
    out["resolved"] = out["end_min"].notna()
    out["resolution_min"] = out["end_min"] - out["start_min"]
    return out.drop(columns="end_min").reset_index()[
        keys + ["start_min", "contacts", "channels", "resolved", "resolution_min",
                "forced_switches", "dissatisfied", "warmup"]]
