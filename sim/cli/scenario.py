"""A scenario from its config node: durations parsed, names resolved, the rest checked by
the domain objects themselves, each refusal reported on the key it names.

:func:`build_operation` builds a multichannel operation (``conf/scenario/default.yaml``),
:func:`build_erlang` the M/M/c (+M) teaching scenario; a scenario config's ``_target_``
names one of them.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from hydra.utils import to_absolute_path
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .. import distributions
from ..arrivals import Incident, ProfiledPoisson
from ..behaviour import Dissatisfaction, Retrial, Switch
from ..durations import parse_duration
from ..errors import ConfigError, InvalidValue
from ..pileons import PileOn
from ..scenario import Channel, Mode, Pool, Scenario
from ..advocacy import Advocacy
from ..listening import Listening
from ..selfservice import SelfService
from ..trace import TraceError, read_trace
from .schema import ChannelConf, DistConf, PoolConf, ProfileConf

def _positive(value: Any, key: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and value > 0):
        raise ConfigError(key, value, f"must be a positive {what}")
    return float(value)


#: Domain fields whose config key is named otherwise (times are minutes in the domain,
#: durations with a unit in config).
_CONFIG_NAMES = {"target_min": "target", "silent_notice_min": "silent_notice",
                 "decay_min": "decay", "after_min": "after", "duration_min": "duration",
                 "start_min": "at", "interval_min": "interval",
                 "reply_exposure_min": "reply_exposure", "within_min": "within",
                 "reach_min": "reach_time"}


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
            value = as_plain(found)
    return ConfigError(full, value, err.valid)


_MISSING = object()


def as_plain(value: Any) -> Any:
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


#: The largest sigma of a lognormal given by median and sigma (see :func:`_dist`), and the
#: coefficient of variation it has (for one given by mean and cv).
MAX_SIGMA = 10.0
MAX_LOGNORMAL_CV = math.sqrt(math.expm1(MAX_SIGMA**2))


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
        if sigma > MAX_SIGMA:
            raise ConfigError(f"{key}.sigma", node.sigma, f"must be <= {MAX_SIGMA:g}: the mean "
                              "of a lognormal is e^(sigma^2/2) times its median, beyond 1e21 "
                              "times from there on (no duration or audience has such a tail)")
        mean, cv = median * math.exp(sigma**2 / 2), math.sqrt(math.expm1(sigma**2))
    elif node.dist == "lognormal" and isinstance(cv, (int, float)) and not cv <= MAX_LOGNORMAL_CV:
        raise ConfigError(f"{key}.cv", cv, f"must be <= {MAX_LOGNORMAL_CV:.2g} for a lognormal "
                          f"(sigma <= {MAX_SIGMA:g}: see {key}.sigma)")
    values = (None if node["values"] is None else
              [parse_duration(v, f"{key}.values", allow_zero=True) for v in node["values"]])
    return _made(distributions.make, key, node, kind=node.dist, mean=mean, cv=cv, values=values)


def _as_dist_conf(node: Any, key: str) -> DictConfig:
    """``node`` checked against :class:`DistConf` (for the fields typed Any)."""
    if not isinstance(node, DictConfig):
        raise ConfigError(key, node, "must be a distribution: {dist: ..., mean: ...} or null")
    return _as_conf(node, DistConf, key, "a distribution")


def _as_conf(node: Any, schema: type, key: str, what: str) -> DictConfig:
    """``node`` (a mapping typed Any in the schema) checked against the dataclass
    ``schema``, its defaults filled in: unknown keys, wrong types and missing required keys
    are config errors naming the key."""
    if not isinstance(node, DictConfig):
        raise ConfigError(key, as_plain(node), f"must be {what}: a mapping of its keys")
    fields_ = list(schema.__dataclass_fields__)
    unknown = [k for k in node if k not in fields_]
    if unknown:
        raise ConfigError(f"{key}.{unknown[0]}", as_plain(node[unknown[0]]),
                          f"not a key of {what}; valid: " + ", ".join(fields_))
    try:
        typed = OmegaConf.merge(OmegaConf.structured(schema), node)
    except OmegaConfBaseException as err:
        where = f"{key}.{err.full_key}" if getattr(err, "full_key", "") else key
        raise ConfigError(where, as_plain(getattr(err, "value", None)),
                          str(err).splitlines()[0]) from None
    missing = sorted(OmegaConf.missing_keys(typed))
    if missing:
        raise ConfigError(f"{key}.{missing[0]}", "???", f"required for {what}")
    return typed


def _added(node: DictConfig, what: str, schema: type, key: str, one: str) -> dict:
    """The channels or pools added on the command line (``+scenario.channels.NAME=...``,
    kept in ``added_channels``), typed; a name already in the config is refused."""
    added = {}
    for name, value in node.get(f"added_{what}", {}).items():
        where = f"{key}.{what}.{name}"
        if name in node[what]:
            raise ConfigError(where, as_plain(value), f"{one} of that name exists already: "
                              f"set its keys instead ({where}.KEY=VALUE)")
        added[name] = _as_conf(value, schema, where, one)
    return added


def _optional_dist(node: Any, key: str) -> distributions.Distribution | None:
    return None if node is None else _dist(node, key)


def build_operation(node: DictConfig, key: str = "scenario") -> Scenario:
    """Scenario from an :class:`OperationConf` node.

    Durations are parsed and names resolved here; every other check is the domain
    objects' own (:class:`sim.errors.InvalidValue`), reported on the key it names.
    """
    profiles = {"flat": ProfileConf()}
    profiles.update(node.profiles)
    channel_nodes = {**node.channels, **_added(node, "channels", ChannelConf, key, "a channel")}
    replays = None
    if node.trace is not None:
        if not str(node.trace).strip():
            raise ConfigError(f"{key}.trace", node.trace, "must be the path of a CSV file of "
                              "arrivals (docs/traces.md), or null to draw arrivals from the "
                              "rate profiles")
        try:
            replays = read_trace(to_absolute_path(str(node.trace)), list(channel_nodes))
        except TraceError as err:
            raise ConfigError(f"{key}.trace", node.trace, f"cannot replay it: {err}") from None
        if node.incidents:
            raise ConfigError(f"{key}.incidents", OmegaConf.to_container(node.incidents),
                              "must be empty when scenario.trace replays the arrivals "
                              "(the trace already holds whatever surges happened)")
    channels = [_channel(name, ch, f"{key}.channels.{name}", profiles, replays, key)
                for name, ch in channel_nodes.items()]
    pool_nodes = {**node.pools, **_added(node, "pools", PoolConf, key, "a pool")}
    pools = [_made(Pool, f"{key}.pools.{name}", p, name=name, skills=dict(p.skills),
                   concurrency=dict(p.concurrency), agents=p.agents,
                   tool_quality=p.tool_quality, cost_per_hour=p.cost_per_hour,
                   shrinkage=p.shrinkage)
             for name, p in pool_nodes.items()]
    incidents = tuple(_incident(i, f"{key}.incidents[{n}]") for n, i in enumerate(node.incidents))
    d = node.dissatisfaction
    scoring = _made(Dissatisfaction, f"{key}.dissatisfaction", d,
                    forced_switch=d.forced_switch, weights=dict(d.weights),
                    pileon_weight=d.pileon_weight, exposure_weight=d.exposure_weight)
    return _made(Scenario, key, node, channels=tuple(channels), pools=tuple(pools),
                 interval_min=parse_duration(node.interval, f"{key}.interval"),
                 efficiency=tuple(node.efficiency), incidents=incidents,
                 dissatisfaction=scoring, fte_hours_per_week=node.fte_hours_per_week)


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
        switch=_switch(ch.switch, k) if ch.switch.probability != 0 else None,
        self_service=_self_service(ch.self_service, f"{k}.self_service"),
        listening=None if not ch.listening.enabled else _made(
            Listening, f"{k}.listening", ch.listening, untagged=ch.listening.untagged,
            delay=_dist(ch.listening.delay, f"{k}.listening.delay"),
            coverage=ch.listening.coverage),
        advocacy=None if not ch.advocacy.enabled else _made(
            Advocacy, f"{k}.advocacy", ch.advocacy, probability=ch.advocacy.probability,
            within_min=parse_duration(ch.advocacy.within, f"{k}.advocacy.within"),
            reach_min=parse_duration(ch.advocacy.reach_time, f"{k}.advocacy.reach_time")))
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
                 reply_exposure_min=parse_duration(ch.reply_exposure, f"{k}.reply_exposure",
                                                   allow_zero=True),
                 **behaviour)


def _self_service(node: DictConfig, key: str) -> SelfService | None:
    """The channel's front door, or None when it is off (``enabled: false``; its other keys
    are then unused, as a pile-on's are at zero branching, so that a sweep can switch it)."""
    if not node.enabled:
        return None
    return _made(SelfService, key, node, duration=_dist(node.duration, f"{key}.duration"),
                 containment=node.containment, containment_secure=node.containment_secure,
                 abandon=node.abandon, false_containment=node.false_containment,
                 context=bool(node.context), context_factor=node.context_factor,
                 repeat_factor=node.repeat_factor)


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
    agents = _made(Pool, key, node, name="agents", skills={"phone": 1.0},
                   agents=int(node.agents), cost_per_hour=node.cost_per_hour,
                   shrinkage=node.shrinkage)
    return _made(Scenario, key, node, channels=(phone,), pools=(agents,),
                 interval_min=parse_duration(node.interval, f"{key}.interval"))
