"""``python -m sim.roster``: the roster command and its ``roster.*`` schema.

:class:`RosterConf` is the typed ``roster`` node (shift rules from ``conf/roster/``, plus what
the command aims for); :func:`rules_from_config` checks it and gives the
:class:`~sim.roster.rules.Rules` the solver takes. :func:`cli` registers the schema, selects
``roster=standard`` unless the command line picks another, and defaults the output directory
to :data:`RUN_DIR`; :func:`main` plans (:func:`sim.roster.plan.plan`) and writes the results.
"""

from __future__ import annotations

import numbers
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, ListConfig, OmegaConf

from ..durations import parse_duration
from ..errors import ConfigError, InvalidValue
from ..optimize.options import Options, _minutes
from ..optimize.output import render_schedule
from ..optimize.rounds import prepare, search
from .config import CONF_DIR, Config, build_setup
from .config import register as register_base

if TYPE_CHECKING:
    from ..roster.rules import Rules


@dataclass
class BreakConf:
    """A break: ``length``, and the window for its start (``earliest``, ``latest``, after
    the shift starts); ``paid`` or not."""

    length: Any = "15min"
    earliest: Any = "1h"
    latest: Any = "2h"
    paid: bool = True


@dataclass
class ShiftConf:
    """A kind of shift: ``name``, ``length`` (breaks included), its ``breaks``, bounds on
    the agents working it per pool, and its own ``cost_per_hour`` (null: the pool's)."""

    name: str = "8h"
    length: Any = "8h"
    breaks: list[BreakConf] = field(default_factory=list)
    min_agents: Optional[int] = None
    max_agents: Optional[int] = None
    cost_per_hour: Optional[float] = None


@dataclass
class RosterConf:
    """``roster.*`` in the composed config (typed: a misspelt key fails at composition)."""

    name: str = "standard"
    requirements: str = "erlang_c"
    goal: float = 0.8
    shifts: list[ShiftConf] = field(default_factory=list)
    granularity: Any = "15min"
    start_every: Any = "30min"
    # Any: a command line sets the whole mapping (roster.open={email:[8h,18h]}); checked
    # by rules_from_config.
    open: Any = None
    days_per_week: int = 5
    consecutive_days_off: bool = True
    time_limit: float = 10.0
    gap: float = 0.01
    check_block: Any = "4h"
    max_rounds: int = 5
    replications: Optional[int] = 3


@dataclass
class RosterConfig(Config):
    """The root schema of ``python -m sim`` with a ``roster`` node."""

    roster: RosterConf = field(default_factory=RosterConf)


def register() -> None:
    """Store :class:`RosterConfig` as ``base_config`` (see :func:`sim.cli.optimize.register`)."""
    register_base()
    ConfigStore.instance().store(name="base_config", node=RosterConfig)


def rules_from_config(node: DictConfig) -> "Rules":
    """The :class:`~sim.roster.rules.Rules` of a ``roster`` node, checked.

    Raises
    ------
    ConfigError
        Naming the ``roster.*`` key, the value and what is valid.
    """
    from ..roster.rules import Break, Rules, ShiftType  # noqa: PLC0415

    def minutes(value: Any, key: str, zero: bool = False) -> float:
        return parse_duration(value, f"roster.{key}", allow_zero=zero)

    shifts = []
    for i, s in enumerate(node["shifts"]):
        breaks = tuple(Break(minutes(b["length"], f"shifts.{i}.breaks.{j}.length"),
                             minutes(b["earliest"], f"shifts.{i}.breaks.{j}.earliest", True),
                             minutes(b["latest"], f"shifts.{i}.breaks.{j}.latest", True),
                             bool(b["paid"]))
                       for j, b in enumerate(s["breaks"]))
        shifts.append(ShiftType(str(s["name"]), minutes(s["length"], f"shifts.{i}.length"),
                                breaks, s["min_agents"], s["max_agents"], s["cost_per_hour"]))
    opening = {}
    given = node["open"]
    given = {} if given is None else (OmegaConf.to_container(given) if isinstance(
        given, (DictConfig, ListConfig)) else given)
    if not isinstance(given, dict):
        raise ConfigError("roster.open", given, "must map pools to [from, to], e.g. "
            "{email: [8h, 18h]}, or be null (every pool open around the clock)")
    for pool, hours in given.items():
        if not isinstance(hours, list) or len(hours) != 2:
            raise ConfigError(f"roster.open.{pool}", hours, "must be [from, to], e.g. [8h, 18h]")
        opening[pool] = (minutes(hours[0], f"open.{pool}", True),
                         minutes(hours[1], f"open.{pool}"))
    try:
        return Rules(tuple(shifts), minutes(node["granularity"], "granularity"),
                     minutes(node["start_every"], "start_every"), opening,
                     node["days_per_week"], bool(node["consecutive_days_off"]),
                     float(node["time_limit"]), float(node["gap"]))
    except InvalidValue as err:
        raise ConfigError(f"roster.{err.field}", err.value, err.valid) from None


def _check(cfg: DictConfig, rules: "Rules", pools: list[str]) -> None:
    node = cfg.roster
    goal = node["goal"]
    if isinstance(goal, bool) or not isinstance(goal, numbers.Real) or not 0 < goal < 1:
        raise ConfigError("roster.goal", goal, "must be a share strictly between 0 and 1")
    rounds = node["max_rounds"]
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 0:
        raise ConfigError("roster.max_rounds", rounds, "must be a whole number >= 0")
    reps = node["replications"]
    if reps is not None and (isinstance(reps, bool) or reps < 2):
        raise ConfigError("roster.replications", reps, "must be an integer >= 2, or null "
                          "for run.replications")
    for pool, hours in rules.open.items():
        if pool not in pools:
            raise ConfigError(f"roster.open.{pool}", [f"{m / 60:g}h" for m in hours],
                              f"names no pool of the scenario; pools: {', '.join(pools)}")


#: Where results go unless hydra.run.dir is given.
RUN_DIR = "results/roster/${now:%Y-%m-%d}/${now:%H-%M-%S}"


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    """Plan a roster, print the rounds and the cost of the rules, write the results; bad
    input exits 2 with one message naming the key."""
    from ..roster.plan import plan, requirements  # noqa: PLC0415
    from ..roster.report import write  # noqa: PLC0415

    outdir = Path(HydraConfig.get().runtime.output_dir)
    try:
        rules = rules_from_config(cfg.roster)
        cfg.staffing = OmegaConf.create({"_target_": "sim.policies.staffing.Fixed"})
        setup = build_setup(cfg)
        _check(cfg, rules, [m for p in setup.scenario.pools for m in (p.name, *p.members)])
        goal = float(cfg.roster.goal)
        block = parse_duration(cfg.roster.check_block, "roster.check_block")
        options = Options(goal, block, True, 30, cfg.roster.replications)
        setup = prepare(setup, options)
        found = (lambda s: search(s, options, report=lambda r: print(r.line(), flush=True)
                                  ).table)
        scenario, required = requirements(setup, str(cfg.roster.requirements), rules, goal,
                                          search=found)
        from ..roster.solve import check_coverable  # noqa: PLC0415

        for pool, need in required.items():
            try:
                check_coverable(rules, pool, need)
            except InvalidValue as err:
                raise ConfigError(f"roster.{err.field}", err.value, err.valid) from None
        print(f"roster: {', '.join(s.name for s in rules.shifts)} shifts, "
              f"{rules.days_per_week} days a week; requirement {cfg.roster.requirements}, "
              f"goal {goal:.0%} within target in every {_minutes(block)} block of the week",
              flush=True)
        started = time.perf_counter()
        try:
            result = plan(setup, scenario, required, rules, goal, block,
                          int(cfg.roster.max_rounds),
                          report=lambda r: print(
                              f"round {r.round}: {r.paid_hours:,.1f} paid h, {len(r.misses)} "
                              f"channel-blocks below goal (solve {r.solve_s:.1f} s, simulate "
                              f"{r.simulate_s:.1f} s)", flush=True))
        except InvalidValue as err:  # rules no roster meets, found while solving
            raise ConfigError(f"roster.{err.field}", err.value, err.valid) from None
    except ConfigError as err:
        print(f"config error: {err}", file=sys.stderr)
        sys.exit(2)
    header = [f"Found by: python -m sim.roster {' '.join(HydraConfig.get().overrides.task)}"
              .rstrip(),
              "Agents on the floor per pool and slot (shifts less breaks); see roster.csv.",
              "Use: copy to conf/staffing/<name>.yaml, then python -m sim staffing=<name>"]
    write(outdir, result, render_schedule, header, OmegaConf.to_yaml(cfg),
          time.perf_counter() - started)
    from ..roster.output import format_plan  # noqa: PLC0415

    print()
    print(format_plan(result))
    print(f"-> {outdir}")


def cli() -> None:
    """``python -m sim.roster``: register the schema, pick the rules, default the output
    directory."""
    register()
    args = sys.argv[1:]
    for i, a in enumerate(args):
        if a.startswith("roster="):  # the group is not in conf/config.yaml's defaults
            sys.argv[1 + i] = "+" + a
    if not any(a.startswith(("roster=", "+roster=")) for a in args):
        sys.argv.insert(1, "+roster=standard")
    if not any(a.startswith(("hydra.run.dir=", "++hydra.run.dir=")) for a in sys.argv[1:]):
        sys.argv.insert(1, f"hydra.run.dir={RUN_DIR}")
    main()
