"""Escalation policies: what happens to a contact its first channel could not finish.

The secure-work policies act on contacts that need account-specific work (identity,
payments; a share per channel, ``secure_share``) and arrived in a channel that cannot do it
(``secure: false``, e.g. a public tweet). Whether a customer does what the operation asks is
the customer's own exogenous ``compliance``, so two policies on one seed face the same
customers.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from dataclasses import replace

from ..arrivals import NoArrivals
from ..distributions import Exponential
from ..errors import InvalidValue
from ..scenario import Channel, Mode, Pool, Scenario
from .base import ContactView, Escalation, EscalationPolicy, ModelView


class NoEscalation(EscalationPolicy):
    """Every handled contact is resolved where it arrived."""


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_share(name: str, value: float) -> float:
    if not (_number(value) and 0 <= value <= 1):
        raise InvalidValue(name, value, "must be a probability in [0, 1]")
    return float(value)


def _check_delay(name: str, value: float) -> float:
    if not (_number(value) and math.isfinite(value) and value >= 0):
        raise InvalidValue(name, value, "must be a duration >= 0 (minutes)")
    return float(value)


class _Redirect(EscalationPolicy):
    """Shared parameters: some contacts of the ``sources`` channels continue in ``channel``
    (with probability ``follow``, ``delay_min`` later)."""

    #: What ``sources: null`` means, for the error message.
    every = "every channel"

    def __init__(self, channel: str, follow: float, delay_min: float,
                 sources: Sequence[str] | None = None) -> None:
        self.channel = channel
        self.follow = _check_share("follow", follow)
        self.delay_min = _check_delay("delay_min", delay_min)
        if sources is not None and (isinstance(sources, str) or not all(
                isinstance(x, str) for x in sources)):
            raise InvalidValue("sources", sources, "must be a list of channel names, or null "
                               f"({self.every})")
        self.sources = None if sources is None else list(sources)


class _SecureWork(_Redirect):
    """Shared logic: contacts needing secure work in a non-secure channel move to ``channel``."""

    forced = True
    every = "every non-secure channel"

    def bind(self, model: ModelView) -> None:
        super().bind(model)
        names = [c.name for c in model.scenario.channels]
        if self.channel not in names:
            raise InvalidValue("channel", self.channel, "is not a channel; channels: "
                               + ", ".join(names))
        target = model.scenario.channels[names.index(self.channel)]
        if not target.secure:
            raise InvalidValue("channel", self.channel, "is not secure (secure: false)")
        insecure = [c.name for c in model.scenario.channels if not c.secure]
        for source in self.sources or ():
            if source not in insecure:
                raise InvalidValue("sources", self.sources, f"names {source!r}, which is not a "
                                   "non-secure channel; non-secure channels: "
                                   + ", ".join(insecure))
        chosen = insecure if self.sources is None else self.sources
        self._insecure = [c.name in chosen for c in model.scenario.channels]

    def after_service(self, contact: ContactView) -> Escalation | None:
        if not (self._insecure[contact.channel] and contact.needs_secure):
            return None
        if contact.compliance < self.follow:
            return Escalation(self.channel, self.delay_min, forced=self.forced)
        return Escalation(None, forced=self.forced)  # gives up: the journey ends unresolved


class ToPhone(_SecureWork):
    """Tell customers who need secure work in a non-secure channel to call.

    A forced, involuntary channel switch: with probability ``follow`` the customer calls
    ``delay_min`` later and joins the phone queue as a new contact of the same journey;
    otherwise the journey ends unresolved. Counted in ``forced_switch_rate``.

    Parameters
    ----------
    channel : str
        The voice channel customers are sent to.
    follow : float
        Probability that the customer does call.
    delay_min : float
        Minutes until the call arrives.
    sources : list of str, optional
        The non-secure channels whose contacts are sent (None: every non-secure channel);
        secure work arriving in the others is done where it arrived.
    """

    def __init__(self, channel: str = "phone", follow: float = 0.6, delay_min: float = 15.0,
                 sources: Sequence[str] | None = None) -> None:
        super().__init__(channel, follow, delay_min, sources)


class ToSecureChat(_SecureWork):
    """Move customers who need secure work into a private, secure chat in the same journey.

    The customer stays digital: a secure link in the reply opens a chat (not counted as a
    forced switch). With probability ``follow`` they open it ``delay_min`` later and join the
    chat queue as a new contact of the journey; otherwise the journey ends unresolved.

    Parameters
    ----------
    channel : str
        The secure text channel (chat or authenticated messaging).
    follow : float
        Probability that the customer opens the secure chat.
    delay_min : float
        Minutes until they do.
    sources : list of str, optional
        The non-secure channels whose contacts are moved (None: every non-secure channel);
        secure work arriving in the others is done where it arrived.
    """

    forced = False

    def __init__(self, channel: str = "chat", follow: float = 0.9, delay_min: float = 2.0,
                 sources: Sequence[str] | None = None) -> None:
        super().__init__(channel, follow, delay_min, sources)

    def bind(self, model: ModelView) -> None:
        super().bind(model)
        if not model.scenario.channel(self.channel).mode.is_text:
            raise InvalidValue("channel", self.channel, "must be a text channel")


class TakePrivate(_Redirect):
    """Acknowledge public complaints in public and take the conversation private.

    The first response to a negative post in a public channel is a public acknowledgment
    ("sorry to hear that, we have sent you a message"): like any first response it stops the
    post's pile-ons and its exposure clock, and, unlike a full public answer, it draws no
    reply exposure (the channel's ``reply_exposure``: a public answer can publicise the
    complaint). With probability ``follow`` (the customer's own compliance) the customer
    continues in ``channel`` (private messages, or a secure chat) ``delay_min`` later, a new
    contact of the same journey; otherwise the journey ends unresolved. The customer is
    invited, not told to leave: not a forced switch.

    Parameters
    ----------
    channel : str
        The private channel the conversation continues in.
    follow : float
        Probability that the customer continues there.
    delay_min : float
        Minutes until they do.
    sources : list of str, optional
        The public channels whose complaints are taken private (None: every public channel).
    """

    every = "every public channel"

    def __init__(self, channel: str = "messages", follow: float = 0.8, delay_min: float = 5.0,
                 sources: Sequence[str] | None = None) -> None:
        super().__init__(channel, follow, delay_min, sources)

    def bind(self, model: ModelView) -> None:
        super().bind(model)
        channels = model.scenario.channels
        names = [c.name for c in channels]
        if self.channel not in names or channels[names.index(self.channel)].public:
            raise InvalidValue("channel", self.channel, "must be a private channel; private "
                               "channels: " + ", ".join(c.name for c in channels
                                                        if not c.public))
        public = [c.name for c in channels if c.public]
        for source in self.sources or ():
            if source not in public:
                raise InvalidValue("sources", self.sources, f"names {source!r}, which is not a "
                                   "public channel; public channels: " + ", ".join(public))
        chosen = public if self.sources is None else self.sources
        self._public = [c.name in chosen for c in channels]

    def after_service(self, contact: ContactView) -> Escalation | None:
        if not (self._public[contact.channel] and contact.negative):
            return None
        if contact.compliance < self.follow:
            return Escalation(self.channel, self.delay_min, forced=False)
        return Escalation(None, forced=False)  # never writes back: the journey ends unresolved


class Tiered(EscalationPolicy):
    """A share of contacts need a tier-2 specialist after tier-1 handling.

    The operation gains an internal queue ``name`` (no arrivals of its own; mode of the
    phone line: transferred callers wait on hold) and a pool of ``agents`` specialists who
    serve only it. A contact chosen for tier 2 (its customer's ``compliance`` below the
    channel's share, so the same contacts under every policy) is transferred when tier 1
    finishes: a new contact of the same journey in the tier-2 queue.

    Parameters
    ----------
    share : Mapping[str, float]
        Channel name -> share of its contacts that need tier 2.
    agents : int
        Specialists (a pool named ``name``, fixed headcount unless a schedule lists it).
    mean_handle_min : float
        Mean tier-2 handle time, minutes (exponential).
    target_min : float
        Tier-2 response-time target, minutes.
    name : str
        Name of the tier-2 queue and pool.
    cost_per_hour : float, optional
        What a specialist's paid hour costs (None: the highest of the operation's pools).
    shrinkage : float, optional
        Specialists' share of paid time off the floor (None: that of the costliest pool).
    """

    def __init__(self, share: Mapping[str, float], agents: int = 2, mean_handle_min: float = 12.0,
                 target_min: float = 5.0, name: str = "tier2",
                 cost_per_hour: float | None = None, shrinkage: float | None = None) -> None:
        self.share = {ch: _check_share(f"share.{ch}", v) for ch, v in share.items()}
        if isinstance(agents, bool) or not isinstance(agents, int) or agents < 1:
            raise InvalidValue("agents", agents, "must be an integer >= 1")
        for key, value in (("mean_handle_min", mean_handle_min), ("target_min", target_min)):
            if not (_number(value) and math.isfinite(value) and value > 0):
                raise InvalidValue(key, value, "must be > 0 (minutes)")
        self.agents, self.name = int(agents), name
        self.mean_handle_min, self.target_min = float(mean_handle_min), float(target_min)
        self.cost_per_hour, self.shrinkage = cost_per_hour, shrinkage

    def organise(self, scenario: Scenario) -> Scenario:
        names = [c.name for c in scenario.channels]
        unknown = [ch for ch in self.share if ch not in names]
        if unknown:
            raise InvalidValue("share", self.share, f"names unknown channel(s) {unknown}; "
                               "channels: " + ", ".join(names))
        if self.name in names or self.name in [p.name for p in scenario.pools]:
            raise InvalidValue("name", self.name, "clashes with a channel or pool")
        queue = Channel(self.name, Mode.VOICE, self.target_min, NoArrivals(),
                        Exponential(self.mean_handle_min), Exponential(self.target_min),
                        secure=True)
        costliest = max(scenario.pools, key=lambda p: p.cost_per_hour)
        pool = Pool(self.name, {self.name: 1.0}, {}, self.agents, fixed=True,
                    cost_per_hour=(costliest.cost_per_hour if self.cost_per_hour is None
                                   else self.cost_per_hour),
                    shrinkage=costliest.shrinkage if self.shrinkage is None else self.shrinkage)
        return scenario.with_channel(queue, pool)

    def bind(self, model: ModelView) -> None:
        super().bind(model)
        self._share = [self.share.get(c.name, 0.0) for c in model.scenario.channels]

    def after_service(self, contact: ContactView) -> Escalation | None:
        share = self._share[contact.channel]
        if share and contact.compliance < share:
            return Escalation(self.name, 0.0, forced=False)
        return None


class Overflow(EscalationPolicy):
    """A contact waiting longer than a threshold becomes eligible for a backup pool.

    The backup pool gains a skill for each listed channel, usable only for contacts that have
    waited ``after_min`` (its agents keep serving their own channels first come, first served
    with the rest).

    Parameters
    ----------
    channels : Mapping[str, str]
        Channel name -> backup pool name.
    after_min : float
        Minutes of waiting after which the backup pool may take the contact.
    proficiency : float
        Handle-time multiplier of backup agents on the overflowed channel.
    """

    def __init__(self, channels: Mapping[str, str], after_min: float = 30.0,
                 proficiency: float = 1.2) -> None:
        self.channels = dict(channels)
        self.after_min = _check_delay("after_min", after_min)
        if not (_number(proficiency) and math.isfinite(proficiency) and proficiency > 0):
            raise InvalidValue("proficiency", proficiency, "must be > 0")
        self.proficiency = float(proficiency)

    def organise(self, scenario: Scenario) -> Scenario:
        names = [c.name for c in scenario.channels]
        pools = {p.name: p for p in scenario.pools}
        for ch, backup in self.channels.items():
            if ch not in names:
                raise InvalidValue("channels", self.channels, f"names unknown channel {ch!r}; "
                                   "channels: " + ", ".join(names))
            if backup not in pools:
                raise InvalidValue(f"channels.{ch}", backup, "is not a pool; pools: "
                                   + ", ".join(pools))
            p = pools[backup]
            if ch in p.skills:
                raise InvalidValue(f"channels.{ch}", backup,
                                   f"pool {backup} already serves {ch}: nothing to overflow")
            if any(scenario.channel(s).mode is Mode.VOICE for s in p.skills) != (
                    scenario.channel(ch).mode is Mode.VOICE):
                raise InvalidValue(f"channels.{ch}", backup, "overflow between voice and text "
                                   "pools is blending; use routing=blended")
            pools[backup] = replace(p, skills={**p.skills, ch: self.proficiency},
                                    delay={**p.delay, ch: self.after_min})
        return scenario.with_pools(tuple(pools[p.name] for p in scenario.pools))
