"""Contacts in the system, and the table of exogenous attributes they are read from.

A :class:`Contact` exists from the moment a contact arrives until it leaves the system and
is handed to the recorder: the engine's working set follows the contacts in the system, not
the horizon. It holds the state the engine changes (waiting, served, timings) and the
attributes read at every event (arrival, channel, handle time, patience). Every other
attribute of :data:`sim.customers.ATTRIBUTES` is a read-only property looked up in the
:class:`ContactTable`, so declaring an attribute there is all it takes for policies to read
``contact.<name>`` and for the recorder to find it.
"""

from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np

from ..customers import ATTRIBUTES, Customers, threads

#: Life of a contact. Only contacts that arrived exist; a potential pile-on whose parent was
#: answered first never becomes one.
#: ``self_service``: with the channel's front door (:mod:`sim.selfservice`); ``unhelped``:
#: ended by the front door without being helped (false containment); ``unseen``: a public
#: post that does not tag the brand, not yet found by its listening (:mod:`sim.listening`).
WAITING, SERVING, ABANDONED, DONE, ESCALATED, AWAY, SELF_SERVICE, UNHELPED, UNSEEN = range(9)
STATES = ("waiting", "serving", "abandoned", "done", "escalated", "away", "self_service",
          "unhelped", "unseen")
_BLOCK = 4096  # arrival-process contacts converted to Python values at a time


class ContactTable:
    """Exogenous attributes of a replication's contacts, by contact id.

    Ids ``0..n-1`` are the drawn customers (:class:`sim.customers.Customers`, arrays for the
    whole horizon); the contacts the model creates (retrials, switches, escalations and their
    pile-ons) take the next ids, and their attributes live here only until they are
    recorded (:meth:`release`).

    Parameters
    ----------
    customers : Customers
        The drawn customers.
    """

    def __init__(self, customers: Customers) -> None:
        self.n = len(customers)
        self.n_roots = r = customers.n_roots
        self.columns: dict[str, np.ndarray] = {
            **customers.attributes, "arrival_min": customers.arrival_min,
            "channel": customers.channel}
        # Lineage of the potential pile-ons only (rows n_roots..n-1): the arrival process's
        # contacts are their own thread, with no parent (16 bytes a contact saved).
        self.lineage: dict[str, np.ndarray] = {
            "origin": customers.origin[r:].copy(), "parent": customers.parent[r:].copy(),
            "thread": threads(customers.parent)[r:]}
        self.think_min = customers.think_min
        self.extra: dict[int, dict[str, Any]] = {}  # id -> column -> Python value
        self._next = self.n

    def get(self, name: str, contact: int) -> Any:
        """Column ``name`` of ``contact`` as a Python scalar."""
        if contact >= self.n:
            return self.extra[contact][name]
        if name in self.lineage:
            if contact < self.n_roots:
                return {"origin": 0, "parent": -1, "thread": contact}[name]
            return self.lineage[name][contact - self.n_roots].item()
        return self.columns[name][contact].item()

    def roots(self) -> Iterator[tuple[float, "Contact"]]:
        """The arrival process's contacts with their arrival times, in arrival order (Python
        values a block at a time: lists for the whole horizon would cost ~100 bytes a
        contact)."""
        cols = self.columns
        for start in range(0, self.n_roots, _BLOCK):
            stop = min(start + _BLOCK, self.n_roots)
            arrival, channel, handle, patience = (cols[name][start:stop].tolist() for name in (
                "arrival_min", "channel", "handle_min", "patience_min"))
            for i, t, k, h, p in zip(range(start, stop), arrival, channel, handle, patience):
                yield t, Contact(self, i, k, t, h, p, i, 0)

    def contact(self, i: int, journey: int) -> "Contact":
        """The contact of row ``i`` (a pile-on or a created contact) of ``journey``."""
        get = self.get
        return Contact(self, i, get("channel", i), get("arrival_min", i), get("handle_min", i),
                       get("patience_min", i), journey, get("origin", i))

    def think(self, contact: int, step: int) -> float:
        """Think time (minutes) before reply ``step + 2`` of ``contact``."""
        if contact < self.n:
            return float(self.think_min[contact, step])
        return self.extra[contact]["think_min"][step]

    def add(self, row: dict[str, Any]) -> int:
        """Store a created contact's columns (Python scalars; ``think_min`` a list); its id."""
        i = self._next
        self._next += 1
        parent = row["parent"]
        row["thread"] = i if parent < 0 else self.get("thread", parent)
        self.extra[i] = row
        return i

    def gather(self, name: str, ids: np.ndarray) -> np.ndarray:
        """Column ``name`` of the contacts ``ids``, as an array of its dtype."""
        if name in self.lineage:
            return self._gather_lineage(name, ids)
        col = self.columns[name]
        drawn = ids < self.n
        if drawn.all():
            return col[ids]
        out = np.empty(len(ids), col.dtype)
        out[drawn] = col[ids[drawn]]
        out[~drawn] = [self.extra[int(i)][name] for i in ids[~drawn]]
        return out

    def _gather_lineage(self, name: str, ids: np.ndarray) -> np.ndarray:
        col = self.lineage[name]
        root = {"origin": np.zeros(len(ids), col.dtype), "parent": np.full(len(ids), -1),
                "thread": ids.astype(col.dtype)}[name]
        out = root.astype(col.dtype)
        drawn = (ids >= self.n_roots) & (ids < self.n)
        out[drawn] = col[ids[drawn] - self.n_roots]
        created = ids >= self.n
        out[created] = [self.extra[int(i)][name] for i in ids[created]]
        return out

    def clear(self) -> None:
        """Forget every column (the run is over and recorded): the arrays go now, not when
        the collector of reference cycles next finds the model."""
        self.columns.clear()
        self.lineage.clear()
        self.extra.clear()
        self.think_min = np.zeros((0, 0))

    def release(self, ids: np.ndarray) -> None:
        """Forget the created contacts among ``ids`` (recorded, never read again)."""
        for i in ids[ids >= self.n].tolist():
            self.extra.pop(i, None)


class Contact:
    """One contact in the system (see :class:`sim.policies.base.ContactView`).

    Times in minutes from the start of the simulation. ``pool`` and ``agent`` are those of
    the first response and of the last agent; ``replies_left`` is 0 until the first reply
    starts; ``held_min`` adds up the stretches it held an agent's capacity.
    """

    __slots__ = ("id", "channel", "arrival_min", "handle_min", "patience_min", "journey",
                 "origin", "table", "state", "first_response_min", "left_min", "pool", "agent",
                 "replies_left", "slot_since", "held_min", "pileons", "forced", "silent",
                 "door", "found_min", "handed")

    def __init__(self, table: ContactTable, id: int, channel: int, arrival_min: float,
                 handle_min: float, patience_min: float, journey: int, origin: int) -> None:
        self.table = table
        self.id = id
        self.channel = channel
        self.arrival_min = arrival_min
        self.handle_min = handle_min
        self.patience_min = patience_min
        self.journey = journey
        self.origin = origin
        self.state = WAITING
        self.first_response_min = math.nan
        self.left_min = math.nan  # resolution or abandonment
        self.pool = -1
        self.agent = -1
        self.replies_left = 0
        self.slot_since = math.nan
        self.held_min = 0.0
        self.pileons = 0    # pile-ons it caused
        self.forced = False  # told to switch channel
        self.silent = False  # abandoned without telling: still queued until found
        self.door = 0  # what a self-service front door did (sim.selfservice.OUTCOMES)
        self.found_min = math.nan  # when the listening found it (untagged posts only)
        self.handed = False  # an escalation policy sent it on to another channel

    def __repr__(self) -> str:
        return (f"Contact(id={self.id}, channel={self.channel}, "
                f"arrival_min={self.arrival_min:.3f}, state={STATES[self.state]})")


def _lookup(name: str, doc: str) -> property:
    def get(self: Contact) -> Any:
        return self.table.get(name, self.id)

    return property(get, doc=doc)


# The attributes that are not kept on the object: looked up when a policy asks.
for _a in ATTRIBUTES:
    if _a.name not in Contact.__slots__:
        setattr(Contact, _a.name, _lookup(_a.name, _a.doc))
Contact.thread = _lookup("thread", "the first complaint of its pile-on thread (its own id "
                         "if it is not a pile-on)")
