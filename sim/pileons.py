"""Pile-ons: public complaints that breed more public complaints while nobody answers.

Each unanswered public complaint excites follow-up complaints in its thread at rate

    lambda(t) = n * w / tau * exp(-t / tau),   t = time since it was posted,

a Hawkes process with an exponential kernel: ``n`` is the branching ratio (the mean number of
direct pile-ons of an average complaint left unanswered for ever), ``tau`` how long the
excitement lasts, and ``w`` the author's reach weight, ``reach**gamma`` normalised so that
its mean over the channel's reach distribution is exactly 1 (louder authors draw more
pile-ons, and ``n`` keeps its meaning). Pile-ons are complaints too and excite their own.
A first response stops a complaint's excitation.

Sampling. Stopping at the first response is a thinning the engine applies: a complaint's
offspring process up to its response time is exactly the unstopped process restricted to
offspring born before that time. So the whole cascade a complaint *would* cause if nobody
ever answered is drawn up front, generation by generation (Poisson offspring counts,
exponential delays), and the engine lets a potential pile-on arrive only if its parent is
still unanswered at that moment. Every policy therefore sees the same potential pile-ons
(common random numbers); a policy that answers sooner just prunes more of them. With no one
answering, each complaint's cluster has ``n / (1 - n)`` pile-ons on average.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .distributions import Distribution
from .errors import InvalidValue


@dataclass(frozen=True)
class PileOn:
    """Self-excitation of one public channel's complaints.

    Parameters
    ----------
    branching : float
        Branching ratio n in [0, 1): mean direct pile-ons of an average-reach complaint that
        is never answered. At 1 or more a cascade need not die out.
    decay_min : float
        Mean delay tau of a pile-on after the complaint it answers, minutes (the excitation
        decays as exp(-t / tau)).
    reach_exponent : float
        gamma >= 0: excitation grows as reach**gamma (0: reach does not matter).
    """

    branching: float
    decay_min: float
    reach_exponent: float = 0.5

    def __post_init__(self) -> None:
        if not (math.isfinite(self.branching) and 0 <= self.branching < 1):
            raise InvalidValue("branching", self.branching, "must be in [0, 1): a branching "
                               "ratio of 1 or more makes a cascade of pile-ons that need not "
                               "die out")
        if not (math.isfinite(self.decay_min) and self.decay_min > 0):
            raise InvalidValue("decay_min", self.decay_min, "must be > 0 (minutes)")
        if not (math.isfinite(self.reach_exponent) and self.reach_exponent >= 0):
            raise InvalidValue("reach_exponent", self.reach_exponent, "must be >= 0")

    @property
    def mean_cluster(self) -> float:
        """Mean pile-ons, all generations, of one complaint nobody answers: n / (1 - n)."""
        return self.branching / (1 - self.branching)

    def expected_cluster(self, answered_after_min: float) -> float:
        """Mean pile-ons, all generations, of one complaint when every complaint is answered
        ``answered_after_min`` after it is posted (``inf``: never; :attr:`mean_cluster`).

        See :meth:`cluster`; here the stop transform is ``exp(-T / tau)``.
        """
        if not answered_after_min >= 0:
            raise ValueError(f"answered_after_min={answered_after_min} must be >= 0")
        return self.cluster(math.exp(-answered_after_min / self.decay_min))

    def cluster(self, stop_transform: float) -> float:
        """Mean pile-ons, all generations, of one complaint, from how fast complaints are
        answered: ``m / (1 - m)`` with ``m = n (1 - L)``, ``L = E[exp(-W / tau)]``.

        A complaint answered after ``W`` draws direct pile-ons only before ``W``: on average
        ``n w (1 - exp(-W / tau))``, which is ``m`` over the reach weights (mean 1) and the
        response times. Its pile-ons are complaints with fresh authors and response times
        drawn alike, so the generations form a branching process with mean offspring ``m``.
        ``L`` is the Laplace transform of the response time at ``1 / tau``, e.g.
        :func:`sim.erlang.erlang_c_wait_transform` for a queue that answers in M/M/c order.

        Parameters
        ----------
        stop_transform : float
            ``L`` in [0, 1]: 1 when every complaint is answered at once, 0 when none ever is.
        """
        if not 0 <= stop_transform <= 1:
            raise ValueError(f"stop_transform={stop_transform} must be in [0, 1]")
        m = self.branching * (1.0 - stop_transform)
        return m / (1 - m)

    def weights(self, reach: np.ndarray, reach_dist: Distribution | None) -> np.ndarray:
        """Reach weight of each complaint: reach**gamma / E[R**gamma] (mean 1)."""
        if reach_dist is None or self.reach_exponent == 0:
            return np.ones(len(reach))
        return np.asarray(reach, float) ** self.reach_exponent / reach_dist.moment(
            self.reach_exponent)


@dataclass(frozen=True)
class Cascade:
    """The potential pile-ons of a batch of complaints, in generation order.

    Attributes
    ----------
    parent : ndarray of int
        Position of each pile-on's parent: ``0..R-1`` are the R complaints the cascade was
        drawn for, ``R + j`` is the j-th pile-on of this cascade.
    arrival_min : ndarray of float
        When the pile-on would be posted (if its parent is still unanswered then), minutes.
    reach : ndarray of float
        Its author's reach.
    """

    parent: np.ndarray
    arrival_min: np.ndarray
    reach: np.ndarray

    def __len__(self) -> int:
        return len(self.arrival_min)


def draw_cascade(pileon: PileOn, reach_dist: Distribution | None, arrival_min: np.ndarray,
                 reach: np.ndarray, horizon_min: float, rng: np.random.Generator,
                 reach_rng: np.random.Generator) -> Cascade:
    """Every pile-on the complaints posted at ``arrival_min`` would cause if never answered.

    Pile-ons posted at or after ``horizon_min`` are dropped with their descendants (arrivals
    stop at the horizon). ``rng`` draws counts and delays, ``reach_rng`` the pile-on authors'
    reach: separate streams so that a reach distribution change leaves the timing alone.
    """
    parents, times, reaches = [], [], []
    par_pos = np.arange(len(arrival_min))
    par_t = np.asarray(arrival_min, float)
    par_w = pileon.weights(reach, reach_dist)
    next_pos = len(par_t)
    while len(par_t):
        counts = rng.poisson(pileon.branching * par_w)
        total = int(counts.sum())
        if total == 0:
            break
        t = np.repeat(par_t, counts) + rng.exponential(pileon.decay_min, total)
        keep = t < horizon_min
        p, t = np.repeat(par_pos, counts)[keep], t[keep]
        r = (reach_dist.sample(reach_rng, len(t)) if reach_dist is not None
             else np.zeros(len(t)))
        parents.append(p)
        times.append(t)
        reaches.append(r)
        par_pos = next_pos + np.arange(len(t))
        next_pos += len(t)
        par_t, par_w = t, pileon.weights(r, reach_dist)
    cat = lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)
    return Cascade(cat(parents, np.int64), cat(times, float), cat(reaches, float))
