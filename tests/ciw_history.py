"""Histories of known operations from an independent simulator (Ciw), as a client would
export them: the interval report and the contact export of docs/data.md.

One phone line, M/M/c+M: Poisson arrivals, exponential handle times and patience, a fixed
number of agents, from Monday 2 March 2026. A handle-time ``factor(t)`` (minutes) lets a
test make one week different from the model (e.g. 30% longer calls).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

ciw = __import__("pytest").importorskip("ciw")

START = pd.Timestamp("2026-03-02 00:00")  # a Monday: the model's time 0
TARGET_S = 20.0  # the base scenario's phone target


@dataclass(frozen=True)
class Truth:
    """The operation's parameters (per minute, minutes)."""

    rate_per_hour: float = 60.0
    handle_min: float = 3.0
    patience_min: float = 4.0
    agents: int = 4
    days: int = 14
    interval_min: int = 30


class _Handle(ciw.dists.Distribution):
    """Exponential handle times whose mean is scaled by ``factor(t)`` at service start."""

    def __init__(self, mean: float, factor: Callable[[float], float]) -> None:
        super().__init__()
        self.base_mean, self.factor = mean, factor

    def sample(self, t: float | None = None, ind: object = None) -> float:
        return ciw.random.expovariate(1.0 / (self.base_mean * self.factor(t or 0.0)))


def simulate(truth: Truth, seed: int,
             factor: Callable[[float], float] = lambda t: 1.0) -> pd.DataFrame:
    """Every contact that arrived in the history: ``arrival_min``, ``answered``,
    ``wait_min``, ``handle_min`` (NaN unless answered)."""
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(truth.rate_per_hour / 60.0)],
        service_distributions=[_Handle(truth.handle_min, factor)],
        number_of_servers=[truth.agents],
        reneging_time_distributions=[ciw.dists.Exponential(1.0 / truth.patience_min)])
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    end = truth.days * 1440.0
    sim.simulate_until_max_time(end + 240.0)  # everyone who came before the end is done
    records = pd.DataFrame(sim.get_all_records())
    records = records[records["arrival_date"] < end]
    answered = (records["record_type"] == "service").to_numpy()
    return pd.DataFrame({
        "arrival_min": records["arrival_date"].to_numpy(float),
        "answered": answered,
        "wait_min": records["waiting_time"].to_numpy(float),
        "handle_min": np.where(answered, records["service_time"].to_numpy(float), np.nan),
    }).sort_values("arrival_min", ignore_index=True)


def interval_report(contacts: pd.DataFrame, truth: Truth, path: Path) -> Path:
    """The interval report of ``contacts`` (with ``asa_s``, ``service_level``, ``agents``)."""
    n = truth.days * 1440 // truth.interval_min
    idx = (contacts["arrival_min"] // truth.interval_min).astype(int)
    g = contacts.assign(
        interval=idx, abandoned=~contacts["answered"],
        handle_s=contacts["handle_min"] * 60,
        wait_s=np.where(contacts["answered"], contacts["wait_min"] * 60, np.nan),
        met=contacts["answered"] & (contacts["wait_min"] * 60 <= TARGET_S)).groupby("interval")
    table = pd.DataFrame({"offered": g.size(), "handled": g["answered"].sum(),
                          "abandoned": g["abandoned"].sum(), "aht_s": g["handle_s"].mean(),
                          "asa_s": g["wait_s"].mean(), "met": g["met"].sum()}
                         ).reindex(range(n), fill_value=0)
    resolved = table["handled"] + table["abandoned"]
    out = pd.DataFrame({
        "interval_start": [(START + pd.Timedelta(minutes=truth.interval_min * i)).strftime(
            "%Y-%m-%dT%H:%M") for i in range(n)],
        "channel": "phone",
        "offered": table["offered"].astype(int), "handled": table["handled"].astype(int),
        "abandoned": table["abandoned"].astype(int),
        "aht_s": table["aht_s"].fillna(0.0).round(2), "asa_s": table["asa_s"].fillna(0.0).round(2),
        "service_level": (table["met"] / resolved.where(resolved > 0)).round(4),
        "agents": float(truth.agents)})
    out.to_csv(path, index=False)
    return path


def contact_export(contacts: pd.DataFrame, path: Path) -> Path:
    """The contact export of ``contacts`` (times to the millisecond)."""
    def stamp(minutes: pd.Series) -> pd.Series:
        return (START + pd.to_timedelta(minutes, unit="min")).dt.strftime("%Y-%m-%dT%H:%M:%S.%f")

    left = contacts["arrival_min"] + contacts["wait_min"]
    out = pd.DataFrame({
        "arrival": stamp(contacts["arrival_min"]), "channel": "phone",
        "answered_at": stamp(left).where(contacts["answered"], ""),
        "abandoned_at": stamp(left).where(~contacts["answered"], ""),
        "handle_s": (contacts["handle_min"] * 60).round(3)})
    out.to_csv(path, index=False)
    return path


def truth_configs(truth: Truth, out: Path, name: str = "truth") -> Path:
    """The true model as calibrate would write it: ``out/conf/{scenario,staffing}/NAME.yaml``."""
    scenario = out / "conf" / "scenario" / f"{name}.yaml"
    staffing = out / "conf" / "staffing" / f"{name}.yaml"
    scenario.parent.mkdir(parents=True, exist_ok=True)
    staffing.parent.mkdir(parents=True, exist_ok=True)
    scenario.write_text(f"""defaults:
  - operation_schema
  - _self_
name: the true M/M/{truth.agents}+M
interval: {truth.interval_min}min
channels:
  phone:
    mode: voice
    rate_per_hour: {truth.rate_per_hour}
    target: {TARGET_S:g}s
    handle: {{dist: exponential, mean: {truth.handle_min}min}}
    patience: {{dist: exponential, mean: {truth.patience_min}min}}
    expectation: {{dist: lognormal, median: 1min, sigma: 1.26}}
pools:
  phone: {{skills: {{phone: 1.0}}, agents: {truth.agents}}}
""")
    staffing.write_text("_target_: sim.policies.staffing.Fixed\n")
    return out
