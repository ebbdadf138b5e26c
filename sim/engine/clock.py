"""The simulation clock: a simpy environment and the one kind of event the engine schedules.

Every engine event is a plain callback due at a time (an arrival, a reply finishing, a
patience running out, a staffing review), never a simpy process per customer: ``fn(arg)``
at a time, on simpy's event queue, in simpy's order (time, priority, then the order they
were scheduled in).

This is the only place that touches simpy internals, for speed: a run handles about 2.5
events per contact, millions in a long run, so each microsecond spent per event is seconds.

- :func:`at` pushes ``(time, priority, id, fn, arg)`` on the environment's queue
  (``_queue``, ``_eid``) as :meth:`simpy.Environment.schedule` would push an event: no
  event object at all, only the queue's tuple.
- :meth:`Clock.run` pops and calls them itself (``_queue``) instead of
  :meth:`simpy.Environment.run`: the same order and the same stop (events due at ``until``
  are left, as simpy's urgent *until* event leaves them), without ``step``'s per-event
  bookkeeping for processes and failed events.
- A :meth:`Clock.stream` of events (the arrival process: one event a contact, a third of
  all events) waits beside the queue, one event at a time, instead of going through it:
  its next event is numbered (``_eid``) when the one before is called, exactly as if that
  one had scheduled it, and is called when it comes before the queue's first. The order is
  the queue's; the heap operations and a callback a contact are saved.
- The :class:`Clock` is the environment, with ``now`` a plain attribute instead of simpy's
  read-only property over ``_now`` (which becomes the property, for simpy's own code): the
  engine reads the time a few times an event, and a property call costs several times an
  attribute read (about 5% of a run).

Together they take about 60% off scheduling and dispatching an event against an event
object of simpy's (benchmarks/README.md: 1,330 ns to 500 ns in a micro-benchmark). The queue holds nothing
else: the engine schedules through :func:`at` only, and simpy's own loop is never run.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Any, Callable, Iterator

import simpy
from simpy.events import NORMAL

__all__ = ["Clock", "at", "at_time"]


def at(env: "Clock", delay: float, fn: Callable[[Any], None], arg: Any = None,
       priority: int = NORMAL) -> None:
    """Call ``fn(arg)`` ``delay`` minutes from now (after what is already due then)."""
    heappush(env._queue, (env.now + delay, priority, next(env._eid), fn, arg))


def at_time(env: "Clock", when: float, fn: Callable[[Any], None], arg: Any = None) -> None:
    """Call ``fn(arg)`` at time ``when`` (minutes, not before now), after what is already
    due then: exactly at ``when``, where ``now + (when - now)`` may round a bit before it."""
    heappush(env._queue, (when, NORMAL, next(env._eid), fn, arg))


class Clock(simpy.Environment):
    """Simulated time in minutes from the start (Monday 00:00): :attr:`now`."""

    now: float = 0.0  # shadows simpy's property: a plain attribute (module docstring)

    @property  # type: ignore[override]
    def _now(self) -> float:
        return self.now

    @_now.setter
    def _now(self, value: float) -> None:
        self.now = value

    @property
    def env(self) -> "Clock":
        """The simpy environment: the clock itself."""
        return self

    _stream: Iterator[tuple[float, Any]] = iter(())
    _stream_fn: Callable[[Any], None] | None = None
    _next: tuple | None = None  # the stream's next event, as a queue tuple

    def stream(self, fn: Callable[[Any], None], events: Iterator[tuple[float, Any]]) -> None:
        """Call ``fn(arg)`` at the time of each ``(time, arg)`` of ``events`` (in time order,
        none before now), each scheduled when the one before has been called: the order is
        exactly that of a callback that schedules the next with :func:`at_time` (module
        docstring). One stream per clock."""
        self._stream, self._stream_fn = events, fn
        self._pull()

    def _pull(self) -> None:
        item = next(self._stream, None)
        self._next = (None if item is None else
                      (item[0], NORMAL, next(self._eid), self._stream_fn, item[1]))

    def run(self, until: float) -> None:  # type: ignore[override]
        """Call everything due before ``until`` (minutes); the clock then reads ``until``,
        as after :meth:`simpy.Environment.run` (see the module docstring)."""
        queue, eid, events, fn_s = self._queue, self._eid, self._stream, self._stream_fn
        pending = self._next
        try:
            while True:
                if pending is not None and (not queue or pending < queue[0]):
                    if pending[0] >= until:
                        break
                    self.now = pending[0]
                    fn_s(pending[4])
                    item = next(events, None)
                    pending = None if item is None else (item[0], NORMAL, next(eid), fn_s,
                                                         item[1])
                elif queue and queue[0][0] < until:
                    self.now, _, _, fn, arg = heappop(queue)
                    fn(arg)
                else:
                    break
        finally:
            self._next = pending
        self.now = until
