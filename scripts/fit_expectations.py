"""Fit each channel's expectation lognormal to the survey figures; check the default study.

Prints, per channel of the default study, the ``expectation:`` line the fit gives
(:func:`sim.calibration.fit_all`: least squares on the stated quantiles, median rounded to
whole minutes, sigma to 2 decimals) and, figure by figure, the stated share against the
fitted CDF at the figure's time. With ``--check`` it exits 1 if
``conf/scenario/default.yaml``'s expectation lines differ from the fit, naming them.

Run from the repository root: ``python scripts/fit_expectations.py [--check]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

import numpy as np
from omegaconf import OmegaConf

from sim.calibration import Fit, fit_all, fitted_shares
from sim.durations import parse_duration

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "conf" / "scenario" / "default.yaml"


def render(fits: dict[str, Fit]) -> str:
    """The report: per channel its YAML line and the stated-vs-fitted table."""
    lines = []
    for name, fit in fits.items():
        # Residuals of the published (rounded) parameters: those are what the simulator uses.
        figures = sorted(fit.figures, key=lambda f: f.minutes)
        residuals = fitted_shares(figures, *fit.published) - [f.share for f in figures]
        lines += [f"{name}:",
                  f"  expectation: {fit.yaml()}",
                  f"  {'within':>8}  {'stated':>6}  {'fitted':>6}  {'resid':>6}  source"]
        for figure, resid in zip(figures, residuals):
            lines.append(f"  {figure.minutes:>6g}m  {figure.share:>6.3f}  "
                         f"{figure.share + resid:>6.3f}  {resid:>+6.3f}  {figure.source}")
        lines.append(f"  RMS residual {np.sqrt(np.mean(residuals**2)):.3f}")
    return "\n".join(lines) + "\n"


def configured(path: Path = SCENARIO) -> dict[str, tuple[float, float]]:
    """Each channel's expectation (median in minutes, sigma) as written in the scenario."""
    channels = OmegaConf.load(path).channels
    return {name: (parse_duration(ch.expectation.median, f"channels.{name}.expectation.median"),
                   float(ch.expectation.sigma))
            for name, ch in channels.items()}


def mismatches(fits: dict[str, Fit], path: Path = SCENARIO) -> list[str]:
    """Channels whose configured expectation is not the published fit, one message each."""
    have = configured(path)
    problems = []
    for name, fit in fits.items():
        if name not in have:
            problems.append(f"{name}: not in {path.name}")
        elif have[name] != fit.published:
            problems.append(f"{name}: {path.name} has median {have[name][0]:g} min, sigma "
                            f"{have[name][1]:g}; the fit gives {fit.yaml()}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help=f"exit 1 if {SCENARIO.relative_to(ROOT)} differs from the fit")
    args = parser.parse_args(argv)
    fits = fit_all()
    print(render(fits), end="")
    if args.check:
        problems = mismatches(fits)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
