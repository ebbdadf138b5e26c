"""Figures of simulation results, drawn from the engine's output tables.

Every function is a pure function of a table (``contacts``, ``intervals`` or
``summary``; times in minutes from simulation start) and returns a fresh
:class:`matplotlib.figure.Figure`. Figures are built with the object API, never
through ``pyplot``, so nothing global is touched, nothing is shown, and the
module works under the headless Agg backend that reports are rendered with.
Channels get the same colour in every figure as long as the channel set is equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import (FixedLocator, FuncFormatter, MaxNLocator, MultipleLocator,
                               NullLocator, PercentFormatter)

__all__ = ["WAIT_FLOOR_MIN", "dissatisfaction_by_cause", "format_duration", "frt_cdf",
           "interval_profile", "save_png", "service_level_bars"]

WAIT_FLOOR_MIN = 1.0 / 60.0
"""Shortest wait drawn on a log time axis, in minutes (1 s); shorter waits are clipped to it."""

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Round durations (minutes) that read well as tick labels; the coarse set takes over
# when the fine one would crowd a wide axis.
_FINE_TICKS = np.array([1 / 60, 5 / 60, 15 / 60, 30 / 60, 1, 2, 5, 15, 30, 60, 120, 240, 480,
                        1440, 2880, 5760, 10080, 20160, 43200])
COARSE_TICKS = np.array([1 / 60, 10 / 60, 1, 10, 60, 480, 1440, 10080, 43200])
_MAX_TICKS = 9
_MAX_ECDF_POINTS = 4000
_EPS = 1e-9
_NOTE = {"ha": "center", "va": "center", "color": "0.45", "fontsize": 11}


def save_png(fig: Figure, target: Any, dpi: int) -> None:
    """Save ``fig`` as PNG to ``target`` (a path or a binary file), every text drawn as
    written, never parsed as mathtext.

    Titles, legends and tick labels carry names from the config (channels, pools, policy
    settings); a channel called ``ph$_$one`` would otherwise be parsed as mathtext when the
    figure is saved and fail, after the whole simulation. Texts made while drawing (tick
    labels) follow the rc setting, those made before are switched one by one.
    """
    import matplotlib  # noqa: PLC0415
    from matplotlib.text import Text  # noqa: PLC0415

    for text in fig.findobj(Text):
        text.set_parse_math(False)
    with matplotlib.rc_context({"text.parse_math": False}):
        fig.savefig(target, dpi=dpi, format="png")


def format_duration(minutes: float) -> str:
    """Format a duration compactly: ``"20s"``, ``"1min"``, ``"1.5h"``, ``"2d"``.

    Parameters
    ----------
    minutes : float
        Duration in minutes.

    Returns
    -------
    str
        The duration in the largest unit (s, min, h, d) in which it is at least 1.
    """
    if not np.isfinite(minutes):
        return "–"
    for unit, size in (("d", 1440.0), ("h", 60.0), ("min", 1.0)):
        if minutes >= size * (1 - _EPS):
            return f"{minutes / size:.3g}{unit}"
    return f"{minutes * 60:.3g}s"


def _colours(names: Iterable[str] | pd.Series,
             base: Mapping[str, tuple[float, ...]] | None = None) -> dict[str, tuple[float, ...]]:
    """A stable name -> colour map: sorted names, so equal name sets get equal colours.

    Names already in ``base`` keep their colour, so a pool named like a channel matches it.
    """
    palette = colormaps["tab10"].colors
    unique = names.unique() if isinstance(names, pd.Series) else set(names)  # fast on long columns
    out = dict(base or {})
    for name in sorted({str(n) for n in unique} - set(out)):
        out[name] = palette[len(out) % len(palette)]
    return out


def _require(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{what} table lacks column(s) {missing}")


def log_time_axis(ax: Axes, lo: float, hi: float) -> tuple[float, float]:
    """Put a log time axis on ``ax`` spanning at least [lo, hi] minutes; return its limits."""
    # Snapping the limits outward to round durations guarantees at least two labelled ticks;
    # the 5% headroom keeps a target or wait that sits on a round duration off the frame.
    hi *= 1.05
    below, above = _FINE_TICKS[_FINE_TICKS <= lo * (1 + _EPS)], _FINE_TICKS[_FINE_TICKS >= hi]
    lo = below.max() if below.size else lo
    hi = above.min() if above.size else hi * 1.2
    if hi <= lo:
        hi = _FINE_TICKS[_FINE_TICKS > lo].min(initial=lo * 5)
    ticks = [t for t in _FINE_TICKS if lo * (1 - _EPS) <= t <= hi * (1 + _EPS)]
    if len(ticks) > _MAX_TICKS:
        ticks = [t for t in COARSE_TICKS if lo * (1 - _EPS) <= t <= hi * (1 + _EPS)]
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: format_duration(x)))
    return lo, hi


def ecdf_steps(xs: np.ndarray, right: float, top: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of the ECDF of sorted ``xs`` for a steps-post line from 0 up to ``top`` (the
    share the values are of: answered among arrivals) at ``right``."""
    if xs.size > _MAX_ECDF_POINTS:
        # Sampling on a fine log grid keeps long runs light to draw; a step of 0.5% in time
        # is invisible on the axis. The grid ends exactly at the largest wait.
        x = np.geomspace(xs[0], xs[-1], _MAX_ECDF_POINTS)
        y = np.searchsorted(xs, x, side="right") / xs.size
    else:
        x, y = xs, np.arange(1, xs.size + 1) / xs.size
    return np.concatenate([[xs[0]], x, [right]]), np.concatenate([[0.0], y * top, [top]])


def frt_cdf(contacts: pd.DataFrame, targets_min: Mapping[str, float] | None = None) -> Figure:
    """Share of a channel's arrivals answered within each time, on a log time axis.

    Contacts outside the warm-up count, all replications pooled; each curve tops out at its
    channel's answered share, so a channel that makes customers abandon does not look fast.

    Parameters
    ----------
    contacts : pandas.DataFrame
        The contacts table (needs ``channel``, ``wait_min`` [min], ``answered``, ``warmup``).
    targets_min : Mapping[str, float], optional
        Response-time target per channel, in minutes, drawn as a dotted vertical line in
        the channel's colour; a Series such as
        ``contacts.groupby("channel")["target_min"].first()`` works. Channels absent from
        ``contacts`` are ignored.

    Returns
    -------
    matplotlib.figure.Figure
        One axes: one step line per channel with answered contacts, plus one line per target.
        Waits under 1 s (:data:`WAIT_FLOOR_MIN`) are drawn at 1 s; the gap above a curve's
        end is the share abandoned or never answered.
    """
    _require(contacts, ("channel", "wait_min", "answered", "warmup"), "contacts")
    fig = Figure(figsize=(9, 5), layout="constrained")
    ax = fig.add_subplot()
    colours = _colours(contacts["channel"])
    read = contacts[["channel", "wait_min", "answered", "warmup"]]
    after = read[~read["warmup"].astype(bool)]
    kept = after[after["answered"].astype(bool)]
    waits = {str(ch): np.sort(np.clip(g["wait_min"].dropna().to_numpy(float), WAIT_FLOOR_MIN, None))
             for ch, g in kept.groupby("channel", observed=True)}
    arrivals = {str(ch): n for ch, n in after.groupby("channel", observed=True).size().items()}
    # ``or {}`` would fail on a pandas Series, a natural way to pass per-channel targets.
    targets = {str(ch): float(t) for ch, t in ({} if targets_min is None else targets_min).items()
               if str(ch) in colours and np.isfinite(t) and t > 0}
    points = np.concatenate([np.empty(0), *waits.values(), list(targets.values())])
    lo = max(points.min(), WAIT_FLOOR_MIN) if points.size else WAIT_FLOOR_MIN
    lo, hi = log_time_axis(ax, lo, points.max() if points.size else 1440.0)
    handles, empty = [], []
    for ch, colour in colours.items():
        xs = waits.get(ch, np.empty(0))
        if xs.size:
            share = xs.size / arrivals[ch]
            x, y = ecdf_steps(xs, hi, share)
            handles += ax.plot(x, y, drawstyle="steps-post", color=colour, lw=1.8,
                               label=f"{ch} ({share:.0%} of {arrivals[ch]:,} answered)")
        else:
            empty.append(ch)
        if ch in targets:
            ax.axvline(targets[ch], color=colour, ls=":", lw=1.6)
    if targets:
        handles.append(Line2D([], [], color="0.35", ls=":", lw=1.6, label="response target"))
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                  title="Channel")
    if not any(w.size for w in waits.values()):
        ax.text(0.5, 0.5, "No answered contacts after warm-up", transform=ax.transAxes, **_NOTE)
    elif empty:
        ax.text(0.01, 0.97, "No answered contacts: " + ", ".join(empty), transform=ax.transAxes,
                ha="left", va="top", color="0.45", fontsize=9)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(True, alpha=0.3)
    ax.set_xlabel("First-response time (log scale; waits under 1 s drawn at 1 s)")
    ax.set_ylabel("Arrivals answered within time (%)")
    ax.set_title("Arrivals answered within t (the gap above a curve: not answered)")
    return fig


_PANELS = (("channel", "arrivals", "Arrivals per interval"),
           ("channel", "queue_mean", "Mean number waiting"),
           ("pool", "agents", "Agents staffed (time-avg)"))


def interval_profile(intervals: pd.DataFrame) -> Figure:
    """Per-interval arrivals, queue length and staffing over the simulated horizon.

    Parameters
    ----------
    intervals : pandas.DataFrame
        The long-format intervals table (``replication``, ``interval``, ``start_min`` [min],
        ``day`` [0 = Monday], ``scope``, ``name`` and the value columns).

    Returns
    -------
    matplotlib.figure.Figure
        Three panels sharing the time axis: arrivals per channel, time-average number
        waiting per channel, time-average agents staffed per pool. Each line is the mean
        over replications, drawn as a step over its interval; with several replications a
        light band spans the min-max over replications. The axis is in hours from start,
        or in days (ticks at day changes, labelled with the weekday) beyond 48 h.
    """
    _require(intervals, ("replication", "interval", "start_min", "day", "scope", "name"), "intervals")
    fig = Figure(figsize=(10, 8.5), layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    grid = intervals.groupby("interval")[["start_min", "day"]].first().sort_index()
    starts = grid["start_min"].to_numpy(float)
    width = float(np.median(np.diff(starts))) if starts.size > 1 else 0.0
    in_days = starts.size > 0 and starts[-1] + width - starts[0] > 48 * 60
    scale = 1440.0 if in_days else 60.0
    n_reps = intervals["replication"].nunique()
    channels = _colours(intervals.loc[intervals["scope"] == "channel", "name"])
    colours = _colours(intervals.loc[intervals["scope"] == "pool", "name"], channels)
    for ax, (scope, column, label) in zip(axes, _PANELS):
        rows = intervals[intervals["scope"] == scope]
        if column not in rows or rows[column].notna().sum() == 0:
            ax.text(0.5, 0.5, f"No {scope} data", transform=ax.transAxes, **_NOTE)
        else:
            _profile_panel(ax, rows, column, grid, width, scale, colours, scope.capitalize())
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
    _day_axis(axes, grid, scale, in_days)
    if starts.size > 1:
        axes[-1].set_xlim(starts[0] / scale, (starts[-1] + width) / scale)
    elif starts.size == 1:
        # One interval has no known width: centre its markers and label only its start.
        axes[-1].set_xlim(starts[0] / scale - 0.5, starts[0] / scale + 0.5)
        axes[-1].xaxis.set_major_locator(FixedLocator([starts[0] / scale]))
    band = "; band = min–max over replications" if n_reps > 1 else ""
    fig.suptitle(f"Interval profile: mean over {n_reps} replication{'s' * (n_reps != 1)}{band}")
    return fig


def _profile_panel(ax: Axes, rows: pd.DataFrame, column: str, grid: pd.DataFrame,
                   width: float, scale: float, colours: Mapping[str, tuple[float, ...]],
                   legend_title: str) -> None:
    stats = rows.groupby(["name", "interval"])[column].agg(["mean", "min", "max"])
    several = rows["replication"].nunique() > 1
    x = grid["start_min"].to_numpy(float) / scale
    for name in sorted(rows["name"].astype(str).unique()):
        colour = colours[name]
        # Reindexing onto the full grid leaves gaps where a name has no row, instead of bridging.
        s = stats.loc[name].reindex(grid.index)
        if x.size == 1:
            ax.plot(x, s["mean"], marker="o", color=colour, label=name)
            continue
        # The extra point closes the last interval, so the final step has its full width.
        xe = np.append(x, x[-1] + width / scale)
        ext = {k: np.append(s[k].to_numpy(float), s[k].iloc[-1]) for k in ("mean", "min", "max")}
        ax.plot(xe, ext["mean"], drawstyle="steps-post", color=colour, lw=1.5, label=name)
        if several:
            ax.fill_between(xe, ext["min"], ext["max"], step="post", color=colour, alpha=0.18, lw=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title=legend_title)


def _day_axis(axes: Sequence[Axes], grid: pd.DataFrame, scale: float, in_days: bool) -> None:
    """Label the shared time axis and mark where the weekday changes."""
    changes = grid[grid["day"].ne(grid["day"].shift())]
    where = changes["start_min"].to_numpy(float) / scale
    names = [_DAY_NAMES[int(d) % 7] for d in changes["day"]]
    bottom = axes[-1]
    if in_days:
        step = max(1, int(np.ceil(len(where) / 14)))  # long horizons: keep labels legible
        bottom.xaxis.set_major_locator(FixedLocator(where[::step]))
        # Look the label up by position rather than tick index, which depends on the view.
        bottom.xaxis.set_major_formatter(FuncFormatter(
            lambda v, _pos: names[int(np.argmin(np.abs(where - v)))]))
        # Minor ticks every 6 h up to a week (beyond, they blur, and each costs a tick object
        # per panel: a fortnight's doubled the time to draw the figure).
        quarter = where.size <= 7
        if quarter:
            bottom.xaxis.set_minor_locator(MultipleLocator(0.25))
        bottom.set_xlabel("Days from start (ticks where the weekday changes"
                          + ("; minor ticks every 6 h)" if quarter else ")"))
        return
    bottom.xaxis.set_major_locator(MaxNLocator(nbins=12, steps=[1, 2, 3, 6, 10]))
    first = f" (starts on {names[0]})" if names else ""
    bottom.set_xlabel(f"Hours from start{first}")
    for x, name in list(zip(where, names))[1:]:
        for ax in axes:
            ax.axvline(x, color="0.5", ls="--", lw=0.8)
        axes[0].text(x, 0.97, f" {name}", transform=axes[0].get_xaxis_transform(),
                     va="top", ha="left", color="0.35", fontsize=9)


def service_level_bars(summary: pd.DataFrame, metric: str = "service_level") -> Figure:
    """Bar chart of a share metric per channel, with confidence-interval whiskers.

    Parameters
    ----------
    summary : pandas.DataFrame
        The long summary table (``channel, metric, mean, ci_low, ci_high``).
    metric : str
        A share metric in [0, 1] (default ``"service_level"``); drawn in percent.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with one bar per channel (sorted, ``"all"`` last, in grey), each tick
        labelled with the channel and its mean; a NaN mean gives no bar and "n/a".
        Whiskers are cut to [0, 100] %.
    """
    _require(summary, ("channel", "metric", "mean", "ci_low", "ci_high"), "summary")
    rows = summary[summary["metric"] == metric].drop_duplicates("channel", keep="last")
    channels = sorted(c for c in rows["channel"].astype(str) if c != "all")
    order = channels + ["all"] * bool((rows["channel"] == "all").any())
    rows = rows.set_index(rows["channel"].astype(str)).reindex(order)
    fig = Figure(figsize=(max(5.0, 1.2 * len(order) + 2.5), 4.5), layout="constrained")
    ax = fig.add_subplot()
    label = metric.replace("_", " ").capitalize()
    ax.set_title(f"{label} by channel (bar: mean; whisker: confidence interval)")
    ax.set_ylabel(f"{label} (%)")
    ax.set_ylim(0, 105)
    ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    if not order:
        ax.text(0.5, 0.5, f"No {metric} rows in summary", transform=ax.transAxes, **_NOTE)
        return fig
    # A share lies in [0, 100] %, so cutting a t-interval there keeps its coverage.
    mean, lo, hi = (np.clip(rows[k].to_numpy(float) * 100, 0, 100) for k in ("mean", "ci_low", "ci_high"))
    err = np.nan_to_num(np.clip([mean - lo, hi - mean], 0, None))  # missing CI: no whisker
    palette = _colours(channels)
    ax.bar(range(len(order)), np.nan_to_num(mean), yerr=err, capsize=4, ecolor="0.2",
           color=[palette.get(c, (0.6, 0.6, 0.6)) for c in order])
    # Values go in the tick labels, where whiskers can never cover them.
    ax.set_xticks(range(len(order)), [f"{c}\n{m:.1f}%" if np.isfinite(m) else f"{c}\nn/a"
                                      for c, m in zip(order, mean)])
    ax.grid(True, axis="y", alpha=0.3)
    return fig


_CAUSE_COLOURS = {"abandoned": "#d62728", "forced_switch": "#9467bd", "late": "#ff7f0e"}


def dissatisfaction_by_cause(contacts: pd.DataFrame) -> Figure:
    """Share of contacts dissatisfied, per channel, stacked by cause; pile-ons beside it.

    Parameters
    ----------
    contacts : pandas.DataFrame
        ``contacts.parquet`` rows (``channel``, ``dissatisfaction_cause``, ``warmup``; and
        ``origin``, ``public``, ``negative`` for the pile-on panel). Warm-up rows are left out.

    Returns
    -------
    matplotlib.figure.Figure
        Left: per channel (and ``all``), the share of contacts dissatisfied, one stacked
        segment per cause (abandoned, forced switch, late), pooled over replications.
        Right, when any channel is public: pile-ons per original public complaint.
    """
    _require(contacts, ("channel", "dissatisfaction_cause", "warmup"), "contacts")
    read = contacts[[n for n in ("channel", "dissatisfaction_cause", "warmup", "public",
                                 "origin", "negative") if n in contacts]]
    c = read[~read["warmup"].to_numpy(bool)]
    # Counted on categories (codes), never by turning every row into a string.
    channel = pd.Categorical(c["channel"])
    cause = pd.Categorical(c["dissatisfaction_cause"])
    present = np.bincount(channel.codes[channel.codes >= 0], minlength=len(channel.categories))
    channels = sorted(str(n) for n, k in zip(channel.categories, present) if k)
    order = channels + ["all"]
    causes = [k for k in _CAUSE_COLOURS]
    known = (channel.codes >= 0) & (cause.codes >= 0)
    n_causes = len(cause.categories)
    cells = np.bincount(channel.codes[known].astype(np.int64) * n_causes + cause.codes[known],
                        minlength=len(channel.categories) * n_causes)
    counts = pd.DataFrame(cells.reshape(len(channel.categories), n_causes),
                          index=[str(n) for n in channel.categories],
                          columns=[str(n) for n in cause.categories])
    counts = counts.reindex(index=channels, columns=causes, fill_value=0)
    counts.loc["all"] = counts.sum()
    totals = pd.Series(present, index=[str(n) for n in channel.categories]).reindex(
        channels, fill_value=0)
    totals["all"] = totals.sum()
    shares = counts.div(totals.replace(0, np.nan), axis=0).fillna(0.0) * 100
    public = bool("public" in c and c["public"].any())
    fig = Figure(figsize=(max(6.0, 1.1 * len(order) + 3) + 3.5 * public, 4.5),
                 layout="constrained")
    axes = fig.subplots(1, 2, width_ratios=[len(order), 3]) if public else [fig.add_subplot()]
    ax = axes[0]
    bottom = np.zeros(len(order))
    for cause in causes:
        ax.bar(range(len(order)), shares[cause].to_numpy(), bottom=bottom,
               color=_CAUSE_COLOURS[cause], label=cause.replace("_", " "))
        bottom += shares[cause].to_numpy()
    ax.set_xticks(range(len(order)), [f"{ch}\n{b:.1f}%" for ch, b in zip(order, bottom)])
    ax.set_ylabel("Contacts dissatisfied (%)")
    ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.set_title("Dissatisfied contacts by cause")
    ax.legend(loc="upper left", frameon=False)
    ax.grid(True, axis="y", alpha=0.3)
    if public:
        pub = c[c["public"].to_numpy(bool)]
        names = sorted(pub["channel"].astype(str).unique())
        is_pile = (pub["origin"].astype(str) == "pileon").to_numpy()
        ratio = []
        for name in names:
            mine = (pub["channel"].astype(str) == name).to_numpy()
            roots = np.sum(mine & pub["negative"].to_numpy(bool) & ~is_pile)
            ratio.append(np.sum(mine & is_pile) / roots if roots else np.nan)
        palette = _colours(channels)
        axes[1].bar(range(len(names)), np.nan_to_num(ratio), color=[palette[n] for n in names])
        axes[1].set_xticks(range(len(names)), [f"{n}\n{r:.3f}" for n, r in zip(names, ratio)])
        axes[1].set_title("Pile-ons per public complaint")
        axes[1].grid(True, axis="y", alpha=0.3)
    return fig
