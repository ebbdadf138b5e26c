"""One staffing table simulated: each channel's service level in each block, and the misses.

:func:`evaluate` runs the setup under the table's :class:`~sim.policies.staffing.Schedule`
and gives an :class:`Evaluation` (a :class:`Cell` per channel and block, the cells below the
goal); :func:`block_service_levels` is its measurement of the contacts table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Sequence

import numpy as np
import pandas as pd

from ..replications import Setup, run_replications
from ..metrics import summary_ci
from ..policies.staffing import Schedule
from ..scenario import Scenario
from .blocks import Blocks, Counts
from .pools import constrained_channels, schedule_table


@dataclass(frozen=True)
class Cell:
    """A channel's service level in one block: mean over replications and 95% CI."""

    mean: float
    ci_low: float
    ci_high: float
    n: int


@dataclass(frozen=True)
class Evaluation:
    """One simulated staffing table.

    Attributes
    ----------
    counts : dict
        Searched pool -> agents per block.
    cells : DataFrame
        ``channel, block, metric, mean, ci_low, ci_high, n`` per channel and block, metrics
        ``service_level`` and ``arrivals`` (per replication).
    summary : DataFrame
        The setup's summary table (whole horizon) for this table.
    misses : tuple
        ``(channel, block, mean)`` of constrained cells whose mean service level is below
        the goal.
    sl : dict
        ``(channel, block) -> Cell`` of service levels, for lookups.
    """

    counts: dict[str, tuple[int, ...]]
    cells: pd.DataFrame
    summary: pd.DataFrame
    misses: tuple[tuple[str, int, float], ...]
    sl: dict[tuple[str, int], Cell]

    @property
    def feasible(self) -> bool:
        """Every constrained channel meets the goal in every block."""
        return not self.misses


def block_service_levels(contacts: pd.DataFrame, blocks: Blocks, replications: int,
                         channels: Sequence[str]) -> pd.DataFrame:
    """Service level and arrivals per channel and block, mean and CI over replications.

    A replication's service level in a block is the share of its post-warm-up arrivals in
    that block (of every day, or of that day of the week) answered within the channel's
    target; abandoned and never answered contacts are misses, as in ``summary.csv``. A
    replication without arrivals in the block has no service level there.

    Returns
    -------
    DataFrame
        ``channel, block, metric, mean, ci_low, ci_high, n`` (``block`` an index).
    """
    c = contacts[~contacts["warmup"].to_numpy(bool)]
    met = c["answered"].to_numpy(bool) & (c["wait_min"].to_numpy(float)
                                          <= c["target_min"].to_numpy(float))
    frame = pd.DataFrame({"channel": c["channel"].to_numpy(str),
                          "block": blocks.of(c["arrival_min"].to_numpy(float)),
                          "replication": c["replication"].to_numpy(int), "met": met})
    counts = frame.groupby(["channel", "block", "replication"])["met"].agg(["sum", "size"])
    # Every channel, block and replication, with 0 arrivals where none came.
    full = pd.MultiIndex.from_product([list(channels), range(blocks.count), range(replications)],
                                      names=["channel", "block", "replication"])
    counts = counts.reindex(full, fill_value=0)
    arrivals = counts["size"].to_numpy(float).reshape(len(channels), blocks.count, replications)
    answered = counts["sum"].to_numpy(float).reshape(arrivals.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(arrivals > 0, answered / arrivals, np.nan)
    rows = []
    for i, ch in enumerate(channels):
        for b in range(blocks.count):
            rows.append((ch, b, "service_level", *summary_ci(share[i, b], "service_level")))
            rows.append((ch, b, "arrivals", *summary_ci(arrivals[i, b], "arrivals")))
    return pd.DataFrame(rows, columns=["channel", "block", "metric", "mean", "ci_low",
                                       "ci_high", "n"])


def evaluate(setup: Setup, scenario: Scenario, blocks: Blocks, counts: Counts,
             goal: float) -> Evaluation:
    """Simulate ``setup`` with the :class:`Schedule` of ``counts`` and measure every block.

    The setup's seed (so its customers) is kept: evaluations of different tables are
    paired by common random numbers. ``scenario`` is the setup's organised scenario.
    """
    table = schedule_table(scenario, blocks, counts)
    results = run_replications(replace(setup, staffing=partial(Schedule, table)))
    channels = [c.name for c in scenario.channels]
    cells = block_service_levels(results.contacts, blocks, setup.run.replications, channels)
    sl = {(r.channel, int(r.block)): Cell(r.mean, r.ci_low, r.ci_high, int(r.n))
          for r in cells[cells["metric"] == "service_level"].itertuples()}
    constrained = constrained_channels(scenario)
    misses = tuple((ch, b, cell.mean) for (ch, b), cell in sl.items()
                   if ch in constrained and cell.n > 0 and cell.mean < goal - 1e-12)
    return Evaluation({p: tuple(int(v) for v in c) for p, c in counts.items()}, cells,
                      results.summary, misses, sl)
