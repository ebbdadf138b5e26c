"""From a composed config to a :class:`sim.replications.Setup` of plain objects.

:func:`build_setup` is the only bridge from Hydra's config to the rest of CareQueue: the
scenario (:mod:`sim.cli.scenario`), a picklable factory of each policy (a
:class:`sim.policies.Spec` of a class that implements its group's contract; nothing else is
ever called), and the run specification. Values are checked by the domain objects and the
policies themselves; a value one refuses (:class:`sim.errors.InvalidValue`) becomes a
:class:`sim.errors.ConfigError` naming the config key, the value and what is valid, before
anything is simulated.
"""

from __future__ import annotations

import importlib
import math
import os
import sys
from typing import Any, Mapping

from omegaconf import DictConfig, ListConfig, OmegaConf

from .. import budget
from ..customers import no_customers
from ..durations import parse_duration
from ..engine import Model, PolicyError
from ..errors import ConfigError, InvalidValue
from ..outputs import kept
from ..policies import GROUPS, Spec
from ..precision import Precision, parse_targets
from ..replications import RunSpec, Setup
from ..rng import Streams
from .scenario import as_plain, build_erlang, build_operation
from .schema import CONF_DIR, Config, compose, register, to_yaml

__all__ = ["CONF_DIR", "Config", "build_erlang", "build_operation", "build_setup",
           "check_overlay", "compose", "register", "to_yaml"]


def _class(target: Any, key: str, base: type) -> type:
    """The class ``target`` names, if it implements ``base``'s contract (nothing else is
    ever called: a config cannot make the run call an arbitrary function)."""
    valid = (f"must name a class implementing {base.__module__}.{base.__name__}, "
             "e.g. a built-in from conf/ or a subclass of your own")
    if not isinstance(target, str) or "." not in target:
        raise ConfigError(f"{key}._target_", target, valid)
    module, _, name = target.rpartition(".")
    if module.split(".")[0] in sys.stdlib_module_names:
        # Never imported: importing runs a module's code (antigravity, this...), and the
        # standard library holds no policy.
        raise ConfigError(f"{key}._target_", target, f"{valid} (the standard library has none)")
    try:
        cls = getattr(importlib.import_module(module), name)
    except Exception as err:  # noqa: BLE001 - any import failure is the user's to see
        cause = f"{type(err).__name__}: {err}"
        raise ConfigError(f"{key}._target_", target, f"{valid} ({cause})") from None
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ConfigError(f"{key}._target_", target, valid)
    return cls


def _spec(node: Any, key: str, group: str) -> Spec:
    """A picklable factory of the policy ``node`` describes, checked by building it once.

    Parameters become plain Python values; a parameter that is itself a policy (a node
    with ``_target_``, such as a reactive policy's ``base``) becomes a nested Spec of the
    same kind of policy.
    """
    if not isinstance(node, DictConfig) or "_target_" not in node:
        raise ConfigError(key, as_plain(node), "must name a policy class with _target_")
    cls = _class(node._target_, key, GROUPS[group])
    params = {}
    for name, value in node.items():
        if name == "_target_":
            continue
        if isinstance(value, DictConfig) and "_target_" in value:
            params[name] = _spec(value, f"{key}.{name}", group)
        else:
            params[name] = (OmegaConf.to_container(value, resolve=True)
                            if isinstance(value, (DictConfig, ListConfig)) else value)
    spec = Spec(cls, params)
    try:
        spec()
    except InvalidValue as err:
        raise ConfigError(f"{key}.{err.field}", err.value, err.valid) from None
    except TypeError as err:
        raise ConfigError(f"{key}._target_", node._target_,
                          f"cannot build the policy with {sorted(params)}: {err}") from None
    return spec


def _routing(node: Any) -> tuple[Spec, Spec, Spec]:
    """Routing is three choices: the rule, the pools' organisation, agent selection."""
    if not isinstance(node, DictConfig):
        raise ConfigError("routing", node, "must name a routing rule with _target_")
    parts = {}
    for part, default in (("organisation", "sim.policies.routing.Silos"),
                          ("agent_selection", "sim.policies.routing.LongestIdle")):
        sub = node.get(part)
        parts[part] = _spec(sub if sub is not None else OmegaConf.create({"_target_": default}),
                            f"routing.{part}", part)
    rule = OmegaConf.masked_copy(node, [k for k in node if k not in parts])
    return _spec(rule, "routing", "routing"), parts["organisation"], parts["agent_selection"]


def build_setup(cfg: DictConfig) -> Setup:
    """Scenario, policies and run specification from a composed config.

    Raises
    ------
    ConfigError
        On the first value that cannot be simulated.
    """
    _check_finite(cfg)
    target = cfg.scenario.get("_target_")
    builders = {"sim.cli.scenario.build_operation", "sim.cli.scenario.build_erlang"}
    if target not in builders:
        raise ConfigError("scenario._target_", target,
                          "must name a scenario builder: " + ", ".join(sorted(builders)))
    builder = build_operation if target == "sim.cli.scenario.build_operation" else build_erlang
    try:
        scenario = builder(cfg.scenario, "scenario")
    except ConfigError:
        raise
    except InvalidValue as err:
        raise ConfigError(f"scenario.{err.field}", err.value, err.valid) from None
    run = cfg.run
    if run.replications < 1:
        raise ConfigError("run.replications", run.replications, "must be an integer >= 1")
    if run.workers < 0:
        raise ConfigError("run.workers", run.workers, "must be >= 0 (0: one per core)")
    if cfg.seed < 0:
        raise ConfigError("seed", cfg.seed, "must be an integer >= 0")
    horizon = parse_duration(run.horizon, "run.horizon")
    warmup = parse_duration(run.warmup, "run.warmup", allow_zero=True)
    if warmup >= horizon:
        raise ConfigError("run.warmup", run.warmup, f"must be shorter than run.horizon ({run.horizon})")
    spec = RunSpec(horizon, warmup, parse_duration(run.drain, "run.drain", allow_zero=True),
                   int(run.replications), int(cfg.seed), int(run.workers),
                   _precision(run, [c.name for c in scenario.channels],
                              any(p.cost_per_hour for p in scenario.pools)))
    _check_size(cfg, scenario, spec)
    routing, organisation, selection = _routing(cfg.routing)
    setup = Setup(scenario, routing, _spec(cfg.staffing, "staffing", "staffing"),
                  _spec(cfg.escalation, "escalation", "escalation"), spec, organisation,
                  selection)
    _check_binding(setup)
    return setup


def _check_finite(cfg: DictConfig) -> None:
    """Every number of the run's config is finite: ``inf`` or ``nan`` would pass checks
    written as ``x >= 0`` and fail later, far from the key."""
    def walk(value: Any, key: str) -> None:
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(key, value, "must be a finite number")
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{key}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{key}[{i}]")

    for group in ("scenario", "routing", "staffing", "escalation", "run"):
        node = cfg.get(group)
        if isinstance(node, (DictConfig, ListConfig)):
            walk(OmegaConf.to_container(node, resolve=True), group)


def _check_size(cfg: DictConfig, scenario: Any, spec: RunSpec) -> None:
    """Refuse, before anything is drawn, a run that cannot fit in this machine's memory
    (:mod:`sim.budget`), on the key that drives its size."""
    most = spec.precision.most if spec.precision is not None else spec.replications
    try:
        budget.check(scenario, spec.horizon_min, most, spec.workers or os.cpu_count() or 1)
    except InvalidValue as err:
        kind, _, what = err.field.partition(":")
        if kind == "horizon":
            raise ConfigError("run.horizon", cfg.run.horizon, err.valid) from None
        if kind == "incident":
            i = int(what)
            raise ConfigError(f"scenario.incidents[{i}].factor", cfg.scenario.incidents[i].factor,
                              err.valid) from None
        if cfg.scenario.get("trace") is not None:
            raise ConfigError("scenario.trace", cfg.scenario.trace, err.valid) from None
        if "channels" in cfg.scenario:
            key = f"scenario.channels.{what}.rate_per_hour"
            node = (cfg.scenario.channels.get(what)
                    or cfg.scenario.get("added_channels", {}).get(what) or {})
            value = node.get("rate_per_hour")
        else:
            key, value = "scenario.rate_per_hour", cfg.scenario.rate_per_hour
        raise ConfigError(key, value, err.valid) from None


def output_tables(cfg: DictConfig) -> frozenset[str]:
    """The tables ``run.tables`` asks the run to write (:mod:`sim.outputs`)."""
    value = cfg.run.tables
    if isinstance(value, ListConfig):
        value = OmegaConf.to_container(value)
    try:
        return kept(value)
    except InvalidValue as err:
        raise ConfigError("run.tables", err.value, err.valid) from None


def _precision(run: DictConfig, channels: list[str], priced: bool) -> Precision | None:
    """Precision mode's stopping rule from ``run.precision*`` (None when off)."""
    if run.precision is None:
        return None
    if not (isinstance(run.precision, (int, float)) and 0 < run.precision < 1):
        raise ConfigError("run.precision", run.precision, "must be a share of the mean in "
                          "(0, 1), e.g. 0.05 (or null: a fixed run.replications)")
    if run.replications < 2:
        raise ConfigError("run.replications", run.replications, "must be >= 2 with "
                          "run.precision: the pilot replications estimate the spread")
    if run.max_replications < run.replications:
        raise ConfigError("run.max_replications", run.max_replications,
                          f"must be >= run.replications ({run.replications})")
    if not run.precision_metrics:
        raise ConfigError("run.precision_metrics", [], "must name at least one metric")
    try:
        targets = parse_targets(list(run.precision_metrics), channels)
    except ValueError as err:
        raise ConfigError("run.precision_metrics", list(run.precision_metrics),
                          str(err)) from None
    if not priced and any(t.metric.startswith("cost") for t in targets):
        raise ConfigError("run.precision_metrics", list(run.precision_metrics),
                          "names a cost, but no pool has a cost_per_hour (scenario.pools."
                          "<pool>.cost_per_hour): there is no cost to estimate")
    return Precision(float(run.precision), targets, int(run.max_replications))


def _check_binding(setup: Setup) -> None:
    """Organise, then bind fresh policies to an empty model: a policy that rejects the
    scenario says so now, naming its key."""
    scenario = setup.scenario
    for key, factory in (("routing.organisation", setup.organisation),
                         ("escalation", setup.escalation)):
        try:
            scenario = factory().organise(scenario)
        except InvalidValue as err:
            raise ConfigError(f"{key}.{err.field}", err.value, err.valid) from None
    try:
        Model(scenario, no_customers(), setup.routing(), setup.selection(), setup.staffing(),
              setup.escalation(), Streams(0, 0), None, setup.run.horizon_min)
    except PolicyError as err:
        cause = err.__cause__
        key = {"agent_selection": "routing.agent_selection"}.get(err.group, err.group)
        if isinstance(cause, InvalidValue):
            raise ConfigError(f"{key}.{cause.field}", cause.value, cause.valid) from None
        factory = {"routing": setup.routing, "agent_selection": setup.selection,
                   "staffing": setup.staffing, "escalation": setup.escalation}[err.group]
        cls = getattr(factory, "cls", factory)
        raise ConfigError(f"{key}._target_", f"{cls.__module__}.{cls.__qualname__}",
                          f"refused the scenario: {err}") from None


def check_overlay(overlay: Mapping[str, Any], base: str) -> None:
    """Compose the base scenario as ``python -m sim`` would and build ``overlay`` (scenario
    keys, e.g. fitted profiles, from ``python -m sim.fit_profile``) on top of it.

    Raises
    ------
    ValueError
        If the base is not a scenario config with channels, or lacks a fitted channel.
    sim.errors.ConfigError
        If the fitted scenario would not simulate (a rejected value).
    """
    from hydra.errors import HydraException  # noqa: PLC0415
    from omegaconf.errors import OmegaConfBaseException  # noqa: PLC0415

    folder = CONF_DIR / "scenario"
    scenarios = sorted(p.stem for p in folder.glob("*.yaml"))
    if base not in scenarios:
        raise ValueError(f"--base {base}: no such scenario config (in {folder}: "
                         f"{', '.join(scenarios)})")
    try:
        cfg = compose([f"scenario={base}"])
    except HydraException as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"--base {base}: cannot compose scenario={base}: {first}") from None
    if cfg.scenario.get("_target_") != "sim.cli.scenario.build_operation":
        raise ValueError(f"--base {base}: not a multichannel scenario (profiles apply to "
                         "scenarios with channels, e.g. default)")
    known = list(cfg.scenario.channels)
    missing = [ch for ch in overlay["channels"] if ch not in known]
    if missing:
        raise ValueError(f"channel(s) {', '.join(missing)} of the trace are not in scenario "
                         f"{base} (channels: {', '.join(known)}); choose with --channels")
    OmegaConf.set_struct(cfg, False)  # new profile names are new keys, as in a file
    try:
        merged = OmegaConf.merge(cfg.scenario, overlay)
    except OmegaConfBaseException as err:
        raise ValueError(f"the fitted values do not fit scenario {base}'s schema: {err}") from None
    build_operation(merged)
