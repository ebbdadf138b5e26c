"""CareQueue: discrete-event simulation and benchmarking of customer-care queue policies.

A process that a CareQueue command started (a sweep's joblib worker, a figure helper)
watches that command from the moment it loads this package, and ends when it is killed
(:mod:`sim.lifeline`); any other process is left alone.
"""

from .lifeline import watch_parent as _watch_parent

_watch_parent()
