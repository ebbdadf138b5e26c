"""``python -m tests.regression [CASE ...]``: regenerate the back-tests' expected digests."""

from __future__ import annotations

import json
import sys

from tests.conftest import simulate

from .cases import CASES, EXPECTED, digest, expected_path


def main(names: list[str]) -> int:
    EXPECTED.mkdir(exist_ok=True)
    for case in names or list(CASES):
        expected_path(case).write_text(json.dumps(digest(simulate(CASES[case])), indent=0) + "\n")
        print(f"wrote {expected_path(case)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
