"""A roster run's results directory: tables, ``schedule.yaml``, the coverage chart and
``report.html`` (``achieved.csv`` written last: a run that failed does not look complete)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..optimize.output import achieved
from ..plots import save_png
from .output import cost_table, coverage_table, roster_table, rounds_table
from .plan import Plan, schedule

__all__ = ["achieved_table", "coverage_figure", "write"]


def achieved_table(plan: Plan) -> pd.DataFrame:
    """``channel, block, metric, mean, ci_low, ci_high, n``: service level and arrivals per
    channel and block of the week, then every summary metric over the horizon (``all``),
    of the last roster simulated (as ``sim.optimize`` writes it)."""
    return achieved(plan.cells, plan.blocks, plan.results.summary)


def coverage_figure(coverage: pd.DataFrame, granularity_min: float) -> Figure:
    """Agents required vs on the floor (and on shift) per slot of the week, a panel per pool.

    Parameters
    ----------
    coverage : pandas.DataFrame
        ``coverage.csv``: ``pool, interval, required, rostered, on_floor``.
    granularity_min : float
        Minutes per slot (``interval``).
    """
    pools = list(dict.fromkeys(coverage["pool"]))
    fig = Figure(figsize=(11, 1.9 * len(pools) + 0.8), layout="constrained")
    axes = fig.subplots(len(pools), 1, sharex=True, squeeze=False)[:, 0]
    for ax, pool in zip(axes, pools):
        c = coverage[coverage["pool"] == pool]
        hours = c["interval"].to_numpy() * granularity_min / 60.0
        ax.fill_between(hours, c["required"], step="post", color="0.82", lw=0,
                        label="required on the floor")
        ax.step(hours, c["rostered"], where="post", color="#9ecae1", lw=1.0, label="on shift")
        ax.step(hours, c["on_floor"], where="post", color="#08519c", lw=1.3,
                label="on the floor (less breaks)")
        short = c["on_floor"].to_numpy() < c["required"].to_numpy()
        if short.any():
            ax.plot(hours[short], c["on_floor"].to_numpy()[short], "o", color="#b2182b", ms=3,
                    label="below requirement (closed hours)")
        ax.set_ylabel(f"{pool}\nagents")
        ax.set_xticks(np.arange(0, 169, 24))
        ax.set_xticklabels(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", ""])
        ax.grid(axis="x", color="0.9")
        ax.set_xlim(0, 168)
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    fig.suptitle("Does the roster cover the requirement? Required vs on the floor, per pool")
    return fig


def write(outdir: Path, plan: Plan, render: Callable[..., str], header: Sequence[str],
          config_yaml: str, seconds: float) -> None:
    """Write the results of ``plan`` into ``outdir`` (see the module docstring)."""
    outdir.mkdir(parents=True, exist_ok=True)
    roster = roster_table(plan)
    coverage = coverage_table(plan)
    costs = cost_table(plan)
    roster.to_csv(outdir / "roster.csv", index=False)
    coverage.to_csv(outdir / "coverage.csv", index=False)
    costs.to_csv(outdir / "cost.csv", index=False)
    rounds_table(plan).to_csv(outdir / "rounds.csv", index=False)
    (outdir / "schedule.yaml").write_text(
        render(schedule(plan.scenario, plan.rosters), header, plan.rules.granularity_min))
    figures = outdir / "figures"
    figures.mkdir(exist_ok=True)
    save_png(coverage_figure(coverage, plan.rules.granularity_min), figures / "coverage.png", 100)
    achieved = achieved_table(plan)
    (outdir / "report.html").write_text(_html(plan, costs, achieved, config_yaml, seconds))
    achieved.to_csv(outdir / "achieved.csv", index=False)


def _html(plan: Plan, costs: pd.DataFrame, achieved: pd.DataFrame, config_yaml: str,
          seconds: float) -> str:
    req, paid = costs["required_hours"].sum(), costs["paid_hours"].sum()
    last = plan.rounds[-1]
    verdict = (f"Every channel meets {plan.goal:.0%} within target in every "
               f"{plan.blocks.block_min / 60:g}-hour block of the week in simulation"
               if not last.misses else
               f"The goal ({plan.goal:.0%} within target) is still missed in "
               f"{len(last.misses)} channel-blocks after {len(plan.rounds) - 1} rounds")
    rows = "".join(
        f"<tr><td>{html.escape(str(r.pool))}</td><td>{r.required_hours:,.1f}</td>"
        f"<td>{r.added_hours:,.1f}</td><td>{r.paid_hours:,.1f}</td>"
        f"<td>{r.paid_per_required:.2f}</td><td>{r.agents}</td>"
        f"<td>{html.escape(str(r.status))}, &le; {r.gap:.1%}</td></tr>"
        for r in costs.itertuples())
    overall = achieved[(achieved["block"] == "all") & (achieved["metric"] == "service_level")]
    sl = "".join(f"<tr><td>{html.escape(str(r.channel))}</td><td>{100 * r.mean:.1f}%</td>"
                 f"<td>[{100 * r.ci_low:.1f}%, {100 * r.ci_high:.1f}%]</td></tr>"
                 for r in overall.itertuples())
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Roster</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse}}td,th{{padding:.2em .6em;border-bottom:1px solid #ddd;
text-align:right}}img{{max-width:100%}}pre{{background:#f6f6f6;padding:1em;overflow:auto}}
</style></head><body>
<h1>Roster: {html.escape(', '.join(s.name for s in plan.rules.shifts))} shifts</h1>
<p><b>{html.escape(verdict)}.</b> The roster pays {paid:,.1f} hours a week for {req:,.1f}
hours required on the floor: the shift rules cost {paid / req - 1 if req else 0:.1%} over the
requirement ({len(plan.rounds) - 1} round(s) of coverage added after simulation;
{seconds:.0f} s).</p>
<h2>Cost of the shift rules, per pool</h2>
<table><tr><th>pool</th><th>required h</th><th>added h</th><th>paid h</th>
<th>paid / required</th><th>agents</th><th>solver (gap to the cheapest possible)</th></tr>
{rows}</table>
<p>All columns, with closed hours, hours on the floor and solve times: cost.csv.</p>
<h2>Coverage</h2><img src="figures/coverage.png" alt="required vs on the floor per pool">
<h2>Service level achieved (mean and 95% CI over replications)</h2>
<table><tr><th>channel</th><th>within target</th><th>95% CI</th></tr>{sl}</table>
<p>Per block of the week: achieved.csv. Shifts: roster.csv; coverage per slot:
coverage.csv.</p>
<details><summary>Config</summary><pre>{html.escape(config_yaml)}</pre></details>
</body></html>
"""
