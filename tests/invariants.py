"""The run invariants of :mod:`sim.invariants`, asserted (shared by several tests)."""

from __future__ import annotations

from sim.invariants import broken, usage_peaks
from sim.replications import Results

__all__ = ["check_invariants", "usage_peaks"]


def check_invariants(res: Results) -> None:
    """Conservation of contacts, capacity, staffing, time order, shares, cost."""
    problems = broken(res)
    assert not problems, "; ".join(problems)
