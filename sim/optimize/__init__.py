"""``python -m sim.optimize``: the cheapest staffing whose simulated service levels meet a goal.

Takes the same config as ``python -m sim`` (any scenario, routing and escalation) plus the
``optimize.*`` keys of :class:`OptimizeConf`, and searches for the fewest agents per pool
and *block* of intervals (e.g. 4 hours, the same every day, or every day of the week apart
with ``optimize.weekly=true``) such that, in every block, every channel answers at least
``optimize.goal`` of its arrivals within the channel's target. The configured ``staffing``
is not used: the search starts from Erlang C and writes a :class:`~sim.policies.staffing.Schedule`
(``schedule.yaml``) that ``staffing=<name>`` reads once copied to ``conf/staffing/<name>.yaml``,
and the service levels it achieved with 95% confidence intervals (``achieved.csv``).

The search logic lives in pure functions of a :class:`~sim.replications.Setup`
(:func:`erlang_start`, :func:`evaluate`, :func:`search`, :func:`schedule_table`,
:func:`achieved_table`); the command (the ``optimize`` schema, reading the options, the
output directory) is :mod:`sim.cli.optimize`, with everything else that knows Hydra.

Modules: :mod:`.options` (:class:`Options`), :mod:`.blocks` (the decision blocks),
:mod:`.pools` (searched pools, constrained channels, the Erlang C start, counts to a schedule
table), :mod:`.evaluation` (one table simulated and measured per block), :mod:`.rounds` (the
search, round by round), :mod:`.output` (``achieved.csv``, ``schedule.yaml``, the terminal
table). No module shares its name with a function this package exports, so
``sim.optimize.search`` is always the function.
"""

from __future__ import annotations

from .blocks import Blocks, Counts, agent_hours, make_blocks
from .evaluation import Cell, Evaluation, block_service_levels, evaluate
from .options import Options
from .output import achieved_table, format_achieved, render_schedule
from .pools import constrained_channels, erlang_start, schedule_table, searched_pools
from .rounds import Round, SearchResult, prepare, search

__all__ = ["Blocks", "Cell", "Counts", "Evaluation", "Options", "Round", "SearchResult",
           "achieved_table", "agent_hours", "block_service_levels", "constrained_channels",
           "erlang_start", "evaluate", "format_achieved", "make_blocks", "prepare",
           "render_schedule", "schedule_table", "search", "searched_pools"]
