"""Columnar engine output -> the tables users read (``contacts.parquet`` and staffing log).

The column names and meanings here are a published contract (DESIGN.md, README): times in
minutes from the start of the simulation (Monday 00:00).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .behaviour import CAUSES
from .customers import ORIGINS
from .engine import ABANDONED, AWAY, DONE, PENDING, SERVING, WAITING, Records
from .scenario import Scenario


def contacts_frame(rec: Records, scenario: Scenario, replication: int,
                   warmup_min: float) -> pd.DataFrame:
    """One row per contact of one replication (potential pile-ons that never came: none).

    ``wait_min`` is the time to first response for answered contacts, to abandonment for
    abandoned ones, and NaN for contacts still waiting when the run stopped. Dissatisfaction
    follows ``scenario.dissatisfaction`` (:class:`sim.behaviour.Dissatisfaction`): the
    ``dissatisfaction_cause`` is the first of abandoned, forced switch (if the customer
    minds), late (waited longer than expected, answered or still waiting at the end); the
    ``dissatisfaction_index`` adds the weighted pile-ons caused and public exposure.
    """
    c = rec.contacts
    keep = c["state"] != PENDING
    c = {name: v[keep] for name, v in c.items()}
    contact_id = np.flatnonzero(keep)
    state = c["state"]
    arrival, first, left = c["arrival"], c["first_response"], c["left"]
    answered = ~np.isnan(first)
    abandoned = state == ABANDONED
    waiting_at_end = state == WAITING
    wait = np.where(answered, first - arrival, np.where(abandoned, left - arrival, np.nan))
    waited_so_far = np.where(waiting_at_end, rec.end_min - arrival, wait)
    targets = np.array([ch.target_min for ch in scenario.channels])[c["channel"]]
    public = np.array([ch.public for ch in scenario.channels])[c["channel"]]
    # A public post stays visible, unanswered, until someone answers (or the run ends).
    exposure = np.where(public, c["reach"] * (np.where(answered, first, rec.end_min) - arrival),
                        0.0)
    scoring = scenario.dissatisfaction
    upset = c["forced"] & (c["upset_u"] < scoring.forced_switch)
    late = waited_so_far > c["expectation"]
    cause = np.select([abandoned, upset, late], [1, 2, 3], 0)
    weights = np.array([0.0] + [scoring.weights[k] for k in CAUSES])
    index = (weights[cause] + scoring.pileon_weight * c["pileons"]
             + scoring.exposure_weight * exposure / 60_000.0)
    pools = np.array(list(rec.pools) + [""], dtype=object)
    served = answered & ~np.isin(state, (SERVING, WAITING, AWAY))
    seg = rec.segments
    held = np.bincount(seg["contact"], weights=np.where(np.isnan(seg["end"]), rec.end_min,
                                                        seg["end"]) - seg["start"],
                       minlength=len(keep))[keep]
    return pd.DataFrame({
        "replication": np.full(len(state), replication, dtype=np.int32),
        "contact_id": contact_id,
        "journey_id": c["journey"],
        "thread_id": _threads(rec.contacts["parent"])[keep],
        "channel": pd.Categorical.from_codes(c["channel"], categories=list(rec.channels)),
        "origin": pd.Categorical.from_codes(c["origin"], categories=list(ORIGINS)),
        "arrival_min": arrival,
        "first_response_min": first,
        "wait_min": wait,
        "waited_min": waited_so_far,
        "answered": answered,
        "abandoned": abandoned,
        "silent_abandon": c["silent"],
        "resolved_min": np.where(state == DONE, left, np.nan),
        "service_end_min": np.where(served, left, np.nan),
        "pool": pools[c["pool"]],
        "agent_id": c["agent"],
        "handle_min": c["handle"],
        "held_min": np.where(answered | (held > 0), held, np.nan),
        "patience_min": c["patience"],
        "expectation_min": c["expectation"],
        "target_min": targets,
        "public": public,
        "reach": c["reach"],
        "negative": c["negative"],
        "needs_secure": c["needs_secure"],
        "forced_switch": c["forced"],
        "pileons": c["pileons"],
        "public_exposure": exposure,
        "in_system_at_end": np.isin(state, (WAITING, SERVING, AWAY)),
        "expectation_violated": late,
        "dissatisfied": cause > 0,
        "dissatisfaction_cause": pd.Categorical.from_codes(cause, categories=["none", *CAUSES]),
        "dissatisfaction_index": index,
        "warmup": arrival < warmup_min,
    })


def _threads(parent: np.ndarray) -> np.ndarray:
    """The first complaint of each contact's pile-on thread (itself if not a pile-on).

    Parents always precede their pile-ons, so following parents converges within the
    deepest cascade's generations.
    """
    thread = np.arange(len(parent))
    linked = parent >= 0
    while True:
        up = np.where(linked, thread[np.where(linked, parent, 0)], thread)
        if np.array_equal(up, thread):
            return thread
        thread = up


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
    ``channels`` (the channels touched, in order, joined by ``>``), ``resolved`` (one of its
    contacts was resolved), ``resolution_min`` (from first arrival to the first resolution;
    NaN when unresolved), ``switches`` (channel changes, voluntary or not),
    ``forced_switches`` (involuntary ones: the operation told the customer to move),
    ``dissatisfied`` (any contact of the journey was, or the journey ended unresolved: the
    customer gave up; journeys still open at the end count only their contacts),
    ``warmup`` (started in the warm-up).
    """
    c = contacts.sort_values(["replication", "journey_id", "arrival_min"], kind="stable")
    keys = ["replication", "journey_id"]
    g = c.groupby(keys, sort=False, observed=True)
    # Resolved at the first contact that was resolved (an email may still be answered after
    # its customer switched to Twitter); a switch is any change of channel between contacts.
    changed = c["channel"].astype(str).ne(c["channel"].astype(str).shift()) & c[
        ["replication", "journey_id"]].eq(c[["replication", "journey_id"]].shift()).all(axis=1)
    out = g.agg(start_min=("arrival_min", "first"), contacts=("contact_id", "size"),
                end_min=("resolved_min", "min"), forced_switches=("forced_switch", "sum"),
                dissatisfied=("dissatisfied", "any"), open_=("in_system_at_end", "any"),
                warmup=("warmup", "first"))
    out["switches"] = changed.groupby([c["replication"], c["journey_id"]], sort=False).sum()
    # Most journeys are one contact: join channel names only where there are several.
    out["channels"] = g["channel"].first().astype(str)
    multi = out.index[out["contacts"] > 1]
    if len(multi):
        several = c.set_index(keys).loc[multi, "channel"].astype(str)
        out.loc[multi, "channels"] = several.groupby(level=keys, sort=False).agg(">".join)
    out["resolved"] = out["end_min"].notna()
    # A customer who gave up (told to move and never came, or left unanswered) had the
    # problem left unsolved: dissatisfied even when no single contact was.
    out["dissatisfied"] |= ~out["resolved"] & ~out["open_"]
    out["resolution_min"] = out["end_min"] - out["start_min"]
    return out.drop(columns=["end_min", "open_"]).reset_index()[
        keys + ["start_min", "contacts", "channels", "resolved", "resolution_min", "switches",
                "forced_switches", "dissatisfied", "warmup"]]
