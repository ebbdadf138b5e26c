"""The protocols every policy implements, and what a policy may see of the running model.

A policy is constructed from config with its parameters only, then ``bind(model)`` hands it
the live model before the first event. The model a policy sees is :class:`ModelView`: the
clock, the scenario, the waiting queues and the agents. Policies decide; the engine acts.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Protocol, Sequence, runtime_checkable

if TYPE_CHECKING:
    from ..scenario import Scenario


@runtime_checkable
class AgentView(Protocol):
    """One agent as policies see it."""

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
    channel: Sequence[int]        # channel index of each contact id
    arrival: Sequence[float]      # arrival time of each contact id
    reach: Sequence[float]        # followers of each contact's author (0: private)
    negative: Sequence[bool]      # whether each contact is a negative complaint
    needs_secure: Sequence[bool]  # whether the contact needs account-specific (secure) work
    compliance: Sequence[float]   # the customer's uniform(0,1) propensity: follows a
                                  # request when compliance < the request's probability

    @property
    def now(self) -> float: ...

    def head(self, channel: int) -> int | None:
        """The contact id longest waiting in ``channel``'s queue, or None."""
        ...

    def queue(self, channel: int) -> deque[int]:
        """``channel``'s FIFO of contact ids (may hold ids that left: check ``head``)."""
        ...

    def waiting(self, channel: int) -> int:
        """How many contacts of ``channel`` wait now."""
        ...

    def is_waiting(self, contact: int) -> bool:
        """Whether ``contact`` is still in a queue (not answered, abandoned or gone)."""
        ...

    def available(self, pool: int, channel: int) -> int:
        """How many agents of ``pool`` have room for one more ``channel`` contact now."""
        ...

    def pool_agents(self, pool: int) -> Iterable[AgentView]:
        """The agents of ``pool`` on shift now."""
        ...


class RoutingPolicy(Protocol):
    """Which waiting contact an agent with spare capacity takes next.

    ``organise`` may restructure the configured pools before the run (a unified text queue
    merges the text pools); ``agent_selection`` decides which of several agents with room
    gets an arriving contact.
    """

    agent_selection: "AgentSelection"

    def organise(self, scenario: "Scenario") -> "Scenario": ...

    def bind(self, model: ModelView) -> None: ...

    def next_contact(self, agent: AgentView) -> int | None:
        """The contact id ``agent`` should take now, or None to leave it idle."""
        ...


class AgentSelection(Protocol):
    """Which agent gets a contact when several have room."""

    def bind(self, model: ModelView) -> None: ...

    def choose(self, channel: int, candidates: Sequence[AgentView]) -> AgentView:
        """One of ``candidates`` (non-empty, each the best of its pool by arrival order)."""
        ...


class StaffingPolicy(Protocol):
    """How many agents of each pool work in each interval.

    Pools are those of the running model (after the routing policy organised them); a pool
    merged from configured pools lists them in ``Pool.members``.
    """

    def bind(self, model: ModelView) -> None: ...

    def agents(self, pool: str, interval: int) -> int:
        """Agents of pool ``pool`` on the floor in interval ``interval`` (0 = the first)."""
        ...


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


class EscalationPolicy(Protocol):
    """What happens to a contact its channel could not finish.

    ``organise`` may add what the policy needs to the operation before the run (a tier-2
    queue and its specialists, a backup pool's overflow skill); most policies return the
    scenario unchanged.
    """

    def organise(self, scenario: "Scenario") -> "Scenario": ...

    def bind(self, model: ModelView) -> None: ...

    def after_service(self, contact: int) -> Escalation | None:
        """None if handling resolved ``contact``; else where its journey goes next."""
        ...
