"""Which settings, besides the one compared, differ between two policies.

Comparing ``escalation=to_phone`` with ``escalation=to_secure_chat`` also compares their
shipped defaults: ``follow`` 0.6 against 0.9, an assumption about customers, not a property
of the channel. :func:`differences` lists every parameter of the policy groups whose value
differs between the baseline's and the policy's composed configs, and marks those the shipped
config calls ASSUMED (its comment says so), so that the page can say what a verdict rests
on and which sweep would test it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .jobs import Job
from .treatment import POLICY_GROUPS

#: The shipped configs, where a parameter's comment may mark it ASSUMED.
_CONF = Path(__file__).resolve().parents[2] / "conf"


@dataclass(frozen=True)
class Difference:
    """One parameter set differently in two policies (``key`` in override syntax)."""

    key: str
    baseline: Any
    policy: Any
    assumed: bool


def _leaves(node: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping):
        for k, v in node.items():
            yield from _leaves(v, f"{prefix}.{k}")
    else:
        yield prefix, node


def _assumed(job: Job, key: str) -> bool:
    """Whether the shipped config the job chose for ``key``'s group marks it ASSUMED."""
    group, _, param = key.partition(".")
    choice = job.choices.get(group)
    if not choice or "." in param:
        return False
    path = _CONF / group / f"{choice}.yaml"
    if not path.is_file():
        return False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{param}:"):
            return "ASSUMED" in line
    return False


def differences(baseline: Job, policy: Job) -> list[Difference]:
    """Parameters of the policy groups (``_target_`` aside: that is the policy itself) set
    differently in the two jobs' composed configs, in config order."""
    a, b = baseline.config or {}, policy.config or {}
    out = []
    for group in POLICY_GROUPS:
        left, right = dict(_leaves(a.get(group), group)), dict(_leaves(b.get(group), group))
        for key in dict.fromkeys([*left, *right]):
            if key.endswith("._target_") or left.get(key) == right.get(key):
                continue
            out.append(Difference(key, left.get(key), right.get(key),
                                  _assumed(baseline, key) or _assumed(policy, key)))
    return out


def _text(value: Any) -> str:
    """A value as an override writes it (``null``, ``true``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def describe(found: list[Difference], baseline: str, policy: str) -> str:
    """One sentence for the page: what else differs, ASSUMED values first."""
    if not found:
        return ""
    found = sorted(found, key=lambda d: not d.assumed)
    items = [f"{d.key} {_text(d.baseline)} → {_text(d.policy)}"
             + (" (ASSUMED)" if d.assumed else "") for d in found]
    text = (f"Besides the policy, {policy} and {baseline} differ in: " + "; ".join(items) + ".")
    assumed = [d.key for d in found if d.assumed]
    if assumed:
        first = found[0]
        text += (" The verdicts rest on these assumptions too; to separate the policy from "
                 f"the assumption, sweep it and hold it equal within pairs: "
                 f"{first.key}={_text(first.baseline)},{_text(first.policy)} "
                 f"hydra.callbacks.compare.hold={first.key}.")
    return text
