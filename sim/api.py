"""The notebook API: run studies and read their tables as DataFrames, no command line needed.

Everything the CLI does is here as plain functions: compose a configuration with the same
overrides ``python -m sim`` takes, simulate it, save or load a results directory, compare
several of them. Results are :class:`sim.replications.Results`: one DataFrame per table
(``contacts``, ``journeys``, ``intervals``, ``per_replication``, ``summary``...), the same
columns as the files a run writes (README: *What a run writes*).

>>> from sim import api
>>> res = api.run("routing=unified_text", "run.horizon=2d")        # doctest: +SKIP
>>> api.metric(res, "service_level")                              # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .cli.config import build_setup, compose, to_yaml
from .replications import Results, run_replications

__all__ = ["compare", "load", "metric", "run", "save"]

#: The tables of a results directory: every field of Results but the model objects and
#: how the run was configured (those come from .hydra/).
_TABLES = [f.name for f in fields(Results) if f.name not in ("scenario", "overrides",
                                                              "config_yaml")]


def run(*overrides: str, progress: bool = False) -> Results:
    """Simulate the configuration ``python -m sim *overrides`` would, in this process.

    Parameters
    ----------
    *overrides : str
        Hydra overrides, e.g. ``"routing=blended"``, ``"run.replications=10"``.
    progress : bool
        Show a progress bar (off by default: notebooks print their own).

    Raises
    ------
    sim.errors.ConfigError
        A value that cannot be simulated, naming the key, the value and what is valid.
    """
    cfg = compose([*overrides, f"run.progress={str(progress).lower()}"])
    results = run_replications(build_setup(cfg))
    results.overrides = tuple(overrides)
    results.config_yaml = to_yaml(cfg)
    return results


def save(results: Results, directory: str | Path, *, seed: int | None = None) -> Path:
    """Write a results directory as the CLI does (parquet tables, figures, report.html,
    summary.csv last); returns the report's path."""
    from .report import write_results  # noqa: PLC0415 - matplotlib only when saving

    path = Path(directory)
    if results.config_yaml:
        # Where a CLI run keeps them (Hydra's layout), so comparisons can tell runs apart.
        hydra_dir = path / ".hydra"
        hydra_dir.mkdir(parents=True, exist_ok=True)
        (hydra_dir / "config.yaml").write_text(results.config_yaml)
        (hydra_dir / "overrides.yaml").write_text(yaml.safe_dump(list(results.overrides)))
    return write_results(path, results, results.config_yaml or "# saved from sim.api\n",
                         seed=seed)


def load(directory: str | Path) -> Results:
    """The tables of a results directory (a run's, or one job of a sweep) as DataFrames.

    ``scenario`` is None: a directory holds tables, not the model objects.

    Raises
    ------
    FileNotFoundError
        When ``directory`` holds no complete run (no ``summary.csv``).
    """
    path = Path(directory)
    if not (path / "summary.csv").exists():
        raise FileNotFoundError(f"{path}: no summary.csv, so not a complete results directory")
    tables: dict[str, Any] = {}
    for name in _TABLES:
        file = path / f"{name}.parquet"
        tables[name] = pd.read_parquet(file) if file.exists() else pd.DataFrame()
    tables["summary"] = pd.read_csv(path / "summary.csv")
    config = path / ".hydra" / "config.yaml"
    overrides = path / ".hydra" / "overrides.yaml"
    return Results(scenario=None, **tables,  # type: ignore[arg-type]
                   overrides=tuple(yaml.safe_load(overrides.read_text()) or ())
                   if overrides.exists() else (),
                   config_yaml=config.read_text() if config.exists() else "")


def metric(results: Results, name: str, channel: str = "all") -> pd.Series:
    """One summary row: ``mean``, ``ci_low``, ``ci_high``, ``n`` of ``name`` for ``channel``."""
    s = results.summary
    row = s[(s["channel"] == channel) & (s["metric"] == name)]
    if row.empty:
        raise KeyError(f"no summary row for metric {name!r}, channel {channel!r}; metrics: "
                       + ", ".join(dict.fromkeys(s["metric"])))
    return row.iloc[0][["mean", "ci_low", "ci_high", "n"]]


def compare(*directories: str | Path, baseline: str | None = None) -> dict[str, pd.DataFrame]:
    """Compare results directories (or one sweep directory): the comparison table and the
    paired differences, as ``python -m sim.compare`` writes them.

    Returns
    -------
    dict
        ``"comparison"``: one row per job, channel and metric, with each job's overrides as
        columns; ``"paired"``: paired differences with confidence intervals for jobs that
        differ only in policy (see docs/comparisons.md).
    """
    from . import compare as cmp  # noqa: PLC0415

    jobs = cmp.load_jobs([Path(d) for d in directories])
    return {"comparison": cmp.comparison_table(jobs),
            "paired": cmp.paired_differences(jobs, baseline=baseline)}
