"""Durations as configs write them: minutes, or strings with a unit (``20s``, ``2d10h``)."""

from __future__ import annotations

import math
import re
from typing import Any

from .errors import ConfigError

__all__ = ["duration_unit", "parse_duration", "read_duration"]

_UNITS = {"": 1.0, "s": 1 / 60, "sec": 1 / 60, "min": 1.0, "m": 1.0, "h": 60.0, "d": 1440.0}
_NUMBER = r"([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-z]*)\s*"
_DURATION = re.compile(rf"^\s*(?:{_NUMBER})+$")
_PART = re.compile(_NUMBER)


def parse_duration(value: Any, key: str, allow_zero: bool = False) -> float:
    """Minutes from a number (minutes) or a string with units: '20s', '6min', '2h', '2d10h'."""
    valid = ("a duration: minutes as a number or a string with a unit s, min, h or d "
             f"(e.g. '20s', '6min', '2h', '2d10h'), {'>= 0' if allow_zero else '> 0'}")
    if isinstance(value, bool) or value is None:
        raise ConfigError(key, value, valid)
    if isinstance(value, (int, float)):
        minutes = float(value)
    else:
        text = str(value)
        parts = _PART.findall(text) if _DURATION.match(text) else []
        # '90' is minutes; '2d10h' adds its parts, each of which must then carry a unit.
        if not parts or any(u not in _UNITS or (len(parts) > 1 and not u) for _, u in parts):
            raise ConfigError(key, value, valid)
        minutes = sum(float(n) * _UNITS[u] for n, u in parts)
    if not math.isfinite(minutes) or minutes < 0 or (minutes == 0 and not allow_zero):
        raise ConfigError(key, value, valid)
    return minutes


def duration_unit(minutes: float) -> tuple[float, str]:
    """The unit a person reads a time of about ``minutes`` in: (minutes per unit, name)."""
    a = abs(minutes)
    if a < 2:
        return 1 / 60, "s"
    if a < 120:
        return 1.0, "min"
    if a < 2880:
        return 60.0, "h"
    return 1440.0, "d"


def read_duration(minutes: float, unit: tuple[float, str] | None = None) -> str:
    """A time as a person reads it in a report: seconds under two minutes (``38 s``),
    minutes under two hours (``14.2 min``), hours under two days (``5.3 h``), else days;
    or in ``unit`` (:func:`duration_unit`), to write several times in one unit."""
    if not math.isfinite(minutes):
        return "–"
    size, name = unit or duration_unit(minutes)
    value = minutes / size
    if name == "s":
        return f"{value:.0f} s" if abs(value) >= 10 or value == 0 else f"{value:.1f} s"
    return f"{value:.1f} {name}"
