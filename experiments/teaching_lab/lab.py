"""Teaching lab: Erlang C against simulation, the pooling effect, square-root staffing.

    python experiments/teaching_lab/lab.py                                  # figures -> a scratch dir
    python experiments/teaching_lab/lab.py --out experiments/teaching_lab/figures   # the README's

Simulates the textbook M/M/c queue (``scenario=erlang``: Poisson arrivals, exponential
handle times, no abandonment) through ``sim.api``, puts the closed forms of ``sim.erlang``
on top, writes three figures and prints every number the lab sheet (README.md) quotes.
About a minute on two idle cores.

The figures go into a new temporary directory (its path is printed) unless ``--out`` names
one: the tracked figures in ``experiments/teaching_lab/figures/`` are rewritten only when
asked for explicitly, so running the lab (in class, in a test) never modifies the checkout.

Every run uses seed 1 and the steady-state set-up of ``run=steady`` (a warm-up deleted, no
drain), shortened to keep the lab quick; intervals are 95% Student-t across replications.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sim import api, erlang  # noqa: E402

RATE, HANDLE, TARGET_S = 100.0, 6.0, 20  # the study's queue: 100 calls/h x 6 min = 10 Erlangs


def simulate(agents: int, rate: float = RATE, handle: float = HANDLE, horizon: str = "10d",
             warmup: str = "1d", replications: int = 10) -> dict[str, tuple[float, float, float]]:
    """Mean and 95% CI of the metrics the lab looks at, for one M/M/c queue."""
    res = api.run("scenario=erlang", f"scenario.agents={agents}", f"scenario.rate_per_hour={rate}",
                  f"scenario.mean_handle_min={handle}", f"scenario.target={TARGET_S}s",
                  f"run.horizon={horizon}", f"run.warmup={warmup}",
                  f"run.replications={replications}", "seed=1")
    out = {}
    for name in ("service_level", "asa_min", "frac_delayed", "occupancy"):
        m = api.metric(res, name, "phone")
        out[name] = (float(m["mean"]), float(m["ci_low"]), float(m["ci_high"]))
    return out


def band(ax, x, stats, key, scale=1.0, **kw):
    mean = np.array([s[key][0] for s in stats]) * scale
    lo = np.array([s[key][1] for s in stats]) * scale
    hi = np.array([s[key][2] for s in stats]) * scale
    ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], fmt="o", capsize=4, **kw)


# ---------------------------------------------------------------------------------------
def part1_erlang_c(out: Path) -> None:
    """Service level and ASA against agents: simulation (dots, 95% CI) vs Erlang C (line)."""
    agents = list(range(11, 17))
    # Exactly the study's jobs (python -m sim.study experiments/teaching_lab): same numbers.
    stats = [simulate(c, horizon="20d") for c in agents]
    print("\nPart 1 - Erlang C vs simulation (100 calls/h, 6 min, target 20 s; 20 days x 10)")
    print(f"{'agents':>6} {'SL sim [95% CI]':>26} {'SL Erlang C':>11} {'ASA sim, s [95% CI]':>26}"
          f" {'ASA Erlang C, s':>15} {'P(wait) sim':>11} {'P(wait) C':>9}")
    for c, s in zip(agents, stats):
        t = erlang.erlang_c_metrics(RATE / 60, HANDLE, c, TARGET_S / 60)
        sl, asa, pw = s["service_level"], s["asa_min"], s["frac_delayed"]
        print(f"{c:>6} {sl[0]:>9.3f} [{sl[1]:.3f}, {sl[2]:.3f}] {t.service_level:>11.3f} "
              f"{asa[0] * 60:>9.1f} [{asa[1] * 60:6.1f}, {asa[2] * 60:6.1f}] {t.asa_min * 60:>15.1f}"
              f" {pw[0]:>11.3f} {t.frac_delayed:>9.3f}")
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    a1.plot(agents, [erlang.erlang_c_metrics(RATE / 60, HANDLE, c, TARGET_S / 60).service_level
                     for c in agents], "-", color="tab:grey", label="Erlang C")
    band(a1, agents, stats, "service_level", color="tab:blue", label="simulation (95% CI)")
    a1.axhline(0.8, ls=":", color="k", lw=1)
    a1.text(11.05, 0.81, "80/20 goal", fontsize=8)
    a1.set(xlabel="agents", ylabel="share answered within 20 s", title="Service level")
    a2.plot(agents, [erlang.erlang_c_metrics(RATE / 60, HANDLE, c, TARGET_S / 60).asa_min * 60
                     for c in agents], "-", color="tab:grey", label="Erlang C")
    band(a2, agents, stats, "asa_min", scale=60, color="tab:red", label="simulation (95% CI)")
    a2.set_yscale("log")
    a2.set(xlabel="agents", ylabel="seconds (log scale)", title="Average speed of answer")
    for ax in (a1, a2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("M/M/c, 100 calls/h x 6 min = 10 Erlangs: each extra agent", fontsize=11)
    fig.tight_layout()
    fig.savefig(out / "erlang_c_vs_simulation.png", dpi=110)


# ---------------------------------------------------------------------------------------
def part2_pooling(out: Path) -> None:
    """k separate teams merged into one, occupancy held at 5/6: waits fall with size."""
    ks = [1, 2, 4, 8]
    base_agents, base_rate = 6, 50.0  # one team: 6 agents, 50 calls/h x 6 min = 5 Erlangs
    stats = [simulate(base_agents * k, rate=base_rate * k) for k in ks]
    print("\nPart 2 - pooling: k teams of 6 agents (50 calls/h each) merged into one of 6k"
          " agents; occupancy 5/6 throughout (10 days x 10)")
    print(f"{'k':>3} {'agents':>6} {'calls/h':>7} {'P(wait) sim [95% CI]':>26} {'P(wait) C':>9}"
          f" {'ASA sim, s [95% CI]':>26} {'ASA C, s':>8} {'SL sim':>7} {'SL C':>6}")
    for k, s in zip(ks, stats):
        t = erlang.erlang_c_metrics(base_rate * k / 60, HANDLE, base_agents * k, TARGET_S / 60)
        pw, asa, sl = s["frac_delayed"], s["asa_min"], s["service_level"]
        print(f"{k:>3} {base_agents * k:>6} {base_rate * k:>7.0f} {pw[0]:>9.3f} [{pw[1]:.3f}, "
              f"{pw[2]:.3f}] {t.frac_delayed:>9.3f} {asa[0] * 60:>9.1f} [{asa[1] * 60:6.1f}, "
              f"{asa[2] * 60:6.1f}] {t.asa_min * 60:>8.1f} {sl[0]:>7.3f} {t.service_level:>6.3f}")
    agents = [base_agents * k for k in ks]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    line = range(6, 49)
    th = [erlang.erlang_c_metrics(base_rate * c / 6 / 60, HANDLE, c, TARGET_S / 60) for c in line]
    a1.plot(line, [m.frac_delayed for m in th], "-", color="tab:grey", label="Erlang C")
    band(a1, agents, stats, "frac_delayed", color="tab:blue", label="simulation (95% CI)")
    a1.set(xlabel="agents in the pool (occupancy 5/6 throughout)", ylabel="P(wait > 0)",
           title="Share of callers who wait", ylim=(0, 0.75))
    a2.plot(line, [m.asa_min * 60 for m in th], "-", color="tab:grey", label="Erlang C")
    band(a2, agents, stats, "asa_min", scale=60, color="tab:red", label="simulation (95% CI)")
    a2.set(xlabel="agents in the pool (occupancy 5/6 throughout)", ylabel="seconds",
           title="Average speed of answer")
    for ax in (a1, a2):
        ax.set_xticks(agents)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    a2.annotate("two teams of 6\n(each at 50 calls/h)", (6, stats[0]["asa_min"][0] * 60),
                xytext=(14, stats[0]["asa_min"][0] * 60 * 0.95), fontsize=8,
                arrowprops={"arrowstyle": "->", "lw": 0.8})
    a2.annotate("merged: one team of 12\n(100 calls/h)", (12, stats[1]["asa_min"][0] * 60),
                xytext=(20, stats[1]["asa_min"][0] * 60 * 1.6), fontsize=8,
                arrowprops={"arrowstyle": "->", "lw": 0.8})
    fig.suptitle("The pooling effect: same occupancy, bigger pool, shorter waits", fontsize=11)
    fig.tight_layout()
    fig.savefig(out / "pooling.png", dpi=110)


# ---------------------------------------------------------------------------------------
def part3_sqrt_staffing(out: Path) -> None:
    """Staffing rules as the load grows: only N = R + beta sqrt(R) keeps P(wait) level."""
    # Perfect squares with even roots: R + 0.5 sqrt(R) and R + sqrt(R) are whole agents, so
    # beta is exactly 0.5 and 1 (no rounding up).
    loads = [4, 16, 36, 64, 100, 144]
    rules = {
        "square root, beta = 1": lambda r: erlang.sqrt_staffing(r, 1.0),
        "square root, beta = 0.5": lambda r: erlang.sqrt_staffing(r, 0.5),
        "fixed occupancy 85%": lambda r: math.ceil(r / 0.85 - 1e-9),
        "load + 2 agents": lambda r: int(math.floor(r)) + 2,
    }
    colours = ["tab:blue", "tab:cyan", "tab:orange", "tab:red"]
    # M/M/c's P(wait) depends only on the load R and the agents N, not on the time unit. With
    # 6-minute calls at 10 R calls/h, every run covers the same 800 mean handle times (80 h)
    # after a 50-handle-time (5 h) warm-up, whatever the load.
    cache: dict[tuple[int, int], dict] = {}
    results: dict[str, list] = {}
    print("\nPart 3 - staffing rules as the load R grows (P(wait > 0); 6-min calls at 10 R "
          "calls/h; 80 h after a 5-h warm-up, x 5)")
    print(f"{'rule':<24} {'R':>4} {'N':>4} {'beta':>5} {'P(wait) sim [95% CI]':>26}"
          f" {'Erlang C':>8} {'Halfin-Whitt':>12}")
    for rule, n_of in rules.items():
        results[rule] = []
        for r in loads:
            n = n_of(r)
            if (n, r) not in cache:
                cache[(n, r)] = simulate(n, rate=10.0 * r, handle=HANDLE, horizon="85h",
                                         warmup="5h", replications=5)
            pw = cache[(n, r)]["frac_delayed"]
            beta = (n - r) / math.sqrt(r)
            pc, hw = erlang.erlang_c(n, r), erlang.halfin_whitt_delay(beta)
            results[rule].append((r, n, pw, pc, hw))
            print(f"{rule:<24} {r:>4} {n:>4} {beta:>5.2f} {pw[0]:>9.3f} [{pw[1]:.3f}, {pw[2]:.3f}]"
                  f" {pc:>8.3f} {hw:>12.3f}")
    fig, ax = plt.subplots(figsize=(7.5, 4.3))
    for (rule, rows), colour in zip(results.items(), colours):
        r = np.array([row[0] for row in rows])
        mean = np.array([row[2][0] for row in rows])
        lo = np.array([row[2][1] for row in rows])
        hi = np.array([row[2][2] for row in rows])
        ax.errorbar(r, mean, yerr=[mean - lo, hi - mean], fmt="o", capsize=3, color=colour,
                    label=f"{rule} (simulation)")
        ax.plot(r, [row[3] for row in rows], "-", color=colour, lw=1, alpha=0.7)
    for beta, colour in ((1.0, "tab:blue"), (0.5, "tab:cyan")):
        level = erlang.halfin_whitt_delay(beta)
        ax.axhline(level, ls=":", color=colour, lw=1.2)
        ax.text(4.2, level + 0.015, f"Halfin-Whitt limit, beta = {beta:g}: {level:.3f}",
                fontsize=7, color=colour)
    ax.set_xscale("log")
    ax.set_xticks(loads, [str(r) for r in loads])
    ax.minorticks_off()
    ax.set(xlabel="offered load R (Erlangs)", ylabel="P(wait > 0)", ylim=(0, 1),
           title="Staffing rules as the operation grows (lines: Erlang C at the same N)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(out / "sqrt_staffing.png", dpi=110)


def main(argv: list[str] | None = None) -> Path:
    """Run the three parts; returns the directory the figures went into.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``); ``--out DIR`` chooses where the
        figures go, otherwise a new temporary directory.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None,
                        help="directory for the three figures (default: a new temporary "
                             "directory); the README's: experiments/teaching_lab/figures")
    args = parser.parse_args(argv)
    # A scratch directory by default: a class or a test running the lab must not rewrite
    # the figures the README shows (and git tracks).
    out = args.out if args.out is not None else Path(tempfile.mkdtemp(prefix="teaching_lab-"))
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    part1_erlang_c(out)
    part2_pooling(out)
    part3_sqrt_staffing(out)
    print(f"\nfigures -> {out} ({time.perf_counter() - start:.0f} s)")
    return out


if __name__ == "__main__":
    main()
