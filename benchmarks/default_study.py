"""The default study, whole process, this checkout against an earlier revision.

``python -m sim`` as the README's first command runs it (six channels, a week, five
replications, figures, report), in fresh processes, alternating between this checkout and
a git revision checked out beside it (``git worktree``; the same virtualenv runs both, the
revision's ``sim`` first on the path). The table gives the median wall-clock and CPU time
and peak resident memory of each; the question it answers is "no slower than before".

Usage: ``python benchmarks/default_study.py --baseline <rev> [--repeats 5]``
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

from revision import checked_out  # benchmarks/revision.py, beside this script

ROOT = Path(__file__).resolve().parents[1]


def measure(source: Path, outdir: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of ``python -m sim`` run from ``source``."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(source)}
    command = [sys.executable, "-m", "sim", "run.progress=false", f"hydra.run.dir={outdir}"]
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=source, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"{source}: python -m sim failed: {proc.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", required=True, help="git revision to compare with")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, \
            checked_out(args.baseline, Path(tmp) / "baseline") as base:
        runs: dict[str, list[tuple[float, float, float]]] = {"this": [], "baseline": []}
        for i in range(args.repeats):
            for name, source in (("this", ROOT), ("baseline", base)):
                runs[name].append(measure(source, Path(tmp) / f"{name}-{i}"))
                print(f"  {name} run {i + 1}: {runs[name][-1][0]:.2f} s", file=sys.stderr)
    med = {n: [statistics.median(r[k] for r in rs) for k in range(3)] for n, rs in runs.items()}
    print(f"# Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores;"
          f" python -m sim (default study), median of {args.repeats} alternating runs")
    print("| code | wall s | CPU s | peak RSS MiB |")
    print("|---|---:|---:|---:|")
    for name, label in (("this", "this checkout"), ("baseline", args.baseline)):
        wall, cpu, rss = med[name]
        print(f"| {label} | {wall:.2f} | {cpu:.2f} | {rss:.0f} |")
    print(f"\nthis / baseline: wall {med['this'][0] / med['baseline'][0]:.2f}, "
          f"CPU {med['this'][1] / med['baseline'][1]:.2f}, "
          f"memory {med['this'][2] / med['baseline'][2]:.2f}")


if __name__ == "__main__":
    main()
