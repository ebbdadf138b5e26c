"""A calibration as config files: ``conf/scenario/NAME.yaml`` and ``conf/staffing/NAME.yaml``.

Every fitted figure is written with a comment naming the data it came from and its standard
error; what the history cannot tell (channel modes, service targets, customers'
expectations) comes from a base scenario where it has the channel, and is marked ASSUMED
where it does not. Text in, text out: the caller writes the files.
"""

from __future__ import annotations

import json
import math
import textwrap
from typing import Any, Mapping

import numpy as np

from ..fit_profile import DAYS
from . import Calibration, ChannelFit, Fitted
from .staffing import schedule

__all__ = ["MARKER", "scenario_yaml", "staffing_yaml"]

MARKER = "# Calibrated to a client's history, written by python -m sim.calibrate"

#: What a channel of the base scenario lends the calibrated one: what an interval report
#: cannot tell. Not retrials, switches or pile-ons: the report's ``offered`` already counts
#: them, so the fitted arrivals include them.
BORROWED = ("mode", "target", "expectation", "public", "secure", "reach", "negative_share",
            "secure_share", "exchanges", "think", "silent_share", "silent_notice")
#: Words YAML reads as something other than a string: a channel of that name is quoted.
_YAML_WORDS = {"null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"}


def _key(name: str) -> str:
    """A channel or profile name as a YAML mapping key that reads back as that string."""
    return json.dumps(name) if name.lower() in _YAML_WORDS else name
#: A channel the base scenario lacks: a phone line by the 80/20 convention.
UNKNOWN_CHANNEL = {"mode": "voice", "target": "20s",
                   "expectation": {"dist": "lognormal", "median": "1min", "sigma": 1.26}}


def _num(x: float) -> str:
    """4 significant digits, positional (every YAML loader reads it as one number)."""
    return np.format_float_positional(x, precision=4, fractional=False, trim="-")


def _value(v: Any) -> str:
    return json.dumps(v)  # JSON scalars and flow mappings are YAML


def _flow(key: str, values: list[str], indent: int, per_line: int = 12) -> list[str]:
    rows = [", ".join(values[i:i + per_line]) for i in range(0, len(values), per_line)]
    pad = " " * (indent + len(key) + 3)
    return [" " * indent + f"{key}: [" + f",\n{pad}".join(rows) + "]"]


def _comment(text: str, indent: int = 4) -> list[str]:
    """``text`` as comment lines of at most 96 characters."""
    pad = " " * indent
    return textwrap.wrap(text, 96, initial_indent=pad + "# ", subsequent_indent=pad + "#   ",
                         break_on_hyphens=False)


def _dist(key: str, fit: Fitted | None, note: str) -> list[str]:
    if fit is None:
        return [*_comment(f"{key}: {note}"), f"    {key}: null"]
    body = {"dist": fit.dist, "mean": f"{_num(fit.mean)}min"}
    if fit.dist not in ("exponential",):
        body["cv"] = float(_num(fit.cv))
    text = ", ".join(f"{k}: {_value(v) if k == 'cv' else v}" for k, v in body.items())
    return [*_comment(f"{key}: {fit.note}"), f"    {key}: {{{text}}}"]


def _channel(fit: ChannelFit, base: Mapping[str, Any] | None, profile: str) -> list[str]:
    a = fit.arrivals
    lines = [f"  {_key(fit.name)}:"]
    lent = {k: base[k] for k in BORROWED if base is not None and base.get(k) is not None}
    if base is None:
        lines.append("    # not in the base scenario: mode, target and expectation ASSUMED "
                     "(a phone line, 80% in 20 s)")
        lent = dict(UNKNOWN_CHANNEL)
    else:
        lines.append("    # from the base scenario: " + ", ".join(lent))
    lines += [f"    {k}: {_value(v)}" for k, v in lent.items()]
    lines += [
        *_comment(f"rate: {a['contacts']:,} offered over {_days(a['span_min'])} days, weekly "
                  f"average, SE {_num(a['rate_se'])}/h (Poisson x day-level busyness)"),
        f"    rate_per_hour: {_num(a['rate_per_hour'])}",
        f"    profile: {profile}",
        *_comment(f"day-level over-dispersion: method of moments on the offered counts of "
                  f"{a['whole_days']} whole days, SE ~{_num(a['variance_se'])} (normal "
                  "approximation)" if math.isfinite(a["variance_se"]) else
                  f"day-level over-dispersion: not estimated ({a['whole_days']} whole days, "
                  "no weekday seen twice): 0, Poisson days"),
        f"    daily_variance: {_num(a['daily_variance'])}",
        *_dist("handle", fit.handle, fit.handle.note),
        *_patience(fit, base),
    ]
    return lines


def _patience(fit: ChannelFit, base: Mapping[str, Any] | None) -> list[str]:
    """The fitted patience; when the history cannot tell, the base scenario's, ASSUMED."""
    lent = (base or {}).get("patience")
    if not fit.patience_known and lent:
        return [*_comment(f"patience ASSUMED from the base scenario: {fit.patience_note}"),
                f"    patience: {_value(lent)}"]
    if not fit.patience_known:
        return [*_comment(f"patience: {fit.patience_note}; nor does the base scenario: "
                          "customers never abandon here, set it by hand"),
                "    patience: null"]
    return _dist("patience", fit.patience, fit.patience_note)


def _days(span: tuple[float, float]) -> str:
    return f"{(span[1] - span[0]) / 1440:g}"


def scenario_yaml(cal: Calibration, name: str, sources: str,
                  base_name: str, base_channels: Mapping[str, Mapping[str, Any]],
                  base_pools: Mapping[str, Mapping[str, Any]]) -> str:
    """The scenario config of a calibration.

    Parameters
    ----------
    cal : Calibration
        The fits.
    name : str
        The config's name (its file is ``NAME.yaml``; profiles are ``<channel>_<name>``).
    sources : str
        The files it came from, for the header.
    base_name, base_channels, base_pools : str, mapping, mapping
        The base scenario's name, channels and pools (plain values), which lend what a
        history cannot tell.
    """
    unobserved = sorted({d for c in cal.channels for d in c.arrivals["unobserved_days"]},
                        key=DAYS.index)
    lines = [
        MARKER,
        f"# from {sources}",
        f"# history: {cal.origin:%Y-%m-%d} (a Monday, the model's time 0) + "
        f"{cal.start_min / 1440:g} days to + {cal.end_min / 1440:g} days, "
        f"{cal.interval_min}-min intervals",
        "# arrivals: Poisson maximum likelihood of rate x intraday x weekly (as python -m "
        "sim.fit_profile), from offered;",
        "#   offered counts every attempt, so retrials, switches and pile-ons are in the "
        "rate, not modelled apart.",
        *([f"# the history never covers {', '.join(unobserved)}: set to the mean of the "
           "other days (a guess)."] if unobserved else []),
        f"# one pool per channel; staffing in conf/staffing/{name}.yaml. Use: python -m sim "
        f"scenario={name} staffing={name}",
        "defaults:",
        "  - operation_schema",
        "  - _self_",
        "",
        f"name: {_value(f'{name}: calibrated to {sources}')}",
        f"interval: {cal.interval_min}min",
        "",
        "profiles:",
    ]
    for fit in cal.channels:
        a = fit.arrivals
        lines += [f"  {fit.name}_{name}:",
                  *_flow("intraday", [_num(v) for v in a["intraday"]], 4),
                  *_flow("weekly", [_num(v) for v in a["weekly"]], 4)]
    lines += ["", "channels:"]
    for fit in cal.channels:
        lines += _channel(fit, base_channels.get(fit.name), f"{fit.name}_{name}")
    lines += ["", "pools:"]
    for fit in cal.channels:
        concurrency = {}
        for pool in base_pools.values():
            if fit.name in (pool.get("concurrency") or {}):
                concurrency = {fit.name: pool["concurrency"][fit.name]}
                break
        extra = f", concurrency: {_value(concurrency)}" if concurrency else ""
        key = _key(fit.name)
        lines.append(f"  {key}: {{skills: {{{key}: 1.0}}{extra}, agents: 0}}")
    return "\n".join(lines) + "\n"


def staffing_yaml(cal: Calibration, name: str, sources: str) -> str:
    """The staffing config of a calibration: the history's own agents as a
    :class:`sim.policies.staffing.Schedule`, or, without them, the Erlang-A rule."""
    staffed = [c for c in cal.channels
               if c.agents is not None and np.isfinite(c.agents).any()]
    if len(staffed) < len(cal.channels):
        missing = [c.name for c in cal.channels if c not in staffed]
        return "\n".join([
            MARKER,
            f"# from {sources}: no agents for {', '.join(missing)}, so staffed by the "
            "Erlang-A rule (as conf/staffing/erlang_a.yaml),",
            "# not as the history was: a back-test compares arrivals, not waits.",
            "_target_: sim.policies.staffing.ErlangA",
            "service_level: 0.8",
            "max_occupancy: 0.85",
            "minimum: 1",
            "pileons: false",
        ]) + "\n"
    days = len(staffed[0].agents) * cal.interval_min / 1440
    lines = [
        MARKER,
        f"# from {sources}: the agents column, mean agents per interval rounded to whole",
        f"# agents, {days:g} days from {cal.origin:%Y-%m-%d} (Monday), repeated after them; "
        "intervals the",
        "# history does not cover: the same interval of the week in other weeks, else the "
        "same time of day.",
        "_target_: sim.policies.staffing.Schedule",
        "agents:",
    ]
    for fit in staffed:
        values = schedule(fit.agents, cal.interval_min)
        known = fit.agents[np.isfinite(fit.agents)]
        lines.append(f"  # {fit.name}: mean {np.mean(known):.1f} agents, at most "
                     f"{math.ceil(np.max(known))}")
        lines += _flow(_key(fit.name), [str(v) for v in values], 2, per_line=24)
    return "\n".join(lines) + "\n"
