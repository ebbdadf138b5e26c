"""Figures that compare the jobs of a sweep: pure functions of small tables.

Each function takes a tidy table prepared by :mod:`.figures` (which reads the job
directories) and returns a fresh :class:`matplotlib.figure.Figure`, built with the object
API only (no ``pyplot``: nothing global is touched, headless Agg works). Times are in
minutes, shares (service level, rates) are drawn in percent. A *label* is what a line, bar
or point stands for: a job, or jobs that differ only in their seed, pooled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, PercentFormatter

from .. import plots as run_plots
from .paired import direction

__all__ = ["cost_vs_dissatisfaction", "dissatisfaction_causes", "frt_cdf_overlay", "heatmaps",
           "is_share", "metric_curves", "pareto_front"]

_NOTE = {"ha": "center", "va": "center", "color": "0.45", "fontsize": 11}
_CAUSE_COLOURS = {"late": "#ff7f0e", "abandoned": "#d62728", "forced_switch": "#9467bd"}
# Causes that are not a cause of dissatisfaction (the satisfied contacts).
_NOT_A_CAUSE = frozenset({"none", "", "nan", "None"})


def is_share(metric: str) -> bool:
    """Whether ``metric`` is a share in [0, 1], drawn in percent."""
    return (metric in {"service_level", "occupancy", "frac_delayed"}
            or metric.endswith(("_rate", "_share")) or metric.startswith("frac_"))


def _require(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{what} table lacks column(s) {missing}")


def _label_colours(labels: Sequence[str]) -> dict[str, tuple[float, ...]]:
    """One colour per label in the order given: tab10, then a sampled colormap beyond ten."""
    labels = list(dict.fromkeys(labels))
    if len(labels) <= 10:
        palette = colormaps["tab10"].colors
        return {lab: palette[i] for i, lab in enumerate(labels)}
    cmap = colormaps["viridis"]
    return {lab: cmap(i / (len(labels) - 1)) for i, lab in enumerate(labels)}


def _pretty(metric: str) -> str:
    return metric.replace("_", " ")


def _sorted_values(values: Sequence) -> list:
    """Distinct values, numerically sorted when all are numbers, else in first-seen order."""
    uniq = list(dict.fromkeys(values))
    num = pd.to_numeric(pd.Series(uniq, dtype=object), errors="coerce")
    if len(uniq) and num.notna().all():
        return [v for _, v in sorted(zip(num, uniq), key=lambda p: p[0])]
    return uniq


def _tick(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _thin_time_ticks(ax, lo: float, hi: float, most: int = 6) -> None:
    """Use the coarse round durations when the fine ones would crowd a narrow panel."""
    ticks = [t for t in ax.get_xticks() if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
    coarse = [t for t in run_plots.COARSE_TICKS if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
    if len(ticks) > most and len(coarse) >= 2:
        ax.xaxis.set_major_locator(FixedLocator(coarse))


def frt_cdf_overlay(waits: pd.DataFrame, targets_min: Mapping[str, float] | None = None, *,
                    max_labels: int = 12) -> Figure:
    """First-response-time CDFs of several jobs overlaid, one panel per channel.

    Parameters
    ----------
    waits : pandas.DataFrame
        One row per answered contact (after warm-up) to draw: ``label`` (the job, or jobs
        pooled), ``channel`` and ``wait_min``, the wait to first response in minutes, and
        optionally ``answered_share`` (of the label's arrivals in that channel): each curve
        then tops out there, so a policy that makes customers abandon does not look fast.
        The caller may subsample; the curve is the empirical CDF of the rows given.
    targets_min : Mapping[str, float], optional
        Response-time target per channel in minutes, drawn as a dotted vertical line.
    max_labels : int
        At most this many labels are drawn (the first ones, in table order); the title says
        so when some are left out, since more lines than that cannot be told apart.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per channel (sorted by name), each on a log time axis with one step line
        per label, in the same colour in every panel; waits under 1 s are drawn at 1 s. The
        legend (right) gives each label's colour.
    """
    _require(waits, ("label", "channel", "wait_min"), "waits")
    channels = sorted(waits["channel"].astype(str).unique())
    every = list(dict.fromkeys(waits["label"].astype(str)))
    labels = every[:max_labels]
    colours = _label_colours(labels)
    targets = {str(k): float(v) for k, v in ({} if targets_min is None else targets_min).items()
               if np.isfinite(v) and v > 0}
    ncols = min(3, max(1, len(channels)))
    nrows = max(1, math.ceil(len(channels) / ncols))
    fig = Figure(figsize=(4.4 * ncols + 3.0, 3.5 * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    if not channels:
        axes[0].text(0.5, 0.5, "No answered contacts after warm-up", transform=axes[0].transAxes,
                     **_NOTE)
        axes[0].set_axis_off()
        return fig
    w = waits.assign(channel=waits["channel"].astype(str), label=waits["label"].astype(str))
    for ax, channel in zip(axes, channels):
        g = w[w["channel"] == channel]
        curves = {lab: np.sort(np.clip(x["wait_min"].dropna().to_numpy(float),
                                       run_plots.WAIT_FLOOR_MIN, None))
                  for lab, x in g.groupby("label", sort=False)}
        tops = ({lab: float(x["answered_share"].iloc[0]) for lab, x in g.groupby("label", sort=False)}
                if "answered_share" in g else {})
        points = np.concatenate([np.empty(0), *curves.values()])
        target = targets.get(channel)
        if target is not None:
            points = np.append(points, target)
        lo = (max(points.min(), run_plots.WAIT_FLOOR_MIN) if points.size
              else run_plots.WAIT_FLOOR_MIN)
        lo, hi = run_plots.log_time_axis(ax, lo, points.max() if points.size else 1440.0)
        _thin_time_ticks(ax, lo, hi)
        for lab in labels:
            xs = curves.get(lab, np.empty(0))
            if xs.size:
                x, y = run_plots.ecdf_steps(xs, hi, tops.get(lab, 1.0))
                ax.plot(x, y, drawstyle="steps-post", color=colours[lab], lw=1.6)
        if target is not None:
            ax.axvline(target, color="0.2", ls=":", lw=1.4)
        ax.set_title(channel)
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.grid(True, alpha=0.3)
    for ax in axes[len(channels):]:
        ax.set_axis_off()
    for ax in axes[::ncols]:
        ax.set_ylabel("Arrivals answered within (%)")
    handles = [Line2D([], [], color=colours[lab], lw=2, label=lab) for lab in labels]
    if targets:
        handles.append(Line2D([], [], color="0.2", ls=":", lw=1.4, label="response target"))
    fig.legend(handles=handles, loc="outside right upper", frameon=False)
    shown = f"; first {len(labels)} of {len(every)} shown" if len(every) > len(labels) else ""
    topped = "; a curve tops out at the share answered" if "answered_share" in waits else ""
    fig.suptitle("First-response time by channel (after warm-up; log time"
                 f"{topped}{shown})")
    return fig


def metric_curves(points: pd.DataFrame, x_label: str, *, line_label: str | None = None,
                  channel: str = "all") -> Figure:
    """Metrics against a numeric parameter, with confidence bands; one line per second key.

    Parameters
    ----------
    points : pandas.DataFrame
        ``x`` (the parameter's value), ``line`` (the value of the second key, or ``""``),
        ``metric``, ``mean``, ``ci_low``, ``ci_high``: one row per point, already pooled over
        seeds and replications. Shares are in [0, 1], times in minutes.
    x_label : str
        The parameter's name, for the horizontal axis.
    line_label : str, optional
        Name of the key that distinguishes the lines (legend title).
    channel : str
        The channel the metrics are of, for the titles.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per metric (in first-seen order): a line with markers through the means
        and a band from ``ci_low`` to ``ci_high``, one per ``line`` value; shares in percent.
    """
    _require(points, ("x", "line", "metric", "mean", "ci_low", "ci_high"), "points")
    metrics = list(dict.fromkeys(points["metric"].astype(str)))
    lines = list(dict.fromkeys(points["line"].astype(str)))
    colours = _label_colours(lines)
    n = max(1, len(metrics))
    fig = Figure(figsize=(4.6 * n + (2.5 if len(lines) > 1 else 0.5), 4.2), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False).ravel()
    if not metrics:
        axes[0].text(0.5, 0.5, "No points", transform=axes[0].transAxes, **_NOTE)
        return fig
    for ax, metric in zip(axes, metrics):
        scale = 100.0 if is_share(metric) else 1.0
        d = points[points["metric"].astype(str) == metric]
        for line in lines:
            g = d[d["line"].astype(str) == line].assign(x=lambda t: pd.to_numeric(t["x"]))
            g = g.sort_values("x")
            if g.empty:
                continue
            x = g["x"].to_numpy(float)
            lo, hi = g["ci_low"].to_numpy(float) * scale, g["ci_high"].to_numpy(float) * scale
            if scale == 100.0:  # a share lies in [0, 100] %: cutting the interval keeps coverage
                lo, hi = np.clip(lo, 0, 100), np.clip(hi, 0, 100)
            ax.plot(x, g["mean"].to_numpy(float) * scale, marker="o", color=colours[line],
                    lw=1.6, label=line or None)
            ax.fill_between(x, lo, hi, color=colours[line], alpha=0.2, lw=0)
        xs = np.sort(pd.to_numeric(d["x"]).dropna().unique())
        if 0 < xs.size <= 12:  # few swept values: tick exactly those
            ax.set_xticks(xs, [_tick(float(v)) for v in xs])
        if scale == 100.0:
            ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
        ax.set_xlabel(x_label)
        ax.set_ylabel(_pretty(metric) + (" (%)" if scale == 100.0 else ""))
        ax.set_title(f"{_pretty(metric)} ({channel})")
        ax.grid(True, alpha=0.3)
    if len(lines) > 1:
        handles = [Line2D([], [], color=colours[lab], marker="o", label=lab) for lab in lines]
        fig.legend(handles=handles, loc="outside right upper", frameon=False, title=line_label)
    fig.suptitle(f"Metrics against {x_label} (line: mean; band: 95% confidence interval)")
    return fig


def heatmaps(points: pd.DataFrame, x_label: str, y_label: str, *, channel: str = "all") -> Figure:
    """Heatmaps of metrics over a two-way sweep, each cell annotated with its value.

    Parameters
    ----------
    points : pandas.DataFrame
        ``x``, ``y`` (the two keys' values), ``metric``, ``mean``: one row per cell and
        metric, already pooled over seeds. Shares in [0, 1] are shown in percent.
    x_label, y_label : str
        The two keys' names.
    channel : str
        The channel the metrics are of, for the titles.

    Returns
    -------
    matplotlib.figure.Figure
        One heatmap panel per metric; values of a numeric key are sorted numerically, other
        keys keep their first-seen order. Empty cells are blank. A metric with a better
        direction is drawn on a diverging scale, blue the better end and red the worse
        (:func:`sim.compare.paired.direction`); one without, on a neutral sequential scale.
    """
    _require(points, ("x", "y", "metric", "mean"), "points")
    metrics = list(dict.fromkeys(points["metric"].astype(str)))
    xs, ys = _sorted_values(list(points["x"])), _sorted_values(list(points["y"]))
    n = max(1, len(metrics))
    fig = Figure(figsize=(max(4.5, 0.9 * len(xs) + 2.5) * n, max(3.5, 0.55 * len(ys) + 2.2)),
                 layout="constrained")
    axes = fig.subplots(1, n, squeeze=False).ravel()
    if not metrics:
        axes[0].text(0.5, 0.5, "No points", transform=axes[0].transAxes, **_NOTE)
        return fig
    for ax, metric in zip(axes, metrics):
        sign = direction(metric)
        cmap = colormaps[{1: "RdBu", -1: "RdBu_r"}.get(sign, "viridis")]
        scale = 100.0 if is_share(metric) else 1.0
        d = points[points["metric"].astype(str) == metric]
        grid = np.full((len(ys), len(xs)), np.nan)
        for _, r in d.iterrows():
            grid[ys.index(r["y"]), xs.index(r["x"])] = float(r["mean"]) * scale
        finite = grid[np.isfinite(grid)]
        lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        image = ax.imshow(grid, cmap=cmap, aspect="auto", origin="lower",
                          vmin=lo, vmax=hi if hi > lo else lo + 1e-9)
        for (i, j), v in np.ndenumerate(grid):
            if np.isfinite(v):
                shade = cmap((v - lo) / (hi - lo)) if hi > lo else cmap(0.5)
                light = 0.299 * shade[0] + 0.587 * shade[1] + 0.114 * shade[2] > 0.55
                text = f"{v:.1f}%" if scale == 100.0 else f"{v:.3g}"
                ax.text(j, i, text, ha="center", va="center", fontsize=9,
                        color="black" if light else "white")
        ax.set_xticks(range(len(xs)), [_tick(v) for v in xs])
        ax.set_yticks(range(len(ys)), [_tick(v) for v in ys])
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        better = {1: "; blue: better (higher)", -1: "; blue: better (lower)"}.get(sign, "")
        ax.set_title(f"{_pretty(metric)} ({channel}{better})", fontsize=10)
        fig.colorbar(image, ax=ax, shrink=0.85,
                     format=PercentFormatter(100, decimals=0) if scale == 100.0 else None)
    return fig


def dissatisfaction_causes(counts: pd.DataFrame) -> Figure:
    """Share of contacts dissatisfied per job, stacked by cause.

    Parameters
    ----------
    counts : pandas.DataFrame
        ``label``, ``cause``, ``count`` (contacts after warm-up with that cause, all
        channels and replications) and ``total`` (all contacts after warm-up of that label,
        the same on each of its rows). Cause ``"none"`` (satisfied) is not drawn.

    Returns
    -------
    matplotlib.figure.Figure
        One horizontal stacked bar per label (first label on top), one segment per cause
        (late, abandoned, forced switch, then any other), each bar annotated with its total.
    """
    _require(counts, ("label", "cause", "count", "total"), "counts")
    labels = list(dict.fromkeys(counts["label"].astype(str)))
    c = counts[~counts["cause"].astype(str).isin(_NOT_A_CAUSE)]
    causes = [k for k in _CAUSE_COLOURS if k in set(c["cause"].astype(str))]
    causes += sorted(set(c["cause"].astype(str)) - set(causes))
    fig = Figure(figsize=(9.5, 1.2 + 0.45 * max(2, len(labels))), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title("Dissatisfied contacts by cause (all channels, after warm-up)")
    if not labels:
        ax.text(0.5, 0.5, "No contacts", transform=ax.transAxes, **_NOTE)
        return fig
    totals = counts.groupby(counts["label"].astype(str), sort=False)["total"].max()
    table = (c.assign(label=c["label"].astype(str), cause=c["cause"].astype(str))
             .pivot_table(index="label", columns="cause", values="count", aggfunc="sum")
             .reindex(index=labels, columns=causes).fillna(0.0))
    shares = table.div(totals.reindex(labels).replace(0, np.nan), axis=0).fillna(0.0) * 100
    y = np.arange(len(labels))[::-1]  # first label on top
    left = np.zeros(len(labels))
    others = iter(colormaps["Greys"](np.linspace(0.35, 0.7, max(1, len(causes)))))
    for cause in causes:
        colour = _CAUSE_COLOURS.get(cause) or next(others)
        ax.barh(y, shares[cause].to_numpy(), left=left, color=colour,
                label=cause.replace("_", " "))
        left += shares[cause].to_numpy()
    for yi, total in zip(y, left):
        ax.text(total, yi, f" {total:.1f}%", va="center", ha="left", fontsize=9)
    ax.set_yticks(y, labels)
    ax.set_xlim(0, max(1.0, float(left.max()) * 1.15))
    ax.xaxis.set_major_formatter(PercentFormatter(100))
    ax.set_xlabel("Contacts dissatisfied (%)")
    if causes:
        ax.legend(loc="lower right", frameon=True, fontsize=9)
    ax.grid(True, axis="x", alpha=0.3)
    return fig


def pareto_front(cost: Sequence[float], harm: Sequence[float]) -> np.ndarray:
    """Which points are non-dominated when both coordinates are to be minimised.

    Parameters
    ----------
    cost, harm : Sequence[float]
        The two coordinates of each point (e.g. agent-hours and a dissatisfaction measure).

    Returns
    -------
    numpy.ndarray of bool
        True where no other point is at least as good in both coordinates and strictly
        better in one. Points with a NaN coordinate are never on the front; equal points
        are all on it.
    """
    x, y = np.asarray(cost, float), np.asarray(harm, float)
    ok = np.isfinite(x) & np.isfinite(y)
    front = ok.copy()
    for i in np.flatnonzero(ok):
        dominated = ok & (x <= x[i]) & (y <= y[i]) & ((x < x[i]) | (y < y[i]))
        front[i] = not dominated.any()
    return front


def _annotate(ax, x: np.ndarray, y: np.ndarray, labels: np.ndarray, shown: Sequence[int],
              bold: np.ndarray) -> None:
    """Label points without overlaps: a label near an earlier one moves down, with a leader."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    fx = (x - x0) / ((x1 - x0) or 1.0)
    fy = (y - y0) / ((y1 - y0) or 1.0)
    placed: list[tuple[float, float]] = []
    for i in sorted(shown, key=lambda k: -fy[k] if np.isfinite(fy[k]) else 0.0):
        if not (np.isfinite(fx[i]) and np.isfinite(fy[i])):
            continue
        tx, ty = fx[i] + 0.012, fy[i] + 0.012
        while any(abs(tx - px) < 0.3 and abs(ty - py) < 0.04 for px, py in placed):
            ty -= 0.045
        placed.append((tx, ty))
        moved = abs(ty - fy[i] - 0.012) > 1e-9
        ax.annotate(labels[i], (x[i], y[i]), xytext=(tx, ty), textcoords="axes fraction",
                    fontsize=8.5, fontweight="bold" if bold[i] else "normal",
                    color="#a01010" if bold[i] else "0.35", va="center",
                    arrowprops={"arrowstyle": "-", "color": "0.6", "lw": 0.6} if moved else None)


def cost_vs_dissatisfaction(points: pd.DataFrame, harm_metric: str = "dissatisfaction_index") -> Figure:
    """Cost against dissatisfaction per job, with CI error bars and the Pareto front marked.

    Parameters
    ----------
    points : pandas.DataFrame
        One row per label: ``label``; ``cost``, ``cost_low``, ``cost_high`` (staffed
        agent-hours over the measured span, all channels, mean and 95% CI); ``harm``,
        ``harm_low``, ``harm_high`` (the dissatisfaction metric, all channels).
    harm_metric : str
        Name of the dissatisfaction metric, for the axis (a share is drawn in percent).

    Returns
    -------
    matplotlib.figure.Figure
        One axes: every label as a point with horizontal and vertical 95% error bars; the
        non-dominated labels (lower cost and lower dissatisfaction are better) in red,
        joined by a dashed staircase and labelled in bold; the others in grey, labelled
        when there are at most 15 points.
    """
    _require(points, ("label", "cost", "cost_low", "cost_high", "harm", "harm_low", "harm_high"),
             "points")
    fig = Figure(figsize=(9, 5.5), layout="constrained")
    ax = fig.add_subplot()
    scale = 100.0 if is_share(harm_metric) else 1.0
    ax.set_xlabel("Cost: staffed agent-hours (all pools)")
    ax.set_ylabel(_pretty(harm_metric) + (" (%)" if scale == 100.0 else "") + " (all channels)")
    ax.set_title("Cost vs dissatisfaction (bars: 95% CI; red: Pareto front, lower-left is better)")
    ax.grid(True, alpha=0.3)
    if points.empty:
        ax.text(0.5, 0.5, "No complete jobs", transform=ax.transAxes, **_NOTE)
        return fig
    x = points["cost"].to_numpy(float)
    y = points["harm"].to_numpy(float) * scale
    front = pareto_front(x, y)

    def err(mean: np.ndarray, lo: pd.Series, hi: pd.Series, k: float) -> np.ndarray:
        return np.nan_to_num(np.clip([mean - lo.to_numpy(float) * k, hi.to_numpy(float) * k - mean],
                                     0, None))

    xerr = err(x, points["cost_low"], points["cost_high"], 1.0)
    yerr = err(y, points["harm_low"], points["harm_high"], scale)
    for on, colour in ((False, "0.55"), (True, "#d62728")):
        m = front == on
        if m.any():
            ax.errorbar(x[m], y[m], xerr=xerr[:, m], yerr=yerr[:, m], fmt="o", color=colour,
                        ecolor=colour, elinewidth=1, capsize=3, ms=7 if on else 5,
                        label="Pareto front" if on else "dominated")
    if front.sum() > 1:
        order = np.argsort(x[front])
        ax.plot(x[front][order], y[front][order], drawstyle="steps-post", color="#d62728",
                ls="--", lw=1)
    shown = [i for i in range(len(points)) if front[i] or len(points) <= 15]
    _annotate(ax, x, y, points["label"].astype(str).to_numpy(), shown, front)
    if scale == 100.0:
        ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=1))
    ax.legend(loc="best", frameon=False)
    return fig


_VERDICT_COLOURS = {"better": "#2166ac", "worse": "#d6604d", "equivalent": "0.45",
                    "inconclusive": "#e0a030"}


def sensitivity(rows: pd.DataFrame, metric: str) -> Figure:
    """Does the verdict hold? The paired difference in ``metric`` of each policy against its
    baseline in every context (the swept assumptions held equal within a pair), a
    forest-plot row per context sorted by the difference, like a tornado chart.

    Parameters
    ----------
    rows : pandas.DataFrame
        ``paired.csv`` rows of one metric and channel: ``context``, ``baseline``,
        ``policy``, ``diff``, ``ci_low``, ``ci_high``, ``margin``, ``verdict``.
    metric : str
        The metric's name, for the axis (shares are drawn in percentage points).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per (policy, baseline): a dot and 95% whiskers per context, coloured by
        verdict, the band of differences too small to matter shaded around 0.
    """
    _require(rows, ("context", "baseline", "policy", "diff", "ci_low", "ci_high", "margin",
                    "verdict"), "rows")
    pairs = list(dict.fromkeys(zip(rows["policy"].astype(str), rows["baseline"].astype(str))))
    k = 100.0 if is_share(metric) else 1.0
    height = max(len(rows[(rows["policy"] == p) & (rows["baseline"] == b)]) for p, b in pairs)
    fig = Figure(figsize=(8.5, 1.2 + 0.45 * height * len(pairs) + 0.6 * len(pairs)),
                 layout="constrained")
    axes = fig.subplots(len(pairs), 1, squeeze=False).ravel()
    for ax, (policy, baseline) in zip(axes, pairs):
        g = rows[(rows["policy"] == policy) & (rows["baseline"] == baseline)].sort_values("diff")
        y = np.arange(len(g))
        margin = float(np.nanmean(g["margin"])) * k
        if np.isfinite(margin):
            ax.axvspan(-margin, margin, color="0.9", zorder=0)
        ax.axvline(0, color="0.3", lw=1)
        for i, (_, r) in enumerate(g.iterrows()):
            colour = _VERDICT_COLOURS.get(str(r["verdict"]), "0.2")
            ax.errorbar(r["diff"] * k, i, xerr=[[max(0.0, (r["diff"] - r["ci_low"]) * k)],
                                                [max(0.0, (r["ci_high"] - r["diff"]) * k)]],
                        fmt="o", color=colour, capsize=3, lw=1.6)
            ax.annotate(str(r["verdict"]), (r["ci_high"] * k, i), xytext=(6, 0),
                        textcoords="offset points", va="center", fontsize=9, color=colour)
        ax.set_yticks(y, [str(c) or "(no context)" for c in g["context"]])
        ax.set_ylim(-0.7, len(g) - 0.3)
        ax.set_title(f"{policy} − {baseline}", fontsize=10)
        ax.grid(True, axis="x", alpha=0.3)
        ax.margins(x=0.25)
    axes[-1].set_xlabel(f"Difference in {_pretty(metric)}"
                        + (" (percentage points)" if k == 100.0 else "")
                        + "; grey band: too small to matter")
    fig.suptitle(f"Does the verdict hold across the swept assumptions? ({metric}, all "
                 "channels; 95% intervals)", fontsize=11)
    return fig
