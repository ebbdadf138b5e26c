"""Advocates won by answering Twitter faster: the advocacy study's figure and the numbers
its README quotes.

Run after the study (it reads the study's results directory):

    python -m sim.study experiments/advocacy
    python experiments/advocacy/advocates.py [results/experiments/advocacy]

Per Twitter headcount and advocacy probability (ASSUMED, swept): Twitter's median first
response, the share of complaints answered within the hour, advocates per complaint and the
dissatisfaction index of Twitter and of all channels (mean over replications, 95%
interval inside each metric's bounds, sim.metrics.summary_ci), and each headcount's paired difference from 3 agents at the same probability.
Writes ``figures/advocates.png`` next to this file and prints the table.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import common  # noqa: E402

from sim.metrics import summary_ci  # noqa: E402

PROBABILITY = "scenario.channels.twitter.advocacy.probability"
AGENTS = "staffing.agents.twitter"
COLUMNS = ["twitter.frt_p50_min", "twitter.advocates_per_complaint",
           "twitter.dissatisfaction_index", "all.dissatisfaction_index"]


def main(results: Path) -> pd.DataFrame:
    jobs = {(int(j.setting(AGENTS)), float(j.setting(PROBABILITY))): common.per_replication(j)
            for j in common.jobs(results)}
    rows = []
    for (agents, p), w in sorted(jobs.items()):
        diff = common.paired(w[COLUMNS], jobs[(3, p)][COLUMNS]).set_index("metric")
        for col in COLUMNS:
            # Levels inside each metric's bounds (a time's interval never runs below 0).
            mean, lo, hi, _ = summary_ci(w[col].tolist(), col.split(".", 1)[1])
            rows.append({"agents": agents, "probability": p, "metric": col,
                         "mean": mean, "lo": lo, "hi": hi, "vs_3": diff.loc[col, "mean"],
                         "vs_3_lo": diff.loc[col, "ci_low"], "vs_3_hi": diff.loc[col, "ci_high"]})
    table = pd.DataFrame(rows)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5), constrained_layout=True)
    for ax, col, label in zip(axes, COLUMNS[1:], ("advocates per complaint",
                                                   "dissatisfaction index, Twitter",
                                                   "dissatisfaction index, all channels")):
        for p, colour in zip(sorted(table["probability"].unique()), ("#1f77b4", "#d62728")):
            t = table[(table["metric"] == col) & (table["probability"] == p)]
            ax.errorbar(t["agents"], t["mean"], yerr=[t["mean"] - t["lo"], t["hi"] - t["mean"]],
                        marker="o", capsize=3, color=colour, label=f"advocacy probability {p:g}")
        ax.axhline(0, color="0.5", lw=0.8, ls=":")
        ax.set_xticks(sorted(table["agents"].unique()))
        ax.set_xlabel("Twitter agents (around the clock)")
        ax.set_title(label, fontsize=10)
    axes[0].legend(fontsize=8)
    fig.suptitle("Advocates from complaints answered within 1 h (ASSUMED model), 10 weeks, "
                 "95% CI", fontsize=11)
    return common.finish(fig, table, HERE, "advocates", 4)


if __name__ == "__main__":
    main(common.results_dir(HERE, sys.argv))
