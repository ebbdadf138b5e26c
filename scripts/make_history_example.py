"""Write the shipped example history, docs/data/intervals_example.csv and
docs/data/contacts_example.csv: the two files of docs/data.md, from one model run.

The history of a known model, so that what a calibration recovers can be checked against
the truth: CareQueue's default operation (``python -m sim`` defaults, seed 7) for two weeks
from Monday 2 March 2026, one replication, the phone and chat channels.

- ``intervals_example.csv``, an interval report as an ACD would export it, per 30-minute
  interval of arrival and channel: ``offered`` (every contact, retrials and switches
  included, as an ACD counts them), ``handled`` and ``abandoned`` (contacts still waiting
  when the run stopped are in neither), ``aht_s`` (mean handle time of the handled,
  seconds), ``asa_s`` (their mean wait, seconds), ``service_level`` (share of the handled
  and abandoned answered within the channel's target) and ``agents`` (agents staffed in
  the channel's pool, mean over the interval: exact, from the staffing log).
- ``contacts_example.csv``, the contact export of the first week only (about 22,000
  contacts, 1.2 MB): one row per contact, sorted by arrival, ``arrival``, ``channel``,
  ``answered_at`` or ``abandoned_at`` and ``handle_s`` (answered contacts, seconds, to
  0.1 s). Times are cut to the second, as a contact-centre platform stamps them, so every
  contact stays in the interval the report counts it in. A silent chat abandoner (who left
  without closing the chat) is abandoned when it left: the model's truth, which a real chat
  tool only learns when an agent opens the chat.

Run from the repository root: ``python scripts/make_history_example.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim import api, metrics
from sim.replications import Results

DATA = Path(__file__).resolve().parents[1] / "docs" / "data"
START = pd.Timestamp("2026-03-02 00:00")  # a Monday, as the model's time 0 is
CHANNELS = ("phone", "chat")
INTERVAL_MIN = 30
DAYS = 14
CONTACT_DAYS = 7  # the contact export's span: a week keeps the file near 1 MB


def render() -> dict[str, str]:
    """Each example's file name (in docs/data) and CSV text, from one run (deterministic:
    the model's seed is fixed)."""
    res = api.run(f"run.horizon={DAYS}d", "run.warmup=0", "run.drain=0",
                  "run.replications=1", "seed=7")
    contacts = res.contacts[res.contacts["channel"].astype(str).isin(CHANNELS)]
    return {"intervals_example.csv": interval_report(contacts, staffed(res)),
            "contacts_example.csv": contact_export(contacts)}


def staffed(res: Results) -> dict[str, np.ndarray]:
    """Agents staffed in each channel's pool, mean over each interval of the run.

    Integrated from the staffing log, a step function whose steps need not fall on interval
    edges (the run's own ``intervals`` table is per hour).

    Raises
    ------
    ValueError
        If a pool also serves another channel: its agents are not the channel's alone.
    """
    edges = np.arange(0.0, DAYS * 1440 + INTERVAL_MIN, INTERVAL_MIN)
    out = {}
    for channel in CHANNELS:
        pools = res.scenario.pools_for(channel)
        shared = [p.name for p in pools if len(p.skills) > 1]
        if shared:
            raise ValueError(f"pool(s) {', '.join(shared)} serve more than {channel}: the "
                             "example needs siloed pools")
        out[channel] = metrics.staffed_time(res.staffing, [p.name for p in pools],
                                            edges) / INTERVAL_MIN
    return out


def interval_report(c: pd.DataFrame, agents: dict[str, np.ndarray]) -> str:
    """The interval report's CSV text: ``c`` the run's contacts of ``CHANNELS``, ``agents``
    each channel's agents per interval."""
    interval = (c["arrival_min"].to_numpy(float) // INTERVAL_MIN).astype(np.int64)
    frame = pd.DataFrame({
        "channel": c["channel"].astype(str).to_numpy(), "interval": interval,
        "handled": c["answered"].to_numpy(bool), "abandoned": c["abandoned"].to_numpy(bool),
        "handle_s": np.where(c["answered"], c["handle_min"] * 60, np.nan),
        "wait_s": np.where(c["answered"], c["wait_min"] * 60, np.nan),
        "in_target": (c["answered"] & (c["wait_min"] <= c["target_min"])).to_numpy(bool),
        "resolved": (c["answered"] | c["abandoned"]).to_numpy(bool)})
    grid = pd.MultiIndex.from_product(
        [list(CHANNELS), range(DAYS * 1440 // INTERVAL_MIN)], names=["channel", "interval"])
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
        "asa_s": table["asa_s"].round(1), "service_level": level.round(4),
        # The grid is channel-major, in CHANNELS order, as the arrays are concatenated.
        "agents": np.concatenate([agents[ch] for ch in CHANNELS]).round(2)})
    return out.to_csv(index=False, lineterminator="\n")


def contact_export(c: pd.DataFrame) -> str:
    """The contact export's CSV text: the first ``CONTACT_DAYS`` of ``c``, the run's
    contacts of ``CHANNELS``."""
    week = c[c["arrival_min"] < CONTACT_DAYS * 1440].sort_values("arrival_min", kind="stable")
    arrival = week["arrival_min"].to_numpy(float)
    end = arrival + week["wait_min"].to_numpy(float)  # the answer, or the abandonment
    answered, abandoned = week["answered"].to_numpy(bool), week["abandoned"].to_numpy(bool)
    out = pd.DataFrame({
        "arrival": _stamps(arrival), "channel": week["channel"].astype(str).to_numpy(),
        "answered_at": _stamps(np.where(answered, end, np.nan)),
        "abandoned_at": _stamps(np.where(abandoned, end, np.nan)),
        "handle_s": np.where(answered, week["handle_min"] * 60, np.nan).round(1)})
    return out.to_csv(index=False, lineterminator="\n")


def _stamps(minutes: np.ndarray) -> pd.Index:
    """ISO date-times to the second (empty for NaN) of minutes from ``START``.

    Cut, not rounded, to the second: a contact at 09:29:59.6 stays in the 09:00 interval,
    and a time cut is never before an earlier time cut.
    """
    seconds = pd.to_timedelta(np.floor(minutes * 60), unit="s")
    return (START + seconds).strftime("%Y-%m-%dT%H:%M:%S")


if __name__ == "__main__":
    DATA.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (DATA / name).write_text(text, encoding="utf-8")
        print(f"wrote {DATA / name} ({len(text.encode()) / 1e6:.2f} MB)")
