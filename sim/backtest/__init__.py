"""Does the model reproduce the operation? Observed intervals against simulated ones.

A back-test simulates the calibrated model over the history's own period, with its own
staffing, many times, and asks of every interval and channel whether what the operation
observed lies inside the simulation's prediction band (by default 90%). Pure functions of
tables, in three steps:

- :mod:`~sim.backtest.tables`: the metrics (``offered``, ``abandon_rate``, ``asa_s``,
  ``service_level``), defined alike for the history and the replications' contacts;
- :mod:`~sim.backtest.bands`: each observed value beside its band, the errors per channel
  and metric (bias, MAPE, coverage), and what a correct model leaves outside, day by day;
- :mod:`~sim.backtest.verdict`: the whole period, the days the model cannot explain, and
  whether the model is good enough to use.

:mod:`~sim.backtest.page` draws the figures and writes ``backtest.html``.
"""

from .bands import LEVEL, bands, inside, min_replications, null_days, scores
from .tables import (COLUMNS, METRICS, observed, observed_period, per_interval, show,
                     simulated, simulated_period)
from .verdict import (FLAG_ALPHA, MATERIAL, MIN_COVERAGE, Verdict, flags, period_check, tail,
                      verdict)

__all__ = ["COLUMNS", "FLAG_ALPHA", "LEVEL", "MATERIAL", "METRICS", "MIN_COVERAGE", "Verdict",
           "bands", "flags", "inside", "min_replications", "null_days", "observed",
           "observed_period", "per_interval", "period_check", "scores", "show", "simulated",
           "simulated_period", "tail", "verdict"]
