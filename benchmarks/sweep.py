"""Per-job overhead of a sweep and its speed-up with cores, through each local launcher.

The sweep: ``scenario=erlang`` with ``scenario.agents`` x ``seed`` (default 10 x 20 = 200
jobs), each job a short steady-state study (``run.horizon=10d``, 2 replications: about 0.3 s
of simulation). It runs, from a fresh sweep directory each time, as a user runs it
(``python -m sim -m ...`` in a subprocess):

* ``basic``    Hydra's default launcher: the jobs one after another in the one process;
* ``joblib-1`` ``hydra/launcher=cores hydra.launcher.n_jobs=1``: one worker process;
* ``joblib-2`` ``hydra/launcher=cores hydra.launcher.n_jobs=2``: two worker processes;
* ``rerun``    ``basic`` again on its own, now complete, sweep directory: every job skipped;
* ``basic-tables``, ``joblib-2-tables``: as ``basic`` and ``joblib-2``, with
  ``run.figures=false`` (each job writes its tables and a report without figures);
* ``basic-summary``, ``joblib-2-summary``: with ``run.tables=summary`` (summary-only jobs:
  ``summary.csv``, ``per_replication.parquet``, ``job.json``, a report of the tables).

Disk per job is the bytes under each job's directory (``.hydra/`` included), on average.
With ``--compare``, each sweep is then compared (``python -m sim.compare``: the paired
comparison, its page and figures, and the sweep's ``per_replication/`` dataset), timed.

For each: the wall time of the whole command; per job, the wall time times the workers
(core-seconds per job) and how it splits into simulation (``wall_s`` in each job's
``job.json``), writing the results directory (``write_s``: tables, figures, report) and the
rest, the *launch overhead* (Hydra composing the job's config, the launcher, validating the
config, process start-up shared over the jobs). Per-job overhead = core-seconds per job
minus simulation. Speed-up = wall of ``joblib-1`` / wall of ``joblib-2``. CPU s/job is the
CPU time (user + system) of the command and all its worker processes, per job: unlike the
wall times, it hardly moves when other work shares the machine. "others, cores" is the CPU
the rest of the machine used meanwhile, in cores (from /proc/stat): well above 0, the wall
times and the speed-up are not this code's alone (``--wait-idle S`` waits for a quiet
machine before each sweep).

Sweep-end callbacks (``hydra.callbacks``, e.g. the comparison report) are turned off: they
run once per sweep, not per job.

The scale benchmark of issue #13 (2,000 summary-only jobs): ``python benchmarks/sweep.py
--agents 20 --seeds 100 --horizon 1d --warmup 0 --replications 1 --modes
basic-summary,joblib-2-summary --compare`` (about half an hour on 2 cores).

Usage: ``python benchmarks/sweep.py [--agents 10] [--seeds 20] [--horizon 10d]
[--modes basic,joblib-1,joblib-2,rerun,basic-tables,joblib-2-tables] [--keep DIR]`` (about
15 minutes on 2 cores; needs ``pip install -e ".[joblib]"`` for the joblib modes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODES = {"basic": ([], 1), "joblib-1": (["hydra/launcher=cores", "hydra.launcher.n_jobs=1"], 1),
         "joblib-2": (["hydra/launcher=cores", "hydra.launcher.n_jobs=2"], 2), "rerun": ([], 1),
         "basic-tables": (["run.figures=false"], 1),
         "joblib-2-tables": (["hydra/launcher=cores", "hydra.launcher.n_jobs=2",
                              "run.figures=false"], 2),
         "basic-summary": (["run.tables=summary"], 1),
         "joblib-2-summary": (["hydra/launcher=cores", "hydra.launcher.n_jobs=2",
                               "run.tables=summary"], 2)}


def callbacks_off() -> list[str]:
    """Overrides deleting every configured Hydra callback (sweep-end work, not per job)."""
    from sim.cli.config import compose  # noqa: PLC0415

    cfg = compose(return_hydra_config=True)
    return [f"~hydra.callbacks.{name}" for name in (cfg.hydra.callbacks or {})]


def busy_cpu_s() -> float:
    """CPU seconds the whole machine has spent busy (not idle or waiting on I/O) since boot."""
    with open("/proc/stat", encoding="ascii") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def wait_idle(limit_s: float, busy_cores: float = 0.15) -> float:
    """Wait (at most ``limit_s``) until other work keeps under ``busy_cores`` busy; return
    the busy cores last measured (over 5 s)."""
    deadline = time.monotonic() + limit_s
    while True:
        before = busy_cpu_s()
        time.sleep(5)
        busy = (busy_cpu_s() - before) / 5
        if busy < busy_cores or time.monotonic() > deadline:
            return busy
        print(f"  waiting: {busy:.2f} cores busy with other work", flush=True)


def sweep_args(args: argparse.Namespace) -> list[str]:
    first = args.first_agents
    return ["scenario=erlang", f"scenario.agents=range({first},{first + args.agents})",
            f"seed=range(1,{args.seeds + 1})", f"run.horizon={args.horizon}",
            f"run.replications={args.replications}", "run.workers=1", "run.progress=false",
            *([f"run.warmup={args.warmup}"] if args.warmup is not None else [])]


def run(mode: str, sweep_dir: Path, args: argparse.Namespace, extra: list[str]) -> dict:
    launcher, workers = MODES[mode]
    cmd = [sys.executable, "-m", "sim", "-m", *sweep_args(args), *launcher, *extra,
           f"hydra.sweep.dir={sweep_dir}"]
    env = {**os.environ, "HYDRA_FULL_ERROR": "1"}
    env.pop("CAREQUEUE_FORCE", None)
    load = os.getloadavg()[0]
    used, machine = resource.getrusage(resource.RUSAGE_CHILDREN), busy_cpu_s()
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=sweep_dir.parent, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    after, machine = resource.getrusage(resource.RUSAGE_CHILDREN), busy_cpu_s() - machine
    cpu = after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime
    if proc.returncode != 0:
        sys.exit(f"{mode}: exit {proc.returncode}\n{proc.stderr[-3000:]}")
    n = args.agents * args.seeds
    jobs = [json.loads(p.read_text()) for p in sweep_dir.glob("*/job.json")]
    done = sum((p.parent / "summary.csv").is_file() for p in sweep_dir.glob("*/job.json"))
    skipped = proc.stdout.count("already complete, skipped:")  # parallel lines may interleave
    if done != n or (mode == "rerun" and skipped != n):
        sys.exit(f"{mode}: {done} complete job dirs, {skipped} skipped, of {n}")
    disk = statistics.fmean(sum(f.stat().st_size for f in d.rglob("*") if f.is_file())
                            for d in sweep_dir.iterdir() if (d / "job.json").is_file())
    compare_s = math.nan
    if args.compare and mode != "rerun":
        started = time.perf_counter()
        done_cmp = subprocess.run([sys.executable, "-m", "sim.compare", str(sweep_dir)],
                                  capture_output=True, text=True, env=env)
        compare_s = time.perf_counter() - started
        if done_cmp.returncode != 0:
            sys.exit(f"{mode}: compare failed\n{done_cmp.stderr[-3000:]}")
    sim = 0.0 if mode == "rerun" else statistics.fmean(j["wall_s"] for j in jobs)
    write = 0.0 if mode == "rerun" else statistics.fmean(j["write_s"] for j in jobs)
    core = wall * workers / n
    return dict(mode=mode, jobs=n, workers=workers, wall_s=wall, wall_per_job=wall / n,
                core_per_job=core, cpu_per_job=cpu / n, sim_per_job=sim, write_per_job=write,
                overhead_per_job=core - sim, launch_per_job=core - sim - write,
                others_cores=max(0.0, machine - cpu) / wall, disk_per_job=disk,
                jobs_per_s=n / wall, compare_s=compare_s,
                load_before=load, load_after=os.getloadavg()[0])


def table(rows: list[dict]) -> str:
    lines = ["| launcher | workers | jobs | wall s | jobs/s | wall/job s | core-s/job | CPU s/job "
             "| simulation s/job | writing s/job | launch s/job | overhead s/job | disk/job KB "
             "| compare s | others, cores |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['mode']} | {r['workers']} | {r['jobs']} | {r['wall_s']:.1f} | "
                     f"{r['jobs_per_s']:.2f} | {r['wall_per_job']:.3f} | "
                     f"{r['core_per_job']:.3f} | {r['cpu_per_job']:.3f} | "
                     f"{r['sim_per_job']:.3f} | {r['write_per_job']:.3f} | "
                     f"{r['launch_per_job']:.3f} | {r['overhead_per_job']:.3f} | "
                     f"{r['disk_per_job'] / 1000:,.0f} | "
                     f"{'' if math.isnan(r['compare_s']) else format(r['compare_s'], '.1f')} | "
                     f"{r['others_cores']:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=10, help="values of scenario.agents")
    parser.add_argument("--first-agents", type=int, default=11)
    parser.add_argument("--seeds", type=int, default=20, help="values of seed")
    parser.add_argument("--horizon", default="10d")
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--warmup", help="run.warmup (default: the scenario's)")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--keep", type=Path, help="keep the sweep directories here")
    parser.add_argument("--compare", action="store_true",
                        help="compare each sweep after it ran (python -m sim.compare), timed")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--wait-idle", type=float, default=0, metavar="S",
                        help="before each sweep, wait up to S seconds for other work to stop")
    args = parser.parse_args()
    modes = args.modes.split(",")
    if unknown := set(modes) - set(MODES):
        parser.error(f"unknown modes {sorted(unknown)}; valid: {', '.join(MODES)}")
    if "rerun" in modes and "basic" not in modes:
        parser.error("rerun re-runs the basic sweep: add basic before it")
    if any(m.startswith("joblib") for m in modes):
        try:
            import hydra_plugins.hydra_joblib_launcher  # noqa: F401, PLC0415
        except ImportError:
            parser.error('the joblib modes need the extra: pip install -e ".[joblib]"')

    base = args.keep or Path(tempfile.mkdtemp(prefix="carequeue-sweep-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    extra = callbacks_off()
    n = args.agents * args.seeds
    print(f"{n} jobs ({args.agents} scenario.agents x {args.seeds} seeds, run.horizon="
          f"{args.horizon}, {args.replications} replications); sweeps under {base}", flush=True)
    rows = []
    try:
        for mode in modes:
            sweep_dir = base / ("basic" if mode == "rerun" else mode)
            if mode != "rerun" and sweep_dir.exists():
                shutil.rmtree(sweep_dir)
            if args.wait_idle:
                wait_idle(args.wait_idle)
            rows.append(run(mode, sweep_dir, args, extra))
            r = rows[-1]
            print(f"  {mode}: {r['wall_s']:.1f} s (other work kept {r['others_cores']:.2f} "
                  f"cores busy meanwhile)", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    by = {r["mode"]: r for r in rows}
    print(f"\n{dt.date.today()}, Python {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} cores\n")
    print(table(rows))
    if "joblib-1" in by and "joblib-2" in by:
        s = by["joblib-1"]["wall_s"] / by["joblib-2"]["wall_s"]
        print(f"\nspeed-up 2 workers vs 1 (joblib): {s:.2f}x (parallel efficiency {s / 2:.0%})")
    if "basic" in by and "joblib-2" in by:
        print(f"speed-up joblib n_jobs=2 vs basic: "
              f"{by['basic']['wall_s'] / by['joblib-2']['wall_s']:.2f}x")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
