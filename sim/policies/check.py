"""``check_policy``: run a policy through the scenario shapes that break policies.

In the spirit of Gymnasium's ``check_env``: before benchmarking your own policy, run it on
short versions of the shapes where policies go wrong — pools serving one channel and
several, overflow delays, a tier-2 queue the policy never configured, reactive staffing,
text concurrency with threaded conversations, the one-channel teaching scenario — in two
processes, and get back what went wrong, in words:

- **contract violations**: the engine refused what the policy returned (a contact the agent
  may not take: no skill, no room, an overflow delay not yet passed; a fractional headcount;
  an agent that was not offered), :class:`~sim.policies.base.ContractError`;
- **crashes**: any other exception, with the shape it happened in;
- **broken invariants**: conservation, capacity, time order (:mod:`sim.invariants`);
- **non-determinism**: the same seed gave different contacts in the other process, whose
  memory layout and string hashing differ (iteration over a set of objects, ``id()``,
  unseeded randomness), or in a second run in the same process (state kept between runs);
- **idle**: nobody was ever answered (a rule that never returns a contact).

>>> from sim.policies import check_policy
>>> report = check_policy("my_policies.PhoneFirst")     # doctest: +SKIP
>>> print(report)                                        # doctest: +SKIP

``python -m sim.policies.check my_policies.PhoneFirst`` does the same from a shell (exit 1
when a problem is found).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import traceback
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

from ..digests import table_digest
from ..errors import ConfigError, InvalidValue
from . import GROUPS, Spec
from .base import ContractError

__all__ = ["SHAPES", "PolicyReport", "Problem", "check_policy", "main"]

_SHORT = ("run.horizon=1d", "run.replications=1", "run.drain=6h", "run.progress=false",
          "seed=11")

#: Scenario shapes: name -> (what it exercises, overrides of ``python -m sim``).
SHAPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "silos": ("one pool per channel (the default study)", ()),
    "unified text pool": ("one pool serving five text channels, chat concurrency 3",
                          ("routing/organisation=unified_text",)),
    "blended pools": ("voice agents also skilled for text",
                      ("routing/organisation=blended",)),
    "overflow": ("a backup pool that may take social posts only after 30 min",
                 ("escalation=overflow",)),
    "tiered": ("an extra tier-2 queue and specialist pool added by escalation",
               ("escalation=tiered",)),
    "secure chat": ("follow-up contacts created mid-run (escalations, switches, retrials)",
                    ("escalation=to_secure_chat",)),
    "reactive staffing": ("agents moved between pools every 5 min",
                          ("staffing=reactive",)),
    "threads": ("threaded conversations: chats held while customers type, emails requeued",
                ("scenario.channels.chat.exchanges=3",
                 "scenario.channels.chat.think={dist:exponential,mean:1min}",
                 "scenario.channels.email.exchanges=2",
                 "scenario.channels.email.think={dist:exponential,mean:2h}",
                 "routing/organisation=unified_text")),
    "erlang": ("one voice channel, one pool (the teaching scenario)",
               ("scenario=erlang", "run.warmup=0")),
}

#: Where a policy of each kind goes in a setup.
_SLOT = {"routing": "routing", "organisation": "organisation",
         "agent_selection": "selection", "staffing": "staffing", "escalation": "escalation"}


@dataclass(frozen=True)
class Problem:
    """One thing that went wrong: in which shape, what kind, and what happened."""

    shape: str
    kind: str  # contract, crash, invariant, non-determinism, idle, refused
    message: str

    def __str__(self) -> str:
        return f"[{self.shape}] {self.kind}: {self.message}"


@dataclass
class PolicyReport:
    """What :func:`check_policy` found.

    Attributes
    ----------
    policy : str
        The policy checked, ``module.Class``.
    group : str
        Its kind (``routing``, ``staffing``...).
    shapes : list of str
        The shapes it ran in.
    problems : list of Problem
        Everything that went wrong; ``refused`` entries are the policy declining a
        scenario with an :class:`~sim.errors.InvalidValue` (a clear refusal, not a bug).
    """

    policy: str
    group: str
    shapes: list[str]
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem but clear refusals."""
        return all(p.kind == "refused" for p in self.problems)

    def __str__(self) -> str:
        head = f"{self.group} policy {self.policy}: {len(self.shapes)} scenario shapes, "
        if not self.problems:
            return head + "no problem found (contract, invariants, determinism)."
        lines = [head + f"{len(self.problems)} problem(s):"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


def _resolve(policy: type | Spec | str, params: Mapping[str, Any] | None,
             group: str | None) -> tuple[Spec, str, str]:
    """(spec, dotted name, group) of what the caller passed."""
    if isinstance(policy, Spec):
        cls, kwargs = policy.cls, dict(policy.params)
    elif isinstance(policy, str):
        module, _, name = policy.rpartition(".")
        cls, kwargs = getattr(importlib.import_module(module), name), {}
    else:
        cls, kwargs = policy, {}
    kwargs.update(params or {})
    kinds = [g for g, base in GROUPS.items() if isinstance(cls, type) and issubclass(cls, base)]
    if group is None:
        if len(kinds) != 1:
            raise ValueError(f"{cls!r} subclasses none of the policy base classes in "
                             "sim.policies.base (Routing, AgentSelection, Organisation, "
                             "Staffing, EscalationPolicy); say which with group=")
        group = kinds[0]
    elif group not in kinds:
        raise ValueError(f"{cls!r} is not a {group} policy (a subclass of "
                         f"{GROUPS[group].__name__})")
    return Spec(cls, kwargs), f"{cls.__module__}.{cls.__qualname__}", group


def _setup(spec: Spec, group: str, shape: str):
    from ..cli.config import build_setup, compose  # noqa: PLC0415 - the shapes are configs

    setup = build_setup(compose([*_SHORT, *SHAPES[shape][1]]))
    return replace(setup, **{_SLOT[group]: spec})


def _run(setup, shape: str) -> tuple[dict | None, list[Problem]]:
    """Digest of the contacts of one run of ``setup`` (of ``shape``) and what went wrong."""
    from ..engine import PolicyError  # noqa: PLC0415
    from ..invariants import broken  # noqa: PLC0415
    from ..replications import run_replications  # noqa: PLC0415

    try:
        res = run_replications(setup)
    except ContractError as err:
        return None, [Problem(shape, "contract", str(err))]
    except (InvalidValue, ConfigError, PolicyError) as err:
        return None, [Problem(shape, "refused", str(err))]
    except Exception as err:  # noqa: BLE001 - reported with where it happened
        where = traceback.extract_tb(err.__traceback__)[-1]
        return None, [Problem(shape, "crash", f"{type(err).__name__}: {err} (at "
                              f"{os.path.basename(where.filename)}:{where.lineno}, "
                              f"in {where.name})")]
    problems = [Problem(shape, "invariant", text) for text in broken(res)]
    c = res.contacts
    if len(c) and not c["answered"].any():
        problems.append(Problem(shape, "idle", f"none of {len(c):,} contacts was ever "
                                "answered"))
    return table_digest(c), problems


def _child(policy: str, params: Mapping[str, Any], group: str, shapes: Sequence[str],
           env: Mapping[str, str]) -> subprocess.Popen:
    payload = json.dumps({"policy": policy, "params": dict(params), "group": group,
                          "shapes": list(shapes)})
    # The caller's sys.path (a policy in a notebook's working directory) reaches the child.
    path = os.pathsep.join([p for p in sys.path if p] + [os.environ.get("PYTHONPATH", "")])
    return subprocess.Popen([sys.executable, "-m", "sim.policies.check", "--child", payload],
                            env={**os.environ, **env, "PYTHONPATH": path},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def check_policy(policy: type | Spec | str, group: str | None = None, *,
                 params: Mapping[str, Any] | None = None,
                 shapes: Sequence[str] | None = None, processes: bool = True) -> PolicyReport:
    """Run ``policy`` through every scenario shape and report what went wrong.

    Parameters
    ----------
    policy : class, Spec or str
        The policy class (or ``"module.Class"``, or a :class:`~sim.policies.Spec` with its
        parameters). It must subclass one of the base classes of
        :mod:`sim.policies.base`; for the second process, its module must be importable.
    group : str, optional
        Its kind, when the class could be several: ``routing``, ``organisation``,
        ``agent_selection``, ``staffing``, ``escalation``.
    params : mapping, optional
        Its parameters (merged over those of a Spec).
    shapes : sequence of str, optional
        Names from :data:`SHAPES` (default: all of them).
    processes : bool
        Also run every shape in a second process with another memory layout and string
        hash seed, and compare contacts bit for bit.

    Returns
    -------
    PolicyReport
        ``report.ok`` when nothing but clear refusals was found; ``print(report)`` says
        what went wrong and where.
    """
    spec, name, group = _resolve(policy, params, group)
    shapes = list(SHAPES) if shapes is None else list(shapes)
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        raise ValueError(f"unknown shape(s) {unknown}; shapes: {', '.join(SHAPES)}")
    report = PolicyReport(name, group, shapes)
    child = None
    if processes:
        child = _child(name, spec.params, group, shapes,
                       {"PYTHONHASHSEED": "271828", "CAREQUEUE_JUNK": "200000"})
    digests = {}
    for shape in shapes:
        setup = _setup(spec, group, shape)
        digest, problems = _run(setup, shape)
        report.problems += problems
        digests[shape] = digest
        if digest is not None:
            again, _ = _run(setup, shape)
            if again != digest:
                report.problems.append(Problem(shape, "non-determinism", _differ(
                    digest, again, "a second run in the same process (state kept between "
                    "runs?)")))
    if child is not None:
        out, err = child.communicate()
        if child.returncode != 0:
            last = (err.strip().splitlines() or ["(no output)"])[-1]
            report.problems.append(Problem("all", "crash", "the second process failed: "
                                           + last))
        else:
            theirs = json.loads(out.strip().splitlines()[-1])
            for shape in shapes:
                if digests[shape] is not None and theirs.get(shape) != digests[shape]:
                    report.problems.append(Problem(shape, "non-determinism", _differ(
                        digests[shape], theirs.get(shape), "another process (memory "
                        "addresses and string hashing differ: a set of objects, id(), "
                        "unseeded randomness?)")))
    return report


def _differ(a: Mapping[str, str], b: Mapping[str, str] | None, where: str) -> str:
    columns = sorted(k for k in a if b is None or a[k] != b.get(k))
    return (f"the same seed gave different contacts in {where}; columns that differ: "
            + ", ".join(columns[:8]) + (" ..." if len(columns) > 8 else ""))


def _child_main(payload: str) -> int:
    job = json.loads(payload)
    # A heap unlike the parent's: lists and dicts interleaved, half of them freed.
    junk = [([] if i % 3 else {}) for i in range(int(os.environ.get("CAREQUEUE_JUNK", "0")))]
    del junk[::2]
    spec, _, group = _resolve(job["policy"], job["params"], job["group"])
    digests = {shape: _run(_setup(spec, group, shape), shape)[0] for shape in job["shapes"]}
    sys.stdout.write(json.dumps(digests) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.policies.check module.Class [--group G] [--param key=json ...]``."""
    parser = argparse.ArgumentParser(prog="python -m sim.policies.check",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("policy", nargs="?", help="the policy class, module.Class")
    parser.add_argument("--group", choices=list(GROUPS))
    parser.add_argument("--param", action="append", default=[], metavar="KEY=JSON",
                        help="a parameter, its value as JSON (e.g. reserve=2)")
    parser.add_argument("--shape", action="append", choices=list(SHAPES))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child_main(args.child)
    if not args.policy:
        parser.error("name the policy class, e.g. my_policies.PhoneFirst")
    params = {}
    for item in args.param:
        key, _, value = item.partition("=")
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    sys.path.insert(0, os.getcwd())
    try:
        report = check_policy(args.policy, args.group, params=params, shapes=args.shape)
    except (ValueError, ImportError, AttributeError) as err:
        print(f"check_policy: {err}", file=sys.stderr)
        return 2
    print(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
