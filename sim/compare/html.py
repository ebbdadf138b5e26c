"""``comparison.html``: one self-contained page (no scripts, no external files).

It leads with the answer (:mod:`.answer`: the better policy on the objective, what it
costs, what cuts the other way, and which assumptions besides the policy differ:
:mod:`.assumptions`), then the jobs with status and error, a section per paired comparison
with a metric-by-metric table and the per-channel differences that matter, the results by
job and channel, and every figure as a base64 PNG.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..durations import duration_unit, read_duration
from ..report import _CSS, _cell as _report_cell, _img, _table
from .answer import (KEY_METRICS, answer, difference as _fmt_diff, holds, margin_text,
                     sensitivity_rows, value)
from .assumptions import describe, differences
from .jobs import COMPLETE, FAILED, MISSING, Job, override_keys
from .paired import headline, tests_corrected
from .treatment import Treatment

# Metrics of the per-job pivot.
_KEY_METRICS = ("service_level", "asa_min", "abandon_rate", "dissatisfaction_rate",
                "journey_resolution_rate", "cost")


#: Titles and captions of the comparison's figures (others are shown by file name).
CAPTIONS = {
    "sensitivity": ("Does the verdict hold across the swept assumptions?",
                    "The objective's paired difference, policy minus baseline, in every "
                    "context the sweep held equal within pairs, with its 95% interval and "
                    "verdict; the grey band is the margin, differences too small to matter. "
                    "A verdict that changes from row to row rests on the assumption swept."),
    "frt_cdf_overlay": ("How fast each job answers, channel by channel",
                        "Share of arrivals answered within a time; a curve tops out at the "
                        "share answered, the gap above it abandoned or unanswered."),
}


_EXTRA_CSS = """
tr.failed td{background:#fdecea}tr.missing td{background:#fff4e5}
tr.better td{background:#d6e8f7}tr.worse td{background:#fbdcc4}
tr.equivalent td{color:#666}
.answer{border-left:4px solid #2c7fb8;padding:.2rem .8rem;margin:.8rem 0;max-width:60rem}
.pairs td{white-space:nowrap}
.verdict{margin:.3rem 0 .6rem}.small{font-size:.85rem;color:#555}
"""


def _ratio(r: float) -> str:
    if not np.isfinite(r):
        return "∞" if r == math.inf else "–"
    return f"{r:.1f}×"


def _pct(v: float) -> str:
    return f"{v * 100:.0f}%" if np.isfinite(v) else "–"


def _pair_sections(paired: pd.DataFrame, treatment: Treatment) -> list[str]:

    esc, parts = html.escape, []
    if paired.empty:
        return ["<p>No paired comparisons: no two complete jobs on the same seeds differ only "
                f"in the treatment, {esc(treatment.describe())}.</p>"]
    for _, g in paired.groupby(["group", "baseline", "policy"], sort=False):
        r0 = g.iloc[0]
        title = f"{r0['policy']} vs {r0['baseline']}" + (f" ({r0['context']})" if r0["context"] else "")
        parts.append(f"<h3>{esc(title)}</h3>")
        parts.append(f'<p class="small">Jobs {esc(r0["jobs"])} against baseline jobs '
                     f'{esc(r0["baseline_jobs"])}; seeds {esc(str(r0["seeds"]))}; paired by '
                     f"(seed, replication). Differences are {esc(str(r0['policy']))} minus "
                     f"{esc(str(r0['baseline']))}.</p>")
        everywhere = g[g["channel"].astype(str) == "all"]
        sig, loose = headline(g)
        ratio = everywhere["ci_ratio"].replace(math.inf, np.nan).dropna()
        vr = everywhere["variance_reduction"].dropna()
        lines = [f"{m}: {_fmt_diff(m, d, lo, hi)}, {v}" for m, d, lo, hi, v in
                 sig[["metric", "diff", "ci_low", "ci_high", "verdict"]].itertuples(index=False)]
        parts.append('<p class="verdict"><b>Significant (all channels), family-wise 95% over '
                     f"the {tests_corrected(g)} metrics and channels compared (Holm):</b> "
                     + (esc("; ".join(lines)) if lines else "none") + ".</p>")
        if len(loose):
            parts.append('<p class="small">Significant only without the correction (their own '
                         "95% interval excludes 0, which among this many can be chance): "
                         + esc(", ".join(map(str, loose["metric"]))) + ".</p>")
        if len(ratio):
            parts.append(f'<p class="small">Pairing (common random numbers): paired intervals are '
                         f"median {_ratio(float(ratio.median()))} narrower than unpaired (Welch) "
                         f"ones; median variance reduction {_pct(float(vr.median()))}.</p>")
        per = g[(g["channel"].astype(str) != "all") & g["verdict"].isin(["better", "worse"])]
        per = per.sort_values("significant_holm", ascending=False, kind="stable")
        key = per[per["metric"].isin(KEY_METRICS)]
        header = ["channel", "metric", str(r0["baseline"]), str(r0["policy"]),
                  "difference [95% CI]", "verdict", "significant (Holm)"]
        parts.append(f"<h4>Differences that matter, by channel: key metrics ({len(key)})</h4>"
                     + _by_channel(header, key))
        rest = per[~per["metric"].isin(KEY_METRICS)]
        if len(rest):
            parts.append(f"<details><summary>The other metrics ({len(rest)})</summary>"
                         + _by_channel(header, rest) + "</details>")
        rows, classes = [], []
        for _, r in everywhere.iterrows():
            m = str(r["metric"])
            rows.append([m, value(m, r["baseline_mean"]), value(m, r["policy_mean"]),
                         _fmt_diff(m, r["diff"], r["ci_low"], r["ci_high"]),
                         margin_text(m, r["margin"]), r["verdict"], _significance(r),
                         _fmt_diff(m, r["diff"], r["unpaired_ci_low"], r["unpaired_ci_high"]),
                         _ratio(r["ci_ratio"]), _pct(r["variance_reduction"])])
            classes.append(r["verdict"] if r["verdict"] in ("better", "worse", "equivalent")
                           else "")
        header = ["metric", str(r0["baseline"]), str(r0["policy"]), "difference [95% CI, paired]",
                  "margin", "verdict", "significant (Holm)", "unpaired 95% CI",
                  "paired CI narrower", "variance reduction"]
        parts.append("<details><summary>Every metric, all channels</summary>"
                     '<div class="pairs">' + _table(header, rows, classes) + "</div></details>")
    return parts


def _by_channel(header: Sequence[str], rows: pd.DataFrame) -> str:
    if rows.empty:
        return "<p>None.</p>"
    body = [[str(r["channel"]), str(r["metric"]), value(str(r["metric"]), r["baseline_mean"]),
             value(str(r["metric"]), r["policy_mean"]),
             _fmt_diff(str(r["metric"]), r["diff"], r["ci_low"], r["ci_high"]), r["verdict"],
             _significance(r)] for _, r in rows.iterrows()]
    return _table(header, body, [r[5] for r in body])


def _answers(jobs: Sequence[Job], paired: pd.DataFrame, objective: str | None) -> list[str]:
    """The page's lead: per comparison, the answer and what else differs."""
    if paired.empty:
        return []
    by_name = {j.name: j for j in jobs}
    esc, parts = html.escape, ["<h2>Answer</h2>"]
    texts = answer(paired, objective)
    for text, (_, g) in zip(texts, paired.groupby(["group", "baseline", "policy"], sort=False)):
        r0 = g.iloc[0]
        base = by_name.get(str(r0["baseline_jobs"]).split(",")[0])
        pol = by_name.get(str(r0["jobs"]).split(",")[0])
        extra = describe(differences(base, pol), str(r0["baseline"]), str(r0["policy"])) \
            if base is not None and pol is not None else ""
        parts.append(f'<div class="answer"><p>{esc(text)}</p>'
                     + (f'<p class="small">{esc(extra)}</p>' if extra else "") + "</div>")
    spread = sensitivity_rows(paired, objective)
    if spread is not None:
        parts += [f'<div class="answer"><p>{esc(text)} The figure "sensitivity" below shows '
                  "each context's difference.</p></div>" for text in holds(spread)]
    parts.append('<p class="small">Verdicts read each paired 95% interval against the '
                 "smallest difference that matters (its margin, in each row of paired.csv; by "
                 "default one percentage point for a share, 5% of the larger mean for a time, "
                 "1% for hours and money): better or "
                 "worse when the interval excludes 0 and the estimate passes the margin, "
                 "equivalent when the whole interval lies within it, else inconclusive. The "
                 "objective is the one question asked in advance, so its own interval decides; "
                 "the many other metrics and channels are read with Holm's correction "
                 "below.</p>")
    return parts


def _significance(row: pd.Series) -> str:
    """``yes`` (after Holm's correction), ``uncorrected only`` (its own interval), ``no``."""
    if row["significant_holm"]:
        return "yes"
    return "uncorrected only" if row["significant"] else "no"


def _job_rows(jobs: Sequence[Job], keys: Sequence[str]) -> tuple[list[list[str]], list[str]]:
    rows = [[j.name, j.status, j.error or "",
             *(str(j.setting(k)) if j.setting(k) is not None else "–" for k in keys)] for j in jobs]
    return rows, [j.status if j.status != COMPLETE else "" for j in jobs]


def _problem_list(jobs: Sequence[Job]) -> list[str]:
    bad = [j for j in jobs if j.status != COMPLETE]
    if not bad:
        return []
    items = "".join(f"<li><b>job {html.escape(j.name)}</b> {j.status}: {html.escape(j.error)}</li>"
                    for j in bad)
    return [f"<p><b>{len(bad)} job{'s' * (len(bad) > 1)} did not complete</b> "
            "(re-run the sweep into the same directory, then compare again):</p>"
            f"<ul>{items}</ul>"]


def _pivot_cell(metric: str, mean: float, low: float, high: float) -> str:
    """Mean [low, high]: times as a person reads them, else as the run's report."""
    if metric.endswith("_min"):
        if not np.isfinite(mean):
            return "–"
        unit = duration_unit(mean)
        ends = (f" [{read_duration(low, unit)}, {read_duration(high, unit)}]"
                if np.isfinite(low) and np.isfinite(high) else "")
        return read_duration(mean, unit) + ends
    return _report_cell(metric, mean, low, high, "ci")


def _metric_pivot(table: pd.DataFrame, channel: str) -> tuple[list[str], list[list[str]]]:
    done = table[(table["status"] == COMPLETE) & (table["channel"].astype(str) == channel)]
    metrics = [m for m in _KEY_METRICS if m in set(done["metric"])]
    rows = []
    for job, g in done.groupby("job", sort=False):
        by = g.drop_duplicates("metric", keep="last").set_index("metric")
        rows.append([str(job), *(_pivot_cell(m, by.at[m, "mean"], by.at[m, "ci_low"],
                                             by.at[m, "ci_high"])
                                 if m in by.index else "–" for m in metrics)])
    return metrics, rows


def comparison_page(jobs: Sequence[Job], table: pd.DataFrame, paired: pd.DataFrame,
                    figures: Mapping[str, Path], title: str, sources: Sequence[Path],
                    treatment: Treatment, objective: str | None = None) -> str:
    """The page's HTML, from the tables of :func:`comparison_table` and
    :func:`paired_differences`, the saved figures, the treatment that was paired and the
    objective the answer ranks policies by."""
    esc = html.escape
    counts = {s: sum(j.status == s for j in jobs) for s in (COMPLETE, FAILED, MISSING)}
    keys = override_keys(jobs)
    parts = [f"<h1>{esc(title)}</h1>", *_answers(jobs, paired, objective),
             _table(["item", "value"],
                    [["source", ", ".join(str(s) for s in sources)],
                     ["jobs", f"{len(jobs)}: {counts[COMPLETE]} complete, {counts[FAILED]} failed, "
                              f"{counts[MISSING]} missing"],
                     ["written", _dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")]])]
    rows, classes = _job_rows(jobs, keys)
    parts += ["<h2>Jobs</h2>",
              '<p class="caption">Every job of the sweep with its overrides; failed and missing '
              "jobs are listed with their error and take no part in the comparisons below.</p>",
              *_problem_list(jobs),
              _table(["job", "status", "error", *keys], rows, classes)]
    parts += ["<h2>Paired comparisons</h2>",
              f'<p class="caption">Treatment: {esc(treatment.describe())}. Jobs that differ '
              "only in the treatment ran on the same customers when their seeds match (common "
              "random numbers): each treatment value is compared with the baseline on the same "
              "(seed, replication) units. Difference = treatment value minus baseline, with the "
              "Student-t 95% interval of the paired differences; the unpaired (Welch) interval "
              "ignores the pairing. Shares in percentage points (pp), times in s, min or h, "
              "hours in paid or agent-hours, money in the scenario's currency; counts "
              "(arrivals, answered, abandoned) get no verdict, nor do a channel's shares of "
              "pooled hours and costs (only all channels'). Verdicts against the margin as "
              "in the answer; significant = still significant after Holm's correction for "
              "the many metrics and channels of a comparison (family-wise error 5%; "
              "\"uncorrected only\": the row's own interval excludes 0, which among dozens "
              "of rows can be chance); blue: better, orange: worse, grey: equivalent.</p>",
              *_pair_sections(paired, treatment)]
    metrics, prow = _metric_pivot(table, "all")
    parts += ["<h2>Results by job</h2>",
              '<p class="caption">All channels: mean over replications [95% CI]. Shares in %, '
              "times in seconds, minutes or hours; every metric is in comparison.csv.</p>",
              _table(["job", *metrics], prow) if prow else "<p>No complete jobs.</p>"]
    channels = [c for c in dict.fromkeys(table.loc[table["status"] == COMPLETE, "channel"].astype(str))
                if c != "all"]
    for ch in channels:
        m, r = _metric_pivot(table, ch)
        parts.append(f"<details><summary>Channel {esc(ch)}</summary>{_table(['job', *m], r)}</details>")
    parts.append('<p class="small">Every channel and metric of every job, and every paired '
                 "comparison, are in comparison.csv and paired.csv beside this page.</p>")
    if figures:
        parts += ["<h2>Figures</h2>", *(_img(name, p, CAPTIONS) for name, p in figures.items())]
    complete = [j for j in jobs if j.status == COMPLETE]
    without = sum(not j.has_contacts for j in complete)
    if without:
        parts.append(f'<p class="caption">{without} of {len(complete)} complete jobs wrote no '
                     "contact records (run.tables without contacts): the wait distributions and the "
                     "dissatisfaction causes are drawn from those that did"
                     + (" (none here)." if without == len(complete) else ".") + "</p>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{esc(title)}</title><style>{_CSS}{_EXTRA_CSS}</style></head>\n<body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


