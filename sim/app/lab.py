"""The interactive page's models and numbers, without any web framework.

Two questions a student asks of the page, each a pure function of its inputs:

- :func:`explore`: one queue (Poisson arrivals, exponential handle times, optional
  exponential patience, chat concurrency, pile-ons on public complaints) simulated for a
  bounded number of days, beside its Erlang C or Erlang A prediction, with the wait
  distribution and a queue-length trace of one simulated day.
- :func:`compare`: two policies of the default study run on the same customers (the same
  seed: common random numbers), their paired differences per channel with 95% intervals.

Sizes are bounded (:data:`MAX_CONTACTS`) so that an answer comes back within a second or
two on a laptop, whatever the sliders say. Times in minutes unless a name says otherwise.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .. import distributions, erlang
from ..arrivals import ProfiledPoisson
from ..compare.margins import DEFAULT_MARGINS, absolute, verdict
from ..compare.paired import direction
from ..metrics import mean_ci
from ..pileons import PileOn
from ..policies import Spec
from ..policies.escalation import NoEscalation
from ..policies.routing import FCFS
from ..policies.staffing import Fixed
from ..replications import Results, RunSpec, Setup, run_replications
from ..scenario import Channel, Mode, Pool, Scenario

__all__ = ["MAX_CONTACTS", "POLICIES", "Comparison", "Exploration", "Queue", "compare",
           "explore", "prediction", "queue_trace", "wait_cdf"]

#: Most contacts one answer of the page simulates (all replications together): about a
#: second of simulation on a laptop core.
MAX_CONTACTS = 60_000
#: Replications behind an interval (fewer when the arrival rate is high: see
#: :func:`explore`), and the least the page ever runs.
REPLICATIONS, MIN_REPLICATIONS = 8, 3
#: Each replication: a warm-up hour (left out of the metrics: the queue starts empty), then
#: the day that the queue-length trace shows.
WARMUP_MIN, DAY_MIN = 60.0, 1440.0
#: Mean delay of a pile-on after the complaint it answers (the default study's Twitter).
PILEON_DECAY_MIN = 60.0


@dataclass(frozen=True)
class Queue:
    """The queue a student sets with the sliders.

    Parameters
    ----------
    rate_per_hour : float
        Arrival rate of original contacts, per hour (> 0).
    mean_handle_min : float
        Mean handle time of one contact by one agent working on it alone, minutes.
    agents : int
        Agents on the floor, all day.
    mean_patience_min : float or None
        Mean (exponential) time a waiting customer stays before abandoning, minutes;
        None: nobody abandons.
    concurrency : int
        Contacts an agent holds at once (1: calls; 2-5: chats, each progressing at the
        scenario's efficiency for that many, e.g. 3 chats at once give 2.5 chats' worth).
    branching : float
        Pile-on branching ratio in [0, 1): every contact is a public complaint, and while
        unanswered it draws on average ``branching`` direct pile-ons (0: a private channel).
    target_s : float
        Service-level target: answered within this many seconds.
    """

    rate_per_hour: float = 100.0
    mean_handle_min: float = 6.0
    agents: int = 12
    mean_patience_min: float | None = None
    concurrency: int = 1
    branching: float = 0.0
    target_s: float = 20.0

    @property
    def channel(self) -> str:
        return "phone" if self.concurrency == 1 else "chat"

    def scenario(self) -> Scenario:
        """The one-channel, one-pool operation."""
        patience = (None if self.mean_patience_min is None
                    else distributions.Exponential(self.mean_patience_min))
        pileon = (PileOn(self.branching, PILEON_DECAY_MIN, reach_exponent=0.0)
                  if self.branching > 0 else None)
        channel = Channel(
            name=self.channel, mode=Mode.VOICE if self.concurrency == 1 else Mode.CHAT,
            target_min=self.target_s / 60.0, arrivals=ProfiledPoisson(self.rate_per_hour),
            handle=distributions.Exponential(self.mean_handle_min),
            # As in the textbook: any wait at all counts against the customer.
            expectation=distributions.Deterministic(1e-9), patience=patience,
            public=pileon is not None, negative_share=1.0 if pileon else 0.0, pileon=pileon)
        pool = Pool(name="agents", skills={self.channel: 1.0}, agents=self.agents,
                    concurrency={self.channel: self.concurrency} if self.concurrency > 1 else {})
        return Scenario(channels=(channel,), pools=(pool,))


@dataclass(frozen=True)
class Prediction:
    """What queueing theory says of a :class:`Queue` (steady state).

    ``metrics`` is None when no formula applies (an Erlang C queue at or above its
    capacity); ``note`` says which formula was used and what it leaves out.
    """

    formula: str
    metrics: erlang.QueueMetrics | None
    note: str
    #: The formula's inputs: arrivals a minute, minutes a server takes, servers, mean
    #: patience (None: Erlang C).
    inputs: tuple[float, float, int, float | None] = (0.0, 0.0, 0, None)

    def at(self, target_min: float) -> erlang.QueueMetrics:
        """The formula's metrics for another service-level target (minutes)."""
        rate, handle, servers, patience = self.inputs
        if patience is None:
            return erlang.erlang_c_metrics(rate, handle, servers, target_min)
        return erlang.erlang_a_metrics(rate, handle, servers, patience, target_min)


def prediction(queue: Queue) -> Prediction:
    """Erlang C (nobody abandons) or Erlang A (exponential patience) for ``queue``.

    With concurrency ``m`` the agents are read as ``agents * m`` servers, each serving at
    :meth:`Scenario.speed(m) <sim.scenario.Scenario.speed>` of solo speed: exact only while every agent holds ``m`` contacts,
    so an approximation. Pile-ons are left out: theory sees only the original arrivals.
    """
    scenario = queue.scenario()
    m = queue.concurrency
    servers = queue.agents * m
    handle = queue.mean_handle_min / scenario.speed(m)  # speed(1) is 1
    notes = []
    if m > 1:
        notes.append(f"{queue.agents} agents x {m} chats read as {servers} servers, each at "
                     f"{scenario.speed(m):.0%} of solo speed (an approximation)")
    if queue.branching > 0:
        notes.append("pile-ons are not in the formula: it sees only the original arrivals")
    rate = queue.rate_per_hour / 60.0
    inputs = (rate, handle, servers, queue.mean_patience_min)
    formula = "Erlang C" if queue.mean_patience_min is None else "Erlang A"
    if queue.mean_patience_min is None and rate * handle >= servers:
        notes.insert(0, f"offered load {rate * handle:.1f} Erlangs >= {servers} servers: "
                        "the queue grows without bound (no steady state)")
        return Prediction(formula, None, "; ".join(notes), inputs)
    p = Prediction(formula, None, "; ".join(notes), inputs)
    return replace(p, metrics=p.at(queue.target_s / 60.0))


@dataclass
class Exploration:
    """A simulated :class:`Queue` and its prediction.

    ``summary`` is the run's summary table (mean and 95% interval across replications of
    every metric); ``waits`` the waits of answered contacts (minutes), ``answered_share``
    the share of contacts answered; ``trace`` the first replication's queue length over its
    day; ``seconds`` the wall time of the simulation.
    """

    queue: Queue
    prediction: Prediction
    summary: pd.DataFrame
    waits: np.ndarray
    answered_share: float
    trace: pd.DataFrame
    contacts: int
    replications: int
    seconds: float

    def metric(self, name: str) -> tuple[float, float, float]:
        """(mean, ci_low, ci_high) of metric ``name`` for the queue's channel."""
        row = self.summary[(self.summary["metric"] == name)
                           & (self.summary["channel"] == self.queue.channel)]
        if row.empty:
            return (math.nan, math.nan, math.nan)
        r = row.iloc[0]
        return (float(r["mean"]), float(r["ci_low"]), float(r["ci_high"]))


def replications_for(queue: Queue) -> int:
    """Replications of a day that keep a run within :data:`MAX_CONTACTS` (pile-ons
    included at their most, a never-answered cascade)."""
    per_day = queue.rate_per_hour * (WARMUP_MIN + DAY_MIN) / 60.0 / (1.0 - queue.branching)
    return max(MIN_REPLICATIONS, min(REPLICATIONS, int(MAX_CONTACTS // max(per_day, 1.0))))


def setup(queue: Queue, replications: int, seed: int = 1) -> Setup:
    """``queue`` staffed all day, first come first served, for ``replications`` days after
    a warm-up hour each."""
    return Setup(scenario=queue.scenario(), routing=FCFS, staffing=Spec(Fixed),
                 escalation=NoEscalation,
                 run=RunSpec(horizon_min=WARMUP_MIN + DAY_MIN, warmup_min=WARMUP_MIN,
                             replications=replications, seed=seed))


def explore(queue: Queue, seed: int = 1) -> Exploration:
    """Simulate ``queue`` for a bounded number of days beside its prediction.

    Raises
    ------
    ValueError
        ``queue`` would need more than :data:`MAX_CONTACTS` contacts even at
        :data:`MIN_REPLICATIONS` replications (the page's sliders stay below that).
    """
    reps = replications_for(queue)
    expected = reps * queue.rate_per_hour * (WARMUP_MIN + DAY_MIN) / 60.0
    if expected > MAX_CONTACTS:
        raise ValueError(f"{expected:,.0f} contacts would take too long for the page: keep "
                         f"rate_per_hour x {reps} days under {MAX_CONTACTS:,}")
    started = time.perf_counter()
    results = run_replications(setup(queue, reps, seed))
    seconds = time.perf_counter() - started
    counted = results.contacts[~results.contacts["warmup"]]
    answered = counted["answered"].to_numpy(bool)
    return Exploration(queue, prediction(queue), results.summary,
                       counted["wait_min"].to_numpy(float)[answered],
                       float(answered.mean()) if len(answered) else math.nan,
                       queue_trace(results, replication=0), len(results.contacts), reps,
                       seconds)


def queue_trace(results: Results, replication: int = 0) -> pd.DataFrame:
    """Contacts waiting over time in one replication: ``time_min`` and ``waiting`` (the
    count from that moment on), one row per change, from its first arrival to the end of
    the horizon.

    A contact waits from its arrival until its first response or until it abandons
    (``wait_min`` after arriving); one still waiting at the end waits to the end.
    """
    c = results.contacts
    c = c[c["replication"] == replication]
    start = c["arrival_min"].to_numpy(float)
    end = start + c["wait_min"].to_numpy(float)
    end = np.where(np.isnan(end), np.inf, end)
    times = np.concatenate([start, end])
    steps = np.concatenate([np.ones(len(start)), -np.ones(len(end))])
    order = np.lexsort((-steps, times))  # at a tie, the arrival first: never below 0
    times, counts = times[order], np.cumsum(steps[order])
    keep = np.isfinite(times)
    return pd.DataFrame({"time_min": times[keep], "waiting": counts[keep].astype(np.int64)})


def wait_cdf(waits: np.ndarray, answered_share: float,
             points: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Share of all contacts answered within each wait (minutes): the empirical
    distribution of ``waits`` scaled by ``answered_share``, at up to ``points`` points."""
    if not len(waits):
        return np.zeros(0), np.zeros(0)
    x = np.sort(waits)
    y = np.arange(1, len(x) + 1) / len(x) * answered_share
    if len(x) > points:
        pick = np.unique(np.linspace(0, len(x) - 1, points).round().astype(int))
        x, y = x[pick], y[pick]
    return x, y


#: The policies the comparison tab offers: label -> overrides of the default study.
POLICIES: dict[str, tuple[str, ...]] = {
    "Silos, first come first served": ("routing=siloed",),
    "One team for all text channels": ("routing=unified_text",),
    "Public posts first (priority)": ("routing=priority",),
    "Earliest deadline first": ("routing=edf",),
    "Voice agents blend in text": ("routing=blended",),
    "Public complaints: acknowledge, then a private message": ("escalation=take_private",),
    'Secure work: "please call us"': ("escalation=to_phone",),
    "Secure work: a secure chat link": ("escalation=to_secure_chat",),
}
#: The metrics the comparison shows (each has a better direction and a margin).
COMPARED = ("service_level", "frt_p90_min", "dissatisfaction_rate", "abandon_rate")


@dataclass
class Comparison:
    """Two policies on the same customers: ``paired`` has one row per channel and metric
    (``a``, ``b``: means; ``diff`` = b - a with its 95% interval ``lo``, ``hi`` across
    paired replications; ``margin``, the smallest difference that matters; ``verdict`` of
    B against A: better, worse, equivalent, inconclusive, as
    :func:`sim.compare.margins.verdict` reads the interval against the margin)."""

    a: str
    b: str
    paired: pd.DataFrame
    replications: int
    days: float
    seconds: float = field(default=0.0)


def compare(a: str, b: str, days: float = 1.0, replications: int = 3,
            seed: int = 1) -> Comparison:
    """Run policies ``a`` and ``b`` (labels of :data:`POLICIES`) on the default study for
    ``days`` with the same seed, and pair their replications."""
    from .. import api  # noqa: PLC0415 - composes the default study's config

    for label in (a, b):
        if label not in POLICIES:
            raise ValueError(f"unknown policy {label!r}; choose one of: "
                             + ", ".join(POLICIES))
    started = time.perf_counter()
    runs = [api.run(*POLICIES[label], f"run.horizon={days:g}d", "run.warmup=0",
                    f"run.replications={replications}", f"seed={seed}")
            for label in (a, b)]
    per = [r.per_replication.set_index(["replication", "channel", "metric"])["value"]
           for r in runs]
    rows = []
    for metric in COMPARED:
        sign = direction(metric)
        for channel in runs[0].per_replication["channel"].unique().tolist():
            try:
                va = per[0].xs((channel, metric), level=("channel", "metric"))
                vb = per[1].xs((channel, metric), level=("channel", "metric"))
            except KeyError:
                continue
            both = pd.concat([va, vb], axis=1, keys=["a", "b"]).dropna()
            if len(both) < 2:
                continue
            mean, lo, hi, _ = mean_ci((both["b"] - both["a"]).tolist())
            ma, mb = float(both["a"].mean()), float(both["b"].mean())
            size = absolute(DEFAULT_MARGINS[metric], ma, mb)
            rows.append({"channel": channel, "metric": metric, "a": ma, "b": mb,
                         "diff": mean, "lo": lo, "hi": hi, "margin": size,
                         "verdict": verdict(sign, mean, lo, hi, size)})
    return Comparison(a, b, pd.DataFrame(rows), replications, days,
                      time.perf_counter() - started)
