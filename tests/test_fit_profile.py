"""Tests for sim.fit_profile: recovering ProfiledPoisson's parameters from its own traces.

Tolerances come from Poisson standard errors. A fitted shape value is (cell total) /
(its expectation) up to the normalisation, so its relative standard error is about
sqrt(1/n + 1/N), with n the expected count of that piece (or weekday) over the span and N
the expected total; each value must lie within 4.5 such standard errors of the truth (with
31 values checked, a false alarm has probability below 1e-4). The fixed seeds make the
tests deterministic; the tolerances say why they pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.arrivals import MIN_PER_DAY, MIN_PER_WEEK, ProfiledPoisson
from sim.cli.config import build_setup
from sim.fit_profile import MARKER, default_span, fit_profile, main
from sim.trace import Replay

from .conftest import CONF, compose_config

INTRADAY = (0.1, 0.05, 0.05, 0, 0.1, 0.2, 0.5, 1.0, 1.7, 2.1, 2.2, 2.0,
            1.7, 1.8, 1.9, 1.8, 1.6, 1.3, 1.0, 0.8, 0.6, 0.4, 0.25, 0.15)
WEEKLY = (1.5, 1.1, 1.05, 1.0, 1.0, 0.6, 0.3)
RATE = 60.0
Z = 4.5


def truth() -> tuple[np.ndarray, np.ndarray]:
    return (np.array(INTRADAY) / np.mean(INTRADAY), np.array(WEEKLY) / np.mean(WEEKLY))


def sample(weeks: int, seed: int, daily_variance: float = 0.0, rate: float = RATE) -> np.ndarray:
    proc = ProfiledPoisson(rate, INTRADAY, WEEKLY, daily_variance)
    return proc.sample(np.random.default_rng(seed), weeks * MIN_PER_WEEK)


def expected_cells(start: float, end: float) -> np.ndarray:
    """Expected count per (weekday, hour) cell over [start, end), whole hours."""
    intraday, weekly = truth()
    per_hour = RATE * np.outer(weekly, intraday)
    hours = np.arange(int(start // 60), int(end // 60))
    return np.bincount(hours % 168, minlength=168).reshape(7, 24) * per_hour


def assert_recovers(fit: dict, start: float, end: float) -> None:
    intraday, weekly = truth()
    cells = expected_cells(start, end)
    total = cells.sum()
    for name, est, true, n in (("intraday", fit["intraday"], intraday, cells.sum(axis=0)),
                               ("weekly", fit["weekly"], weekly, cells.sum(axis=1))):
        assert len(est) == len(true) and np.mean(est) == pytest.approx(1.0)
        se = true * np.sqrt(1 / np.maximum(n, 1e-12) + 1 / total)
        z = np.abs(est - true) / np.where(se > 0, se, 1)
        assert np.all(z <= Z), f"{name}: z = {np.round(z, 1)}"
    se_rate = RATE / np.sqrt(total)
    assert abs(fit["rate_per_hour"] - RATE) <= Z * se_rate, fit["rate_per_hour"]


@pytest.fixture(scope="module")
def eight_weeks() -> np.ndarray:
    return sample(8, seed=2024)


def test_recovers_rate_and_shapes_from_whole_weeks(eight_weeks):
    fit = fit_profile({"phone": Replay(eight_weeks)}, 60)["phone"]
    # The first arrival is on Monday and the last on Sunday: the span is the 8 weeks.
    assert fit["span_min"] == (0.0, 8 * MIN_PER_WEEK)
    assert fit["contacts"] == len(eight_weeks) and fit["unobserved_days"] == []
    assert_recovers(fit, 0, 8 * MIN_PER_WEEK)
    assert fit["intraday"][3] == 0.0  # a closed hour stays closed
    # Over whole weeks the fitted weekly average is the plain average over the span.
    assert fit["rate_per_hour"] == pytest.approx(len(eight_weeks) / (8 * 168))


def test_partial_first_and_last_weeks_are_weighted_by_exposure(eight_weeks):
    # From Wednesday of week 1 to the end of Thursday of week 8: Wednesdays and Thursdays
    # are seen 8 times, the other days 7.
    start, end = 2 * MIN_PER_DAY, 7 * MIN_PER_WEEK + 4 * MIN_PER_DAY
    times = eight_weeks[(eight_weeks >= start) & (eight_weeks < end)]
    replay = Replay(times)
    assert default_span({"phone": replay}) == (start, end)
    fit = fit_profile({"phone": replay}, 60)["phone"]
    assert fit["whole_days"] == 51
    assert_recovers(fit, start, end)
    # Without exposure, Wednesday and Thursday would look 8/7 busier: far outside the
    # tolerance, so the check above has the power to see it.
    by_day = np.bincount((times % MIN_PER_WEEK // MIN_PER_DAY).astype(int), minlength=7)
    naive = by_day / by_day.mean()
    assert abs(naive[2] / truth()[1][2] - 1) > 0.08


def test_a_span_starting_and_ending_mid_day(eight_weeks):
    start, end = 2.5 * MIN_PER_DAY + 7 * 60, 6 * MIN_PER_WEEK + 13 * 60
    times = eight_weeks[(eight_weeks >= start) & (eight_weeks < end)]
    fit = fit_profile({"phone": Replay(times)}, 60, (start, end))["phone"]
    assert fit["span_min"] == (start, end)
    assert_recovers(fit, start, end)


def test_finer_intervals_have_the_right_length(eight_weeks):
    fit = fit_profile({"phone": Replay(eight_weeks)}, 15)["phone"]
    assert len(fit["intraday"]) == 96 and np.mean(fit["intraday"]) == pytest.approx(1.0)
    # Four quarter-hours of a piecewise-constant hour average to that hour's value.
    hourly = fit["intraday"].reshape(24, 4).mean(axis=1)
    coarse = fit_profile({"phone": Replay(eight_weeks)}, 60)["phone"]["intraday"]
    np.testing.assert_allclose(hourly, coarse, rtol=1e-9)


def test_weekdays_never_observed_are_reported_and_neutral():
    times = sample(1, seed=3)
    times = times[times < 3 * MIN_PER_DAY]  # Monday to Wednesday only
    fit = fit_profile({"chat": Replay(times)}, 60)["chat"]
    assert fit["unobserved_days"] == ["Thu", "Fri", "Sat", "Sun"]
    assert np.all(fit["weekly"][3:] == pytest.approx(np.mean(fit["weekly"][:3])))


def test_daily_variance_of_an_overdispersed_trace():
    # 26 weeks: 182 days in 7 weekday groups, 175 degrees of freedom. The estimate's sd is
    # about v * sqrt(2 / 175) = 11% of v (the Poisson part is negligible at ~1,400 a day);
    # the tolerance is a generous 35% (3 sd).
    v = 0.03
    fit = fit_profile({"phone": Replay(sample(26, seed=7, daily_variance=v))}, 60)["phone"]
    assert fit["whole_days"] == 182
    assert fit["daily_variance"] == pytest.approx(v, rel=0.35)


def test_daily_variance_of_a_poisson_trace_is_about_zero(eight_weeks):
    # Plain Poisson: the estimate's sd is about (1 / m) sqrt(2 / 49) ~ 1e-4 for m ~ 1,400
    # contacts a day; 0.002 is twenty sd away.
    fit = fit_profile({"phone": Replay(eight_weeks)}, 60)["phone"]
    assert 0 <= fit["daily_variance"] < 0.002


def test_daily_variance_needs_three_whole_days():
    times = sample(1, seed=4, daily_variance=0.5)
    fit = fit_profile({"phone": Replay(times[times < 2 * MIN_PER_DAY])}, 60)["phone"]
    assert fit["daily_variance"] == 0.0 and fit["whole_days"] == 2


def test_rejects_an_interval_that_does_not_divide_a_day(eight_weeks):
    with pytest.raises(ValueError, match="divide a day"):
        fit_profile({"phone": Replay(eight_weeks)}, 7)


def test_rejects_a_channel_without_arrivals(eight_weeks):
    with pytest.raises(ValueError, match="no arrivals .* email"):
        fit_profile({"phone": Replay(eight_weeks), "email": Replay(np.zeros(0))}, 60)


# --- the command --------------------------------------------------------------------------

def write_trace(path: Path, weeks: int = 3) -> None:
    rng = np.random.default_rng(99)
    rows = []
    for ch, rate in (("phone", 60.0), ("chat", 20.0)):
        proc = ProfiledPoisson(rate, INTRADAY, WEEKLY, 0.01)
        rows += [(t, ch) for t in proc.sample(rng, weeks * MIN_PER_WEEK)]
    path.write_text("arrival_min,channel\n" + "".join(f"{float(t)!r},{c}\n" for t, c in rows))


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ}
    env.pop("PYTHONPATH", None)
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=300)


def significant_digits(x: float) -> int:
    digits = f"{x:.15g}".replace("-", "").replace(".", "").lstrip("0")
    return len(digits.rstrip("0")) if "e" not in digits else 99


def test_cli_writes_a_scenario_that_composes_and_builds(tmp_path):
    trace = tmp_path / "trace.csv"
    write_trace(trace)
    name = f"_test_fitted_{os.getpid()}"
    out = CONF / "scenario" / f"{name}.yaml"
    try:
        proc = run("sim.fit_profile", str(trace), "--channels", "phone,chat",
                   "--interval", "30min", "--name", name, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert out.is_file()
        for word in ("phone", "chat", "10:00-10:30", f"scenario={name}"):
            assert word in proc.stdout
        text = out.read_text()
        assert text.startswith(MARKER) and str(trace) in text and "21 days" in text
        doc = yaml.safe_load(text)
        assert doc["defaults"] == ["default", "_self_"]
        for ch in ("phone", "chat"):
            prof = doc["profiles"][f"{ch}_fitted"]
            assert len(prof["intraday"]) == 48 and len(prof["weekly"]) == 7
            assert doc["channels"][ch]["profile"] == f"{ch}_fitted"
            values = [*prof["intraday"], *prof["weekly"], doc["channels"][ch]["rate_per_hour"]]
            assert max(significant_digits(v) for v in values) <= 4
        assert doc["channels"]["phone"]["rate_per_hour"] == pytest.approx(60, rel=0.05)

        job = run("sim", f"scenario={name}", "--cfg", "job", cwd=tmp_path)
        assert job.returncode == 0, job.stderr
        composed = yaml.safe_load(job.stdout)["scenario"]
        assert composed["channels"]["phone"]["profile"] == "phone_fitted"
        assert composed["channels"]["phone"]["mode"] == "voice"  # the rest from the base
        assert len(composed["profiles"]["chat_fitted"]["intraday"]) == 48
        assert "twitter" in composed["channels"]  # channels not in the trace stay as they were
        build_setup(compose_config([f"scenario={name}", "run.horizon=1d"]))
    finally:
        out.unlink(missing_ok=True)


@pytest.mark.parametrize("content,args,phrases", [
    ("arrival_min,channel\n1,phone\nlate,phone\n3,phone\n-4,chat\n", (),
     ["2 malformed row(s)", "line 3: arrival_min 'late' is not a number",
      "line 5: arrival_min '-4' is negative"]),
    (None, (), ["no such file"]),
    ("arrival_min,channel\n1,phone\n", ("--interval", "7min"), ["divide a day"]),
    ("arrival_min,channel\n1,phone\n", ("--interval", "soon"), ["--interval='soon'"]),
    ("arrival_min,channel\n1,fax\n", (), ["fax of the trace are not in scenario default"]),
    ("arrival_min,channel\n1,phone\n", ("--base", "erlang"), ["not a multichannel"]),
    ("arrival_min,channel\n1,phone\n", ("--channels", "phone,email"), ["email not in"]),
])
def test_cli_bad_input_exits_2_with_one_message(tmp_path, content, args, phrases):
    trace = tmp_path / "trace.csv"
    if content is not None:
        trace.write_text(content)
    proc = run("sim.fit_profile", str(trace), "--out", str(tmp_path / "x.yaml"), *args,
               cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert all(phrase in proc.stderr for phrase in phrases), proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert not (tmp_path / "x.yaml").exists()


def test_cli_never_overwrites_a_config_it_did_not_write(tmp_path, capsys):
    trace = tmp_path / "trace.csv"
    write_trace(trace, weeks=1)
    out = tmp_path / "mine.yaml"
    out.write_text("# hand-written\n")
    assert main([str(trace), "--out", str(out)]) == 2
    assert "not overwriting" in capsys.readouterr().err
    assert out.read_text() == "# hand-written\n"
    out.unlink()
    assert main([str(trace), "--out", str(out)]) == 0
    assert main([str(trace), "--out", str(out), "--interval", "2h"]) == 0  # its own: refit
    assert "intraday: [" in out.read_text()
    assert "copy it to" in capsys.readouterr().out
