"""Trace replay: contacts that arrive exactly when a recorded trace says they did.

A trace is a CSV file of real (or hand-made) contact arrivals, one row per contact, with a
header: ``channel``, the time as ``arrival_min`` (minutes from the simulation start, Monday
00:00) or ``timestamp`` (ISO 8601), and optionally attributes the simulator would otherwise
draw (``reach``, ``negative``, ``needs_secure``, ``handle_min``, ``patience_min``,
``expectation_min``; an empty cell means "not given"). :func:`read_trace` checks every row and
either returns one :class:`Replay` per channel or raises one :class:`TraceError` listing every
malformed row by its line number. A :class:`Replay` is an arrival process
(:class:`sim.arrivals.ArrivalProcess`) that returns the same times in every replication.

Reading is vectorised (pandas' C parser, then array masks) so that a trace of a million
contacts loads in about a second.
"""

from __future__ import annotations

import csv
import difflib
import os
import stat
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .arrivals import Surge

TIME_COLUMNS = ("arrival_min", "timestamp")
BOOL_COLUMNS = ("negative", "needs_secure")
DURATION_COLUMNS = ("handle_min", "patience_min", "expectation_min")
ATTRIBUTE_COLUMNS = ("reach", *BOOL_COLUMNS, *DURATION_COLUMNS)
COLUMNS = ("channel", *TIME_COLUMNS, *ATTRIBUTE_COLUMNS)
MAX_LISTED = 20  # malformed rows shown in a TraceError's message (all are in .problems)

_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}
# A UTC offset or Z right after a clock time: the timestamp is timezone-aware.
_AWARE = r"\d:\d\d(?::\d\d(?:\.\d*)?)? *(?:[Zz]|[+-]\d\d(?::?\d\d)?)$"
_SKIPPED = re.compile(r"Skipping line (\d+): (.*)")

Report = Callable[[np.ndarray, Callable[[int], str]], None]
"""Records a problem: a mask of bad rows, and the message for one bad row."""


class TraceError(ValueError):
    """A trace that cannot be replayed; lists every problem by its line in the file.

    Attributes
    ----------
    path : str
        The trace file.
    problems : list of (int, str)
        One entry per malformed line, sorted: the 1-based line number in the file (the
        header is line 1; 0 for the file as a whole) and what is wrong with it.
    """

    def __init__(self, path: str | Path, problems: list[tuple[int, str]]) -> None:
        self.path = str(path)
        self.problems = sorted(problems)
        super().__init__(self._message())

    def _message(self) -> str:
        if all(line == 0 for line, _ in self.problems):
            return f"{self.path}: " + "; ".join(msg for _, msg in self.problems)
        if all(line == 1 for line, _ in self.problems):
            return f"{self.path}: line 1 (header): " + "; ".join(m for _, m in self.problems)
        shown = [f"  line {line}: {msg}" for line, msg in self.problems[:MAX_LISTED]]
        more = len(self.problems) - MAX_LISTED
        if more > 0:
            shown.append(f"  ... and {more} more")
        return f"{self.path}: {len(self.problems)} malformed row(s):\n" + "\n".join(shown)


@dataclass(frozen=True, eq=False)
class Replay:
    """One channel's arrivals replayed from a trace: the same contacts in every replication.

    Parameters
    ----------
    times : ndarray of float
        Sorted arrival times, minutes from the simulation start (Monday 00:00).
    attributes : dict of str to ndarray of float
        Per-contact attributes given by the trace, aligned with ``times``: ``reach``
        (followers), ``negative`` and ``needs_secure`` (1.0 / 0.0), ``handle_min``,
        ``patience_min`` (may be inf), ``expectation_min`` (minutes). NaN where the trace
        left the cell empty (the simulator draws the value); only columns in the file.
    channel : str
        The channel's name, for messages.

    Notes
    -----
    The arrays are made read-only: a replay is shared by every replication, so nothing may
    change it in place. :meth:`sample` and :meth:`attributes_until` return copies.
    """

    times: np.ndarray
    attributes: dict[str, np.ndarray] = field(default_factory=dict)
    channel: str = ""

    def __post_init__(self) -> None:
        times = _frozen(self.times)
        if times.ndim != 1 or not np.all(np.isfinite(times)) or np.any(np.diff(times) < 0):
            raise ValueError("times must be a 1-d array of finite, sorted minutes")
        attributes = {k: _frozen(v) for k, v in self.attributes.items()}
        for name, values in attributes.items():
            if values.shape != times.shape:
                raise ValueError(f"attribute {name!r} has {values.shape} values for "
                                 f"{times.shape} arrival times")
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "attributes", attributes)

    def __len__(self) -> int:
        return len(self.times)

    def _cut(self, horizon_min: float) -> int:
        """Number of arrivals strictly before ``horizon_min``."""
        return int(np.searchsorted(self.times, horizon_min, side="left"))

    def sample(self, rng: np.random.Generator, horizon_min: float,
               surges: Sequence[Surge] = ()) -> np.ndarray:
        """The trace's arrival times before ``horizon_min`` (minutes); ``rng`` is not used.

        Raises
        ------
        ValueError
            If ``surges`` is not empty: a replayed channel's volume is what the trace says.
        """
        if surges:
            raise ValueError("incidents cannot raise a replayed channel's volume: "
                             f"channel {self.channel or '(unnamed)'} arrives exactly as its "
                             "trace says; leave it out of the incident's channels")
        return self.times[:self._cut(horizon_min)].copy()

    def attributes_until(self, horizon_min: float) -> dict[str, np.ndarray]:
        """The attributes of the contacts :meth:`sample` returns for ``horizon_min``."""
        n = self._cut(horizon_min)
        return {name: values[:n].copy() for name, values in self.attributes.items()}

    def mean_rate(self, start_min: float, end_min: float) -> float:
        """Observed arrivals per minute in ``[start_min, end_min)``."""
        if end_min <= start_min:
            raise ValueError("end_min must be after start_min")
        lo, hi = np.searchsorted(self.times, [start_min, end_min], side="left")
        return float(hi - lo) / (end_min - start_min)


def _frozen(values: np.ndarray) -> np.ndarray:
    out = np.array(values, dtype=float)  # a copy: the caller's array stays writable
    out.setflags(write=False)
    return out


def read_trace(path: str | Path, channels: Sequence[str] | None = None) -> dict[str, Replay]:
    """Read and check a trace; one :class:`Replay` per channel.

    Parameters
    ----------
    path : str or Path
        The CSV file (format in ``docs/traces.md``).
    channels : sequence of str or None
        The scenario's channels: a row naming another channel is malformed, and a channel
        with no rows gets an empty replay. None: every channel the file names, in order of
        first appearance.

    Returns
    -------
    dict of str to Replay
        Keyed by channel, in the order of ``channels``.

    Raises
    ------
    TraceError
        If the file is missing or unreadable, the header is wrong, there are no data rows,
        or any row is malformed (all malformed rows are listed; nothing is returned).
    """
    path = Path(path)
    names = _header(path)
    frame, skipped, long = _read_rows(path, names)
    cells = {name: frame[name].to_numpy(dtype=object) for name in names}
    blank = np.logical_and.reduce([cells[name] == "" for name in names])
    if blank.any():
        cells = {name: column[~blank] for name, column in cells.items()}
    if blank.all():
        raise TraceError(path, [(0, "no data rows (a trace needs a header and at least one "
                                    "contact)")])
    lines = _line_numbers(np.flatnonzero(~blank), skipped)
    problems: list[tuple[np.ndarray, list[str]]] = []  # (row positions, message per row)

    def report(mask: np.ndarray, message: Callable[[int], str]) -> None:
        rows = np.flatnonzero(mask)
        if len(rows):
            problems.append((rows, [message(r) for r in rows]))

    codes, valid = _channels(cells["channel"], channels, report)
    if "arrival_min" in cells:
        times = _minutes(cells["arrival_min"], report)
    else:
        times = _timestamps(cells["timestamp"], report)
    attributes = {name: _attribute(cells[name], name, report)
                  for name in ATTRIBUTE_COLUMNS if name in cells}
    bad = [(int(lines[r]), m) for rows, msgs in problems for r, m in zip(rows, msgs)]
    bad += [(line, why) for line, why in skipped + long]
    if bad:
        raise TraceError(path, _merge(bad))
    # Sort by time once; a stable sort keeps file order among equal times.
    order = np.argsort(times, kind="stable")
    codes, times = codes[order], times[order]
    attributes = {k: v[order] for k, v in attributes.items()}
    replays = {}
    for k, name in enumerate(valid):
        mine = codes == k
        replays[name] = Replay(times[mine], {a: v[mine] for a, v in attributes.items()}, name)
    return replays


_MAX_HEADER = 64 * 1024  # characters of a header line, at most


def _check_file(path: Path) -> None:
    """A regular file, readable and not empty; raises TraceError (never opening anything
    else: a FIFO or a device such as /dev/zero would block or never end)."""
    if not str(path).strip() or str(path) == ".":
        raise TraceError(path, [(0, "no file given (a path to a CSV file)")])
    try:
        info = path.stat()
    except FileNotFoundError:
        raise TraceError(path, [(0, "no such file")]) from None
    except OSError as err:
        raise TraceError(path, [(0, f"cannot read the file: {err.strerror}")]) from None
    if stat.S_ISDIR(info.st_mode):
        raise TraceError(path, [(0, "is a directory, not a CSV file")])
    if not stat.S_ISREG(info.st_mode):
        raise TraceError(path, [(0, "is not a regular file (a FIFO, socket or device); "
                                    "a trace is a CSV file")])
    if info.st_size == 0:
        raise TraceError(path, [(0, "the file is empty (a header row is required: channel "
                                    "and arrival_min or timestamp)")])
    if not os.access(path, os.R_OK):
        raise TraceError(path, [(0, "cannot read the file: permission denied")])


def _header(path: Path) -> list[str]:
    """Column names from the first line, checked: raises TraceError on a bad header.

    A first line that is not a trace's header is described, never echoed: the path may
    name any file (a config value), and an error message must not show its contents."""
    _check_file(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            # A bounded read: a huge file with no line break (a sparse or binary file)
            # must not be read whole before it is found not to be a trace.
            line = f.readline(_MAX_HEADER)
            if len(line) >= _MAX_HEADER and not line.endswith("\n"):
                raise TraceError(path, [(1, f"the first line is longer than {_MAX_HEADER:,} "
                                            "characters: not a trace's header")])
            first = next(csv.reader([line]), None)
    except FileNotFoundError:
        raise TraceError(path, [(0, "no such file")]) from None
    except OSError as err:
        raise TraceError(path, [(0, f"cannot read the file: {err.strerror}")]) from None
    except UnicodeDecodeError:
        raise TraceError(path, [(0, "cannot read the file: not UTF-8 text")]) from None
    except csv.Error:
        raise TraceError(path, [(1, "the first line is not a CSV header")]) from None
    if not first or not any(c.strip() for c in first):
        raise TraceError(path, [(0, "the file is empty (a header row is required: channel "
                                    "and arrival_min or timestamp)")])
    names = [c.strip() for c in first]
    valid = ("valid columns: channel, arrival_min or timestamp (one of the two), "
             + ", ".join(ATTRIBUTE_COLUMNS))
    problems = []
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        close = sorted({m for n in unknown for m in difflib.get_close_matches(n, COLUMNS, 1)})
        hint = f" (close to {', '.join(close)}: misspelt?)" if close else ""
        problems.append(f"{len(unknown)} of {len(names)} column(s) are not trace columns"
                        f"{hint}; {valid}")
    repeated = sorted({n for n in names if names.count(n) > 1 and n in COLUMNS})
    if repeated:
        problems.append(f"repeated column(s) {', '.join(map(repr, repeated))}")
    if "channel" not in names:
        problems.append("missing required column 'channel'")
    given = [n for n in TIME_COLUMNS if n in names]
    if len(given) != 1:
        problems.append("needs exactly one time column, arrival_min (minutes from Monday "
                        "00:00) or timestamp (ISO 8601); found "
                        + (" and ".join(given) if given else "neither"))
    if problems:
        raise TraceError(path, [(1, "; ".join(problems))])
    return names


def _read_rows(path: Path, names: list[str]
               ) -> tuple[pd.DataFrame, list[tuple[int, str]], list[tuple[int, str]]]:
    """All data rows as strings, the lines skipped for having too many fields, and those
    with too many fields that were kept (cut) instead."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            # Blank lines are kept (as all-empty rows) so that row positions map to lines.
            # dtype=object: plain Python strings, no conversion from Arrow strings later.
            frame = pd.read_csv(path, dtype=object, keep_default_na=False, na_filter=False,
                                skip_blank_lines=False, skipinitialspace=True, header=0,
                                names=names, index_col=False, on_bad_lines="warn",
                                encoding="utf-8-sig")
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as err:
            # The C parser counts "line N" from 1 but "row N" (an open quote) from 0.
            found = re.search(r"(line|row) (\d+)", str(err))
            line = int(found.group(2)) + (found.group(1) == "row") if found else 0
            raise TraceError(path, [(line, f"cannot parse the file from here: "
                                           f"{str(err).strip()}")]) from None
    skipped, kept_long = [], []
    for w in caught:
        if str(w.message).startswith("Length of header or names does not match"):
            # The parser kept a first data row with extra fields, cut (it warns only that
            # data may be lost): find such rows the slow way, on this error path only.
            kept_long = _long_rows(path, len(names))
        for text in str(w.message).splitlines():
            found = _SKIPPED.match(text.strip())
            if found:
                skipped.append((int(found.group(1)), found.group(2).rstrip(".")))
    skipped = sorted(skipped)
    lines = {line for line, _ in skipped}
    return frame.reset_index(drop=True), skipped, [p for p in kept_long if p[0] not in lines]


def _long_rows(path: Path, width: int) -> list[tuple[int, str]]:
    """Lines with more than ``width`` fields, worded as the parser words a skipped line."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, skipinitialspace=True)
        return [(reader.line_num, f"expected {width} fields, saw {len(row)}")
                for row in reader if len(row) > width][:MAX_LISTED + 1]


def _line_numbers(rows: np.ndarray, skipped: list[tuple[int, str]]) -> np.ndarray:
    """File line of each kept row position (the parser dropped the ``skipped`` lines)."""
    lines = np.asarray(rows, dtype=np.int64) + 2  # header is line 1
    if skipped:
        # The k-th skipped line (sorted) shifts every row from position line_k - 2 - k on.
        shift_at = np.array([line for line, _ in skipped]) - 2 - np.arange(len(skipped))
        lines = lines + np.searchsorted(shift_at, np.asarray(rows), side="right")
    return lines


def _merge(problems: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """One entry per line, its messages joined."""
    by_line: dict[int, list[str]] = {}
    for line, msg in problems:
        by_line.setdefault(line, []).append(msg)
    return [(line, "; ".join(msgs)) for line, msgs in sorted(by_line.items())]


def _channels(raw: np.ndarray, channels: Sequence[str] | None,
              report: Report) -> tuple[np.ndarray, list[str]]:
    """Channel code per row (index into the returned names) and the channel names."""
    codes, uniques = pd.factorize(raw)
    uniques = [str(u).strip() for u in uniques]
    if channels is None:
        valid = list(dict.fromkeys(u for u in uniques if u))
    else:
        valid = list(channels)
    index = {name: k for k, name in enumerate(valid)}
    lookup = np.array([index.get(u, -1) for u in uniques] + [-1], dtype=np.int64)
    mapped = lookup[codes]
    listing = ", ".join(valid)
    report(mapped < 0, lambda r: "missing channel" if not str(raw[r]).strip() else
           f"unknown channel {str(raw[r]).strip()!r} (valid: {listing})")
    return mapped, valid


def _floats(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values (NaN where empty or bad), empty mask and unparsable mask of a text column."""
    empty = raw == ""
    text = np.where(empty, "nan", raw)
    try:
        # Python's float(): correctly rounded, so repr() output reads back bit-identical.
        values = text.astype(float)
    except ValueError:
        values = pd.to_numeric(text, errors="coerce").astype(float)
    bad = np.isnan(values) & ~empty  # includes a literal "nan": write an empty cell instead
    return values, empty, bad


def _minutes(raw: np.ndarray, report: Report) -> np.ndarray:
    values, empty, bad = _floats(raw)
    report(empty, lambda r: "missing arrival_min")
    report(bad, lambda r: f"arrival_min {raw[r]!r} is not a number")
    report(np.isinf(values), lambda r: f"arrival_min {raw[r]!r} is not finite")
    report(values < 0, lambda r: f"arrival_min {raw[r]!r} is negative (minutes from the "
                                 "simulation start, Monday 00:00)")
    return values + 0.0  # -0.0 -> 0.0


def _timestamps(raw: np.ndarray, report: Report) -> np.ndarray:
    """Minutes from Monday 00:00 of the week of the earliest timestamp (UTC if zoned)."""
    empty = raw == ""
    stamps = pd.to_datetime(raw, format="ISO8601", utc=True, errors="coerce")
    bad = np.asarray(stamps.isna()) & ~empty
    report(empty, lambda r: "missing timestamp")
    report(bad, lambda r: f"timestamp {raw[r]!r} is not an ISO 8601 date-time "
                          "(e.g. 2026-03-02 09:15:00)")
    ok = ~(empty | bad)
    # Arrow's RE2 engine: a tenth of the time of Python's re over a million rows.
    aware = pc.match_substring_regex(pa.array(np.where(ok, raw, ""), type=pa.string()),
                                     _AWARE).to_numpy(zero_copy_only=False) & ok
    if aware.any() and not aware[ok].all():
        # A local time beside UTC-offset times cannot be placed on one clock.
        minority = aware if aware.sum() * 2 < ok.sum() else ok & ~aware
        report(minority, lambda r: f"timestamp {raw[r]!r} "
               + ("has a time zone but most others do not" if aware[r] else
                  "has no time zone but most others do") + " (use one or the other)")
    if not ok.any():
        return np.full(len(raw), np.nan)
    first = stamps[ok].min().floor("D")
    monday = first - pd.Timedelta(days=first.day_of_week)
    micros = np.asarray(stamps - monday, dtype="timedelta64[us]").astype(np.int64)
    # Integer microseconds and 60e6 are exact in float64, so whole seconds give exactly s / 60.
    minutes = micros / 60e6
    minutes[~ok] = np.nan
    return minutes


def _attribute(raw: np.ndarray, name: str, report: Report) -> np.ndarray:
    """One optional attribute column as floats, NaN where not given."""
    if name in BOOL_COLUMNS:
        codes, uniques = pd.factorize(raw)
        words = [str(u).strip().lower() for u in uniques]
        table = np.array([1.0 if w in _TRUE else 0.0 if w in _FALSE else np.nan
                          for w in words] + [np.nan])
        values = table[codes]
        bad = np.isnan(values) & (raw != "")
        report(bad, lambda r: f"{name} {raw[r]!r} is not a yes/no value (true, false, 1, 0, "
                              "yes, no; empty: not given)")
        return values
    values, _, bad = _floats(raw)
    report(bad, lambda r: f"{name} {raw[r]!r} is not a number")
    if name == "reach":
        report(np.isinf(values) | (values < 0),
               lambda r: f"reach {raw[r]!r} must be a finite number >= 0 (followers)")
    else:
        infinite_ok = name == "patience_min"  # a customer who never abandons
        wrong = (values <= 0) | (np.isinf(values) & (not infinite_ok))
        report(wrong, lambda r: f"{name} {raw[r]!r} must be > 0 (minutes"
               + (", or inf)" if infinite_ok else ")"))
    return values

