"""Replications from plain objects: no config framework needed, Hydra in one place."""

from __future__ import annotations

import ast
import subprocess
import sys

from sim.replications import run_replications

from .conftest import ROOT

WITHOUT_HYDRA = """
import sys
sys.modules["hydra"] = None      # any import of Hydra or OmegaConf now fails
sys.modules["omegaconf"] = None
from sim import distributions as D
from sim.arrivals import ProfiledPoisson
from sim.policies import Spec
from sim.policies.escalation import NoEscalation
from sim.policies.routing import FCFS
from sim.policies.staffing import Fixed
from sim.replications import RunSpec, Setup, run_replications
from sim.scenario import Channel, Mode, Pool, Scenario

phone = Channel("phone", Mode.VOICE, 1 / 3, ProfiledPoisson(100.0), D.Exponential(6.0),
                D.Deterministic(1.0), D.Exponential(5.0))
setup = Setup(Scenario((phone,), (Pool("agents", {"phone": 1.0}, {}, 11),)), FCFS,
              Spec(Fixed, {"agents": {"agents": 12}}), NoEscalation,
              RunSpec(horizon_min=2 * 1440.0, replications=2, seed=1))
res = run_replications(setup)
print(len(res.contacts), res.summary.query("channel == 'all' and metric == 'answered'")["mean"].iloc[0])
"""


def test_a_setup_of_plain_objects_runs_without_hydra_installed():
    proc = subprocess.run([sys.executable, "-c", WITHOUT_HYDRA], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    contacts, answered = proc.stdout.split()
    assert int(contacts) > 4000 and float(answered) > 2000


def test_only_sim_cli_imports_hydra_or_omegaconf():
    offenders = []
    cli = ROOT / "sim" / "cli"
    for path in sorted((ROOT / "sim").rglob("*.py")):
        if path.is_relative_to(cli):  # the package, and its Hydra plugin directory
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] in ("hydra", "omegaconf") for n in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, f"Hydra imported outside sim/cli: {offenders}"


ONE_EDIT = """
import sys
import numpy as np
import sim.customers as customers
# The one edit: declare the attribute (how it is drawn, that it is recorded).
customers.ATTRIBUTES += (customers.Attribute(
    "mood", "f8", lambda ch, s, n: s("mood").random(n), recorded=True,
    inherit=customers.FOLLOW_UPS, doc="uniform(0, 1): how the customer feels"),)
from sim.policies.base import Routing

class CalmestFirst(Routing):
    def candidates(self, agent, channel):
        return self.model.queue(channel, agent)
    def key(self, contact, agent):
        return (contact.mood, contact.arrival_min)

sys.modules["one_edit"] = sys.modules[__name__]
from sim import api
res = api.run("run.horizon=1d", "run.replications=1", "routing._target_=one_edit.CalmestFirst")
mood = res.contacts["mood"]
print(len(mood), float(mood.min()), float(mood.max()), mood.notna().all())
"""


def test_a_new_customer_attribute_is_one_edit():
    """Declared in sim.customers.ATTRIBUTES, an attribute is drawn, read by policies as
    ``contact.<name>`` and recorded as a column of the contacts table, with nothing else
    changed."""
    proc = subprocess.run([sys.executable, "-c", ONE_EDIT], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    n, lo, hi, complete = proc.stdout.split()
    assert int(n) > 1000 and 0 <= float(lo) < 0.01 and 0.99 < float(hi) < 1
    assert complete == "True"


def test_expected_arrivals_is_the_arrival_processes_mean():
    """Poisson arrivals: lambda * T exactly for the Erlang model; the default operation's
    simulated first contacts (its day-level over-dispersion off, so that they are Poisson)
    fall within four standard deviations of its estimate."""
    import numpy as np

    from sim.cli.config import build_setup, compose
    from sim.replications import expected_arrivals

    erlang = build_setup(compose(["scenario=erlang", "scenario.rate_per_hour=600",
                                  "run.horizon=10h", "run.warmup=0", "run.replications=3"]))
    assert expected_arrivals(erlang) == 600 * 10 * 3
    plain = [f"scenario.channels.{ch}.daily_variance=0" for ch in
             ("phone", "chat", "email", "twitter", "facebook", "messages")]
    default = build_setup(compose(["run.horizon=2d", "run.replications=2",
                                   "run.progress=false", *plain]))
    res = run_replications(default)
    first = int((res.contacts["origin"] == "arrival").sum())
    expected = expected_arrivals(default)
    assert abs(first - expected) < 4 * np.sqrt(expected), (first, expected)


def _small_setup(replications: int):
    from sim import distributions as D
    from sim.arrivals import ProfiledPoisson
    from sim.policies import Spec
    from sim.policies.escalation import NoEscalation
    from sim.policies.routing import FCFS
    from sim.policies.staffing import Fixed
    from sim.replications import RunSpec, Setup
    from sim.scenario import Channel, Mode, Pool, Scenario

    phone = Channel("phone", Mode.VOICE, 1 / 3, ProfiledPoisson(100.0), D.Exponential(6.0),
                    D.Deterministic(1.0), D.Exponential(5.0))
    return Setup(Scenario((phone,), (Pool("agents", {"phone": 1.0}, {}, 11),)), FCFS,
                 Spec(Fixed, {"agents": {"agents": 12}}), NoEscalation,
                 RunSpec(horizon_min=600.0, replications=replications, seed=1, workers=1))


def test_tables_are_announced_as_soon_as_they_are_final(tmp_path):
    """One replication: the contacts once simulated, then its intervals, written at once
    (the figures of each can be drawn while the run goes on) and equal to the run's table;
    with more, only the contacts, and the intervals are written at the end."""
    import pandas as pd

    seen: list[tuple[str, bool]] = []
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()

    def written(name: str) -> None:
        seen.append((name, (one / f"{name}.parquet").exists()))

    res = run_replications(_small_setup(1), directory=one, written=written)
    assert seen == [("contacts", True), ("intervals", True)]
    pd.testing.assert_frame_equal(pd.read_parquet(one / "intervals.parquet"), res.intervals)
    seen.clear()
    run_replications(_small_setup(2), directory=two, written=written)
    assert [name for name, _ in seen] == ["contacts"]
    assert not (two / "intervals.parquet").exists()
