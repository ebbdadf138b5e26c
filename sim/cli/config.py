"""Structured config schemas and their translation into plain domain objects.

The dataclasses below are registered in Hydra's ConfigStore, so a misspelt key fails when
the config is composed; :func:`build_setup` then turns the composed config into a
:class:`sim.replications.Setup` of plain Python objects (a scenario, policy factories, a
run specification), which is all the rest of CareQueue ever sees. Values are checked by the
domain objects themselves; a value one refuses (:class:`sim.errors.InvalidValue`) becomes a
:class:`sim.errors.ConfigError` naming the config key, the value and what is valid, before
anything is simulated.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from hydra.core.config_store import ConfigStore
from hydra.utils import to_absolute_path
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf

from .. import distributions
from ..arrivals import Incident, ProfiledPoisson
from ..behaviour import Dissatisfaction, Retrial, Switch
from ..customers import no_customers
from ..durations import parse_duration
from ..engine import Model, PolicyError
from ..errors import ConfigError, InvalidValue
from ..pileons import PileOn
from ..policies import GROUPS, Spec
from ..replications import RunSpec, Setup
from ..rng import Streams
from ..scenario import Channel, Mode, Pool, Scenario
from ..trace import TraceError, read_trace


# ---- schemas ---------------------------------------------------------------------------
@dataclass
class DistConf:
    """A duration distribution: ``dist`` by name, ``mean`` (minutes or '6min'), ``cv``.

    A lognormal may instead be given by ``median`` (a duration) and ``sigma`` (of the log),
    the natural form for survey quantiles; ``empirical`` takes ``values``.
    """

    dist: str = "exponential"
    mean: Any = None
    cv: Optional[float] = None
    median: Any = None
    sigma: Optional[float] = None
    values: Optional[List[Any]] = None


@dataclass
class ProfileConf:
    """Relative arrival rates: ``intraday`` (equal pieces of a day), ``weekly`` (Mon..Sun)."""

    intraday: List[float] = field(default_factory=lambda: [1.0])
    weekly: List[float] = field(default_factory=lambda: [1.0])


@dataclass
class PileOnConf:
    """Hawkes pile-ons of a public channel's unanswered complaints (see sim/pileons.py)."""

    branching: float = 0.0  # mean direct pile-ons of a never-answered complaint, < 1 (0: off)
    decay: Any = "1h"           # mean delay of a pile-on after its parent
    reach_exponent: float = 0.5


@dataclass
class RetrialConf:
    """Abandoned customers who try the same channel again."""

    probability: float = 0.0  # 0: nobody retries
    delay: DistConf = field(default_factory=lambda: DistConf(dist="exponential", mean="10min"))


@dataclass
class SwitchConf:
    """Failed customers who come back in channel ``to`` (origin=switch, same journey)."""

    to: Optional[str] = None
    probability: float = 0.0  # 0: nobody switches
    delay: DistConf = field(default_factory=lambda: DistConf(dist="exponential", mean="30min"))
    after: Any = None  # async: unanswered this long is a failure; else abandonment is


@dataclass
class DissatisfactionConf:
    """Scoring of contacts (docs/dissatisfaction.md)."""

    forced_switch: float = 1.0
    weights: Dict[str, float] = field(
        default_factory=lambda: {"abandoned": 1.0, "forced_switch": 1.0, "late": 1.0})
    pileon_weight: float = 1.0
    exposure_weight: float = 0.01


@dataclass
class ChannelConf:
    mode: str = MISSING
    rate_per_hour: Optional[float] = None  # required unless scenario.trace replays arrivals
    profile: str = "flat"
    daily_variance: float = 0.0  # variance of the gamma busyness factor per day (0: Poisson)
    target: Any = MISSING
    handle: DistConf = MISSING
    expectation: DistConf = MISSING
    # Optional distributions are typed Any, checked against DistConf by _dist: OmegaConf
    # cannot merge a command-line value into a structured node that is None
    # (scenario.channels.chat.think={dist:exponential,mean:1min} ended in a traceback).
    patience: Any = None  # DistConf or None
    public: bool = False
    secure: bool = False
    reach: Any = None  # DistConf or None: followers of the author (mean in followers, not minutes)
    negative_share: float = 0.0
    secure_share: float = 0.0
    exchanges: int = 1                # agent replies per contact (threaded conversation)
    think: Any = None  # DistConf or None: customer think time between replies
    # Off by default (zero branching / probability); always present so that a single key
    # can be overridden or swept (scenario.channels.twitter.pileon.branching=0.1,0.3).
    pileon: PileOnConf = field(default_factory=PileOnConf)
    retrial: RetrialConf = field(default_factory=RetrialConf)
    switch: SwitchConf = field(default_factory=SwitchConf)
    silent_share: float = 0.0         # chat: share of abandoners who leave without telling
    silent_notice: Any = "1min"       # agent time spent on one before noticing


@dataclass
class PoolConf:
    skills: Dict[str, float] = MISSING
    concurrency: Dict[str, int] = field(default_factory=dict)
    agents: int = 0
    tool_quality: float = 1.0


@dataclass
class IncidentConf:
    """An outage or viral moment: ``channels``' rates times ``factor`` for ``duration``, at a
    fixed time ``at`` (e.g. '2d10h' from Monday 00:00) or with probability ``per_day``."""

    channels: List[str] = MISSING
    factor: float = 3.0
    duration: Any = "2h"
    at: Any = None
    per_day: float = 0.0


@dataclass
class OperationConf:
    """A multichannel operation: channels, pools and named arrival profiles."""

    _target_: str = "sim.cli.config.build_operation"
    name: str = MISSING
    interval: Any = "1h"
    efficiency: List[float] = field(default_factory=lambda: [1.0, 1.7, 2.5, 2.9, 3.5])
    profiles: Dict[str, ProfileConf] = field(default_factory=dict)
    incidents: List[IncidentConf] = field(default_factory=list)
    trace: Optional[str] = None  # CSV of arrivals to replay instead of the rate profiles
    dissatisfaction: DissatisfactionConf = field(default_factory=DissatisfactionConf)
    channels: Dict[str, ChannelConf] = MISSING
    pools: Dict[str, PoolConf] = MISSING


@dataclass
class ErlangConf:
    """The textbook M/M/c (+M) queue: one voice channel, one pool, fixed agents."""

    _target_: str = "sim.cli.config.build_erlang"
    name: str = "erlang"
    rate_per_hour: float = 100.0
    mean_handle_min: float = 6.0
    agents: int = 11
    mean_patience_min: Optional[float] = None
    target: Any = "20s"
    interval: Any = "1h"


@dataclass
class RunConf:
    horizon: Any = "7d"
    warmup: Any = 0
    drain: Any = "1d"
    replications: int = 5
    workers: int = 1
    progress: bool = True
    figures: bool = True


@dataclass
class Config:
    scenario: Any = MISSING
    routing: Any = MISSING
    staffing: Any = MISSING
    escalation: Any = MISSING
    run: RunConf = field(default_factory=RunConf)
    seed: int = 1


#: The project's config directory (absolute: the CLI, the API and the tests find the same).
CONF_DIR = Path(__file__).resolve().parents[2] / "conf"


def compose(overrides: Sequence[str] = (), config_name: str = "config",
            return_hydra_config: bool = False) -> DictConfig:
    """The config ``python -m sim <overrides>`` would run, composed without the CLI.

    A misspelt key fails here, as on the command line (Hydra's errors); values are checked
    later by :func:`build_setup`. ``return_hydra_config`` keeps the ``hydra`` node (launcher,
    run and sweep dirs, callbacks).
    """
    from hydra import compose as hydra_compose, initialize_config_dir  # noqa: PLC0415

    register()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return hydra_compose(config_name, overrides=list(overrides),
                             return_hydra_config=return_hydra_config)


def to_yaml(cfg: DictConfig) -> str:
    """The composed config as YAML (what a results directory keeps)."""
    return OmegaConf.to_yaml(cfg)


def register() -> None:
    """Put the schemas in Hydra's ConfigStore (idempotent)."""
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Config)
    cs.store(group="scenario", name="operation_schema", node=OperationConf)
    cs.store(group="scenario", name="erlang_schema", node=ErlangConf)


# ---- values ----------------------------------------------------------------------------
def _positive(value: Any, key: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and value > 0):
        raise ConfigError(key, value, f"must be a positive {what}")
    return float(value)


#: Domain fields whose config key is named otherwise (times are minutes in the domain,
#: durations with a unit in config).
_CONFIG_NAMES = {"target_min": "target", "silent_notice_min": "silent_notice",
                 "decay_min": "decay", "after_min": "after", "duration_min": "duration",
                 "start_min": "at", "interval_min": "interval"}


def _config_key(key: str, field: str) -> str:
    """The config key of a domain object's ``field`` (dotted), under ``key``."""
    parts = [_CONFIG_NAMES.get(part, part) for part in field.split(".")]
    return ".".join([key, *parts]) if key else ".".join(parts)


def _refused(err: InvalidValue, key: str, node: Any = None) -> ConfigError:
    """A domain object's refusal as a config error on the key it names: the value as the
    user wrote it when the key exists in ``node``, else the value the object saw."""
    full = _config_key(key, err.field)
    value = err.value
    if isinstance(node, DictConfig):
        relative = full[len(key) + 1:] if key else full
        found = OmegaConf.select(node, relative, default=_MISSING)
        if found is not _MISSING:
            value = _plain(found)
    return ConfigError(full, value, err.valid)


_MISSING = object()


def _plain(value: Any) -> Any:
    """A config node's plain Python value (as the user wrote it)."""
    if isinstance(value, (DictConfig, ListConfig)):
        return OmegaConf.to_container(value)
    return value


def _made(cls: Callable[..., Any], key: str, node: Any = None, **kwargs: Any) -> Any:
    """``cls(**kwargs)``; a value it refuses becomes a ConfigError on the key it names."""
    try:
        return cls(**kwargs)
    except InvalidValue as err:
        raise _refused(err, key, node) from None


def _dist(node: DictConfig | None, key: str) -> distributions.Distribution:
    if node is None:
        raise ConfigError(key, None, "a distribution is required here")
    node = _as_dist_conf(node, key)
    mean = None if node.mean is None else parse_duration(node.mean, f"{key}.mean")
    cv = node.cv
    if node.median is not None or node.sigma is not None:
        if node.dist != "lognormal" or mean is not None or cv is not None:
            raise ConfigError(f"{key}.median", node.median, "median and sigma describe a "
                              "lognormal only, instead of mean and cv")
        median = parse_duration(node.median, f"{key}.median")
        sigma = _positive(node.sigma, f"{key}.sigma", "number (sd of the log duration)")
        mean, cv = median * math.exp(sigma**2 / 2), math.sqrt(math.expm1(sigma**2))
    values = (None if node["values"] is None else
              [parse_duration(v, f"{key}.values", allow_zero=True) for v in node["values"]])
    return _made(distributions.make, key, node, kind=node.dist, mean=mean, cv=cv, values=values)


def _as_dist_conf(node: Any, key: str) -> DictConfig:
    """``node`` checked against :class:`DistConf` (for the fields typed Any)."""
    if not isinstance(node, DictConfig):
        raise ConfigError(key, node, "must be a distribution: {dist: ..., mean: ...} or null")
    fields_ = list(DistConf.__dataclass_fields__)
    unknown = [k for k in node if k not in fields_]
    if unknown:
        raise ConfigError(f"{key}.{unknown[0]}", node[unknown[0]],
                          "not a key of a distribution; valid: " + ", ".join(fields_))
    return OmegaConf.merge(OmegaConf.structured(DistConf), node)


def _optional_dist(node: Any, key: str) -> distributions.Distribution | None:
    return None if node is None else _dist(node, key)


def build_operation(node: DictConfig, key: str = "scenario") -> Scenario:
    """Scenario from an :class:`OperationConf` node.

    Durations are parsed and names resolved here; every other check is the domain
    objects' own (:class:`sim.errors.InvalidValue`), reported on the key it names.
    """
    profiles = {"flat": ProfileConf()}
    profiles.update(node.profiles)
    replays = None
    if node.trace is not None:
        try:
            replays = read_trace(to_absolute_path(str(node.trace)), list(node.channels))
        except TraceError as err:
            raise ConfigError(f"{key}.trace", node.trace, f"cannot replay it: {err}") from None
        if node.incidents:
            raise ConfigError(f"{key}.incidents", OmegaConf.to_container(node.incidents),
                              "must be empty when scenario.trace replays the arrivals "
                              "(the trace already holds whatever surges happened)")
    channels = [_channel(name, ch, f"{key}.channels.{name}", profiles, replays, key)
                for name, ch in node.channels.items()]
    pools = [_made(Pool, f"{key}.pools.{name}", p, name=name, skills=dict(p.skills),
                   concurrency=dict(p.concurrency), agents=p.agents,
                   tool_quality=p.tool_quality)
             for name, p in node.pools.items()]
    incidents = tuple(_incident(i, f"{key}.incidents[{n}]") for n, i in enumerate(node.incidents))
    d = node.dissatisfaction
    scoring = _made(Dissatisfaction, f"{key}.dissatisfaction", d,
                    forced_switch=d.forced_switch, weights=dict(d.weights),
                    pileon_weight=d.pileon_weight, exposure_weight=d.exposure_weight)
    return _made(Scenario, key, node, channels=tuple(channels), pools=tuple(pools),
                 interval_min=parse_duration(node.interval, f"{key}.interval"),
                 efficiency=tuple(node.efficiency), incidents=incidents,
                 dissatisfaction=scoring)


def _channel(name: str, ch: DictConfig, k: str, profiles: dict, replays: dict | None,
             key: str) -> Channel:
    """One channel of an operation (``k``: its key)."""
    try:
        mode = Mode(ch.mode)
    except ValueError:
        raise ConfigError(f"{k}.mode", ch.mode, "valid: voice, chat, async") from None
    if ch.profile not in profiles:
        raise ConfigError(f"{k}.profile", ch.profile,
                          "valid: " + ", ".join(profiles) + f" (defined in {key}.profiles)")
    if replays is not None:
        arrivals = replays[name]
    else:
        if ch.rate_per_hour is None:
            raise ConfigError(f"{k}.rate_per_hour", None, "required (contacts per hour), "
                              "unless scenario.trace replays the arrivals")
        prof = profiles[ch.profile]
        try:
            arrivals = ProfiledPoisson(ch.rate_per_hour, tuple(prof.intraday),
                                       tuple(prof.weekly), ch.daily_variance)
        except InvalidValue as err:
            # The rate and variance are the channel's keys, the shapes its profile's.
            owner = k if err.field in ("rate_per_hour", "daily_variance") else (
                f"{key}.profiles.{ch.profile}")
            raise _refused(err, owner, ch if owner == k else None) from None
    pileon = ch.pileon
    behaviour = dict(
        pileon=None if pileon.branching == 0 else _made(
            PileOn, f"{k}.pileon", pileon, branching=pileon.branching,
            decay_min=parse_duration(pileon.decay, f"{k}.pileon.decay"),
            reach_exponent=pileon.reach_exponent),
        retrial=None if ch.retrial.probability == 0 else _made(
            Retrial, f"{k}.retrial", ch.retrial, probability=ch.retrial.probability,
            delay=_dist(ch.retrial.delay, f"{k}.retrial.delay")),
        switch=_switch(ch.switch, k) if ch.switch.probability != 0 else None)
    return _made(Channel, k, ch, name=name, mode=mode,
                 target_min=parse_duration(ch.target, f"{k}.target"), arrivals=arrivals,
                 handle=_dist(ch.handle, f"{k}.handle"),
                 expectation=_dist(ch.expectation, f"{k}.expectation"),
                 patience=_optional_dist(ch.patience, f"{k}.patience"), public=bool(ch.public),
                 secure=bool(ch.secure), reach=_optional_dist(ch.reach, f"{k}.reach"),
                 negative_share=ch.negative_share, secure_share=ch.secure_share,
                 exchanges=ch.exchanges, think=_optional_dist(ch.think, f"{k}.think"),
                 silent_share=ch.silent_share,
                 silent_notice_min=parse_duration(ch.silent_notice, f"{k}.silent_notice"),
                 **behaviour)


def _switch(node: DictConfig, key: str) -> Switch:
    if node.to is None:
        raise ConfigError(f"{key}.switch.to", None, "name the channel failed customers switch "
                          f"to (switch.probability={node.probability} is not 0)")
    after = None if node.after is None else parse_duration(node.after, f"{key}.switch.after")
    return _made(Switch, f"{key}.switch", node, to=str(node.to), probability=node.probability,
                 delay=_dist(node.delay, f"{key}.switch.delay"), after_min=after)


def _incident(node: DictConfig, key: str) -> Incident:
    start = None if node.at is None else parse_duration(node.at, f"{key}.at", allow_zero=True)
    return _made(Incident, key, node, channels=tuple(node.channels), factor=node.factor,
                 duration_min=parse_duration(node.duration, f"{key}.duration"),
                 start_min=start, per_day=node.per_day)


def build_erlang(node: DictConfig, key: str = "scenario") -> Scenario:
    """The M/M/c (+M) teaching scenario from an :class:`ErlangConf` node."""
    rate = _positive(node.rate_per_hour, f"{key}.rate_per_hour", "rate (contacts per hour)")
    handle = _positive(node.mean_handle_min, f"{key}.mean_handle_min", "duration in minutes")
    if node.agents < 1:
        raise ConfigError(f"{key}.agents", node.agents, "must be an integer >= 1")
    patience = None
    if node.mean_patience_min is not None:
        patience = distributions.Exponential(
            _positive(node.mean_patience_min, f"{key}.mean_patience_min",
                      "duration in minutes (or null: nobody abandons)"))
    phone = _made(Channel, key, node, name="phone", mode=Mode.VOICE,
                  target_min=parse_duration(node.target, f"{key}.target"),
                  arrivals=ProfiledPoisson(rate), handle=distributions.Exponential(handle),
                  # Textbook callers expect no wait: any delay counts as dissatisfying.
                  expectation=distributions.Deterministic(1e-9), patience=patience)
    return _made(Scenario, key, node, channels=(phone,),
                 pools=(Pool("agents", {"phone": 1.0}, {}, int(node.agents)),),
                 interval_min=parse_duration(node.interval, f"{key}.interval"))


def _class(target: Any, key: str, base: type) -> type:
    """The class ``target`` names, if it implements ``base``'s contract (nothing else is
    ever called: a config cannot make the run call an arbitrary function)."""
    valid = (f"must name a class implementing {base.__module__}.{base.__name__}, "
             "e.g. a built-in from conf/ or a subclass of your own")
    if not isinstance(target, str) or "." not in target:
        raise ConfigError(f"{key}._target_", target, valid)
    module, _, name = target.rpartition(".")
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
        raise ConfigError(key, _plain(node), "must name a policy class with _target_")
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
    target = cfg.scenario.get("_target_")
    builders = {"sim.cli.config.build_operation", "sim.cli.config.build_erlang"}
    if target not in builders:
        raise ConfigError("scenario._target_", target,
                          "must name a scenario builder: " + ", ".join(sorted(builders)))
    builder = build_operation if target == "sim.cli.config.build_operation" else build_erlang
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
                   int(run.replications), int(cfg.seed), int(run.workers))
    routing, organisation, selection = _routing(cfg.routing)
    setup = Setup(scenario, routing, _spec(cfg.staffing, "staffing", "staffing"),
                  _spec(cfg.escalation, "escalation", "escalation"), spec, organisation,
                  selection)
    _check_binding(setup)
    return setup


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
    if cfg.scenario.get("_target_") != "sim.cli.config.build_operation":
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
