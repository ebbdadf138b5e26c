"""Forecast-driven staffing: Erlang C, Erlang A and square-root staffing per pool and interval.

``ErlangC``, ``ErlangA`` and ``SquareRoot`` size each running pool from the arrival forecast,
one decision per interval of the week, computed once when bound (see :func:`pool_forecast`
for how a pool's work becomes one queue). With ``pileons=True`` the forecast also counts the
pile-ons public complaints draw before the planned team answers them (a fixed point: more
agents answer sooner, which prunes pile-ons; see :meth:`_Forecasted.plan`). Configs name
them as ``sim.policies.staffing.<Name>`` (the staffing catalogue).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from functools import partial
from typing import Callable

from ..arrivals import MIN_PER_WEEK
from ..erlang import (erlang_c_wait_transform, min_agents_erlang_a, min_agents_erlang_c,
                      sqrt_staffing)
from ..errors import InvalidValue
from ..scenario import Pool, Scenario
from .base import ModelView, Staffing

__all__ = ["ErlangA", "ErlangC", "Forecast", "SquareRoot", "pool_forecast"]


@dataclass(frozen=True)
class Forecast:
    """A pool's forecast work in one interval, seen as a single queue of servers.

    A server is one conversation slot: a voice agent is one server, a text agent holding
    ``slots`` contacts at once is ``slots`` servers, each slower than solo work.

    Attributes
    ----------
    rate_per_min : float
        Contacts offered to the pool, per minute (0 when none are forecast).
    handle_min : float
        Mean time a contact holds a server, minutes: solo handle time x proficiency x tool
        quality, stretched by the concurrency slow-down, rate-weighted over channels.
    slots : int
        Servers per agent (concurrent contacts one agent holds; 1 for voice).
    target_min : float
        Answer-time target the service level is measured against, minutes.
    patience_min : float or None
        Mean patience of the pool's customers, minutes; None when some channel's customers
        never abandon (async work, or a channel without patience).
    """

    rate_per_min: float
    handle_min: float
    slots: int
    target_min: float
    patience_min: float | None

    @property
    def load(self) -> float:
        """Offered load in servers (Erlangs): busy servers needed on average."""
        return self.rate_per_min * self.handle_min


def pool_forecast(scenario: Scenario, pool: Pool, start_min: float, end_min: float,
                  pileon_stop: Callable[[float], float] | None = None) -> Forecast:
    """The expected work of ``pool`` over ``[start_min, end_min)``, as one queue.

    Simplifications, all on the side of more agents where a choice had to be made:

    - A channel several pools can serve (e.g. blended voice agents taking text) is split
      equally among them, whatever the routing actually does.
    - A pool with several channels is one queue: total rate, rate-weighted mean handle
      time, the smallest concurrency and the strictest target among its channels (chosen
      from all its skills, not only those with work in the interval, so they do not change
      from hour to hour).
    - A text agent holding ``m`` contacts is ``m`` servers, each progressing at
      ``scenario.speed(m)`` of solo speed, so the per-server handle time is
      ``h / speed(m)``.
    - Only arrivals are forecast: follow-up contacts the model creates (escalations,
      retrials, switches, pile-ons) are not, unless ``pileon_stop`` is given: then each
      public channel with pile-ons adds ``rate x negative_share x`` the mean pile-on cluster
      of a complaint (:meth:`sim.pileons.PileOn.cluster`), in the same interval as its
      complaints (they follow them by ``decay``, an hour or two, on average).

    Parameters
    ----------
    scenario : Scenario
        The running operation (after routing organised its pools).
    pool : Pool
        One of ``scenario.pools``.
    start_min, end_min : float
        The interval, minutes from Monday 00:00.
    pileon_stop : callable, optional
        ``tau -> E[exp(-W / tau)]``: how fast the pool answers (``W``, minutes), as the
        Laplace transform at ``1 / tau`` of a channel's pile-on decay ``tau``. None: no
        pile-ons are forecast.
    """
    rates, handles, patience = [], [], []
    slots = min(pool.slots(name) for name in pool.skills)
    target = min(scenario.channel(name).target_min for name in pool.skills)
    never_abandon = False
    for name, proficiency in pool.skills.items():
        ch = scenario.channel(name)
        sharing = len(scenario.pools_for(name))
        rate = ch.arrivals.mean_rate(start_min, end_min)
        if pileon_stop is not None and ch.pileon is not None:
            rate *= 1 + ch.negative_share * ch.pileon.cluster(pileon_stop(ch.pileon.decay_min))
        rates.append(rate / sharing)
        handles.append(ch.handle.mean * proficiency * pool.tool_quality / scenario.speed(slots))
        patience.append(ch.patience.mean if ch.patience is not None else math.nan)
        never_abandon |= ch.patience is None
    rate = sum(rates)
    if rate <= 0:
        return Forecast(0.0, 0.0, slots, target, None)
    handle = sum(r * h for r, h in zip(rates, handles)) / rate
    # Customers who never abandon need the Erlang C answer; mixing in a finite patience
    # would understaff them. Otherwise a rate-weighted mean (a mixture of exponentials is
    # not exponential, but Erlang A only uses the mean).
    mean_patience = (None if never_abandon
                     else sum(r * p for r, p in zip(rates, patience)) / rate)
    return Forecast(rate, handle, slots, target, mean_patience)


def check_real(name: str, value: object, ok, valid: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
            math.isfinite(value) and ok(value)):
        raise InvalidValue(name, value, f"must be {valid}")
    return float(value)


def check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise InvalidValue(name, value, "must be an integer >= 0")
    return int(value)


#: Rounds of the pile-on forecast's fixed points; the rate settles to 1e-12 in a few dozen
#: at most (each round multiplies its change by about the offspring mean, well below 1).
_FIXED_POINT_ROUNDS = 200


def _never(tau_min: float) -> float:
    """The stop transform of complaints never answered: every pile-on is posted."""
    return 0.0


def _stop(rate_per_min: float, handle_min: float, servers: int, tau_min: float) -> float:
    """E[exp(-W / tau)] for the Erlang C wait W of a planned queue."""
    return erlang_c_wait_transform(rate_per_min, handle_min, servers, 1.0 / tau_min)


class _Forecasted(Staffing):
    """Shared machinery: one decision per pool and interval of the week, made in ``bind``.

    Arrivals are weekly-periodic profiles and intervals divide a day, so a week of
    decisions covers any horizon; interval ``i`` uses entry ``i % intervals_per_week``.
    Subclasses say how many servers a :class:`Forecast` needs.

    Parameters
    ----------
    minimum : int
        Agents on the floor whenever work is forecast (0 when none is).
    pileons : bool
        Forecast pile-ons too (:meth:`plan`).
    """

    def __init__(self, minimum: int, pileons: bool = False) -> None:
        self.minimum = check_count("minimum", minimum)
        if not isinstance(pileons, bool):
            raise InvalidValue("pileons", pileons, "must be true or false")
        self.pileons = pileons
        self._table: dict[str, list[int]] = {}
        self._forecasts: dict[str, list[Forecast]] = {}

    def servers(self, f: Forecast) -> int:
        """Servers (conversation slots) needed for forecast ``f`` (rate > 0)."""
        raise NotImplementedError

    def bind(self, model: ModelView) -> None:
        super().bind(model)
        scenario = model.scenario
        step = scenario.interval_min
        per_week = round(MIN_PER_WEEK / step)
        # Every interval of a flat scenario has the same forecast: decide each once.
        decided: dict[Forecast, int] = {}
        self._table, self._forecasts = {}, {}
        for pool in scenario.pools:
            bounds = [(i * step, (i + 1) * step) for i in range(per_week)]
            if pool.fixed:  # a policy's own pool (tier-2 specialists) keeps its headcount
                self._forecasts[pool.name] = [pool_forecast(scenario, pool, *b) for b in bounds]
                self._table[pool.name] = [pool.agents] * per_week
            elif self._pileons_apply(scenario, pool):
                plans = [self.plan(scenario, pool, *b) for b in bounds]
                self._forecasts[pool.name] = [f for f, _ in plans]
                self._table[pool.name] = [n for _, n in plans]
            else:
                forecasts = [pool_forecast(scenario, pool, *b) for b in bounds]
                for f in forecasts:
                    if f not in decided:
                        decided[f] = self._agents(f)
                self._forecasts[pool.name] = forecasts
                self._table[pool.name] = [decided[f] for f in forecasts]

    def _agents(self, f: Forecast) -> int:
        if f.rate_per_min <= 0:
            return 0
        return max(self.minimum, math.ceil(self.servers(f) / f.slots))

    def _pileons_apply(self, scenario: Scenario, pool: Pool) -> bool:
        return self.pileons and any(scenario.channel(c).pileon for c in pool.skills)

    def plan(self, scenario: Scenario, pool: Pool, start_min: float,
             end_min: float) -> tuple[Forecast, int]:
        """The forecast and headcount of ``pool`` over ``[start_min, end_min)``.

        Without pile-ons: :func:`pool_forecast` and the policy's agents for it. With them,
        the forecast depends on the plan: pile-ons come from complaints still unanswered,
        so a larger team prunes more of them. For a headcount, the pile-ons its queue lets
        through (its Erlang C wait at the forecast rate,
        :func:`sim.erlang.erlang_c_wait_transform`) are added to the arrivals until the
        rate settles (:meth:`_settle`). The plan is the fewest agents, from those the
        arrivals alone need upward, that the policy finds enough for their own forecast.
        That exists: the work needed falls as agents rise, and is bounded by every
        complaint drawing its full cluster ``n / (1 - n)``. Erlang A and square-root
        staffing use the same Erlang C wait: pile-on channels are async (nobody abandons),
        where Erlang A is Erlang C.
        """
        f = pool_forecast(scenario, pool, start_min, end_min)
        agents = self._agents(f)
        if not self._pileons_apply(scenario, pool) or agents == 0:
            return f, agents
        # Enough whatever the plan: every complaint draws its full cluster.
        most = self._agents(pool_forecast(scenario, pool, start_min, end_min, _never))
        for agents in range(agents, max(agents, most) + 1):
            settled = self._settle(scenario, pool, start_min, end_min, f, agents)
            if self._agents(settled) <= agents:
                break
        return settled, agents

    def _settle(self, scenario: Scenario, pool: Pool, start_min: float, end_min: float,
                f: Forecast, agents: int) -> Forecast:
        """The forecast, pile-ons included, when ``agents`` answer: iterated to a fixed rate."""
        for _ in range(_FIXED_POINT_ROUNDS):
            if agents == 0 or f.rate_per_min <= 0:
                return f
            g = pool_forecast(scenario, pool, start_min, end_min, partial(
                _stop, f.rate_per_min, f.handle_min, agents * f.slots))
            if abs(g.rate_per_min - f.rate_per_min) <= 1e-12 * f.rate_per_min:
                return g
            f = g
        return f

    def agents(self, pool: str, interval: int) -> int:
        """Agents of ``pool`` on the floor in ``interval`` (the simulation models the floor)."""
        counts = self._lookup(self._table, pool)
        return counts[interval % len(counts)]

    def forecast(self, pool: str, interval: int) -> Forecast:
        """The forecast the decision for ``pool`` in ``interval`` was made on."""
        forecasts = self._lookup(self._forecasts, pool)
        return forecasts[interval % len(forecasts)]

    def _lookup(self, table: dict, pool: str) -> list:
        if not table:
            raise RuntimeError(f"{type(self).__name__} is not bound to a model yet")
        if pool not in table:
            raise KeyError(f"unknown pool {pool!r}; pools: {', '.join(table)}")
        return table[pool]


class ErlangC(_Forecasted):
    """Erlang C staffing per pool and interval from the forecast (M/M/c, nobody abandons).

    In each interval a pool gets the fewest agents whose Erlang C prediction answers
    ``service_level`` of contacts within the target with occupancy at most
    ``max_occupancy``, treating the interval as if it were in steady state (the usual
    workforce-management approximation; it lags sharp rises). The forecast is built by
    :func:`pool_forecast` (read its simplifications): text agents count as ``m``
    slower servers, servers are rounded up to whole agents.

    ``agents`` is the headcount on the floor, which is what the simulation models (paid
    headcount, breaks and shifts are rostering's business, not this policy's).

    Parameters
    ----------
    service_level : float
        Share of contacts to answer within the channel's target, in (0, 1).
    max_occupancy : float
        Highest planned share of server time busy, in (0, 1].
    minimum : int
        Agents on the floor whenever work is forecast, >= 0 (0 agents when none is).
    pileons : bool
        Also forecast the pile-ons public complaints draw before the planned team answers.
    """

    def __init__(self, service_level: float = 0.8, max_occupancy: float = 0.85,
                 minimum: int = 1, pileons: bool = False) -> None:
        super().__init__(minimum, pileons)
        self.service_level = check_real("service_level", service_level,
                                         lambda x: 0 < x < 1, "in (0, 1)")
        self.max_occupancy = check_real("max_occupancy", max_occupancy,
                                         lambda x: 0 < x <= 1, "in (0, 1]")

    def servers(self, f: Forecast) -> int:
        return min_agents_erlang_c(f.rate_per_min, f.handle_min, f.target_min,
                                   self.service_level, self.max_occupancy)


class ErlangA(ErlangC):
    """Erlang A staffing (M/M/c+M): like :class:`ErlangC`, but callers abandon.

    Uses the mean of the channel's patience distribution as an exponential patience (exact
    for the exponential; an approximation otherwise). Abandoned contacts count as missing
    the target, as in the simulator's ``service_level``. Pools with a channel whose
    customers never abandon (async work, or no patience configured) fall back to Erlang C.
    Abandonment relieves the queue, so this typically needs fewer agents than Erlang C.

    Parameters
    ----------
    service_level, max_occupancy, minimum, pileons
        As for :class:`ErlangC`.
    """

    def servers(self, f: Forecast) -> int:
        if f.patience_min is None:
            return super().servers(f)
        return min_agents_erlang_a(f.rate_per_min, f.handle_min, f.patience_min, f.target_min,
                                   self.service_level, self.max_occupancy)


class SquareRoot(_Forecasted):
    """Square-root staffing: ``N = R + beta * sqrt(R)`` servers, rounded up.

    ``R`` is the forecast offered load in servers (after the concurrency conversion of
    :func:`pool_forecast`); agents are ``ceil(N / m)`` for ``m`` servers per agent. In the
    quality-and-efficiency-driven regime the probability of waiting tends to the
    Halfin-Whitt value for ``beta`` (:func:`sim.erlang.halfin_whitt_delay`), whatever the
    size of the pool. No service-level target is used.

    Parameters
    ----------
    beta : float
        Safety staffing in units of sqrt(load); finite. ``beta <= 0`` leaves no safety margin
        and suits only queues whose customers abandon.
    minimum : int
        Agents on the floor whenever work is forecast, >= 0 (0 agents when none is).
    pileons : bool
        Also forecast the pile-ons public complaints draw before the planned team answers.
    """

    def __init__(self, beta: float = 0.5, minimum: int = 1, pileons: bool = False) -> None:
        super().__init__(minimum, pileons)
        self.beta = check_real("beta", beta, lambda x: True, "a finite number")

    def servers(self, f: Forecast) -> int:
        return sqrt_staffing(f.load, self.beta)
