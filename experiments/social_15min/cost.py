"""What a faster social first response costs, and what it buys: the social_15min figure.

Run after the study (it reads the study's results directory):

    python -m sim.study experiments/social_15min
    python experiments/social_15min/cost.py [results/experiments/social_15min]

The comparison's ``paired.csv`` already pairs each target with 2 h at the same cap, per
channel and over all channels (the study sets the treatment to the target). This script adds
the three social channels as one team: for each target and occupancy cap, the team's weekly
agent-hours and what its customers get (mean and 95% CI over replications), and the paired
difference of those team figures against 2 h at the same cap (same seed and replication:
the same customers, as the targets change staffing only). Writes ``social_15min.csv`` into
the results directory and ``figures/cost_vs_target.png`` next to this file.
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

TARGETS = ["15min", "30min", "1h", "2h"]
SHOWN = {
    "social.agent_hours": "social agent-hours / week",
    "social.dissatisfaction_rate": "social contacts dissatisfied",
    "twitter.frt_p90_min": "Twitter first response p90 (min)",
    "twitter.pileons_per_complaint": "Twitter pile-ons per complaint",
}


def main(results: Path) -> pd.DataFrame:
    tables = {}
    for job in common.jobs(results):
        key = (job.setting("scenario.channels.twitter.target"),
               float(job.setting("staffing.max_occupancy")))
        tables[key] = common.social(job)
    rows = []
    for (target, cap), t in tables.items():
        s = common.summary(t).assign(target=target, cap=cap, kind="level")
        rows.append(s)
        base = tables.get(("2h", cap))
        if base is not None and target != "2h":  # per channel: paired.csv
            team = [c for c in t.columns if c.startswith("social.")]
            rows.append(common.paired(t[team], base[team]).assign(target=target, cap=cap,
                                                                  kind="vs 2h"))
    out = pd.concat(rows, ignore_index=True)
    out["order"] = out["target"].map(TARGETS.index)
    out = out.sort_values(["kind", "cap", "order", "metric"]).drop(columns="order")
    out.to_csv(results / "social_15min.csv", index=False)
    report(out)
    figure(out)
    return out


def report(out: pd.DataFrame) -> None:
    metrics = ["social.agent_hours", "all.agent_hours", "social.dissatisfaction_rate",
               "social.dissatisfaction_index", "twitter.frt_p50_min", "twitter.frt_p90_min",
               "facebook.frt_p90_min", "messages.frt_p90_min", "twitter.pileons_per_complaint",
               "twitter.public_exposure"]
    for kind in ("level", "vs 2h"):
        t = out[(out["kind"] == kind) & out["metric"].isin(metrics)].copy()
        t["value"] = [common.fmt(m, lo, hi) for m, lo, hi in
                      zip(t["mean"], t["ci_low"], t["ci_high"])]
        wide = t.pivot_table(index="metric", columns=["cap", "target"], values="value",
                             aggfunc="first")
        wide = wide.reindex(columns=sorted(wide.columns, key=lambda c: (c[0], TARGETS.index(c[1]))))
        print(f"\n== {kind} (mean [95% CI] over replications)")
        with pd.option_context("display.width", 250, "display.max_colwidth", 40):
            print(wide.reindex(metrics).dropna(how="all").to_string())


def figure(out: pd.DataFrame) -> None:
    levels = out[out["kind"] == "level"]
    fig, axes = plt.subplots(1, len(SHOWN), figsize=(14, 3.6))
    x = range(len(TARGETS))
    styles = {0.85: ("tab:blue", "Erlang C, occupancy <= 85% (default)"),
              1.0: ("tab:orange", "Erlang C, no occupancy cap")}
    for ax, (metric, title) in zip(axes, SHOWN.items()):
        for cap, (colour, label) in styles.items():
            t = levels[(levels["metric"] == metric) & (levels["cap"] == cap)].set_index("target")
            t = t.reindex(TARGETS)
            ax.plot(x, t["mean"], "o-", color=colour, label=label)
            ax.fill_between(x, t["ci_low"], t["ci_high"], color=colour, alpha=0.2)
        ax.set_xticks(list(x), TARGETS)
        ax.set_xlabel("social first-response target (80% within)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        if "rate" in metric:
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    axes[0].legend(fontsize=8)
    fig.suptitle("Staffing social to a faster target (staffing=erlang_c; line: mean, band: 95% CI)",
                 fontsize=11)
    fig.tight_layout()
    (HERE / "figures").mkdir(exist_ok=True)
    fig.savefig(HERE / "figures" / "cost_vs_target.png", dpi=100)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results/experiments/social_15min"))
