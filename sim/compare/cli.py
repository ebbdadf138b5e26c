"""``python -m sim.compare``: the command line and its terminal summary."""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .answer import answer, difference as _fmt_diff
from .margins import MarginError, check_objective, margins as check_margins
from .jobs import COMPLETE, FAILED, MISSING, Job, NotResultsError, is_job_dir, load_jobs
from .paired import headline
from .treatment import check_baseline, choose_treatment
from .write import compare


def format_overview(jobs: Sequence[Job], paired: pd.DataFrame, max_items: int = 8,
                    objective: str | None = None) -> str:
    """A short terminal summary: job counts, failed/missing jobs, then per compared pair the
    answer on the objective (:func:`sim.compare.answer.answer`) and the metrics (all
    channels) whose paired difference matters (beyond its margin) and is significant at 95%
    after Holm's correction over the comparison, with the difference (policy minus
    baseline) and the verdict.
    """
    counts = {s: sum(j.status == s for j in jobs) for s in (COMPLETE, FAILED, MISSING)}
    lines = [f"{len(jobs)} jobs: {counts[COMPLETE]} complete, {counts[FAILED]} failed, "
             f"{counts[MISSING]} missing"]
    for j in jobs:
        if j.status != COMPLETE:
            lines.append(f"  job {j.name} {j.status}: {j.error}")
    texts = answer(paired, objective) if len(paired) else []
    for text, (_, g) in zip(texts, paired.groupby(["group", "baseline", "policy"], sort=False)):
        lines.append(text)
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
        lines.append(f"  {head}, {n} pairs: " + ("; ".join(items[:max_items]) + more if items
                                                 else "no difference that matters (all "
                                                 "channels)" + more))
    return "\n".join(lines)


def _number(text: str, item: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"--margin {item}: the value must be a number or a percentage "
                         "('5%')") from None


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
                    "writes comparison.csv, paired.csv, figures/, comparison.html and the "
                    "per_replication/ parquet dataset of every job.")
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
    parser.add_argument("--hold", metavar="KEY[,KEY]", default=None,
                        help="keys inside the treatment to hold equal within a pair, e.g. "
                             "escalation.follow (one comparison per value)")
    parser.add_argument("--objective", metavar="METRIC", default=None,
                        help="the metric the answer ranks policies by (default: "
                             "dissatisfaction_rate, all channels)")
    parser.add_argument("--margin", metavar="METRIC=VALUE", action="append", default=[],
                        help="the smallest difference of METRIC that matters: a number in its "
                             "unit (0.02: two points of a share) or a percentage of the "
                             "larger of the two means ('5%%'); repeatable")
    args = parser.parse_args(argv)
    try:
        margins = {}
        for item in args.margin:
            metric, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"--margin {item}: expected METRIC=VALUE")
            margins[metric.strip()] = value.strip() if value.strip().endswith("%") else (
                _number(value, item))
        check_margins(margins)
        if args.objective is not None:
            check_objective(args.objective)
        jobs = load_jobs(args.paths)
        treatment = choose_treatment(jobs, args.treat, args.hold)
        if args.treat is not None:
            _check_treat(jobs, treatment.keys)
        if args.baseline is not None:
            try:
                check_baseline(jobs, args.baseline, treatment)
            except ValueError as err:
                raise ValueError(f"--baseline {args.baseline}: {err}") from None
    except (NotResultsError, ValueError, MarginError) as err:
        print(f"compare: {err}", file=sys.stderr)
        return 2
    out = args.out if args.out is not None else _default_out(args.paths)
    result = compare(jobs, out, baseline=args.baseline, sources=args.paths, treat=treatment,
                     margins=margins, objective=args.objective)
    print(format_overview(jobs, result.paired, objective=args.objective))
    print(f"-> {result.html} (comparison.csv, paired.csv, figures/, per_replication/ in {result.html.parent})")
    return 0
