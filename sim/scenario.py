"""The care operation being simulated: channels, agent pools and time structure.

Frozen domain objects, validated on construction, independent of how they were configured.
Times in minutes, rates per hour at the config boundary and per minute inside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Mapping

from .arrivals import ArrivalProcess, Incident
from .behaviour import Dissatisfaction, Retrial, Switch
from .distributions import Distribution
from .errors import InvalidValue
from .pileons import PileOn
from .advocacy import Advocacy
from .listening import Listening
from .selfservice import SelfService


class Mode(str, Enum):
    """How a channel's customer waits."""

    VOICE = "voice"  # on the line, one per agent, hangs up when impatient
    CHAT = "chat"    # synchronous text; an agent holds several at once
    ASYNC = "async"  # email, posts, messages: nobody on the line, first response matters

    @property
    def is_text(self) -> bool:
        return self is not Mode.VOICE


@dataclass(frozen=True)
class Channel:
    """One way contacts reach the operation.

    Parameters
    ----------
    name : str
        Unique channel name, e.g. ``"phone"``.
    mode : Mode
        voice, chat or async.
    target_min : float
        Response-time target for the service level, minutes.
    arrivals : ArrivalProcess
        When contacts arrive.
    handle : Distribution
        Handle time of a proficiency-1 agent, minutes.
    expectation : Distribution
        First-response time the customer expects, minutes.
    patience : Distribution or None
        Time before an unanswered customer abandons, minutes; None: never abandons.
    public : bool
        Whether contacts are public posts.
    secure : bool
        Whether account-specific work can be done in the channel.
    reach : Distribution or None
        Followers of a post's author (public channels; None: 0). Drawn with the same
        machinery as durations, but in followers, not minutes.
    negative_share : float
        Probability that a contact is a negative complaint (used by reputation-aware routing).
    secure_share : float
        Probability that a contact needs account-specific work (identity, payments), which a
        channel that is not ``secure`` cannot do (escalation policies act on it).
    exchanges : int
        Agent replies a contact needs (a threaded conversation); the handle time is split
        evenly between them. Text channels only.
    think : Distribution or None
        Customer think time between two replies, minutes (required when exchanges > 1). A
        chat keeps its agent's slot meanwhile; an async contact releases it and comes back
        to the queue when the customer answers.
    pileon : PileOn or None
        Public channels: unanswered complaints (negative contacts) excite pile-ons.
    retrial : Retrial or None
        Voice and chat: abandoned customers who try again.
    switch : Switch or None
        Failed customers who come back in another channel.
    silent_share : float
        Chat: share of abandoners who leave without telling; they stay in the queue and the
        agent who picks one up spends ``silent_notice_min`` before noticing.
    silent_notice_min : float
        Agent time spent on a silent abandoner, minutes.
    self_service : SelfService or None
        A front door (bot, IVR) the channel's contacts meet before its queue
        (:mod:`sim.selfservice`); None: straight to the queue. Not for public channels.
    listening : Listening or None
        Public channels: a share of posts does not tag the brand and joins the queue only
        when the brand's listening finds it (:mod:`sim.listening`); None: every post is
        seen at once.
    advocacy : Advocacy or None
        Public channels: complaints answered fast may make their authors advocates
        (:mod:`sim.advocacy`); None: never.
    reply_exposure_min : float
        Public channels: a complaint answered and resolved in public draws this many more
        minutes of its author's reach in exposure (the answer publicises it); one taken
        private (:class:`sim.policies.escalation.TakePrivate`) does not. 0: none.
    """

    name: str
    mode: Mode
    target_min: float
    arrivals: ArrivalProcess
    handle: Distribution
    expectation: Distribution
    patience: Distribution | None = None
    public: bool = False
    secure: bool = False
    reach: Distribution | None = None
    negative_share: float = 0.0
    secure_share: float = 0.0
    exchanges: int = 1
    think: Distribution | None = None
    pileon: PileOn | None = None
    retrial: Retrial | None = None
    switch: Switch | None = None
    silent_share: float = 0.0
    silent_notice_min: float = 1.0
    self_service: SelfService | None = None
    listening: Listening | None = None
    advocacy: Advocacy | None = None
    reply_exposure_min: float = 0.0

    def __post_init__(self) -> None:
        bad = lambda field, value, valid: InvalidValue(field, value, valid)  # noqa: E731
        if not _whole(self.exchanges) or self.exchanges < 1:
            raise bad("exchanges", self.exchanges, "must be an integer >= 1")
        if self.exchanges > 1 and (self.mode is Mode.VOICE or self.think is None):
            raise bad("exchanges", self.exchanges, "above 1 needs a text channel and a "
                      "think-time distribution (think)")
        for name in ("negative_share", "secure_share", "silent_share"):
            if not _real(getattr(self, name)) or not 0 <= getattr(self, name) <= 1:
                raise bad(name, getattr(self, name), "must be a share in [0, 1]")
        if not (_real(self.target_min) and self.target_min > 0):
            raise bad("target_min", self.target_min, "must be > 0 (minutes)")
        if self.patience is not None and self.mode is Mode.ASYNC:
            raise bad("patience", "a distribution", "async channels have no patience (nobody "
                      "waits on the line); use null")
        if self.pileon is not None and not self.public:
            raise bad("pileon.branching", self.pileon.branching, "needs a public channel "
                      "(public: true): only public posts draw pile-ons")
        if self.pileon is not None and self.reach is not None:
            # Excitation is reach**gamma over its mean: that mean must be a number.
            gamma = self.pileon.reach_exponent
            try:
                mean = self.reach.moment(gamma)
            except OverflowError:
                mean = math.inf
            if not (math.isfinite(mean) and mean > 0):
                raise bad("pileon.reach_exponent", gamma, "is too large for this channel's "
                          "reach: the mean of reach**reach_exponent overflows (typical "
                          "values are 0 to 1)")
        if self.retrial is not None and self.patience is None:
            raise bad("retrial.probability", self.retrial.probability, "needs customers who "
                      "abandon (a voice or chat channel with a patience distribution)")
        sw = self.switch
        if sw is not None:
            if sw.to == self.name:
                raise bad("switch.to", sw.to, "must be another channel (retrying the same "
                          "channel is a retrial)")
            if sw.after_min is None and self.patience is None:
                raise bad("switch.after_min", None, "needs a duration here: a switch follows a "
                          "failure, unanswered that long (or, in a voice or chat channel with "
                          "patience, an abandonment)")
            p = sw.probability + (self.retrial.probability if self.retrial else 0.0)
            if p > 1 + 1e-12:
                raise bad("switch.probability", sw.probability, "plus retrial.probability="
                          f"{self.retrial.probability} must be at most 1 (a failed customer "
                          "does one or the other)")
        if self.self_service is not None and self.public:
            raise bad("self_service.enabled", True, "is for private channels: a public "
                      "post is seen before anyone can put a bot in front of it")
        if not (_real(self.reply_exposure_min) and self.reply_exposure_min >= 0):
            raise bad("reply_exposure_min", self.reply_exposure_min, "must be >= 0 (minutes)")
        if self.reply_exposure_min > 0 and not self.public:
            raise bad("reply_exposure_min", self.reply_exposure_min, "is for public channels: "
                      "a private answer publicises nothing")
        if self.advocacy is not None and not self.public:
            raise bad("advocacy.enabled", True, "is for public channels: an advocate is a "
                      "complaint answered in public")
        if self.listening is not None and not self.public:
            raise bad("listening.enabled", True, "is for public channels: a private message "
                      "always reaches the brand")
        if self.silent_share > 0 and (self.mode is not Mode.CHAT or self.patience is None):
            raise bad("silent_share", self.silent_share, "needs a chat channel with a "
                      "patience distribution (silent abandonment is a chat behaviour)")
        if not (_real(self.silent_notice_min) and self.silent_notice_min > 0):
            raise bad("silent_notice_min", self.silent_notice_min, "must be > 0 (minutes)")


def _real(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _whole(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


@dataclass(frozen=True)
class Pool:
    """Agents with the same skills.

    Parameters
    ----------
    name : str
        Unique pool name.
    skills : Mapping[str, float]
        Channel name -> proficiency, a handle-time multiplier (1 = nominal, 1.2 = 20% slower).
    concurrency : Mapping[str, int]
        Text channel name -> how many of its contacts one agent holds at once (default 1).
    agents : int
        Nominal headcount, used by fixed staffing.
    members : Mapping[str, int]
        The configured pools this pool was formed from and their headcounts (itself unless a
        routing policy merged pools); staffing tables name members.
    tool_quality : float
        Handle-time factor of the pool's set-up (1 = standard tools; 1.3 = an inferior tool
        makes every contact 30% longer).
    delay : Mapping[str, float]
        Channel name -> minutes a contact must have waited before this pool may take it
        (overflow to a backup pool); channels not listed: no delay.
    fixed : bool
        The pool was added by a policy (tier-2 specialists) with its own headcount
        ``agents``: every staffing policy gives it that headcount, and staffing tables
        need not list it.
    cost_per_hour : float
        What one paid agent-hour costs (wage and on-costs, in the study's currency; 0: no
        cost given).
    shrinkage : float
        Share of paid time off the floor (breaks, training, meetings, absence), in [0, 1):
        a staffed hour is paid 1 / (1 - shrinkage) hours.
    """

    name: str
    skills: Mapping[str, float]
    concurrency: Mapping[str, int] = field(default_factory=dict)
    agents: int = 0
    members: Mapping[str, int] = field(default_factory=dict)
    tool_quality: float = 1.0
    delay: Mapping[str, float] = field(default_factory=dict)
    fixed: bool = False
    cost_per_hour: float = 0.0
    shrinkage: float = 0.0

    def __post_init__(self) -> None:
        # Private copies: the caller's dicts must not change a frozen pool behind its back.
        object.__setattr__(self, "skills", dict(self.skills))
        object.__setattr__(self, "concurrency", dict(self.concurrency))
        object.__setattr__(self, "members", dict(self.members) or {self.name: self.agents})
        object.__setattr__(self, "delay", dict(self.delay))
        if not self.skills:
            raise InvalidValue("skills", {}, "must name at least one channel")
        for ch, p in self.skills.items():
            if not (_real(p) and p > 0):
                raise InvalidValue(f"skills.{ch}", p, "must be a positive proficiency "
                                   "(handle-time multiplier)")
        for ch, m in self.concurrency.items():
            if ch not in self.skills:
                raise InvalidValue(f"concurrency.{ch}", m, f"the pool has no skill for {ch}; "
                                   f"skills: {', '.join(self.skills)}")
            if not _whole(m) or m < 1:
                raise InvalidValue(f"concurrency.{ch}", m, "must be an integer >= 1")
        for ch, d in self.delay.items():
            if ch not in self.skills or not (_real(d) and d >= 0):
                raise InvalidValue(f"delay.{ch}", d, "must be >= 0 (minutes) for a skill")
        if not (_real(self.tool_quality) and self.tool_quality > 0):
            raise InvalidValue("tool_quality", self.tool_quality,
                               "must be a positive handle-time factor (1 = standard tools)")
        if not _whole(self.agents) or self.agents < 0:
            raise InvalidValue("agents", self.agents, "must be an integer >= 0")
        if not (_real(self.cost_per_hour) and math.isfinite(self.cost_per_hour)
                and self.cost_per_hour >= 0):
            raise InvalidValue("cost_per_hour", self.cost_per_hour,
                               "must be a cost >= 0 per paid agent-hour")
        if not (_real(self.shrinkage) and 0 <= self.shrinkage < 1):
            raise InvalidValue("shrinkage", self.shrinkage,
                               "must be a share of paid time in [0, 1)")

    def slots(self, channel: str) -> int:
        """Concurrent contacts of ``channel`` one agent may hold."""
        return int(self.concurrency.get(channel, 1))

    def share(self, channel: str) -> float:
        """Share of one agent a contact of ``channel`` takes (1 / slots; 0 without skill)."""
        return 1.0 / self.slots(channel) if channel in self.skills else 0.0


@dataclass(frozen=True)
class Scenario:
    """A care operation: its channels, its pools and the length of a planning interval.

    Parameters
    ----------
    channels : tuple of Channel
    pools : tuple of Pool
    interval_min : float
        Length of a staffing/reporting interval in minutes (divides a day).
    efficiency : tuple of float
        Effective conversations an agent handles when holding 1, 2, ... text contacts at once
        (the last value holds beyond the table): holding n, each conversation progresses at
        ``efficiency[n-1] / n`` of solo speed. Default: the practitioner table in
        calibration.md (1 / 1.7 / 2.5 / 2.9 / 3.5 for 1-5 chats).
    incidents : tuple of Incident
        Outages and viral moments that multiply chosen channels' arrival rates for a while.
    dissatisfaction : Dissatisfaction
        How contacts are scored (dissatisfied or not; the composite index).
    fte_hours_per_week : float
        Paid hours of one full-time agent in a week (``fte`` = paid hours / this, a week).
    """

    channels: tuple[Channel, ...]
    pools: tuple[Pool, ...]
    interval_min: float = 60.0
    efficiency: tuple[float, ...] = (1.0, 1.7, 2.5, 2.9, 3.5)
    incidents: tuple[Incident, ...] = ()
    dissatisfaction: Dissatisfaction = field(default_factory=Dissatisfaction)
    fte_hours_per_week: float = 37.5

    def __post_init__(self) -> None:
        names = [c.name for c in self.channels]
        if not names:
            raise InvalidValue("channels", {}, "must hold at least one channel")
        if len(set(names)) != len(names):
            raise InvalidValue("channels", names, "names must be unique")
        pool_names = [p.name for p in self.pools]
        if len(set(pool_names)) != len(pool_names):
            raise InvalidValue("pools", pool_names, "names must be unique")
        eff = self.efficiency
        if (not eff or eff[0] != 1.0 or any(b < a for a, b in zip(eff, eff[1:]))
                or any(e > n + 1 for n, e in enumerate(eff))):
            raise InvalidValue("efficiency", eff, "must start at 1, never decrease, and give "
                               "at most n effective conversations for n held")
        if not (_real(self.interval_min) and self.interval_min > 0
                and (1440 / self.interval_min).is_integer()):
            raise InvalidValue("interval_min", self.interval_min,
                               "must divide a day evenly (e.g. 15min, 30min, 1h)")
        if not (_real(self.fte_hours_per_week) and 0 < self.fte_hours_per_week <= 168):
            raise InvalidValue("fte_hours_per_week", self.fte_hours_per_week,
                               "must be paid hours in a week, in (0, 168]")
        by_name = {c.name: c for c in self.channels}
        for n, incident in enumerate(self.incidents):
            unknown = [c for c in incident.channels if c not in by_name]
            if unknown or not incident.channels:
                raise InvalidValue(f"incidents[{n}].channels", incident.channels,
                                   "must name channels of the scenario: " + ", ".join(names))
        for p in self.pools:
            for field_ in ("skills", "concurrency"):
                for ch, value in getattr(p, field_).items():
                    if ch not in by_name:
                        raise InvalidValue(f"pools.{p.name}.{field_}.{ch}", value,
                                           "names no channel; channels: " + ", ".join(names))
            for ch, m in p.concurrency.items():
                if m > 1 and by_name[ch].mode is Mode.VOICE:
                    raise InvalidValue(f"pools.{p.name}.concurrency.{ch}", m,
                                       "must be 1 for voice channels: a call takes one agent")
        for c in self.channels:
            if c.switch is not None and c.switch.to not in by_name:
                raise InvalidValue(f"channels.{c.name}.switch.to", c.switch.to,
                                   "must name another channel: " + ", ".join(names))
        for c in self.channels:
            if not self.pools_for(c.name):
                raise InvalidValue("pools", pool_names or [],
                                   f"no pool has a skill for channel {c.name!r}; every "
                                   "channel needs one")

    def speed(self, held: int) -> float:
        """Progress rate of each of ``held`` concurrent conversations (1 = solo speed)."""
        if held <= 1:
            return 1.0
        return self.efficiency[min(held, len(self.efficiency)) - 1] / held

    def channel(self, name: str) -> Channel:
        """The channel called ``name``."""
        for c in self.channels:
            if c.name == name:
                return c
        raise KeyError(name)

    def pools_for(self, channel: str) -> tuple[Pool, ...]:
        """The pools with a skill for ``channel``."""
        return tuple(p for p in self.pools if channel in p.skills)

    def with_pools(self, pools: tuple[Pool, ...]) -> "Scenario":
        """The same operation organised into other pools (validated again)."""
        return replace(self, pools=pools)

    def with_channel(self, channel: Channel, pool: Pool) -> "Scenario":
        """The operation with one more channel and the pool that serves it."""
        return replace(self, channels=self.channels + (channel,), pools=self.pools + (pool,))
