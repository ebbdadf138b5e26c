"""The interactive page's figures (plotly, which Dash draws in the browser), each a pure
function of what :mod:`sim.app.lab` computed.

Times on the axes are in seconds for waits (a student reads "20 s") and hours for the day.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .lab import Comparison, Exploration, wait_cdf

__all__ = ["METRIC_NAMES", "comparison_figure", "trace_figure", "wait_figure"]

_SIM, _THEORY, _TARGET = "#1f77b4", "#d62728", "#7f7f7f"
_LAYOUT = dict(template="plotly_white", height=340, margin=dict(l=60, r=20, t=50, b=50),
               legend=dict(yanchor="top", y=0.99, xanchor="right", x=0.99))


def _theory_curve(e: Exploration, upto_min: float, points: int = 60) -> np.ndarray | None:
    """Share of all arrivals answered within each of ``points`` waits up to ``upto_min``,
    by the prediction's formula (None when it has none)."""
    if e.prediction.metrics is None:
        return None
    return np.array([e.prediction.at(t).service_level
                     for t in np.linspace(0.0, upto_min, points)])


def wait_figure(e: Exploration) -> go.Figure:
    """Share of contacts answered within each wait: the simulation's (all replications,
    warm-up left out) against the formula's, with the service-level target marked."""
    x, y = wait_cdf(e.waits, e.answered_share)
    upto = max(float(np.quantile(e.waits, 0.99)) if len(e.waits) else 0.0,
               2 * e.queue.target_s / 60.0, 1 / 60)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=np.append(0.0, x) * 60, y=np.append(0.0, y), mode="lines",
                             line=dict(color=_SIM, shape="hv"), name="simulated"))
    theory = _theory_curve(e, upto)
    if theory is not None:
        grid = np.linspace(0.0, upto, len(theory))
        fig.add_trace(go.Scatter(x=grid * 60, y=theory, mode="lines", name=e.prediction.formula,
                                 line=dict(color=_THEORY, dash="dash")))
    fig.add_vline(x=e.queue.target_s, line=dict(color=_TARGET, dash="dot"),
                  annotation_text=f"target {e.queue.target_s:g} s")
    fig.update_layout(**{**_LAYOUT, "legend": dict(yanchor="bottom", y=0.05, xanchor="right",
                                                   x=0.99)},
                      title="Answered within a wait (share of all contacts)")
    fig.update_xaxes(title="wait (seconds)", range=[0, upto * 60])
    fig.update_yaxes(title="share of contacts", range=[0, 1], tickformat=".0%")
    return fig


def trace_figure(e: Exploration) -> go.Figure:
    """Contacts waiting over one simulated day (the first replication), with the mean
    queue length the formula predicts (Little's law: arrival rate x mean wait)."""
    t = e.trace
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=t["time_min"] / 60.0, y=t["waiting"], mode="lines",
                             line=dict(color=_SIM, shape="hv", width=1), name="waiting"))
    m = e.prediction.metrics
    if m is not None:
        lq = e.queue.rate_per_hour / 60.0 * m.mean_wait_min
        fig.add_hline(y=lq, line=dict(color=_THEORY, dash="dash"),
                      annotation_text=f"{e.prediction.formula} mean {lq:.2g}")
    fig.update_layout(**_LAYOUT, title="Queue length over one simulated day")
    fig.update_xaxes(title="hour (the first hour is the warm-up)")
    fig.update_yaxes(title="contacts waiting", rangemode="tozero")
    return fig


METRIC_NAMES = {"service_level": "service level", "frt_p90_min": "first response p90 (min)",
          "dissatisfaction_rate": "dissatisfied share", "abandon_rate": "abandoned share"}


def comparison_figure(c: Comparison) -> go.Figure:
    """Paired difference (B - A) of each compared metric per channel, with its 95%
    interval: one panel per metric, coloured by the verdict (green: B better by at least
    the margin that matters, red: worse, purple: equivalent, grey: inconclusive)."""
    from plotly.subplots import make_subplots  # noqa: PLC0415 - only for this figure

    metrics = [m for m in METRIC_NAMES if m in set(c.paired["metric"])] if len(c.paired) else []
    fig = make_subplots(rows=1, cols=max(1, len(metrics)), shared_yaxes=True,
                        subplot_titles=[METRIC_NAMES[m] for m in metrics] or [""])
    colour = {"better": "#2ca02c", "worse": "#d62728", "equivalent": "#9467bd",
              "inconclusive": "#7f7f7f", "none": "#7f7f7f"}
    for i, metric in enumerate(metrics, start=1):
        rows = c.paired[c.paired["metric"] == metric]
        for word, g in rows.groupby("verdict", sort=False):
            fig.add_trace(go.Scatter(
                x=g["diff"], y=g["channel"], mode="markers", name=word,
                legendgroup=word, showlegend=word not in {t.name for t in fig.data},
                marker=dict(color=colour[word], size=9),
                error_x=dict(type="data", symmetric=False, array=g["hi"] - g["diff"],
                             arrayminus=g["diff"] - g["lo"])), row=1, col=i)
        fig.add_vline(x=0, line=dict(color=_TARGET, dash="dot"), row=1, col=i)
    fig.update_layout(**{**_LAYOUT, "height": 400, "margin": dict(l=60, r=20, t=80, b=70),
                         "legend": dict(orientation="h", yanchor="top", y=-0.12, x=0)},
                      title=f"B - A on the same customers ({c.replications} paired runs of "
                            f"{c.days:g} day{'s' if c.days != 1 else ''})")
    return fig

