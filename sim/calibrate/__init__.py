"""From a client's history to the parameters of a model: what ``python -m sim.calibrate`` fits.

:func:`calibrate` takes an interval report (:func:`sim.history.read_intervals`) and,
optionally, a contact export (:func:`sim.history.read_contacts`) and fits, per channel:

- **arrivals**: the weekly-average rate, intraday and weekly shapes and the day-level
  over-dispersion ``daily_variance``, by the same fit as ``python -m sim.fit_profile``
  (:func:`sim.fit_profile.fit_cells`) on the report's ``offered`` counts. ``offered`` counts
  every attempt (retrials, switches and pile-ons included, as an ACD does), so the fitted
  model treats them all as first attempts;
- **handle times**: from a contact export's ``handle_s``, the shipped family with the
  smallest AIC (:func:`sim.survival.fit_handle`); from the report alone, a lognormal with
  the handled-weighted mean of ``aht_s`` and an assumed cv (:data:`DEFAULT_HANDLE_CV`);
- **patience**: from a contact export, censored maximum likelihood (answered contacts are
  censored at their wait; :func:`sim.survival.fit_patience`); from the report alone, the
  Erlang-A relation P(abandon) = E[wait] / mean patience, with the mean wait of all
  contacts approximated by ``asa_s`` (the wait of the answered): an approximation;
- **staffing**: the ``agents`` column as a schedule over the history's own weeks.

Every figure carries where it came from and its standard error, for the comments
:mod:`sim.calibrate.write` puts next to it. Pure functions of tables: no config, no
simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING
import numpy as np
import pandas as pd

from ..arrivals import MIN_PER_DAY, MIN_PER_WEEK
from ..fit_profile import cell_exposure, fit_cells
from ..history import IntervalReport
from .staffing import agents_per_interval
from ..survival import DurationFit, FamilyFit, fit_handle, fit_patience

if TYPE_CHECKING:  # the contact export's reader is only needed by who reads one
    from ..history import ContactExport

__all__ = ["DEFAULT_HANDLE_CV", "Calibration", "ChannelFit", "Fitted", "calibrate",
           "minutes_from_origin", "origin_of"]

#: cv of handle times when only interval means are known. Brown et al. (JASA 2005) find
#: call handle times close to lognormal with a standard deviation about equal to the mean.
DEFAULT_HANDLE_CV = 1.0
#: chi-square(1) 99% quantile: the likelihood ratio that rejects exponential patience.
LR_CRITICAL = 6.63
#: Fewest per-contact observations (handle times, abandonments) a channel's fit from the
#: contact export needs; below, the interval report's estimate is used.
MIN_SAMPLE = 30


@dataclass(frozen=True)
class Fitted:
    """A fitted duration distribution (minutes), and what it came from.

    Attributes
    ----------
    dist : str
        Family, as the scenario config names it (``lognormal``, ``exponential``...).
    mean, cv : float
        Mean (minutes) and coefficient of variation.
    mean_se : float
        Standard error of the mean, minutes.
    note : str
        One line: the data, the method, the standard error (for the config's comment).
    """

    dist: str
    mean: float
    cv: float
    mean_se: float
    note: str


@dataclass(frozen=True)
class ChannelFit:
    """One channel's calibration.

    Attributes
    ----------
    name : str
        The channel.
    arrivals : dict
        As one channel of :func:`sim.fit_profile.fit_profile`, plus ``rate_se`` (contacts
        per hour) and ``variance_se``.
    handle : Fitted
        Handle times.
    patience : Fitted or None
        None when nobody abandoned (customers who never give up) or nothing tells.
    patience_note : str
        Why patience is what it is (the fit's note, or why there is none).
    patience_known : bool
        False when customers abandoned but nothing tells how patient they were (the writer
        then falls back to the base scenario's patience).
    agents : numpy.ndarray or None
        Agents staffed per interval from the origin over whole weeks (NaN where the
        history says nothing), None without an ``agents`` column.
    """

    name: str
    arrivals: dict
    handle: Fitted
    patience: Fitted | None
    patience_note: str
    patience_known: bool
    agents: np.ndarray | None


@dataclass(frozen=True)
class Calibration:
    """What a history says about an operation.

    Attributes
    ----------
    origin : pandas.Timestamp
        Monday 00:00 of the history's first week: the model's time 0.
    interval_min : int
        The report's interval length, minutes (the model's planning interval).
    start_min, end_min : float
        The history's first interval start and last interval end, minutes from the origin.
    channels : tuple of ChannelFit
        In the report's order.
    """

    origin: pd.Timestamp
    interval_min: int
    start_min: float
    end_min: float
    channels: tuple[ChannelFit, ...]


def origin_of(report: IntervalReport) -> pd.Timestamp:
    """Monday 00:00 of the week of the report's first interval (the model starts on one)."""
    first = report.table["interval_start"].min()
    return first.normalize() - pd.Timedelta(days=first.day_of_week)


def minutes_from_origin(times: pd.Series, origin: pd.Timestamp) -> np.ndarray:
    """Date-times as minutes from ``origin`` (float)."""
    return ((times - origin) / pd.Timedelta(minutes=1)).to_numpy(float)


def calibrate(report: IntervalReport, contacts: ContactExport | None = None,
              handle_cv: float = DEFAULT_HANDLE_CV) -> Calibration:
    """Fit every channel of ``report`` (and of ``contacts``, where it has the channel).

    Parameters
    ----------
    report : IntervalReport
        The checked interval report.
    contacts : ContactExport, optional
        Per-contact records of the same operation: handle times and patience come from them
        where they have the channel.
    handle_cv : float
        cv of handle times fitted from interval means only (> 0).

    Raises
    ------
    ValueError
        A channel that cannot be fitted (no contacts offered at all), naming it.
    """
    if not (handle_cv > 0 and math.isfinite(handle_cv)):
        raise ValueError(f"calibrate.handle_cv={handle_cv!r}: must be a number > 0")
    origin = origin_of(report)
    length = report.interval_min
    table = report.table.assign(t_min=minutes_from_origin(report.table["interval_start"],
                                                          origin))
    end = float(table["t_min"].max() + length)
    fits = []
    for name in report.channels:
        rows = table[table["channel"] == name]
        mine = None
        if contacts is not None:
            mine = contacts.table[contacts.table["channel"] == name]
            mine = mine if len(mine) else None
        fits.append(ChannelFit(name, _arrivals(rows, length, name),
                               _handle(rows, mine, handle_cv), *_patience(rows, mine),
                               agents_per_interval(rows, length, end) if "agents" in rows else None))
    return Calibration(origin, length, float(table["t_min"].min()), end, tuple(fits))


def _arrivals(rows: pd.DataFrame, length: int, name: str) -> dict:
    """Profiles and over-dispersion from the offered counts (one interval per row, no gaps)."""
    t = rows["t_min"].to_numpy(float)
    offered = rows["offered"].to_numpy(float)
    if offered.sum() == 0:
        raise ValueError(f"channel {name}: no contacts offered in the whole history; a rate "
                         "of zero cannot be simulated (leave the channel out)")
    start, end = float(t.min()), float(t.max() + length)
    exposure = cell_exposure(start, end, length).reshape(7, -1)
    cells = (t % MIN_PER_WEEK // length).astype(np.int64)
    counts = np.bincount(cells, weights=offered, minlength=exposure.size)
    first, last = math.ceil(start / MIN_PER_DAY), math.floor(end / MIN_PER_DAY)
    whole = (t >= first * MIN_PER_DAY) & (t < last * MIN_PER_DAY)
    days = np.bincount((t[whole] // MIN_PER_DAY).astype(np.int64) - first,
                       weights=offered[whole], minlength=max(last - first, 0))
    fit = fit_cells(counts.reshape(exposure.shape), exposure, days, first, length,
                    (start, end))
    # The week-average rate's error: Poisson counts, inflated by the day-level busyness
    # factor (variance v on each of D days adds v/D to the squared relative error).
    n, d = fit["contacts"], max(fit["whole_days"], 1)
    fit["rate_se"] = fit["rate_per_hour"] * math.sqrt(1 / n + fit["daily_variance"] / d)
    # Method of moments on D - G degrees of freedom (D whole days of G weekdays): the
    # variance of a sample variance, as if the day ratios were normal (an approximation).
    days = fit["whole_days"]
    dof = days - min(days, 7)
    per_day = n / max(days, 1)
    fit["variance_se"] = (math.sqrt(2 / dof) * (fit["daily_variance"] + 1 / max(per_day, 1))
                          if dof >= 1 else math.nan)
    return fit


def _handle(rows: pd.DataFrame, contacts: pd.DataFrame | None,
            handle_cv: float) -> Fitted:
    if contacts is not None:
        handle = contacts["handle_s"].to_numpy(float)
        handle = handle[np.isfinite(handle)]
        # A handle time of 0 s is a record rounded to the clock or closed by the system,
        # not work: the families fitted are for positive durations.
        zero = int(np.sum(handle <= 0))
        handle = handle[handle > 0]
        if len(handle) >= MIN_SAMPLE:
            fit = fit_handle(handle / 60.0)
            left = f" ({zero:,} of 0 s left out)" if zero else ""
            return Fitted(fit.family, fit.mean, fit.cv, fit.mean_se,
                          f"maximum likelihood on the contact export's {len(handle):,} "
                          f"handle times{left}; {fit.describe()}")
    handled = rows["handled"].to_numpy(float)
    total = handled.sum()
    if total == 0:
        raise ValueError(f"channel {rows['channel'].iloc[0]}: no contact handled in the whole "
                         "history, so no handle time to fit")
    aht_min = rows["aht_s"].to_numpy(float) / 60.0
    mean = float(np.sum(handled * aht_min) / total)
    se = mean * handle_cv / math.sqrt(total)
    check = _spread_cv(handled, aht_min, mean)
    note = (f"mean of aht_s weighted by handled over {int(total):,} contacts (SE "
            f"{se:.3g} min with the cv); cv {handle_cv:g} ASSUMED (no per-contact handle "
            "times; Brown et al. 2005: lognormal, sd about the mean)")
    if check is not None:
        note += (f"; the spread of aht_s across intervals suggests cv {check:.2f} (an upper "
                 "bound when the mean moves during the day)")
    return Fitted("lognormal", mean, handle_cv, se, note)


def _spread_cv(handled: np.ndarray, aht_min: np.ndarray, mean: float) -> float | None:
    """cv from the interval means' spread: Var(mean of n) = sigma**2 / n, if the mean is
    the same in every interval (so an upper bound)."""
    ok = handled >= 2
    if ok.sum() < 10:
        return None
    sigma2 = np.sum(handled[ok] * (aht_min[ok] - mean) ** 2) / (ok.sum() - 1)
    return float(math.sqrt(sigma2) / mean)


def _patience(rows: pd.DataFrame, contacts: pd.DataFrame | None
              ) -> tuple[Fitted | None, str, bool]:
    """From the contact export when it holds enough abandonments, else from the report:
    the fit (None: customers who never abandon, or nothing tells), its note, and whether
    the history told."""
    skipped = ""
    if contacts is not None:
        known = contacts[np.isfinite(contacts["wait_s"].to_numpy(float))]
        abandoned = known["abandoned"].to_numpy(bool)
        if abandoned.sum() >= MIN_SAMPLE:
            return _censored(known, abandoned)
        skipped = (f"the contact export has {int(abandoned.sum())} abandonments of this "
                   f"channel (fewer than {MIN_SAMPLE}); ")
    abandoned = rows["abandoned"].to_numpy(float)
    if abandoned.sum() == 0:
        return None, skipped + "none: nobody abandoned in the whole history", True
    asa = rows["asa_s"].to_numpy(float) if "asa_s" in rows else np.full(len(rows), np.nan)
    ok = np.isfinite(asa)
    resolved = rows["handled"].to_numpy(float) + abandoned
    waited = np.sum(asa[ok] * resolved[ok]) / 60.0
    lost = abandoned[ok].sum()
    if lost == 0 or waited <= 0:
        return None, (skipped + f"not estimable: {int(abandoned.sum()):,} contacts abandoned, "
                      "but no interval gives both asa_s and abandonment to tell how patient "
                      "customers were"), False
    mean = float(waited / lost)
    se = mean / math.sqrt(lost)
    note = (skipped + f"Erlang-A approximation: mean patience = mean wait / P(abandon), the "
            f"mean wait of all {int(resolved[ok].sum()):,} contacts taken as asa_s (the "
            f"answered ones'), {int(lost):,} abandoned; SE {se:.3g} min from the abandonment "
            "count only; exponential ASSUMED")
    return Fitted("exponential", mean, 1.0, se, note), note, True


def _censored(known: pd.DataFrame, abandoned: np.ndarray) -> tuple[Fitted, str, bool]:
    """Censored maximum likelihood on a contact export's waits."""
    # An abandonment stamped at its arrival (to the second) waited less than the clock's
    # resolution, not zero: a zero would make the Weibull likelihood vanish.
    waits = known["wait_s"].to_numpy(float)
    waits = np.where(abandoned & (waits <= 0), 0.5, waits) / 60.0
    fit = fit_patience(waits, abandoned)
    chosen, why = _nested(fit)
    km = fit.km
    at = [t for t in (1.0, 2.0, 5.0) if len(km.times) and t <= km.times[-1]]
    survival = ", ".join(f"{km.survival[np.searchsorted(km.times, t, 'right') - 1]:.2f} at "
                         f"{t:g} min" for t in at if np.searchsorted(km.times, t, "right"))
    note = (f"censored maximum likelihood on the contact export's {len(known):,} waits "
            f"({int(abandoned.sum()):,} abandoned; answered ones censored): {chosen.family} "
            f"mean {chosen.mean:.3g} min (SE {chosen.mean_se:.2g}), cv {chosen.cv:.2f}; {why}"
            + (f"; Kaplan-Meier share still waiting {survival}" if survival else ""))
    return Fitted(chosen.family, chosen.mean, chosen.cv, chosen.mean_se, note), note, True


def _nested(fit: DurationFit) -> tuple[FamilyFit, str]:
    """Exponential patience (Erlang A's) unless the data reject it: the Weibull nests it,
    so a likelihood-ratio test decides (1% level), not the smaller AIC, which would pick
    the Weibull on a shape of 1.03 from a few thousand abandonments."""
    exp = fit.candidate("exponential")
    try:
        weibull = fit.candidate("weibull")
    except KeyError:
        return exp, "exponential (no Weibull fit)"
    statistic = 2 * (weibull.loglik - exp.loglik)
    if statistic > LR_CRITICAL:
        return weibull, f"Weibull: likelihood ratio {statistic:.1f} > {LR_CRITICAL} rejects " \
                        "the exponential at 1%"
    return exp, (f"exponential: likelihood ratio {statistic:.1f} <= {LR_CRITICAL}, no "
                 "evidence against it at 1%")
