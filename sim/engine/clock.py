"""The simulation clock: a simpy environment and the one kind of event the engine schedules.

Every engine event is a plain callback due at a time (an arrival, a reply finishing, a
patience running out, a staffing review), never a simpy process per customer: ``fn(arg)``
at a time, on simpy's event queue, in simpy's order (time, priority, then the order they
were scheduled in).

This is the only place that touches simpy internals, for speed: a run handles about 2.5
events per contact, millions in a long run, so each microsecond spent per event is seconds.

- :func:`at` pushes ``(time, priority, id, fn, arg)`` on the environment's queue
  (``_queue``, ``_eid``, ``_now``) as :meth:`simpy.Environment.schedule` would push an
  event: no event object at all, only the queue's tuple.
- :meth:`Clock.run` pops and calls them itself (``_queue``, ``_now``) instead of
  :meth:`simpy.Environment.run`: the same order and the same stop (events due at ``until``
  are left, as simpy's urgent *until* event leaves them), without ``step``'s per-event
  bookkeeping for processes and failed events.

Together they take about 60% off scheduling and dispatching an event against an event
object of simpy's (benchmarks/README.md: 1,330 ns to 500 ns in a micro-benchmark). The queue holds nothing
else: the engine schedules through :func:`at` only, and simpy's own loop is never run.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Any, Callable

import simpy
from simpy.events import NORMAL, URGENT

__all__ = ["Clock", "at"]


def at(env: simpy.Environment, delay: float, fn: Callable[[Any], None], arg: Any = None,
       priority: int = NORMAL) -> None:
    """Call ``fn(arg)`` ``delay`` minutes from now (after what is already due then)."""
    heappush(env._queue, (env._now + delay, priority, next(env._eid), fn, arg))


class Clock:
    """Simulated time in minutes from the start (Monday 00:00)."""

    def __init__(self) -> None:
        self.env = simpy.Environment()

    @property
    def now(self) -> float:
        return self.env.now

    def first(self, fn: Callable[[Any], None]) -> None:
        """Call ``fn(None)`` now, ahead of anything else due now."""
        at(self.env, 0.0, fn, None, URGENT)

    def run(self, until: float) -> None:
        """Call everything due before ``until`` (minutes); the clock then reads ``until``,
        as after :meth:`simpy.Environment.run` (see the module docstring)."""
        env = self.env
        queue = env._queue
        while queue and queue[0][0] < until:
            env._now, _, _, fn, arg = heappop(queue)
            fn(arg)
        env._now = until
