"""The simulation clock: a simpy environment and the one kind of event the engine schedules.

Every engine event is a plain callback due at a time (an arrival, a reply finishing, a
patience running out, a staffing review), never a simpy process per customer: one
:class:`Call` per event, on simpy's event queue, in simpy's order (time, priority, then
the order they were scheduled in).

This is the only place that touches simpy internals, for speed: a run handles about 2.5
events per contact, millions in a long run, so each microsecond spent per event is seconds.

- :class:`Call` sets the event's private ``_ok`` flag itself, as
  :class:`simpy.events.Timeout` does, instead of going through ``Timeout.__init__`` and
  ``event.callbacks.append``, and pushes itself on the environment's queue (``_queue``,
  ``_eid``, ``_now``) as :meth:`simpy.Environment.schedule` would.
- :meth:`Clock.run` pops and dispatches events itself (``_queue``, ``_now``) instead of
  :meth:`simpy.Environment.run`: the same order and the same stop (events due at ``until``
  are left, as simpy's urgent *until* event leaves them), without ``step``'s per-event
  bookkeeping for processes and failed events, which a :class:`Call` never is.

Together they take about a fifth off the engine's time per event (benchmarks/README.md).
"""

from __future__ import annotations

from typing import Any, Callable

from heapq import heappop, heappush

import simpy
from simpy.events import NORMAL, URGENT, Event

__all__ = ["Call", "Clock"]


class Call(Event):
    """``fn(self)`` at ``delay`` minutes from now; ``arg`` is for ``fn`` to read."""

    def __init__(self, env: simpy.Environment, delay: float, fn: Callable[["Call"], None],
                 arg: Any = None, priority: int = NORMAL) -> None:
        self.env = env
        self.callbacks = [fn]
        self.arg = arg
        self._ok = True  # a Call never fails (see the module docstring)
        heappush(env._queue, (env._now + delay, priority, next(env._eid), self))


class Clock:
    """Simulated time in minutes from the start (Monday 00:00)."""

    def __init__(self) -> None:
        self.env = simpy.Environment()

    @property
    def now(self) -> float:
        return self.env.now

    def at(self, delay: float, fn: Callable[[Call], None], arg: Any = None) -> Call:
        """Schedule ``fn`` ``delay`` minutes from now."""
        return Call(self.env, delay, fn, arg)

    def first(self, fn: Callable[[Call], None]) -> Call:
        """Schedule ``fn`` now, ahead of anything else due now."""
        return Call(self.env, 0.0, fn, None, URGENT)

    def run(self, until: float) -> None:
        """Process every event due before ``until`` (minutes); the clock then reads
        ``until``, as after :meth:`simpy.Environment.run` (see the module docstring)."""
        env = self.env
        queue = env._queue
        while queue and queue[0][0] < until:
            env._now, _, _, event = heappop(queue)
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
        env._now = until
