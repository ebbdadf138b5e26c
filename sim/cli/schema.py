"""The structured config schemas: a misspelt key fails when the config is composed.

The dataclasses below are registered in Hydra's ConfigStore (:func:`register`);
:func:`compose` gives the config ``python -m sim <overrides>`` would run, without the
command line. Values are checked later, when :mod:`sim.cli.config` builds the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

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
class SelfServiceConf:
    """A self-service front door (bot, IVR) before the channel's queue (sim/selfservice.py).

    Off unless ``enabled``; every default is ASSUMED but ``containment_secure`` (docs/
    selfservice.md has the sources and what each parameter does).
    """

    enabled: bool = False
    duration: DistConf = field(
        default_factory=lambda: DistConf(dist="lognormal", mean="3min", cv=1.0))
    containment: float = 0.3           # of those who do not abandon it
    containment_secure: Optional[float] = 0.17  # needs_secure contacts (billing, identity)
    abandon: float = 0.1
    false_containment: float = 0.2     # of the contained: not helped, back as after a failure
    context: bool = True               # escalations hand over what the bot learnt
    context_factor: float = 0.9        # handle-time multiplier with context
    repeat_factor: float = 1.2         # ... without: the customer repeats themselves


@dataclass
class ListeningConf:
    """Public channels: posts that do not tag the brand, found by its listening
    (sim/listening.py). Off unless ``enabled``; every default is ASSUMED (docs/listening.md)."""

    enabled: bool = False
    untagged: float = 0.3   # share of posts that do not tag the brand
    delay: DistConf = field(
        default_factory=lambda: DistConf(dist="lognormal", mean="2h", cv=1.0))
    coverage: float = 0.8   # share of untagged posts the listening ever finds


@dataclass
class AdvocacyConf:
    """Public channels: complaints answered fast may make their authors advocates
    (sim/advocacy.py). Off unless ``enabled``; every default is ASSUMED (docs/advocacy.md)."""

    enabled: bool = False
    probability: float = 0.1  # of complaints answered within `within`
    within: Any = "1h"
    reach_time: Any = "1d"    # how long an advocate's positive post counts as exposure


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
    self_service: SelfServiceConf = field(default_factory=SelfServiceConf)
    listening: ListeningConf = field(default_factory=ListeningConf)
    advocacy: AdvocacyConf = field(default_factory=AdvocacyConf)
    # Public channels: exposure a public answer adds (it publicises the complaint); ASSUMED 0.
    reply_exposure: Any = "0min"


@dataclass
class PoolConf:
    skills: Dict[str, float] = MISSING
    concurrency: Dict[str, int] = field(default_factory=dict)
    agents: int = 0
    tool_quality: float = 1.0
    cost_per_hour: float = 0.0  # per paid agent-hour (0: no cost given)
    shrinkage: float = 0.0      # share of paid time off the floor, in [0, 1)


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

    _target_: str = "sim.cli.scenario.build_operation"
    name: str = MISSING
    interval: Any = "1h"
    efficiency: List[float] = field(default_factory=lambda: [1.0, 1.7, 2.5, 2.9, 3.5])
    profiles: Dict[str, ProfileConf] = field(default_factory=dict)
    incidents: List[IncidentConf] = field(default_factory=list)
    trace: Optional[str] = None  # CSV of arrivals to replay instead of the rate profiles
    dissatisfaction: DissatisfactionConf = field(default_factory=DissatisfactionConf)
    fte_hours_per_week: float = 37.5
    channels: Dict[str, ChannelConf] = MISSING
    pools: Dict[str, PoolConf] = MISSING
    # Channels and pools added on the command line: +scenario.channels.NAME={...} lands here
    # (sim/cli/overrides.py: OmegaConf cannot add a mapping under a structured type); each is
    # checked against ChannelConf / PoolConf when the scenario is built, then added.
    added_channels: Dict[str, Any] = field(default_factory=dict)
    added_pools: Dict[str, Any] = field(default_factory=dict)


@dataclass
class ErlangConf:
    """The textbook M/M/c (+M) queue: one voice channel, one pool, fixed agents."""

    _target_: str = "sim.cli.scenario.build_erlang"
    name: str = "erlang"
    rate_per_hour: float = 100.0
    mean_handle_min: float = 6.0
    agents: int = 11
    mean_patience_min: Optional[float] = None
    target: Any = "20s"
    interval: Any = "1h"
    cost_per_hour: float = 0.0  # per paid agent-hour (0: no cost given)
    shrinkage: float = 0.0      # share of paid time off the floor, in [0, 1)


@dataclass
class RunConf:
    horizon: Any = "7d"
    warmup: Any = 0
    drain: Any = "1d"
    replications: int = 5
    # Precision mode: with precision (e.g. 0.05), replications is the pilot, and more follow
    # until each of precision_metrics ("mean_wait_min": all channels; "phone/asa_min") has
    # a 95% half-width within that share of its mean, up to max_replications.
    precision: Optional[float] = None
    precision_metrics: List[str] = field(default_factory=lambda: ["dissatisfaction_rate"])
    max_replications: int = 100
    workers: int = 1
    progress: bool = True
    figures: bool = True
    # The tables written: all, summary (summary.csv, per_replication.parquet, job.json and a
    # report of the tables: what a sweep's comparison reads) or a list (sim/outputs.py).
    tables: Any = "all"


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

    from .overrides import add_channels_and_pools  # noqa: PLC0415

    register()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return hydra_compose(config_name, overrides=add_channels_and_pools(overrides),
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
