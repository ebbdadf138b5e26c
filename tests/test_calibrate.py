"""sim.calibrate: a history of known parameters, from an independent simulator (Ciw), is
fitted back to them; the command writes configs that run, and refuses bad input before
writing anything."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.calibrate import calibrate
from sim.calibrate.staffing import schedule
from sim.cli.calibrate import CalibrateKeys, run_calibration
from sim.history import read_contacts, read_intervals

from . import ciw_history as ch
from .conftest import ROOT, compose_config

EXAMPLE = ROOT / "docs" / "data" / "intervals_example.csv"
TRUTH = ch.Truth()


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> tuple[Path, Path]:
    """Two weeks of an M/M/4+M phone line from Ciw: interval report and contact export."""
    out = tmp_path_factory.mktemp("ciw")
    contacts = ch.simulate(TRUTH, seed=11)
    return (ch.interval_report(contacts, TRUTH, out / "intervals.csv"),
            ch.contact_export(contacts, out / "contacts.csv"))


def command(*args: str, cwd: Path, module: str = "sim.calibrate") -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    env.pop("PYTHONPATH", None)
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=300)


def test_interval_report_alone_recovers_rate_and_handle_time(history):
    fit = calibrate(read_intervals(history[0])).channels[0]
    a = fit.arrivals
    # Within 3 standard errors of the truth (the SEs the config's comments state).
    assert abs(a["rate_per_hour"] - TRUTH.rate_per_hour) < 3 * a["rate_se"]
    assert abs(fit.handle.mean - TRUTH.handle_min) < 3 * fit.handle.mean_se
    assert fit.handle.dist == "lognormal" and fit.handle.cv == 1.0  # the documented default
    # Flat Poisson arrivals: no over-dispersion beyond 3 SE, flat shapes within their noise
    # (a piece of 30 min holds ~2 weeks x 30 arrivals: relative SE ~ 1/sqrt(420)).
    assert a["daily_variance"] < 3 * a["variance_se"]
    assert np.all(np.abs(a["intraday"] - 1) < 4 / math.sqrt(14 * TRUTH.rate_per_hour / 2))
    # The Erlang-A approximation from intervals (asa as the mean wait of all): stated as an
    # approximation; it reads abandoners' waits as the answered ones', about 10-15% low here.
    assert fit.patience.dist == "exponential"
    assert abs(fit.patience.mean / TRUTH.patience_min - 1) < 0.2


def test_contact_export_recovers_handle_times_and_patience_under_censoring(history):
    fit = calibrate(read_intervals(history[0]), read_contacts(history[1])).channels[0]
    assert abs(fit.handle.mean - TRUTH.handle_min) < 3 * fit.handle.mean_se
    assert abs(fit.handle.cv - 1.0) < 0.05  # exponential, whichever family AIC picked
    assert fit.patience.dist == "exponential"  # no evidence against Erlang A's at 1%
    assert abs(fit.patience.mean - TRUTH.patience_min) < 3 * fit.patience.mean_se
    assert "censored" in fit.patience.note


def test_agents_become_the_historys_own_schedule(history):
    cal = calibrate(read_intervals(history[0]))
    agents = cal.channels[0].agents
    assert len(agents) == 14 * 48 and np.all(agents == TRUTH.agents)
    # Unobserved intervals take the same interval of the week in other weeks, else the
    # same time of day (a history from Wednesday: Monday and Tuesday are staffed).
    gappy = np.full(3 * 7 * 48, np.nan)
    gappy[: 7 * 48] = 2.0
    gappy[7 * 48: 14 * 48] = 4.0
    assert schedule(gappy, 30) == [2] * 336 + [4] * 336 + [3] * 336
    wednesday = np.full(7 * 48, np.nan)
    wednesday[2 * 48:] = np.tile(np.r_[np.full(24, 1.0), np.full(24, 5.0)], 5)
    assert schedule(wednesday, 30)[:48] == [1] * 24 + [5] * 24


def test_the_command_writes_configs_that_run(tmp_path, history):
    proc = command(f"calibrate.intervals={history[0]}", f"calibrate.contacts={history[1]}",
                   "calibrate.name=mine", f"calibrate.out={tmp_path / 'out'}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    scenario = tmp_path / "out" / "conf" / "scenario" / "mine.yaml"
    staffing = tmp_path / "out" / "conf" / "staffing" / "mine.yaml"
    lines = scenario.read_text().splitlines()
    # Every fitted figure has a comment naming its data and its standard error.
    for key in ("rate_per_hour", "daily_variance", "handle", "patience"):
        at = next(i for i, line in enumerate(lines) if line.startswith(f"    {key}:"))
        above = at - 1
        while lines[above].lstrip().startswith("#"):
            above -= 1
        comment = " ".join(lines[above + 1:at])
        assert "SE" in comment and ("offered" in comment or "contact" in comment), key
    plan = yaml.safe_load(staffing.read_text())
    assert plan["_target_"] == "sim.policies.staffing.Schedule"
    assert plan["agents"]["phone"] == [TRUTH.agents] * (14 * 48)
    printed = [line for line in proc.stdout.splitlines() if line.startswith("run it: ")][0]
    args = printed.removeprefix("run it: python -m sim ").replace("'", "").split()
    assert args[1:] == ["scenario=mine", "staffing=mine"]
    cfg = compose_config([*args, "run.horizon=1d"])
    assert cfg.scenario.channels.phone.rate_per_hour == pytest.approx(TRUTH.rate_per_hour,
                                                                      rel=0.05)
    run = command(*args, "run.horizon=6h", "run.warmup=0", "run.drain=0",
                  "run.replications=1", "run.figures=false", "run.progress=false",
                  f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path, module="sim")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "run" / "summary.csv").is_file()


def test_shipped_example_calibrates_with_every_channel_of_its_base(tmp_path):
    cal = run_calibration(CalibrateKeys(intervals=str(EXAMPLE), out=str(tmp_path),
                                        name="example"))
    assert [c.name for c in cal.channels] == ["phone", "chat"]
    text = (tmp_path / "conf" / "scenario" / "example.yaml").read_text()
    assert 'mode: "chat"' in text  # lent by the base scenario, as the comment says


@pytest.mark.parametrize("args, key", [
    (["calibrate.intervalz=x.csv"], "calibrate.intervalz"),
    (["calibrate.name=a b", "calibrate.intervals=x.csv"], "calibrate.name"),
    (["calibrate.handle_cv=-1", f"calibrate.intervals={EXAMPLE}"], "calibrate.handle_cv"),
    (["calibrate.out=o"], "calibrate.intervals"),
    ([f"calibrate.intervals={EXAMPLE}", "run.horizon=1d"], "run.horizon"),
])
def test_bad_keys_stop_with_one_message_and_write_nothing(tmp_path, args, key):
    proc = command(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert key in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "calibrated").exists() and not (tmp_path / "o").exists()


def test_bad_data_names_file_line_and_column_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    lines = EXAMPLE.read_text().splitlines()
    fields = lines[5].split(",")
    fields[2] = "-3"  # offered
    lines[5] = ",".join(fields)
    bad.write_text("\n".join(lines) + "\n")
    proc = command(f"calibrate.intervals={bad}", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout
    assert "bad.csv, line 6, column offered" in proc.stderr
    assert not (tmp_path / "calibrated").exists()


def test_a_config_it_did_not_write_is_never_overwritten(tmp_path):
    mine = tmp_path / "conf" / "scenario" / "example.yaml"
    mine.parent.mkdir(parents=True)
    mine.write_text("# my own\n")
    with pytest.raises(ValueError, match="not written by sim.calibrate"):
        run_calibration(CalibrateKeys(intervals=str(EXAMPLE), out=str(tmp_path),
                                      name="example"))
    assert mine.read_text() == "# my own\n"


@pytest.mark.parametrize("module", ["sim.calibrate", "sim.backtest"])
def test_help_lists_the_keys(tmp_path, module):
    proc = command("--help", cwd=tmp_path, module=module)
    assert proc.returncode == 0 and "calibrate." in proc.stdout


def _report(tmp_path: Path, channel: str, asa: bool = True) -> Path:
    """Two days of a steady line: 20 offered, 2 abandoned every half hour."""
    path = tmp_path / f"{channel}.csv"
    lines = ["interval_start,channel,offered,handled,abandoned,aht_s" + (",asa_s" if asa else "")
             + ",agents"]
    for k in range(2 * 48):
        start = pd.Timestamp("2026-03-04") + pd.Timedelta(minutes=30 * k)  # a Wednesday
        lines.append(f"{start:%Y-%m-%dT%H:%M},{channel},20,18,2,300" + (",12" if asa else "")
                     + ",4")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_channel_named_like_a_yaml_word_stays_a_name(tmp_path):
    cal = run_calibration(CalibrateKeys(intervals=str(_report(tmp_path, "true")),
                                        out=str(tmp_path)))  # composed and built inside
    assert [c.name for c in cal.channels] == ["true"]
    plan = yaml.safe_load((tmp_path / "conf" / "staffing" / "calibrated.yaml").read_text())
    # Whole weeks from the Monday before: Monday and Tuesday staffed like the days seen.
    assert len(plan["agents"]["true"]) == 7 * 48 and set(plan["agents"]["true"]) == {4}


def test_patience_the_history_cannot_tell_is_the_bases_and_says_so(tmp_path):
    run_calibration(CalibrateKeys(intervals=str(_report(tmp_path, "phone", asa=False)),
                                  out=str(tmp_path)))
    text = (tmp_path / "conf" / "scenario" / "calibrated.yaml").read_text()
    assert "patience ASSUMED from the base scenario" in text
    base = compose_config([]).scenario.channels.phone.patience
    assert yaml.safe_load(text)["channels"]["phone"]["patience"]["mean"] == base.mean


def test_a_misspelt_run_key_stops_the_backtest_with_one_line(tmp_path):
    proc = command(f"calibrate.intervals={EXAMPLE}", f"calibrate.out={tmp_path}",
                   "run.replication=40", cwd=tmp_path, module="sim.backtest")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "run.replication" in proc.stderr.strip().splitlines()[-1]
