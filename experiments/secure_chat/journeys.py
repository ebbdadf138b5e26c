"""Journey-level view of the secure_chat study: what happened to the customers who needed
account work but wrote in a channel that cannot do it.

Run after the study (it reads the study's results directory):

    python -m sim.study experiments/secure_chat
    python experiments/secure_chat/journeys.py [results/experiments/secure_chat]

The comparison (``paired.csv``) is per contact and per channel; this script adds the
journey view. For every job and replication it takes the journeys whose first contact
arrived in a non-secure channel (email, twitter, facebook, messages) needing secure work,
and measures the share resolved, the share dissatisfied (``journeys.parquet``: a
dissatisfied contact, or the journey ended unresolved because the customer gave up), and
the time to resolution. It prints each job's mean with a 95% Student-t interval over
replications, and the paired difference (same seed and replication: the same customers)
against ``escalation=to_phone`` at the same ``escalation.follow`` (``paired.csv`` compares
every job with ``to_phone`` at 0.6, the study's baseline); writes
``journeys.csv`` into the results directory and the figure ``figures/journeys.png`` next to
this file (for another results directory, e.g. a sensitivity run, the figure goes into that
directory instead, leaving the README's figure alone).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.compare import load_jobs  # noqa: E402
from sim.metrics import mean_ci  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT = Path("results/experiments/secure_chat")
INSECURE = ("email", "twitter", "facebook", "messages")
METRICS = {
    "journeys": "journeys needing secure work (per week)",
    "resolved": "share resolved",
    "dissatisfied": "share dissatisfied (incl. gave up)",
    "resolution_p50_h": "time to resolution, median (h)",
    "leg_p50_min": "escalation leg: reply to resolution, median (min)",
}


def per_replication(job) -> pd.DataFrame:
    """One row per replication: the journey metrics of the secure-work journeys."""
    journeys = pd.read_parquet(job.path / "journeys.parquet")
    first = job.contacts(["replication", "journey_id", "channel", "needs_secure",
                          "service_end_min"], filters=[("origin", "==", "arrival")])
    j = journeys.merge(first, on=["replication", "journey_id"])
    j = j[j["needs_secure"] & j["channel"].isin(INSECURE) & ~j["warmup"]]
    # The escalation leg: from the end of the first reply (the customer is sent on) to the
    # resolution in the new channel.
    j = j.assign(leg=j["start_min"] + j["resolution_min"] - j["service_end_min"])
    rows = []
    for rep, g in j.groupby("replication"):
        done = g[g["resolved"]]
        rows.append({"replication": rep, "journeys": len(g), "resolved": g["resolved"].mean(),
                     "dissatisfied": g["dissatisfied"].mean(),
                     "resolution_p50_h": done["resolution_min"].median() / 60,
                     "leg_p50_min": done["leg"].median()})
    return pd.DataFrame(rows).set_index("replication")


def main(results: Path) -> pd.DataFrame:
    jobs = [j for j in load_jobs([results]) if j.status == "complete"]
    tables = {}
    for job in jobs:
        tables[(job.setting("escalation"), job.setting("escalation.follow"))] = per_replication(job)
    rows = []
    for (policy, follow), t in sorted(tables.items()):
        base = tables.get(("to_phone", follow))
        for metric in METRICS:
            m, lo, hi, n = mean_ci(t[metric].tolist())
            row = {"escalation": policy, "follow": float(follow), "metric": metric,
                   "mean": m, "ci_low": lo, "ci_high": hi, "n": n}
            if base is not None and policy != "to_phone":
                d, dlo, dhi, _ = mean_ci((t[metric] - base[metric]).tolist())
                row.update(diff_vs_phone=d, diff_ci_low=dlo, diff_ci_high=dhi)
            rows.append(row)
    out = pd.DataFrame(rows)
    out.to_csv(results / "journeys.csv", index=False)
    with pd.option_context("display.width", 200, "display.float_format", "{:.4g}".format):
        print(out.to_string(index=False))
    default = results.resolve() == DEFAULT.resolve()
    figure(out, HERE / "figures" / "journeys.png" if default else results / "journeys.png")
    return out


def figure(out: pd.DataFrame, path: Path) -> None:
    shown = ["resolved", "dissatisfied"]
    fig, axes = plt.subplots(1, len(shown), figsize=(8, 3.4), sharey=True)
    colours = {"to_phone": "tab:red", "to_secure_chat": "tab:blue"}
    follows = sorted(out["follow"].unique())
    x = np.arange(len(follows))
    for ax, metric in zip(axes, shown):
        for k, (policy, colour) in enumerate(colours.items()):
            t = out[(out["escalation"] == policy) & (out["metric"] == metric)].sort_values("follow")
            err = [t["mean"] - t["ci_low"], t["ci_high"] - t["mean"]]
            ax.bar(x + (k - 0.5) * 0.38, t["mean"], 0.36, yerr=err, capsize=3, color=colour,
                   label=policy)
            for xi, v in zip(x + (k - 0.5) * 0.38, t["mean"]):
                ax.text(xi, v + 0.02, f"{v:.0%}", ha="center", fontsize=8)
        ax.set_xticks(x, [f"follow={f:g}" for f in follows])
        ax.set_title(METRICS[metric], fontsize=10)
        ax.set_ylim(0, 1.1)
        ax.grid(axis="y", alpha=0.3)
    axes[0].yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    axes[0].legend(loc="lower left", fontsize=8)
    fig.suptitle("Journeys that needed secure work in a non-secure channel "
                 "(mean over replications, 95% CI)", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
