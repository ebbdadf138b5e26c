"""Per-channel view of the pooling study, from the comparison's own table.

Run after the study (it reads ``comparison.csv`` in the study's results directory):

    python -m sim.study experiments/pooling
    python experiments/pooling/channels.py [results/experiments/pooling]

Draws service level, abandonment and dissatisfaction per channel for each routing (bars:
mean over replications; whiskers: 95% CI) into ``figures/channels.png`` next to this file
and prints the tables the README quotes, including a time-of-day split read from each job's
``contacts.parquet``: social posts answered within target by when they arrived (8:00-22:00
or at night) and chats abandoned by when they arrived.
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
CHANNELS = ["phone", "chat", "email", "twitter", "facebook", "messages", "all"]
ROUTINGS = ["siloed", "unified_text", "edf", "blended"]
SHOWN = {"service_level": "service level (answered within target)",
         "abandon_rate": "abandoned",
         "dissatisfaction_rate": "contacts dissatisfied"}
PRINTED = [*SHOWN, "frt_p90_min", "occupancy", "dissatisfaction_index", "agent_hours"]


def by_time_of_day(results: Path, routings: dict[str, str]) -> None:
    """Social within target and chat abandonment, by hour of arrival (all replications)."""
    rows = []
    for job, routing in routings.items():
        c = pd.read_parquet(results / job / "contacts.parquet",
                            columns=["channel", "arrival_min", "first_response_min",
                                     "target_min", "abandoned", "warmup"])
        c = c[~c["warmup"]]
        hour = (c["arrival_min"] % 1440) // 60
        day = (hour >= 8) & (hour < 22)
        social = c["channel"].isin(["twitter", "facebook", "messages"])
        within = (c["first_response_min"] - c["arrival_min"]) <= c["target_min"]
        chat = c["channel"] == "chat"
        rows.append({"routing": routing,
                     "social within target, arrived 8-22h": within[social & day].mean(),
                     "social within target, arrived 22-8h": within[social & ~day].mean(),
                     "chat abandoned, arrived 0-8h": c["abandoned"][chat & (hour < 8)].mean(),
                     "chat abandoned, arrived 8-10h":
                         c["abandoned"][chat & (hour >= 8) & (hour < 10)].mean(),
                     "chat abandoned, arrived 10-22h":
                         c["abandoned"][chat & (hour >= 10) & (hour < 22)].mean()})
    print("\n== by time of arrival (shares over all replications)")
    print(pd.DataFrame(rows).set_index("routing").T.round(3).to_string())


def main(results: Path) -> None:
    t = pd.read_csv(results / "comparison.csv")
    t = t[t["status"] == "complete"]
    t["cell"] = [f"{m:.3g} [{lo:.3g}, {hi:.3g}]" for m, lo, hi in
                 zip(t["mean"], t["ci_low"], t["ci_high"])]
    with pd.option_context("display.width", 250, "display.max_colwidth", 30):
        for metric in PRINTED:
            wide = t[t["metric"] == metric].pivot(index="channel", columns="routing",
                                                  values="cell")
            print(f"\n== {metric} (mean [95% CI] over replications)")
            print(wide.reindex(index=CHANNELS, columns=ROUTINGS).to_string())
    jobs = t.drop_duplicates("job").set_index("job")["routing"]
    by_time_of_day(results, {str(j): r for j, r in jobs.items()})
    fig, axes = plt.subplots(1, len(SHOWN), figsize=(15, 3.6))
    x = np.arange(len(CHANNELS))
    width = 0.8 / len(ROUTINGS)
    colours = ["tab:grey", "tab:orange", "tab:green", "tab:blue"]
    for ax, (metric, title) in zip(axes, SHOWN.items()):
        for k, (routing, colour) in enumerate(zip(ROUTINGS, colours)):
            r = t[(t["metric"] == metric) & (t["routing"] == routing)].set_index("channel")
            r = r.reindex(CHANNELS)
            ax.bar(x + (k - 1.5) * width, r["mean"], width, color=colour, label=routing,
                   yerr=[r["mean"] - r["ci_low"], r["ci_high"] - r["mean"]], capsize=2,
                   error_kw={"lw": 0.8})
        ax.set_xticks(x, CHANNELS, rotation=30, fontsize=9)
        ax.set_title(title, fontsize=10)
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.grid(axis="y", alpha=0.3)
    axes[1].legend(fontsize=9, loc="upper right")
    fig.suptitle("Equal headcount, four routings: per channel (bars: mean of 10 replications, "
                 "whiskers: 95% CI)", fontsize=11)
    fig.tight_layout()
    (HERE / "figures").mkdir(exist_ok=True)
    fig.savefig(HERE / "figures" / "channels.png", dpi=100)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results/experiments/pooling"))
