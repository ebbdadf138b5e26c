"""Every shipped policy and config runs and keeps the model's invariants.

The policy files are discovered from ``conf/``, so a new policy config is covered the day it
is added; ``experiments/`` configs (overrides-only studies) likewise once they exist.
"""

from __future__ import annotations

import itertools

import pytest
from sim.errors import ConfigError
from sim.study import load_study

from .conftest import CONF, ROOT, compose_config, simulate
from .invariants import check_invariants

SHORT = ["run.horizon=1d", "run.warmup=0", "run.replications=2", "run.drain=6h"]


def _options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


# Routing and escalation interact (pools reorganised, contacts moved between queues): every
# pair, on the default shift table. Staffing interacts with how pools are organised: every
# staffing policy with silos and with a merged text pool.
COMBINATIONS = sorted(
    {(r, "schedule", e) for r, e in itertools.product(_options("routing"), _options("escalation"))}
    | {(r, s, "none") for r, s in itertools.product(["siloed", "unified_text", "blended"],
                                                    _options("staffing"))})


def _merges_text_pools(routing: str) -> bool:
    text = (CONF / "routing" / f"{routing}.yaml").read_text()
    return "organisation: unified_text" in text


@pytest.mark.parametrize("routing,staffing,escalation", COMBINATIONS)
def test_policy_combination_on_default_study(routing, staffing, escalation):
    overrides = SHORT + [f"routing={routing}", f"staffing={staffing}", f"escalation={escalation}"]
    if escalation == "overflow" and _merges_text_pools(routing):
        # Overflow names backup pools that a unified text pool has merged away: refused
        # up front, naming the key, rather than run with a silently different meaning.
        with pytest.raises(ConfigError, match=r"^escalation\.channels\.[a-z]+='email': is not a pool"):
            simulate(overrides)
        return
    res = simulate(overrides)
    check_invariants(res)
    assert res.summary.query("channel == 'all' and metric == 'answered'")["mean"].iloc[0] > 0


@pytest.mark.parametrize("scenario", _options("scenario"))
def test_every_scenario_runs(scenario):
    res = simulate([f"scenario={scenario}", *SHORT])
    check_invariants(res)


def _experiments() -> list[str]:
    folder = ROOT / "experiments"
    return sorted(str(p.parent.relative_to(ROOT)) for p in folder.glob("*/study.yaml"))


@pytest.mark.parametrize("path", _experiments())
def test_every_experiment_runs(path):
    """Each study (overrides only) runs at every value it sweeps, shortened; its README
    exists and names the command that reproduces it."""
    study = load_study(ROOT / path)
    first = {key: values[0] for key, values in study.sweep.items()}
    for key, values in study.sweep.items():
        for value in values:
            # A job of the sweep: this value, every other swept key at its first value.
            job = {**first, key: value}
            check_invariants(simulate([*study.overrides, *(f"{k}={v}" for k, v in job.items()),
                                       *SHORT]))
    readme = (ROOT / path / "README.md").read_text()
    assert f"python -m sim.study {path}" in readme


def _policy_configs() -> list[str]:
    return sorted(str(p.relative_to(CONF).with_suffix("")) for group in
                  ("routing", "staffing", "escalation") for p in (CONF / group).rglob("*.yaml"))


@pytest.mark.parametrize("path", _policy_configs())
def test_every_policy_parameter_is_in_its_config(path):
    """A shipped policy config, as composed, names each parameter of its class, so that a
    plain override (``escalation.follow=0.8``, swept with ``-m``) sets any of them: no
    ``+key``, no parameter only a reader of the code knows."""
    import inspect  # noqa: PLC0415

    from hydra.utils import get_class  # noqa: PLC0415

    group, name = path.rsplit("/", 1)
    node = compose_config([f"{group}={name}"])
    for part in group.split("/"):
        node = node[part]
    cls = get_class(node["_target_"])
    params = [p for p, v in inspect.signature(cls.__init__).parameters.items()
              if p != "self" and v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)]
    missing = [p for p in params if p not in node]
    assert not missing, f"conf/{path}.yaml ({cls.__name__}) lacks {missing}"
