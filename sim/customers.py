"""The customers: everything about a contact that no policy can change, drawn up front.

Arrival time, channel, base handle time, patience and the response time the customer
expects are exogenous. Drawing them all before the simulation, each channel and attribute
from its own named stream, is what gives common random numbers: any two policies run on the
same seed and replication see exactly these customers, whatever order the engine serves them.
It is also what makes the engine fast: numpy batches instead of per-contact sampling.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .rng import Streams
from .scenario import Scenario


@dataclass(frozen=True)
class Customers:
    """Columnar exogenous attributes of one replication's contacts, sorted by arrival.

    Attributes
    ----------
    arrival_min : ndarray of float
        Arrival times, minutes from the start (Monday 00:00).
    channel : ndarray of int
        Index into ``Scenario.channels``.
    handle_min : ndarray of float
        Handle time in minutes for a proficiency-1 agent.
    patience_min : ndarray of float
        Time the customer waits before abandoning (inf: never abandons).
    expectation_min : ndarray of float
        The first-response time the customer expects; answered later = dissatisfied.
    reach : ndarray of float
        Followers of the author (0 for private channels).
    negative : ndarray of bool
        Whether the contact is a negative complaint.
    needs_secure : ndarray of bool
        Whether the contact needs account-specific work.
    compliance : ndarray of float
        Uniform(0, 1) propensity to do what the operation asks (call us, open a secure chat):
        the customer follows a request made with probability p when compliance < p, so the
        same customers follow under every policy.
    think_min : ndarray of float, shape (n, E - 1)
        Customer think times before each later reply, minutes (E: the most exchanges of any
        channel; NaN-padded).
    """

    arrival_min: np.ndarray
    channel: np.ndarray
    handle_min: np.ndarray
    patience_min: np.ndarray
    expectation_min: np.ndarray
    reach: np.ndarray
    negative: np.ndarray
    needs_secure: np.ndarray
    compliance: np.ndarray
    think_min: np.ndarray

    def __len__(self) -> int:
        return len(self.arrival_min)


def no_customers() -> Customers:
    """An empty population (to bind and check policies without simulating)."""
    e = np.zeros(0)
    b = np.zeros(0, dtype=bool)
    return Customers(e, np.zeros(0, dtype=np.int32), e, e, e, e, b, b, e, np.zeros((0, 0)))


def draw_customers(scenario: Scenario, streams: Streams, horizon_min: float) -> Customers:
    """Sample all contacts arriving in ``[0, horizon_min)``.

    Incidents draw from ``incidents``; each channel uses the streams ``arrivals/<ch>``, ``handle/<ch>``, ``patience/<ch>``,
    ``expectation/<ch>``, ``reach/<ch>``, ``negative/<ch>``, ``secure/<ch>`` and
    ``compliance/<ch>``, so adding a channel or changing one leaves the others' customers
    unchanged.
    """
    parts = []
    extra = max(c.exchanges for c in scenario.channels) - 1
    # Incidents hit every channel they name at the same moments: one shared stream.
    surges: dict[str, list] = {c.name: [] for c in scenario.channels}
    for incident in scenario.incidents:
        for surge in incident.surges(streams("incidents"), horizon_min):
            for name in incident.channels:
                surges[name].append(surge)
    for k, ch in enumerate(scenario.channels):
        t = ch.arrivals.sample(streams(f"arrivals/{ch.name}"), horizon_min, surges[ch.name])
        n = len(t)
        patience = (ch.patience.sample(streams(f"patience/{ch.name}"), n)
                    if ch.patience is not None else np.full(n, np.inf))
        parts.append((
            t,
            np.full(n, k, dtype=np.int32),
            ch.handle.sample(streams(f"handle/{ch.name}"), n),
            patience,
            ch.expectation.sample(streams(f"expectation/{ch.name}"), n),
            (ch.reach.sample(streams(f"reach/{ch.name}"), n) if ch.reach is not None
             else np.zeros(n)),
            streams(f"negative/{ch.name}").random(n) < ch.negative_share,
            streams(f"secure/{ch.name}").random(n) < ch.secure_share,
            streams(f"compliance/{ch.name}").random(n),
            _think(ch, streams, n, extra),
        ))
    cols = [np.concatenate([p[i] for p in parts]) for i in range(10)]
    order = np.argsort(cols[0], kind="stable")
    return Customers(*(c[order] for c in cols))


def _think(channel, streams: Streams, n: int, extra: int) -> np.ndarray:
    """Think times before replies 2..E of each contact (NaN beyond the channel's E)."""
    out = np.full((n, extra), np.nan)
    used = channel.exchanges - 1
    if used:
        out[:, :used] = channel.think.sample(streams(f"think/{channel.name}"), n * used).reshape(
            n, used)
    return out
