"""Escalation policies: what happens to a contact its first channel could not finish."""

from __future__ import annotations

from .base import Escalation, ModelView


class NoEscalation:
    """Every handled contact is resolved where it arrived."""

    def bind(self, model: ModelView) -> None:
        pass

    def after_service(self, contact: int) -> Escalation | None:
        return None
