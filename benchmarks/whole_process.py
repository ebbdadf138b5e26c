"""What a user waits for: the whole ``python -m sim`` process against Ciw's, same model.

CareQueue: ``python -m sim scenario=erlang`` — M/M/52+M, 1,000 calls an hour, mean handle
3 min, mean patience 4 min, for 300 hours (about 300,000 contacts), one replication, figures
on — as a user types it, in a fresh process: interpreter start, imports, Hydra composing and
validating the config, the simulation, the parquet tables, four figures and the HTML report.
Ciw: a fresh process that imports Ciw and pandas, builds the same network, simulates the
same 300 hours and writes its records as a parquet file (what a user of Ciw would do to keep
the results). The two alternate ``--repeats`` times; the table gives the median wall-clock
and CPU time (user + system) of each, their ratio, and each process's peak resident memory.

Usage: ``python benchmarks/whole_process.py [--repeats 5] [--hours 300]`` (``pip install -e
".[bench]"`` for Ciw). Not a test: numbers go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RATE_PER_HOUR, AGENTS, HANDLE_MIN, PATIENCE_MIN = 1000.0, 52, 3.0, 4.0


def carequeue_command(hours: float, outdir: Path) -> list[str]:
    return [sys.executable, "-m", "sim", "scenario=erlang",
            f"scenario.rate_per_hour={RATE_PER_HOUR:g}", f"scenario.agents={AGENTS}",
            f"scenario.mean_handle_min={HANDLE_MIN:g}",
            f"scenario.mean_patience_min={PATIENCE_MIN:g}", f"run.horizon={hours:g}h",
            "run.warmup=0", "run.replications=1", "run.progress=false", "seed=1",
            f"hydra.run.dir={outdir}"]


def ciw_command(hours: float, outdir: Path) -> list[str]:
    return [sys.executable, __file__, "--child-ciw", str(hours), str(outdir / "records.parquet")]


def ciw_child(hours: float, out: str) -> None:
    """The Ciw process: the same M/M/c+M network, simulated and written as parquet."""
    import ciw  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    rate = RATE_PER_HOUR / 60.0
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate)],
        service_distributions=[ciw.dists.Exponential(1 / HANDLE_MIN)],
        number_of_servers=[AGENTS],
        reneging_time_distributions=[ciw.dists.Exponential(1 / PATIENCE_MIN)])
    ciw.seed(1)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(hours * 60.0)
    records = pd.DataFrame(simulation.get_all_records())
    text = [c for c in records.columns if records[c].dtype == object]
    records.astype({c: str for c in text}).to_parquet(out)
    print(len(records))


def measure(command: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak resident MiB) of one fresh process running ``command``."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if status != 0:
        raise RuntimeError(f"{' '.join(command[:4])}... failed: {err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--hours", type=float, default=300.0)
    parser.add_argument("--child-ciw", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_ciw:
        ciw_child(float(args.child_ciw[0]), args.child_ciw[1])
        return
    import ciw  # noqa: PLC0415 - fail early when the bench extra is missing

    runs: dict[str, list[tuple[float, float, float]]] = {"carequeue": [], "ciw": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            for name, make in (("carequeue", carequeue_command), ("ciw", ciw_command)):
                out = Path(tmp) / f"{name}-{i}"
                out.mkdir()
                runs[name].append(measure(make(args.hours, out)))
                print(f"  {name} run {i + 1}: {runs[name][-1][0]:.2f} s wall", file=sys.stderr)
    med = {name: [statistics.median(r[k] for r in rs) for k in range(3)]
           for name, rs in runs.items()}
    print(f"# {platform.python_version()}, Ciw {ciw.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} cores; M/M/{AGENTS}+M at {RATE_PER_HOUR:g}/h for "
          f"{args.hours:g} h (~{RATE_PER_HOUR * args.hours:,.0f} contacts); "
          f"median of {args.repeats} alternating runs")
    print("| process | wall s | CPU s | peak RSS MiB |")
    print("|---|---:|---:|---:|")
    for name in ("carequeue", "ciw"):
        wall, cpu, rss = med[name]
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {rss:.0f} |")
    print(f"\nCareQueue / Ciw: **{med['ciw'][0] / med['carequeue'][0]:.2f}x** faster by wall "
          f"clock, {med['ciw'][1] / med['carequeue'][1]:.2f}x by CPU time")


if __name__ == "__main__":
    main()
