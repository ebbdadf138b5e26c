"""The social team's view of the social_equal_status study: 2 x 2 heatmaps and paired gaps.

Run after the study (it reads the study's results directory):

    python -m sim.study experiments/social_equal_status
    python experiments/social_equal_status/heatmap.py [results/experiments/social_equal_status]

The comparison's own heatmap is over all channels, where email (which also goes round the
clock under staffing=erlang_c) blurs the picture. This script aggregates the three social
channels as one team (agent-hours summed, shares arrival-weighted), prints each cell's mean
with a 95% CI over replications and the paired differences (same seed and replication: the
same customers) of each factor at the other's two levels. Writes ``social_equal_status.csv``
into the results directory and ``figures/social_heatmap.png`` next to this file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import common  # noqa: E402

TOOLS = [1.0, 1.3]
STAFFING = ["schedule", "erlang_c"]
SHOWN = {  # metric -> (title, format)
    "social.agent_hours": ("agent-hours / week", "{:.0f}"),
    "social.service_level": ("service level", "{:.0%}"),
    "social.dissatisfaction_rate": ("contacts dissatisfied", "{:.0%}"),
    "twitter.frt_p90_min": ("Twitter first response, p90", "{:.0f} min"),
    "twitter.pileons_per_complaint": ("Twitter pile-ons / complaint", "{:.3f}"),
}


def main(results: Path) -> pd.DataFrame:
    tables = {}
    for job in common.jobs(results):
        key = (float(job.setting("scenario.pools.twitter.tool_quality")), job.setting("staffing"))
        tables[key] = common.social(job)
    rows = [common.summary(t).assign(tool_quality=tq, staffing=st, kind="level")
            for (tq, st), t in tables.items()]
    for tq in TOOLS:  # the staffing rule at each tool quality
        rows.append(common.paired(tables[(tq, "erlang_c")], tables[(tq, "schedule")]).assign(
            tool_quality=tq, staffing="erlang_c - schedule", kind="diff"))
    for st in STAFFING:  # the tools under each staffing rule
        rows.append(common.paired(tables[(1.0, st)], tables[(1.3, st)]).assign(
            tool_quality="1.0 - 1.3", staffing=st, kind="diff"))
    rows.append(common.paired(tables[(1.0, "erlang_c")], tables[(1.3, "schedule")]).assign(
        tool_quality="1.0 - 1.3", staffing="erlang_c - schedule", kind="diff"))
    out = pd.concat(rows, ignore_index=True)
    out.to_csv(results / "social_equal_status.csv", index=False)
    t = out[out["metric"].isin([*SHOWN, "social.frt", "facebook.frt_p90_min",
                                "messages.frt_p90_min", "twitter.public_exposure",
                                "all.agent_hours"])].copy()
    t["value"] = [common.fmt(m, lo, hi) for m, lo, hi in zip(t["mean"], t["ci_low"], t["ci_high"])]
    wide = t.pivot_table(index="metric", columns=["kind", "tool_quality", "staffing"],
                         values="value", aggfunc="first")
    with pd.option_context("display.width", 250, "display.max_colwidth", 36):
        for kind in ("level", "diff"):
            print(f"\n== {kind} (mean [95% CI] over replications)")
            print(wide[kind].to_string())
    figure(out)
    return out


def figure(out: pd.DataFrame) -> None:
    levels = out[out["kind"] == "level"]
    fig, axes = plt.subplots(1, len(SHOWN), figsize=(13, 3.0))
    for ax, (metric, (title, fmt)) in zip(axes, SHOWN.items()):
        grid = np.array([[levels[(levels["metric"] == metric) & (levels["tool_quality"] == tq)
                                 & (levels["staffing"] == st)]["mean"].iloc[0] for tq in TOOLS]
                         for st in STAFFING])
        cmap = "viridis" if metric == "social.service_level" else "viridis_r"
        ax.imshow(grid, cmap=cmap, aspect="auto")
        for i in range(len(STAFFING)):
            for j in range(len(TOOLS)):
                v = grid[i, j]
                mid = (grid.max() + grid.min()) / 2
                light = v > mid if cmap == "viridis_r" else v < mid
                ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=10,
                        color="white" if light else "black")
        ax.set_xticks(range(len(TOOLS)), [f"{t:g}" for t in TOOLS])
        ax.set_yticks(range(len(STAFFING)),
                      ["schedule\n(office hours)", "erlang_c\n(round the clock)"]
                      if ax is axes[0] else [])
        ax.set_xlabel("tool_quality")
        ax.set_title(title, fontsize=10)
    fig.suptitle("The social team (twitter + facebook + messages): staffing rule x tool quality "
                 "(handle-time multiplier); means over 10 replications, darker is worse",
                 fontsize=10)
    fig.tight_layout()
    (HERE / "figures").mkdir(exist_ok=True)
    fig.savefig(HERE / "figures" / "social_heatmap.png", dpi=100)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1
         else Path("results/experiments/social_equal_status"))
