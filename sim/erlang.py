"""Analytic queueing results (Erlang B, C and A) for staffing and for validating the simulator.

The discrete-event simulator is checked against these formulas, and the staffing policies
use them to turn a forecast into a headcount per interval, so they must be exact (not
approximations) and cheap enough to evaluate for hundreds of intervals.

Units: times in minutes, rates per minute, offered load ``rate * mean_handle`` in Erlangs.

Erlang A (M/M/c+M) is computed from the stationary birth-death chain, whose queue part is
the series ``Q(x) = sum_k x**k / prod_{i=1..k} (c*mu + i*theta)``. Solving the waiting
customers' pure-death dynamics with the ansatz "stationary shape with ``lambda`` replaced by
``lambda * exp(-theta*u)``" shows that the probability that an arrival is still at the head
of the queue ``u`` minutes after arriving is ``p_c * exp(lambda/theta * (1 - exp(-theta*u))
- (c*mu + theta)*u)``; integrating the answer rate ``c*mu`` times that gives the service
level with the same series evaluated at ``lambda*exp(-theta*t)`` (equivalent to the
incomplete-gamma form of Mandelbaum & Zeltyn, without needing the incomplete gamma).
``birth_death_mmc`` solves the same chain as a plain linear system and deliberately
shares no code with the series, so tests can use it as an independent check.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

__all__ = [
    "QueueMetrics", "erlang_b", "erlang_c", "erlang_c_metrics", "erlang_a_metrics",
    "birth_death_mmc", "halfin_whitt_delay", "sqrt_staffing", "min_agents_erlang_c",
    "min_agents_erlang_a",
]

# Series terms this far (natural log) below the largest term cannot change a double sum.
_LOG_NEGLIGIBLE = math.log(1e-17)
# Beyond this the queue series would not fit in memory; only absurd inputs get here
# (patience so long that millions of customers wait in an overloaded queue).
_MAX_TERMS = 20_000_000


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state performance of one queue.

    Attributes
    ----------
    frac_delayed : float
        Probability that an arrival waits at all (finds every server busy).
    mean_wait_min : float
        Mean time from arrival to answer or abandonment, over all arrivals, in minutes.
    asa_min : float
        Average speed of answer: mean wait of answered contacts only, in minutes.
    service_level : float
        Share of all arrivals answered within the target; abandoned contacts count as
        misses even when they abandon before the target.
    abandon_rate : float
        Share of arrivals that abandon.
    occupancy : float
        Mean number of busy servers divided by the number of servers.
    """

    frac_delayed: float
    mean_wait_min: float
    asa_min: float
    service_level: float
    abandon_rate: float
    occupancy: float


def _real(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return x


def _positive(name: str, value: object) -> float:
    x = _real(name, value)
    if x <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return x


def _nonnegative(name: str, value: object) -> float:
    x = _real(name, value)
    if x < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return x


def _count(name: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def _fraction(name: str, value: object, *, closed: bool) -> float:
    x = _real(name, value)
    if not (0 < x <= 1 if closed else 0 < x < 1):
        raise ValueError(f"{name} must be in (0, 1{']' if closed else ')'}, got {value!r}")
    return x


def _erlang_b(c: int, a: float) -> float:
    # B(k) = a*B(k-1) / (k + a*B(k-1)) stays in [0, 1], unlike a^c/c!, so it cannot overflow.
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of the M/M/c/c loss system (Erlang B).

    Parameters
    ----------
    servers : int
        Number of servers, >= 1.
    load : float
        Offered load in Erlangs, >= 0.

    Returns
    -------
    float
        Probability that an arrival finds all servers busy and is lost.
    """
    return _erlang_b(_count("servers", servers), _nonnegative("load", load))


def erlang_c(servers: int, load: float) -> float:
    """Probability of waiting in M/M/c (Erlang C); 1.0 when ``load >= servers``.

    Parameters
    ----------
    servers : int
        Number of servers, >= 1.
    load : float
        Offered load in Erlangs, >= 0.

    Returns
    -------
    float
        P(wait > 0) for an arrival.
    """
    c, a = _count("servers", servers), _nonnegative("load", load)
    if a >= c:
        return 1.0
    b = _erlang_b(c, a)
    return b / (1.0 - (a / c) * (1.0 - b))


def _c_metrics(lam: float, h: float, c: int, t: float, b: float) -> QueueMetrics:
    a = lam * h
    p_wait = b / (1.0 - (a / c) * (1.0 - b))
    drain = c / h - lam  # rate at which the queue empties while all servers are busy
    wait = p_wait / drain
    return QueueMetrics(p_wait, wait, wait, 1.0 - p_wait * math.exp(-drain * t), 0.0, a / c)


def erlang_c_metrics(rate_per_min: float, mean_handle_min: float, servers: int,
                     target_min: float) -> QueueMetrics:
    """Steady-state metrics of M/M/c (Erlang C, infinitely patient callers).

    Parameters
    ----------
    rate_per_min : float
        Arrival rate, contacts per minute (> 0).
    mean_handle_min : float
        Mean handle time, minutes (> 0).
    servers : int
        Number of agents, >= 1; must exceed the load ``rate_per_min * mean_handle_min``.
    target_min : float
        Service-level target (answer within this many minutes), >= 0.

    Returns
    -------
    QueueMetrics
        ``abandon_rate`` is 0 and ``asa_min`` equals ``mean_wait_min``.

    Raises
    ------
    ValueError
        On invalid inputs, or when the queue is unstable (load >= servers).
    """
    lam = _positive("rate_per_min", rate_per_min)
    h = _positive("mean_handle_min", mean_handle_min)
    c = _count("servers", servers)
    t = _nonnegative("target_min", target_min)
    a = lam * h
    if a >= c:
        raise ValueError(f"Erlang C queue is unstable: offered load {a:.6g} Erlangs >= servers "
                         f"{c}; add servers or use erlang_a_metrics (abandonment)")
    return _c_metrics(lam, h, c, t, _erlang_b(c, a))


def erlang_c_wait_transform(rate_per_min: float, mean_handle_min: float, servers: int,
                            s_per_min: float) -> float:
    """``E[exp(-s W)]`` of the wait ``W`` in M/M/c, first come first served.

    W is 0 with probability ``1 - C`` and otherwise exponential with rate
    ``theta = c / h - lambda`` (the queue's drain rate), so the transform is
    ``1 - C + C theta / (theta + s)``. With ``s = 1 / tau`` it is the chance that nothing
    with an exponential clock of mean ``tau``, started at arrival, goes off before the
    answer: what stops a complaint's pile-ons (:mod:`sim.pileons`). 0 when the queue is
    unstable (``lambda h >= c``: the wait grows without bound).

    Parameters
    ----------
    rate_per_min : float
        Arrival rate, contacts per minute (>= 0).
    mean_handle_min : float
        Mean handle time, minutes (> 0).
    servers : int
        Number of servers, >= 1.
    s_per_min : float
        Argument of the transform, per minute (>= 0).
    """
    lam = _nonnegative("rate_per_min", rate_per_min)
    h = _positive("mean_handle_min", mean_handle_min)
    c = _count("servers", servers)
    s = _nonnegative("s_per_min", s_per_min)
    if lam * h >= c:
        return 0.0 if s > 0 else 1.0
    if lam == 0:
        return 1.0
    p_wait = erlang_c(c, lam * h)
    drain = c / h - lam
    return 1.0 - p_wait + p_wait * drain / (drain + s)


def _log_series_terms(x: float, cmu: float, theta: float) -> np.ndarray:
    """Natural logs of ``x**k / prod_{i=1..k}(cmu + i*theta)`` for k = 0..K.

    Kept in logs because in overloaded queues the terms exceed the float range.
    """
    if x == 0.0:
        return np.zeros(1)
    log_x = math.log(x)
    parts, last, peak, start, size = [np.zeros(1)], 0.0, 0.0, 1, 256
    while True:
        i = np.arange(start, start + size, dtype=float)
        logs = last + np.cumsum(log_x - np.log(cmu + theta * i))
        parts.append(logs)
        last, peak, start = float(logs[-1]), max(peak, float(logs.max())), start + size
        # The term ratio x/(cmu + k*theta) falls with k, so once it is below 1 the rest of
        # the series is bounded by a geometric tail from the last term.
        ratio = x / (cmu + theta * start)
        if ratio < 1.0 and last + math.log(ratio / (1.0 - ratio)) < peak + _LOG_NEGLIGIBLE:
            return np.concatenate(parts)
        if start > _MAX_TERMS:
            raise ValueError(f"Erlang A queue too long to evaluate (more than {_MAX_TERMS} "
                             "waiting states); patience is too long for this overload")
        size *= 2


def _log_sum_exp(logs: np.ndarray) -> float:
    if logs.size == 0:
        return -math.inf
    peak = float(logs.max())
    return peak + math.log(float(np.exp(logs - peak).sum()))


def _a_metrics(lam: float, h: float, c: int, theta: float, t: float, b: float) -> QueueMetrics:
    a, cmu = lam * h, c / h
    if b == 0.0:  # delay probability below the double range: nobody ever waits
        return QueueMetrics(0.0, 0.0, 0.0, 1.0, 0.0, a / c)
    logs = _log_series_terms(lam, cmu, theta)
    peak = float(logs.max())
    w = np.exp(logs - peak)  # p_{c+k} / (p_c * exp(peak)), k = number waiting
    k = np.arange(w.size, dtype=float)
    # sum_{n<c} p_n / p_c = 1/B - 1 (truncated exponential series), so p_c needs no loop.
    log_free = math.log1p(-b) - math.log(b) if b < 1.0 else -math.inf
    log_q = peak + math.log(float(w.sum()))
    log_pc = -float(np.logaddexp(log_free, log_q))
    scale = math.exp(log_pc + peak)
    p_wait = math.exp(log_pc + log_q)
    p_free = math.exp(log_pc + log_free)  # not 1 - p_wait: that cancels in heavy overload
    mean_wait = scale * float(k @ w) / lam  # Little: E[number waiting] / lambda
    p_ab = theta * mean_wait  # every waiting customer abandons at rate theta
    # Answered after waiting = queue-to-service flow c*mu*P(N > c) per arrival. Summed
    # directly rather than as 1 - p_ab, which cancels when nearly everyone abandons.
    after_wait = (cmu / lam) * scale * float(w[1:].sum())
    p_answered = p_free + after_wait
    # An arrival with k ahead leaves the queue at rate c*mu + (j+1)*theta while j are ahead
    # of him, and is answered with probability c*mu / (c*mu + (k+1)*theta) (telescoping).
    leave = cmu + theta * (k + 1.0)
    wait_answered = scale * float(np.sum(w * (cmu / leave) * np.cumsum(1.0 / leave)))
    # SL = p_free + (c*mu/lambda) p_c [(Q(lam) - 1) - e^(...) (Q(lam e^(-theta t)) - 1)]; the
    # subtracted part is those answered only after the target.
    late_logs = _log_series_terms(lam * math.exp(-theta * t), cmu, theta)[1:]
    log_late = (log_pc + (lam / theta) * -math.expm1(-theta * t) - cmu * t
                + _log_sum_exp(late_logs))
    late = (cmu / lam) * math.exp(log_late) if log_late > -math.inf else 0.0
    service_level = min(1.0, max(0.0, p_free + after_wait - late))
    return QueueMetrics(p_wait, mean_wait, wait_answered / p_answered, service_level, p_ab,
                        min(1.0, p_answered * a / c))


def erlang_a_metrics(rate_per_min: float, mean_handle_min: float, servers: int,
                     mean_patience_min: float, target_min: float) -> QueueMetrics:
    """Exact steady-state metrics of M/M/c+M (Palm / Erlang A, exponential patience).

    Stable for any load, including ``load > servers``, because waiting callers abandon.

    Parameters
    ----------
    rate_per_min : float
        Arrival rate, contacts per minute (> 0).
    mean_handle_min : float
        Mean handle time, minutes (> 0).
    servers : int
        Number of agents, >= 1.
    mean_patience_min : float
        Mean of the exponential patience, minutes (> 0, finite).
    target_min : float
        Service-level target (answer within this many minutes), >= 0.

    Returns
    -------
    QueueMetrics
        ``mean_wait_min`` is over all arrivals (answered or abandoned, zero waits
        included); ``asa_min`` over answered contacts only; ``occupancy`` is
        ``(1 - abandon_rate) * load / servers``.
    """
    lam = _positive("rate_per_min", rate_per_min)
    h = _positive("mean_handle_min", mean_handle_min)
    c = _count("servers", servers)
    theta = 1.0 / _positive("mean_patience_min", mean_patience_min)
    t = _nonnegative("target_min", target_min)
    return _a_metrics(lam, h, c, theta, t, _erlang_b(c, lam * h))


def birth_death_mmc(rate_per_min: float, mean_handle_min: float, servers: int,
                    mean_patience_min: float | None, max_n: int) -> np.ndarray:
    """Stationary distribution of the number in system, solved as a linear system.

    Builds the generator of the M/M/c (``mean_patience_min=None``) or M/M/c+M chain
    truncated at ``max_n`` (arrivals finding ``max_n`` in system are lost) and solves
    ``pi Q = 0, sum(pi) = 1`` densely. It is an independent check of the closed forms, not
    a production tool: cost is O(max_n**3), and ``max_n`` must reach far enough into the
    tail for the truncation to be negligible (without patience and with load >= servers it
    is simply the finite M/M/c/max_n queue).

    Parameters
    ----------
    rate_per_min, mean_handle_min : float
        Arrival rate (per minute) and mean handle time (minutes), > 0.
    servers : int
        Number of servers, >= 1.
    mean_patience_min : float or None
        Mean exponential patience in minutes, or None for infinitely patient callers.
    max_n : int
        Largest number in system represented, >= 1.

    Returns
    -------
    numpy.ndarray
        ``pi[n]`` = P(n in system), n = 0..max_n.
    """
    lam = _positive("rate_per_min", rate_per_min)
    mu = 1.0 / _positive("mean_handle_min", mean_handle_min)
    c = _count("servers", servers)
    theta = 0.0 if mean_patience_min is None else 1.0 / _positive("mean_patience_min",
                                                                   mean_patience_min)
    size = _count("max_n", max_n) + 1
    n = np.arange(size)
    gen = np.zeros((size, size))
    gen[n[:-1], n[:-1] + 1] = lam
    gen[n[1:], n[1:] - 1] = np.minimum(n[1:], c) * mu + np.maximum(n[1:] - c, 0) * theta
    gen[n, n] = -gen.sum(axis=1)
    # The balance equations are rank-deficient by one; normalisation replaces one of them.
    system = gen.T.copy()
    system[-1, :] = 1.0
    rhs = np.zeros(size)
    rhs[-1] = 1.0
    return np.linalg.solve(system, rhs)


def halfin_whitt_delay(beta: float) -> float:
    """Halfin-Whitt (QED) limit of the Erlang C delay probability.

    Parameters
    ----------
    beta : float
        Safety staffing in units of sqrt(load): ``(servers - load) / sqrt(load)``, >= 0.

    Returns
    -------
    float
        ``[1 + beta * Phi(beta) / phi(beta)]**-1``.
    """
    beta = _nonnegative("beta", beta)
    cdf = 0.5 * (1.0 + math.erf(beta / math.sqrt(2.0)))
    # Capping the exponent keeps exp finite; the result is then ~1e-300, i.e. zero anyway.
    mills = cdf * math.sqrt(2.0 * math.pi) * math.exp(min(0.5 * beta * beta, 700.0))
    return 1.0 / (1.0 + beta * mills)


def sqrt_staffing(load: float, beta: float) -> int:
    """Square-root staffing rule ``ceil(R + beta * sqrt(R))`` (at least 1).

    Parameters
    ----------
    load : float
        Offered load R in Erlangs, > 0.
    beta : float
        Quality-of-service parameter (negative allowed for Erlang A overload staffing).
    """
    r, beta = _positive("load", load), _real("beta", beta)
    target = r + beta * math.sqrt(r)
    # Rounding noise must not turn an exact integer such as 110.00000000000001 into 111.
    return max(1, math.ceil(target - 1e-9 * max(1.0, abs(target))))


def _staffing_inputs(rate_per_min: float, mean_handle_min: float, target_min: float,
                     service_level: float, max_occupancy: float) -> tuple[float, ...]:
    return (_positive("rate_per_min", rate_per_min),
            _positive("mean_handle_min", mean_handle_min),
            _nonnegative("target_min", target_min),
            _fraction("service_level", service_level, closed=False),
            _fraction("max_occupancy", max_occupancy, closed=True))


def min_agents_erlang_c(rate_per_min: float, mean_handle_min: float, target_min: float,
                        service_level: float, max_occupancy: float = 1.0) -> int:
    """Fewest agents meeting a service-level goal under Erlang C.

    Parameters
    ----------
    rate_per_min, mean_handle_min : float
        Arrival rate (per minute) and mean handle time (minutes), > 0.
    target_min : float
        Answer-time target in minutes, >= 0.
    service_level : float
        Required share answered within the target, in (0, 1).
    max_occupancy : float, optional
        Upper bound on occupancy (load / agents), in (0, 1].

    Returns
    -------
    int
        Smallest stable headcount (agents > load) meeting both goals.
    """
    lam, h, t, goal, max_occ = _staffing_inputs(rate_per_min, mean_handle_min, target_min,
                                                service_level, max_occupancy)
    a = lam * h
    c = max(math.floor(a) + 1, math.ceil(a / max_occ))
    while c - 1 > a and a / (c - 1) <= max_occ:  # undo ceil() overshoot from rounding
        c -= 1
    while a / c > max_occ:
        c += 1
    b = _erlang_b(c, a)
    # SL grows with c, so walk upwards, stepping B by its recursion instead of recomputing.
    while _c_metrics(lam, h, c, t, b).service_level < goal:
        c += 1
        b = a * b / (c + a * b)
    return c


def min_agents_erlang_a(rate_per_min: float, mean_handle_min: float, mean_patience_min: float,
                        target_min: float, service_level: float,
                        max_occupancy: float = 1.0) -> int:
    """Fewest agents meeting a service-level goal under Erlang A (abandonment counts as miss).

    Parameters
    ----------
    rate_per_min, mean_handle_min : float
        Arrival rate (per minute) and mean handle time (minutes), > 0.
    mean_patience_min : float
        Mean exponential patience, minutes (> 0).
    target_min : float
        Answer-time target in minutes, >= 0.
    service_level : float
        Required share of all arrivals answered within the target, in (0, 1).
    max_occupancy : float, optional
        Upper bound on occupancy, in (0, 1].

    Returns
    -------
    int
        Smallest headcount meeting both goals (may be below the load).
    """
    lam, h, t, goal, max_occ = _staffing_inputs(rate_per_min, mean_handle_min, target_min,
                                                service_level, max_occupancy)
    theta = 1.0 / _positive("mean_patience_min", mean_patience_min)

    def meets(c: int) -> bool:
        m = _a_metrics(lam, h, c, theta, t, _erlang_b(c, lam * h))
        return m.service_level >= goal and m.occupancy <= max_occ

    # Both goals are monotone in c: gallop from c ~ load to bracket the answer, then bisect.
    guess = max(1, round(lam * h))
    if meets(guess):
        good, step = guess, 1
        while good - step >= 1 and meets(good - step):
            good, step = good - step, 2 * step
        bad = max(0, good - step)
    else:
        bad, step = guess, 1
        while not meets(bad + step):
            bad, step = bad + step, 2 * step
        good = bad + step
    while good - bad > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if meets(mid) else (good, mid)
    return good
