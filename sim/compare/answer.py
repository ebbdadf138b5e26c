"""The comparison's answer: one paragraph per paired comparison, leading the page.

It names the better policy on the user's objective (``hydra.callbacks.compare.objective``,
default ``dissatisfaction_rate`` of all channels) with the difference, its interval and
the margin that matters, says what the policy costs against the baseline, and lists the
differences that cut the other way (a channel that loses what the whole gains). Plain text
from ``paired.csv`` rows: the page escapes it, the terminal prints it.
"""

from __future__ import annotations

import math

import pandas as pd

from ..durations import duration_unit, read_duration
from ..metrics import MONEY_METRICS
from ..report import _cell, _decimals, _is_share

#: The objective when none is given: the share of contacts left dissatisfied.
DEFAULT_OBJECTIVE = "dissatisfaction_rate"
#: What a policy costs, in order of preference: money when the scenario prices hours.
_COSTS = ("cost", "paid_hours", "agent_hours")


#: Metrics listed first among the trade-offs, and shown by channel on the page: what a care
#: manager reads first.
KEY_METRICS = ("service_level", "abandon_rate", "asa_min", "frt_p90_min",
               "dissatisfaction_rate", "journey_resolution_rate",
               "journey_dissatisfaction_rate", "forced_switch_rate")


def value(metric: str, v: float) -> str:
    """A metric's value as read: shares in %, times in s/min/h, others to three figures."""
    if metric.endswith("_min"):
        return read_duration(float(v))
    return _cell(metric, v, math.nan, math.nan, "ci")


def _signed_time(minutes: float, unit: tuple[float, str]) -> str:
    return ("+" if minutes >= 0 else "-") + read_duration(abs(minutes), unit)


def difference(metric: str, d: float, lo: float, hi: float) -> str:
    """``+1.2 pp [+0.8, +1.6]`` for a share, ``+15 s [+7.1 s, +22 s]`` for a time (in the
    unit a person reads), ``-0.35 [-0.5, -0.2]`` (the metric's unit) else."""
    if not math.isfinite(d):
        return "–"
    if metric.endswith("_min"):
        ends = [x for x in (lo, hi) if math.isfinite(x)]
        unit = duration_unit(max(abs(x) for x in (d, *ends)))  # one unit for all three
        text = _signed_time(d, unit)
        if len(ends) == 2:
            text += f" [{_signed_time(lo, unit)}, {_signed_time(hi, unit)}]"
        return text
    k, unit = (100.0, " pp") if _is_share(metric) else (1.0, "")
    spread = max(abs(d), abs(hi - lo) / 2 if math.isfinite(hi - lo) else 0.0) * k
    dec = 1 if unit else _decimals(spread if spread > 0 else 1.0)
    text = f"{d * k:+,.{dec}f}{unit}"
    if math.isfinite(lo) and math.isfinite(hi):
        text += f" [{lo * k:+,.{dec}f}, {hi * k:+,.{dec}f}]"
    return text


def margin_text(metric: str, m: float) -> str:
    """A margin as read: ``1.0 pp`` for a share, ``12 s`` for a time, else in the metric's
    unit."""
    if not math.isfinite(m):
        return "no margin"
    if metric.endswith("_min"):
        return read_duration(m)
    if _is_share(metric):
        return f"{m * 100:.1f} pp"
    return f"{m:,.0f}" if m >= 100 else f"{m:.3g}"


def _row(g: pd.DataFrame, metric: str, channel: str = "all") -> pd.Series | None:
    r = g[(g["metric"] == metric) & (g["channel"].astype(str) == channel)]
    return None if r.empty else r.iloc[0]


def _objective_sentence(r: pd.Series, metric: str) -> str:
    base, pol = str(r["baseline"]), str(r["policy"])
    numbers = (f"{value(metric, r['policy_mean'])} against {value(metric, r['baseline_mean'])}"
               f", a difference of {difference(metric, r['diff'], r['ci_low'], r['ci_high'])}")
    size = margin_text(metric, r["margin"])
    return {
        "better": f"{pol} is better than {base} on {metric} (all channels): {numbers}; "
                  f"the interval excludes 0 and the estimate passes the {size} that matters.",
        "worse": f"{pol} is worse than {base} on {metric} (all channels): {numbers}; "
                 f"the interval excludes 0 and the estimate passes the {size} that matters.",
        "equivalent": f"{pol} and {base} are equivalent on {metric} (all channels): {numbers}, "
                      f"the whole interval within the {size} that matters.",
        "inconclusive": f"{pol} against {base} on {metric} (all channels) is inconclusive: "
                        f"{numbers}; the interval spans differences on both sides of the "
                        f"{size} that matters (more replications would narrow it).",
    }.get(str(r["verdict"]), f"{pol} against {base} on {metric}: {numbers}.")


def _cost_sentence(g: pd.DataFrame) -> str:
    for metric in _COSTS:
        r = _row(g, metric)
        if r is not None:
            base = float(r["baseline_mean"])
            share = (f" ({r['diff'] / base:+.1%})" if math.isfinite(base) and base != 0
                     else "")
            numbers = (f"{metric} {difference(metric, r['diff'], r['ci_low'], r['ci_high'])}"
                       f"{share}")
            size = margin_text(metric, r["margin"])
            return {"better": f"It costs less: {numbers}, the estimate past the {size} that "
                              "matters.",
                    "worse": f"It costs more: {numbers}, the estimate past the {size} that "
                             "matters.",
                    "equivalent": f"It costs the same: {numbers}, within the {size} that "
                                  "matters.",
                    "inconclusive": f"Its cost is inconclusive: {numbers}.",
                    }.get(str(r["verdict"]), f"Cost, without a verdict: {numbers}.")
    return ""


def _against(g: pd.DataFrame, objective: str, verdict: str) -> list[str]:
    """Rows whose verdict cuts against the objective's and that stay significant after
    Holm's correction (the many other rows can differ by chance), key metrics first; hours
    and money are the cost sentence's."""
    other = {"better": "worse", "worse": "better"}.get(verdict)
    if other is None:
        return []
    rows = g[(g["verdict"] == other) & g["significant_holm"].astype(bool)
             & ~((g["metric"] == objective) & (g["channel"].astype(str) == "all"))
             & ~g["metric"].isin((*_COSTS, *MONEY_METRICS))]
    rank = {m: i for i, m in enumerate(KEY_METRICS)}
    rows = rows.assign(_rank=rows["metric"].map(lambda m: rank.get(m, len(rank))))
    rows = rows.sort_values("_rank", kind="stable")
    return [f"{r['channel']} {r['metric']} {value(str(r['metric']), r['baseline_mean'])} → "
            f"{value(str(r['metric']), r['policy_mean'])}" for _, r in rows.iterrows()]


def answer(paired: pd.DataFrame, objective: str | None = None,
           max_items: int = 6) -> list[str]:
    """One paragraph per comparison of ``paired`` (rows of :func:`paired_differences`)."""
    objective = objective or DEFAULT_OBJECTIVE
    out = []
    for _, g in paired.groupby(["group", "baseline", "policy"], sort=False):
        r = _row(g, objective)
        context = f" ({g.iloc[0]['context']})" if g.iloc[0]["context"] else ""
        if r is None:
            out.append(f"{g.iloc[0]['policy']} against {g.iloc[0]['baseline']}{context}: the "
                       f"objective {objective} is not among the metrics compared.")
            continue
        parts = [_objective_sentence(r, objective)]
        if context:
            parts[0] = f"{g.iloc[0]['context']}: " + parts[0]
        parts.append(_cost_sentence(g))
        against = _against(g, objective, str(r["verdict"]))
        if against:
            more = f" and {len(against) - max_items} more" if len(against) > max_items else ""
            parts.append("Cutting the other way (significant after Holm's correction): "
                         + "; ".join(against[:max_items]) + more + ".")
        out.append(" ".join(p for p in parts if p))
    return out


def sensitivity_rows(paired: pd.DataFrame, objective: str | None = None) -> pd.DataFrame | None:
    """The objective's all-channel rows when some policy is compared with its baseline in
    more than one context (a swept assumption held equal within pairs); else None."""
    objective = objective or DEFAULT_OBJECTIVE
    if paired.empty:
        return None
    rows = paired[(paired["metric"] == objective) & (paired["channel"].astype(str) == "all")]
    counts = rows.groupby(["baseline", "policy"], sort=False)["context"].nunique()
    return rows if len(counts) and counts.max() > 1 else None


def holds(rows: pd.DataFrame) -> list[str]:
    """Per policy against its baseline, whether the verdict on the objective is the same in
    every context of :func:`sensitivity_rows`, in one sentence each."""
    out = []
    for (base, pol), g in rows.groupby(["baseline", "policy"], sort=False):
        verdicts = list(dict.fromkeys(g["verdict"].astype(str)))
        where = "; ".join(f"{v} at {c}" for c, v in zip(g["context"], g["verdict"]))
        metric = str(g["metric"].iloc[0])
        if verdicts in (["better"], ["worse"]):
            out.append(f"Across the swept assumptions the verdict on {metric} holds: {pol} is "
                       f"{verdicts[0]} than {base} in each ({where}).")
        elif verdicts == ["equivalent"]:
            out.append(f"Across the swept assumptions {pol} and {base} stay equivalent on "
                       f"{metric} ({where}).")
        elif len(verdicts) == 1:
            out.append(f"{pol} against {base} on {metric} is {verdicts[0]} in every context "
                       f"swept ({where}): no verdict to hold.")
        else:
            out.append(f"The verdict on {metric} depends on the swept assumptions: {pol} "
                       f"against {base} is {where}.")
    return out
