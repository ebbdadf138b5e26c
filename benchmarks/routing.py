"""Throughput of every routing policy config on the default study, relative to ``siloed``.

For each ``conf/routing/*.yaml``: the default study (six channels, shift table, no
escalation) over ``--horizon`` (default one week), one replication, seed 1. Timed as in
``throughput.py``: from a built study to a table of per-contact records (``build_model`` —
policies bound, customers drawn — then the simulation, then ``contacts_frame``); config
composition and validation are done once per policy, outside the timing. The policies are run
in rounds, each round every policy once in the same order, so that machine noise hits them
alike; the figure is the median over ``--repeats`` rounds, in this one process.

The bar (issue: routing catalogue): no routing policy below half of ``siloed``'s throughput.

Extra rows (``VARIANTS``) time configurations that are not files of their own, e.g. the
c-mu rule with reputation weighting on; the bar applies to the shipped configs.

Usage: ``python benchmarks/routing.py [--horizon 7d] [--repeats 3] [--profile cmu]``
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import platform
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import simpy  # noqa: E402

from sim.cli.config import build_setup, compose  # noqa: E402
from sim.replications import Setup, build_model  # noqa: E402

BAR = 0.5  # lowest acceptable throughput relative to siloed


def routing_options() -> list[str]:
    """The routing configs shipped in conf/routing (siloed first)."""
    names = sorted(p.stem for p in (ROOT / "conf" / "routing").glob("*.yaml"))
    return ["siloed"] + [n for n in names if n != "siloed"]


# Variants beyond the shipped configs, as extra rows: the reputation-aware c-mu rule scans
# whole public queues on each decision (the shipped cmu.yaml has reputation off).
VARIANTS = {"cmu reputation=true": ["routing=cmu", "routing.reputation=true"]}


def overrides_for(name: str) -> list[str]:
    return VARIANTS.get(name, [f"routing={name}"])


def make_setup(name: str, horizon: str, seed: int = 1) -> Setup:
    cfg = compose([
            *overrides_for(name), f"run.horizon={horizon}", "run.replications=1",
            "run.progress=false", f"seed={seed}"])
    return build_setup(cfg)


def run_once(setup: Setup) -> int:
    """One replication from a built setup to its contact table; returns the contacts."""
    model = build_model(setup, 0)
    model.run()
    return len(model.sink.tables()[0])


def timed(setup: Setup) -> tuple[float, int]:
    gc.collect()
    start = time.perf_counter()
    n = run_once(setup)
    return time.perf_counter() - start, n


def profile(setup: Setup, top: int = 25) -> None:
    """cProfile one run, printing the functions with the most time of their own."""
    prof = cProfile.Profile()
    prof.enable()
    run_once(setup)
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--horizon", default="7d")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", metavar="ROUTING",
                        help="cProfile one run of ROUTING (a config name or a variant)")
    args = parser.parse_args()
    if args.profile:
        profile(make_setup(args.profile, args.horizon))
        return
    names = routing_options() + list(VARIANTS)
    studies = {name: make_setup(name, args.horizon) for name in names}
    rates: dict[str, list[float]] = {name: [] for name in names}
    counts: dict[str, int] = {}
    for _ in range(args.repeats):
        for name in names:
            t, n = timed(studies[name])
            rates[name].append(n / t)
            counts[name] = n
    print(f"# Python {platform.python_version()}, simpy {simpy.__version__}, "
          f"{platform.machine()}; default study, horizon {args.horizon}, 1 replication, "
          f"median of {args.repeats}")
    print("| routing | contacts | contacts/s | vs siloed |")
    print("|---|---:|---:|---:|")
    base = statistics.median(rates["siloed"])
    below = []
    for name in names:
        r = statistics.median(rates[name])
        if r < BAR * base and name not in VARIANTS:
            below.append(name)
        print(f"| {name} | {counts[name]:,} | {r:,.0f} | {r / base:.2f}x |")
    print()
    print(f"Bar (every shipped policy >= {BAR:.1f}x siloed): "
          + ("met" if not below else f"NOT met by {', '.join(below)}"))


if __name__ == "__main__":
    main()
