"""``python -m sim.compare``: the command line and its terminal summary."""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .html import _fmt_diff
from .jobs import COMPLETE, FAILED, MISSING, Job, NotResultsError, is_job_dir, load_jobs
from .paired import headline
from .treatment import check_baseline, choose_treatment
from .write import compare


def format_overview(jobs: Sequence[Job], paired: pd.DataFrame, max_items: int = 8) -> str:
    """A short terminal summary: job counts, failed/missing jobs, significant differences.

    For each compared pair it lists the metrics (all channels) whose paired difference is
    significant at 95% after Holm's correction over the comparison, with the difference
    (policy minus baseline) and whether it is better.
    """
    counts = {s: sum(j.status == s for j in jobs) for s in (COMPLETE, FAILED, MISSING)}
    lines = [f"{len(jobs)} jobs: {counts[COMPLETE]} complete, {counts[FAILED]} failed, "
             f"{counts[MISSING]} missing"]
    for j in jobs:
        if j.status != COMPLETE:
            lines.append(f"  job {j.name} {j.status}: {j.error}")
    for _, g in paired.groupby(["group", "baseline", "policy"], sort=False):
        r0 = g.iloc[0]
        head = f"{r0['policy']} vs {r0['baseline']}" + (f" ({r0['context']})" if r0["context"] else "")
        sig, loose = headline(g)
        items = [f"{m} {_fmt_diff(m, d, lo, hi)} {v}" for m, d, lo, hi, v in
                 sig[["metric", "diff", "ci_low", "ci_high", "verdict"]].itertuples(index=False)]
        more = f"; +{len(items) - max_items} more" if len(items) > max_items else ""
        if len(loose):
            more += (f" ({len(loose)} more only without the multiple-comparison correction: "
                     f"{', '.join(map(str, loose['metric']))})")
        n = int(r0["n_pairs"])
        lines.append(f"{head}, {n} pairs: " + ("; ".join(items[:max_items]) + more if items
                                               else "no significant difference (all channels)"
                                               + more))
    return "\n".join(lines)


def _default_out(paths: Sequence[Path]) -> Path:
    if len(paths) == 1 and not is_job_dir(paths[0]):
        return paths[0]  # a sweep directory: write beside its jobs
    return Path("results") / "comparisons" / _dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")


def _check_treat(jobs: Sequence[Job], keys: Sequence[str]) -> None:
    """Every ``--treat`` key is a setting of some complete job."""
    complete = [j for j in jobs if j.status == COMPLETE]
    unknown = [k for k in keys if all(j.setting(k) is None for j in complete)]
    if unknown:
        known = dict.fromkeys(k for j in complete for k in j.overrides if k != "seed")
        raise ValueError(f"--treat: no complete job has a setting {', '.join(unknown)}; "
                         f"overridden keys: {', '.join(known) or 'none'}")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.compare``: exit 0 (even with failed jobs), 2 for a bad PATH or option."""
    parser = argparse.ArgumentParser(
        prog="python -m sim.compare",
        description="Compare the jobs of a sweep directory, or several results directories: "
                    "writes comparison.csv, paired.csv, figures/ and comparison.html.")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                        help="a sweep directory (results/multirun/<date>/<time>), or several "
                             "results directories")
    parser.add_argument("--out", type=Path, default=None,
                        help="output directory (default: the sweep directory; for several "
                             "PATHs results/comparisons/<date>_<time>)")
    parser.add_argument("--baseline", metavar="KEY=VALUE", default=None,
                        help="baseline of the paired comparisons, e.g. routing=siloed or "
                             "staffing.agents.twitter=4 (a +/++/~ prefix is ignored; default: "
                             "each group's first job)")
    parser.add_argument("--treat", metavar="KEY[,KEY]", default=None,
                        help="the settings the paired comparisons compare (default: the policy "
                             "keys routing*, escalation*, staffing* if any varies, else every "
                             "varying key but the seed)")
    args = parser.parse_args(argv)
    try:
        jobs = load_jobs(args.paths)
        treatment = choose_treatment(jobs, args.treat)
        if args.treat is not None:
            _check_treat(jobs, treatment.keys)
        if args.baseline is not None:
            try:
                check_baseline(jobs, args.baseline, treatment)
            except ValueError as err:
                raise ValueError(f"--baseline {args.baseline}: {err}") from None
    except (NotResultsError, ValueError) as err:
        print(f"compare: {err}", file=sys.stderr)
        return 2
    out = args.out if args.out is not None else _default_out(args.paths)
    result = compare(jobs, out, baseline=args.baseline, sources=args.paths, treat=treatment)
    print(format_overview(jobs, result.paired))
    print(f"-> {result.html} (comparison.csv, paired.csv, figures/ in {result.html.parent})")
    return 0
