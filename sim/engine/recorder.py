"""The recorder: finished contacts and closed capacity stretches, handed on in chunks.

A contact that leaves the system leaves the engine's working set: the recorder buffers it
and, every ``chunk`` contacts, turns the buffer into columns and hands them to its
:class:`RecordSink` (which converts and writes them, :mod:`sim.records`). Peak memory so
follows the contacts in the system, not the horizon. Each stretch a contact held an agent's
capacity (a *segment*) goes the same way.

Column names and meanings of a chunk (times in minutes):

``id``, ``channel``, ``origin``, ``journey``, ``thread`` (first complaint of its pile-on
thread), ``arrival_min``, ``first_response_min``, ``left_min`` (resolution or abandonment),
``state`` (index into :data:`sim.engine.contacts.STATES`), ``pool`` (of the first response,
-1: none), ``agent`` (the last agent, -1: none), ``held_min``, ``pileons``, ``forced``,
``silent``, ``door`` (what a self-service front door did: :data:`sim.selfservice.OUTCOMES`),
``found_min`` (when the listening found an untagged post; NaN otherwise), ``handed`` (an
escalation policy sent it on to another channel),
and every attribute of :data:`sim.customers.ATTRIBUTES`.
"""

from __future__ import annotations

import struct
from typing import Callable, Iterable, Protocol

import numpy as np

from ..customers import ATTRIBUTES
from ..scenario import Scenario
from .contacts import SERVING, Contact, ContactTable


class RecordSink(Protocol):
    """Where the recorder's chunks go."""

    def contacts(self, chunk: dict[str, np.ndarray], end_min: float) -> None:
        """Columns of finished contacts (``end_min``: NaN until the final chunk, which holds
        the contacts still in the system when the run stopped, sorted by id)."""
        ...

    def segments(self, chunk: dict[str, np.ndarray]) -> None:
        """``contact``, ``agent``, ``pool``, ``channel``, ``start``, ``end`` (NaN: still
        open when the run stopped) of closed stretches, in the order they closed."""
        ...

    def close(self, staffing: dict[str, np.ndarray], end_min: float) -> None:
        """The run ended at ``end_min``; ``staffing``: ``time``, ``pool``, ``agents``, one
        row per change of a pool's headcount."""
        ...


class Discard:
    """A sink that keeps nothing (for binding policies to a model that never runs)."""

    def contacts(self, chunk: dict[str, np.ndarray], end_min: float) -> None:
        pass

    def segments(self, chunk: dict[str, np.ndarray]) -> None:
        pass

    def close(self, staffing: dict[str, np.ndarray], end_min: float) -> None:
        pass


#: What the engine records of each contact (the rest is looked up in the table by id), in
#: the order of a row, and the dtype of each column.
_OUTCOME = (("id", "i8"), ("journey", "i8"), ("first_response_min", "f8"),
            ("left_min", "f8"), ("state", "i1"), ("pool", "i2"), ("agent", "i8"),
            ("held_min", "f8"), ("pileons", "i8"), ("forced", "?"), ("silent", "?"),
            ("door", "i1"), ("found_min", "f8"), ("handed", "?"))
_SEGMENT_COLUMNS = (("contact", "i8"), ("agent", "i8"), ("channel", "i2"), ("start", "f8"),
                    ("end", "f8"))
#: The :mod:`struct` code of each dtype: standard sizes, no padding, as in a numpy record.
_CODES = {"i8": "q", "f8": "d", "i2": "h", "i1": "b", "?": "?"}


def unchanged_fields(scenario: Scenario, escalates: bool) -> list[str]:
    """Outcome fields of a contact that nothing in ``scenario`` can change (``escalates``:
    its escalation policy decides something): the recorder fills them in instead of
    reading them."""
    channels = scenario.channels
    return [name for name, never in (
        ("pileons", all(c.pileon is None for c in channels)),
        ("silent", all(c.silent_share == 0 for c in channels)),
        ("door", all(c.self_service is None for c in channels)),
        ("found_min", all(c.listening is None for c in channels)),
        ("forced", not escalates), ("handed", not escalates)) if never]


def _packer(fields: Iterable[tuple[str, str]]) -> tuple[np.dtype, Callable[..., bytes]]:
    """The record dtype of ``(name, dtype)`` fields, and the function packing one row of
    their values (in that order) as the bytes of one record."""
    fields = list(fields)
    return (np.dtype(fields),
            struct.Struct("=" + "".join(_CODES[dtype] for _, dtype in fields)).pack)


def _columns(rows: list[bytes], dtype: np.dtype) -> dict[str, np.ndarray]:
    """Packed rows (:func:`_packer`) as one contiguous array per field."""
    records = np.frombuffer(b"".join(rows), dtype)
    return {name: records[name].copy() for name in dtype.names}


class Recorder:
    """Buffers finished contacts and segments; hands them to ``sink`` in chunks.

    The engine appends to :attr:`done` (``row(contact)``, read while the contact is still
    in the processor's cache) and to :attr:`segments` directly, in its hot paths, and
    calls :meth:`flush_contacts` / :meth:`flush_segments` when a buffer holds ``chunk``
    rows; the buffers are cleared in place, so references to them stay valid. A row is the
    bytes of one numpy record (:mod:`struct`), so a chunk becomes its columns with no
    conversion of Python numbers one by one, unlike row tuples made into a float array (what
    it did before: benchmarks/README.md, ``engine.py``).

    Parameters
    ----------
    table : ContactTable
        Where the contacts' exogenous attributes are looked up.
    sink : RecordSink
        Receives the chunks.
    agent_pool : list of int
        Pool of each agent id (grows as agents come on shift).
    chunk : int
        Contacts (and segments) per chunk.
    unchanged : iterable of str
        Outcome fields the scenario never changes from a new contact's value (no pile-ons,
        no front door...): filled in per chunk instead of read off every contact.
    """

    def __init__(self, table: ContactTable, sink: RecordSink, agent_pool: list[int],
                 chunk: int = 1 << 13, unchanged: Iterable[str] = ()) -> None:
        self.table = table
        self.sink = sink
        self.agent_pool = agent_pool
        self.chunk = chunk
        new = Contact(table, -1, 0, 0.0, 0.0, 0.0, -1, 0)
        self._unchanged = {name: getattr(new, name) for name in unchanged}
        read = [(name, dtype) for name, dtype in _OUTCOME if name not in self._unchanged]
        self._dtype, pack = _packer(read)
        # One expression reading each field into ``pack``: twice as fast as a tuple from
        # attrgetter unpacked into it. Generated, as namedtuple and dataclasses generate
        # theirs, from the fixed field names of _OUTCOME (never from input).
        #: The packed row of a contact (bytes).
        self.row: Callable[[Contact], bytes] = eval(  # noqa: S307
            "lambda c: pack(" + ", ".join(f"c.{name}" for name, _ in read) + ")",
            {"pack": pack})
        #: Finished contacts not yet handed on, as ``row(contact)``.
        self.done: list[bytes] = []
        self._segment_dtype, pack_segment = _packer(_SEGMENT_COLUMNS)
        #: ``segment(contact id, agent id, channel, start, end)``: one closed stretch, packed.
        self.segment: Callable[[int, int, int, float, float], bytes] = pack_segment
        #: Closed stretches not yet handed on, as ``segment(...)``.
        self.segments: list[bytes] = []

    def finished(self, c: Contact) -> None:
        """``c`` left the system for good."""
        self.done.append(self.row(c))
        if len(self.done) >= self.chunk:
            self.flush_contacts()

    def close(self, remaining: list[Contact], staffing: list[tuple[float, int, int]],
              end_min: float) -> None:
        """The run stopped at ``end_min``: hand on everything, ``remaining`` (contacts still
        in the system or kept for their exposure) last, their open segments after the
        closed ones."""
        self.flush_contacts()
        remaining = sorted(remaining, key=lambda c: c.id)
        for c in remaining:
            if c.state == SERVING:  # its stretch is still open
                self.segments.append(self.segment(c.id, c.agent, c.channel, c.slot_since,
                                                  np.nan))
                c.held_min += end_min - c.slot_since
        self.flush_segments()
        self.done.extend(map(self.row, remaining))
        self.flush_contacts(end_min)
        log = np.asarray(staffing, dtype=float).reshape(-1, 3)
        self.sink.close({"time": log[:, 0], "pool": log[:, 1].astype(np.int16),
                         "agents": log[:, 2].astype(np.int32)}, end_min)

    def flush_contacts(self, end_min: float = np.nan) -> None:
        """Hand the finished contacts buffered so far to the sink."""
        if not self.done and not np.isfinite(end_min):
            return
        read = _columns(self.done, self._dtype)
        self.done.clear()
        n = len(read["id"])
        cols = {name: read[name] if name in read else np.full(n, self._unchanged[name], dtype)
                for name, dtype in _OUTCOME}
        ids = cols["id"]
        for name in ("channel", "origin", "arrival_min", *(a.name for a in ATTRIBUTES),
                     "thread"):
            cols[name] = self.table.gather(name, ids)
        self.table.release(ids)
        self.sink.contacts(cols, end_min)

    def flush_segments(self) -> None:
        """Hand the closed segments buffered so far to the sink."""
        if not self.segments:
            return
        cols = _columns(self.segments, self._segment_dtype)
        self.segments.clear()
        cols["pool"] = np.asarray(self.agent_pool, np.int16)[cols["agent"]]
        self.sink.segments(cols)
