"""How often does a summary's 95% interval hold the true value? Coverage against theory.

Each case is ``scenario=erlang`` with a closed form (Erlang C, Erlang A: ``sim/erlang.py``).
For each of ``--seeds`` independent seeds, ``--replications`` replications are simulated
(one day after a 2-hour warm-up each); the first 5, 10 and 20 of them give one interval per
method, and the table reports the share of seeds whose interval holds the theoretical value,
with its binomial standard error, and how often an interval crossed its metric's bounds.
The methods:

- ``t``: Student-t on the replication values (what CareQueue reported until issue #11);
- ``t, bounded``: the same, cut at the metric's bounds;
- ``johnson``: Johnson's (1978) skewness-corrected t, cut at the bounds;
- ``cox``: for positive metrics, Cox's interval for a lognormal mean on the logs.

What ``summary.csv`` reports (``sim.metrics.summary_ci``) was chosen from this table: Cox
for positive times and counts, bounded t for shares (benchmarks/README.md). Not a test:
figures go to benchmarks/README.md.

Usage: ``python benchmarks/coverage.py [--seeds 200] [--workers 2]``
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim import erlang  # noqa: E402
from sim.metrics import BOUNDS, cox_interval, skew_t_interval, t_quantile  # noqa: E402

# (rate/h, AHT min, agents, mean patience min or None), target 20 s
CASES = {"Erlang C, rho 0.91": (100, 6, 11, None), "Erlang A, rho 1.00": (100, 6, 10, 5)}
METRICS = ("mean_wait_min", "service_level", "frac_delayed", "abandon_rate")
COUNTS = (5, 10, 20)
TARGET_MIN = 1 / 3


def theory(case: str) -> dict[str, float]:
    rate, aht, agents, patience = CASES[case]
    q = (erlang.erlang_c_metrics(rate / 60, aht, agents, TARGET_MIN) if patience is None else
         erlang.erlang_a_metrics(rate / 60, aht, agents, patience, TARGET_MIN))
    return {m: getattr(q, m) for m in METRICS}


def simulate(case: str, seed: int, replications: int,
             warmup_h: float = 2.0) -> dict[str, np.ndarray]:
    """Per-replication values of each metric (channel all) for one seed."""
    from sim.cli.config import build_setup, compose  # noqa: PLC0415
    from sim.replications import run_replications  # noqa: PLC0415

    rate, aht, agents, patience = CASES[case]
    setup = build_setup(compose([
        "scenario=erlang", f"scenario.rate_per_hour={rate}", f"scenario.mean_handle_min={aht}",
        f"scenario.agents={agents}", f"scenario.mean_patience_min={patience or 'null'}",
        "scenario.target=20s", f"run.horizon={24 + warmup_h:g}h", f"run.warmup={warmup_h:g}h",
        "run.drain=1h",
        f"run.replications={replications}", f"seed={seed}", "run.progress=false"]))
    per = run_replications(dataclasses.replace(setup, run=dataclasses.replace(
        setup.run, seed=seed))).per_replication
    per = per[per["channel"] == "all"].sort_values("replication")
    return {m: per[per["metric"] == m]["value"].to_numpy(float) for m in METRICS}


def intervals(x: np.ndarray, metric: str, level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Every candidate method's interval for the mean of ``x``."""
    n, m, s = len(x), float(x.mean()), float(x.std(ddof=1))
    t = t_quantile(0.5 + level / 2, n - 1)
    low, high = BOUNDS.get(metric, (-math.inf, math.inf))
    out = {"t": (m - t * s / math.sqrt(n), m + t * s / math.sqrt(n))}
    out["t, bounded"] = (max(out["t"][0], low), min(out["t"][1], high))
    out["johnson"] = skew_t_interval(x, level, (low, high))
    if np.all(x > 0):
        lo, hi = cox_interval(x, level)
        out["cox"] = (lo, min(hi, high))
    return out


def _job(args: tuple[str, int, int, float]) -> tuple[str, int, dict[str, np.ndarray]]:
    case, seed, reps, warmup_h = args
    return case, seed, simulate(case, seed, reps, warmup_h)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up, hours")
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    args = parser.parse_args()
    start = time.perf_counter()
    jobs = [(case, 1000 + s, max(COUNTS), args.warmup) for case in args.cases
            for s in range(args.seeds)]
    hits: dict[tuple, list[int]] = {}
    crossed: dict[tuple, int] = {}
    with ProcessPoolExecutor(args.workers) as pool:
        for done, (case, seed, values) in enumerate(pool.map(_job, jobs, chunksize=4), 1):
            truth = theory(case)
            for metric in METRICS:
                low, high = BOUNDS.get(metric, (-math.inf, math.inf))
                for n in COUNTS:
                    for method, (lo, hi) in intervals(values[metric][:n], metric).items():
                        key = (case, metric, n, method)
                        hits.setdefault(key, []).append(int(lo <= truth[metric] <= hi))
                        crossed[key] = crossed.get(key, 0) + int(lo < low or hi > high)
            if done % 50 == 0:
                print(f"{done}/{len(jobs)} seeds done", file=sys.stderr)
    print(f"{args.seeds} seeds per case, one day per replication after a {args.warmup:g} h "
          "warm-up; "
          f"{time.perf_counter() - start:.0f} s; Python {platform.python_version()}\n")
    print("| case | metric | replications | method | coverage of 95% | crossed bounds |")
    print("|---|---|---:|---|---:|---:|")
    for (case, metric, n, method), h in hits.items():
        p = np.mean(h)
        print(f"| {case} | {metric} | {n} | {method} | {p:.1%} ± {math.sqrt(p * (1 - p) / len(h)):.1%} "
              f"| {crossed[(case, metric, n, method)] / len(h):.0%} |")


if __name__ == "__main__":
    main()
