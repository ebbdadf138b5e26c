"""Screenshots of the two pages a user reads, as headless Chromium draws them 1280 px wide.

Runs a short default study (its ``report.html``) and the secure-chat question at one
``follow`` (its ``comparison.html``), checks both with :mod:`check_html` (figures decode,
nothing essential scrolls sideways at 1280 px) and saves ``report.png`` and
``comparison.png`` into ``--out`` (default ``docs/screenshots``, which docs/reports.md shows).

Usage: ``python scripts/screenshots.py [--out DIR]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN = ["run.horizon=2d", "run.replications=3", "run.progress=false"]
SWEEP = ["escalation=to_phone,to_secure_chat", "escalation.follow=0.8", "run.horizon=3d",
         "run.replications=5", "run.progress=false"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        run, sweep = Path(tmp) / "run", Path(tmp) / "sweep"
        for cmd in (["-m", "sim", *RUN, f"hydra.run.dir={run}"],
                    ["-m", "sim", "-m", *SWEEP, f"hydra.sweep.dir={sweep}"]):
            subprocess.run([sys.executable, *cmd], cwd=ROOT, check=True, capture_output=True)
        return subprocess.run([sys.executable, str(ROOT / "scripts" / "check_html.py"),
                               str(run / "report.html"), str(sweep / "comparison.html"),
                               "--min-figures", "3", "--screenshot", str(args.out)]).returncode


if __name__ == "__main__":
    sys.exit(main())
