"""A run's headline per channel: the few figures a care manager reads, against targets.

A pure function of the summary table and each channel's response-time target. Two marks,
both against the channel's own target: the share answered within it against the usual
80% goal (the "80/20" convention), and the time by which 90% of answered contacts had a
first response against the target itself. Times are given in the unit a person reads
(seconds for a call or a chat, minutes or hours for an email or a post).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from .durations import read_duration

#: The share of contacts answered within target that counts as meeting it (80/20 and
#: the like: 80% within the channel's target).
SERVICE_GOAL = 0.8


@dataclass(frozen=True)
class Kpi:
    """One cell: its text, and ``good``/``bad`` when it is judged against a target."""

    text: str
    mark: str = ""


COLUMNS = ("channel", "response target", "answered within target", "mean wait (answered)",
           "90% answered within", "abandoned", "dissatisfied", "journeys resolved",
           "cost per contact")


def _share(v: float) -> str:
    return "–" if not math.isfinite(v) else f"{v:.1%}"


def headline(summary: pd.DataFrame, targets: Mapping[str, float]) -> list[list[Kpi]]:
    """Rows of :data:`COLUMNS` for each channel (``all`` last, without a target).

    Parameters
    ----------
    summary : pandas.DataFrame
        ``channel, metric, mean, ...`` (the summary table).
    targets : Mapping[str, float]
        Channel -> response-time target, minutes.
    """
    means = summary.drop_duplicates(["channel", "metric"], keep="last").set_index(
        ["channel", "metric"])["mean"]
    value = lambda ch, m: float(means.get((ch, m), math.nan))  # noqa: E731
    names = list(dict.fromkeys(str(c) for c in summary["channel"]))
    channels = [c for c in names if c != "all"] + ["all"] * ("all" in names)
    rows = []
    for ch in channels:
        target = float(targets.get(ch, math.nan))
        sl, p90 = value(ch, "service_level"), value(ch, "frt_p90_min")
        cost = value(ch, "cost_per_contact")
        rows.append([
            Kpi(ch),
            Kpi(read_duration(target) if math.isfinite(target) else "–"),
            # All channels together have no one target: no mark.
            Kpi(_share(sl), "" if not math.isfinite(sl) or ch == "all" else
                "good" if sl >= SERVICE_GOAL else "bad"),
            Kpi(read_duration(value(ch, "asa_min"))),
            Kpi(read_duration(p90), "" if not (math.isfinite(p90) and math.isfinite(target))
                else "good" if p90 <= target else "bad"),
            Kpi(_share(value(ch, "abandon_rate"))),
            Kpi(_share(value(ch, "dissatisfaction_rate"))),
            Kpi(_share(value(ch, "journey_resolution_rate"))),
            Kpi("–" if not math.isfinite(cost) else f"{cost:,.2f}"),
        ])
    return rows
