"""Which settings a paired comparison compares (the treatment), and which group its jobs.

Two complete jobs on the same seed saw the same customers (common random numbers, see
:mod:`sim.rng`), whatever else differs. A paired comparison therefore needs two choices:

- the **treatment**: the settings compared against each other. The policy keys
  (``routing*``, ``escalation*``, ``staffing*``) when any of them varies across the complete
  jobs; otherwise every key that varies except ``seed`` and the run keys that do not change
  results (:data:`NEUTRAL_KEYS`); or the keys given explicitly (``--treat KEY[,KEY]``).
- the **group**: jobs with the same settings outside the treatment (their composed configs
  less the treatment, the seed and the neutral run keys; or their overrides when there is no
  config). Within a group each treatment value is paired with the baseline's on
  ``(seed, replication)``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .jobs import COMPLETE, Job, override_keys
from .settings import (config_path, drop, lookup, norm_key, norm_value, parse_setting, same_value,
                       varying)

#: Top-level config groups whose keys are policies: the default treatment when one varies.
POLICY_GROUPS = ("routing", "escalation", "staffing")
#: Run keys that do not change results (progress bar; workers: replications are seeded from
#: (seed, replication) alone; figures drawn or not): never a treatment, ignored when grouping.
NEUTRAL_KEYS = ("run.progress", "run.workers", "run.figures")


def is_policy_key(key: str) -> bool:
    """Whether an override key sets a policy: its first component is a policy group.

    ``routing``, ``routing.reserve``, ``routing/organisation``, ``staffing.agents.twitter``
    and ``escalation`` are; ``seed`` and ``scenario.pools.twitter.agents`` are not.
    """
    return re.split(r"[./@]", norm_key(key), maxsplit=1)[0] in POLICY_GROUPS


def _under(key: str, prefix: str) -> bool:
    """``key`` is ``prefix`` or a setting inside it (``routing.reserve``, ``routing/x``)."""
    return key == prefix or (key.startswith(prefix) and key[len(prefix)] in "./@")


@dataclass(frozen=True)
class Treatment:
    """The settings a paired comparison compares.

    Attributes
    ----------
    keys : tuple of str
        Override keys without Hydra prefix; a key covers the settings inside it too
        (``staffing`` covers ``staffing.agents.twitter``).
    reason : str
        ``"policy"`` (a policy key varies), ``"varying"`` (no policy key varies: every
        varying key but the seed) or ``"chosen"`` (given explicitly).
    """

    keys: tuple[str, ...]
    reason: str = "chosen"
    held: tuple[str, ...] = ()

    def covers(self, key: str) -> bool:
        """Whether an override key belongs to the treatment (inside a treatment key and not
        inside a held one)."""
        key = norm_key(key)
        return (any(_under(key, k) for k in self.keys)
                and not any(_under(key, h) for h in self.held))

    def describe(self) -> str:
        """One phrase for pages and messages."""
        held = f"; {', '.join(self.held)} held equal within a pair" if self.held else ""
        return self._describe() + held

    def _describe(self) -> str:
        names = ", ".join(self.keys)
        if self.reason == "policy":
            return f"the policy keys ({names})"
        if not self.keys:
            return "none (no setting varies across the complete jobs but the seed)"
        if self.reason == "varying":
            return f"{names} (no policy key varies: every varying key but the seed)"
        return f"{names} (chosen with --treat)"

    def context_key(self, job: Job) -> str:
        """Everything that must be equal for two jobs to be paired: all but the treatment,
        the seed and the neutral run keys."""
        if job.config is not None:
            cfg = copy.deepcopy(job.config)
            for path in [*map(config_path, self.keys), ("seed",), *map(config_path, NEUTRAL_KEYS)]:
                drop(cfg, path)
            held = {h: lookup(job.config, config_path(h)) for h in self.held}
            return "config:" + json.dumps([cfg, held], sort_keys=True, default=str)
        items = {k: v for k, v in job.overrides.items()
                 if not self.covers(k) and k != "seed" and k not in NEUTRAL_KEYS}
        return "overrides:" + json.dumps(items, sort_keys=True)

    def variant_key(self, job: Job) -> str:
        """What identifies a job's treatment: its config subtrees (else its overrides)."""
        if job.config is not None:
            tree = {k: copy.deepcopy(lookup(job.config, config_path(k))) for k in self.keys}
            for h in self.held:
                for k in self.keys:
                    if _under(h, k) and h != k and isinstance(tree[k], dict):
                        drop(tree[k], config_path(h)[len(config_path(k)):])
            return json.dumps(tree, sort_keys=True, default=str)
        return json.dumps({k: v for k, v in job.overrides.items() if self.covers(k)},
                          sort_keys=True)

    def settings(self, job: Job) -> dict[str, str | None]:
        """The job's treatment settings for labels: its overrides in the treatment, plus the
        chosen group option or scalar config value of each treatment key it does not set."""
        out = {k: v for k, v in job.overrides.items() if self.covers(k)}
        for key in self.keys:
            if key in out:
                continue
            if key in job.choices:
                out[key] = job.choices[key]
            else:
                value = lookup(job.config, config_path(key))
                if value is not None and not isinstance(value, (dict, list)):
                    out[key] = norm_value(value)
        return out


#: The default treatment whenever a policy varies.
POLICY = Treatment(POLICY_GROUPS, "policy")


def pairable(jobs: Sequence[Job]) -> list[Job]:
    """The jobs a paired comparison can use: complete, with ``per_replication.parquet``."""
    return [j for j in jobs
            if j.status == COMPLETE and (j.path / "per_replication.parquet").is_file()]


def parse_treat(treat: str | Sequence[str]) -> tuple[str, ...]:
    """``"a,b"`` or ``["a", "b"]`` -> ``("a", "b")``, Hydra prefixes stripped.

    Raises
    ------
    ValueError
        If no key is given, or ``seed`` is (units are paired on the seed).
    """
    parts = [p for t in ([treat] if isinstance(treat, str) else treat) for p in str(t).split(",")]
    keys = tuple(dict.fromkeys(norm_key(p) for p in parts if norm_key(p)))
    if not keys:
        raise ValueError(f"treat {treat!r}: give KEY[,KEY], e.g. routing or "
                         "scenario.channels.twitter.target")
    if "seed" in keys:
        raise ValueError("treat: seed cannot be a treatment (units are paired on the seed)")
    return keys


def choose_treatment(jobs: Sequence[Job],
                     treat: str | Sequence[str] | Treatment | None = None,
                     hold: str | Sequence[str] | None = None) -> Treatment:
    """The treatment of a comparison of ``jobs``.

    Parameters
    ----------
    jobs : sequence of Job
        From :func:`load_jobs`; only complete jobs with per-replication results count.
    treat : str, sequence of str or Treatment, optional
        Explicit treatment keys (``"routing"``, ``["routing", "scenario.x"]`` or
        ``"routing,scenario.x"``; ``seed`` is refused). Default: the policy keys if any
        varies across the jobs, else every varying override key but ``seed`` and
        :data:`NEUTRAL_KEYS`.
    hold : str or sequence of str, optional
        Keys inside the treatment to hold equal within a pair instead
        (``"escalation.follow"``: each escalation compared with the baseline's at the same
        ``follow``; the comparison then has one group per value, a sensitivity analysis).
    """
    if isinstance(treat, Treatment):
        return treat
    held = parse_treat(hold) if hold else ()
    if treat is not None:
        return _holding(Treatment(parse_treat(treat), "chosen", held))
    complete = pairable(jobs)
    if len({POLICY.variant_key(j) for j in complete}) > 1:
        return _holding(Treatment(POLICY_GROUPS, "policy", held))
    keys = [k for k in override_keys(complete) if k != "seed" and k not in NEUTRAL_KEYS
            and not any(_under(k, h) for h in held)]  # a held key is context here
    return Treatment(tuple(varying({k: j.setting(k) for k in keys} for j in complete)), "varying")


def _holding(treatment: Treatment) -> Treatment:
    """The treatment, once each held key is checked to lie inside one of its keys."""
    for h in treatment.held:
        if not any(_under(h, k) and h != k for k in treatment.keys):
            raise ValueError(f"hold {h}: not a setting inside the treatment "
                             f"({', '.join(treatment.keys)}); hold a key inside one, e.g. "
                             "escalation.follow inside escalation")
    return treatment


def check_baseline(jobs: Sequence[Job], baseline: str | tuple[str, str],
                   treat: str | Sequence[str] | Treatment | None = None) -> None:
    """Raise ValueError when no complete job has the ``KEY=VALUE`` of ``baseline``.

    The message lists the valid values: the treatment settings that vary across the complete
    jobs, and the values the complete jobs have for the baseline's key.
    """
    key, value = parse_setting(baseline)
    complete = [j for j in jobs if j.status == COMPLETE]
    if any(same_value(j.setting(key), value) for j in complete):
        return
    treatment = choose_treatment(jobs, treat)
    rows = [treatment.settings(j) for j in complete]
    valid = [f"{k}={r.get(k)}" for k in varying(rows) for r in rows if r.get(k) is not None]
    valid += [f"{key}={j.setting(key)}" for j in complete if j.setting(key) is not None]
    listed = ", ".join(dict.fromkeys(valid)) or "none (no treatment varies)"
    raise ValueError(f"no complete job has {key}={value}; valid values: {listed}")
