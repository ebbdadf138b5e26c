"""Hydra's override syntax: the jobs a basic sweep expands to, read back from a sweep."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import Sequence

__all__ = ["expand_sweep"]


def expand_sweep(lines: Sequence[str]) -> list[list[str]] | None:
    """The ``key=value`` overrides of every job of a basic sweep, in Hydra's job order.

    ``lines`` are the sweep's overrides as typed (``routing=siloed,unified_text``,
    ``seed=1``); None when one cannot be expanded (an interval sweep, a parse error).
    """
    try:
        from hydra.core.override_parser.overrides_parser import OverridesParser  # noqa: PLC0415

        factors: OrderedDict[str, list[str]] = OrderedDict()
        for o in OverridesParser.create().parse_overrides(list(lines)):
            key = o.get_key_element()
            if o.is_sweep_override():
                if not o.is_discrete_sweep():
                    return None
                factors[key] = [f"{key}={v}" for v in o.sweep_string_iterator()]
            else:
                factors[key] = [f"{key}={o.get_value_element_as_str()}"]
    except Exception:  # noqa: BLE001 - any parse problem: the caller falls back
        return None
    return [list(x) for x in itertools.product(*factors.values())]
