"""Fit arrival profiles to a trace and write them as a scenario config.

``python -m sim.fit_profile TRACE.csv`` estimates, per channel, the parameters of the
simulator's arrival model (:class:`sim.arrivals.ProfiledPoisson`): the rate at time t is
``rate_per_hour / 60 * intraday[i(t)] * weekly[d(t)]`` (both shapes mean 1), and each day's
volume is scaled by a gamma busyness factor of variance ``daily_variance``. It writes a
Hydra scenario config that overlays the fitted profiles on a base scenario, so that
``python -m sim scenario=fitted`` simulates customers who arrive like the trace's.

The product form is fitted by Poisson maximum likelihood: counts per (day of week, interval
of day) cell, with each cell's *exposure* (how often the span observed it, since traces
rarely cover whole weeks), fitted by iterative proportional fitting. The daily variance is a
method-of-moments estimate from the whole days' counts.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .arrivals import MIN_PER_DAY, MIN_PER_WEEK
from .durations import parse_duration
from .errors import ConfigError
from .trace import Replay, TraceError, read_trace

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MARKER = "# Fitted arrival profiles, written by python -m sim.fit_profile"


def fit_profile(replays: Mapping[str, Replay], interval_min: float,
                span_min: tuple[float, float] | None = None) -> dict[str, dict[str, Any]]:
    """Fit rate, intraday and weekly shapes and daily over-dispersion per channel.

    Parameters
    ----------
    replays : mapping of str to Replay
        Each channel's arrivals (minutes from Monday 00:00), e.g. from
        :func:`sim.trace.read_trace`.
    interval_min : float
        Length of an intraday piece, minutes; must divide a day (e.g. 15, 30, 60).
    span_min : (float, float) or None
        The observed window ``[start, end)`` in minutes: arrivals outside are ignored, and
        time inside without arrivals counts as observed quiet. None: from midnight of the
        day of the first arrival to the end of the day of the last one, over all channels.

    Returns
    -------
    dict of str to dict
        Per channel: ``rate_per_hour`` (the week's average, contacts per hour, as
        ``ProfiledPoisson`` takes it), ``intraday`` (``1440 / interval_min`` values, mean 1),
        ``weekly`` (7 values Mon..Sun, mean 1), ``daily_variance`` (>= 0), ``contacts``
        (arrivals in the span), ``whole_days`` (days the variance was estimated from),
        ``unobserved_days`` (days of the week the span never covers: set to the mean),
        ``span_min``.

    Raises
    ------
    ValueError
        If the interval does not divide a day, the span is empty, or a channel has no
        arrivals in the span (its rate would be zero).
    """
    if not (interval_min > 0 and math.isfinite(interval_min)
            and (MIN_PER_DAY / interval_min).is_integer()):
        raise ValueError(f"interval {interval_min:g} min must divide a day evenly "
                         "(e.g. 15min, 30min, 1h)")
    if span_min is None:
        span_min = default_span(replays)
    start, end = float(span_min[0]), float(span_min[1])
    if not (math.isfinite(start) and math.isfinite(end) and 0 <= start < end):
        raise ValueError(f"span [{start:g}, {end:g}) minutes must be a non-empty window "
                         "at or after 0")
    exposure = cell_exposure(start, end, interval_min).reshape(7, -1)
    fits, empty = {}, []
    for name, replay in replays.items():
        times = replay.times[(replay.times >= start) & (replay.times < end)]
        if not len(times):
            empty.append(name)
            continue
        cells = (times % MIN_PER_WEEK // interval_min).astype(np.int64)
        counts = np.bincount(cells, minlength=exposure.size).reshape(exposure.shape)
        first, last = math.ceil(start / MIN_PER_DAY), math.floor(end / MIN_PER_DAY)
        whole = times[(times >= first * MIN_PER_DAY) & (times < last * MIN_PER_DAY)]
        days = np.bincount((whole // MIN_PER_DAY).astype(np.int64) - first,
                           minlength=max(last - first, 0))
        fits[name] = fit_cells(counts, exposure, days, first, interval_min, (start, end))
    if empty:
        raise ValueError(f"no arrivals in the span [{start:g}, {end:g}) min for channel(s) "
                         f"{', '.join(empty)}: a rate of zero cannot be simulated; leave "
                         "them out")
    return fits


def fit_cells(counts: np.ndarray, exposure: np.ndarray, day_counts: np.ndarray,
              first_day: int, interval_min: float,
              span_min: tuple[float, float]) -> dict[str, Any]:
    """One channel's fit from its arrivals per (weekday, piece) cell and per whole day.

    The one fitting path, whether the arrivals come from a trace (:func:`fit_profile`) or
    from an interval report's counts (:mod:`sim.calibrate`).

    Parameters
    ----------
    counts : numpy.ndarray
        Arrivals per cell, shape (7, pieces of a day), Monday first.
    exposure : numpy.ndarray
        How many times the span observed each cell (same shape; fractions at its edges).
    day_counts : numpy.ndarray
        Arrivals on each whole day of the span, in order.
    first_day : int
        Index of the first whole day (0: the first Monday), for its weekday.
    interval_min : float
        Length of a piece, minutes.
    span_min : (float, float)
        The observed window, minutes from the first Monday 00:00 (reported as is).

    Returns
    -------
    dict
        As one channel of :func:`fit_profile`'s result.
    """
    counts = np.asarray(counts, float)
    day, piece = _ipf(counts, exposure)
    variance, days = _daily_variance(np.asarray(day_counts, float), first_day,
                                     day * piece.sum())
    unobserved = [DAYS[d] for d in np.flatnonzero(exposure.sum(axis=1) == 0)]
    day, piece = _fill(day), _fill(piece)
    return {
        "rate_per_hour": float(60.0 / interval_min * day.mean() * piece.mean()),
        "intraday": piece / piece.mean(),
        "weekly": day / day.mean(),
        "daily_variance": variance,
        "contacts": int(round(counts.sum())),
        "whole_days": days,
        "unobserved_days": unobserved,
        "span_min": (float(span_min[0]), float(span_min[1])),
    }


def default_span(replays: Mapping[str, Replay]) -> tuple[float, float]:
    """Whole days from the first arrival's day to the last arrival's day, all channels."""
    firsts = [r.times[0] for r in replays.values() if len(r.times)]
    lasts = [r.times[-1] for r in replays.values() if len(r.times)]
    if not firsts:
        raise ValueError("the trace has no arrivals to fit")
    # Not Monday of the first week: a trace exported from a Wednesday did not observe the
    # Monday and Tuesday before it, and counting them as quiet would bias those days down.
    return (math.floor(min(firsts) / MIN_PER_DAY) * MIN_PER_DAY,
            (math.floor(max(lasts) / MIN_PER_DAY) + 1) * MIN_PER_DAY)


def cell_exposure(start: float, end: float, interval_min: float) -> np.ndarray:
    """How many times the span covers each interval of the week (fractions at its edges)."""
    first, last = math.floor(start / interval_min), math.ceil(end / interval_min)
    k = np.arange(first, last)
    covered = np.minimum((k + 1) * interval_min, end) - np.maximum(k * interval_min, start)
    cells = int(MIN_PER_WEEK / interval_min)
    return np.bincount(k % cells, weights=covered / interval_min, minlength=cells)


def _ipf(counts: np.ndarray, exposure: np.ndarray, tol: float = 1e-12,
         max_rounds: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
    """Poisson MLE of ``counts ~ exposure * day[d] * piece[i]`` (expected counts per interval).

    Iterative proportional fitting: alternately match the fitted day and piece totals to
    the observed ones. Exact after one round when the exposure is itself a product (whole
    days); a span that starts or ends mid-day needs a few more. NaN for a day or piece the
    span never covers.
    """
    rows, cols = counts.sum(axis=1), counts.sum(axis=0)
    day, piece = np.ones(counts.shape[0]), np.ones(counts.shape[1])
    for _ in range(max_rounds):
        # A piece the span never covers has no exposure: NaN times 0 must add nothing.
        day_new = _ratio(rows, exposure @ np.nan_to_num(piece))
        piece_new = _ratio(cols, exposure.T @ np.nan_to_num(day_new))
        done = (np.allclose(day_new, day, rtol=tol, atol=0, equal_nan=True)
                and np.allclose(piece_new, piece, rtol=tol, atol=0, equal_nan=True))
        day, piece = day_new, piece_new
        if done:
            break
    return day, piece


def _ratio(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """observed / expected; NaN where nothing was exposed (no information)."""
    out = np.full(observed.shape, np.nan)
    np.divide(observed, expected, out=out, where=expected > 0)
    return out


def _fill(factors: np.ndarray) -> np.ndarray:
    """Factors never observed set to the mean of the observed (neutral, as a guess)."""
    return np.where(np.isnan(factors), np.nanmean(factors), factors)


def _daily_variance(counts: np.ndarray, first_day: int,
                    expected_by_weekday: np.ndarray) -> tuple[float, int]:
    """Method-of-moments variance of the gamma busyness factor, and the days it used.

    ``counts`` are the arrivals of consecutive whole days, the first of index
    ``first_day`` (0: a Monday). A day of weekday w with expected count m_w has Var(N) =
    m_w + v m_w**2, so N / m_w has variance 1 / m_w + v. The weekday means were fitted from
    the same days, which removes one degree of freedom per weekday: with k_w days of weekday
    w and residuals e of N / m_w about their weekday mean, E[sum e**2] = sum_w (k_w - 1) /
    m_w + (D - G) v over D days in G weekdays. Solved for v, floored at 0; 0 when fewer than
    3 whole days or no weekday seen twice.
    """
    if len(counts) < 3:
        return 0.0, len(counts)
    weekday = (first_day + np.arange(len(counts))) % 7
    expected = np.nan_to_num(expected_by_weekday)[weekday]
    used = expected > 0  # a closed weekday says nothing about busyness
    counts, weekday, expected = counts[used], weekday[used], expected[used]
    groups = np.unique(weekday)
    dof = len(counts) - len(groups)
    if len(counts) < 3 or dof < 1:
        return 0.0, int(len(counts))
    ratio = counts / expected
    k = np.bincount(weekday, minlength=7)
    group_mean = np.bincount(weekday, ratio, 7) / np.maximum(k, 1)
    residual = ratio - group_mean[weekday]
    poisson = np.sum((k[groups] - 1) / expected_by_weekday[groups])
    return float(max(0.0, (np.sum(residual**2) - poisson) / dof)), int(len(counts))


# ---- the command ------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.fit_profile``: fit, check against the base scenario, write, summarise.

    Returns the exit code: 0, or 2 after one message on stderr for bad input.
    """
    args = _parser().parse_args(argv)
    from .cli.config import check_overlay  # noqa: PLC0415 - Hydra only when run

    try:
        interval = parse_duration(args.interval, "--interval")
        span = None
        if args.span is not None:
            parts = args.span.split(",")
            if len(parts) != 2:
                raise ConfigError("--span", args.span, "two durations START,END from the "
                                  "trace's Monday 00:00, e.g. 2d,30d")
            span = (parse_duration(parts[0], "--span start", allow_zero=True),
                    parse_duration(parts[1], "--span end"))
        channels = ([c.strip() for c in args.channels.split(",") if c.strip()]
                    if args.channels else None)
        if not (1 <= len(args.name) <= 100 and args.name.replace("_", "").replace("-", "")
                .isalnum()):
            raise ConfigError("--name", args.name, "letters, digits, _ and - only")
        # Every row is checked, but only the chosen channels are fitted, over the window
        # the whole trace observed.
        replays = read_trace(args.trace)
        absent = [c for c in channels or () if c not in replays]
        if absent:
            raise ValueError(f"--channels: {', '.join(absent)} not in the trace (it has "
                             f"{', '.join(replays)})")
        fits = fit_profile({c: replays[c] for c in channels or replays}, interval,
                           span or default_span(replays))
        overlay = scenario_overlay(fits, args.base, Path(args.trace).name)
        check_overlay(overlay, args.base)
        out = Path(args.out) if args.out else _scenario_dir() / f"{args.name}.yaml"
        _write(out, scenario_yaml(overlay, fits, args.trace, args.base, out.stem, interval),
               args.base)
    except (TraceError, ConfigError, ValueError, OSError) as err:
        print(f"fit_profile: {err}", file=sys.stderr)
        return 2
    print(summary(fits, interval, args.trace))
    where = ("" if out.resolve().parent == _scenario_dir().resolve() else
             f" (copy it to {_scenario_dir()} to use it)")
    print(f"wrote {out}{where}: python -m sim scenario={out.stem}")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m sim.fit_profile",
        description="Fit each channel's arrival rate, intraday and weekly profile and daily "
                    "over-dispersion to a trace (docs/traces.md), and write a scenario "
                    "config that overlays them on a base scenario.")
    p.add_argument("trace", help="the trace CSV")
    p.add_argument("--channels", help="comma-separated channels to fit (default: every "
                                      "channel in the trace); each must be in the base")
    p.add_argument("--interval", default="1h", help="intraday piece: '1h', '30min', '15min' "
                                                    "(divides a day; default 1h)")
    p.add_argument("--span", help="observed window START,END as durations from the trace's "
                                  "Monday 00:00 (default: the whole days with arrivals)")
    p.add_argument("--base", default="default", help="scenario config the fit overlays "
                                                     "(default: default)")
    p.add_argument("--name", default="fitted", help="name of the new scenario config "
                                                    "(default: fitted)")
    p.add_argument("--out", help="where to write it (default: conf/scenario/<name>.yaml)")
    return p


def _scenario_dir() -> Path:
    from .cli.config import CONF_DIR  # noqa: PLC0415 - one definition of where conf/ is

    return CONF_DIR / "scenario"


def _num(x: float) -> float:
    """Rounded to 4 significant digits (the fit is not more precise than that)."""
    return float(np.format_float_positional(x, precision=4, fractional=False, trim="-"))


def _text(x: float) -> str:
    """A number as YAML that every loader reads as one: positional, no exponent."""
    return np.format_float_positional(x, precision=4, fractional=False, trim="-")


def scenario_overlay(fits: Mapping[str, Mapping[str, Any]], base: str,
                     source: str) -> dict[str, Any]:
    """The keys the fitted scenario sets on top of its base (values rounded as written)."""
    return {
        "name": f"{base} with arrivals fitted to {source}",
        "profiles": {f"{ch}_fitted": {"intraday": [_num(v) for v in f["intraday"]],
                                      "weekly": [_num(v) for v in f["weekly"]]}
                     for ch, f in fits.items()},
        "channels": {ch: {"rate_per_hour": _num(f["rate_per_hour"]),
                          "profile": f"{ch}_fitted",
                          "daily_variance": _num(f["daily_variance"])}
                     for ch, f in fits.items()},
    }


def scenario_yaml(overlay: Mapping[str, Any], fits: Mapping[str, Mapping[str, Any]],
                  trace: str, base: str, name: str, interval_min: float) -> str:
    """The scenario config file: a header saying where it came from, then the overlay."""
    start, end = next(iter(fits.values()))["span_min"]
    days = (end - start) / MIN_PER_DAY
    whole = next(iter(fits.values()))["whole_days"]
    unobserved = sorted({d for f in fits.values() for d in f["unobserved_days"]},
                        key=DAYS.index)
    lines = [
        MARKER,
        f"# from the trace {json.dumps(str(trace))}:",
        *(f"#   {ch}: {f['contacts']:,} contacts" for ch, f in fits.items()),
        f"# span: [{start:g}, {end:g}) minutes from the trace's Monday 00:00 ({days:g} days, "
        f"{_when(start)} to {_when(end)})",
        f"# fit: Poisson maximum likelihood of rate x intraday ({_duration(interval_min)} "
        "pieces) x weekly, by iterative",
        "#   proportional fitting of the counts per (weekday, piece) with each cell's exposure "
        "in the span;",
        f"#   daily_variance: method of moments over {whole} whole days (0: no "
        "over-dispersion found, or too few days).",
        *([f"# the span never covers {', '.join(unobserved)}: set to the mean of the "
           "other days (a guess)."] if unobserved else []),
        f"# everything else comes from scenario {base}. Use: python -m sim scenario={name}",
        "defaults:",
        f"  - {base}",
        "  - _self_",
        "",
        f"name: {json.dumps(overlay['name'])}",
        "",
        "profiles:",
    ]
    for prof, shape in overlay["profiles"].items():
        lines += [f"  {_key(prof)}:", *_flow("intraday", shape["intraday"]),
                  *_flow("weekly", shape["weekly"])]
    lines += ["", "channels:"]
    for ch, keys in overlay["channels"].items():
        lines += [f"  {_key(ch)}:",
                  f"    rate_per_hour: {_text(keys['rate_per_hour'])}",
                  f"    profile: {_key(keys['profile'])}",
                  f"    daily_variance: {_text(keys['daily_variance'])}"]
    return "\n".join(lines) + "\n"


def _flow(key: str, values: Sequence[float], per_line: int = 12) -> list[str]:
    """A YAML flow list, wrapped."""
    text = [_text(v) for v in values]
    rows = [", ".join(text[i:i + per_line]) for i in range(0, len(text), per_line)]
    pad = " " * (len(key) + 7)
    return [f"    {key}: [" + f",\n{pad}".join(rows) + "]"]


def _key(name: str) -> str:
    plain = name.replace("_", "").replace("-", "").isalnum() and not name[0].isdigit()
    return name if plain else json.dumps(name)


def _duration(minutes: float) -> str:
    return f"{minutes / 60:g}h" if minutes % 60 == 0 else f"{minutes:g}min"


def _when(t_min: float) -> str:
    """'Wed 00:00 of week 1' for minutes from Monday 00:00."""
    week, rest = divmod(t_min, MIN_PER_WEEK)
    day, clock = divmod(rest, MIN_PER_DAY)
    return f"{DAYS[int(day)]} {_clock(clock)} of week {int(week) + 1}"


def _clock(minutes: float) -> str:
    return f"{int(minutes // 60):02d}:{int(minutes % 60):02d}"


def _write(out: Path, text: str, base: str) -> None:
    """Write ``out`` atomically, never over a config this command did not write."""
    if out.exists():
        with out.open() as f:
            first = f.readline().rstrip("\n")
        if first != MARKER:
            raise ValueError(f"{out} exists and was not written by sim.fit_profile: not "
                             "overwriting it (choose another --name or --out)")
    if out.resolve() == (_scenario_dir() / f"{base}.yaml").resolve():
        raise ValueError(f"--name {base} would replace its own base")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, out)


def summary(fits: Mapping[str, Mapping[str, Any]], interval_min: float, trace: str) -> str:
    """A few lines per channel for the terminal."""
    start, end = next(iter(fits.values()))["span_min"]
    lines = [f"{trace}: {(end - start) / MIN_PER_DAY:g} days from {_when(start)}, "
             f"{_duration(interval_min)} intervals",
             f"{'channel':<12}{'contacts':>10}{'rate/h':>10}{'daily_var':>11}  "
             f"{'peak interval':<15}busiest day"]
    for ch, f in fits.items():
        i = int(np.argmax(f["intraday"]))
        peak = f"{_clock(i * interval_min)}-{_clock((i + 1) * interval_min)}"
        lines.append(f"{ch:<12}{f['contacts']:>10,}{_text(_num(f['rate_per_hour'])):>10}"
                     f"{_text(_num(f['daily_variance'])):>11}  {peak:<15}"
                     f"{DAYS[int(np.argmax(f['weekly']))]}")
    unobserved = sorted({d for f in fits.values() for d in f["unobserved_days"]},
                        key=DAYS.index)
    if unobserved:
        lines.append(f"note: the span never covers {', '.join(unobserved)}; their weekly "
                     "factor is set to the mean of the other days")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
