"""The ``optimize.*`` options: their Hydra schema and the checked :class:`Options`.

:class:`OptimizeConf` is the typed ``optimize`` node (a misspelt key fails at composition)
and :func:`register` stores it, as part of :class:`OptimizeConfig`, for the command only;
:func:`options_from_config` checks a node and gives the :class:`Options` the search takes,
raising a :class:`~sim.config.ConfigError` that names the key.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig

from ..arrivals import MIN_PER_DAY
from ..config import Config, ConfigError, parse_duration
from ..config import register as register_base


@dataclass
class OptimizeConf:
    """``optimize.*`` in the composed config (typed: a misspelt key fails at composition).

    ``goal`` is the share of arrivals to answer within the channel's target, in (0, 1);
    ``block`` a duration dividing a day and a multiple of ``scenario.interval``; ``weekly``
    one count per block of each day of the week instead of one per block of the day;
    ``max_rounds`` >= 1; ``replications`` per evaluation (>= 2, null: ``run.replications``).
    """

    goal: float = 0.8
    block: Any = "4h"
    weekly: bool = False
    max_rounds: int = 30
    replications: Optional[int] = 3


@dataclass
class OptimizeConfig(Config):
    """The root schema of ``python -m sim`` with an ``optimize`` node."""

    optimize: OptimizeConf = field(default_factory=OptimizeConf)


def register() -> None:
    """Put the schemas in Hydra's ConfigStore, ``base_config`` extended with ``optimize``.

    ``conf/config.yaml`` starts from ``base_config``; storing a subclass of
    :class:`sim.config.Config` under that name gives ``python -m sim.optimize`` the same
    config plus ``optimize.*``, checked like every other key. Called by the command only, so
    importing this module leaves ``python -m sim``'s schema alone.
    """
    register_base()
    ConfigStore.instance().store(name="base_config", node=OptimizeConfig)


@dataclass(frozen=True)
class Options:
    """What the search aims for and how hard it tries.

    Attributes
    ----------
    goal : float
        Share of a channel's arrivals in a block to answer within the channel's target,
        in (0, 1) (abandoned and unanswered contacts are misses).
    block_min : float
        Length of a decision block, minutes: divides a day, multiple of the interval.
    weekly : bool
        One count per block of each day of the week (True) or per block of the day,
        repeated every day (False).
    max_rounds : int
        Rounds of the search at most (>= 1).
    replications : int or None
        Replications per evaluation (>= 2: the search needs confidence intervals);
        None keeps the setup's.
    """

    goal: float = 0.8
    block_min: float = 240.0
    weekly: bool = False
    max_rounds: int = 30
    replications: Optional[int] = 3


def options_from_config(node: DictConfig | Mapping[str, Any]) -> Options:
    """:class:`Options` from an ``optimize`` node, checked.

    Raises
    ------
    ConfigError
        Naming the ``optimize.*`` key, the value and what is valid.
    """
    goal = node["goal"]
    if isinstance(goal, bool) or not isinstance(goal, numbers.Real) or not 0 < goal < 1:
        raise ConfigError("optimize.goal", goal, "must be a share strictly between 0 and 1 "
                          "(e.g. 0.8: 80% answered within the channel's target)")
    block = parse_duration(node["block"], "optimize.block")
    if not (MIN_PER_DAY / block).is_integer():
        raise ConfigError("optimize.block", node["block"],
                          "must divide a day evenly (e.g. 1h, 2h, 4h, 8h, 1d)")
    rounds = node["max_rounds"]
    if isinstance(rounds, bool) or not isinstance(rounds, numbers.Integral) or rounds < 1:
        raise ConfigError("optimize.max_rounds", rounds, "must be an integer >= 1")
    reps = node["replications"]
    if reps is not None and (isinstance(reps, bool) or not isinstance(reps, numbers.Integral)
                             or reps < 2):
        raise ConfigError("optimize.replications", reps, "must be an integer >= 2 (the search "
                          "compares confidence intervals), or null for run.replications")
    weekly = node["weekly"]
    if not isinstance(weekly, bool):
        raise ConfigError("optimize.weekly", weekly, "must be true or false")
    return Options(float(goal), block, weekly, int(rounds), None if reps is None else int(reps))


def _minutes(value: float) -> str:
    """A duration in minutes as it is written in the config: ``'4h'``, ``'1d'``, ``'30min'``."""
    for unit, size in (("d", 1440.0), ("h", 60.0), ("min", 1.0)):
        if value >= size and (value / size).is_integer():
            return f"{value / size:g}{unit}"
    return f"{value * 60:g}s"
