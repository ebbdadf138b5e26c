"""Regenerate the figures the README and docs quote from runs, or check they are current.

Each quoted figure sits between ``<!-- figures:NAME -->`` and ``<!-- /figures:NAME -->``
in its page (:data:`SECTIONS`), and NAME's function below runs what it reports and writes the
text. With ``--check`` (CI) nothing is written: the script exits 1 and shows the difference
if a page quotes anything but what the runs give now.

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


def compare_example() -> str:
    """docs/comparisons.md's sweep and the summary its end prints."""
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([sys.executable, "-m", "sim", "-m",
                               "routing=siloed,unified_text,blended", "seed=1,2",
                               "run.progress=false", "run.figures=false",
                               f"hydra.sweep.dir={tmp}"], cwd=ROOT, check=True,
                              capture_output=True, text=True)
        lines = done.stdout.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("6 jobs:"))
        out = [line.replace(tmp, "results/multirun/<date>/<time>") for line in lines[start:]]
    return "```\n" + "\n".join(out) + "\n```"


#: Page -> its marked sections and the function that writes each.
SECTIONS = {README: {"optimize": optimize},
            ROOT / "docs" / "comparisons.md": {"compare_example": compare_example}}


def regenerate(text: str, sections: dict) -> str:
    """A page's text with every marked section rewritten from its run."""
    for name, make in sections.items():
        pattern = re.compile(rf"(<!-- figures:{name} -->\n)(.*?)(\n<!-- /figures:{name} -->)",
                             re.S)
        if not pattern.search(text):
            raise SystemExit(f"no <!-- figures:{name} --> section to write")
        body = make()
        text = pattern.sub(lambda m: m.group(1) + body + m.group(3), text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the README's figures differ from a fresh run")
    args = parser.parse_args(argv)
    stale = 0
    for page, sections in SECTIONS.items():
        old = page.read_text(encoding="utf-8")
        new = regenerate(old, sections)
        name = page.relative_to(ROOT)
        if not args.check:
            page.write_text(new, encoding="utf-8")
            print(f"{name}: figures regenerated")
        elif new != old:
            stale += 1
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(True), new.splitlines(True), str(name), "regenerated"))
            print(f"{name}: quoted figures are stale: run python scripts/readme_figures.py",
                  file=sys.stderr)
        else:
            print(f"{name}: quoted figures are current")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
