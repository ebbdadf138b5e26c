"""Write docs/data/intervals_example.csv: an interval report, as an ACD would export it.

The history of a known model, so that what a calibration recovers can be checked against
the truth: CareQueue's default operation (``python -m sim`` defaults, seed 7) for two weeks
from Monday 2 March 2026, one replication, reported per 30-minute interval for the phone
and chat channels. Per channel and interval of arrival: ``offered`` (every contact, retrials
and switches included, as an ACD counts them), ``handled`` and ``abandoned`` (contacts still
waiting when the run stopped are in neither), ``aht_s`` (mean handle time of the handled,
seconds), ``asa_s`` (their mean wait, seconds), ``service_level`` (share of the handled and
abandoned answered within the channel's target).

Run from the repository root: ``python scripts/make_history_example.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim import api

OUT = Path(__file__).resolve().parents[1] / "docs" / "data" / "intervals_example.csv"
START = pd.Timestamp("2026-03-02 00:00")  # a Monday, as the model's time 0 is
CHANNELS = ("phone", "chat")
INTERVAL_MIN = 30


def render() -> str:
    """The CSV text (deterministic: the model's seed is fixed)."""
    res = api.run("run.horizon=14d", "run.warmup=0", "run.drain=0", "run.replications=1",
                  "seed=7")
    c = res.contacts[res.contacts["channel"].astype(str).isin(CHANNELS)]
    interval = (c["arrival_min"].to_numpy(float) // INTERVAL_MIN).astype(np.int64)
    frame = pd.DataFrame({
        "channel": c["channel"].astype(str).to_numpy(), "interval": interval,
        "handled": c["answered"].to_numpy(bool), "abandoned": c["abandoned"].to_numpy(bool),
        "handle_s": np.where(c["answered"], c["handle_min"] * 60, np.nan),
        "wait_s": np.where(c["answered"], c["wait_min"] * 60, np.nan),
        "in_target": (c["answered"] & (c["wait_min"] <= c["target_min"])).to_numpy(bool),
        "resolved": (c["answered"] | c["abandoned"]).to_numpy(bool)})
    grid = pd.MultiIndex.from_product(
        [list(CHANNELS), range(14 * 24 * 60 // INTERVAL_MIN)], names=["channel", "interval"])
    g = frame.groupby(["channel", "interval"])
    table = pd.DataFrame({
        "offered": g.size(), "handled": g["handled"].sum(), "abandoned": g["abandoned"].sum(),
        "aht_s": g["handle_s"].mean(), "asa_s": g["wait_s"].mean(),
        "in_target": g["in_target"].sum(), "resolved": g["resolved"].sum(),
    }).reindex(grid, fill_value=0)
    table[["aht_s", "asa_s"]] = table[["aht_s", "asa_s"]].fillna(0.0)
    level = table["in_target"] / table["resolved"].where(table["resolved"] > 0)
    out = pd.DataFrame({
        "interval_start": [(START + pd.Timedelta(minutes=INTERVAL_MIN * i)).strftime(
            "%Y-%m-%dT%H:%M") for i in table.index.get_level_values("interval")],
        "channel": table.index.get_level_values("channel"),
        "offered": table["offered"].astype(int), "handled": table["handled"].astype(int),
        "abandoned": table["abandoned"].astype(int), "aht_s": table["aht_s"].round(1),
        "asa_s": table["asa_s"].round(1), "service_level": level.round(4)})
    return out.to_csv(index=False, lineterminator="\n")


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
