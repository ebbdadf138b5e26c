"""What untagged Twitter complaints cost, by how fast listening finds them: the listening
study's figure and the numbers its README quotes.

Run after the study (it reads the study's results directory):

    python -m sim.study experiments/listening
    python experiments/listening/cost.py [results/experiments/listening]

For each listening delay (mean 30 min, 2 h, 8 h), the paired difference from a Twitter
where every complaint tags the brand (same customers, 10 replications, 95% Student-t) of
Twitter's 90th-percentile first response, pile-ons per complaint, public exposure and
dissatisfied share, and of the dissatisfaction index of all channels. Writes
``figures/cost.png`` next to this file and prints the table.
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

KEY = "scenario.channels.twitter.listening"
SHOWN = (("twitter.frt_p90_min", "Twitter first response p90 (h)", 1 / 60),
         ("twitter.pileons_per_complaint", "pile-ons per complaint", 1.0),
         ("twitter.public_exposure", "exposure per post (follower-h)", 1 / 60),
         ("twitter.dissatisfaction_rate", "Twitter dissatisfied (pp)", 100),
         ("all.dissatisfaction_index", "dissatisfaction index, all", 1.0),
         ("twitter.time_to_discovery_min", "time to discovery (h)", 1 / 60),
         ("twitter.discovered_share", "untagged found (%)", 100))
DELAY = {"30min": 30, "2h": 120, "8h": 480}


def main(results: Path) -> pd.DataFrame:
    table = common.switched(results, f"{KEY}.enabled", [f"{KEY}.delay.mean"], SHOWN[:5])
    # The last two exist only with listening on: shown as levels, not differences.
    levels = []
    for job in common.jobs(results):
        if str(job.setting(f"{KEY}.enabled")).lower() == "true":
            w = common.per_replication(job)
            for col, label, scale in SHOWN[5:]:
                m, lo, hi, _ = common.mean_ci(w[col].tolist())
                levels.append({f"{KEY}.delay.mean": str(job.setting(f"{KEY}.delay.mean")),
                               "metric": label, "diff": m * scale, "lo": lo * scale,
                               "hi": hi * scale, "on": m * scale, "off": float("nan")})
    table = pd.concat([table, pd.DataFrame(levels)], ignore_index=True)
    table["delay_min"] = table.pop(f"{KEY}.delay.mean").map(DELAY)
    table = table.sort_values(["metric", "delay_min"])
    fig, axes = plt.subplots(1, 5, figsize=(15, 3.4), constrained_layout=True)
    for ax, (_, label, _) in zip(axes, SHOWN[:5]):
        t = table[table["metric"] == label]
        ax.errorbar(t["delay_min"] / 60, t["diff"], yerr=[t["diff"] - t["lo"], t["hi"] - t["diff"]],
                    capsize=3, marker="o", color="#d62728")
        ax.axhline(0, color="0.5", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks([0.5, 2, 8], ["30 min", "2 h", "8 h"])
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("mean listening delay (ASSUMED, swept)")
    axes[0].set_ylabel("30% untagged − all tagged")
    fig.suptitle("Untagged Twitter complaints, found by listening (80% of them, ASSUMED), "
                 "against all tagged: same customers, 10 paired weeks, 95% CI", fontsize=11)
    return common.finish(fig, table, HERE, "cost", 3)


if __name__ == "__main__":
    main(common.results_dir(HERE, sys.argv))
