"""Routing, agent selection, organisation, staffing and escalation policies.

Each policy is a small class with one decision method, built from config (``_target_``)
and bound to the running model afterwards. The built-ins subclass the base classes in
:mod:`sim.policies.base` and use nothing else; a user's own policy is a class in the user's
own module, subclassing the same base, named by ``_target_`` in config.
:func:`check_policy` runs a policy through the scenario shapes that break policies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .base import (AgentSelection, ContractError, Escalation, EscalationPolicy, Organisation,
                   Routing, Staffing)

__all__ = ["AgentSelection", "ContractError", "Escalation", "EscalationPolicy", "GROUPS",
           "Organisation", "Routing", "Spec", "Staffing", "check_policy"]

#: The kinds of policy, by config group, and the base class each must subclass.
GROUPS: dict[str, type] = {"routing": Routing, "organisation": Organisation,
                           "agent_selection": AgentSelection, "staffing": Staffing,
                           "escalation": EscalationPolicy}


@dataclass(frozen=True)
class Spec:
    """A policy class and its parameters: a picklable factory of fresh policies.

    Parameters that are themselves a :class:`Spec` (a reactive policy's base staffing)
    are built first, fresh for each call.
    """

    cls: type
    params: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self) -> Any:
        return self.cls(**{k: v() if isinstance(v, Spec) else v for k, v in self.params.items()})


def check_policy(*args: Any, **kwargs: Any) -> Any:
    """Run a policy through the scenario shapes that break policies
    (:func:`sim.policies.check.check_policy`)."""
    from .check import check_policy as check  # noqa: PLC0415 - loads the engine and config

    return check(*args, **kwargs)
