"""The policy contract: the base class of each kind of policy, and what a policy may see.

A policy is built from config with its parameters only, then ``bind(model)`` hands it the
running model before the first event. Five kinds, each a base class below whose methods are
every hook a policy may override:

- :class:`Routing` — which waiting contact an agent with room takes (``next_contact``,
  built from ``candidates`` and ``key``).
- :class:`AgentSelection` — which of several agents with room gets a contact (``choose``).
- :class:`Organisation` — how the configured pools are organised for a run (``organise``).
- :class:`Staffing` — agents of each pool on the floor per interval (``agents``,
  ``review_min``).
- :class:`EscalationPolicy` — where a handled contact's journey goes next (``after_service``;
  ``organise`` may add the queues and pools it needs).

Routing, agent selection and organisation are three separate choices, each handed to the
engine by the config; no policy reaches into another. The engine enforces eligibility
before a policy is asked (an agent is offered only contacts of channels it has a skill and
room for, and an overflow pool only contacts that waited long enough) and checks what a
policy returns: anything else raises :class:`ContractError`. ``sim.policies.check_policy``
runs a policy through the scenario shapes that break policies.

The model a policy sees is :class:`ModelView`; contacts and agents are
:class:`ContactView` and :class:`AgentView`. Policies decide; the engine acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Protocol, Sequence

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = ["AgentSelection", "AgentView", "ContactView", "ContractError", "Escalation",
           "EscalationPolicy", "ModelView", "Organisation", "Routing", "Staffing"]


class ContractError(RuntimeError):
    """A policy did what its contract forbids (the engine refuses before acting on it).

    Attributes
    ----------
    group : str
        The kind of policy: ``routing``, ``agent_selection``, ``staffing``, ``escalation``.
    policy : str
        Its class, ``module.Name``.
    """

    def __init__(self, group: str, policy: object, message: str) -> None:
        self.group = group
        self.policy = f"{type(policy).__module__}.{type(policy).__qualname__}"
        super().__init__(f"{group} policy {self.policy}: {message}")


# ---- what a policy sees ------------------------------------------------------------------
class ContactView(Protocol):
    """A contact in the system, read-only for policies (times in minutes).

    Besides these, every attribute of :data:`sim.customers.ATTRIBUTES` reads as
    ``contact.<name>``: ``expectation_min``, ``reach`` (followers of the author; 0:
    private), ``negative`` (a complaint), ``needs_secure`` (account work), ``compliance``
    (uniform(0, 1): follows a request made with probability p when below p), ...
    """

    id: int
    channel: int          # index into ModelView.scenario.channels
    arrival_min: float
    handle_min: float     # work content for a proficiency-1 agent
    patience_min: float   # inf: never abandons
    journey: int          # id of the journey's first contact
    origin: int           # index into sim.customers.ORIGINS
    first_response_min: float  # NaN until an agent first picks it up


class AgentView(Protocol):
    """One agent on shift, read-only for policies."""

    id: int
    pool: int        # index into ModelView.scenario.pools
    since: float     # time of the agent's last assignment or release, minutes
    leaving: bool    # finishing current work before going off shift

    def has_room(self, channel: int) -> bool:
        """Whether the agent can take one more contact of ``channel`` now."""
        ...


class ModelView(Protocol):
    """The running model, read-only for policies (times in minutes)."""

    scenario: "Scenario"

    @property
    def now(self) -> float: ...

    def head(self, channel: int, agent: AgentView | None = None) -> ContactView | None:
        """The longest-waiting contact of ``channel``; with ``agent``, the longest-waiting
        one ``agent`` may take now (None if it may take none: no skill, no room, or not
        waited long enough for an overflow pool)."""
        ...

    def queue(self, channel: int, agent: AgentView | None = None) -> Iterator[ContactView]:
        """The contacts waiting in ``channel``, in queue order (with ``agent``: those it
        may take now)."""
        ...

    def waiting(self, channel: int) -> int:
        """How many contacts of ``channel`` wait now."""
        ...

    def available(self, pool: int, channel: int) -> int:
        """How many agents of ``pool`` have room for one more ``channel`` contact now."""
        ...

    def pool_agents(self, pool: int) -> Iterable[AgentView]:
        """The agents of ``pool`` on shift now, in the order they came on shift."""
        ...


# ---- the kinds of policy -----------------------------------------------------------------
class Routing:
    """Which waiting contact an agent with room takes next.

    Override :meth:`key` to order contacts (the smallest key is served first), and
    :meth:`candidates` to look beyond the head of each queue; or :meth:`next_contact`
    itself for a rule that is not an order. The default is first come, first served.
    """

    model: ModelView

    def bind(self, model: ModelView) -> None:
        """Called once with the running model, before the first event."""
        self.model = model
        index = {c.name: k for k, c in enumerate(model.scenario.channels)}
        # Per pool, the channels its agents are skilled for.
        self.channels = [tuple(index[c] for c in p.skills) for p in model.scenario.pools]
        # First come, first served over one queue is its head: exact, so the shortcut (per
        # pool, its one channel) is taken only when neither hook that could change the
        # answer is overridden.
        heads_only = (type(self).candidates is Routing.candidates
                      and type(self).key is Routing.key)
        self._single = [ks[0] if heads_only and len(ks) == 1 else None for ks in self.channels]
        self._head = model.head

    def next_contact(self, agent: AgentView) -> ContactView | None:
        """The contact ``agent`` takes now (one it may take: :meth:`ModelView.head` with
        the agent), or None to leave it idle.

        Default: among :meth:`candidates` of the agent's channels, the smallest
        :meth:`key`.
        """
        k = self._single[agent.pool]
        if k is not None:
            return self._head(k, agent)
        best, best_key = None, None
        for k in self.channels[agent.pool]:
            for c in self.candidates(agent, k):
                key = self.key(c, agent)
                if best is None or key < best_key:
                    best, best_key = c, key
        return best

    def candidates(self, agent: AgentView, channel: int) -> Iterable[ContactView]:
        """Contacts of ``channel`` the rule compares for ``agent`` (default: the head of the
        queue among those the agent may take)."""
        c = self.model.head(channel, agent)
        return () if c is None else (c,)

    def key(self, contact: ContactView, agent: AgentView) -> Any:
        """Rank of a candidate for ``agent``: the smallest is served first (default: the
        earliest arrival)."""
        return contact.arrival_min


class AgentSelection:
    """Which agent gets a contact when agents of several pools have room for it."""

    model: ModelView

    def bind(self, model: ModelView) -> None:
        self.model = model

    def choose(self, channel: int, candidates: Sequence[AgentView]) -> AgentView:
        """One of ``candidates`` (two or more, each the agent of its pool that has had
        room for ``channel`` longest)."""
        raise NotImplementedError


class Organisation:
    """How the configured pools are organised for a run, before any policy is bound."""

    def organise(self, scenario: "Scenario") -> "Scenario":
        """The scenario with its pools reorganised (default: unchanged)."""
        return scenario


class Staffing:
    """How many agents of each pool are on the floor in each interval.

    Pools are those of the running model (after organisation); a pool merged from
    configured pools lists them in ``Pool.members``.

    Attributes
    ----------
    review_min : float or None
        Minutes between reviews within an interval for a policy that reacts to the live
        state (must divide ``scenario.interval_min``); None: asked once per interval.
    """

    review_min: float | None = None
    model: ModelView

    def bind(self, model: ModelView) -> None:
        self.model = model

    def agents(self, pool: str, interval: int) -> int:
        """Agents of pool ``pool`` on the floor in interval ``interval`` (0 = the first),
        a whole number >= 0. Agents going off shift finish their work first."""
        raise NotImplementedError


@dataclass(frozen=True)
class Escalation:
    """A contact handled but not resolved: its journey continues elsewhere, or ends.

    Attributes
    ----------
    channel : str or None
        The channel the journey continues in (a new contact, ``origin=escalation``, same
        journey); None: the customer gives up and the journey ends unresolved.
    delay_min : float
        Minutes until the follow-up contact arrives.
    forced : bool
        Whether the customer was made to switch channel (an involuntary change; counted in
        ``forced_switch_rate`` and dissatisfying).
    """

    channel: str | None
    delay_min: float = 0.0
    forced: bool = False


class EscalationPolicy:
    """What happens to a contact its channel could not finish (default: nothing; every
    handled contact is resolved)."""

    model: ModelView

    def organise(self, scenario: "Scenario") -> "Scenario":
        """Add what the policy needs before the run (a tier-2 queue and its specialists, a
        backup pool's overflow skill); default: the scenario unchanged."""
        return scenario

    def bind(self, model: ModelView) -> None:
        self.model = model

    def after_service(self, contact: ContactView) -> Escalation | None:
        """None if handling resolved ``contact``; else where its journey goes next."""
        return None
