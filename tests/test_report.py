"""Tests for sim.report: the results directory, the self-contained HTML report, the terminal
table."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from sim import report
from sim.figures import save

CHANNELS = ("phone", "chat", "email")
METRICS = {"arrivals": 1200.0, "service_level": 0.813, "asa_min": 0.4321, "frt_p90_min": 95.5,
           "abandon_rate": 0.0512, "occupancy": 0.87, "dissatisfaction_rate": 0.1}
CONFIG = "seed: 42\nname: <script>alert('x')</script> & \"co\"\n"


@pytest.fixture
def summary() -> pd.DataFrame:
    """Long summary with 'all' deliberately first and channel-dependent values."""
    rng = np.random.default_rng(12345)
    rows = []
    for i, ch in enumerate(("all", *CHANNELS)):
        for metric, base in METRICS.items():
            mean = base * (1 + 0.01 * i)
            hw = abs(mean) * rng.uniform(0.01, 0.05)
            rows.append({"channel": ch, "metric": metric, "mean": mean, "ci_low": mean - hw,
                         "ci_high": mean + hw, "n": 10})
    return pd.DataFrame(rows)


@pytest.fixture
def figures(sample_figures) -> dict[str, Figure]:
    return sample_figures


class _Collector(HTMLParser):
    """Collects <img> src values and all tags seen."""

    def __init__(self) -> None:
        super().__init__()
        self.srcs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "img":
            self.srcs.append(dict(attrs).get("src") or "")


def parse(text: str) -> _Collector:
    parser = _Collector()
    parser.feed(text)
    return parser


# ---------------------------------------------------------------- write_html_report

@pytest.fixture
def page(tmp_path, summary, figures) -> str:
    paths = save(figures, tmp_path / "figs")
    out = report.write_html_report(tmp_path / "out" / "report.html", title="Run <1> & co",
                                   summary=summary, figures=paths, config_yaml=CONFIG,
                                   notes={"seed": "42", "wall time": "<3 s>"})
    assert out.exists()
    return out.read_text(encoding="utf-8")


def test_html_is_self_contained(page: str, figures) -> None:
    parsed = parse(page)
    assert 'src="http' not in page and "href=" not in page and "url(" not in page
    assert "script" not in parsed.tags and "link" not in parsed.tags
    assert len(parsed.srcs) == len(figures)
    for src in parsed.srcs:
        prefix = "data:image/png;base64,"
        assert src.startswith(prefix)
        assert base64.b64decode(src[len(prefix):], validate=True).startswith(report.PNG_SIGNATURE)


def test_html_escapes_config_title_and_notes(page: str) -> None:
    assert "<script>" not in page
    assert f"<pre>{html.escape(CONFIG)}</pre>" in page
    assert "Run &lt;1&gt; &amp; co" in page
    assert "&lt;3 s&gt;" in page and "wall time" in page


def test_html_contains_summary_pivot_and_long_table(page: str, summary: pd.DataFrame) -> None:
    phone = summary.set_index(["channel", "metric"]).loc[("phone", "service_level")]
    pct = f"{phone['mean'] * 100:.1f}% [{phone['ci_low'] * 100:.1f}, {phone['ci_high'] * 100:.1f}]"
    assert pct in page
    assert "1,236 [" in page  # arrivals of "email" (1200 * 1.03), thousands separator, no decimals
    assert "<details>" in page and page.count("<tr") >= 1 + len(summary)
    assert f"{phone['ci_low']:.6g}" in page  # raw value in the long table
    # Channel rows in the pivot: sorted, then 'all' last.
    pivot = page.split("<summary>By channel (wide)</summary>")[1].split("</details>")[0]
    positions = [pivot.index(f"<td>{ch}</td>") for ch in ("chat", "email", "phone", "all")]
    assert positions == sorted(positions)


def test_html_rejects_non_png_figure(tmp_path, summary) -> None:
    bogus = tmp_path / "fig.png"
    bogus.write_bytes(b"GIF89a not a png")
    with pytest.raises(ValueError, match="not a PNG"):
        report.write_html_report(tmp_path / "r.html", title="t", summary=summary,
                                 figures={"bogus": bogus}, config_yaml="")


def test_html_without_figures_notes_or_rows(tmp_path, summary) -> None:
    out = report.write_html_report(tmp_path / "r.html", title="t", summary=summary.iloc[:0],
                                   figures={}, config_yaml="a: 1")
    text = out.read_text(encoding="utf-8")
    assert "<img" not in text and "No summary rows" in text and "<pre>a: 1</pre>" in text


# ---------------------------------------------------------------- format_summary

def test_format_summary_rows_columns_and_percentages(summary: pd.DataFrame) -> None:
    text = report.format_summary(summary)
    lines = text.splitlines()
    assert lines[0].split() == ["channel", *METRICS]
    assert [ln.split()[0] for ln in lines[2:]] == ["chat", "email", "phone", "all"]
    assert len({len(ln) for ln in lines}) == 1  # fixed width
    phone = summary.set_index(["channel", "metric"]).loc[("phone", "service_level")]
    hw = (phone["ci_high"] - phone["ci_low"]) / 2 * 100
    assert f"{phone['mean'] * 100:.1f}% ±{hw:.1f}" in lines[4]
    arrivals = lines[4].split("  ")
    assert not any("%" in cell for cell in arrivals[:2])  # counts are not percentages
    assert "0.436 ±" in lines[4]  # asa_min of phone: 0.4321 * 1.01, three significant figures


def test_format_summary_skips_absent_metrics_and_shows_nan(summary: pd.DataFrame) -> None:
    sub = summary[summary["metric"].isin(["service_level", "asa_min"])].copy()
    sub.loc[(sub["channel"] == "email") & (sub["metric"] == "asa_min"), "mean"] = np.nan
    sub = sub[~((sub["channel"] == "chat") & (sub["metric"] == "service_level"))]
    lines = report.format_summary(sub, metrics=("occupancy", "asa_min", "service_level")).splitlines()
    assert lines[0].split() == ["channel", "asa_min", "service_level"]
    assert lines[2].split()[0] == "chat" and lines[2].split()[-1] == "–"
    assert lines[3].split()[1] == "–"


def test_format_summary_without_ci_or_metrics(summary: pd.DataFrame) -> None:
    no_ci = summary.assign(ci_low=np.nan, ci_high=np.nan)
    assert "±" not in report.format_summary(no_ci)
    assert "no summary" in report.format_summary(summary, metrics=("nonexistent",))


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                 st.floats(-1e9, 1e9)), min_size=3, max_size=3))
def test_format_summary_never_fails(values: list[float]) -> None:
    mean, lo, hi = values
    table = pd.DataFrame([{"channel": ch, "metric": m, "mean": mean, "ci_low": lo, "ci_high": hi, "n": 3}
                          for ch in ("all", "x") for m in ("asa_min", "service_level")])
    lines = report.format_summary(table).splitlines()
    assert [ln.split()[0] for ln in lines[2:]] == ["x", "all"]
    assert len({len(ln) for ln in lines}) == 1


# ---------------------------------------------------------------- write_results

@dataclass
class FakeResults:
    contacts: pd.DataFrame
    intervals: pd.DataFrame
    summary: pd.DataFrame
    label: str = "not a table"
    precision: str = ""


def _fake_results(summary: pd.DataFrame) -> FakeResults:
    from tests.test_plots import make_contacts, make_intervals

    rng = np.random.default_rng(2024)
    return FakeResults(make_contacts(rng, n=50), make_intervals(rng, n_intervals=8, reps=2),
                       summary)


def test_write_results_without_figures_writes_the_tables_and_says_so(tmp_path, summary) -> None:
    """run.figures=false: the same tables and summary, no figures/, a report without images
    that says why."""
    results = _fake_results(summary)
    page_path = report.write_results(tmp_path / "run", results, CONFIG, seed=42, figures=False)
    assert not (tmp_path / "run" / "figures").exists()
    for name in ("contacts", "intervals", "summary"):
        assert (tmp_path / "run" / f"{name}.parquet").is_file()
    assert len(pd.read_csv(tmp_path / "run" / "summary.csv")) == len(summary)
    page = page_path.read_text(encoding="utf-8")
    assert len(parse(page).srcs) == 0 and "run.figures=false" in page


def test_write_results_writes_tables_figures_and_report(tmp_path, summary) -> None:
    results = _fake_results(summary)
    page_path = report.write_results(tmp_path / "run", results, CONFIG, seed=42, wall_s=3.21)
    assert page_path == tmp_path / "run" / "report.html"
    for name in ("contacts", "intervals", "summary"):
        back = pd.read_parquet(tmp_path / "run" / f"{name}.parquet")
        assert len(back) == len(getattr(results, name))
    assert not (tmp_path / "run" / "label.parquet").exists()
    assert len(pd.read_csv(tmp_path / "run" / "summary.csv")) == len(summary)
    assert len(list((tmp_path / "run" / "figures").glob("*.png"))) == 3
    page = page_path.read_text(encoding="utf-8")
    assert len(parse(page).srcs) == 3
    assert "<td>seed</td><td>42</td>" in page and "3.2 s" in page and "<td>100</td>" not in page


# ---------------------------------------------------------------- the page leads with the answer

def _headline_summary(rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    return pd.DataFrame([(ch, m, v, np.nan, np.nan, 3) for ch, ms in rows.items()
                         for m, v in ms.items()],
                        columns=["channel", "metric", "mean", "ci_low", "ci_high", "n"])


def test_headline_marks_each_channel_against_its_target_in_readable_units() -> None:
    """Blue (good) / orange (bad): answered within target against the 80% goal, and the
    90th-percentile first response against the target; times as a person reads them."""
    from sim.kpis import COLUMNS, headline  # noqa: PLC0415

    summary = _headline_summary({
        "phone": {"service_level": 0.85, "asa_min": 0.25, "frt_p90_min": 0.5,
                  "abandon_rate": 0.04},
        "email": {"service_level": 0.6, "asa_min": 300.0, "frt_p90_min": 1500.0},
        "all": {"service_level": 0.7, "asa_min": 40.0, "frt_p90_min": 200.0}})
    rows = {r[0].text: r for r in headline(summary, {"phone": 20 / 60, "email": 1440.0})}
    col = {name: i for i, name in enumerate(COLUMNS)}
    phone, email = rows["phone"], rows["email"]
    assert phone[col["response target"]].text == "20 s"
    assert phone[col["answered within target"]].mark == "good"
    assert phone[col["mean wait (answered)"]].text == "15 s"
    assert (phone[col["90% answered within"]].text, phone[col["90% answered within"]].mark) == (
        "30 s", "bad")  # 30 s against a 20 s target
    assert email[col["answered within target"]].mark == "bad"
    assert email[col["mean wait (answered)"]].text == "5.0 h"
    assert email[col["90% answered within"]].mark == "bad"  # 25 h against 24 h
    assert list(rows) == ["phone", "email", "all"] and rows["all"][col["response target"]].text == "–"


def test_report_leads_with_policies_and_headline_and_collapses_the_config(tmp_path, summary,
                                                                           figures) -> None:
    config = ("routing:\n  _target_: sim.policies.routing.Priority\n  order: [twitter]\n"
              "  organisation: {_target_: sim.policies.routing.Silos}\n"
              "staffing:\n  _target_: sim.policies.staffing.Fixed\n"
              "escalation:\n  _target_: sim.policies.escalation.ToPhone\n  follow: 0.6\n")
    assert report.policies(config) == [["routing", "Priority + Silos", "–"],
                                       ["staffing", "Fixed", "–"],
                                       ["escalation", "ToPhone", "follow=0.6"]]
    paths = save(figures, tmp_path / "figs")
    page = report.write_html_report(tmp_path / "report.html", title="t", summary=summary,
                                    figures=paths, config_yaml=config,
                                    targets={"phone": 0.5}).read_text()
    order = [page.index(h) for h in ("<h2>Policies</h2>", "<h2>Headline by channel</h2>",
                                     "<h2>Figures</h2>", "<h2>Every metric</h2>")]
    assert order == sorted(order)
    assert "<details><summary>Configuration" in page
    assert 'class="good"' in page or 'class="bad"' in page


def test_each_shipped_figure_has_a_title_and_a_caption() -> None:
    from sim.figures import FIGURES  # noqa: PLC0415

    assert set(FIGURES) == set(report.FIGURE_CAPTIONS)
    assert all(title and len(caption) > 40 for title, caption in report.FIGURE_CAPTIONS.values())
