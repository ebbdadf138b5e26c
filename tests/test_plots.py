"""Tests for sim.plots: figure structure, degenerate inputs, and PNG output."""

from __future__ import annotations

import re

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from sim import plots

CHANNELS = {"phone": 0.5, "chat": 2.0, "email": 240.0}  # median wait per channel [min]
TARGETS = {"phone": 20 / 60, "chat": 1.0, "email": 1440.0}


def make_contacts(rng: np.random.Generator, n: int = 300, reps: int = 2) -> pd.DataFrame:
    """Synthetic contacts: lognormal waits, some zero waits, ~10% abandoned, early ones warm-up."""
    frames = []
    for rep in range(reps):
        for ch, median in CHANNELS.items():
            wait = rng.lognormal(np.log(median), 1.0, n)
            wait[rng.random(n) < 0.1] = 0.0
            abandoned = rng.random(n) < 0.1
            arrival = np.sort(rng.uniform(0, 2880, n))
            frames.append(pd.DataFrame({
                "replication": rep, "contact_id": np.arange(n), "journey_id": np.arange(n),
                "channel": ch, "origin": ch, "arrival_min": arrival,
                "first_response_min": np.where(abandoned, np.nan, arrival + wait), "wait_min": wait,
                "answered": ~abandoned, "abandoned": abandoned, "resolved_min": np.nan, "pool": "general",
                "expectation_min": 5.0, "dissatisfied": False, "warmup": arrival < 120,
                "target_min": TARGETS[ch]}))
    return pd.concat(frames, ignore_index=True)


def make_intervals(rng: np.random.Generator, n_intervals: int, reps: int, width: float = 30.0,
                   channels: tuple[str, ...] = ("phone", "chat"), pools: tuple[str, ...] = ("general",),
                   first_day: int = 0) -> pd.DataFrame:
    rows = []
    for rep in range(reps):
        for k in range(n_intervals):
            start = k * width
            day = (first_day + int(start // 1440)) % 7
            common = {"replication": rep, "interval": k, "start_min": start, "day": day}
            for ch in channels:
                a = int(rng.poisson(10))
                rows.append({**common, "scope": "channel", "name": ch, "arrivals": a, "answered": a,
                             "abandoned": 0, "service_level": rng.uniform(0.6, 1.0),
                             "queue_mean": rng.gamma(2.0, 1.0), "agents": np.nan, "occupancy": np.nan})
            for pool in pools:
                rows.append({**common, "scope": "pool", "name": pool, "arrivals": 0, "answered": 5,
                             "abandoned": 0, "service_level": np.nan, "queue_mean": np.nan,
                             "agents": rng.uniform(3, 8), "occupancy": rng.uniform(0.5, 0.9)})
    return pd.DataFrame(rows)


@pytest.fixture
def contacts() -> pd.DataFrame:
    return make_contacts(np.random.default_rng(20240601))


@pytest.fixture
def summary() -> pd.DataFrame:
    rows = [("phone", 0.813, 0.80, 0.826), ("chat", 0.62, 0.58, 0.66), ("email", np.nan, np.nan, np.nan),
            ("all", 0.75, 0.73, 0.77)]
    return pd.DataFrame([{"channel": c, "metric": "service_level", "mean": m, "ci_low": lo, "ci_high": hi,
                          "n": 5} for c, m, lo, hi in rows])


def tick_labels(fig: Figure, ax_index: int = 0) -> list[str]:
    FigureCanvasAgg(fig).draw()  # tick labels are only final after a draw
    return [t.get_text() for t in fig.axes[ax_index].get_xticklabels() if t.get_text()]


def data_lines(ax) -> list:
    return [ln for ln in ax.get_lines() if ln.get_linestyle() != ":"]


# ---------------------------------------------------------------- format_duration

@pytest.mark.parametrize("minutes, text", [(1 / 60, "1s"), (20 / 60, "20s"), (1, "1min"), (15, "15min"),
                                           (60, "1h"), (90, "1.5h"), (1440, "1d"), (10080, "7d")])
def test_format_duration(minutes: float, text: str) -> None:
    assert plots.format_duration(minutes) == text


# ---------------------------------------------------------------- frt_cdf

@pytest.mark.parametrize("as_series", [False, True])
def test_frt_cdf_one_line_per_channel_plus_targets(contacts: pd.DataFrame, as_series: bool) -> None:
    fig = plots.frt_cdf(contacts, pd.Series(TARGETS) if as_series else TARGETS)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2 * len(CHANNELS)
    assert ax.get_xscale() == "log"
    lines = {ln.get_label().split(" ")[0]: ln for ln in data_lines(ax)}
    assert set(lines) == set(CHANNELS)
    for target in (ln for ln in ax.get_lines() if ln.get_linestyle() == ":"):
        x = target.get_xdata()[0]
        channel = next(ch for ch, t in TARGETS.items() if np.isclose(t, x))
        assert to_rgba(target.get_color()) == to_rgba(lines[channel].get_color())


def test_frt_cdf_tops_out_at_the_answered_share_after_warmup(contacts: pd.DataFrame) -> None:
    """Each curve is the share of arrivals (after warm-up) answered within t: it ends at the
    answered share, the gap above it abandoned or unanswered."""
    ax = plots.frt_cdf(contacts).axes[0]
    assert len(ax.get_lines()) == len(CHANNELS)  # no targets given, none drawn
    for ln in data_lines(ax):
        ch = ln.get_label().split(" ")[0]
        after = contacts[(contacts["channel"] == ch) & ~contacts["warmup"]]
        sel = after[after["answered"]]
        share = len(sel) / len(after)
        assert f"{share:.0%} of {len(after):,} answered" in ln.get_label()
        x, y = np.asarray(ln.get_xdata(), float), np.asarray(ln.get_ydata(), float)
        assert np.all(np.diff(y) >= 0) and y[0] == 0.0 and y[-1] == pytest.approx(share)
        assert x.min() >= plots.WAIT_FLOOR_MIN * (1 - 1e-12)  # zero waits clipped to 1 s
        assert np.isclose(np.max(x[:-1]), max(sel["wait_min"].max(), plots.WAIT_FLOOR_MIN))


def test_frt_cdf_warmup_contacts_are_ignored(contacts: pd.DataFrame) -> None:
    huge = contacts.copy()
    huge.loc[huge["warmup"], "wait_min"] = 1e6  # would stretch the axis if counted
    ax = plots.frt_cdf(huge).axes[0]
    assert ax.get_xlim()[1] < 1e5


def test_frt_cdf_tick_labels_are_durations(contacts: pd.DataFrame) -> None:
    labels = tick_labels(plots.frt_cdf(contacts, TARGETS))
    assert len(labels) >= 3
    assert all(re.fullmatch(r"\d+(\.\d+)?(s|min|h|d)", t) for t in labels), labels
    assert "1s" in labels and "1min" in labels and "1d" in labels


def test_frt_cdf_channel_without_answers(contacts: pd.DataFrame) -> None:
    none_answered = contacts.assign(answered=contacts["answered"] & (contacts["channel"] != "chat"))
    fig = plots.frt_cdf(none_answered, TARGETS)
    ax = fig.axes[0]
    assert len(data_lines(ax)) == len(CHANNELS) - 1
    assert any("chat" in t.get_text() for t in ax.texts)
    assert len(ax.get_lines()) == len(CHANNELS) - 1 + len(TARGETS)  # its target is still drawn


def test_frt_cdf_target_on_a_round_duration_is_inside_the_frame(contacts: pd.DataFrame) -> None:
    ax = plots.frt_cdf(contacts.assign(wait_min=contacts["wait_min"].clip(upper=600)), {"email": 1440.0}).axes[0]
    assert ax.get_xlim()[1] > 1440.0 * 1.1


def test_interval_profile_pool_named_like_channel_shares_its_colour() -> None:
    intervals = make_intervals(np.random.default_rng(12), n_intervals=6, reps=1, pools=("phone", "backoffice"))
    axes = plots.interval_profile(intervals).axes
    colour = {ln.get_label(): to_rgba(ln.get_color()) for ln in axes[0].get_lines()}
    pool = {ln.get_label(): to_rgba(ln.get_color()) for ln in axes[2].get_lines()}
    assert pool["phone"] == colour["phone"]
    assert pool["backoffice"] not in colour.values()


@pytest.mark.parametrize("targets", [None, TARGETS])
def test_frt_cdf_empty_table(contacts: pd.DataFrame, targets) -> None:
    fig = plots.frt_cdf(contacts.iloc[:0], targets)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 0
    assert any("No answered" in t.get_text() for t in ax.texts)
    tick_labels(fig)  # drawing must not fail


def test_frt_cdf_all_zero_waits(contacts: pd.DataFrame) -> None:
    fig = plots.frt_cdf(contacts.assign(wait_min=0.0))
    lo, hi = fig.axes[0].get_xlim()
    assert 0 < lo <= plots.WAIT_FLOOR_MIN < hi
    assert len(tick_labels(fig)) >= 2


def test_frt_cdf_large_input_is_sampled_faithfully() -> None:
    rng = np.random.default_rng(31)
    waits = rng.lognormal(0.0, 2.0, 50_000)
    table = pd.DataFrame({"channel": "phone", "wait_min": waits, "answered": True, "warmup": False})
    (line,) = plots.frt_cdf(table).axes[0].get_lines()
    x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
    assert len(x) < 10_000 and y[-1] == 1.0 and np.all(np.diff(y) >= 0)
    for q in (0.1, 0.5, 0.9):  # the drawn curve reaches each quantile where the data does
        at = x[np.searchsorted(y, q)]
        assert at == pytest.approx(np.quantile(waits, q), rel=0.02)


def test_frt_cdf_missing_column_is_reported(contacts: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="wait_min"):
        plots.frt_cdf(contacts.drop(columns="wait_min"))


# ---------------------------------------------------------------- interval_profile

def test_interval_profile_structure_and_means() -> None:
    intervals = make_intervals(np.random.default_rng(7), n_intervals=48, reps=3)
    fig = plots.interval_profile(intervals)
    axes = fig.axes
    assert len(axes) == 3
    assert axes[0].get_shared_x_axes().joined(axes[0], axes[2])
    assert [len(ax.get_lines()) for ax in axes] == [2, 2, 1]
    assert all(len(ax.collections) == len(ax.get_lines()) for ax in axes)  # one band per line
    phone = next(ln for ln in axes[0].get_lines() if ln.get_label() == "phone")
    expected = intervals[intervals["name"] == "phone"].groupby("interval")["arrivals"].mean().to_numpy()
    np.testing.assert_allclose(np.asarray(phone.get_ydata(), float)[:-1], expected)
    x = np.asarray(phone.get_xdata(), float)
    np.testing.assert_allclose(x[[0, 1, -1]], [0.0, 0.5, 24.0])  # hours, last step closed
    assert "Hours" in axes[2].get_xlabel()


def test_interval_profile_week_uses_days_with_weekday_labels() -> None:
    intervals = make_intervals(np.random.default_rng(8), n_intervals=7 * 24, reps=1, width=60.0)
    fig = plots.interval_profile(intervals)
    assert "Days" in fig.axes[2].get_xlabel()
    assert tick_labels(fig, 2) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert all(len(ax.collections) == 0 for ax in fig.axes)  # one replication: no band


def test_interval_profile_single_interval_channel_replication() -> None:
    intervals = make_intervals(np.random.default_rng(9), n_intervals=1, reps=1, channels=("phone",))
    fig = plots.interval_profile(intervals)
    assert [len(ax.get_lines()) for ax in fig.axes] == [1, 1, 1]
    assert fig.axes[0].get_lines()[0].get_marker() == "o"
    tick_labels(fig, 2)


def test_interval_profile_without_pools_or_rows() -> None:
    no_pools = make_intervals(np.random.default_rng(10), n_intervals=4, reps=2, pools=())
    fig = plots.interval_profile(no_pools)
    assert len(fig.axes[2].get_lines()) == 0
    assert any("No pool" in t.get_text() for t in fig.axes[2].texts)
    empty = plots.interval_profile(no_pools.iloc[:0])
    assert len(empty.axes) == 3 and sum(len(ax.get_lines()) for ax in empty.axes) == 0


# ---------------------------------------------------------------- service_level_bars

def test_service_level_bars(summary: pd.DataFrame) -> None:
    fig = plots.service_level_bars(summary)
    ax = fig.axes[0]
    assert len(ax.patches) == 4
    assert tick_labels(fig) == ["chat\n62.0%", "email\nn/a", "phone\n81.3%", "all\n75.0%"]
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx([62.0, 0.0, 81.3, 75.0])


def test_service_level_bars_whiskers_stay_within_100_percent(summary: pd.DataFrame) -> None:
    wide = summary.assign(ci_high=summary["mean"] + 0.5, ci_low=summary["mean"] - 0.9)
    ax = plots.service_level_bars(wide).axes[0]
    segments = np.concatenate([c.get_segments() for c in ax.collections])
    assert segments[..., 1].max() == pytest.approx(100.0) and segments[..., 1].min() == pytest.approx(0.0)


def test_service_level_bars_without_rows(summary: pd.DataFrame) -> None:
    ax = plots.service_level_bars(summary, metric="abandon_rate").axes[0]
    assert len(ax.patches) == 0 and any("No abandon_rate" in t.get_text() for t in ax.texts)


# ---------------------------------------------------------------- PNG output

def test_figures_save_as_decodable_png(tmp_path, contacts: pd.DataFrame, summary: pd.DataFrame) -> None:
    intervals = make_intervals(np.random.default_rng(11), n_intervals=96, reps=2)
    figures = {"cdf": plots.frt_cdf(contacts, TARGETS), "profile": plots.interval_profile(intervals),
               "bars": plots.service_level_bars(summary)}
    for name, fig in figures.items():
        path = tmp_path / f"{name}.png"
        fig.savefig(path, dpi=80)
        image = mpimg.imread(path)
        assert image.ndim == 3 and image.shape[0] > 250 and image.shape[1] > 350
        assert image[..., :3].std() > 0.05  # not a blank canvas


def test_dissatisfaction_by_cause_stacks_causes_and_shows_pileons() -> None:
    """Bars stack to the share dissatisfied per channel (pooled, warm-up excluded); the
    pile-on panel shows pile-ons over original public complaints."""
    from sim.plots import dissatisfaction_by_cause
    c = pd.DataFrame({
        "channel": ["phone"] * 4 + ["twitter"] * 4,
        "dissatisfaction_cause": ["abandoned", "late", "none", "none",
                                  "late", "none", "none", "late"],
        "warmup": [False] * 7 + [True],
        "origin": ["arrival"] * 4 + ["arrival", "arrival", "pileon", "pileon"],
        "public": [False] * 4 + [True] * 4,
        "negative": [False] * 4 + [True] * 4,
    })
    fig = dissatisfaction_by_cause(c)
    left, right = fig.axes
    labels = [t.get_text() for t in left.get_xticklabels()]
    assert labels == ["phone\n50.0%", "twitter\n33.3%", "all\n42.9%"]
    assert [t.get_text() for t in right.get_xticklabels()] == ["twitter\n0.500"]
    private = dissatisfaction_by_cause(c[~c["public"]])
    assert len(private.axes) == 1
