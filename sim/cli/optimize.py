"""``python -m sim.optimize``: the staffing search's command and its ``optimize.*`` schema.

:class:`OptimizeConf` is the typed ``optimize`` node (a misspelt key fails at composition)
and :func:`register` stores it, as part of :class:`OptimizeConfig`, for the command only;
:func:`options_from_config` checks a node and gives the :class:`~sim.optimize.Options` the
search takes. :func:`cli` registers the schema and defaults the output directory to
:data:`RUN_DIR`; :func:`main` searches, prints progress and the achieved table, and writes
``rounds.csv``, ``schedule.yaml`` (headed by how it was found) and ``achieved.csv``.
"""

from __future__ import annotations

import numbers
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import hydra
import pandas as pd
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from ..arrivals import MIN_PER_DAY
from ..durations import parse_duration
from ..errors import ConfigError
from ..optimize.blocks import agent_hours, make_blocks
from ..optimize.options import Options, _minutes
from ..optimize.output import achieved_table, format_achieved, render_schedule
from ..optimize.pools import searched_pools
from ..optimize.rounds import SearchResult, prepare, search
from ..replications import Setup
from .config import CONF_DIR, Config, build_setup
from .config import register as register_base


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
    :class:`sim.cli.config.Config` under that name gives ``python -m sim.optimize`` the same
    config plus ``optimize.*``, checked like every other key. Called by the command only, so
    importing this module leaves ``python -m sim``'s schema alone.
    """
    register_base()
    ConfigStore.instance().store(name="base_config", node=OptimizeConfig)


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


#: Where results go unless hydra.run.dir is given.
RUN_DIR = "results/optimize/${now:%Y-%m-%d}/${now:%H-%M-%S}"


def _header(result: SearchResult, overrides: Sequence[str], setup: Setup,
            cfg: DictConfig) -> list[str]:
    """The comment lines heading ``schedule.yaml``: how it was found, for what, how to use it."""
    o, blocks = result.options, result.blocks
    repeat = "for each day of the week" if o.weekly else "repeated every day"
    merged = [p for p in searched_pools(result.scenario) if list(p.members) != [p.name]]
    lines = [
        f"Found by: python -m sim.optimize {' '.join(overrides)}".rstrip(),
        f"on {time.strftime('%Y-%m-%d %H:%M')}: the fewest agents on the floor per pool and "
        f"{_minutes(blocks.block_min)} block ({repeat})",
        f"whose simulated service level meets {o.goal:.0%} within target in every channel and "
        f"block{'' if o.weekly else ' (arrivals of all days pooled)'}",
        f"(mean over {setup.run.replications if o.replications is None else o.replications} "
        f"replications of {_minutes(setup.run.horizon_min)}, seed {setup.run.seed}; "
        "95% CIs in achieved.csv).",
        f"Started from Erlang C (max per block): {agent_hours(result.start.counts, blocks):,.1f} "
        f"agent-h/week; found {agent_hours(result.final.counts, blocks):,.1f} after "
        f"{len(result.rounds) - 1} rounds, {result.simulations} simulations.",
    ]
    if not result.final.feasible:
        lines.append(f"WARNING: goal still missed in {len(result.final.misses)} channel-blocks "
                     "(optimize.max_rounds reached).")
    lines.append(f"For scenario {cfg.scenario.get('name', '?')!r}, routing "
                 f"{cfg.routing.get('_target_')}, escalation {cfg.escalation.get('_target_')}.")
    for p in merged:
        lines.append(f"Pool {p.name} (merged by routing) split evenly among its members "
                     f"{', '.join(p.members)}; only their sum matters under that routing.")
    lines.append("Use: copy to conf/staffing/<name>.yaml, then python -m sim staffing=<name>")
    return lines


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    """Search, print progress and the achieved table, write ``schedule.yaml`` and
    ``achieved.csv``; bad input exits 2 with one message naming the key."""
    try:
        options = options_from_config(cfg.optimize)
        # The search replaces the staffing policy; a configured one that does not fit
        # this scenario (the default schedule names the default pools) must not stop it.
        cfg.staffing = OmegaConf.create({"_target_": "sim.policies.staffing.Fixed"})
        setup = build_setup(cfg)
        make_blocks(setup.scenario, options), prepare(setup, options)  # fail before the banner
        outdir = Path(HydraConfig.get().runtime.output_dir)
        print(f"staffing search: {options.goal:.0%} within target in every channel and "
              f"{_minutes(options.block_min)} block{' of the week' if options.weekly else ''}",
              flush=True)
        result = search(setup, options, report=lambda r: print(r.line(), flush=True))
    except ConfigError as err:
        print(f"config error: {err}", file=sys.stderr)
        sys.exit(2)
    overrides = list(HydraConfig.get().overrides.task)
    pd.DataFrame([{**asdict(r), "misses": len(r.misses)} for r in result.rounds]).to_csv(
        outdir / "rounds.csv", index=False)
    (outdir / "schedule.yaml").write_text(
        render_schedule(result.table, _header(result, overrides, setup, cfg)))
    # Last, as summary.csv for `python -m sim`: a run that failed does not look complete.
    achieved_table(result).to_csv(outdir / "achieved.csv", index=False)
    print()
    print(format_achieved(result))
    status = "converged" if result.converged else "stopped at optimize.max_rounds"
    print(f"{len(result.rounds) - 1} round(s) ({status}), {result.simulations} simulations in "
          f"{result.seconds:.1f} s -> {outdir}")
    if not result.final.feasible:
        print(f"warning: the goal is still missed in {len(result.final.misses)} channel-blocks; "
              "raise optimize.max_rounds", file=sys.stderr)


def cli() -> None:
    """``python -m sim.optimize``: register the schema, default the output directory."""
    register()
    if not any(a.startswith(("hydra.run.dir=", "++hydra.run.dir=")) for a in sys.argv[1:]):
        sys.argv.insert(1, f"hydra.run.dir={RUN_DIR}")
    main()
