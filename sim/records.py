"""The engine's record chunks -> the tables users read (``contacts.parquet`` and the rest).

The column names and meanings here are a published contract (DESIGN.md, README): times in
minutes from the start of the simulation (Monday 00:00). Every contact column is a function
of that contact's own record, so chunks are converted as they come: a :class:`Collector`
receives them from the engine's recorder (it is a :class:`sim.engine.RecordSink`), writes
full tables through a :class:`TableWriter` when there is one, and keeps in memory only the
columns the metrics, journeys and figures read (:data:`ANALYSIS`), sorted by contact id so
that every summary is computed in the same order however contacts finished.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .behaviour import CAUSES
from .customers import ATTRIBUTES, ORIGINS
from .engine import STATES
from .scenario import Scenario

ABANDONED, DONE = STATES.index("abandoned"), STATES.index("done")
IN_SYSTEM = [STATES.index(s) for s in ("waiting", "serving", "away")]

#: Contact columns kept in memory for metrics, journeys and figures when the full table
#: streams to disk.
ANALYSIS = ("replication", "contact_id", "journey_id", "channel", "origin", "arrival_min",
            "first_response_min", "wait_min", "waited_min", "answered", "abandoned",
            "resolved_min", "target_min", "public", "negative", "forced_switch",
            "public_exposure", "in_system_at_end", "expectation_violated", "dissatisfied",
            "dissatisfaction_cause", "dissatisfaction_index", "warmup")


def contact_columns(raw: dict[str, np.ndarray], scenario: Scenario, replication: int,
                    warmup_min: float, end_min: float) -> dict[str, np.ndarray]:
    """``contacts.parquet`` columns of a chunk of the engine's records (``end_min``: when
    the run stopped, for contacts still in the system then; NaN in earlier chunks).

    ``wait_min`` is the time to first response for answered contacts, to abandonment for
    abandoned ones, and NaN for contacts still waiting when the run stopped. Dissatisfaction
    follows ``scenario.dissatisfaction`` (:class:`sim.behaviour.Dissatisfaction`): the
    ``dissatisfaction_cause`` is the first of abandoned, forced switch (if the customer
    minds), late (waited longer than expected, answered or still waiting at the end); the
    ``dissatisfaction_index`` adds the weighted pile-ons caused and public exposure.
    """
    c = raw
    state = c["state"]
    arrival, first, left = c["arrival_min"], c["first_response_min"], c["left_min"]
    channel = c["channel"]
    answered = ~np.isnan(first)
    abandoned = state == ABANDONED
    waiting_at_end = state == STATES.index("waiting")
    wait = np.where(answered, first - arrival, np.where(abandoned, left - arrival, np.nan))
    waited_so_far = np.where(waiting_at_end, end_min - arrival, wait)
    targets = np.array([ch.target_min for ch in scenario.channels])[channel]
    public = np.array([ch.public for ch in scenario.channels])[channel]
    # A public post stays visible, unanswered, until someone answers (or the run ends).
    exposure = np.where(public, c["reach"] * (np.where(answered, first, end_min) - arrival),
                        0.0)
    scoring = scenario.dissatisfaction
    upset = c["forced"] & (c["upset_u"].astype(float) < scoring.forced_switch)
    late = waited_so_far > c["expectation_min"]
    cause = np.select([abandoned, upset, late], [1, 2, 3], 0).astype(np.int8)
    weights = np.array([0.0] + [scoring.weights[k] for k in CAUSES])
    index = (weights[cause] + scoring.pileon_weight * c["pileons"]
             + scoring.exposure_weight * exposure / 60_000.0)
    pools = np.array([p.name for p in scenario.pools] + [""], dtype=object)
    in_system = np.isin(state, IN_SYSTEM)
    served = answered & ~in_system
    held = c["held_min"]
    out = {
        "replication": np.full(len(state), replication, dtype=np.int32),
        "contact_id": c["id"].astype(np.int64),
        "journey_id": c["journey"].astype(np.int64),
        "thread_id": c["thread"].astype(np.int64),
        "channel": channel.astype(np.int16),
        "origin": c["origin"].astype(np.int8),
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
        "agent_id": c["agent"].astype(np.int32),
    }
    for a in ATTRIBUTES:
        if a.recorded:
            out[a.name] = c[a.name]
    out["held_min"] = np.where(answered | (held > 0), held, np.nan)
    out.update({
        "target_min": targets,
        "public": public,
        "forced_switch": c["forced"],
        "pileons": c["pileons"].astype(np.int64),
        "public_exposure": exposure,
        "in_system_at_end": in_system,
        "expectation_violated": late,
        "dissatisfied": cause > 0,
        "dissatisfaction_cause": cause,
        "dissatisfaction_index": index,
        "warmup": arrival < warmup_min,
    })
    return out


#: Categorical columns of the contact table: codes in the engine, labels for users.
_CATEGORIES = {"origin": list(ORIGINS), "dissatisfaction_cause": ["none", *CAUSES]}
#: Order of the columns in ``contacts.parquet``.
CONTACT_COLUMNS = ("replication", "contact_id", "journey_id", "thread_id", "channel",
                   "origin", "arrival_min", "first_response_min", "wait_min", "waited_min",
                   "answered", "abandoned", "silent_abandon", "resolved_min",
                   "service_end_min", "pool", "agent_id", "handle_min", "held_min",
                   "patience_min", "expectation_min", "target_min", "public", "reach",
                   "negative", "needs_secure", "forced_switch", "pileons", "public_exposure",
                   "in_system_at_end", "expectation_violated", "dissatisfied",
                   "dissatisfaction_cause", "dissatisfaction_index", "warmup")


def frame(columns: dict[str, np.ndarray], channels: Sequence[str],
          order: Sequence[str] | None = None) -> pd.DataFrame:
    """A DataFrame of contact columns, categorical where labels are meant."""
    cats = {**_CATEGORIES, "channel": list(channels)}
    names = [n for n in (order or CONTACT_COLUMNS) if n in columns]
    names += [n for n in columns if n not in names]  # attributes added to ATTRIBUTES
    return pd.DataFrame({n: (pd.Categorical.from_codes(columns[n], categories=cats[n])
                             if n in cats else columns[n]) for n in names})


class TableWriter:
    """Writes tables into a directory as parquet files, a chunk at a time.

    Parameters
    ----------
    directory : Path
        Where ``<table>.parquet`` files go.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._writers: dict = {}

    def write(self, name: str, table: pd.DataFrame) -> None:
        """Append ``table`` to ``<name>.parquet`` (the first chunk fixes its schema)."""
        import pyarrow as pa  # noqa: PLC0415 - only runs that write load it
        import pyarrow.parquet as pq  # noqa: PLC0415

        arrow = pa.Table.from_pandas(table, preserve_index=False)
        writer = self._writers.get(name)
        if writer is None:
            writer = self._writers[name] = pq.ParquetWriter(self.directory / f"{name}.parquet",
                                                           arrow.schema)
        writer.write_table(arrow.cast(writer.schema))

    def append_files(self, directory: Path) -> None:
        """Append the tables another writer left in ``directory`` (row group by row group,
        so memory stays bounded), then delete them."""
        import pyarrow.parquet as pq  # noqa: PLC0415

        for path in sorted(Path(directory).glob("*.parquet")):
            source = pq.ParquetFile(path)
            for i in range(source.num_row_groups):
                table = source.read_row_group(i)
                writer = self._writers.get(path.stem)
                if writer is None:
                    writer = self._writers[path.stem] = pq.ParquetWriter(
                        self.directory / path.name, table.schema)
                writer.write_table(table.cast(writer.schema))
            path.unlink()

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()


class Collector:
    """The tables of one replication, from the engine's record chunks (a RecordSink).

    Parameters
    ----------
    scenario : Scenario
        The running operation (targets, public channels, scoring, pool names).
    replication : int
        Replication index.
    warmup_min : float
        Contacts arriving before this are flagged ``warmup``.
    writer : TableWriter, optional
        Where full ``contacts`` and ``segments`` tables stream; with one, only the
        :data:`ANALYSIS` columns of contacts stay in memory.
    """

    def __init__(self, scenario: Scenario, replication: int, warmup_min: float,
                 writer: TableWriter | None = None) -> None:
        self.scenario = scenario
        self.replication = replication
        self.warmup_min = warmup_min
        self.writer = writer
        self._channels = [c.name for c in scenario.channels]
        self._pools = [p.name for p in scenario.pools]
        # Share of an agent a contact of each channel takes in each pool (1 / concurrency;
        # the last row, for no pool, 0): its weight in occupancy.
        self._share = np.array([[p.share(c) for c in self._channels] for p in scenario.pools]
                               + [[0.0] * len(self._channels)])
        self._contacts: list[dict[str, np.ndarray]] = []
        self._segments: list[pd.DataFrame] = []
        self.staffing: pd.DataFrame | None = None

    def contacts(self, chunk: dict[str, np.ndarray], end_min: float) -> None:
        cols = contact_columns(chunk, self.scenario, self.replication, self.warmup_min, end_min)
        if self.writer is not None:
            self.writer.write("contacts", frame(cols, self._channels))
            cols = {n: cols[n] for n in ANALYSIS}
        self._contacts.append(cols)

    def segments(self, chunk: dict[str, np.ndarray]) -> None:
        seg = pd.DataFrame({
            "replication": np.full(len(chunk["contact"]), self.replication, dtype=np.int32),
            "contact_id": chunk["contact"].astype(np.int64),
            "agent_id": chunk["agent"].astype(np.int64),
            "pool": pd.Categorical.from_codes(chunk["pool"], categories=self._pools),
            "start_min": chunk["start"],
            "end_min": chunk["end"],
            "share": self._share[chunk["pool"], chunk["channel"]],
        })
        if self.writer is not None:
            self.writer.write("segments", seg)
        self._segments.append(seg)

    def close(self, staffing: dict[str, np.ndarray], end_min: float) -> None:
        self.staffing = pd.DataFrame({
            "replication": np.full(len(staffing["time"]), self.replication, dtype=np.int32),
            "time_min": staffing["time"],
            "pool": pd.Categorical.from_codes(staffing["pool"], categories=self._pools),
            "agents": staffing["agents"],
        })

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """(contacts sorted by id, staffing log, segments) of the replication."""
        parts = self._contacts
        if parts:
            cols = {n: np.concatenate([p[n] for p in parts]) for n in parts[0]}
        else:
            cols = contact_columns(_empty_chunk(), self.scenario, self.replication,
                                   self.warmup_min, np.nan)
            if self.writer is not None:
                cols = {n: cols[n] for n in ANALYSIS}
        order = np.argsort(cols["contact_id"], kind="stable")
        contacts = frame({n: v[order] for n, v in cols.items()}, self._channels)
        segments = (pd.concat(self._segments, ignore_index=True) if self._segments
                    else _empty_segments(self._pools))
        return contacts, self.staffing, segments


def _empty_chunk() -> dict[str, np.ndarray]:
    from .engine.recorder import _ENGINE  # noqa: PLC0415

    out = {name: np.zeros(0, dtype=dtype) for name, dtype in _ENGINE}
    out.update({a.name: np.zeros(0, a.dtype) for a in ATTRIBUTES})
    out["thread"] = np.zeros(0, np.int64)
    return out


def _empty_segments(pools: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"replication": np.zeros(0, np.int32),
                         "contact_id": np.zeros(0, np.int64), "agent_id": np.zeros(0, np.int64),
                         "pool": pd.Categorical.from_codes([], categories=pools),
                         "start_min": np.zeros(0), "end_min": np.zeros(0),
                         "share": np.zeros(0)})


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
