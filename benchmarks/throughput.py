"""Throughput and peak memory of CareQueue against Ciw on the same M/M/c+M model.

Both simulate ``scenario=erlang`` at rho = 0.95 with exponential abandonment (20 agents,
mean handle 5 min, mean patience 10 min) until about N contacts have arrived, in this one
process, alternating so that machine noise hits both alike. Timed: everything from a
built model to a table of per-contact records (CareQueue: drawing customers, simulating,
the contact table with every column in memory; Ciw: network, simulation,
``get_all_records``). The whole process, as a user runs it, is ``whole_process.py``. Peak memory is measured
twice, in separate passes since measuring perturbs timing: ``tracemalloc`` (Python and NumPy
allocations of the run itself) and the peak resident set size of a fresh child process that
runs only that simulation (everything, interpreter and libraries included). Ciw is installed
only for this (``pip install -e .[bench]``).

Usage: ``python benchmarks/throughput.py [--sizes 100000 1000000] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import gc
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ciw  # noqa: E402

from sim.cli.config import build_setup, compose  # noqa: E402
from sim.replications import build_model  # noqa: E402

AGENTS, HANDLE, PATIENCE, RHO = 20, 5.0, 10.0, 0.95
RATE_PER_MIN = RHO * AGENTS / HANDLE


def carequeue_run(n: int, seed: int = 1, routing: str = "siloed") -> int:
    """Simulate ~n contacts with CareQueue; returns the number of contact records."""
    cfg = compose([
            "scenario=erlang", f"scenario.rate_per_hour={RATE_PER_MIN * 60}",
            f"scenario.mean_handle_min={HANDLE}", f"scenario.agents={AGENTS}",
            f"scenario.mean_patience_min={PATIENCE}", f"run.horizon={n / RATE_PER_MIN}",
            "run.warmup=0", "run.drain=0", "run.replications=1", f"seed={seed}",
            f"routing={routing}"])
    model = build_model(build_setup(cfg), 0)
    model.run()
    return len(model.sink.tables()[0])  # the contact table, all columns, in memory


def ciw_run(n: int, seed: int = 1) -> int:
    """Simulate ~n contacts of the same model with Ciw; returns the number of records."""
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(RATE_PER_MIN)],
        service_distributions=[ciw.dists.Exponential(1 / HANDLE)],
        number_of_servers=[AGENTS],
        reneging_time_distributions=[ciw.dists.Exponential(1 / PATIENCE)])
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(n / RATE_PER_MIN)
    return len(sim.get_all_records())


def timed(fn: Callable[[int], int], n: int) -> tuple[float, int]:
    gc.collect()
    start = time.perf_counter()
    count = fn(n)
    return time.perf_counter() - start, count


def peak_mib(fn: Callable[[int], int], n: int) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn(n)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


RUNNERS = {"carequeue": carequeue_run, "ciw": ciw_run}


def vm_hwm_mib() -> float:
    """This process's peak resident set (VmHWM), MiB.

    Not ``ru_maxrss``: Linux carries the parent's high-water mark into a child across
    fork and exec, so a child of a large benchmark process would report the parent's size.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def peak_rss_mib(name: str, n: int) -> float:
    """Peak resident set size of a fresh process running only one simulation."""
    out = subprocess.run([sys.executable, __file__, "--child", name, str(n)],
                         capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("RUNNER", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        RUNNERS[args.child[0]](int(args.child[1]))
        print(vm_hwm_mib())
        return
    print(f"# Python {platform.python_version()}, Ciw {ciw.__version__}, {platform.machine()}, "
          f"model: M/M/{AGENTS}+M, rho={RHO}, handle {HANDLE} min, patience {PATIENCE} min")
    print("| contacts | CareQueue contacts/s | Ciw contacts/s | ratio | CareQueue traced / RSS MiB "
          "| Ciw traced / RSS MiB |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        ours, theirs = [], []
        for _ in range(args.repeats):
            t, c = timed(carequeue_run, n)
            ours.append(c / t)
            t, c = timed(ciw_run, n)
            theirs.append(c / t)
        a, b = statistics.median(ours), statistics.median(theirs)
        mem = ("–", "–") if args.no_memory else tuple(
            f"{peak_mib(RUNNERS[name], n):.0f} / {peak_rss_mib(name, n):.0f}"
            for name in ("carequeue", "ciw"))
        print(f"| {n:,} | {a:,.0f} | {b:,.0f} | {a / b:.2f}x | {mem[0]} | {mem[1]} |", flush=True)


if __name__ == "__main__":
    main()
