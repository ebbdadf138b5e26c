"""``python -m sim.calibrate``: a client's history in, a scenario and a staffing config out.

Keys, as Hydra overrides (a misspelt one stops the command, naming it):

- ``calibrate.intervals=PATH``: the interval report (required; docs/data.md);
- ``calibrate.contacts=PATH``: the contact export (optional: handle times and patience);
- ``calibrate.name=NAME``: the configs' name (default ``calibrated``);
- ``calibrate.out=DIR``: where ``DIR/conf/scenario/NAME.yaml`` and
  ``DIR/conf/staffing/NAME.yaml`` go (default ``calibrated``);
- ``calibrate.base=SCENARIO``: the scenario that lends what a history cannot tell (channel
  modes, targets, expectations; default ``default``);
- ``calibrate.handle_cv=X``: handle-time cv when only interval means are known.

The written scenario is composed and built as ``python -m sim`` would before the command
says it is done, and it prints the one command that runs it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable, Sequence

from ..calibrate import DEFAULT_HANDLE_CV, Calibration, calibrate
from ..calibrate.write import MARKER, scenario_yaml, staffing_yaml
from ..errors import ConfigError
from ..history import HistoryError, read_contacts, read_intervals

__all__ = ["CalibrateKeys", "command", "config_errors", "main", "one_line", "parse",
           "run_calibration", "search_path"]


@dataclass(frozen=True)
class CalibrateKeys:
    """The ``calibrate.*`` keys (see the module docstring)."""

    intervals: str | None = None
    contacts: str | None = None
    name: str = "calibrated"
    out: str = "calibrated"
    base: str = "default"
    handle_cv: float = DEFAULT_HANDLE_CV


def parse(argv: Sequence[str]) -> tuple[CalibrateKeys, list[str]]:
    """Split ``calibrate.KEY=VALUE`` arguments from the rest (the run's overrides).

    Raises
    ------
    ConfigError
        An unknown ``calibrate`` key, a bad value, or no ``calibrate.intervals``.
    """
    known = {f.name: f for f in fields(CalibrateKeys)}
    values: dict[str, Any] = {}
    rest = []
    for arg in argv:
        key, eq, value = arg.partition("=")
        if not key.startswith("calibrate."):
            rest.append(arg)
            continue
        field = key[len("calibrate."):]
        if field not in known or not eq:
            raise ConfigError(key, value if eq else None,
                              "a key=value of calibrate." + ", calibrate.".join(known))
        if field == "handle_cv":
            try:
                values[field] = float(value)
            except ValueError:
                raise ConfigError(key, value, "a number > 0") from None
        else:
            values[field] = value.strip() or None
    keys = CalibrateKeys(**values)
    if keys.intervals is None:
        raise ConfigError("calibrate.intervals", None, "the interval report to calibrate to "
                          "(a CSV file, docs/data.md)")
    if not keys.name or not keys.name.replace("_", "").replace("-", "").isalnum():
        raise ConfigError("calibrate.name", keys.name, "letters, digits, _ and - only")
    return keys, rest


def search_path(keys: CalibrateKeys) -> str:
    """The override that lets ``python -m sim`` find the calibrated configs."""
    return f"hydra.searchpath=[file://{Path(keys.out).resolve() / 'conf'}]"


def run_calibration(keys: CalibrateKeys) -> Calibration:
    """Read, fit, check and write the configs; returns the calibration.

    Raises
    ------
    HistoryError, ConfigError, ValueError
        Bad data, bad keys, or configs that would not simulate (nothing is written then).
    """
    from .config import build_setup, compose  # noqa: PLC0415
    from .scenario import as_plain  # noqa: PLC0415

    base = compose([f"scenario={keys.base}"]).scenario
    if base.get("_target_") != "sim.cli.scenario.build_operation":
        raise ConfigError("calibrate.base", keys.base, "a multichannel scenario (e.g. default)")
    base_channels = {name: _as_written(ch) for name, ch in as_plain(base.channels).items()}
    base_pools = as_plain(base.pools)
    report = read_intervals(keys.intervals)
    contacts = read_contacts(keys.contacts, report.channels) if keys.contacts else None
    cal = calibrate(report, contacts, keys.handle_cv)
    sources = Path(keys.intervals).name + (f" and {Path(keys.contacts).name}"
                                           if keys.contacts else "")
    texts = {"scenario": scenario_yaml(cal, keys.name, sources, keys.base, base_channels,
                                       base_pools),
             "staffing": staffing_yaml(cal, keys.name, sources)}
    conf = Path(keys.out) / "conf"
    for group in texts:
        _check_ours(conf / group / f"{keys.name}.yaml")
    # Written to a probe directory and composed from there as python -m sim would; moved
    # into place only if the run would build: a config that cannot simulate never lands.
    probe = Path(keys.out) / f".probe-{os.getpid()}"
    try:
        for group, text in texts.items():
            (probe / "conf" / group).mkdir(parents=True, exist_ok=True)
            (probe / "conf" / group / f"{keys.name}.yaml").write_text(text)
        cfg = compose([f"hydra.searchpath=[file://{(probe / 'conf').resolve()}]",
                       f"scenario={keys.name}", f"staffing={keys.name}",
                       f"run.horizon={cal.end_min:g}min", "run.warmup=0"])
        build_setup(cfg)
        for group in texts:
            (conf / group).mkdir(parents=True, exist_ok=True)
            os.replace(probe / "conf" / group / f"{keys.name}.yaml",
                       conf / group / f"{keys.name}.yaml")
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    return cal


def config_errors() -> tuple[type[Exception], ...]:
    """What Hydra and OmegaConf raise for a key or value they refuse (a misspelt run key)."""
    from hydra.errors import HydraException  # noqa: PLC0415
    from omegaconf.errors import OmegaConfBaseException  # noqa: PLC0415

    return HydraException, OmegaConfBaseException


def one_line(err: Exception) -> str:
    """An error as the one line a user reads (Hydra's carry a full explanation after)."""
    lines = []
    while err is not None and len(lines) < 2:
        text = str(err).strip()
        if text and text.splitlines()[0] not in lines:
            lines.append(text.splitlines()[0])
        err = err.__cause__
    return " ".join(line if line.endswith(".") else line + ":" for line in lines[:-1]
                    ) + (" " if len(lines) > 1 else "") + (lines[-1] if lines else
                                                          "invalid configuration")


def _as_written(channel: dict[str, Any]) -> dict[str, Any]:
    """A composed channel without what the schema filled in (defaults, unset keys)."""
    from .schema import ChannelConf  # noqa: PLC0415

    defaults = {f.name: f.default for f in fields(ChannelConf)}
    out = {}
    for key, value in channel.items():
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if v is not None}
        if value is not None and value != defaults.get(key):
            out[key] = value
    return out


def _check_ours(path: Path) -> None:
    if path.exists():
        with path.open() as f:
            if f.readline().rstrip("\n") != MARKER:
                raise ValueError(f"{path} exists and was not written by sim.calibrate: not "
                                 "overwriting it (choose another calibrate.name or .out)")


def summary(cal: Calibration) -> str:
    """A few lines per channel for the terminal."""
    lines = [f"history: {cal.origin:%Y-%m-%d} + {cal.start_min / 1440:g} to "
             f"{cal.end_min / 1440:g} days, {cal.interval_min}-min intervals",
             f"{'channel':<10}{'rate/h':>9}{'daily_var':>10}  {'handle':<34}patience"]
    for c in cal.channels:
        h, p = c.handle, c.patience
        handle = f"{h.dist} {h.mean:.2f} min (SE {h.mean_se:.2g})"
        patience = (f"{p.dist} {p.mean:.2f} min (SE {p.mean_se:.2g})" if p is not None
                    else c.patience_note)
        lines.append(f"{c.name:<10}{c.arrivals['rate_per_hour']:>9.4g}"
                     f"{c.arrivals['daily_variance']:>10.3g}  {handle:<34}{patience}")
    return "\n".join(lines)


def command(prog: str, doc: str, argv: Sequence[str] | None,
            act: Callable[[CalibrateKeys, list[str]], int]) -> int:
    """The shell of ``python -m sim.calibrate`` and ``python -m sim.backtest``: ``--help``
    prints ``doc``; the ``calibrate.*`` keys are parsed and ``act(keys, other_args)`` runs;
    bad input exits 2 after one line on stderr naming ``prog``."""
    args = sys.argv[1:] if argv is None else list(argv)
    if any(a in ("-h", "--help") for a in args):
        print(doc)
        return 0
    try:
        return act(*parse(args))
    except (HistoryError, ConfigError, ValueError, OSError, *config_errors()) as err:
        print(f"{prog}: {one_line(err)}", file=sys.stderr)
        return 2


def _calibrate(keys: CalibrateKeys, rest: list[str]) -> int:
    if rest:
        raise ConfigError(rest[0].partition("=")[0], rest[0].partition("=")[2] or None,
                          "python -m sim.calibrate takes calibrate.* keys only")
    cal = run_calibration(keys)
    out = Path(keys.out)
    print(summary(cal))
    print(f"wrote {out / 'conf' / 'scenario' / (keys.name + '.yaml')} and "
          f"{out / 'conf' / 'staffing' / (keys.name + '.yaml')}")
    print(f"run it: python -m sim {shlex.quote(search_path(keys))} scenario={keys.name} "
          f"staffing={keys.name}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The command; returns its exit status (2 after one message for bad input)."""
    return command("calibrate", __doc__, argv, _calibrate)
