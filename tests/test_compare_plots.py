"""Tests for sim.compare.plots (pure figure functions) and which figures sim.compare picks."""

from __future__ import annotations

from io import BytesIO

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from sim import compare
from sim.compare import plots as cp

from .test_compare import make_job


def png(fig: Figure) -> np.ndarray:
    """Render to PNG bytes and decode them again: the figure draws and is a real image."""
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    data = buf.getvalue()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = mpimg.imread(BytesIO(data), format="png")
    assert image.ndim == 3 and image.shape[0] > 50
    return image


def data_axes(fig: Figure) -> list:
    """Axes that are panels (not colorbars, not switched off)."""
    return [ax for ax in fig.axes if ax.axison and ax.get_label() != "<colorbar>"]


@pytest.fixture
def waits() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = [pd.DataFrame({"label": label, "channel": ch, "wait_min": rng.exponential(scale, 500)})
            for label, scale in (("routing=siloed", 5.0), ("routing=blended", 1.0))
            for ch in ("phone", "chat", "twitter", "email")]
    return pd.concat(rows, ignore_index=True)


def test_frt_cdf_overlay_one_panel_per_channel_one_line_per_label(waits):
    fig = cp.frt_cdf_overlay(waits, {"phone": 1 / 3, "twitter": 30.0})
    panels = data_axes(fig)
    assert [ax.get_title() for ax in panels] == ["chat", "email", "phone", "twitter"]
    for ax in panels:
        steps = [line for line in ax.get_lines() if line.get_drawstyle() == "steps-post"]
        assert len(steps) == 2
        assert ax.get_xscale() == "log"
        # Each step line ends at 100% and is nondecreasing.
        for line in steps:
            y = line.get_ydata()
            assert y[-1] == 1.0 and np.all(np.diff(y) >= 0)
    # The same label has the same colour in every panel.
    colours = {tuple(to_rgba(ln.get_color())) for ax in panels for ln in ax.get_lines()[:1]}
    assert len(colours) == 1
    targets = [ln for ax in panels for ln in ax.get_lines() if ln.get_linestyle() == ":"]
    assert len(targets) == 2
    png(fig)


def test_frt_cdf_overlay_tops_out_at_each_labels_answered_share(waits):
    """With ``answered_share``, a curve ends at the share of arrivals answered: a policy
    whose customers abandon cannot look fast by answering only the patient ones."""
    labels = list(dict.fromkeys(waits["label"]))
    shares = dict(zip(labels, (0.9, 0.6)))
    fig = cp.frt_cdf_overlay(waits.assign(answered_share=waits["label"].map(shares)))
    for ax in data_axes(fig):
        ends = sorted(line.get_ydata()[-1] for line in ax.get_lines()
                      if line.get_drawstyle() == "steps-post")
        assert ends == pytest.approx([0.6, 0.9])
    assert "tops out at the share answered" in fig.get_suptitle()


def test_frt_cdf_overlay_draws_at_most_max_labels_and_says_so(waits):
    fig = cp.frt_cdf_overlay(waits, max_labels=1)
    for ax in data_axes(fig):
        assert len(ax.get_lines()) == 1
    assert "first 1 of 2 shown" in fig.get_suptitle()


def test_frt_cdf_overlay_empty_and_bad_input(waits):
    png(cp.frt_cdf_overlay(waits.iloc[:0]))
    with pytest.raises(ValueError, match="wait_min"):
        cp.frt_cdf_overlay(waits.drop(columns="wait_min"))


def test_metric_curves_with_bands_and_lines():
    rows = []
    for line, shift in (("routing=siloed", 0.0), ("routing=blended", 0.1)):
        for x in (2, 4, 6):
            for metric, base in (("service_level", 0.3 + 0.1 * x), ("asa_min", 10.0 / x)):
                m = base + shift
                rows.append({"x": x, "line": line, "metric": metric, "mean": m,
                             "ci_low": m - 0.5, "ci_high": m + 0.5})
    fig = cp.metric_curves(pd.DataFrame(rows), "staffing.agents.twitter", line_label="routing",
                           channel="twitter")
    panels = data_axes(fig)
    assert [ax.get_title() for ax in panels] == ["service level (twitter)", "asa min (twitter)"]
    sl = panels[0]
    assert len(sl.get_lines()) == 2 and len(sl.collections) == 2  # a line and a band per label
    assert list(sl.get_xticks()) == [2, 4, 6]
    # Share bands are cut to [0, 100] %.
    for band in sl.collections:
        y = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
        assert y.min() >= 0 and y.max() <= 100
    np.testing.assert_allclose(sl.get_lines()[0].get_ydata(), [50, 70, 90])
    assert fig.legends  # two lines: a legend names them
    png(fig)


def test_heatmaps_annotate_every_cell_and_sort_numbers():
    rows = [{"x": x, "y": y, "metric": m, "mean": v}
            for x in ("10", "2", "4") for y in ("siloed", "blended")
            for m, v in (("service_level", 0.5), ("dissatisfaction_rate", 0.1))]
    fig = cp.heatmaps(pd.DataFrame(rows), "scenario.agents", "routing")
    panels = data_axes(fig)
    assert len(panels) == 2
    ax = panels[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "4", "10"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["siloed", "blended"]
    assert sorted(t.get_text() for t in ax.texts) == ["50.0%"] * 6
    png(fig)


def test_heatmaps_colour_the_better_end_blue_whichever_way_is_better():
    """Service level: higher is better; dissatisfaction: lower is. The better cell of each is
    blue (more blue than red), the worse red; occupancy has no better end: neutral scale."""
    rows = [{"x": x, "y": "a", "metric": m, "mean": v} for x, good in (("1", True), ("2", False))
            for m, v in (("service_level", 0.9 if good else 0.5),
                         ("dissatisfaction_rate", 0.1 if good else 0.4),
                         ("occupancy", 0.8 if good else 0.6))]
    fig = cp.heatmaps(pd.DataFrame(rows), "k", "y")
    for ax in data_axes(fig)[:2]:
        rgba = ax.images[0].to_rgba(ax.images[0].get_array())[0]  # row y=a: cells x=1, x=2
        good, bad = rgba[0], rgba[1]
        assert good[2] > good[0] and bad[0] > bad[2], ax.get_title()
        assert "blue: better" in ax.get_title()
    assert ax.images and "blue" not in data_axes(fig)[2].get_title()


def test_dissatisfaction_causes_stacks_shares_without_satisfied():
    counts = pd.DataFrame({"label": ["a", "a", "a", "b", "b"],
                           "cause": ["none", "late", "abandoned", "none", "late"],
                           "count": [70, 20, 10, 90, 10], "total": [100, 100, 100, 100, 100]})
    fig = cp.dissatisfaction_causes(counts)
    ax = data_axes(fig)[0]
    assert ax.get_legend() is not None
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["late", "abandoned"]  # "none" (satisfied) is not a cause
    totals = sorted(round(sum(p.get_width() for c in ax.containers for p in c
                              if abs(p.get_y() + p.get_height() / 2 - y) < 1e-9), 6)
                    for y in (0, 1))
    assert totals == [10.0, 30.0]
    png(fig)


def test_pareto_front():
    cost = [1, 2, 3, 2, 1, np.nan, 3]
    harm = [5, 3, 1, 4, 5, 0, 1]
    assert cp.pareto_front(cost, harm).tolist() == [True, True, True, False, True, False, True]
    assert cp.pareto_front([], []).tolist() == []


def test_cost_vs_dissatisfaction_marks_and_labels_the_front():
    points = pd.DataFrame({"label": ["cheap", "dear", "dominated"], "cost": [100.0, 200.0, 210.0],
                           "harm": [0.3, 0.1, 0.2]})
    for col in ("cost", "harm"):
        points[f"{col}_low"], points[f"{col}_high"] = points[col] * 0.9, points[col] * 1.1
    fig = cp.cost_vs_dissatisfaction(points, "dissatisfaction_rate")
    ax = data_axes(fig)[0]
    bold = {t.get_text() for t in ax.texts if t.get_fontweight() == "bold"}
    assert bold == {"cheap", "dear"}
    assert {t.get_text() for t in ax.texts} == {"cheap", "dear", "dominated"}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["dominated", "Pareto front"]
    png(fig)
    png(cp.cost_vs_dissatisfaction(points.iloc[:0]))


def test_comparison_figures_pick_curves_and_heatmaps_for_a_two_way_numeric_sweep(tmp_path):
    jobs = []
    for i, (agents, routing) in enumerate((a, r) for a in (2, 4, 6) for r in ("siloed", "blended")):
        values = {"service_level": np.array([0.5, 0.6]) + 0.05 * agents,
                  "dissatisfaction_rate": np.array([0.2, 0.3]), "mean_wait_min": [3.0, 4.0],
                  "agent_hours": np.array([100.0, 101.0]) * agents,
                  "dissatisfaction_index": [0.3, 0.4]}
        jobs.append(make_job(tmp_path / str(i), [f"scenario.pools.twitter.agents={agents}",
                                                 f"routing={routing}"], values,
                             channels=("twitter", "all"), contacts=True))
    figures = compare.comparison_figures(compare.load_jobs(jobs))
    assert set(figures) == {"frt_cdf_overlay", "dissatisfaction_causes", "cost_vs_dissatisfaction",
                            "curves_scenario.pools.twitter.agents",
                            "heatmap_scenario.pools.twitter.agents_routing"}
    curves = data_axes(figures["curves_scenario.pools.twitter.agents"])
    assert curves[0].get_title() == "service level (twitter)"  # the channel the key names
    for fig in figures.values():
        png(fig)


def test_comparison_figures_for_a_policy_only_sweep(tmp_path):
    jobs = [make_job(tmp_path / str(i), [f"routing={r}", f"seed={s}"], contacts=True)
            for i, (r, s) in enumerate((r, s) for r in ("siloed", "blended") for s in (1, 2))]
    figures = compare.comparison_figures(compare.load_jobs(jobs))
    assert set(figures) == {"frt_cdf_overlay", "dissatisfaction_causes", "cost_vs_dissatisfaction"}
    # Seeds are pooled: one line per routing in the CDF panels.
    for ax in data_axes(figures["frt_cdf_overlay"]):
        assert len([ln for ln in ax.get_lines() if ln.get_drawstyle() == "steps-post"]) == 2
