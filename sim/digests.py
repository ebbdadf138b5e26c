"""Content digests of result tables, for bit-level comparisons across processes.

Same seed, same results, bit for bit, whatever the process did before: these digests are
how that is checked. A digest hashes a column's raw bytes (floats bit for bit, categories
by their labels), so two tables have equal digests exactly when they hold the same values
in the same order. ``python -m sim.digests`` runs configurations in a fresh process after
an allocation history of its choosing and prints their digests, so that a test can compare
processes whose memory layouts differ (anything ordered by memory address then shows).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["column_digest", "table_digest", "main"]


def column_digest(values: pd.Series) -> str:
    """SHA-256 (hex, 16 characters) of one column's values, bit for bit."""
    h = hashlib.sha256()
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(str)
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        h.update("\x1f".join(map(str, values.tolist())).encode("utf-8"))
    else:
        h.update(str(values.dtype).encode())
        h.update(np.ascontiguousarray(values.to_numpy()).tobytes())
    return h.hexdigest()[:16]


def table_digest(table: pd.DataFrame) -> dict[str, str]:
    """Digest of every column of ``table`` (in column order), plus ``"rows"``."""
    out = {"rows": str(len(table))}
    out.update({str(c): column_digest(table[c]) for c in table.columns})
    return out


def _run(overrides: Sequence[str]) -> dict[str, dict[str, str]]:
    from . import api  # noqa: PLC0415 - the child process only

    res = api.run(*overrides)
    return {"contacts": table_digest(res.contacts), "summary": table_digest(res.summary)}


def main(argv: Sequence[str] | None = None) -> int:
    """Child mode: allocate ``--junk`` objects, run each configuration, print JSON digests."""
    parser = argparse.ArgumentParser(prog="python -m sim.digests", description=__doc__.split("\n")[0])
    parser.add_argument("--junk", type=int, default=0,
                        help="allocate this many small objects first (shifts memory addresses)")
    parser.add_argument("runs", help="JSON list of override lists, one per run")
    args = parser.parse_args(argv)
    # Lists and dicts interleaved, half of them freed: a heap unlike a fresh process's.
    junk = [([] if i % 3 else {}) for i in range(args.junk)]
    del junk[::2]
    digests = [_run(overrides) for overrides in json.loads(args.runs)]
    sys.stdout.write(json.dumps(digests) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
