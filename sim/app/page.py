"""The interactive page: Dash components and the callbacks that answer them.

Tab *One queue*: sliders set a :class:`sim.app.lab.Queue`; every change simulates it
(bounded: :data:`sim.app.lab.MAX_CONTACTS`) and shows, beside the Erlang C/A prediction, the
simulated metrics with their 95% intervals, the wait distribution and a queue-length trace
of one simulated day. Tab *Two policies*: two policies of the default study on the same
customers, their paired differences per channel. A spinner covers what is being
recomputed; the page itself never waits for it (Dash serves each callback on its own
thread).
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html

from . import figures, lab

__all__ = ["create_app"]

#: (id, label, min, max, step, default, marks) of each slider of the queue tab.
SLIDERS: tuple[tuple[str, str, float, float, float, float, dict], ...] = (
    ("rate", "Arrival rate (contacts per hour)", 10, 400, 10, 100,
     {v: str(v) for v in (10, 100, 200, 300, 400)}),
    ("handle", "Mean handle time (minutes)", 1, 20, 0.5, 6, {v: str(v) for v in (1, 5, 10, 15, 20)}),
    ("agents", "Agents", 1, 60, 1, 12, {v: str(v) for v in (1, 10, 20, 30, 40, 50, 60)}),
    ("patience", "Mean patience (minutes; 0: nobody hangs up)", 0, 30, 1, 0,
     {v: str(v) for v in (0, 5, 10, 20, 30)}),
    ("concurrency", "Concurrency (chats an agent holds at once)", 1, 5, 1, 1,
     {v: str(v) for v in range(1, 6)}),
    ("branching", "Pile-on branching (0: a private channel)", 0, 0.9, 0.05, 0,
     {0: "0", 0.3: "0.3", 0.6: "0.6", 0.9: "0.9"}),
    ("target", "Service-level target (seconds)", 5, 120, 5, 20,
     {v: str(v) for v in (5, 20, 60, 120)}),
)
#: The metrics table of the queue tab: metric, label, scale to display units, unit.
ROWS = (("service_level", "service level (answered within the target)", 100, "%"),
        ("frac_delayed", "P(wait): share who wait at all", 100, "%"),
        ("asa_min", "ASA: mean wait of answered contacts", 60, " s"),
        ("abandon_rate", "abandoned share", 100, "%"),
        ("occupancy", "occupancy", 100, "%"),
        ("pileons_per_complaint", "pile-ons per complaint", 1, ""))
_STYLE = {"fontFamily": "system-ui, sans-serif", "maxWidth": "1200px", "margin": "0 auto",
          "padding": "0 16px"}
_CELL = {"padding": "4px 10px", "borderBottom": "1px solid #ddd", "textAlign": "right"}


def _slider(id_: str, label: str, lo: float, hi: float, step: float, value: float,
            marks: dict) -> html.Div:
    return html.Div([html.Label(label, htmlFor=id_),
                     dcc.Slider(id=id_, min=lo, max=hi, step=step, value=value, marks=marks,
                                tooltip={"placement": "bottom"})],
                    style={"marginBottom": "14px"})


def _number(x: float, scale: float, unit: str) -> str:
    if not math.isfinite(x):
        return "–"
    v = x * scale
    return f"{v:.3g}{unit}" if abs(v) < 100 else f"{v:.0f}{unit}"


def _metrics_table(e: lab.Exploration) -> html.Table:
    """Simulated mean [95% interval] beside the prediction, row by row."""
    head = html.Tr([html.Th("metric", style={**_CELL, "textAlign": "left"}),
                    html.Th("simulated [95% interval]", style=_CELL),
                    html.Th(e.prediction.formula, style=_CELL),
                    html.Th("theory inside?", style=_CELL)])
    body = []
    for metric, label, scale, unit in ROWS:
        mean, lo, hi = e.metric(metric)
        if metric == "pileons_per_complaint" and e.queue.branching == 0:
            continue
        theory = getattr(e.prediction.metrics, metric, math.nan) if e.prediction.metrics else math.nan
        inside = ("–" if not (math.isfinite(theory) and math.isfinite(lo)) else
                  "yes" if lo - 1e-12 <= theory <= hi + 1e-12 else "no")
        interval = (f"{_number(mean, scale, unit)} [{_number(lo, scale, unit)}, "
                    f"{_number(hi, scale, unit)}]") if math.isfinite(mean) else "–"
        body.append(html.Tr([html.Td(label, style={**_CELL, "textAlign": "left"}),
                             html.Td(interval, style=_CELL),
                             html.Td(_number(theory, scale, unit), style=_CELL),
                             html.Td(inside, style=_CELL)]))
    return html.Table([html.Thead(head), html.Tbody(body)],
                      style={"borderCollapse": "collapse", "margin": "8px 0"})


def _queue_tab() -> dcc.Tab:
    controls = html.Div([_slider(*s) for s in SLIDERS],
                        style={"flex": "0 0 330px", "paddingRight": "24px"})
    results = dcc.Loading(html.Div([
        html.P(id="queue-status"),
        html.Div(id="queue-table"),
        dcc.Graph(id="wait-figure", config={"displaylogo": False}),
        dcc.Graph(id="trace-figure", config={"displaylogo": False}),
    ]), type="default", delay_show=300)
    return dcc.Tab(label="One queue: theory vs simulation", value="queue", children=[
        html.Div([controls, html.Div(results, style={"flex": "1 1 auto", "minWidth": 0})],
                 style={"display": "flex", "marginTop": "16px"})])


def _policies_tab() -> dcc.Tab:
    labels = list(lab.POLICIES)
    choose = lambda id_, text, value: html.Div([  # noqa: E731
        html.Label(text, htmlFor=id_),
        dcc.Dropdown(id=id_, options=labels, value=value, clearable=False)],
        style={"flex": "1 1 300px", "marginRight": "16px"})
    return dcc.Tab(label="Two policies, same customers", value="policies", children=[
        html.P("The default study (six channels, a mid-size operation) under two policies, "
               "on the same simulated customers (the same seed): each run of A is paired "
               "with the run of B that saw the same customers."),
        html.Div([choose("policy-a", "Policy A (baseline)", labels[-2]),
                  choose("policy-b", "Policy B", labels[-1]),
                  html.Div([html.Label("Days simulated (each of 3 runs)", htmlFor="days"),
                            dcc.Slider(id="days", min=1, max=3, step=1, value=1,
                                       marks={1: "1", 2: "2", 3: "3"})],
                           style={"flex": "0 0 220px"})],
                 style={"display": "flex", "flexWrap": "wrap", "alignItems": "flex-end"}),
        html.Button("Compare", id="compare", n_clicks=0, style={"margin": "12px 0"}),
        dcc.Loading(html.Div([html.P(id="compare-status",
                                     children="Choose two policies and press Compare "
                                              "(a few seconds)."),
                              html.Div(id="compare-answer"),
                              dcc.Graph(id="compare-figure", config={"displaylogo": False},
                                        style={"display": "none"})]),
                    type="default")])


def _queue(rate: float, handle: float, agents: int, patience: float, concurrency: int,
           branching: float, target: float) -> lab.Queue:
    return lab.Queue(rate_per_hour=float(rate), mean_handle_min=float(handle),
                     agents=int(agents), mean_patience_min=float(patience) if patience else None,
                     concurrency=int(concurrency), branching=float(branching),
                     target_s=float(target))


def explore(*values: Any) -> tuple[Any, ...]:
    """The queue tab's outputs for the sliders' values (in :data:`SLIDERS` order)."""
    queue = _queue(*values)
    try:
        e = lab.explore(queue)
    except ValueError as err:
        empty = go.Figure()
        return str(err), None, empty, empty
    status = (f"Simulated {e.contacts:,} contacts: {e.replications} independent days of "
              f"{lab.DAY_MIN / 60:g} h, each after a {lab.WARMUP_MIN:g}-min warm-up left out "
              f"of the metrics, in {e.seconds:.2f} s. "
              + (f"Theory: {e.prediction.note}." if e.prediction.note else ""))
    return status, _metrics_table(e), figures.wait_figure(e), figures.trace_figure(e)


def _answer(c: lab.Comparison) -> html.Ul:
    """One line per compared metric over all channels: both means, B - A with its interval,
    the verdict against the smallest difference that matters."""
    rows = c.paired[c.paired["channel"] == "all"]
    items = []
    for _, r in rows.iterrows():
        share = r["metric"] != "frt_p90_min"
        scale, unit, diff_unit = (100, "%", " pp") if share else (1, " min", " min")
        margin = r["margin"] * scale
        items.append(html.Li(
            f"{figures.METRIC_NAMES.get(r['metric'], r['metric'])} (all channels): "
            f"A {r['a'] * scale:.3g}{unit}, B {r['b'] * scale:.3g}{unit}; B - A = "
            f"{r['diff'] * scale:+.2g}{diff_unit} [{r['lo'] * scale:+.2g}, "
            f"{r['hi'] * scale:+.2g}]: {r['verdict']}"
            + (f" (a difference that matters: {margin:.2g}{diff_unit})" if margin == margin
               else "")))
    return html.Ul(items)


def compare(n_clicks: int, a: str, b: str, days: int) -> tuple[Any, ...]:
    """The policies tab's outputs."""
    if a == b:
        return "Choose two different policies.", None, go.Figure(), {"display": "none"}
    c = lab.compare(a, b, days=float(days))
    status = (f"A = {a}; B = {b}. {c.replications} runs of {days} day(s) each, paired on the "
              f"same customers, in {c.seconds:.1f} s. Intervals are 95% Student-t over the "
              "paired differences.")
    return status, _answer(c), figures.comparison_figure(c), {"display": "block"}


def create_app() -> Dash:
    """The Dash application (``app.run()`` serves it)."""
    app = Dash(__name__, title="CareQueue teaching lab")
    app.layout = html.Div([
        html.H1("CareQueue teaching lab"),
        dcc.Tabs(id="tabs", value="queue", children=[_queue_tab(), _policies_tab()]),
    ], style=_STYLE)
    app.callback(Output("queue-status", "children"), Output("queue-table", "children"),
                 Output("wait-figure", "figure"), Output("trace-figure", "figure"),
                 *[Input(s[0], "value") for s in SLIDERS])(explore)
    app.callback(Output("compare-status", "children"), Output("compare-answer", "children"),
                 Output("compare-figure", "figure"), Output("compare-figure", "style"),
                 Input("compare", "n_clicks"), State("policy-a", "value"),
                 State("policy-b", "value"), State("days", "value"),
                 prevent_initial_call=True)(compare)
    return app
