"""Peak memory of one long replication, whole process, and its growth per contact.

``python -m sim scenario=erlang`` — M/M/52+M, 1,000 calls an hour, handle 3 min, patience
4 min — for one replication of about 1 and 3 million contacts (1,000 and 3,000 hours),
figures and report on, in fresh processes; the peak resident set of each (interpreter and
libraries included) and the growth per contact between them. With ``--baseline REV`` the
same for a git revision checked out beside this one.

Usage: ``python benchmarks/memory.py [--millions 1 3] [--baseline REV]``
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from revision import checked_out  # benchmarks/revision.py, beside this script

ROOT = Path(__file__).resolve().parents[1]


def peak(source: Path, contacts: float, outdir: Path) -> tuple[float, int]:
    """(peak RSS MiB, contacts simulated) of one replication of ~``contacts`` contacts."""
    hours = contacts / 1000.0
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(source)}
    command = [sys.executable, "-m", "sim", "scenario=erlang", "scenario.rate_per_hour=1000",
               "scenario.agents=52", "scenario.mean_handle_min=3",
               "scenario.mean_patience_min=4", f"run.horizon={hours:g}h", "run.warmup=0",
               "run.replications=1", "run.progress=false", f"hydra.run.dir={outdir}"]
    proc = subprocess.Popen(command, cwd=source, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read()
    if status != 0:
        raise RuntimeError(f"{source}: failed: {proc.stderr.read()[-2000:]}")
    n = int(out.strip().splitlines()[-1].split()[0].replace(",", ""))
    return usage.ru_maxrss / 1024, n


def table(label: str, source: Path, millions: list[float], tmp: Path) -> None:
    rows = [(m, *peak(source, m * 1e6, tmp / f"{label}-{m}")) for m in millions]
    for m, rss, n in rows:
        print(f"| {label} | {n:,} | {rss:.0f} |")
    if len(rows) > 1:
        (_, a, na), (_, b, nb) = rows[0], rows[-1]
        print(f"| {label}: growth | per contact | {(b - a) * 2**20 / (nb - na):.0f} bytes |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--millions", type=float, nargs="+", default=[1.0, 3.0])
    parser.add_argument("--baseline", help="git revision to measure too")
    args = parser.parse_args()
    print(f"# Python {platform.python_version()}, {platform.machine()}; python -m sim "
          "scenario=erlang (M/M/52+M), one replication, whole process")
    print("| code | contacts | peak RSS MiB |")
    print("|---|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        table("this checkout", ROOT, args.millions, Path(tmp))
        if args.baseline:
            with checked_out(args.baseline, Path(tmp) / "baseline") as base:
                table(args.baseline, base, args.millions, Path(tmp))


if __name__ == "__main__":
    main()
