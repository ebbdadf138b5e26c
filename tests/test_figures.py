"""Tests for sim.figures and sim.painter: PNG saving, drawing from a directory's tables, the
helper processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim import figures
from sim.outputs import FIGURE_INPUTS, FIGURE_TABLES, figures_from
from sim.painter import Painter, shares
from sim.report import PNG_SIGNATURE
from tests.test_plots import make_contacts, make_intervals

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def two(sample_figures) -> dict[str, Figure]:
    return sample_figures


@pytest.fixture
def tables(tmp_path) -> Path:
    """A directory holding the tables a run writes, as the figures read them."""
    rng = np.random.default_rng(7)
    make_contacts(rng, n=80).to_parquet(tmp_path / "contacts.parquet", index=False)
    make_intervals(rng, n_intervals=8, reps=2).to_parquet(tmp_path / "intervals.parquet",
                                                          index=False)
    pd.DataFrame([{"channel": c, "metric": "service_level", "mean": m, "ci_low": m - 0.02,
                   "ci_high": m + 0.02, "n": 2} for c, m in (("phone", 0.8), ("all", 0.7))]
                 ).to_parquet(tmp_path / "summary.parquet", index=False)
    return tmp_path


def test_save_writes_decodable_pngs(tmp_path, two) -> None:
    out = tmp_path / "nested" / "figs"
    paths = figures.save(two, out)
    assert list(paths) == list(two)
    assert paths["profile/week"].parent == out  # the slash did not create a subdirectory
    for path in paths.values():
        assert path.suffix == ".png" and path.read_bytes().startswith(PNG_SIGNATURE)
        image = mpimg.imread(path)
        assert image.shape[0] >= 400 and image.shape[1] >= 600  # 6x4 in at 110 dpi
        assert image[..., :3].std() > 0.02


def test_save_rejects_colliding_names(tmp_path, two) -> None:
    fig = next(iter(two.values()))
    with pytest.raises(ValueError, match="collide"):
        figures.save({"a b": fig, "a/b": fig}, tmp_path)


def test_draw_reads_the_tables_of_a_directory(tables) -> None:
    written = figures.draw(tables)
    assert list(written) == ["first_response_cdf", "interval_profile", "service_level"]
    assert all(p.parent == tables / "figures" and p.read_bytes().startswith(PNG_SIGNATURE)
               for p in written.values())


def test_draw_names_a_directory_without_tables(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no contacts.parquet"):
        figures.draw(tmp_path)


def test_the_helper_draws_the_same_bytes_as_this_process(tables, tmp_path_factory) -> None:
    here = {name: p.read_bytes() for name, p in figures.draw(tables).items()}
    other = tmp_path_factory.mktemp("copy")
    for name in ("contacts.parquet", "intervals.parquet", "summary.parquet"):
        (other / name).write_bytes((tables / name).read_bytes())
    for helpers in (1, 2):
        with Painter(helpers) as painter:
            there = painter.draw(other)
            assert len(painter._procs) == helpers
            assert all(p.poll() is None for p in painter._procs)  # drawn there
            again = painter.draw(other)  # helpers serve several directories
        assert {name: p.read_bytes() for name, p in there.items()} == here
        assert list(there) == list(here) and again == there


def test_shares_split_the_drawing_cost_evenly() -> None:
    names = list(figures.FIGURES)
    cost = {name: FIGURE_INPUTS[name][1] for name in names}
    assert shares(names, [0.0]) == [sorted(names, key=lambda n: -cost[n])]
    load = [0.0, 0.0]
    two = shares(names, load)
    assert sorted(sum(two, [])) == sorted(names) and all(two)
    assert load == [sum(cost[n] for n in share) for share in two]
    assert max(load) <= max(cost.values()) + min(load)
    assert shares(names[:1], [0.0] * 3) == [names[:1], [], []]
    # What a helper was already asked to draw counts: the next figure goes to the other.
    assert shares(["service_level"], [5.0, 1.0]) == [[], ["service_level"]]


def test_figures_are_asked_for_as_their_tables_are_written(tables, tmp_path_factory) -> None:
    """The contact figures first (the run is still computing its metrics), then the rest:
    the same figures, in report order, as drawn all at once."""
    assert figures_from({"contacts"}) == ["first_response_cdf", "dissatisfaction"]
    assert figures_from(FIGURE_TABLES) == list(figures.FIGURES)
    here = {name: p.read_bytes() for name, p in figures.draw(tables).items()}
    other = tmp_path_factory.mktemp("staged")
    (other / "contacts.parquet").write_bytes((tables / "contacts.parquet").read_bytes())
    with Painter(2) as painter:
        painter.start(other, figures_from({"contacts"}))
        for name in ("intervals.parquet", "summary.parquet"):
            (other / name).write_bytes((tables / name).read_bytes())
        painter.start(other)
        drawn = painter.finish()
        assert painter.draw(other).keys() == drawn.keys()  # ready for the next run
    assert list(drawn) == list(here)
    assert {name: p.read_bytes() for name, p in drawn.items()} == here


def test_a_failure_in_the_helper_is_raised_with_its_traceback(tmp_path) -> None:
    with Painter(2) as painter, \
            pytest.raises(RuntimeError, match="(?s)figure helper.*FileNotFoundError"):
        painter.draw(tmp_path)


def test_the_helper_ends_with_its_run(tmp_path) -> None:
    """Closed, or its run killed outright: the helper exits (no orphan left drawing)."""
    painter = Painter(2)
    procs = list(painter._procs)
    painter.close()
    assert [p.returncode for p in procs] == [0, 0]

    script = textwrap.dedent("""
        import sys, time
        from sim.painter import Painter
        painter = Painter()
        print(painter._procs[0].pid, flush=True)
        time.sleep(60)
    """)
    run = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                           text=True)
    helper = int(run.stdout.readline())
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _alive(helper):
        time.sleep(0.1)
    assert not _alive(helper)


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it counts as ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_a_run_uses_helpers_only_where_they_pay(monkeypatch) -> None:
    """Single runs with figures, up to HELPERS_UP_TO expected contacts, with a spare core;
    sweep jobs, big runs, figures off and one-core machines draw in their own process."""
    from contextlib import nullcontext

    from sim.cli import run as cli_run
    from sim.cli.config import build_setup, compose

    small = build_setup(compose(["scenario=erlang", "run.horizon=2h", "run.warmup=0"]))
    big = build_setup(compose(["scenario=erlang", "scenario.rate_per_hour=1000",
                               "run.horizon=600h", "run.warmup=0"]))
    started: list[int] = []
    monkeypatch.setattr(cli_run, "Painter", lambda helpers: started.append(helpers) or "p")
    monkeypatch.setattr(cli_run, "cores", lambda: 2)
    assert cli_run._painter(small, True, False) == "p" and started == [2]
    for setup, figures_on, sweep in ((small, False, False), (small, True, True),
                                     (big, True, False)):
        assert isinstance(cli_run._painter(setup, figures_on, sweep), nullcontext)
    monkeypatch.setattr(cli_run, "cores", lambda: 1)
    assert isinstance(cli_run._painter(small, True, False), nullcontext)
    assert started == [2]


def test_names_with_mathtext_characters_are_drawn_as_written(tmp_path) -> None:
    """A channel called 'ph$_$one' (a name from the config) is a legend entry and a tick
    label like any other: matplotlib would parse it as mathtext when saving and fail after
    the whole simulation (issue #13)."""
    from sim import api  # noqa: PLC0415

    run = api.run("scenario=erlang", "run.horizon=6h", "run.warmup=0", "run.replications=2")
    name = "ph$_$one"

    def renamed(table: pd.DataFrame) -> pd.DataFrame:
        table = table.copy()
        for col in ("channel", "scope"):
            if col in table and hasattr(table[col], "cat"):
                table[col] = table[col].cat.rename_categories(
                    lambda c: c.replace("phone", name))
            elif col in table:
                table[col] = table[col].astype(str).str.replace("phone", name)
        return table

    drawn = figures.figures(renamed(run.contacts), renamed(run.intervals), renamed(run.summary))
    saved = figures.save(drawn, tmp_path)
    assert len(saved) == 4
    for path in saved.values():
        assert path.read_bytes().startswith(PNG_SIGNATURE)
    texts = [t.get_text() for fig in drawn.values() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert any(name in t for t in texts)
