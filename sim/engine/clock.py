"""The simulation clock: a simpy environment and the one kind of event the engine schedules.

Every engine event is a plain callback due at a time (an arrival, a reply finishing, a
patience running out, a staffing review), never a simpy process per customer: one
:class:`Call` per event, dispatched by :meth:`simpy.Environment.step`.

This is the only place that touches simpy internals, for speed. A :class:`Call` sets the
event's private ``_ok`` flag itself, as :class:`simpy.events.Timeout` does, instead of
going through ``Timeout.__init__`` and ``event.callbacks.append``: a run schedules about
2.5 events per contact, and this halves the cost of making one. Everything else uses
simpy's public API (``Environment.schedule``, ``now``, ``run``, ``step``).
"""

from __future__ import annotations

from typing import Any, Callable

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
        self._ok = True  # simpy's step() reads it: a Call never fails (see module docstring)
        env.schedule(self, priority, delay)


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
        """Process events until ``until`` (minutes)."""
        self.env.run(until=until)
