"""What a run will need, known before anything is drawn: contacts, and memory.

A rate of 1e12 an hour, a horizon of 1e30 minutes or an incident that multiplies volume by
a billion would each fail deep inside the run (an array too large for the machine), after
seconds or minutes, with a traceback. :func:`estimate` works out from the scenario alone how
many contacts the arrival processes bring (each profile's weekly mean rate over the
horizon, incidents' surges on top, pile-ons of negative public posts never answered as an
upper bound) and the memory a run of them takes; :func:`check` refuses a run that would not
fit in the memory this machine has available, naming what drives the size.

Memory is modelled on measurements (benchmarks/README.md, "Memory of one long
replication"): a fixed base for the interpreter and libraries, the customers of one
replication drawn up front (common random numbers: every exogenous attribute, in each
worker process), and the columns the metrics keep for every replication.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from .arrivals import MIN_PER_DAY, ProfiledPoisson
from .errors import InvalidValue
from .scenario import Scenario

__all__ = ["BASE_BYTES", "Estimate", "available_bytes", "check", "estimate"]

#: Interpreter, NumPy, pandas, Arrow and the config: a run of a few contacts peaks near this.
BASE_BYTES = 300 * 2**20
#: Each replication worker process beyond the first (forked: it shares the libraries).
WORKER_BYTES = 100 * 2**20
#: Per contact of one replication: its drawn attributes and the engine's working set at the
#: peak (measured growth 251 B a contact for one replication, with margin).
BYTES_PER_DRAWN = 300
#: Per contact of every replication: the columns kept for metrics, journeys and figures.
BYTES_PER_KEPT = 150
#: The longest horizon simulated (minutes): a thousand years, past any planning question;
#: beyond, times in minutes lose their sub-second resolution in a float.
MAX_HORIZON_MIN = 1000 * 365.25 * MIN_PER_DAY


@dataclass(frozen=True)
class Estimate:
    """Size of a run, before anything is drawn.

    Attributes
    ----------
    per_replication : float
        Contacts one replication brings (expected; pile-ons counted as if never answered).
    contacts : float
        Over all replications.
    memory_bytes : float
        Peak memory of the run, bytes.
    driver : tuple
        What brings most contacts: ``("rate", channel)`` or ``("incident", index)``.
    """

    per_replication: float
    contacts: float
    memory_bytes: float
    driver: tuple[str, object]


def _arrivals(channel, horizon_min: float) -> float:
    """Expected contacts of a channel's own arrival process over the horizon."""
    process = channel.arrivals
    if isinstance(process, ProfiledPoisson):
        # Profiles have mean 1: the weekly average rate, without building every piece.
        return process.rate_per_hour / 60.0 * horizon_min
    return process.mean_rate(0.0, horizon_min) * horizon_min if horizon_min > 0 else 0.0


def _rate_per_min(channel) -> float:
    process = channel.arrivals
    if isinstance(process, ProfiledPoisson):
        return process.rate_per_hour / 60.0
    return 0.0  # a replayed trace: incidents do not apply to it


def estimate(scenario: Scenario, horizon_min: float, replications: int,
             workers: int = 1) -> Estimate:
    """Contacts and peak memory of a run (see the module docstring)."""
    own = {c.name: _arrivals(c, horizon_min) for c in scenario.channels}
    by_name = {c.name: c for c in scenario.channels}
    surges = []
    for i, incident in enumerate(scenario.incidents):
        if incident.start_min is not None:
            length = max(0.0, min(incident.start_min + incident.duration_min, horizon_min)
                         - max(incident.start_min, 0.0))
        else:
            length = incident.per_day * horizon_min / MIN_PER_DAY * incident.duration_min
        extra = sum((incident.factor - 1) * _rate_per_min(by_name[n]) * length
                    for n in incident.channels if n in by_name)
        surges.append(max(extra, 0.0))
    total = {}
    for c in scenario.channels:
        share = sum(s for s, inc in zip(surges, scenario.incidents) if c.name in inc.channels)
        base = own[c.name] + share
        if c.pileon is not None:
            base *= 1 + c.negative_share * c.pileon.mean_cluster
        if c.self_service is not None:
            base *= 2  # at most one human contact for each the front door escalates
        total[c.name] = base
    per_rep = float(sum(total.values()))
    busiest = max(own, key=lambda n: own[n]) if own else ""
    driver: tuple[str, object] = ("rate", busiest)
    if surges and max(surges) > own.get(busiest, 0.0):
        driver = ("incident", max(range(len(surges)), key=surges.__getitem__))
    contacts = per_rep * replications
    parallel = max(1, min(workers, replications))
    memory = (BASE_BYTES + WORKER_BYTES * (parallel - 1) + BYTES_PER_DRAWN * per_rep * parallel
              + BYTES_PER_KEPT * contacts)
    return Estimate(per_rep, contacts, memory, driver)


def available_bytes() -> float:
    """Memory this process can have now: the machine's (Linux: MemAvailable; else the
    physical memory), within its control group's limit (a SLURM job's ``mem``, a
    container's) when it has one."""
    found = math.inf
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found = float(line.split()[1]) * 1024
    except OSError:
        try:
            found = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        except (ValueError, OSError, AttributeError):
            pass
    for limit, used in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                        ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                         "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(limit, encoding="ascii") as f:
                cap = f.read().strip()
            with open(used, encoding="ascii") as f:
                taken = float(f.read().strip())
        except (OSError, ValueError):
            continue
        if cap.isdigit() and float(cap) < 2**60:  # "max" or a huge value: no limit
            found = min(found, max(float(cap) - taken, 0.0))
        break
    return found


def _size(n: float) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n >= scale:
            return f"{n / scale:,.3g} {unit}"
    return f"{n:,.0f} bytes"


def check(scenario: Scenario, horizon_min: float, replications: int, workers: int = 1,
          available: float | None = None) -> Estimate:
    """The run's :class:`Estimate`, or :class:`sim.errors.InvalidValue` when it cannot fit.

    The error's field says what drives the size: ``horizon`` (longer than
    :data:`MAX_HORIZON_MIN`), ``rate:<channel>`` or ``incident:<index>``; the message gives
    the estimate and the memory available.
    """
    if not (math.isfinite(horizon_min) and horizon_min <= MAX_HORIZON_MIN):
        raise InvalidValue("horizon", horizon_min, f"must be at most {MAX_HORIZON_MIN:.4g} "
                           "minutes (a thousand years)")
    found = estimate(scenario, horizon_min, replications, workers)
    room = available_bytes() if available is None else available
    if found.memory_bytes > room or not math.isfinite(found.contacts):
        kind, what = found.driver
        raise InvalidValue(f"{kind}:{what}", None, (
            f"the run would bring about {found.contacts:,.3g} contacts "
            f"({found.per_replication:,.3g} a replication) and need about "
            f"{_size(found.memory_bytes)} of memory; this machine has {_size(room)} available. "
            "Lower the rate or the incident's factor, shorten run.horizon or run fewer "
            "replications"))
    return found
