"""The simulation alone: ``Model.run`` of the issue #9 model, this checkout against another.

The model of ``whole_process.py`` (M/M/52+M, 1,000 calls an hour, mean handle 3 min, mean
patience 4 min, 300 hours: about 300,000 contacts), one replication, its config composed and
its model built before the clock starts: timed is ``Model.run`` only (the events, the
recorder's chunks, the in-memory contact table), in a fresh process per measurement, this
checkout and ``--baseline REV`` (a git worktree) alternating so that both see the same
machine. The table gives each side's median, its spread, and their ratio.

Usage: ``python benchmarks/engine.py --baseline REV [--rounds 5] [--runs 3] [--hours 300]``.
Not a test: numbers go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from revision import checked_out  # benchmarks/revision.py, beside this script

ROOT = Path(__file__).resolve().parents[1]

# Run in the child, with the tree to measure first on the path.
_CHILD = """
import sys, time
from sim.cli.config import build_setup, compose
from sim.records import Collector
from sim.replications import build_model, organised
setup = build_setup(compose(["scenario=erlang", "scenario.rate_per_hour=1000",
                             "scenario.agents=52", "scenario.mean_handle_min=3",
                             "scenario.mean_patience_min=4", "run.horizon=%sh",
                             "run.warmup=0", "run.replications=1", "seed=1"]))
for _ in range(%d):
    model = build_model(setup, 0, Collector(organised(setup), 0, 0.0, None))
    start = time.perf_counter()
    model.run()
    print(time.perf_counter() - start)
"""


def measure(tree: Path, hours: float, runs: int) -> list[float]:
    """Seconds of each of ``runs`` ``Model.run`` calls in one fresh process on ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    out = subprocess.run([sys.executable, "-c", _CHILD % (f"{hours:g}", runs)], cwd=tree,
                         env=env, capture_output=True, text=True, check=True).stdout
    return [float(x) for x in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", required=True, help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=5, help="alternations of the two sides")
    parser.add_argument("--runs", type=int, default=3, help="Model.run calls per process")
    parser.add_argument("--hours", type=float, default=300.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, \
            checked_out(args.baseline, Path(tmp) / "baseline") as base:
        sides = {"this checkout": ROOT, args.baseline: base}
        times: dict[str, list[float]] = {name: [] for name in sides}
        for r in range(args.rounds):
            for name, tree in sides.items():
                times[name] += measure(tree, args.hours, args.runs)
            print(f"  round {r + 1}/{args.rounds}", file=sys.stderr)
    print(f"# Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores;"
          f" Model.run of M/M/52+M at 1000/h for {args.hours:g} h; {args.rounds} alternating"
          f" rounds of {args.runs} runs")
    print("| code | median s | min–max s |\n|---|---:|---:|")
    for name, ts in times.items():
        print(f"| {name} | {statistics.median(ts):.2f} | {min(ts):.2f}–{max(ts):.2f} |")
    mine, theirs = (statistics.median(ts) for ts in times.values())
    print(f"\nThis checkout / {args.baseline}: {mine / theirs:.2f} of the time "
          f"({theirs / mine:.2f}x as fast)")


if __name__ == "__main__":
    main()
