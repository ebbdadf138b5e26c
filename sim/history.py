"""A client's own history, read and checked: the interval report every ACD and social-care
tool exports (``docs/data.md``).

An interval report is a CSV file with one row per channel and interval: ``interval_start``
(ISO 8601 date-time), ``channel``, ``offered``, ``handled``, ``abandoned``, ``aht_s`` (mean
handle time of the handled contacts, seconds) and, optionally, ``asa_s`` (mean speed of
answer, seconds), ``service_level`` (share answered within the channel's target, 0-1) and
``agents`` (agents staffed, mean over the interval). Intervals are 15, 30 or 60 minutes.

:func:`read_intervals` refuses a file it cannot trust with one :class:`HistoryError` naming
the file, the line and the column: unparseable dates, negative or fractional counts,
``handled + abandoned > offered``, duplicate intervals, gaps, mixed interval lengths,
unknown columns or channels, time zones that change (a daylight-saving jump). Nothing is
fitted or simulated from a file that fails.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Sequence

import pandas as pd

__all__ = ["HistoryError", "IntervalReport", "read_intervals"]

REQUIRED = ("interval_start", "channel", "offered", "handled", "abandoned", "aht_s")
OPTIONAL = ("asa_s", "service_level", "agents")
LENGTHS_MIN = (15, 30, 60)
_COUNTS = ("offered", "handled", "abandoned")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class HistoryError(ValueError):
    """A history file that cannot be used, and where (``line`` 1 is the header)."""

    def __init__(self, file: Path, line: int, column: str | None, what: str) -> None:
        self.file, self.line, self.column, self.what = file, line, column, what
        where = f"{file}, line {line}" + (f", column {column}" if column else "")
        super().__init__(f"{where}: {what}")


@dataclass(frozen=True)
class IntervalReport:
    """A checked interval report.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per channel and interval, sorted by channel then ``interval_start`` (naive
        local date-times, in the file's one UTC offset if it gave one); counts as integers,
        times in seconds, optional columns present only when the file has them.
    interval_min : int
        The interval length, minutes.
    channels : tuple of str
        Channel names, in order of first appearance.
    source : pathlib.Path
        The file read.
    """

    table: pd.DataFrame
    interval_min: int
    channels: tuple[str, ...]
    source: Path


def read_intervals(path: str | Path, channels: Sequence[str] | None = None) -> IntervalReport:
    """Read and check an interval report.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.
    channels : sequence of str, optional
        The channels the model has: a row of any other is refused.

    Raises
    ------
    HistoryError
        The first problem found, naming the file, the line and the column.
    """
    file = Path(path)
    if not file.is_file():
        raise HistoryError(file, 0, None, "no such file")
    with file.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        _check_header(file, header)
        rows = [_row(file, n, dict(zip(header, values)), len(values) == len(header), channels)
                for n, values in enumerate(reader, start=2) if any(v.strip() for v in values)]
    if not rows:
        raise HistoryError(file, 1, None, "no data rows")
    _same_offset(file, rows)
    length = _intervals(file, rows)
    present = [c for c in OPTIONAL if c in header]
    table = pd.DataFrame({
        "interval_start": pd.to_datetime([r["start"] for r in rows]),
        "channel": [r["channel"] for r in rows],
        **{c: pd.array([r[c] for r in rows], dtype="int64") for c in _COUNTS},
        **{c: [r[c] for r in rows] for c in ("aht_s", *present)},
    }).sort_values(["channel", "interval_start"], kind="stable", ignore_index=True)
    names = tuple(dict.fromkeys(r["channel"] for r in rows))
    return IntervalReport(table, length, names, file)


def _check_header(file: Path, header: list[str]) -> None:
    known = (*REQUIRED, *OPTIONAL)
    unknown = [h for h in header if h not in known]
    if unknown:
        raise HistoryError(file, 1, unknown[0], f"unknown column; valid: {', '.join(known)}")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise HistoryError(file, 1, None, f"missing column(s) {', '.join(missing)}; required: "
                           f"{', '.join(REQUIRED)}")
    twice = [h for h, n in Counter(header).items() if n > 1]
    if twice:
        raise HistoryError(file, 1, twice[0], "appears twice")


def _row(file: Path, line: int, raw: dict[str, str], complete: bool,
         channels: Sequence[str] | None) -> dict:
    if not complete:
        raise HistoryError(file, line, None, "the row has a different number of fields than "
                           "the header")
    out: dict = {"line": line}
    text = raw["interval_start"].strip()
    try:
        out["start"] = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise HistoryError(file, line, "interval_start", f"{text!r} is not an ISO 8601 "
                           "date-time (e.g. 2026-03-02T09:30 or 2026-03-02 09:30+01:00)") from None
    name = raw["channel"].strip()
    if not _NAME.match(name):
        raise HistoryError(file, line, "channel", f"{name!r}: a channel is a name of letters, "
                           "digits and _ (not starting with a digit)")
    if channels is not None and name not in channels:
        raise HistoryError(file, line, "channel", f"{name!r} is not a channel of the model; "
                           f"valid: {', '.join(channels)}")
    out["channel"] = name
    for column, value in raw.items():
        if column in ("interval_start", "channel"):
            continue
        out[column] = _number(file, line, column, value.strip())
    if out["handled"] + out["abandoned"] > out["offered"]:
        raise HistoryError(file, line, "handled", f"handled + abandoned = "
                           f"{out['handled'] + out['abandoned']} is more than offered = "
                           f"{out['offered']}")
    if out["handled"] > 0 and not out["aht_s"] > 0:
        raise HistoryError(file, line, "aht_s", f"{out['aht_s']:g}: contacts were handled, so "
                           "their mean handle time must be > 0 s")
    if "service_level" in out and out["service_level"] > 1:
        raise HistoryError(file, line, "service_level", f"{out['service_level']:g}: a share "
                           "in [0, 1] (a percentage? divide by 100)")
    return out


def _number(file: Path, line: int, column: str, text: str) -> float | int:
    optional = column in OPTIONAL
    if not text:
        if optional:
            return math.nan
        raise HistoryError(file, line, column, "empty; a value is required")
    try:
        value = float(text)
    except ValueError:
        raise HistoryError(file, line, column, f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise HistoryError(file, line, column, f"{text!r}: must be a finite number >= 0")
    if column in _COUNTS:
        if value != round(value):
            raise HistoryError(file, line, column, f"{text!r}: a count of contacts is a whole "
                               "number")
        return int(round(value))
    return value


def _same_offset(file: Path, rows: list[dict]) -> None:
    """Every date-time naive, or all at one UTC offset (then made naive)."""
    first = rows[0]["start"].utcoffset()
    for r in rows:
        offset = r["start"].utcoffset()
        if (offset is None) != (first is None):
            raise HistoryError(file, r["line"], "interval_start", "mixes date-times with and "
                               "without a UTC offset; give all or none")
        if offset != first:
            raise HistoryError(file, r["line"], "interval_start", f"the UTC offset changes "
                               f"from {_offset(first)} to {_offset(offset)} (a daylight-saving "
                               "change?): export every interval at one offset, e.g. UTC")
        r["start"] = r["start"].replace(tzinfo=None)


def _offset(delta: timedelta | None) -> str:
    minutes = int(delta.total_seconds() // 60) if delta is not None else 0
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _intervals(file: Path, rows: list[dict]) -> int:
    """The interval length (minutes); each channel's intervals unique, contiguous and of
    that length."""
    seen: dict[tuple[str, datetime], int] = {}
    by_channel: dict[str, list[dict]] = {}
    for r in rows:
        key = (r["channel"], r["start"])
        if key in seen:
            raise HistoryError(file, r["line"], "interval_start", f"{r['channel']} at "
                               f"{r['start']:%Y-%m-%d %H:%M} again (first on line {seen[key]})")
        seen[key] = r["line"]
        by_channel.setdefault(r["channel"], []).append(r)
    steps = Counter()
    for mine in by_channel.values():
        mine.sort(key=lambda r: r["start"])
        steps.update((b["start"] - a["start"]) for a, b in zip(mine, mine[1:]))
    if not steps:
        raise HistoryError(file, 1, None, "one interval per channel: the interval length "
                           "cannot be known; give at least two intervals")
    step = steps.most_common(1)[0][0]
    length = step.total_seconds() / 60
    if length not in LENGTHS_MIN:
        raise HistoryError(file, 1, "interval_start", f"intervals of {length:g} min; valid: "
                           f"{', '.join(map(str, LENGTHS_MIN))} min")
    for name, mine in by_channel.items():
        for a, b in zip(mine, mine[1:]):
            gap = b["start"] - a["start"]
            if gap == step:
                continue
            if gap % step == timedelta(0):
                missing = a["start"] + step
                raise HistoryError(file, b["line"], "interval_start", f"gap: no {name} row "
                                   f"for {missing:%Y-%m-%d %H:%M} (the previous {name} "
                                   f"interval is on line {a['line']})")
            raise HistoryError(file, b["line"], "interval_start", f"{name} intervals of "
                               f"{gap.total_seconds() / 60:g} min among intervals of "
                               f"{length:g} min: mixed interval lengths")
    return int(length)
