"""``paired.csv``: paired differences with confidence intervals (common random numbers).

Complete jobs are grouped by everything but their treatment (see :mod:`.treatment`) and
seed; in a group each treatment value is compared with the baseline's on the units
``(seed, replication)`` both ran: the mean paired difference with a Student-t interval, next
to the unpaired (Welch) interval of the same difference and the variance reduction that
pairing buys. Metrics with a direction get a verdict against the smallest difference that
matters (:mod:`.margins`): better, worse, equivalent or inconclusive; counts that rise with
volume (``arrivals``, ``answered``, ``abandoned``) and ``occupancy`` get none, and nor do a
channel's shares of pooled hours and costs (:data:`sim.metrics.ALLOCATED`: artefacts of
how a pooled team's time is shared out), only the ``all`` row's.

A comparison tests dozens of metrics and channels at once, so some intervals exclude 0 by
chance. Each row also carries the paired t-test's p-value and whether it stays significant
under Holm's step-down correction over all the directed rows of its comparison (the
family-wise error rate held at ``1 - level``); the reports lead with those.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..metrics import ALLOCATED, mean_ci, t_quantile, t_two_sided_p
from .jobs import Job
from .margins import absolute, margins as default_margins, verdict
from .settings import parse_setting, same_value, varying
from .treatment import NEUTRAL_KEYS, Treatment, choose_treatment, pairable

_HIGHER = ("service_level", "journey_resolution_rate", "discovered_share",
           "advocates_per_complaint")
_LOWER = ("mean_wait_min", "asa_min", "frt_p50_min", "frt_p90_min", "abandon_rate",
          "dissatisfaction_rate", "dissatisfaction_index", "expectation_violation_rate",
          "forced_switch_rate", "public_exposure", "pileons_per_complaint", "frac_delayed",
          "agent_hours", "journey_resolution_p50_min", "journey_resolution_p90_min",
          "journey_dissatisfaction_rate", "forced_switches_per_journey",
          "contacts_per_resolution", "paid_hours", "fte", "cost", "cost_per_contact",
          "cost_per_resolution", "false_containment_rate", "time_to_discovery_min")
# Counts rise with volume (pile-ons, retrials, a longer horizon): more answered contacts can
# mean more contacts, not better service; their rates (abandon_rate...) carry the verdict.
# A front door that contains more is not better in itself (false containment counts
# against it); its escalations are where its customers go.
_NONE = ("arrivals", "answered", "abandoned", "occupancy", "in_system_at_end",
         "containment_rate", "bot_escalation_rate")
#: Metric -> +1 (higher is better), -1 (lower is better) or 0 (no direction).
DIRECTIONS: dict[str, int] = {**{m: 1 for m in _HIGHER}, **{m: -1 for m in _LOWER},
                              **{m: 0 for m in _NONE}}

PAIRED_COLUMNS = ["group", "context", "baseline", "policy", "baseline_jobs", "jobs", "seeds",
                  "channel", "metric", "n_pairs", "baseline_mean", "policy_mean", "diff",
                  "ci_low", "ci_high", "unpaired_ci_low", "unpaired_ci_high", "ci_ratio",
                  "variance_reduction", "direction", "margin", "better", "verdict",
                  "significant", "p_value", "significant_holm"]


def direction(metric: str) -> int:
    """+1 if higher values of ``metric`` are better, -1 if lower are, 0 if neither (or unknown)."""
    return DIRECTIONS.get(metric, 0)


def _label(settings: Mapping[str, Any], keys: Sequence[str]) -> str:
    return " ".join(f"{k}={settings.get(k)}" for k in keys)


def _units(jobs: Sequence[Job]) -> pd.DataFrame:
    """Per-replication values of jobs of one treatment value, indexed by (seed, replication)."""
    frames = []
    seen: set[str | None] = set()
    for job in jobs:
        if job.seed in seen:  # the same treatment twice on one seed: keep the first job
            continue
        seen.add(job.seed)
        t = job.per_replication[["replication", "channel", "metric", "value"]]
        frames.append(t.assign(seed=str(job.seed)))
    return pd.concat(frames, ignore_index=True)


def _pair_stats(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """Paired and unpaired comparison of ``b - a`` over paired units (NaN pairs dropped)."""
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    d = b - a
    n = len(d)
    mean, lo, hi, _ = mean_ci(d.tolist(), level)
    out = {"n_pairs": n, "baseline_mean": float(a.mean()) if n else math.nan,
           "policy_mean": float(b.mean()) if n else math.nan, "diff": mean, "ci_low": lo,
           "ci_high": hi, "unpaired_ci_low": math.nan, "unpaired_ci_high": math.nan,
           "ci_ratio": math.nan, "variance_reduction": math.nan, "p_value": math.nan}
    if n < 2:
        return out
    out["p_value"] = t_two_sided_p(mean, float(np.std(d, ddof=1)) / math.sqrt(n), n - 1)
    va, vb, vd = float(np.var(a, ddof=1)), float(np.var(b, ddof=1)), float(np.var(d, ddof=1))
    se2 = (va + vb) / n
    if se2 > 0:
        # Welch-Satterthwaite degrees of freedom, rounded down (t_quantile takes an integer
        # df; rounding down widens the interval slightly, the conservative side).
        df = se2 ** 2 / ((va / n) ** 2 / (n - 1) + (vb / n) ** 2 / (n - 1))
        half = t_quantile(0.5 + level / 2, max(1, int(math.floor(df + 1e-9)))) * math.sqrt(se2)
    else:
        half = 0.0
    out["unpaired_ci_low"], out["unpaired_ci_high"] = mean - half, mean + half
    paired_width, unpaired_width = hi - lo, 2 * half
    if paired_width > 0:
        out["ci_ratio"] = unpaired_width / paired_width
    elif unpaired_width > 0:
        out["ci_ratio"] = math.inf
    if va + vb > 0:
        out["variance_reduction"] = 1 - vd / (va + vb)
    return out


def _judge(metric: str, channel: str, stats: Mapping[str, float], baseline: str, policy: str,
           margin: float | str | None) -> dict[str, Any]:
    sign = 0 if channel != "all" and metric in ALLOCATED else direction(metric)
    diff, lo, hi = stats["diff"], stats["ci_low"], stats["ci_high"]
    significant = bool(np.isfinite(lo) and np.isfinite(hi) and (lo > 0 or hi < 0))
    size = absolute(margin, stats["baseline_mean"], stats["policy_mean"]) if sign else math.nan
    word = verdict(sign, diff, lo, hi, size)
    better = {"better": policy, "worse": baseline}.get(word, word)
    return {"direction": {1: "higher", -1: "lower", 0: "none"}[sign], "margin": size,
            "better": better, "verdict": word, "significant": significant}


def holm(p_values: Sequence[float], alpha: float = 0.05) -> np.ndarray:
    """Holm's step-down test: which hypotheses to reject, family-wise error rate ``alpha``.

    The ``m`` finite p-values are taken in ascending order; the ``k``-th smallest (from 1)
    is rejected while it and every smaller one stays at or below ``alpha / (m - k + 1)``.
    NaN p-values are never rejected and do not count in ``m``. Uniformly more powerful than
    Bonferroni, valid under any dependence between the tests (Holm 1979).
    """
    p = np.asarray(p_values, float)
    reject = np.zeros(len(p), bool)
    finite = np.flatnonzero(np.isfinite(p))
    order = finite[np.argsort(p[finite], kind="stable")]
    m = len(order)
    for k, i in enumerate(order):
        if p[i] > alpha / (m - k):
            break
        reject[i] = True
    return reject


#: What makes two rows of a comparison the same test (a lone channel's rows and ``all``'s).
_TEST = ("metric", "diff", "p_value")


def _correct(rows: Sequence[dict[str, Any]], alpha: float) -> None:
    """Set ``significant_holm`` on one comparison's rows: Holm over the rows with a direction.

    A test repeated verbatim counts once: in a one-channel scenario the channel's rows are
    the ``all`` rows (same metric, same difference, same p-value), and counting them twice
    would only make the correction stricter for nothing.
    """
    family: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        if r["direction"] != "none":
            family.setdefault(tuple(r[k] for k in _TEST), []).append(r)
    p_values = [same[0]["p_value"] for same in family.values()]
    for same, reject in zip(family.values(), holm(p_values, alpha)):
        for r in same:
            r["significant_holm"] = bool(reject)


def tests_corrected(comparison: pd.DataFrame) -> int:
    """How many distinct tests Holm's correction of one comparison's rows counted."""
    return len(comparison[comparison["direction"] != "none"].drop_duplicates(list(_TEST)))


def headline(comparison: pd.DataFrame, channel: str = "all") -> tuple[pd.DataFrame, pd.DataFrame]:
    """One comparison's rows for ``channel`` with a better/worse verdict (a difference that
    matters), split in two: those significant after Holm's correction, and those
    significant only without it."""
    judged = comparison[(comparison["channel"].astype(str) == channel)
                        & comparison["verdict"].isin(["better", "worse"])]
    return (judged[judged["significant_holm"]],
            judged[judged["significant"] & ~judged["significant_holm"]])


def paired_differences(jobs: Sequence[Job], baseline: str | tuple[str, str] | None = None,
                       level: float = 0.95, *,
                       treat: str | Sequence[str] | Treatment | None = None,
                       margins: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Paired differences with confidence intervals (common random numbers).

    Complete jobs are grouped by everything but their treatment and seed (their composed
    configs when available, else their overrides): a group is one scenario and run set-up.
    The treatment is the policy keys (routing, escalation, staffing settings) when any of
    them varies across the complete jobs, else every varying key but the seed and the
    neutral run keys (``run.progress``, ``run.workers``), or ``treat``. In a group, each
    treatment value (a "policy" below) is compared with the baseline's on the units
    ``(seed, replication)`` that both ran: a unit of one seed is never paired with another
    seed's. Keys are compared without their Hydra prefix (``+``, ``++``, ``~``).

    Parameters
    ----------
    jobs : sequence of Job
        From :func:`load_jobs`; failed and missing jobs are ignored here.
    baseline : str or (key, value), optional
        ``"KEY=VALUE"`` choosing the baseline policy in every group, e.g.
        ``"routing=siloed"`` or ``"++staffing.agents.twitter=4"`` (matched against
        overrides, group choices and config values). Default (or when no policy of a group
        matches; :func:`check_baseline` tells whether any job matches): the policy of the
        group's first job.
    level : float
        Confidence level of the intervals.
    treat : str, sequence of str or Treatment, optional
        The treatment keys (``"routing"``, ``"scenario.channels.twitter.target"``, or several
        comma-separated); default: chosen as above (:func:`choose_treatment`).
    margins : mapping, optional
        Metric -> the smallest difference that matters, replacing the defaults of
        :data:`sim.compare.margins.DEFAULT_MARGINS` (a number in the metric's unit, or
        ``"5%"`` of the baseline's mean).

    Returns
    -------
    pandas.DataFrame
        One row per group, policy other than the baseline, channel and metric (metrics
        undefined in every pair, such as ``public_exposure`` of a private channel, have none):
        ``group`` (number), ``context`` (the settings the group shares that vary across
        jobs, e.g. ``scenario.x=0.5``), ``baseline`` and ``policy`` (the treatment settings
        that vary in the group, e.g. ``routing=siloed``), ``baseline_jobs``, ``jobs`` and
        ``seeds`` (comma lists), ``channel``, ``metric``, ``n_pairs``, ``baseline_mean``,
        ``policy_mean``, ``diff`` (mean of policy - baseline over pairs, in the metric's
        unit), ``ci_low``/``ci_high`` (Student-t interval of the paired differences,
        :func:`sim.metrics.mean_ci`), ``unpaired_ci_low``/``unpaired_ci_high`` (Welch
        interval of the same difference, ignoring the pairing; df rounded down),
        ``ci_ratio`` (unpaired width / paired width: how many times narrower pairing makes
        the interval), ``variance_reduction`` (``1 - var(d) / (var(a) + var(b))``, sample
        variances over the pairs: the share of the unpaired variance of the difference that
        pairing removes; with equal counts ``ci_ratio`` is about ``1/sqrt(1 - vr)``),
        ``direction`` (``higher``/``lower``/``none`` is better; ``none`` also for a
        channel's share of pooled hours and costs), ``margin`` (the smallest difference
        that matters, in the metric's unit), ``better`` (the better policy's label, or the
        verdict when neither is), ``verdict`` (the policy against the baseline, from the
        paired interval and the margin, :func:`sim.compare.margins.verdict`: ``better``,
        ``worse``, ``equivalent``, ``inconclusive``, or ``none`` without a direction),
        ``significant`` (the paired interval excludes 0),
        ``p_value`` (two-sided paired t-test of a zero mean difference) and
        ``significant_holm`` (still significant after :func:`holm` over the comparison's
        rows with a direction, at family-wise level ``1 - level``; a row identical to
        another, such as a lone channel's and ``all``'s, counts once).
    """
    base = parse_setting(baseline) if baseline is not None else None
    sizes = default_margins(margins)
    complete = pairable(jobs)
    treatment = choose_treatment(complete, treat)
    groups: OrderedDict[str, OrderedDict[str, list[Job]]] = OrderedDict()
    for job in complete:
        (groups.setdefault(treatment.context_key(job), OrderedDict())
         .setdefault(treatment.variant_key(job), []).append(job))
    # Context labels show only the non-treatment settings that vary across all jobs.
    context_keys = [k for k in varying(j.overrides for j in complete)
                    if not treatment.covers(k) and k != "seed" and k not in NEUTRAL_KEYS]
    rows = []
    for number, variants in enumerate(g for g in groups.values() if len(g) > 1):
        settings = {p: treatment.settings(js[0]) for p, js in variants.items()}
        vary = varying(settings.values())
        names = {p: (_label(s, vary) or ",".join(j.name for j in variants[p]))
                 for p, s in settings.items()}
        first = next(iter(variants))
        base_policy = first
        if base is not None:
            base_policy = next((p for p, js in variants.items()
                                if same_value(js[0].setting(base[0]), base[1])), first)
        context = _label({k: variants[first][0].setting(k) for k in context_keys}, context_keys)
        a = _units(variants[base_policy])
        for policy, vjobs in variants.items():
            if policy == base_policy:
                continue
            b = _units(vjobs)
            merged = a.merge(b, on=["seed", "replication", "channel", "metric"],
                             suffixes=("_a", "_b"), sort=False)
            start = len(rows)
            head = {"group": number, "context": context, "baseline": names[base_policy],
                    "policy": names[policy],
                    "baseline_jobs": ",".join(j.name for j in variants[base_policy]),
                    "jobs": ",".join(j.name for j in vjobs),
                    "seeds": ",".join(dict.fromkeys(merged["seed"]))}
            for (channel, metric), g in merged.groupby(["channel", "metric"], sort=False):
                stats = _pair_stats(g["value_a"].to_numpy(float), g["value_b"].to_numpy(float),
                                    level)
                if stats["n_pairs"] == 0:  # undefined for this channel (public_exposure of phone)
                    continue
                rows.append({**head, "channel": channel, "metric": metric, **stats,
                             **_judge(metric, channel, stats, names[base_policy],
                                      names[policy], sizes.get(metric)),
                             "significant_holm": False})
            _correct(rows[start:], 1 - level)
    return pd.DataFrame(rows, columns=PAIRED_COLUMNS)
