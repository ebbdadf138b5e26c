"""Which tables a results directory keeps (``run.tables``).

A run always computes every table; what it *writes* is a choice. A sweep of thousands of
short jobs needs only what the comparison reads: ``summary.csv`` (the mark of a finished
job), ``per_replication.parquet`` (the paired comparison and the sweep's dataset),
``job.json`` and a report of the tables: a few tens of kilobytes a job instead of tens of
megabytes of per-contact records. The full tables stream to disk only when kept, so a
summary-only job writes no contact record at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .errors import InvalidValue

__all__ = ["ALL", "FIGURE_INPUTS", "FIGURE_NAMES", "FIGURE_TABLES", "SUMMARY", "TABLES",
           "describe", "drawable", "figures_from", "kept"]

#: Every table a run can write, as ``<name>.parquet`` (``summary`` also as ``summary.csv``).
TABLES = ("summary", "per_replication", "contacts", "segments", "journeys", "intervals",
          "staffing")
#: Always written: the summary marks a finished job, the per-replication values are what a
#: comparison of jobs reads.
SUMMARY = frozenset({"summary", "per_replication"})
ALL = frozenset(TABLES)
#: The tables the figures are drawn from (:mod:`sim.figures`).
FIGURE_TABLES = ("contacts", "intervals", "summary")
#: The figures a run draws, ``figures/<name>.png``, in report order
#: (:data:`sim.figures.FIGURES`): the tables each is drawn from (it can be drawn as soon as
#: they are written) and its relative cost to build and save, measured on a
#: 300,000-contact run (figure helpers share the figures by cost, :mod:`sim.painter`).
FIGURE_INPUTS: dict[str, tuple[tuple[str, ...], float]] = {
    "first_response_cdf": (("contacts",), 1.9),
    "interval_profile": (("intervals",), 3.1),
    "service_level": (("summary",), 1.0),
    "dissatisfaction": (("contacts",), 1.2),
}
FIGURE_NAMES = tuple(FIGURE_INPUTS)


def figures_from(written: Iterable[str]) -> list[str]:
    """The figures that can be drawn once the tables ``written`` are, in report order."""
    have = set(written)
    return [name for name, (inputs, _) in FIGURE_INPUTS.items() if have.issuperset(inputs)]
_VALID = ("'all', 'summary', or a list of tables among " + ", ".join(TABLES)
          + " (summary and per_replication are always written)")


def kept(value: Any) -> frozenset[str]:
    """The tables ``run.tables`` asks for: ``"all"``, ``"summary"`` or a list of names.

    Raises
    ------
    sim.errors.InvalidValue
        ``tables`` is none of these (field ``tables``).
    """
    if isinstance(value, str):
        if value == "all":
            return ALL
        if value == "summary":
            return SUMMARY
        if value in TABLES:  # one table given on its own: run.tables=contacts
            return SUMMARY | {value}
        raise InvalidValue("tables", value, f"must be {_VALID}")
    if not isinstance(value, Iterable) or isinstance(value, (bytes, dict)):
        raise InvalidValue("tables", value, f"must be {_VALID}")
    names = list(value)
    unknown = [n for n in names if not isinstance(n, str) or n not in TABLES]
    if unknown:
        raise InvalidValue("tables", names, f"{unknown[0]!r} is not a table; must be {_VALID}")
    return SUMMARY | frozenset(names)


def drawable(tables: frozenset[str]) -> bool:
    """Whether the figures can be drawn from ``tables`` (all of :data:`FIGURE_TABLES`)."""
    return tables.issuperset(FIGURE_TABLES)


def describe(tables: frozenset[str]) -> str:
    """``tables`` as ``run.tables`` would say it: ``all``, ``summary`` or a list."""
    if tables == ALL:
        return "all"
    if tables == SUMMARY:
        return "summary"
    return "[" + ",".join(t for t in TABLES if t in tables) + "]"
