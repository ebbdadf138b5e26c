"""The figures of a results directory, drawn from its tables, here or in a helper
process.

A run's figures are a pure function of the tables it writes (``contacts.parquet``,
``intervals.parquet``, ``summary.parquet``): :func:`draw` reads what the figures need from a
directory and writes ``figures/<name>.png`` there, for the report to embed.

``python -m sim.figures`` is a figure helper (:func:`serve`) for :class:`sim.painter.Painter`.
"""

from __future__ import annotations

import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

import pandas as pd
import pyarrow.parquet as pq
from matplotlib.figure import Figure

from . import plots
from .metrics import queue_contacts
from .outputs import FIGURE_NAMES, FIGURE_TABLES

__all__ = ["DPI", "FIGURES", "Tables", "draw", "figures", "save", "serve"]

DPI = 110
"""Resolution of the report's figures, dots per inch."""

#: ``contacts.parquet`` columns a figure reads (those a table lacks are not read).
_CONTACT_COLUMNS = ("channel", "wait_min", "answered", "warmup", "target_min",
                    "dissatisfaction_cause", "public", "origin", "negative", "self_service")


class Tables:
    """The tables of a results directory that figures read, each read when first asked for.

    Either given (``contacts``, ``intervals``, ``summary`` DataFrames) or read from
    ``directory`` (``contacts.parquet``: only the columns figures read; ``intervals.parquet``;
    ``summary.parquet``, or ``summary.csv`` in a finished directory).
    """

    def __init__(self, directory: Path | None = None, **given: pd.DataFrame) -> None:
        self.directory = directory
        self._tables = dict(given)

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name not in FIGURE_TABLES:
            raise AttributeError(name)
        if name not in self._tables:
            self._tables[name] = self._read(name)
        return self._tables[name]

    def _read(self, name: str) -> pd.DataFrame:
        directory = self.directory
        if directory is None:
            raise ValueError(f"no {name} table given")
        if name == "contacts":
            file = directory / "contacts.parquet"
            if not file.exists():
                raise FileNotFoundError(f"{directory}: no contacts.parquet to draw figures from")
            present = set(pq.read_schema(file).names)
            return pd.read_parquet(file, columns=[c for c in _CONTACT_COLUMNS if c in present])
        if name == "summary" and not (directory / "summary.parquet").exists():
            return pd.read_csv(directory / "summary.csv")
        return pd.read_parquet(directory / f"{name}.parquet")


def _frt_cdf(t: Tables) -> Figure:
    # Waits of the queue: a front door's contacts never waited for an agent (the
    # dissatisfaction figure keeps them: a customer the bot failed is dissatisfied).
    contacts = queue_contacts(t.contacts)
    targets = (contacts.groupby("channel", observed=True)["target_min"].first()
               if "target_min" in contacts else None)
    return plots.frt_cdf(contacts, targets)


def _dissatisfaction(t: Tables) -> Figure | None:
    return (plots.dissatisfaction_by_cause(t.contacts)
            if "dissatisfaction_cause" in t.contacts else None)


#: The report's figures in report order: file stem -> figure of a run's tables (None: the
#: tables hold nothing for it to show). Keyed by :data:`sim.outputs.FIGURE_INPUTS`, where
#: the tables each reads and its cost are (a re-run job removes these files, and the
#: painter shares them out, without importing matplotlib).
FIGURES: dict[str, Callable[[Tables], Figure | None]] = dict(zip(FIGURE_NAMES, (
    _frt_cdf,
    lambda t: plots.interval_profile(t.intervals),
    lambda t: plots.service_level_bars(t.summary),
    _dissatisfaction,
), strict=True))


def figures(contacts: pd.DataFrame, intervals: pd.DataFrame,
            summary: pd.DataFrame) -> dict[str, Figure]:
    """The report's figures, by file stem, from a run's tables (:mod:`sim.plots`)."""
    tables = Tables(contacts=contacts, intervals=intervals, summary=summary)
    drawn = {name: make(tables) for name, make in FIGURES.items()}
    return {name: fig for name, fig in drawn.items() if fig is not None}


def save(figures: Mapping[str, Figure], directory: Path, dpi: int = DPI) -> dict[str, Path]:
    """Write each figure as a PNG file.

    Parameters
    ----------
    figures : Mapping[str, matplotlib.figure.Figure]
        Figures by name; the name (made file-safe) becomes the file stem.
    directory : pathlib.Path
        Output directory, created with its parents if missing.
    dpi : int
        Resolution in dots per inch.

    Returns
    -------
    dict[str, pathlib.Path]
        The written file per figure name, in the order given.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, fig in figures.items():
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "figure"
        path = directory / f"{stem}.png"
        if path in paths.values():
            raise ValueError(f"figure names collide on file {path.name!r}")
        plots.save_png(fig, path, dpi)
        paths[name] = path
    return paths


def draw(directory: str | Path, names: Sequence[str] | None = None,
         dpi: int = DPI) -> dict[str, Path]:
    """Draw the figures ``names`` (default: all of :data:`FIGURES`) of the results (or
    staging) directory ``directory`` into its ``figures/`` folder; returns the PNG file of
    each figure drawn, in report order."""
    directory = Path(directory)
    tables = Tables(directory)
    wanted = FIGURES if names is None else names
    drawn = {name: FIGURES[name](tables) for name in FIGURES if name in wanted}
    return save({n: f for n, f in drawn.items() if f is not None}, directory / "figures", dpi)


def serve(requests: IO[str], answers: IO[str]) -> None:
    """A figure helper's loop (:class:`sim.painter.Painter`): one JSON request per line in,
    ``{"directory", "names"}``, one JSON line out per request: ``figures`` (name -> PNG path
    of each figure drawn) or ``error`` (a traceback)."""
    for line in requests:
        try:
            request = json.loads(line)
            drawn = draw(request["directory"], request["names"])
            answer: dict[str, object] = {"figures": {n: str(p) for n, p in drawn.items()}}
        except Exception:  # noqa: BLE001 - reported to the run, which raises it
            answer = {"error": traceback.format_exc()}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    # Answers go to the real standard output; anything a library prints goes to stderr.
    _answers, sys.stdout = sys.stdout, sys.stderr
    serve(sys.stdin, _answers)
    sys.stderr.flush()
    # Nothing is left to save, and tearing matplotlib and pandas down would keep the run
    # that waits for this process waiting about a third of a second more.
    os._exit(0)
