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

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .behaviour import CAUSES
from .customers import ATTRIBUTES, ORIGINS, is_identity
from .customers import SELF_SERVICE as SELF_SERVICE_ORIGIN
from .engine import STATES
from .scenario import Scenario
from .selfservice import FALSE_CONTAINMENT, IN_PROGRESS, OUTCOMES
from .selfservice import NONE as NO_DOOR

ABANDONED, DONE = STATES.index("abandoned"), STATES.index("done")
IN_SYSTEM = [STATES.index(s) for s in ("waiting", "serving", "away", "self_service", "unseen")]
#: Waiting for a first response when the run stopped: in a queue, or posted and not yet found.
WAITING = [STATES.index(s) for s in ("waiting", "unseen")]

#: Contact columns kept in memory for metrics, journeys and figures when the full table
#: streams to disk.
ANALYSIS = ("replication", "contact_id", "journey_id", "channel", "origin", "arrival_min",
            "wait_min", "waited_min", "answered", "abandoned", "resolved_min", "target_min",
            "public", "negative", "forced_switch", "public_exposure", "in_system_at_end",
            "expectation_violated", "dissatisfied", "dissatisfaction_cause",
            "dissatisfaction_index", "warmup")
#: What the metrics and journeys read of each optional feature, kept only in scenarios that
#: have it (a few bytes a contact each: the peak memory of a long run).
_FEATURE_ANALYSIS = (("self_service", ("self_service",)),
                     ("listening", ("untagged", "discovered_min")),
                     ("advocacy", ("advocate",)))


def analysis_columns(scenario: Scenario) -> tuple[str, ...]:
    """:data:`ANALYSIS` and the columns of the optional features ``scenario`` uses."""
    extra = [c for feature, cols in _FEATURE_ANALYSIS
             if any(getattr(ch, feature) is not None for ch in scenario.channels) for c in cols]
    return (*ANALYSIS, *extra)


#: Segment columns kept in memory when the full table streams to disk (occupancy and the
#: agent-hours of each channel are computed from them).
SEGMENT_ANALYSIS = ("replication", "pool", "channel", "start_min", "end_min", "share")


def contact_columns(raw: dict[str, np.ndarray], scenario: Scenario, replication: int,
                    warmup_min: float, end_min: float) -> dict[str, np.ndarray]:
    """``contacts.parquet`` columns of a chunk of the engine's records (``end_min``: when
    the run stopped, for contacts still in the system then; NaN in earlier chunks).

    ``wait_min`` is the time to first response for answered contacts, to abandonment for
    abandoned ones, and NaN for contacts still waiting when the run stopped. Dissatisfaction
    follows ``scenario.dissatisfaction`` (:class:`sim.behaviour.Dissatisfaction`): the
    ``dissatisfaction_cause`` is the first of abandoned, forced switch (if the customer
    minds), unhelped (a self-service front door's false containment), late (waited longer
    than expected, answered or still waiting at the end), repeated (escalated by a front
    door without context: told it all again); the ``dissatisfaction_index`` adds the
    weighted pile-ons caused and public exposure. ``self_service`` says what a front door
    did with the contact (:data:`sim.selfservice.OUTCOMES`), ``self_service_min`` how long
    it took (0 for contacts that met none); ``discovered_min`` when the listening found an
    ``untagged`` public post (NaN for tagged posts and those never found,
    :mod:`sim.listening`). An untagged post not yet found counts as waiting. ``advocate``:
    the contact made its author an advocate (:mod:`sim.advocacy`), whose positive post the
    index subtracts as exposure.
    """
    c = raw
    state = c["state"]
    arrival, first, left = c["arrival_min"], c["first_response_min"], c["left_min"]
    channel = c["channel"]
    answered = ~np.isnan(first)
    abandoned = state == ABANDONED
    waiting_at_end = np.isin(state, WAITING)
    wait = np.where(answered, first - arrival, np.where(abandoned, left - arrival, np.nan))
    waited_so_far = np.where(waiting_at_end, end_min - arrival, wait)
    targets = np.array([ch.target_min for ch in scenario.channels])[channel]
    public = np.array([ch.public for ch in scenario.channels])[channel]
    # A public post stays visible, unanswered, until someone answers (or the run ends); a
    # complaint answered and settled in public is publicised a while longer
    # (reply_exposure_min).
    bump = np.array([ch.reply_exposure_min for ch in scenario.channels])[channel]
    exposure = np.where(public, c["reach"] * (np.where(answered, first, end_min) - arrival
                                              + np.where(answered & (state == DONE)
                                                         & c["negative"], bump, 0.0)),
                        0.0)
    scoring = scenario.dissatisfaction
    upset = c["forced"] & (c["upset_u"].astype(float) < scoring.forced_switch)
    late = waited_so_far > c["expectation_min"]
    door = c["door"]
    unhelped = door == FALSE_CONTAINMENT
    blind = np.array([ch.self_service is not None and not ch.self_service.context
                      for ch in scenario.channels])
    repeated = (c["origin"] == SELF_SERVICE_ORIGIN) & blind[channel]
    # Codes index ["none", *CAUSES]; the order of the conditions is the precedence.
    cause = np.select([abandoned, upset, unhelped, late, repeated], [1, 2, 4, 3, 5],
                      0).astype(np.int8)
    weights = np.array([0.0] + [scoring.weights[k] for k in CAUSES])
    advocate = _advocates(c, scenario, answered, wait, public)
    reach_min = np.array([ch.advocacy.reach_min if ch.advocacy else 0.0
                          for ch in scenario.channels])[channel]
    # An advocate's positive post is exposure that counts for the brand (sim/advocacy.py).
    praise = np.where(advocate, c["reach"] * reach_min, 0.0)
    index = (weights[cause] + scoring.pileon_weight * c["pileons"]
             + scoring.exposure_weight * (exposure - praise) / 60_000.0)
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
        # Pool of the first response; none (-1) is the last category, "".
        "pool": np.where(c["pool"] < 0, len(scenario.pools), c["pool"]).astype(np.int16),
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
        "self_service": door.astype(np.int8),
        "self_service_min": np.where(door == NO_DOOR, 0.0,
                                     np.where(door == IN_PROGRESS, end_min, left) - arrival),
        "discovered_min": c["found_min"],
        "advocate": advocate,
    })
    return out


def _advocates(c: Mapping[str, np.ndarray], scenario: Scenario, answered: np.ndarray,
               wait: np.ndarray, public: np.ndarray) -> np.ndarray:
    """Which contacts made their authors advocates: public complaints (not pile-ons)
    answered within their channel's advocacy time, then resolved there or taken on without
    being forced elsewhere, whose ``advocate_u`` falls under its probability."""
    ears = [ch.advocacy for ch in scenario.channels]
    if not any(ears):
        return np.zeros(len(answered), bool)
    channel = c["channel"]
    p = np.array([a.probability if a else 0.0 for a in ears])[channel]
    within = np.array([a.within_min if a else 0.0 for a in ears])[channel]
    state = c["state"]
    kept_on = (state == DONE) | ((state == STATES.index("escalated")) & c["handed"]
                                 & ~c["forced"])
    complaint = public & c["negative"] & (c["origin"] != ORIGINS.index("pileon"))
    in_time = answered & (np.nan_to_num(wait, nan=np.inf) <= within)
    return complaint & in_time & kept_on & (c["advocate_u"].astype(float) < p)


#: Categorical columns of the contact table: codes in the engine, labels for users.
_CATEGORIES = {"origin": list(ORIGINS), "dissatisfaction_cause": ["none", *CAUSES],
               "self_service": list(OUTCOMES)}
#: Order of the columns in ``contacts.parquet``.
CONTACT_COLUMNS = ("replication", "contact_id", "journey_id", "thread_id", "channel",
                   "origin", "arrival_min", "first_response_min", "wait_min", "waited_min",
                   "answered", "abandoned", "silent_abandon", "resolved_min",
                   "service_end_min", "pool", "agent_id", "handle_min", "held_min",
                   "patience_min", "expectation_min", "target_min", "public", "reach",
                   "negative", "needs_secure", "forced_switch", "pileons", "public_exposure",
                   "in_system_at_end", "expectation_violated", "dissatisfied",
                   "dissatisfaction_cause", "dissatisfaction_index", "warmup",
                   "self_service", "self_service_min", "untagged", "discovered_min",
                   "advocate")


def _ordered(columns: Mapping[str, np.ndarray]) -> list[str]:
    """Column names in table order (attributes added to ATTRIBUTES come last)."""
    names = [n for n in CONTACT_COLUMNS if n in columns]
    return names + [n for n in columns if n not in names]


def categories(scenario: Scenario) -> dict[str, list[str]]:
    """Labels of the categorical columns of ``scenario``'s tables (codes index them)."""
    return {**_CATEGORIES, "channel": [c.name for c in scenario.channels],
            "pool": [p.name for p in scenario.pools] + [""]}


def frame(columns: dict[str, np.ndarray], cats: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """A DataFrame of contact columns, categorical (``cats``) where labels are meant."""
    names = _ordered(columns)
    # copy=False: one block per column, not a consolidated copy of the whole table.
    return pd.DataFrame({n: (pd.Categorical.from_codes(columns[n], categories=cats[n])
                             if n in cats else columns[n]) for n in names}, copy=False)


class TableWriter:
    """Writes tables into a directory as parquet files, buffered into large row groups.

    Columns are NumPy arrays; a column named in ``cats`` holds integer codes and is written
    dictionary-encoded (read back as a pandas categorical), which is also the cheapest way
    to write repeated labels.

    Parameters
    ----------
    directory : Path
        Where ``<table>.parquet`` files go.
    rows_per_group : int
        Rows buffered before a row group is written.
    keep : set of str, optional
        The tables to write (``run.tables``, :mod:`sim.outputs`); rows of others are
        dropped as they come. Default: every table.
    """

    def __init__(self, directory: Path, rows_per_group: int = 1 << 16,
                 keep: frozenset[str] | None = None) -> None:
        self.directory = Path(directory)
        self.rows_per_group = rows_per_group
        self.keep = keep
        self._writers: dict = {}
        # Encoding and compressing a row group runs in Arrow's C++ code, without the GIL:
        # one thread does it while the simulation goes on (at most one group waits).
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future | None = None
        self._buffers: dict[str, list[dict[str, np.ndarray]]] = {}
        self._cats: dict[str, Mapping[str, Sequence[str]]] = {}
        self._rows: dict[str, int] = {}
        self._finished: set[str] = set()

    def append(self, name: str, columns: dict[str, np.ndarray],
               cats: Mapping[str, Sequence[str]]) -> None:
        """Add rows to ``<name>.parquet`` (the first rows fix its columns)."""
        if self.keep is not None and name not in self.keep:
            return
        if name in self._finished:
            raise RuntimeError(f"{name}.parquet was finished: no more rows may be added")
        self._buffers.setdefault(name, []).append(columns)
        self._cats[name] = cats
        self._rows[name] = self._rows.get(name, 0) + len(next(iter(columns.values())))
        if self._rows[name] >= self.rows_per_group:
            self._flush(name)

    def _flush(self, name: str) -> None:
        import pyarrow as pa  # noqa: PLC0415 - only runs that write load it
        import pyarrow.parquet as pq  # noqa: PLC0415

        parts, self._buffers[name], self._rows[name] = self._buffers.get(name, []), [], 0
        if not parts:
            return
        cats, arrays = self._cats[name], {}
        for col in list(parts[0]):
            values = np.concatenate([p.pop(col) for p in parts])
            if col in cats:
                labels = pa.array(list(cats[col]), pa.string())
                arrays[col] = pa.DictionaryArray.from_arrays(pa.array(values), labels)
            else:
                arrays[col] = pa.array(values)
        table = pa.table(arrays)
        writer = self._writers.get(name)
        if writer is None:
            # Dictionary pages for the label columns only: trying them on millions of
            # distinct floats costs more than the rest of the writing (and files grow).
            writer = self._writers[name] = pq.ParquetWriter(
                self.directory / f"{name}.parquet", table.schema,
                use_dictionary=[c for c in arrays if c in cats])
        self._wait()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="carequeue-writer")
        self._pending = self._pool.submit(writer.write_table, table)

    def _wait(self) -> None:
        """Wait for the row group being written (re-raising its error, if any)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def append_files(self, directory: Path) -> None:
        """Append the tables another writer left in ``directory`` (row group by row group,
        so memory stays bounded), then delete them."""
        import pyarrow.parquet as pq  # noqa: PLC0415

        for name in list(self._buffers):
            self._flush(name)
        self._wait()
        for path in sorted(Path(directory).glob("*.parquet")):
            source = pq.ParquetFile(path)
            for i in range(source.num_row_groups):
                table = source.read_row_group(i)
                if path.stem in self._finished:
                    raise RuntimeError(f"{path.name} was finished: no more rows may be added")
                writer = self._writers.get(path.stem)
                if writer is None:
                    writer = self._writers[path.stem] = pq.ParquetWriter(
                        self.directory / path.name, table.schema)
                writer.write_table(table.cast(writer.schema))
            path.unlink()

    def finish(self, name: str) -> None:
        """Write what is buffered of ``<name>.parquet`` and close it: the file is complete
        (readable by another process) while the others go on. Nothing may be added to it
        after."""
        if name in self._buffers:
            self._flush(name)
        self._wait()
        writer = self._writers.pop(name, None)
        if writer is not None:
            writer.close()
        self._buffers.pop(name, None)
        self._finished.add(name)

    def close(self) -> None:
        """Write what is buffered and close every file."""
        try:
            for name in list(self._buffers):
                self._flush(name)
            self._wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
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
        self._cats = categories(scenario)
        # Share of an agent a contact of each channel takes in each pool (1 / concurrency;
        # the last row, for no pool, 0): its weight in occupancy.
        self._share = np.array([[p.share(c) for c in self._channels] for p in scenario.pools]
                               + [[0.0] * len(self._channels)])
        self._analysis = analysis_columns(scenario)
        self._contacts: list[dict[str, np.ndarray]] = []
        self._segments: list[dict[str, np.ndarray]] = []
        self.staffing: pd.DataFrame | None = None

    def contacts(self, chunk: dict[str, np.ndarray], end_min: float) -> None:
        cols = contact_columns(chunk, self.scenario, self.replication, self.warmup_min, end_min)
        if self.writer is not None:
            kept = {n: cols[n] for n in self._analysis}
            self.writer.append("contacts", {n: cols[n] for n in _ordered(cols)}, self._cats)
            cols = kept
        self._contacts.append(cols)
        _consolidate(self._contacts)

    def segments(self, chunk: dict[str, np.ndarray]) -> None:
        seg = {
            "replication": np.full(len(chunk["contact"]), self.replication, dtype=np.int32),
            "contact_id": chunk["contact"].astype(np.int64),
            "agent_id": chunk["agent"].astype(np.int64),
            "pool": chunk["pool"],
            "channel": chunk["channel"],
            "start_min": chunk["start"],
            "end_min": chunk["end"],
            "share": self._share[chunk["pool"], chunk["channel"]],
        }
        if self.writer is not None:
            self.writer.append("segments", dict(seg), self._cats)
            seg = {n: seg[n] for n in SEGMENT_ANALYSIS}
        self._segments.append(seg)
        _consolidate(self._segments)

    def close(self, staffing: dict[str, np.ndarray], end_min: float) -> None:
        self.staffing = pd.DataFrame({
            "replication": np.full(len(staffing["time"]), self.replication, dtype=np.int32),
            "time_min": staffing["time"],
            "pool": pd.Categorical.from_codes(staffing["pool"], categories=self._pools),
            "agents": staffing["agents"],
        })

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """(contacts sorted by id, staffing log, segments) of the replication; the chunks
        are handed over (a second call finds none)."""
        # The recorder's last chunk (contacts still in the system, maybe none) always
        # comes, so there is at least one part once the run is over.
        parts, self._contacts = self._contacts, []
        # Column by column, each chunk's column freed once merged: the peak is the chunks
        # plus one column, not two copies of the table.
        ids = np.concatenate([p["contact_id"] for p in parts])
        order = np.argsort(ids, kind="stable")
        in_order = is_identity(order)
        cols = {}
        for name in list(parts[0]):
            merged = np.concatenate([p.pop(name) for p in parts])
            cols[name] = merged if in_order else merged[order]
            del merged
        contacts = frame(cols, self._cats)
        segments = self._segments_frame()
        return contacts, self.staffing, segments

    def _segments_frame(self) -> pd.DataFrame:
        parts, self._segments = self._segments, []
        names = list(parts[0]) if parts else [
            "replication", "contact_id", "agent_id", "pool", "channel", "start_min", "end_min",
            "share"]
        empty = {"replication": np.int32, "contact_id": np.int64, "agent_id": np.int64,
                 "pool": np.int16, "channel": np.int16}
        cols = {n: (np.concatenate([p.pop(n) for p in parts]) if parts
                    else np.zeros(0, empty.get(n, float))) for n in names}
        cats = {"pool": self._pools, "channel": self._channels}
        return pd.DataFrame({n: (pd.Categorical.from_codes(v, categories=cats[n])
                                 if n in cats else v) for n, v in cols.items()}, copy=False)


def _consolidate(parts: list[dict[str, np.ndarray]], every: int = 32) -> None:
    """Merge the last ``every`` chunks into one block, in place, once there are that many.

    Small chunk arrays come from the process heap and are not given back to the system when
    freed; merged blocks are large allocations that are. Merging as the run goes keeps the
    final concatenation from holding two copies of thousands of small chunks at once.
    """
    if len(parts) >= every and all(len(next(iter(p.values()))) < (1 << 15) for p in parts[-every:]):
        tail = parts[-every:]
        del parts[-every:]
        parts.append({n: np.concatenate([p.pop(n) for p in tail]) for n in list(tail[0])})


def journeys_frame(contacts: pd.DataFrame) -> pd.DataFrame:
    """One row per customer journey (a problem followed across contacts and channels).

    Columns: ``replication``, ``journey_id``, ``start_min`` (first arrival), ``contacts``,
    ``channels`` (the channels touched, in order, joined by ``>``), ``resolved`` (one of its
    contacts was resolved), ``resolution_min`` (from first arrival to the first resolution;
    NaN when unresolved), ``switches`` (channel changes, voluntary or not),
    ``forced_switches`` (involuntary ones: the operation told the customer to move),
    ``dissatisfied`` (any contact of the journey was, or the journey ended unresolved: the
    customer gave up; journeys still open at the end count only their contacts),
    ``warmup`` (started in the warm-up), ``self_service`` (what a front door did with the
    journey's first contact: ``none`` without one, :data:`sim.selfservice.OUTCOMES`). Rows
    are sorted by replication and journey.

    Vectorised over the contacts sorted by journey (most journeys are one contact): memory
    stays a few columns, never a copy of the contact table.
    """
    rep = contacts["replication"].to_numpy()
    jid = contacts["journey_id"].to_numpy()
    arrival = contacts["arrival_min"].to_numpy(float)
    # Stable: contacts of a journey arriving at the same time keep their table order.
    order = np.lexsort((arrival, jid, rep))
    r, j = rep[order], jid[order]
    first = np.ones(len(order), bool)
    first[1:] = (r[1:] != r[:-1]) | (j[1:] != j[:-1])
    starts = np.flatnonzero(first)
    r, j = r[starts], j[starts]  # of each journey; the temporaries go as soon as they can
    head = order[starts]  # each journey's first contact
    sizes = np.diff(np.append(starts, len(order)))
    sorted_ = lambda name, dtype=None: contacts[name].to_numpy(dtype)[order]  # noqa: E731
    channel = pd.Categorical(contacts["channel"])
    codes = channel.codes[order]
    labels = np.asarray(channel.categories, dtype=object)
    reduce = lambda ufunc, values, dtype=None: (  # noqa: E731
        ufunc.reduceat(values, starts, dtype=dtype) if len(order)
        else values if dtype is None else values.astype(dtype))
    # A resolution is the first contact resolved (an email may still be answered after its
    # customer switched to Twitter); a switch is any change of channel between contacts.
    end = reduce(np.fmin, sorted_("resolved_min", float)) if len(order) else arrival
    changed = np.zeros(len(order), bool)
    changed[1:] = (codes[1:] != codes[:-1]) & ~first[1:]
    switches = reduce(np.add, changed, np.int64)
    del changed, first
    # A category per path: most journeys are one contact, and their path is its channel's
    # label (no string is built for them; the column is written dictionary-encoded).
    path = codes[starts].astype(np.int32)
    several = np.flatnonzero(sizes > 1)
    joined = np.array([">".join(labels[codes[s:s + n]]) for s, n in
                       zip(starts[several].tolist(), sizes[several].tolist())], dtype=object)
    del codes
    paths, which = np.unique(joined, return_inverse=True)
    path[several] = len(labels) + which
    channels = pd.Categorical.from_codes(path, [*labels, *paths])
    resolved = ~np.isnan(end)
    still_open = reduce(np.logical_or, sorted_("in_system_at_end", bool))
    # A customer who gave up (told to move and never came, or left unanswered) had the
    # problem left unsolved: dissatisfied even when no single contact was.
    dissatisfied = reduce(np.logical_or, sorted_("dissatisfied", bool)) | (~resolved
                                                                             & ~still_open)
    forced = reduce(np.add, sorted_("forced_switch", bool), np.int64)
    del still_open
    start_min = arrival[head]
    return pd.DataFrame(copy=False, data={
        "replication": r,
        "journey_id": j,
        "start_min": start_min,
        "contacts": sizes.astype(np.int64),
        "channels": channels,
        "resolved": resolved,
        "resolution_min": end - start_min,
        "switches": switches,
        "forced_switches": forced,
        "dissatisfied": dissatisfied,
        "warmup": contacts["warmup"].to_numpy(bool)[head],
        "self_service": (contacts["self_service"].iloc[head].reset_index(drop=True)
                         .array if "self_service" in contacts else  # no front door: none
                         pd.Categorical.from_codes(np.zeros(len(starts), np.int8), OUTCOMES)),
    })
