"""``python -m sim.study experiments/<name>``: run a named study, a sweep with a question.

A study (``experiments/<name>/study.yaml``) is overrides only: the question it answers, the
overrides every job shares, and the values it sweeps. This command turns it into the Hydra
sweep ``python -m sim -m <overrides> <key>=<v1>,<v2> ...`` with a fixed sweep directory
(``results/experiments/<name>``), so that running it again finishes failed or killed jobs and
skips the complete ones; the multirun-end callback then writes the comparison there, against
the study's baseline. The command it runs is printed first: a study is never more than a
documented sweep.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import yaml

__all__ = ["Study", "load_study", "main"]


@dataclass(frozen=True)
class Study:
    """A named study.

    Attributes
    ----------
    name : str
        The folder name under ``experiments/``.
    question : str
        What the study answers, in one sentence.
    overrides : tuple of str
        Hydra overrides every job shares.
    sweep : dict
        Key -> the values compared (one job per combination).
    baseline : str or None
        ``key=value`` of the job the others are compared with (paired differences).
    """

    name: str
    question: str
    overrides: tuple[str, ...]
    sweep: dict[str, tuple[Any, ...]]
    baseline: str | None = None

    def sweep_overrides(self) -> list[str]:
        """``key=v1,v2,...`` for each swept key (Hydra's basic sweeper syntax)."""
        return [f"{key}={','.join(_text(v) for v in values)}" for key, values in self.sweep.items()]

    def command(self, results: Path, extra: Sequence[str] = ()) -> list[str]:
        """The ``python -m sim -m ...`` command line that runs the study (the comparison at
        its end made against the study's baseline)."""
        baseline = ([f'hydra.callbacks.compare.baseline="{self.baseline}"'] if self.baseline
                    else [])
        return [sys.executable, "-m", "sim", "-m", *self.overrides, *self.sweep_overrides(),
                *extra, f"hydra.sweep.dir={results}", *baseline]


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def load_study(path: str | Path) -> Study:
    """Read ``<path>/study.yaml`` (or ``path`` itself if it is the YAML file).

    Raises
    ------
    ValueError
        Naming the key that is missing or malformed.
    """
    path = Path(path)
    file = path / "study.yaml" if path.is_dir() else path
    if not file.exists():
        raise ValueError(f"{file}: no such study (expected experiments/<name>/study.yaml)")
    data = yaml.safe_load(file.read_text()) or {}
    unknown = set(data) - {"question", "overrides", "sweep", "baseline"}
    if unknown:
        raise ValueError(f"{file}: unknown key(s) {sorted(unknown)}; valid: question, "
                         "overrides, sweep, baseline")
    if not isinstance(data.get("question"), str):
        raise ValueError(f"{file}: question must be one sentence of text")
    overrides = data.get("overrides") or []
    sweep = data.get("sweep") or {}
    if not isinstance(overrides, list) or not all(isinstance(o, str) and "=" in o
                                                  for o in overrides):
        raise ValueError(f"{file}: overrides must be a list of key=value strings")
    if not isinstance(sweep, dict) or not sweep or not all(
            isinstance(v, list) and v for v in sweep.values()):
        raise ValueError(f"{file}: sweep must map each swept key to a non-empty list of values")
    return Study(file.parent.name, data["question"].strip(), tuple(overrides),
                 {k: tuple(v) for k, v in sweep.items()}, data.get("baseline"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.study", description=__doc__.split("\n")[0])
    parser.add_argument("study", help="experiments/<name> (or its study.yaml)")
    parser.add_argument("--results", type=Path, default=None,
                        help="sweep directory (default results/experiments/<name>)")
    parser.add_argument("extra", nargs="*", help="more overrides, e.g. run.replications=3")
    args = parser.parse_intermixed_args(argv)
    try:
        study = load_study(args.study)
    except ValueError as err:
        print(f"study error: {err}", file=sys.stderr)
        return 2
    results = args.results or Path("results") / "experiments" / study.name
    cmd = study.command(results, args.extra)
    print(f"{study.name}: {study.question}\n$ " + shlex.join(["python", *cmd[1:]]), flush=True)
    return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main())
