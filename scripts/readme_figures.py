"""Regenerate the figures the README quotes from runs, or check that they are current.

Each quoted figure sits between ``<!-- figures:NAME -->`` and ``<!-- /figures:NAME -->``
in README.md, and NAME's function below runs what it reports and writes the text. With
``--check`` (CI) nothing is written: the script exits 1 and shows the difference if the
README quotes anything but what the runs give now.

Usage: ``python scripts/readme_figures.py [--check]``
"""

from __future__ import annotations

import argparse
import csv
import difflib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def optimize() -> str:
    """The staffing search on the default study (``python -m sim.optimize``)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "sim.optimize", f"hydra.run.dir={tmp}",
                        "run.progress=false"], cwd=ROOT, check=True, capture_output=True,
                       text=True)
        with open(Path(tmp) / "rounds.csv", newline="") as f:
            rounds = list(csv.DictReader(f))
    start, end = float(rounds[0]["agent_hours"]), float(rounds[-1]["agent_hours"])
    sims = sum(int(r["simulations"]) for r in rounds)
    return (f"On the default study the search goes from Erlang C's {start:,.0f} agent-hours a "
            f"week to {end:,.0f} ({end / start - 1:+.1%}; {rounds[-1]['number']} rounds, "
            f"{sims} simulations).")


SECTIONS = {"optimize": optimize}


def regenerate(text: str) -> str:
    """README text with every marked section rewritten from its run."""
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- figures:{name} -->\n)(.*?)(\n<!-- /figures:{name} -->)",
                             re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no <!-- figures:{name} --> section")
        body = make()
        text = pattern.sub(lambda m: m.group(1) + body + m.group(3), text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the README's figures differ from a fresh run")
    args = parser.parse_args(argv)
    old = README.read_text(encoding="utf-8")
    new = regenerate(old)
    if args.check:
        if new != old:
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(True), new.splitlines(True), "README.md", "regenerated"))
            print("README figures are stale: run python scripts/readme_figures.py",
                  file=sys.stderr)
            return 1
        print("README figures are current")
        return 0
    README.write_text(new, encoding="utf-8")
    print("README figures regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
