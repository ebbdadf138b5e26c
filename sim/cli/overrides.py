"""Hydra's override syntax: the jobs a basic sweep expands to, read back from a sweep."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import Sequence

__all__ = ["add_channels_and_pools", "defer_to_swept_groups", "expand_sweep"]

#: ``+scenario.channels.NAME=...`` is rewritten to the first, ``+scenario.pools.NAME=...``
#: to the second (see :func:`add_channels_and_pools`).
ADDED = {"scenario.channels": "scenario.added_channels", "scenario.pools": "scenario.added_pools"}


def add_channels_and_pools(args: Sequence[str]) -> list[str]:
    """Arguments with ``+scenario.channels.NAME={...}`` (and ``pools``) as
    ``+scenario.added_channels.NAME={...}``.

    OmegaConf cannot add a mapping under a structured type (a channel is a
    :class:`~sim.cli.schema.ChannelConf`), so a new channel or pool goes to an untyped node
    beside the others; the scenario builder checks it against the same schema and adds it
    after those of the config. Other arguments pass unchanged.
    """
    out = []
    for arg in args:
        key, eq, value = arg.partition("=")
        parts = key.split(".")
        if eq and key.startswith("+") and not key.startswith("++") and len(parts) == 3:
            node = ".".join(parts[:2])[1:]
            if node in ADDED:
                arg = f"+{ADDED[node]}.{parts[2]}={value}"
        out.append(arg)
    return out


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


def defer_to_swept_groups(args: Sequence[str]) -> list[str]:
    """Command-line arguments with each key inside a swept config group made a sweep of one.

    ``-m escalation=to_phone,to_secure_chat escalation.follow=0.8``: Hydra composes a
    multirun's config once before it sweeps, with the groups' defaults (``escalation:
    none``) and every override that is not a sweep, and ``none`` has no ``follow``. As
    ``escalation.follow=choice(0.8)`` the key is set in each job, on the group the job
    chose. Arguments that are not overrides (``-m``, ``--cfg``) and overrides of keys
    outside a swept group pass unchanged; a job whose group lacks the key still fails,
    naming it.
    """
    try:
        from hydra.core.override_parser.overrides_parser import OverridesParser  # noqa: PLC0415

        parser = OverridesParser.create()
        parsed = {}
        for i, arg in enumerate(args):
            if "=" in arg and not arg.startswith("-"):
                parsed[i] = parser.parse_override(arg)
    except Exception:  # noqa: BLE001 - Hydra reports its own parse errors, with context
        return list(args)
    swept = {o.get_key_element() for o in parsed.values()
             if o.is_sweep_override() and o.value_type is not None}
    out = list(args)
    for i, o in parsed.items():
        key = o.get_key_element()
        if o.is_sweep_override() or o.is_delete() or "@" in key:
            continue
        group = next((g for g in swept if key.startswith(g + ".")), None)
        if group is not None:
            prefix, value = args[i].split("=", 1)
            out[i] = f"{prefix}=choice({value})"
    return out
