"""Same seed, same results, bit for bit, whatever the process did before.

Every shipped routing, staffing and escalation config runs in two fresh processes with
different allocation histories (one allocates and frees objects first, which shifts every
memory address); their contacts and summaries must be identical. Anything ordered by memory
address (a set of objects, ``id()``) or by string hashing shows up here as a difference.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import CONF, ROOT

SHORT = ["run.horizon=2d", "run.replications=1", "run.drain=6h", "seed=3"]


def _runs() -> list[list[str]]:
    runs = []
    for group in ("routing", "staffing", "escalation"):
        for option in sorted(p.stem for p in (CONF / group).glob("*.yaml")):
            runs.append([f"{group}={option}", *SHORT])
    return runs


def _digests(runs: list[list[str]], junk: int, hash_seed: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    return subprocess.Popen([sys.executable, "-m", "sim.digests", "--junk", str(junk),
                             json.dumps(runs)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_every_shipped_policy_is_deterministic_across_processes():
    runs = _runs()
    fresh, shifted = _digests(runs, 0, "0"), _digests(runs, 200_000, "12345")
    outputs = []
    for proc in (fresh, shifted):
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    differ = []
    for overrides, a, b in zip(runs, *outputs):
        for table in ("contacts", "summary"):
            cols = sorted(k for k in a[table] if a[table][k] != b[table].get(k))
            if cols:
                differ.append(f"{overrides[0]}: {table} columns {cols}")
    assert not differ, "results depend on the process's history:\n" + "\n".join(differ)
