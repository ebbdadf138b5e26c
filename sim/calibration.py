"""Customer expectations fitted to published survey figures: the calibration table as data.

Each channel's *expectation* is the first-response time a customer expects (waiting longer
leaves them dissatisfied), a lognormal given in the scenario by its ``median`` (minutes) and
``sigma`` (standard deviation of the log). The surveys in ``docs/sources.md`` each state
one point of that distribution: "``share`` of customers expect a reply within ``minutes``",
i.e. the ``share``-quantile is ``minutes``.

Method
------
A lognormal's quantiles lie on a straight line in (z, ln t), z = Phi^-1(share):
``ln t = mu + sigma * z``. We regress ln(minutes) on z by ordinary least squares over every
figure that applies to the channel, so median = exp(mu) and sigma is the slope.

Why least squares and not one source: the sources disagree (Twitter: 53% within 1 h for
Lithium, 64% for Eptica; Facebook: 29% within 2 h in one survey, half within 2 h in another),
and picking one would silently discard the others. The fit keeps them all in the table and
compromises between them; the residuals (fitted CDF minus stated share, per figure) show how
far each source is from the compromise. Regressing in log-time on z is the closed-form
least squares of a location-scale family on its quantiles; it needs no optimiser, so the fit
is exactly reproducible (sums use :func:`math.fsum`, so it does not even depend on the order
of the figures).

Which figures apply to which channel: a survey about Twitter constrains ``twitter``, one
about Facebook ``facebook``; the figures about social customer care in general (Arise,
Oracle) constrain all three social channels ``twitter``, ``facebook`` and ``messages``
(private social messages have no figure of their own). Phone and chat have no survey figure:
their rows in :data:`ASSUMED` are explicit assumptions, fitted the same way, to be replaced
with a client's data. Figures that do not state a share of customers' expectations are kept
in :data:`EXCLUDED` with the reason.

Run ``python scripts/fit_expectations.py`` to print the fit; ``--check`` verifies that
``conf/scenario/default.yaml`` carries it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Iterable, Sequence

import numpy as np

_STD_NORMAL = NormalDist()

# Short source labels; the titles are in docs/sources.md and docs/calibration.md.
SMT = "Social Media Today 2012"  # 'Five Reasons Why Customers Want Social Customer Service'
ARTICLE = "Social Customer Care Increases in Popularity"  # article quoting Oracle
ORACLE = "Oracle survey"  # as quoted in ARTICLE
LITHIUM = "Lithium / Millward Brown 2013 (n = 501)"
ARISE = "Arise 2017 (n > 1,500)"
EPTICA = "Eptica study"


@dataclass(frozen=True)
class Figure:
    """One published point of an expectation distribution.

    Parameters
    ----------
    channel_group : str
        What the figure is about: a channel name (``twitter``, ``facebook``, ``email``,
        ``phone``, ``chat``) or ``social`` (social customer care in general).
    minutes : float
        The stated time, in minutes (> 0).
    share : float
        The share of customers (0 < share < 1) who expect a reply within ``minutes``.
    source : str
        Who published it (or ``ASSUMED``).
    note : str
        How the published wording was read into (minutes, share).
    """

    channel_group: str
    minutes: float
    share: float
    source: str
    note: str = ""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.minutes) and self.minutes > 0):
            raise ValueError(f"minutes={self.minutes} must be a positive duration")
        if not 0 < self.share < 1:
            raise ValueError(f"share={self.share} must be strictly between 0 and 1")


@dataclass(frozen=True)
class Excluded:
    """A figure from the calibration sources that is deliberately not fitted, and why."""

    figure: str
    source: str
    reason: str


#: The survey figures that constrain expectations (docs/sources.md).
FIGURES: tuple[Figure, ...] = (
    Figure("twitter", 30, 0.30, SMT, "30% expect an answer within 30 minutes"),
    Figure("facebook", 120, 0.29, SMT, "29% expect a response in under 2 hours"),
    Figure("social", 120, 0.50, ORACLE, "half expect a response within 2 hours of posting"),
    Figure("email", 240, 0.50, ARTICLE,
           "'a response in 4 to 24 hours used to please; now deemed unacceptable': read as "
           "at least half now expect a reply within 4 h, taken at its weakest, a median of 4 h"),
    Figure("twitter", 60, 0.53, LITHIUM, "53% expect a reply within 1 hour (all respondents)"),
    Figure("social", 5, 0.237, ARISE,
           "23.7% want a reply 'immediately': read as within 5 minutes"),
    Figure("social", 60, 0.498, ARISE, "49.8% within 1 hour"),
    Figure("social", 1440, 0.792, ARISE, "79.2% within 1 day"),
    Figure("twitter", 60, 0.64, EPTICA, "64% expect a reply within 1 hour"),
    Figure("facebook", 360, 0.85, EPTICA, "85% expect a reply within 6 hours"),
    Figure("email", 360, 0.77, EPTICA, "77% expect a reply within 6 hours"),
)

#: Phone and chat have no survey figure. ASSUMED: half expect an answer within 1 minute and
#: 90% within 5 minutes (phone) or 3 minutes (chat) -- live channels where waiting is felt at
#: once, in line with the 80/20 service-level convention. Replace with a client's data.
ASSUMED: tuple[Figure, ...] = (
    Figure("phone", 1, 0.50, "ASSUMED", "median 1 min; no survey figure"),
    Figure("phone", 5, 0.90, "ASSUMED", "90% within 5 min; no survey figure"),
    Figure("chat", 1, 0.50, "ASSUMED", "median 1 min; no survey figure"),
    Figure("chat", 3, 0.90, "ASSUMED", "90% within 3 min; no survey figure"),
)

#: Figures in the sources that are not points of a customer-expectation distribution.
EXCLUDED: tuple[Excluded, ...] = (
    Excluded("Twitter: 72% expect a reply within 1 hour when complaining", LITHIUM,
             "a subgroup; the simulator draws expectations independently of whether a "
             "contact is a complaint, so the all-respondents 53% is the matching figure"),
    Excluded("industry-best campaigns give an initial response within 15 minutes", ARTICLE,
             "what the best companies do, not what customers expect; no share is stated"),
    Excluded("measured mean replies 1 d 7 h / 1 d 3 h / 7 h 51 min (Twitter/Facebook/email)",
             EPTICA, "companies' actual response times (a check on a run's output), not "
                     "expectations"),
    Excluded("80% of calls answered within 20 seconds", "industry convention ('80/20')",
             "a service-level target set by operators, not a share of customers' expectations"),
)

#: The figure groups each simulator channel is fitted to.
CHANNEL_GROUPS: dict[str, tuple[str, ...]] = {
    "phone": ("phone",),
    "chat": ("chat",),
    "email": ("email",),
    "twitter": ("twitter", "social"),
    "facebook": ("facebook", "social"),
    "messages": ("social",),
}


@dataclass(frozen=True)
class Fit:
    """A channel's fitted expectation distribution.

    Attributes
    ----------
    channel : str
        Simulator channel name.
    median : float
        Fitted median, minutes (unrounded).
    sigma : float
        Fitted standard deviation of ln(minutes) (unrounded).
    figures : tuple of Figure
        The figures it was fitted to.
    residuals : tuple of float
        Per figure, the fitted CDF at its time minus its stated share (a share, -1..1).
    """

    channel: str
    median: float
    sigma: float
    figures: tuple[Figure, ...]
    residuals: tuple[float, ...]

    @property
    def published(self) -> tuple[int, float]:
        """The parameters as written in config: (median in whole minutes, sigma to 2 dp)."""
        return published(self.median, self.sigma)

    @property
    def rms(self) -> float:
        """Root mean square of the residuals (share)."""
        return math.sqrt(math.fsum(r * r for r in self.residuals) / len(self.residuals))

    def yaml(self) -> str:
        """The scenario's ``expectation:`` value for the published parameters."""
        median, sigma = self.published
        return f"{{dist: lognormal, median: {format_minutes(median)}, sigma: {sigma:.2f}}}"


def published(median: float, sigma: float) -> tuple[int, float]:
    """Round fitted parameters as published: median to whole minutes, sigma to 2 decimals.

    The surveys state times no finer than minutes and shares to 1-3 digits, so more precision
    would be spurious.
    """
    return max(1, round(median)), round(sigma, 2)


def format_minutes(minutes: int) -> str:
    """A whole number of minutes as a config duration: '4h' when whole hours, else '64min'."""
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}min"


def lognormal_cdf(minutes: float | np.ndarray, median: float, sigma: float) -> np.ndarray:
    """P(expectation <= minutes) for a lognormal with the given median (minutes) and sigma."""
    z = np.log(np.asarray(minutes, dtype=float) / median) / sigma
    return np.vectorize(_STD_NORMAL.cdf, otypes=[float])(z)


def fitted_shares(figures: Iterable[Figure], median: float, sigma: float) -> np.ndarray:
    """The lognormal's CDF at each figure's time (share), to compare with the stated shares."""
    return lognormal_cdf([f.minutes for f in figures], median, sigma)


def fit_lognormal(figures: Sequence[Figure]) -> tuple[float, float, tuple[float, ...]]:
    """Least-squares lognormal through stated quantiles.

    Regresses ln(minutes) on z = Phi^-1(share) (ordinary least squares, closed form):
    ``ln t = mu + sigma * z``.

    Parameters
    ----------
    figures : sequence of Figure
        At least two, with at least two distinct shares.

    Returns
    -------
    median : float
        exp(mu), minutes.
    sigma : float
        The slope: standard deviation of ln(minutes).
    residuals : tuple of float
        Per figure (in the given order), fitted CDF at its time minus its stated share.

    Raises
    ------
    ValueError
        If the figures cannot determine a lognormal (fewer than two distinct shares) or imply
        a non-increasing CDF (slope <= 0).
    """
    z = [_STD_NORMAL.inv_cdf(f.share) for f in figures]
    t = [math.log(f.minutes) for f in figures]
    n = len(z)
    if n < 2 or len(set(z)) < 2:
        raise ValueError(f"{n} figure(s) with {len(set(z))} distinct share(s): a lognormal "
                         "needs at least two distinct shares")
    # fsum is correctly rounded, so the fit is bit-for-bit independent of the figures' order.
    z_bar, t_bar = math.fsum(z) / n, math.fsum(t) / n
    sxx = math.fsum((zi - z_bar) ** 2 for zi in z)
    sxy = math.fsum((zi - z_bar) * (ti - t_bar) for zi, ti in zip(z, t))
    sigma = sxy / sxx
    if sigma <= 0:
        raise ValueError(f"the figures imply sigma={sigma:.3g}: shares must grow with time")
    median = math.exp(t_bar - sigma * z_bar)
    shares = fitted_shares(figures, median, sigma)
    return median, sigma, tuple(float(s - f.share) for s, f in zip(shares, figures))


def figures_for(channel: str,
                figures: Iterable[Figure] = FIGURES + ASSUMED) -> tuple[Figure, ...]:
    """The figures that apply to a simulator channel (see :data:`CHANNEL_GROUPS`)."""
    groups = CHANNEL_GROUPS[channel]
    return tuple(f for f in figures if f.channel_group in groups)


def fit_all() -> dict[str, Fit]:
    """Each simulator channel's fitted expectation, in :data:`CHANNEL_GROUPS` order."""
    fits = {}
    for channel in CHANNEL_GROUPS:
        figures = figures_for(channel)
        median, sigma, residuals = fit_lognormal(figures)
        fits[channel] = Fit(channel, median, sigma, figures, residuals)
    return fits
