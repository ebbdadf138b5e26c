"""Pure functions from record tables to summary tables with confidence intervals.

Per replication, each metric is computed per channel and for ``all`` channels together; the
summary is the mean across independent replications with a two-sided 95% Student-t
interval. Time-averaged quantities (queue length, agents staffed, occupancy) are exact
integrals of step functions built from the contact records and the staffing log.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

#: Summary metrics of contacts, in the order they are reported.
CONTACT_METRICS = ("arrivals", "answered", "abandoned", "frac_delayed", "mean_wait_min", "asa_min",
           "frt_p50_min", "frt_p90_min", "service_level", "abandon_rate", "occupancy",
           "dissatisfaction_rate", "expectation_violation_rate", "forced_switch_rate",
           "public_exposure",
           "pileons_per_complaint", "dissatisfaction_index", "in_system_at_end", "agent_hours")
#: Summary metrics of journeys (:func:`journey_metrics`), reported after them.
JOURNEY_METRICS = ("journey_resolution_rate", "journey_resolution_p50_min",
                   "journey_resolution_p90_min", "journey_dissatisfaction_rate",
                   "forced_switches_per_journey", "contacts_per_resolution")
#: Summary metrics of staff and money (:func:`replication_metrics` with ``pay``): paid hours
#: and full-time equivalents always, costs when some pool has an hourly cost.
MONEY_METRICS = ("paid_hours", "fte", "cost", "cost_per_contact", "cost_per_resolution")
#: Summary metrics of self-service front doors (:mod:`sim.selfservice`), in scenarios with
#: one: of the contacts a front door finished with, the share it contained and the share it
#: escalated to a human (the rest abandoned it); of those it contained, the share it did not
#: help (false containment).
SELF_SERVICE_METRICS = ("containment_rate", "bot_escalation_rate", "false_containment_rate")
#: Summary metrics of listening (:mod:`sim.listening`), in scenarios with it: of the public
#: posts that do not tag the brand, the share found by the end of the run, and the mean
#: minutes from posting to discovery of those found.
LISTENING_METRICS = ("discovered_share", "time_to_discovery_min")
#: Summary metric of advocacy (:mod:`sim.advocacy`), in scenarios with it: advocates per
#: original public complaint.
ADVOCACY_METRICS = ("advocates_per_complaint",)
#: Metrics >= 0 unless a term can make them negative (advocates count against the index):
#: their interval is cut at 0 only when every replication's value is >= 0.
_SIGNED = ("dissatisfaction_index",)
#: Every summary metric, in the order they are reported.
METRICS = (CONTACT_METRICS + JOURNEY_METRICS + MONEY_METRICS + SELF_SERVICE_METRICS
           + LISTENING_METRICS + ADVOCACY_METRICS)
#: Metrics of a channel that are a share of pooled staff time handed out by busy time
#: (:func:`channel_agent_minutes`): a pooled team's hours are not any channel's, so a
#: comparison gives them no per-channel verdict, only the ``all`` row's.
ALLOCATED = ("agent_hours", "paid_hours", "fte", "cost", "cost_per_contact")
#: Hours a full-time equivalent is paid in a week, unless the scenario says otherwise.
FTE_HOURS_PER_WEEK = 37.5


def _t_abs_cdf(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with integer ``df`` (Abramowitz & Stegun 26.7.3-4, exact)."""
    theta = math.atan(t / math.sqrt(df))
    c2, s = math.cos(theta) ** 2, math.sin(theta)
    if df % 2:  # odd: 2/pi (theta + sin cos (1 + 2/3 cos^2 + 2*4/(3*5) cos^4 + ...))
        term, total = 1.0, 1.0 if df > 1 else 0.0
        for k in range(1, (df - 1) // 2):
            term *= (2 * k) / (2 * k + 1) * c2
            total += term
        return 2 / math.pi * (theta + s * math.cos(theta) * total)
    term = total = 1.0  # even: sin (1 + 1/2 cos^2 + 1*3/(2*4) cos^4 + ...)
    for k in range(1, df // 2):
        term *= (2 * k - 1) / (2 * k) * c2
        total += term
    return s * total


def t_quantile(p: float, df: int) -> float:
    """Quantile ``p`` (0 < p < 1) of Student's t with integer ``df`` >= 1 degrees of freedom.

    Newton's method on the exact CDF, started from a Cornish-Fisher expansion; accurate to
    about 1e-12 (no SciPy needed).
    """
    if df < 1 or int(df) != df:
        raise ValueError(f"df={df} must be an integer >= 1")
    if not 0 < p < 1:
        raise ValueError(f"p={p} must be in (0, 1)")
    if p < 0.5:
        return -t_quantile(1 - p, df)
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    z = NormalDist().inv_cdf(p)
    t = z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    for _ in range(50):
        density = math.exp(log_norm - (df + 1) / 2 * math.log1p(t * t / df))
        step = ((1 + _t_abs_cdf(t, df)) / 2 - p) / density
        t -= step
        if abs(step) < 1e-13 * max(1.0, abs(t)):
            break
    return t


def t_two_sided_p(estimate: float, standard_error: float, df: int) -> float:
    """Two-sided p-value of ``estimate / standard_error`` against Student's t with ``df``.

    A zero standard error gives 0 for a non-zero estimate and 1 for a zero one.
    """
    if not (math.isfinite(estimate) and math.isfinite(standard_error)) or df < 1:
        return math.nan
    if standard_error <= 0:
        return 1.0 if estimate == 0 else 0.0
    return max(0.0, 1.0 - _t_abs_cdf(abs(estimate) / standard_error, int(df)))


#: Where each summary metric can lie: shares in [0, 1], times, counts and hours >= 0. An
#: interval is cut at these bounds (a share's interval never runs past 100%).
SHARES = ("frac_delayed", "service_level", "abandon_rate", "occupancy", "dissatisfaction_rate",
          "expectation_violation_rate", "forced_switch_rate", "journey_resolution_rate",
          "journey_dissatisfaction_rate", *SELF_SERVICE_METRICS, "discovered_share")
BOUNDS = {m: (0.0, 1.0) if m in SHARES else (0.0, math.inf) for m in METRICS}
_OPEN = (-math.inf, math.inf)
#: Fewest replications from which times and counts get Cox's interval (see summary_ci).
COX_FROM = 5


def mean_ci(values: Iterable[float], level: float = 0.95,
            bounds: tuple[float, float] = _OPEN) -> tuple[float, float, float, int]:
    """Mean and Student-t confidence interval of independent values (NaNs dropped), cut
    at ``bounds``.

    Returns
    -------
    (mean, ci_low, ci_high, n); the interval is NaN when fewer than two values remain.
    """
    x = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    m = float(x.mean())
    if n < 2:
        return m, math.nan, math.nan, n
    half = t_quantile(0.5 + level / 2, n - 1) * float(x.std(ddof=1)) / math.sqrt(n)
    return m, max(m - half, bounds[0]), min(m + half, bounds[1]), n


def summary_ci(values: Iterable[float], metric: str,
               level: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and confidence interval of one summary metric across replications (NaNs
    dropped), inside the metric's :data:`BOUNDS`.

    Shares: Student-t, cut at 0 and 1. Times, counts and hours, from :data:`COX_FROM`
    replications whose values are all positive: Cox's interval for the mean of a
    lognormal, on the logs, widened to hold the mean if it does not. A replication's mean
    wait is skewed to the right: with 5 to 20 replications of an Erlang C line at rho
    0.91, the t interval held the true mean wait 88-91% of the time, Cox's 91-93.5%
    (benchmarks/coverage.py, benchmarks/README.md). Otherwise Student-t cut at 0: with 3
    or 4 replications Cox's interval of a widely spread metric runs to absurd heights,
    and its coverage was measured from 5 on.

    Returns
    -------
    (mean, ci_low, ci_high, n); the interval is NaN when fewer than two values remain.
    """
    bounds = BOUNDS.get(metric, _OPEN)
    x = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    if metric in _SIGNED and np.any(x < 0):
        bounds = _OPEN
    if metric in SHARES or len(x) < COX_FROM or not np.all(x > 0):
        return mean_ci(x, level, bounds)
    n, m = len(x), float(x.mean())
    low, high = cox_interval(x, level)
    return m, max(min(low, m), bounds[0]), min(max(high, m), bounds[1]), n


def cox_interval(x: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Cox's interval for the mean of a lognormal sample (all values > 0): on y = ln x,
    exp(mean(y) + s**2/2 -+ t sqrt(s**2/n + s**4/(2(n - 1))))."""
    y = np.log(np.asarray(x, float))
    n, s2 = len(y), float(y.var(ddof=1))
    half = t_quantile(0.5 + level / 2, n - 1) * math.sqrt(s2 / n + s2 * s2 / (2 * (n - 1)))
    centre = float(y.mean()) + s2 / 2
    return math.exp(centre - half), math.exp(centre + half)


def skew_t_interval(x: np.ndarray, level: float = 0.95,
                    bounds: tuple[float, float] = _OPEN) -> tuple[float, float]:
    """Johnson's (1978) skewness-corrected t interval for the mean of ``x``, cut at
    ``bounds``: the t interval shifted by mu3 / (6 s**2 n), mu3 the sample's third central
    moment (unbiased), towards the long tail. Plain t below three values."""
    x = np.asarray(x, float)
    n, m = len(x), float(x.mean())
    s2 = float(x.var(ddof=1))
    half = t_quantile(0.5 + level / 2, n - 1) * math.sqrt(s2 / n)
    shift = 0.0
    if n >= 3 and s2 > 0:
        mu3 = n * float(np.sum((x - m) ** 3)) / ((n - 1) * (n - 2))
        shift = mu3 / (6 * s2 * n)
    return max(m + shift - half, bounds[0]), min(m + shift + half, bounds[1])


def step_integral(starts: np.ndarray, ends: np.ndarray, weights: np.ndarray | float,
                  edges: np.ndarray) -> np.ndarray:
    """Integral over each ``[edges[i], edges[i+1])`` of a sum of weighted boxes.

    Box ``j`` has height ``weights[j]`` on ``[starts[j], ends[j])`` (``ends`` may be inf).
    Used for queue length, busy agents and staffed agents: time-weighted, exact.
    """
    # Temporaries are freed (or reused in place) as soon as they are spent: with millions of
    # boxes each one is tens of megabytes.
    w = np.broadcast_to(np.asarray(weights, float), np.shape(starts))
    t = np.concatenate([starts, ends])
    d = np.concatenate([w, -w])
    del w
    keep = np.isfinite(t)
    if not keep.all():
        t, d = t[keep], d[keep]
    del keep
    if len(t) == 0:
        return np.zeros(len(edges) - 1)
    order = np.argsort(t, kind="stable")
    t = t[order]
    level = d[order]
    del d, order
    np.cumsum(level, out=level)
    # F(t) = integral of the level up to t, piecewise linear between event times.
    step = np.diff(t)
    step *= level[:-1]
    area = np.empty(len(t))
    area[0] = 0.0
    np.cumsum(step, out=area[1:])
    del step
    F = np.interp(edges, t, area, left=0.0)
    F += np.where(edges > t[-1], level[-1] * (edges - t[-1]), 0.0)
    return np.diff(F)


def _staff_boxes(staffing: pd.DataFrame, end_min: float) -> tuple[np.ndarray, ...]:
    """A pool's staffing log as boxes: (start, end, agents) for each constant stretch."""
    t = staffing["time_min"].to_numpy(float)
    a = staffing["agents"].to_numpy(float)
    return t, np.append(t[1:], end_min), a


def queue_contacts(contacts: pd.DataFrame) -> pd.DataFrame:
    """The contacts that went through a queue: all but those a self-service front door
    handled (:mod:`sim.selfservice`: never answered, never waiting)."""
    if "self_service" not in contacts:
        return contacts
    return _rows(contacts, contacts["self_service"] == "none")


def _wait_end(contacts: pd.DataFrame) -> np.ndarray:
    """When each contact stopped waiting (first response or abandonment; inf if never)."""
    end = contacts["arrival_min"].to_numpy() + contacts["wait_min"].to_numpy()
    return np.where(np.isnan(end), np.inf, end)


def pool_time(segments: pd.DataFrame, staffing: pd.DataFrame, pools: Iterable[str],
              edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Busy and staffed agent-minutes of ``pools`` over each interval of ``edges``.

    Busy time weighs each stretch a contact held an agent by the share of the agent it used.
    """
    pools = list(pools)
    seg = _rows(segments[["start_min", "end_min", "share"]], segments["pool"].isin(pools))
    end = seg["end_min"].to_numpy()
    busy = step_integral(seg["start_min"].to_numpy(), np.where(np.isnan(end), np.inf, end),
                         seg["share"].to_numpy(), edges)
    return busy, staffed_time(staffing, pools, edges)


def staffed_time(staffing: pd.DataFrame, pools: Iterable[str], edges: np.ndarray) -> np.ndarray:
    """Staffed agent-minutes of ``pools`` over each interval of ``edges``."""
    staffed = np.zeros(len(edges) - 1)
    for name in pools:
        log = staffing[staffing["pool"] == name]
        if len(log):
            staffed += step_integral(*_staff_boxes(log, math.inf), edges)
    return staffed


def channel_agent_minutes(staffing: pd.DataFrame, segments: pd.DataFrame,
                          serving: dict[str, list[str]], edges: np.ndarray) -> dict[str, float]:
    """Staffed agent-minutes over ``edges[0]..edges[-1]`` charged to each channel (the sum
    over pools of :func:`channel_pool_minutes`)."""
    return _by_channel(channel_pool_minutes(staffing, segments, serving, edges), serving)


def _by_channel(by_pool: Mapping[tuple[str, str], float],
                serving: Mapping[str, list[str]]) -> dict[str, float]:
    """``(channel, pool) -> minutes`` summed over pools."""
    charged = dict.fromkeys(serving, 0.0)
    for (channel, _), minutes in by_pool.items():
        charged[channel] += minutes
    return charged


def channel_pool_minutes(staffing: pd.DataFrame, segments: pd.DataFrame,
                         serving: dict[str, list[str]],
                         edges: np.ndarray) -> dict[tuple[str, str], float]:
    """Staffed agent-minutes of each pool over ``edges[0]..edges[-1]`` charged to each
    channel it serves: ``(channel, pool) -> minutes``.

    Each pool's staffed time is shared out among the channels it serves in proportion to
    the busy time (agent-minutes, weighted by share) it spent on their contacts in the
    window (``segments``: ``pool``, ``channel``, ``start_min``, ``end_min``, ``share``); a
    pool that was never busy there is shared out equally. The channels therefore add up to
    the pools' total, whatever the routing: under siloed pools each channel gets its own
    pool's hours, under a pooled team each its part of the team's hours.
    """
    lo, hi = float(edges[0]), float(edges[-1])
    charged: dict[tuple[str, str], float] = {}
    for pool in sorted({p for ps in serving.values() for p in ps}):
        channels = [c for c, ps in serving.items() if pool in ps]
        staffed = staffed_time(staffing, [pool], edges).sum()
        seg = _rows(segments[["channel", "start_min", "end_min", "share"]],
                    segments["pool"] == pool)
        end = seg["end_min"].to_numpy(float)
        end = np.where(np.isnan(end), np.inf, end)
        overlap = np.clip(np.minimum(end, hi) - np.maximum(seg["start_min"].to_numpy(float), lo),
                          0.0, None) * seg["share"].to_numpy(float)
        of = seg["channel"].astype("category").cat
        # Grouped by the category codes, not millions of strings: the same sums, in the same
        # order, without an array of Python objects.
        by_code = pd.Series(overlap).groupby(of.codes.to_numpy()).sum()
        by_code = by_code[by_code.index >= 0]  # rows without a channel, as groupby drops NaN
        busy = (pd.Series(by_code.to_numpy(), index=of.categories[by_code.index])
                .reindex(channels, fill_value=0.0).to_numpy())
        weights = busy / busy.sum() if busy.sum() > 0 else np.full(len(channels), 1 / len(channels))
        for channel, w in zip(channels, weights):
            charged[channel, pool] = float(staffed * w)
    return charged


def _rows(table: pd.DataFrame, mask: pd.Series | bool) -> pd.DataFrame:
    """``table[mask]``, without copying when every row is selected (one channel, or all)."""
    if bool(np.all(mask)):
        return table
    return table[np.asarray(mask)]


_ALL = "all"  # the summary's row for every channel together


_REPLICATION_COLUMNS = ("channel", "warmup", "answered", "wait_min", "waited_min", "public",
                        "origin", "negative", "abandoned", "target_min", "dissatisfied",
                        "expectation_violated", "forced_switch", "public_exposure",
                        "dissatisfaction_index", "in_system_at_end")


_NO_CHANNEL = np.iinfo(np.int64).min  # group key of journeys with no path


def journey_metrics(journeys: pd.DataFrame, window: tuple[float, float],
                    costs: Mapping[int, float] | None = None) -> pd.DataFrame:
    """Per replication, the customers' view: journeys (a problem followed across contacts
    and channels, :func:`sim.records.journeys_frame`) that started in ``window`` (minutes),
    by the channel they started in and ``all`` (a journey with no path, which the engine
    never makes, in ``all`` only). Long: ``replication, channel, metric, value``.

    ``journey_resolution_rate`` (share resolved), ``journey_resolution_p50_min`` and
    ``_p90_min`` (time from the first contact to the resolution, of the resolved),
    ``journey_dissatisfaction_rate`` (share with a dissatisfied contact, or left
    unresolved), ``forced_switches_per_journey`` and ``contacts_per_resolution`` (contacts
    of the journeys / journeys resolved: what one solved problem costs in contacts); with
    ``costs`` (replication -> the ``cost`` of all channels), ``cost_per_resolution`` of
    all channels (not per channel: journeys cross channels, costs are pooled).
    """
    start = journeys["start_min"].to_numpy(float)
    kept = (start >= window[0]) & (start < window[1])
    everyone = bool(kept.all())
    del start

    def col(name: str, dtype: Any = None) -> np.ndarray:
        # A column of the journeys kept: never a copy of the whole table (millions of rows
        # in a long run), and no copy at all when every journey is kept.
        values = journeys[name].to_numpy(dtype)
        return values if everyone else values[kept]

    rep = col("replication")
    # The channel a journey started in, from its path's category (a few hundred paths),
    # not from each of its millions of rows.
    paths = journeys["channels"].astype("category").cat
    names, of_path = np.unique([str(c).split(">", 1)[0] for c in paths.categories],
                               return_inverse=True)
    # A missing path (code -1) started in no channel: -1 too, counted in "all" only.
    first = np.append(of_path, -1).astype(np.int16)[paths.codes.to_numpy()]
    first = first if everyone else first[kept]
    resolved = col("resolved", bool)
    rows = []
    for scope in ("channel", "all"):
        # Groups in order of first appearance. Every mean is an integer sum over a count
        # (exact in floating point), the quantiles of each group's values in any order.
        if scope == "channel":
            key = rep.astype(np.int64) * len(names) + first
            if (first < 0).any():
                key[first < 0] = _NO_CHANNEL
        group, keys = pd.factorize(key if scope == "channel" else rep, sort=False)
        n = len(keys)
        count = np.bincount(group, minlength=n)
        total = lambda values: np.bincount(group, values, minlength=n)  # noqa: E731
        n_resolved = total(resolved)
        dissatisfied = total(col("dissatisfied", bool))
        forced = total(col("forced_switches", float))
        contacts = total(col("contacts", float))
        took = col("resolution_min", float)[resolved]
        if n > 1:  # each group's resolution times together
            took = took[np.argsort(group[resolved], kind="stable")]
        ends = np.cumsum(n_resolved.astype(np.int64))
        for g, k in enumerate(keys.tolist()):
            if scope == "channel" and k == _NO_CHANNEL:
                continue
            rep_g, channel = ((k // len(names), str(names[k % len(names)]))
                              if scope == "channel" else (int(k), "all"))
            m = int(n_resolved[g])
            resolved_g = took[ends[g] - m:ends[g]]
            values = {
                "journey_resolution_rate": n_resolved[g] / count[g],
                "journey_resolution_p50_min": (float(np.quantile(resolved_g, 0.5)) if m
                                               else math.nan),
                "journey_resolution_p90_min": (float(np.quantile(resolved_g, 0.9)) if m
                                               else math.nan),
                "journey_dissatisfaction_rate": dissatisfied[g] / count[g],
                "forced_switches_per_journey": forced[g] / count[g],
                "contacts_per_resolution": contacts[g] / m if m else math.nan,
            }
            if costs is not None and scope == "all":
                values["cost_per_resolution"] = costs[rep_g] / m if m else math.nan
            rows += [(rep_g, channel, name, float(v)) for name, v in values.items()]
    return pd.DataFrame(rows, columns=["replication", "channel", "metric", "value"])


def replication_metrics(contacts: pd.DataFrame, staffing: pd.DataFrame, segments: pd.DataFrame,
                        serving: dict[str, list[str]], window: tuple[float, float],
                        pay: Mapping[str, tuple[float, float]] | None = None,
                        fte_hours_per_week: float = FTE_HOURS_PER_WEEK,
                        front_doors: bool = False, listening: bool = False,
                        advocacy: bool = False) -> pd.DataFrame:
    """Metrics of one replication: long table ``channel, metric, value``.

    With self-service front doors (``front_doors``), the contacts a front door handled
    (``self_service`` other than ``none``) are left out of the queue's metrics (waits,
    service level, abandonment, counts: theirs is no queue) but kept in
    ``dissatisfaction_rate`` and ``dissatisfaction_index`` (a customer the bot failed is a
    dissatisfied customer), and :data:`SELF_SERVICE_METRICS` are added.

    Parameters
    ----------
    contacts : DataFrame
        One replication's contacts (warm-up rows are excluded here).
    staffing : DataFrame
        That replication's staffing log.
    segments : DataFrame
        That replication's slot-holding stretches (for busy time).
    serving : dict
        Channel name -> names of the pools that can serve it (for per-channel occupancy:
        the occupancy of those pools, on all their work; per-channel ``agent_hours``: their
        staffed hours shared out by busy time, :func:`channel_agent_minutes`).
    window : (float, float)
        ``(warmup, horizon)`` in minutes, the span over which occupancy is measured.
    pay : Mapping[str, (float, float)], optional
        Pool name -> (cost per paid hour, shrinkage): with it, :data:`MONEY_METRICS` (see
        :func:`money`); pools not listed cost nothing and shrink by nothing.
    fte_hours_per_week : float
        Paid hours of one full-time equivalent in a week (for ``fte``).
    front_doors : bool
        Whether some channel of the scenario has a self-service front door.
    listening : bool
        Whether some channel's listening is modelled (:data:`LISTENING_METRICS` are added).
    advocacy : bool
        Whether some channel's complaints can make advocates (:data:`ADVOCACY_METRICS`).
    """
    edges = np.asarray(window, float)
    # Only the columns read, so that the row selections below copy those and no more.
    read = [*_REPLICATION_COLUMNS, *(("self_service",) if front_doors else ()),
            *(("untagged", "arrival_min", "discovered_min") if listening else ()),
            *(("advocate",) if advocacy else ())]
    c = contacts[[n for n in read if n in contacts]]
    if c["warmup"].any():
        c = c[~c["warmup"].to_numpy()]
    rows = []
    # One channel's rows at a time (a generator): never every channel's copy at once.
    groups = ((name, _rows(c, True if name is _ALL else c["channel"] == name), pools)
              for name, pools in [*serving.items(),
                                  (_ALL, sorted({p for ps in serving.values() for p in ps}))])
    by_pool = channel_pool_minutes(staffing, segments, serving, edges)
    charged = _by_channel(by_pool, serving)
    for name, everyone, pools in groups:
        g = queue_contacts(everyone)  # all of them, unless a front door handled some
        n = len(g)
        answered = g["answered"].to_numpy()
        wait = g["wait_min"].to_numpy()
        frt = wait[answered]
        busy, staffed = pool_time(segments, staffing, pools, edges)
        rate = (lambda x: float(np.sum(x)) / n) if n else (lambda x: math.nan)
        # Contacts still waiting when the run stopped count the time waited until then.
        censored = g["waited_min"].to_numpy()
        public = g["public"].to_numpy()
        pileon = (g["origin"] == "pileon").to_numpy()
        complaints = int(np.sum(public & g["negative"].to_numpy() & ~pileon))
        values = {
            "arrivals": n,
            "answered": int(answered.sum()),
            "abandoned": int(g["abandoned"].sum()),
            "frac_delayed": rate(~(answered & (wait <= 0))),
            "mean_wait_min": float(np.mean(censored)) if n else math.nan,
            "asa_min": float(np.mean(frt)) if len(frt) else math.nan,
            "frt_p50_min": float(np.quantile(frt, 0.5)) if len(frt) else math.nan,
            "frt_p90_min": float(np.quantile(frt, 0.9)) if len(frt) else math.nan,
            "service_level": rate(answered & (wait <= g["target_min"].to_numpy())),
            "abandon_rate": rate(g["abandoned"].to_numpy()),
            "occupancy": float(busy[0] / staffed[0]) if staffed[0] > 0 else math.nan,
            "dissatisfaction_rate": (float(everyone["dissatisfied"].mean()) if len(everyone)
                                     else math.nan),
            "expectation_violation_rate": rate(g["expectation_violated"].to_numpy()),
            "forced_switch_rate": rate(g["forced_switch"].to_numpy()),
            "public_exposure": (float(g["public_exposure"].to_numpy()[public].mean())
                                if public.any() else math.nan),
            "pileons_per_complaint": (float(pileon.sum()) / complaints if complaints
                                      else math.nan),
            "dissatisfaction_index": (float(everyone["dissatisfaction_index"].mean())
                                      if len(everyone) else math.nan),
            "in_system_at_end": int(g["in_system_at_end"].sum()),
            "agent_hours": float(charged.get(name, staffed[0]) / 60.0),
        }
        rows += [(name, m, float(values[m])) for m in CONTACT_METRICS]
        if front_doors:
            rows += [(name, m, v) for m, v in
                     _door_rates(everyone["self_service"].to_numpy()).items()]
        if listening:
            rows += [(name, m, v) for m, v in _discovery(g).items()]
        if advocacy:
            advocates = int(g["advocate"].to_numpy(bool).sum())
            rows.append((name, "advocates_per_complaint",
                         advocates / complaints if complaints else math.nan))
        if pay is not None:
            minutes = {p: sum(v for (ch, pp), v in by_pool.items() if pp == p
                              and (name is _ALL or ch == name)) for p in pools}
            weeks = (edges[1] - edges[0]) / (7 * 1440)
            rows += [(name, m, v) for m, v in money(minutes, pay, weeks, fte_hours_per_week,
                                                    int(values["answered"])).items()]
    return pd.DataFrame(rows, columns=["channel", "metric", "value"])


def _door_rates(outcomes: np.ndarray) -> dict[str, float]:
    """:data:`SELF_SERVICE_METRICS` of the front-door outcomes (labels) of some contacts;
    those that met none, and those still with the door when the run stopped, are left
    out."""
    count = {o: int(np.sum(outcomes == o)) for o in ("contained", "false_containment",
                                                      "escalated", "abandoned")}
    done = sum(count.values())
    contained = count["contained"] + count["false_containment"]
    return {"containment_rate": contained / done if done else math.nan,
            "bot_escalation_rate": count["escalated"] / done if done else math.nan,
            "false_containment_rate": (count["false_containment"] / contained if contained
                                       else math.nan)}


def _discovery(contacts: pd.DataFrame) -> dict[str, float]:
    """:data:`LISTENING_METRICS` of some contacts (their untagged posts)."""
    untagged = contacts["untagged"].to_numpy(bool)
    found = contacts["discovered_min"].to_numpy(float)[untagged]
    delay = found - contacts["arrival_min"].to_numpy(float)[untagged]
    seen = ~np.isnan(found)
    return {"discovered_share": float(seen.mean()) if len(seen) else math.nan,
            "time_to_discovery_min": float(delay[seen].mean()) if seen.any() else math.nan}


def money(minutes: Mapping[str, float], pay: Mapping[str, tuple[float, float]], weeks: float,
          fte_hours_per_week: float, handled: int) -> dict[str, float]:
    """Staff and money of staffed agent-minutes per pool (one channel's share, or all).

    ``paid_hours``: staffed hours / (1 - shrinkage), the hours paid for those on the floor
    (shrinkage: the share of paid time spent off it: breaks, training, absence);
    ``fte``: paid hours per week / ``fte_hours_per_week``; ``cost``: paid hours times each
    pool's hourly cost; ``cost_per_contact``: cost / contacts handled. Cost rows only when
    some pool has a cost (a study that sets none has no costs to report).
    """
    paid = cost = 0.0
    for pool, m in minutes.items():
        cost_per_hour, shrinkage = pay.get(pool, (0.0, 0.0))
        hours = m / 60.0 / (1.0 - shrinkage)
        paid += hours
        cost += hours * cost_per_hour
    out = {"paid_hours": paid,
           "fte": paid / weeks / fte_hours_per_week if weeks > 0 else math.nan}
    if any(c for c, _ in pay.values()):
        out |= {"cost": cost, "cost_per_contact": cost / handled if handled else math.nan}
    return out


def summarise(per_replication: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Across replications: ``channel, metric, mean, ci_low, ci_high, n``.

    ``per_replication`` has columns ``replication, channel, metric, value``.
    """
    order = {m: i for i, m in enumerate(METRICS)}
    rows = []
    for (ch, metric), g in per_replication.groupby(["channel", "metric"], sort=False):
        rows.append((ch, metric, *summary_ci(g["value"], metric, level)))
    out = pd.DataFrame(rows, columns=["channel", "metric", "mean", "ci_low", "ci_high", "n"])
    channels = list(dict.fromkeys(per_replication["channel"]))
    out["_c"] = out["channel"].map({c: i for i, c in enumerate(channels)})
    out["_m"] = out["metric"].map(lambda m: order.get(m, len(order)))
    return out.sort_values(["_c", "_m"]).drop(columns=["_c", "_m"]).reset_index(drop=True)


def intervals(contacts: pd.DataFrame, staffing: pd.DataFrame, segments: pd.DataFrame,
              serving: dict[str, list[str]], interval_min: float,
              horizon_min: float) -> pd.DataFrame:
    """Per-interval table of one replication (see README: ``intervals.parquet``)."""
    edges = np.arange(0.0, horizon_min + 1e-9, interval_min)
    if edges[-1] < horizon_min:
        edges = np.append(edges, horizon_min)
    n_int = len(edges) - 1
    base = {"interval": np.arange(n_int), "start_min": edges[:-1],
            "day": (edges[:-1] // 1440).astype(int) % 7}
    frames = []
    read = queue_contacts(contacts)[["channel", "arrival_min", "answered", "abandoned",
                                     "wait_min", "target_min"]]
    for name in serving:
        g = _rows(read, read["channel"] == name)
        idx = np.searchsorted(edges, g["arrival_min"].to_numpy(), side="right") - 1
        ok = (idx >= 0) & (idx < n_int)
        count = lambda mask: np.bincount(idx[ok & mask], minlength=n_int)[:n_int]
        answered = g["answered"].to_numpy()
        met = answered & (g["wait_min"].to_numpy() <= g["target_min"].to_numpy())
        arrivals = count(np.ones(len(g), bool))
        queue = step_integral(g["arrival_min"].to_numpy(), _wait_end(g), 1.0, edges)
        with np.errstate(invalid="ignore", divide="ignore"):
            sl = np.where(arrivals > 0, count(met) / arrivals, np.nan)
        frames.append(pd.DataFrame({**base, "scope": "channel", "name": name,
                                    "arrivals": arrivals, "answered": count(answered),
                                    "abandoned": count(g["abandoned"].to_numpy()),
                                    "service_level": sl, "queue_mean": queue / np.diff(edges),
                                    "agents": np.nan, "occupancy": np.nan}))
    for name in sorted({p for ps in serving.values() for p in ps}):
        busy, staffed = pool_time(segments, staffing, [name], edges)
        with np.errstate(invalid="ignore", divide="ignore"):
            occ = np.where(staffed > 0, busy / staffed, np.nan)
        frames.append(pd.DataFrame({**base, "scope": "pool", "name": name, "arrivals": 0,
                                    "answered": 0, "abandoned": 0, "service_level": np.nan,
                                    "queue_mean": np.nan, "agents": staffed / np.diff(edges),
                                    "occupancy": occ}))
    return pd.concat(frames, ignore_index=True)
