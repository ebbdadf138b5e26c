"""The customers: everything about a contact that no policy can change, drawn up front.

Arrival time, channel, base handle time, patience, the response time the customer expects,
reach, and the uniform numbers that decide what a customer does after a failure are
exogenous. Drawing them all before the simulation, each channel and attribute from its own
named stream, is what gives common random numbers: any two policies run on the same seed
and replication see exactly these customers, whatever order the engine serves them. It is
also what makes the engine fast: numpy batches instead of per-contact sampling.

The attributes are declared once, in :data:`ATTRIBUTES`: how each is drawn, whether it is a
column of ``contacts.parquet``, and which follow-up contacts (a retrial, a switch, an
escalation) carry their parent's value. Adding an attribute is one entry there; the engine
stores it, policies read it as ``contact.<name>``, and its record column follows.

The pile-ons public complaints *would* cause if nobody answered are drawn here too (see
:mod:`sim.pileons`); the engine lets each arrive only if its parent is still unanswered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from .pileons import draw_cascade
from .rng import Streams

if TYPE_CHECKING:
    from .scenario import Channel, Scenario

#: Where a contact came from (``contacts.parquet`` column ``origin``): the arrival process,
#: or the model itself.
ORIGINS = ("arrival", "escalation", "pileon", "switch", "retrial", "self_service")
ARRIVAL, ESCALATION, PILEON, SWITCH, RETRIAL, SELF_SERVICE = range(len(ORIGINS))
#: Follow-up contacts of a customer's journey (the same person, the same problem);
#: ``self_service``: the human contact a front door escalated (sim/selfservice.py).
FOLLOW_UPS = (ESCALATION, SWITCH, RETRIAL, SELF_SERVICE)

Draw = Callable[["Channel", Callable[[str], np.random.Generator], int], np.ndarray]


@dataclass(frozen=True)
class Attribute:
    """One exogenous attribute of a contact.

    Attributes
    ----------
    name : str
        Its name: ``contact.<name>`` for policies, the column name when recorded.
    dtype : str
        NumPy dtype it is stored in. Decision uniforms are single precision (ample for
        ``u < p``, half the memory); engines compare them as Python floats.
    draw : callable
        ``draw(channel, stream, n)``: ``n`` values for contacts of ``channel``;
        ``stream(what)`` is the generator of ``<what>/<channel><suffix>``.
    recorded : bool
        Whether it is a column of ``contacts.parquet``.
    inherit : tuple of int
        Origins of follow-up contacts that carry their parent's value instead of a fresh
        draw (a retrial is the same person about the same thing).
    doc : str
        What it is, with its unit.
    neutral : float
        Its value for hand-built customers (:meth:`Customers.of`) when none is given: one
        that changes nothing (never abandons, private, nobody retries).
    """

    name: str
    dtype: str
    draw: Draw
    recorded: bool = False
    inherit: tuple[int, ...] = ()
    doc: str = ""
    neutral: float = 0.0


def _constant(value: object, n: int, dtype: object = None) -> np.ndarray:
    """``n`` copies of ``value`` as a read-only view of one number: an attribute a
    channel does not use (no reach, no front door...) costs no memory a contact."""
    return np.broadcast_to(np.asarray(value, dtype), (n,))


def _column(values: np.ndarray, dtype: str, n: int) -> np.ndarray:
    """``values`` as a column of ``dtype``; a constant (:func:`_constant`) stays a view."""
    values = np.asarray(values)
    if values.ndim == 1 and values.strides == (0,):
        return _constant(values[0] if n else 0, n, dtype)
    return np.asarray(values, dtype)


def constant_value(column: np.ndarray) -> object | None:
    """The value of a constant column (:func:`_constant`; empty counts as any), else None."""
    if column.ndim != 1 or column.strides != (0,):
        return None
    return column[0].item() if len(column) else _ANY


_ANY = object()  # the "value" of an empty constant column: merges with any other


def merge(columns: list[np.ndarray]) -> np.ndarray:
    """``np.concatenate(columns)``, but the same constant in every part stays a view."""
    values = [constant_value(c) for c in columns]
    known = [v for v in values if v is not _ANY]
    if None not in values and len(set(map(repr, known))) <= 1:
        return _constant(known[0] if known else 0, sum(len(c) for c in columns),
                         np.result_type(*columns))
    return np.concatenate(columns)


def _duration(what: str) -> Draw:
    return lambda ch, s, n: getattr(ch, what).sample(s(what), n)


def _optional(what: str, default: float) -> Draw:
    def draw(ch: "Channel", s, n: int) -> np.ndarray:
        dist = getattr(ch, what)
        return dist.sample(s(what), n) if dist is not None else _constant(default, n)
    return draw


def _share(what: str, stream: str) -> Draw:
    # A share of 0 draws nothing (its own stream: no other number moves) and is all False.
    return lambda ch, s, n: (s(stream).random(n) < getattr(ch, what) if getattr(ch, what) > 0
                             else _constant(False, n))


def _uniform(stream: str) -> Draw:
    return lambda ch, s, n: s(stream).random(n)


def _bot_duration(ch: "Channel", s, n: int) -> np.ndarray:
    """Minutes with the channel's front door (0 without one: nothing is drawn)."""
    door = ch.self_service
    return door.duration.sample(s("self_service"), n) if door is not None else _constant(0.0, n)


def _untagged(ch: "Channel", s, n: int) -> np.ndarray:
    """Posts that do not tag the brand (only where the channel's listening is modelled)."""
    ear = ch.listening
    return s("untagged").random(n) < ear.untagged if ear is not None else _constant(False, n)


def _discovery(ch: "Channel", s, n: int) -> np.ndarray:
    """Minutes from posting until the listening finds an untagged post (inf: never)."""
    ear = ch.listening
    if ear is None:
        return _constant(0.0, n)
    found = s("listening_coverage").random(n) < ear.coverage
    return np.where(found, ear.delay.sample(s("listening"), n), np.inf)


def _advocate_uniform(ch: "Channel", s, n: int) -> np.ndarray:
    return s("advocacy").random(n) if ch.advocacy is not None else _constant(1.0, n)


def _bot_uniform(ch: "Channel", s, n: int) -> np.ndarray:
    return (s("self_service_outcome").random(n) if ch.self_service is not None
            else _constant(1.0, n))


ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("handle_min", "f8", _duration("handle"), True, (RETRIAL, SELF_SERVICE),
              "work content for a proficiency-1 agent, minutes", 1.0),
    Attribute("patience_min", "f8", _optional("patience", np.inf), True, (),
              "time before an unanswered customer abandons, minutes (inf: never)", np.inf),
    Attribute("expectation_min", "f8", _duration("expectation"), True, (RETRIAL, SELF_SERVICE),
              "first-response time the customer expects, minutes"),
    Attribute("reach", "f8", _optional("reach", 0.0), True, (RETRIAL, SELF_SERVICE),
              "followers of the author (0: a private contact)"),
    Attribute("negative", "?", _share("negative_share", "negative"), True, (RETRIAL, SELF_SERVICE),
              "a negative complaint (a switch after a failure always is)"),
    Attribute("needs_secure", "?", _share("secure_share", "secure"), True, FOLLOW_UPS,
              "needs account-specific work (identity, payments)"),
    Attribute("compliance", "f8", _uniform("compliance"), False, FOLLOW_UPS,
              "uniform(0, 1) propensity to do what the operation asks: follows a request "
              "made with probability p when compliance < p", 1.0),
    Attribute("failure_u", "f4", _uniform("failure"), False, (),
              "uniform(0, 1): after a failure, retries (< retrial probability) or switches "
              "(the next band)", 1.0),
    Attribute("silent_u", "f4", _uniform("silent"), False, (),
              "uniform(0, 1): a chat abandonment is silent when < silent_share", 1.0),
    Attribute("upset_u", "f4", _uniform("upset"), False, (),
              "uniform(0, 1): a forced switch dissatisfies when < its probability"),
    Attribute("untagged", "?", _untagged, True, (),
              "a public post that does not tag the brand: seen only when found (sim/listening.py)"),
    Attribute("discovery_min", "f4", _discovery, False, (),
              "minutes from posting until the listening finds an untagged post (inf: never)"),
    Attribute("advocate_u", "f4", _advocate_uniform, False, (),
              "uniform(0, 1): a complaint answered in time makes an advocate when < the "
              "channel's advocacy probability (sim/advocacy.py)", 1.0),
    Attribute("bot_min", "f4", _bot_duration, False, (),
              "minutes with the channel's self-service front door, if it has one"),
    Attribute("bot_u", "f4", _bot_uniform, False, (),
              "uniform(0, 1): what the front door does (sim.selfservice.SelfService.outcome)",
              1.0),
)


@dataclass(frozen=True)
class Customers:
    """Columnar exogenous attributes of one replication's contacts.

    Rows ``0..n_roots-1`` are the arrival process's contacts, sorted by arrival; the rows
    after them are potential pile-ons (``parent`` >= 0), which arrive only if their parent
    is still unanswered at ``arrival_min``.

    Attributes
    ----------
    arrival_min : ndarray of float
        Arrival times, minutes from the start (Monday 00:00).
    channel : ndarray of int
        Index into ``Scenario.channels``.
    attributes : dict of str to ndarray
        One column per :data:`ATTRIBUTES` entry, in its dtype.
    think_min : ndarray of float, shape (n, E - 1)
        Customer think times before each later reply, minutes (E: the most exchanges of any
        channel; NaN-padded).
    origin : ndarray of int8
        Index into :data:`ORIGINS` (``arrival`` or ``pileon`` here).
    parent : ndarray of int64
        The complaint a potential pile-on answers (-1: none).
    n_roots : int
        Contacts of the arrival process (the first rows).
    """

    arrival_min: np.ndarray
    channel: np.ndarray
    attributes: dict[str, np.ndarray]
    think_min: np.ndarray
    origin: np.ndarray
    parent: np.ndarray
    n_roots: int

    def __len__(self) -> int:
        return len(self.arrival_min)

    @property
    def thread(self) -> np.ndarray:
        """The first complaint of each row's pile-on thread (itself if not a pile-on)."""
        return threads(self.parent)

    @classmethod
    def of(cls, arrival_min, channel, think_min=None, **attributes: np.ndarray) -> "Customers":
        """Hand-built arrival-process contacts (tests, replays): attributes not given take
        neutral values (never abandon, expect nothing, private, nobody retries or switches).
        """
        arrival = np.asarray(arrival_min, float)
        n = len(arrival)
        unknown = sorted(set(attributes) - {a.name for a in ATTRIBUTES})
        if unknown:
            raise ValueError(f"unknown attribute(s) {unknown}; valid: "
                             + ", ".join(a.name for a in ATTRIBUTES))
        cols = {a.name: (np.asarray(attributes[a.name], a.dtype) if a.name in attributes
                         else np.full(n, a.neutral, a.dtype)) for a in ATTRIBUTES}
        think = np.zeros((n, 0)) if think_min is None else np.asarray(think_min, float)
        return cls(arrival, np.asarray(channel, np.int16), cols, think,
                   np.zeros(n, np.int8), np.full(n, -1, np.int64), n)


def no_customers() -> Customers:
    """An empty population (to bind and check policies without simulating)."""
    return Customers.of(np.zeros(0), np.zeros(0, np.int16))


def draw_attributes(channel: Channel, k: int, streams: Streams, n: int, extra: int,
                    suffix: str = "") -> dict[str, np.ndarray]:
    """Every attribute but the arrival time of ``n`` contacts of ``channel`` (index ``k``):
    ``channel``, ``think_min`` and one column per :data:`ATTRIBUTES` entry.

    Each attribute comes from the stream ``<what>/<channel><suffix>``: the arrival
    process's contacts use no suffix, contacts the model creates a suffix naming how
    (``/pileon``, ``/switch``...), so neither kind shifts the other's numbers.
    """
    s = lambda what: streams(f"{what}/{channel.name}{suffix}")
    out = {"channel": np.full(n, k, dtype=np.int16)}
    out.update({a.name: _column(a.draw(channel, s, n), a.dtype, n) for a in ATTRIBUTES})
    out["think_min"] = _think(channel, s, n, extra)
    return out


def draw_customers(scenario: Scenario, streams: Streams, horizon_min: float) -> Customers:
    """Sample all contacts arriving in ``[0, horizon_min)`` and their potential pile-ons.

    Incidents draw from ``incidents``; each channel's arrivals from ``arrivals/<ch>``, its
    attributes as :func:`draw_attributes` says, its pile-ons from ``pileon/<ch>``, so adding
    a channel or changing one leaves the others' customers unchanged. A replayed channel
    (a trace) takes its arrival times, and whatever attributes the trace gives, from the
    trace.
    """
    extra = max(c.exchanges for c in scenario.channels) - 1
    # Incidents hit every channel they name at the same moments: one shared stream.
    surges: dict[str, list] = {c.name: [] for c in scenario.channels}
    for incident in scenario.incidents:
        for surge in incident.surges(streams("incidents"), horizon_min):
            for name in incident.channels:
                surges[name].append(surge)
    parts = []
    for k, ch in enumerate(scenario.channels):
        t = ch.arrivals.sample(streams(f"arrivals/{ch.name}"), horizon_min, surges[ch.name])
        part = {"arrival_min": t, **draw_attributes(ch, k, streams, len(t), extra)}
        replayed = getattr(ch.arrivals, "attributes_until", None)
        if replayed is not None:
            _override(part, replayed(horizon_min))
        parts.append(part)
    # Merge the channels in arrival order, one column at a time, freeing each channel's
    # column as it goes: the peak is one set of columns plus one column, not three sets.
    order = np.argsort(np.concatenate([p["arrival_min"] for p in parts]), kind="stable")
    n_roots = len(order)
    in_order = is_identity(order)
    cols = {}
    for name in list(parts[0]):
        merged = merge([p.pop(name) for p in parts])
        cols[name] = merged if in_order or constant_value(merged) is not None else merged[order]
        del merged
    del parts
    cols["origin"] = np.zeros(n_roots, np.int8)
    cols["parent"] = np.full(n_roots, -1, np.int64)
    for k, ch in enumerate(scenario.channels):
        if ch.pileon is None:
            continue
        complaints = np.flatnonzero((cols["channel"] == k) & cols["negative"])
        new = pileons(ch, k, streams, complaints, cols["arrival_min"][complaints],
                      cols["reach"][complaints], len(cols["arrival_min"]), horizon_min, extra)
        for name, v in new.items():
            cols[name] = merge([cols[name], v])
    return Customers(cols["arrival_min"], cols["channel"],
                     {a.name: cols[a.name] for a in ATTRIBUTES},
                     cols["think_min"], cols["origin"], cols["parent"], n_roots)


def is_identity(order: np.ndarray) -> bool:
    """Whether a permutation is the identity (nothing to reorder: e.g. one channel's
    contacts are already in arrival order)."""
    return bool(np.all(order[:-1] < order[1:])) if len(order) > 1 else True


def pileons(channel: Channel, k: int, streams: Streams, parents: np.ndarray,
            arrival_min: np.ndarray, reach: np.ndarray, start: int, horizon_min: float,
            extra: int, suffix: str = "") -> dict[str, np.ndarray]:
    """Rows of the potential pile-ons of complaints ``parents`` (row indices) posted at
    ``arrival_min`` by authors of ``reach``, to be appended from row ``start`` on."""
    cascade = draw_cascade(channel.pileon, channel.reach, arrival_min, reach, horizon_min,
                           streams(f"pileon/{channel.name}{suffix}"),
                           streams(f"reach/{channel.name}/pileon{suffix}"))
    m, r = len(cascade), len(parents)
    new = draw_attributes(channel, k, streams, m, extra, f"/pileon{suffix}")
    new["arrival_min"] = cascade.arrival_min
    new["reach"] = cascade.reach
    new["negative"] = np.ones(m, bool)  # a pile-on is a complaint
    new["origin"] = np.full(m, PILEON, np.int8)
    pos = cascade.parent
    first_gen = pos < r
    new["parent"] = np.where(first_gen, np.asarray(parents, np.int64)[np.where(first_gen, pos, 0)]
                             if r else -1, start + pos - r).astype(np.int64)
    return new


def threads(parent: np.ndarray) -> np.ndarray:
    """The first complaint of each row's pile-on thread (itself if not a pile-on).

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


def _override(part: dict[str, np.ndarray], given: dict[str, np.ndarray]) -> None:
    """Put the attributes a trace gives (non-NaN cells) over the drawn ones."""
    for column, values in given.items():
        drawn = part[column]
        # NaN cells keep the drawn value (NaN cast to bool is True, but masked out here).
        part[column] = np.where(~np.isnan(values), values.astype(drawn.dtype), drawn)


def _think(channel: Channel, s, n: int, extra: int) -> np.ndarray:
    """Think times before replies 2..E of each contact (NaN beyond the channel's E)."""
    out = np.full((n, extra), np.nan)
    used = channel.exchanges - 1
    if used:
        out[:, :used] = channel.think.sample(s("think"), n * used).reshape(n, used)
    return out
