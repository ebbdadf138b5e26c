"""Does a chat bot pay off? The self_service figure and the numbers its README quotes.

Run after the study (it reads the study's results directory):

    python -m sim.study experiments/self_service
    python experiments/self_service/payoff.py [results/experiments/self_service]

For each bot (containment 0.15, 0.3, 0.45; escalations with and without context), the
paired difference from no bot on the same customers (10 replications, 95% Student-t) of
the customers' view (journeys dissatisfied, journeys resolved, all channels), of chat's
queue (service level) and of chat's agents (occupancy: the capacity the bot frees or
costs). Writes ``figures/payoff.png`` next to this file and prints the table.
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

KEY = "scenario.channels.chat.self_service"
#: (column of the per-replication table, label, scale for display).
SHOWN = (("all.journey_dissatisfaction_rate", "journeys dissatisfied (pp)", 100),
         ("all.journey_resolution_rate", "journeys resolved (pp)", 100),
         ("chat.service_level", "chat service level (pp)", 100),
         ("chat.occupancy", "chat occupancy (pp)", 100))


def main(results: Path) -> pd.DataFrame:
    table = common.switched(results, f"{KEY}.enabled", [f"{KEY}.context", f"{KEY}.containment"],
                            SHOWN)
    table["context"] = table[f"{KEY}.context"] == "true"
    table["containment"] = table[f"{KEY}.containment"].astype(float)
    table = table.drop(columns=[f"{KEY}.context", f"{KEY}.containment"]).sort_values(
        ["metric", "context", "containment"])
    fig, axes = plt.subplots(1, len(SHOWN), figsize=(14, 3.6), constrained_layout=True)
    for ax, (_, label, _) in zip(axes, SHOWN):
        for context, style in ((True, dict(color="#1f77b4", marker="o")),
                               (False, dict(color="#d62728", marker="s"))):
            t = table[(table["metric"] == label) & (table["context"] == context)]
            ax.errorbar(t["containment"], t["diff"], yerr=[t["diff"] - t["lo"], t["hi"] - t["diff"]],
                        capsize=3, label="with context" if context else "without context",
                        **style)
        ax.axhline(0, color="0.5", lw=0.8, ls=":")
        ax.set_title(label.replace(" (pp)", ""), fontsize=10)
        ax.set_xlabel("containment (ASSUMED, swept)")
        ax.set_ylabel("bot - no bot (pp)")
    axes[0].legend(fontsize=8)
    fig.suptitle("A chat bot against none, same customers (10 paired weeks, 95% CI)",
                 fontsize=11)
    return common.finish(fig, table.rename(columns={"on": "bot", "off": "no_bot"}), HERE,
                         "payoff", 3)


if __name__ == "__main__":
    main(common.results_dir(HERE, sys.argv))
