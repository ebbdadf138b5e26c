"""The smallest difference that matters, per metric, and verdicts judged against it.

A paired interval that excludes zero says a difference is real, not that anyone should act
on it: at equal headcount, agents finishing their last contacts after a shift's end moved
``agent_hours`` by 0.2% "significantly". Each directed metric therefore has a margin, the
smallest difference a care operation would act on; a comparison's verdict reads the paired
interval against it (:func:`verdict`).

Margins are absolute for shares (one percentage point: ``0.01``) and relative to the larger
of the two policies' means for times, counts, hours and money (``"5%"``). The defaults are
below; ``hydra.callbacks.compare.margins`` (and ``python -m sim.compare --margin
METRIC=VALUE``) replace any of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..metrics import SHARES

#: Relative margins of the metrics that are not shares (shares: one percentage point).
_RELATIVE = {
    "mean_wait_min": "5%", "asa_min": "5%", "frt_p50_min": "5%", "frt_p90_min": "5%",
    "public_exposure": "5%", "pileons_per_complaint": "5%", "dissatisfaction_index": "5%",
    "journey_resolution_p50_min": "5%", "journey_resolution_p90_min": "5%",
    "forced_switches_per_journey": "5%", "contacts_per_resolution": "2%",
    "agent_hours": "1%", "paid_hours": "1%", "fte": "1%", "cost": "1%",
    "cost_per_contact": "1%", "cost_per_resolution": "1%", "time_to_discovery_min": "5%",
    "advocates_per_complaint": "5%",
}
#: Metric -> default margin: a number (absolute, in the metric's unit) or "N%" (of the
#: larger of the two means).
#: Occupancy, containment and bot escalation are shares that are neither better higher nor
#: lower (sim/compare/paired.py): no margin.
_UNDIRECTED = ("occupancy", "containment_rate", "bot_escalation_rate")
DEFAULT_MARGINS: dict[str, float | str] = {**{m: 0.01 for m in SHARES if m not in _UNDIRECTED},
                                           **_RELATIVE}


class MarginError(ValueError):
    """A margin that is neither a number >= 0 nor a percentage."""


def parse_margin(metric: str, value: Any) -> float | str:
    """A margin as given (``0.02``, ``"5%"``), checked; raises :class:`MarginError`."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            share = float(value.strip()[:-1])
        except ValueError:
            share = math.nan
        if math.isfinite(share) and share >= 0:
            return f"{share:g}%"
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isfinite(value) and value >= 0:
            return float(value)
    raise MarginError(f"margins.{metric}={value!r}: must be a number >= 0 in the metric's unit "
                      "(0.01: one percentage point of a share) or a percentage of the "
                      "larger of the two means ('5%')")


def margins(overrides: Mapping[str, Any] | None = None) -> dict[str, float | str]:
    """The default margins with ``overrides`` (metric -> margin) applied and checked."""
    out = dict(DEFAULT_MARGINS)
    for metric, value in (overrides or {}).items():
        out[_directed(str(metric), f"margins.{metric}")] = parse_margin(str(metric), value)
    return out


def _directed(metric: str, what: str) -> str:
    """``metric`` if it has a better direction (hence a margin); else a :class:`MarginError`
    naming ``what`` and the valid metrics."""
    if metric not in DEFAULT_MARGINS:
        raise MarginError(f"{what}: not a metric with a better direction; valid: "
                          + ", ".join(DEFAULT_MARGINS))
    return metric


def absolute(margin: float | str | None, baseline_mean: float,
             policy_mean: float = math.nan) -> float:
    """A margin in the metric's unit; NaN if none.

    A percentage is of the larger of ``|baseline_mean|`` and ``|policy_mean|``: a baseline
    at 0 (no pile-ons at all) would otherwise make any difference "matter", and the margin
    does not depend on which policy is called the baseline.
    """
    if margin is None:
        return math.nan
    if isinstance(margin, str):
        size = max((abs(v) for v in (baseline_mean, policy_mean) if math.isfinite(v)),
                   default=math.nan)
        return float(margin[:-1]) / 100 * size if size > 0 else math.nan
    return float(margin)


def verdict(sign: int, diff: float, low: float, high: float, margin: float) -> str:
    """The policy against the baseline, from the paired difference (policy - baseline), its
    interval and the margin (same unit), for a metric where ``sign`` * difference > 0 is
    good.

    ``better`` / ``worse``: the interval excludes zero and the estimate is at least the
    margin in that direction (the difference is real, and its best estimate matters; the
    interval may still reach below the margin); ``equivalent``: the whole interval lies
    within the margin (any difference too small to matter); ``inconclusive``: anything else
    (the interval spans a difference that would matter and one that would not). ``none`` without a
    direction, a margin or an interval.
    """
    if sign == 0 or not all(math.isfinite(x) for x in (diff, low, high, margin)):
        return "none"
    good, low_good, high_good = sign * diff, min(sign * low, sign * high), max(sign * low,
                                                                               sign * high)
    if -margin <= low_good and high_good <= margin:
        return "equivalent"
    if low_good > 0 and good >= margin:
        return "better"
    if high_good < 0 and good <= -margin:
        return "worse"
    return "inconclusive"


def check_objective(metric: str) -> str:
    """``metric`` if it can rank policies (it has a better direction, hence a margin);
    else a :class:`MarginError` naming the valid ones."""
    return _directed(metric, f"objective={metric!r}")
