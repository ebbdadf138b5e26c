"""Pile-ons and public exposure against Twitter response speed: the pileon_response figure.

Run after the study (it reads the study's results directory):

    python -m sim.study experiments/pileon_response
    python experiments/pileon_response/curve.py [results/experiments/pileon_response]

Left and middle: per Twitter headcount, the first-response time, pile-ons per complaint
and public exposure (mean over replications, 95% CI band). Right: every original Twitter
complaint of every job, binned by its own first-response time W, against the direct
pile-ons it drew, next to the Hawkes model's expectation n (1 - exp(-W / tau)) for an
author of average reach weight (the scenario's branching n and decay tau). Prints the
numbers the README quotes; writes ``pileon_response.csv`` into the results directory and
``figures/pileons_vs_response.png`` next to this file.
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

from sim.metrics import mean_ci  # noqa: E402

METRICS = ["twitter.frt_p50_min", "twitter.frt_p90_min", "twitter.mean_wait_min",
           "twitter.pileons_per_complaint", "twitter.public_exposure", "twitter.arrivals",
           "twitter.occupancy", "twitter.agent_hours", "twitter.dissatisfaction_rate"]
BINS = [0, 1, 5, 15, 30, 60, 120, 240, 480, 960, np.inf]  # minutes to first response


def main(results: Path) -> None:
    jobs = common.jobs(results)
    levels, complaints, origins = [], [], []
    for job in jobs:
        agents = int(job.setting("staffing.agents.twitter"))
        w = common.per_replication(job)
        levels.append(common.summary(w[METRICS]).assign(agents=agents))
        c = job.contacts(["replication", "channel", "origin", "negative", "arrival_min",
                          "first_response_min", "pileons", "warmup"],
                         filters=[("channel", "==", "twitter"), ("warmup", "==", False)])
        origins.append(c.groupby("origin", observed=True).size().rename(agents) /
                       c["replication"].nunique())
        comp = c[c["negative"] & (c["origin"] != "pileon")]
        complaints.append(comp.assign(agents=agents, wait=comp["first_response_min"]
                                      - comp["arrival_min"]))
    table = pd.concat(levels, ignore_index=True)
    table.to_csv(results / "pileon_response.csv", index=False)
    t = table.assign(value=[common.fmt(m, lo, hi) for m, lo, hi in
                            zip(table["mean"], table["ci_low"], table["ci_high"])])
    with pd.option_context("display.width", 250, "display.max_colwidth", 30):
        print("== per Twitter headcount (mean [95% CI] over replications)")
        print(t.pivot(index="metric", columns="agents", values="value").reindex(METRICS)
              .to_string())
        print("\n== Twitter contacts per week by origin")
        print(pd.concat(origins, axis=1).fillna(0).round(1).to_string())
    comp = pd.concat(complaints, ignore_index=True)
    n, tau = _hawkes(jobs[0])
    binned = _binned(comp, n, tau)
    print(f"\n== direct pile-ons per original complaint by its first-response time "
          f"(all jobs pooled; Hawkes n = {n}, tau = {tau:g} min)")
    print(binned.to_string(index=False, float_format="{:.4f}".format))
    figure(table, binned, n, tau)


def _hawkes(job) -> tuple[float, float]:
    """The Twitter branching ratio and decay (minutes) the job ran with."""
    cfg = job.config["scenario"]["channels"]["twitter"]["pileon"]
    decay = str(cfg["decay"])
    minutes = float(decay[:-1]) * 60 if decay.endswith("h") else float(decay.rstrip("min"))
    return float(cfg["branching"]), minutes


def _binned(comp: pd.DataFrame, n: float, tau: float) -> pd.DataFrame:
    comp = comp.dropna(subset=["wait"])
    comp = comp.assign(bin=pd.cut(comp["wait"], BINS, right=False))
    rows = []
    for b, g in comp.groupby("bin", observed=True):
        m, lo, hi, _ = mean_ci(g.groupby(["agents", "replication"])["pileons"].mean().tolist())
        w = g["wait"].to_numpy()
        rows.append({"first response": f"[{b.left:g}, {b.right:g}) min", "complaints": len(g),
                     "median wait": float(np.median(w)), "pile-ons": g["pileons"].mean(),
                     "ci_low": lo, "ci_high": hi,
                     "model n(1-exp(-W/tau))": float(np.mean(n * (1 - np.exp(-w / tau))))})
    return pd.DataFrame(rows)


def figure(table: pd.DataFrame, binned: pd.DataFrame, n: float, tau: float) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))

    def curve(ax, metric, colour, label, scale=1.0):
        t = table[table["metric"] == metric].sort_values("agents")
        ax.plot(t["agents"], t["mean"] * scale, "o-", color=colour, label=label)
        ax.fill_between(t["agents"], t["ci_low"] * scale, t["ci_high"] * scale, color=colour,
                        alpha=0.2)

    a = axes[0]
    curve(a, "twitter.frt_p50_min", "tab:blue", "median")
    curve(a, "twitter.frt_p90_min", "tab:red", "90th percentile")
    a.set_yscale("symlog", linthresh=1)
    a.axhline(30, ls=":", color="k", lw=1)
    a.text(6.2, 34, "30-min target", fontsize=8)
    a.set(xlabel="Twitter agents (round the clock)", ylabel="minutes (symlog)",
          title="Twitter first-response time")
    a.legend(fontsize=8)

    b = axes[1]
    curve(b, "twitter.pileons_per_complaint", "tab:purple", "pile-ons per complaint")
    b.axhline(n / (1 - n), ls=":", color="tab:purple", lw=1)
    b.text(4.0, n / (1 - n) + 0.008, f"never answered: n/(1-n) = {n / (1 - n):.2f}", fontsize=8,
           color="tab:purple")
    b.set(xlabel="Twitter agents (round the clock)", ylabel="pile-ons per complaint",
          title="Pile-ons and public exposure", ylim=(0, 0.38))
    b2 = b.twinx()
    curve(b2, "twitter.public_exposure", "tab:green", "exposure", scale=1 / 60)
    b2.set_yscale("log")
    b2.set_ylabel("exposure, follower-hours per post", color="tab:green")
    lines = b.get_lines()[:1] + b2.get_lines()[:1]
    b.legend(lines, ["pile-ons per complaint", "public exposure"], fontsize=8, loc="center right")

    c = axes[2]
    x = binned["median wait"].clip(lower=0.05)
    c.errorbar(x, binned["pile-ons"], yerr=[binned["pile-ons"] - binned["ci_low"],
                                             binned["ci_high"] - binned["pile-ons"]],
               fmt="o", capsize=3, color="tab:purple", label="simulated (bins of W, 95% CI)")
    w = np.geomspace(0.05, 3000, 200)
    c.plot(w, n * (1 - np.exp(-w / tau)), "-", color="k", lw=1,
           label=f"model: n (1 - exp(-W/tau)), n={n:g}, tau={tau:g} min")
    c.set_xscale("log")
    c.set(xlabel="the complaint's own first-response time W (min, log)",
          ylabel="direct pile-ons per complaint", title="What each minute unanswered costs")
    c.legend(fontsize=8, loc="upper left")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle("Twitter response speed vs pile-ons (staffing=fixed; line: mean, band: 95% CI "
                 "over 10 replications)", fontsize=11)
    fig.tight_layout()
    (HERE / "figures").mkdir(exist_ok=True)
    fig.savefig(HERE / "figures" / "pileons_vs_response.png", dpi=100)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results/experiments/pileon_response"))
