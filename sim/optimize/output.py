"""What a search leaves: the achieved table, the schedule's text, the terminal summary.

:func:`achieved_table` is ``achieved.csv``, :func:`render_schedule` a ``staffing`` config
file (``schedule.yaml``) and :func:`format_achieved` the table printed at the end.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import pandas as pd
import yaml

from ..policies.staffing import Schedule
from .blocks import Blocks, agent_hours
from .options import _minutes
from .pools import constrained_channels
from .rounds import SearchResult


def achieved_table(result: SearchResult) -> pd.DataFrame:
    """``channel, block, metric, mean, ci_low, ci_high, n`` of the table found
    (:func:`achieved`)."""
    return achieved(result.final.cells, result.blocks, result.final.summary)


def achieved(cells: pd.DataFrame, blocks: Blocks, summary: pd.DataFrame) -> pd.DataFrame:
    """``achieved.csv``: ``channel, block, metric, mean, ci_low, ci_high, n``.

    Per channel and block (labelled, e.g. ``08:00-12:00``): ``service_level`` and
    ``arrivals`` per replication (``cells``, from
    :func:`~sim.optimize.evaluation.block_service_levels`); per channel and ``all`` channels
    over the whole horizon (block ``all``): every metric of ``summary``.
    """
    cells = cells.copy()
    cells["block"] = cells["block"].map(blocks.label)
    overall = summary.copy()
    overall.insert(1, "block", "all")
    return pd.concat([cells, overall], ignore_index=True)[
        ["channel", "block", "metric", "mean", "ci_low", "ci_high", "n"]]


def render_schedule(table: Mapping[str, Sequence[int]], header: Sequence[str] = (),
                    slot_min: float | None = None) -> str:
    """A ``staffing`` config file for ``table``: header comment lines, then the Schedule
    (values per ``slot_min`` minutes; None: per the scenario's interval)."""
    body = yaml.safe_dump({"_target_": f"{Schedule.__module__}.{Schedule.__qualname__}",
                           "agents": {k: [int(v) for v in vals] for k, vals in table.items()},
                           "slot_min": slot_min},
                          default_flow_style=None, sort_keys=False, width=1 << 20)
    return "".join(f"# {line}".rstrip() + "\n" for line in header) + body


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{100 * x:.1f}"


def format_achieved(result: SearchResult) -> str:
    """A terminal table: each channel's service level over the horizon and in its worst
    block (mean [95% CI], percent), the blocks meeting the goal, and the agent-hours."""
    goal, final, summary = result.options.goal, result.final, result.final.summary
    constrained = constrained_channels(result.scenario)
    rows = [["channel", "target", "overall %", "worst block", "worst %", "blocks ok"]]
    for ch in result.scenario.channels:
        row = summary[(summary["channel"] == ch.name) & (summary["metric"] == "service_level")]
        cells = {b: cell for (c, b), cell in final.sl.items() if c == ch.name and cell.n > 0}
        if row.empty or not cells:
            continue
        r = row.iloc[0]
        worst = min(cells, key=lambda b: cells[b].mean)
        ok = sum(cell.mean >= goal - 1e-12 for cell in cells.values())
        w = cells[worst]
        rows.append([ch.name, _minutes(ch.target_min),
                     f"{_pct(r['mean'])} [{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]",
                     result.blocks.label(worst), f"{_pct(w.mean)} [{_pct(w.ci_low)}, "
                     f"{_pct(w.ci_high)}]",
                     f"{ok}/{len(cells)}" + ("" if ch.name in constrained else " (fixed pool)")])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"Service level achieved (goal {goal:.0%} within target; mean [95% CI] over "
             f"{int(summary['n'].max())} replications):"]
    lines += ["  ".join(v.ljust(wd) if i in (0, 3) else v.rjust(wd)
                        for i, (v, wd) in enumerate(zip(r, widths))).rstrip() for r in rows]
    start_h = agent_hours(result.start.counts, result.blocks)
    end_h = agent_hours(final.counts, result.blocks)
    change = f" ({(end_h - start_h) / start_h:+.1%})" if start_h else ""
    lines += ["", f"Agent-hours per week (searched pools): {end_h:,.1f}, from the Erlang C "
                  f"start's {start_h:,.1f}{change}"]
    return "\n".join(lines)
