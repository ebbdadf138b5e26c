"""``python -m sim.optimize``: the command (with :mod:`.options`, all here that knows Hydra).

:func:`cli` registers the schema and defaults the output directory to :data:`RUN_DIR`;
:func:`main` searches, prints progress and the achieved table, and writes ``rounds.csv``,
``schedule.yaml`` (headed by how it was found) and ``achieved.csv``.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import hydra
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from ..config import CONF_DIR, ConfigError, build_setup
from ..replications import Setup
from .blocks import agent_hours, make_blocks
from .options import _minutes, options_from_config, register
from .output import achieved_table, format_achieved, render_schedule
from .pools import searched_pools
from .rounds import SearchResult, prepare, search


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
