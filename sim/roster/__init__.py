"""``python -m sim.roster``: shifts a floor can work, from a staffing requirement, checked by
simulation.

A staffing policy says how many agents each pool needs on the floor in each interval; a care
operation staffs shifts. :mod:`.rules` describes the shifts allowed (lengths, start times,
breaks in windows, opening hours, days worked and days off), :mod:`.solve` finds the
cheapest roster covering a requirement (an integer programme: OR-Tools CP-SAT, with HiGHS's
LP bound),
:mod:`.plan` simulates it and adds coverage where a channel misses its goal, and
:mod:`.output` / :mod:`.report` write ``roster.csv``, ``coverage.csv``, ``schedule.yaml``,
``achieved.csv`` and ``report.html``. The command itself is :mod:`sim.cli.roster`.
"""

from .plan import Plan, plan, requirements, schedule
from .rules import Break, Rules, ShiftType, day_patterns
from .solve import PoolRoster, Shift, check_coverable, solve_pool

__all__ = ["Break", "Plan", "PoolRoster", "Rules", "Shift", "ShiftType", "check_coverable",
           "day_patterns", "plan", "requirements", "schedule", "solve_pool"]
