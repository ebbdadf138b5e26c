"""Answer public complaints in public, or take them private? The public_reply study's figure
and the numbers its README quotes.

Run after the study (it reads the study's results directory):

    python -m sim.study experiments/public_reply
    python experiments/public_reply/tradeoff.py [results/experiments/public_reply]

For each reply exposure a public answer adds on Twitter (ASSUMED, swept: 0, 1 h, 4 h),
the paired difference take_private − answering in public (same customers, 10 replications,
95% Student-t) of Twitter's public exposure per post, the messages queue's 90th-percentile
first response, journeys resolved and the dissatisfaction index of all channels. Writes
``figures/tradeoff.png`` next to this file and prints the table.
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

BUMP = "scenario.channels.twitter.reply_exposure"
SHOWN = (("twitter.public_exposure", "Twitter exposure per post (follower-h)", 1 / 60),
         ("messages.frt_p90_min", "messages first response p90 (h)", 1 / 60),
         ("all.journey_resolution_rate", "journeys resolved (pp)", 100),
         ("all.dissatisfaction_index", "dissatisfaction index, all", 1.0))
HOURS = {"0min": 0, "1h": 1, "4h": 4}


def main(results: Path) -> pd.DataFrame:
    table = common.switched(results, "escalation", [BUMP], SHOWN, off="none", on="take_private")
    table["reply_exposure_h"] = table.pop(BUMP).map(HOURS)
    table = table.sort_values(["metric", "reply_exposure_h"])
    fig, axes = plt.subplots(1, len(SHOWN), figsize=(14, 3.4), constrained_layout=True)
    for ax, (_, label, _) in zip(axes, SHOWN):
        t = table[table["metric"] == label]
        ax.errorbar(t["reply_exposure_h"], t["diff"], yerr=[t["diff"] - t["lo"], t["hi"] - t["diff"]],
                    capsize=3, marker="o", color="#9467bd")
        ax.axhline(0, color="0.5", lw=0.8, ls=":")
        ax.set_xticks([0, 1, 4])
        ax.set_xlabel("reply exposure, h (ASSUMED)")
        ax.set_title(label, fontsize=10)
    axes[0].set_ylabel("take private − answer in public")
    fig.suptitle("Taking public complaints private against answering them in public: same "
                 "customers, 10 paired weeks, 95% CI", fontsize=11)
    return common.finish(fig, table, HERE, "tradeoff", 4)


if __name__ == "__main__":
    main(common.results_dir(HERE, sys.argv))
