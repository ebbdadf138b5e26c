"""Every shipped policy and config runs and keeps the model's invariants.

The policy files are discovered from ``conf/``, so a new policy config is covered the day it
is added; ``experiments/`` configs (overrides-only studies) likewise once they exist.
"""

from __future__ import annotations

import itertools

import pytest
import yaml

from .conftest import CONF, ROOT, simulate
from .invariants import check_invariants

SHORT = ["run.horizon=1d", "run.warmup=0", "run.replications=2", "run.drain=6h"]


def _options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


COMBINATIONS = list(itertools.product(_options("routing"), _options("staffing"),
                                      _options("escalation")))


@pytest.mark.parametrize("routing,staffing,escalation", COMBINATIONS)
def test_policy_combination_on_default_study(routing, staffing, escalation):
    res = simulate(SHORT + [f"routing={routing}", f"staffing={staffing}",
                            f"escalation={escalation}"])
    check_invariants(res)
    assert res.summary.query("channel == 'all' and metric == 'answered'")["mean"].iloc[0] > 0


@pytest.mark.parametrize("scenario", _options("scenario"))
def test_every_scenario_runs(scenario):
    res = simulate([f"scenario={scenario}", *SHORT])
    check_invariants(res)


def _experiments() -> list[str]:
    folder = ROOT / "experiments"
    return sorted(str(p.relative_to(ROOT)) for p in folder.rglob("*.yaml")) if folder.exists() else []


@pytest.mark.parametrize("path", _experiments())
def test_every_experiment_config_runs(path):
    """Experiment configs are overrides-only: a list of ``key=value`` strings under ``overrides``."""
    overrides = yaml.safe_load((ROOT / path).read_text())["overrides"]
    check_invariants(simulate([*overrides, *SHORT]))
