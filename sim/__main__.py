"""``python -m sim``: run a study from config and write its results directory."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from .config import ConfigError, build_study, register

register()
# Absolute, so that `python -m sim` and the `carequeue` console script find the same conf/.
CONF_DIR = str(Path(__file__).resolve().parent.parent / "conf")


@hydra.main(config_path=CONF_DIR, config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    """Validate, simulate, write results; config errors exit 2 with one message."""
    from .experiment import run_study  # noqa: PLC0415 - after Hydra has parsed the CLI
    from . import report
    from .progress import progress_bar

    try:
        study = build_study(cfg)
        outdir = Path(HydraConfig.get().runtime.output_dir)
        started = time.perf_counter()
        with progress_bar(study, enabled=cfg.run.progress) as progress:
            results = run_study(study, progress)
    except ConfigError as err:
        print(f"config error: {err}", file=sys.stderr)
        sys.exit(2)
    wall = time.perf_counter() - started
    report.write_results(outdir, results, OmegaConf.to_yaml(cfg), seed=cfg.seed, wall_s=wall)
    print(report.format_summary(results.summary))
    print(f"\n{len(results.contacts):,} contacts, {study.run.replications} replications in "
          f"{wall:.1f} s -> {outdir}")


if __name__ == "__main__":
    main()
