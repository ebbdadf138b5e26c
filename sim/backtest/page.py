"""``backtest.html``: the verdict first, then the errors per channel, the days the model
cannot explain, and per channel a figure of observed against simulated, interval by
interval, with the simulation's prediction band."""

from __future__ import annotations

import base64
import html
import io
from typing import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..plots import save_png
from ..report import _CSS, _table
from . import LEVEL, MATERIAL, METRICS, Verdict, inside, show

__all__ = ["channel_figure", "figures", "page"]

_LABELS = {"offered": "offered (contacts)", "abandon_rate": "abandon rate",
           "asa_s": "ASA (s)", "service_level": "service level"}


def channel_figure(bt: pd.DataFrame, channel: str) -> Figure:
    """One panel per metric: the band (shaded), the simulated mean (line) and the observed
    values (dots; red outside the band), against the interval's start."""
    rows = bt[bt["channel"] == channel]
    metrics = [m for m in METRICS if (rows["metric"] == m).any()]
    fig = Figure(figsize=(11, 2.1 * len(metrics) + 0.6), layout="constrained")
    axes = fig.subplots(len(metrics), 1, sharex=True, squeeze=False)[:, 0]
    for ax, metric in zip(axes, metrics):
        g = rows[rows["metric"] == metric]
        x = g["interval_start"].to_numpy()
        ax.fill_between(x, g["sim_low"], g["sim_high"], step="mid", color="#9ecae1",
                        alpha=0.6, linewidth=0, label=f"simulated {LEVEL:.0%} band")
        ax.plot(x, g["sim_mean"], color="#3182bd", linewidth=0.8, label="simulated mean")
        ok = inside(g)
        ax.scatter(x[ok], g["observed"].to_numpy()[ok], s=4, color="black",
                   label="observed, in the band")
        ax.scatter(x[~ok], g["observed"].to_numpy()[~ok], s=9, color="#d62728",
                   label="observed, outside")
        ax.set_ylabel(_LABELS[metric])
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper right", fontsize=7, ncols=4)
    axes[0].set_title(f"{channel}: observed vs simulated, per interval")
    return fig


def figures(bt: pd.DataFrame) -> dict[str, bytes]:
    """Each channel's figure as PNG bytes, by channel."""
    out = {}
    for channel in dict.fromkeys(bt["channel"]):
        buf = io.BytesIO()
        save_png(channel_figure(bt, channel), buf, 90)
        out[channel] = buf.getvalue()
    return out


def _img(channel: str, png: bytes) -> str:
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return (f'<figure><img src="{uri}" alt="{html.escape(channel)}: observed vs simulated">'
            "</figure>")


def _fmt(metric: str, x: float) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    return f"{x:+.3f}" if metric in ("abandon_rate", "service_level") else f"{x:+.3g}"


def page(bt: pd.DataFrame, period: pd.DataFrame, sc: pd.DataFrame, fl: pd.DataFrame,
         verdict: Verdict, notes: Mapping[str, str], pngs: Mapping[str, bytes]) -> str:
    """The whole page (self-contained: figures embedded, no scripts)."""
    esc = html.escape
    head = "Good enough to use" if verdict.good else "Not good enough to use"
    parts = [f"<h1>Back-test: {esc(head)}</h1>"]
    if verdict.good:
        parts.append(f"<p>{esc(str(verdict))}.</p>")
    else:
        parts.append("<p>The model does not reproduce the history:</p><ul>"
                     + "".join(f"<li>{esc(r)}</li>" for r in verdict.reasons) + "</ul>")
    parts += ["<h2>The whole period</h2>",
              f'<p class="caption">Observed over the history against the simulation\'s '
              f"mean and {LEVEL:.0%} band across replications. A difference matters when "
              "the observed value is outside the band and the difference is beyond: "
              + ", ".join(f"{m} {v:.0%}" if m in ("offered", "asa_s") else
                          f"{m} {v * 100:g} points" for m, v in MATERIAL.items())
              + ".</p>",
              _table(["channel", "metric", "observed", "simulated", "band", "difference",
                      "matters"],
                     [[r.channel, r.metric, show(r.metric, r.observed), show(r.metric, r.sim_mean),
                       f"{show(r.metric, r.sim_low)} to {show(r.metric, r.sim_high)}",
                       f"{r.difference:+.1%}" if r.relative else
                       f"{r.difference * 100:+.1f} points", "yes" if r.matters else "no"]
                      for r in period.itertuples()],
                     ["bad" if r.matters else "" for r in period.itertuples()]),
              "<h2>Errors per channel</h2>",
              f'<p class="caption">Over the history\'s intervals: bias = mean of simulated '
              f"minus observed (the metric's unit), relative bias = their sum over the "
              f"observed sum, MAPE over intervals observed above 0, coverage = share of "
              f"observed values inside the simulation's {LEVEL:.0%} band (nominal "
              f"{LEVEL:.0%}).</p>",
              _table(["channel", "metric", "intervals", "bias", "relative bias", "MAPE",
                      "coverage"],
                     [[r.channel, r.metric, str(r.n), _fmt(r.metric, r.bias),
                       f"{r.relative_bias:+.1%}" if np.isfinite(r.relative_bias) else "–",
                       f"{r.mape:.1%}" if np.isfinite(r.mape) else "–", f"{r.coverage:.1%}"]
                      for r in sc.itertuples()])]
    bad = fl[fl["flagged"].astype(bool)] if len(fl) else fl
    parts.append("<h2>What the model cannot explain</h2>")
    if bad.empty:
        parts.append("<p>No day has more intervals outside the band than a correct model "
                     "leaves outside.</p>")
    else:
        parts += ['<p class="caption">Days with more intervals outside the band than a '
                  "correct model leaves outside (what each replication leaves outside the "
                  "band of the others, as a beta-binomial; tail probability p, flagged below "
                  "1% Bonferroni-corrected over the days tested), and the intervals "
                  "outside.</p>",
                  _table(["channel", "metric", "day", "outside / intervals",
                          "a correct model", "p", "intervals"],
                         [[r.channel, r.metric, f"{r.day:%a %Y-%m-%d}",
                           f"{r.n_outside} / {r.n}", f"{r.expected:.1f}", f"{r.p_value:.2g}",
                           ", ".join(f"{t:%H:%M}" for t in r.outside)]
                          for r in bad.itertuples()])]
    parts.append("<h2>Observed and simulated</h2>")
    parts += [_img(channel, png) for channel, png in pngs.items()]
    parts += ["<h2>Run</h2>", _table(["item", "value"], [[k, v] for k, v in notes.items()])]
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>Back-test</title><style>{_CSS}</style></head>\n<body>\n"
            + "\n".join(parts) + "\n</body></html>\n")
