"""End to end: the real ``python -m sim`` in a subprocess, as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from .conftest import ROOT, run_command

CONTACT_COLUMNS = ["replication", "contact_id", "journey_id", "channel", "origin", "arrival_min",
                   "first_response_min", "wait_min", "answered", "abandoned", "resolved_min",
                   "pool", "expectation_min", "dissatisfied", "warmup"]
REQUIRED_METRICS = ["arrivals", "answered", "abandoned", "frac_delayed", "mean_wait_min",
                    "asa_min", "frt_p50_min", "frt_p90_min", "service_level", "abandon_rate",
                    "occupancy", "dissatisfaction_rate", "forced_switch_rate",
                    "public_exposure", "pileons_per_complaint", "expectation_violation_rate",
                    "dissatisfaction_index"]


def run_cli(tmp_path: Path, *overrides: str, name: str = "run") -> subprocess.CompletedProcess:
    return run_command(tmp_path, "sim", *overrides, name=name)


def test_default_study_writes_a_complete_results_directory(tmp_path):
    proc = run_cli(tmp_path, "run.horizon=2d", "run.replications=2")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "run"
    for name in ["contacts.parquet", "intervals.parquet", "summary.csv", "report.html",
                 "figures/first_response_cdf.png", "figures/interval_profile.png",
                 ".hydra/config.yaml"]:
        assert (out / name).is_file(), f"missing {name}"
    contacts = pd.read_parquet(out / "contacts.parquet")
    assert set(CONTACT_COLUMNS) <= set(contacts.columns)
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["channel", "metric", "mean", "ci_low", "ci_high", "n"]
    channels = {"phone", "chat", "email", "twitter", "facebook", "messages", "all"}
    assert set(summary["channel"]) == channels
    for ch in channels:
        assert set(REQUIRED_METRICS) <= set(summary.loc[summary["channel"] == ch, "metric"])
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "service_level" in html.replace(" ", "_")
    # The terminal summary table lists every channel.
    for ch in channels:
        assert ch in proc.stdout
    assert not [p for p in out.iterdir() if p.name.startswith(".writing-")]


def test_figures_off_writes_the_same_tables_without_figures(tmp_path):
    """run.figures=false (for big sweeps): identical tables, no figures/, and a re-run with
    figures on is a different job (it runs and draws them)."""
    common = ["scenario=erlang", "run.horizon=1d", "run.warmup=0", "run.replications=2"]
    plain = run_cli(tmp_path, *common, name="plain")
    bare = run_cli(tmp_path, *common, "run.figures=false", name="bare")
    assert plain.returncode == 0 and bare.returncode == 0, bare.stderr
    assert not (tmp_path / "bare" / "figures").exists()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "bare" / "contacts.parquet"),
                                  pd.read_parquet(tmp_path / "plain" / "contacts.parquet"))
    assert "data:image/png" not in (tmp_path / "bare" / "report.html").read_text()
    again = run_cli(tmp_path, *common, name="bare")
    assert again.returncode == 0 and "already complete" not in again.stdout
    assert (tmp_path / "bare" / "figures" / "first_response_cdf.png").is_file()


def test_same_seed_gives_identical_contacts(tmp_path):
    args = ("scenario=erlang", "run.horizon=2d", "run.warmup=0", "run.replications=2", "seed=3")
    a, b = run_cli(tmp_path, *args, name="a"), run_cli(tmp_path, *args, name="b")
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    pa, pb = tmp_path / "a/contacts.parquet", tmp_path / "b/contacts.parquet"
    pd.testing.assert_frame_equal(pd.read_parquet(pa), pd.read_parquet(pb))
    assert pa.read_bytes() == pb.read_bytes()


@pytest.mark.parametrize("override,key", [
    ("scenario.channels.phone.rate_per_hour=-5", "scenario.channels.phone.rate_per_hour=-5"),
    ("run.replications=0", "run.replications=0"),
    ("routing=nonexistent", "routing/nonexistent"),
    ("scenario.channels.chat.target=5y", "scenario.channels.chat.target='5y'"),
    ("~scenario.pools.twitter", "twitter"),
    ("run.horizn=3d", "horizn"),
])
def test_bad_input_stops_with_one_message_and_no_results(tmp_path, override, key):
    proc = run_cli(tmp_path, override)
    assert proc.returncode != 0
    assert key in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not (tmp_path / "run" / "summary.csv").exists()


def test_console_script_is_installed():
    """``carequeue`` is the same entry point (installed by pip install -e .)."""
    exe = Path(sys.executable).with_name("carequeue")
    if not exe.exists():
        pytest.skip("console script not installed in this environment")
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "routing" in proc.stdout


USER_POLICY = '''
"""A user's own routing policy, in the user's own module: newest contact first."""
from sim.policies.base import Routing


class NewestFirst(Routing):
    """Last come, first served within each queue."""

    def __init__(self, note: str = ""):
        self.note = note

    def candidates(self, agent, channel):
        return self.model.queue(channel, agent)  # every contact the agent may take

    def key(self, contact, agent):
        return -contact.arrival_min
'''


def test_user_policy_from_own_module(tmp_path):
    """A policy class in the user's module, named by _target_, runs like a built-in."""
    (tmp_path / "my_policies.py").write_text(USER_POLICY)
    proc = run_cli(tmp_path, "scenario=erlang", "run.horizon=2d", "run.warmup=0",
                   "run.replications=1", "routing._target_=my_policies.NewestFirst",
                   "+routing.note=lifo")
    assert proc.returncode == 0, proc.stderr
    c = pd.read_parquet(tmp_path / "run" / "contacts.parquet")
    ans = c[c["answered"]].sort_values("arrival_min")
    # LIFO really ran: some earlier caller was answered after a later one.
    assert not ans["first_response_min"].is_monotonic_increasing


def test_readme_policy_example_changes_the_default_study(tmp_path, monkeypatch):
    """The user-policy example in the README is real code that runs as documented, and it
    changes what happens under the default configuration (siloed pools)."""
    import re

    from .conftest import simulate

    readme = (ROOT / "README.md").read_text()
    code = re.search(r"```python\n(# my_policies\.py.*?)```", readme, re.S).group(1)
    (tmp_path / "my_policies.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    name = re.search(r"class (\w+)\(Routing\)", code).group(1)
    assert f"routing._target_=my_policies.{name}" in readme
    base = ["run.horizon=2d", "run.replications=1"]
    mine = simulate([*base, f"routing._target_=my_policies.{name}"])
    fcfs = simulate(base)
    exposure = lambda res: res.summary.query(
        "channel == 'twitter' and metric == 'public_exposure'")["mean"].iloc[0]
    assert exposure(mine) < exposure(fcfs)


def test_no_shipped_config_sets_hydra_mode():
    """``python -m sim`` skips Hydra's composition that only reads ``hydra.mode``
    (sim/__main__.py): that holds only while no shipped config sets it."""
    import yaml  # noqa: PLC0415

    from sim.cli.schema import compose  # noqa: PLC0415

    assert compose(return_hydra_config=True).hydra.mode is None
    for path in sorted((ROOT / "conf").rglob("*.yaml")):
        data = yaml.safe_load(path.read_text()) or {}
        hydra_node = data if "hydra" in path.relative_to(ROOT / "conf").parts else data.get(
            "hydra", {})
        assert "mode" not in (hydra_node or {}), path


def test_a_sweep_and_a_run_keep_their_modes_with_one_composition(tmp_path):
    """With the mode-only composition skipped, ``-m`` still sweeps and a plain run still
    runs once (and a command line that sets hydra.mode is left to Hydra)."""
    run = run_cli(tmp_path, "scenario=erlang", "run.horizon=2h", "run.warmup=0",
                  "run.replications=1", "run.figures=false")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "run" / "summary.csv").is_file()
    sweep = subprocess.run(
        [sys.executable, "-m", "sim", "-m", "scenario=erlang", "scenario.agents=11,12",
         "run.horizon=2h", "run.warmup=0", "run.replications=1", "run.figures=false",
         "run.progress=false",
         f"hydra.sweep.dir={tmp_path / 'sweep'}"], cwd=ROOT, capture_output=True, text=True)
    assert sweep.returncode == 0, sweep.stderr
    assert (tmp_path / "sweep" / "0" / "summary.csv").is_file()
    assert (tmp_path / "sweep" / "1" / "summary.csv").is_file()


def test_a_reused_directory_holds_only_the_new_jobs_results(tmp_path):
    """A different job run into a directory first removes the files CareQueue wrote for
    the earlier one: a summary-only re-run leaves no contact records of the full run for a
    comparison to read as its own."""
    full = run_cli(tmp_path, "scenario=erlang", "run.horizon=6h", "run.warmup=0",
                   "run.replications=2", "run.progress=false")
    assert full.returncode == 0 and (tmp_path / "run" / "contacts.parquet").is_file()
    (tmp_path / "run" / "mine.txt").write_text("keep")
    small = run_cli(tmp_path, "scenario=erlang", "run.horizon=6h", "run.warmup=0",
                    "run.replications=2", "run.progress=false", "run.tables=summary")
    assert small.returncode == 0, small.stderr
    out = tmp_path / "run"
    assert not (out / "contacts.parquet").exists() and not (out / "intervals.parquet").exists()
    assert not list((out / "figures").glob("*.png"))
    assert (out / "mine.txt").read_text() == "keep" and (out / "summary.csv").is_file()


def test_a_reused_results_directory_keeps_files_carequeue_did_not_write(tmp_path):
    """Running into a directory that holds a user's files (notes beside the results, a
    note in figures/) replaces only CareQueue's own files (issue #13: figures/ used to be
    replaced whole)."""
    out = tmp_path / "run"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "my_annotations.txt").write_text("keep me")
    (out / "notes.md").write_text("keep me too")
    for _ in range(2):  # the second run replaces the first one's files in place
        proc = run_cli(tmp_path, "scenario=erlang", "run.horizon=6h", "run.warmup=0",
                       "run.replications=2", "run.progress=false")
        assert proc.returncode == 0, proc.stderr
    assert (out / "figures" / "my_annotations.txt").read_text() == "keep me"
    assert (out / "notes.md").read_text() == "keep me too"
    assert (out / "figures" / "first_response_cdf.png").is_file()
    assert (out / "summary.csv").is_file()
