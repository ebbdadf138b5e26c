"""Record tables: journeys follow a customer's problem across contacts and channels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.records import journeys_frame

from .conftest import NO_FOLLOW_UPS, simulate


def test_journeys_by_hand():
    c = pd.DataFrame({
        "replication": [0, 0, 0, 0, 0],
        "journey_id": [7, 7, 8, 9, 10],
        "contact_id": [1, 5, 2, 3, 4],
        "channel": pd.Categorical(["twitter", "phone", "email", "chat", "email"]),
        "arrival_min": [10.0, 40.0, 12.0, 15.0, 16.0],
        "resolved_min": [np.nan, 55.0, 30.0, np.nan, np.nan],
        "forced_switch": [True, False, False, False, False],
        "dissatisfied": [True, False, False, False, False],
        "in_system_at_end": [False, False, False, False, True],
        "warmup": [False, False, False, False, False],
    })
    j = journeys_frame(c).set_index("journey_id")
    assert j.loc[7, "channels"] == "twitter>phone" and j.loc[7, "contacts"] == 2
    assert j.loc[7, "resolved"] and j.loc[7, "resolution_min"] == 45.0
    assert j.loc[7, "forced_switches"] == 1 and j.loc[7, "dissatisfied"]
    assert j.loc[8, "resolution_min"] == 18.0 and not j.loc[8, "dissatisfied"]
    assert not j.loc[9, "resolved"] and np.isnan(j.loc[9, "resolution_min"])
    # Journey 9 ended unresolved (the customer gave up): dissatisfied although no contact
    # was; journey 10 is still open at the end: only its contacts count.
    assert j.loc[9, "dissatisfied"] and not j.loc[10, "dissatisfied"]


def test_journeys_of_an_escalating_study_are_written_and_consistent(tmp_path):
    res = simulate(["run.horizon=1d", "run.replications=2", "escalation=to_phone",
                    *NO_FOLLOW_UPS])
    j, c = res.journeys, res.contacts
    assert len(j) == len(c) - (c["origin"] == "escalation").sum()
    assert j["contacts"].sum() == len(c)
    moved = j[j["contacts"] > 1]
    assert len(moved) and moved["channels"].str.endswith(">phone").all()
    assert (moved["forced_switches"] >= 1).all()
    assert (j.loc[j["resolved"], "resolution_min"] >= 0).all()
