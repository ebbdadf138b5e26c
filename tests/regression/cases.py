"""The back-test cases and how one is digested.

Each case is a list of overrides of ``python -m sim``: the default study (shortened), every
option of every policy group on the default study, and the model's less common paths
(threaded conversations, incidents, self-service front doors, listening for untagged posts, advocacy and reply exposure,
the teaching scenario with abandonment, reputation weighting, most-proficient agent selection).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sim.digests import table_digest

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = Path(__file__).resolve().parent / "expected"
SHORT = ["run.horizon=1d", "run.replications=1", "run.drain=6h", "seed=5"]


def _options(group: str) -> list[str]:
    return sorted(p.stem for p in (ROOT / "conf" / group).glob("*.yaml"))


CASES: dict[str, list[str]] = {
    "default": ["run.horizon=2d", "run.replications=2"],
    **{f"{group}-{option}": [f"{group}={option}", *SHORT]
       for group in ("routing", "staffing", "escalation") for option in _options(group)},
    "threads": ["scenario.channels.chat.exchanges=3",
                "scenario.channels.chat.think={dist:exponential,mean:1min}",
                "scenario.channels.email.exchanges=2",
                "scenario.channels.email.think={dist:exponential,mean:2h}",
                "routing=unified_text", *SHORT],
    "incidents": ["scenario.incidents=[{channels:[phone,twitter],factor:4,duration:3h,at:10h}]",
                  *SHORT],
    "reputation": ["routing=cmu", "routing.reputation=true", *SHORT],
    "most-proficient": ["routing=blended", "routing/agent_selection=most_proficient", *SHORT],
    "self-service": ["scenario.channels.chat.self_service.enabled=true",
                     "scenario.channels.messages.self_service.enabled=true",
                     "scenario.channels.messages.self_service.context=false",
                     "scenario.channels.phone.self_service.enabled=true", *SHORT],
    "listening": ["scenario.channels.twitter.listening.enabled=true",
                  "scenario.channels.facebook.listening.enabled=true",
                  "scenario.channels.facebook.listening.coverage=0.5", *SHORT],
    "advocacy": ["scenario.channels.twitter.advocacy.enabled=true",
                 "scenario.channels.twitter.reply_exposure=1h", *SHORT],
    "erlang-a": ["scenario=erlang", "scenario.agents=10", "scenario.mean_patience_min=5",
                 "run.horizon=3d", "run.warmup=6h", "run.replications=2"],
}

#: Row order that does not depend on the order the engine happened to emit rows in.
ORDER = {"contacts": ["replication", "contact_id"],
         "segments": ["replication", "contact_id", "start_min", "agent_id"],
         "journeys": ["replication", "journey_id"]}


def digest(results) -> dict:
    """Digests of every table of ``results`` (canonical row order) and the summary values."""
    out = {}
    for name in ("contacts", "journeys", "segments", "staffing", "intervals", "per_replication"):
        table = getattr(results, name)
        if name in ORDER:
            table = table.sort_values(ORDER[name], kind="stable").reset_index(drop=True)
        out[name] = table_digest(table)
    out["summary"] = [[r.channel, r.metric, *(repr(float(v)) for v in
                                              (r.mean, r.ci_low, r.ci_high)), int(r.n)]
                      for r in results.summary.itertuples()]
    return out


def expected_path(case: str) -> Path:
    return EXPECTED / f"{case}.json"


def load_expected(case: str) -> dict:
    return json.loads(expected_path(case).read_text())


def differences(expected: dict, got: dict) -> list[str]:
    """Human-readable list of what differs between two digests."""
    out = []
    for name, cols in expected.items():
        if name == "summary":
            continue
        new = got.get(name, {})
        moved = [c for c in cols if cols[c] != new.get(c)]
        added = [c for c in new if c not in cols]
        if moved or added:
            out.append(f"{name}: changed {moved}" + (f", new columns {added}" if added else ""))
    exp = {(r[0], r[1]): r[2:] for r in expected["summary"]}
    for r in got["summary"]:
        old = exp.pop((r[0], r[1]), None)
        if old != r[2:]:
            out.append(f"summary {r[0]}/{r[1]}: {old} -> {r[2:]}")
    out += [f"summary {k[0]}/{k[1]}: gone" for k in exp]
    return out


def pretty(table: pd.DataFrame) -> str:  # pragma: no cover - debugging aid
    return table.to_string()
