"""Settings of a job: override keys and values spelt one way, and lookups in its config.

Hydra writes an override as ``key=value``, ``+key=value`` (append), ``++key=value`` (append
or set) or ``~key`` (delete). The prefix says how the value got into the config, not which
setting it is: ``++staffing.agents.twitter=3`` and ``staffing.agents.twitter=3`` set the same
key. Every comparison of keys (job overrides, ``--baseline``, ``--treat``) goes through
:func:`norm_key`, so the prefix never matters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml


def norm_key(key: str) -> str:
    """An override key without its Hydra prefix: ``++a.b``, ``+a.b``, ``~a.b`` -> ``a.b``."""
    return str(key).strip().lstrip("+~")


def norm_value(value: Any) -> str | None:
    """A setting as a string, spelt the same whether it came from an override or a config."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    text = str(value)
    # Hydra's sweeper re-spells a plain `false` override as `False`.
    return text.lower() if text.lower() in ("true", "false") else text


def parse_override(line: str) -> tuple[str, str | None]:
    """``key=value`` (also ``+key=``, ``++key=``, ``~key``) -> ``(key, value)``."""
    line = str(line).strip()
    deleted = line.startswith("~")
    key, sep, value = norm_key(line).partition("=")
    if deleted and not sep:
        return key, "~deleted"
    return key, norm_value(value) if sep else None


def overrides_dict(lines: Iterable[str]) -> dict[str, str | None]:
    """Override lines as ``{key: value}``, keys without their Hydra prefix."""
    return dict(parse_override(line) for line in lines)


def parse_setting(text: str | tuple[str, str], what: str = "baseline") -> tuple[str, str]:
    """``"KEY=VALUE"`` (any Hydra prefix on KEY) -> ``(key, value)``, spelt as job settings are.

    Raises
    ------
    ValueError
        If ``text`` is not ``KEY=VALUE``.
    """
    if isinstance(text, tuple):
        key, value = text
        return norm_key(key), norm_value(value) or ""
    key, sep, value = str(text).partition("=")
    if not sep or not norm_key(key):
        raise ValueError(f"{what} {text!r} must be KEY=VALUE, e.g. routing=siloed")
    return norm_key(key), norm_value(value.strip()) or ""


def same_value(a: str | None, b: str | None) -> bool:
    """Whether two settings are equal, as strings or as numbers (``4`` and ``4.0``)."""
    if a == b:
        return True
    try:
        return float(a) == float(b)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def config_path(key: str) -> tuple[str, ...]:
    """Where an override key lives in the composed config: ``routing/organisation`` ->
    ``("routing", "organisation")``, ``db@backup`` -> ``("backup",)``."""
    key = norm_key(key)
    group, _, package = key.partition("@")
    return tuple((package or group).replace("/", ".").split("."))


def lookup(config: Mapping[str, Any] | None, key: str | tuple[str, ...]) -> Any:
    """The value at a dotted key (or path) of a nested mapping; None when absent."""
    node: Any = config
    for part in key.split(".") if isinstance(key, str) else key:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def drop(config: dict[str, Any], path: tuple[str, ...]) -> None:
    """Delete the value at ``path`` of a nested dict in place (nothing when absent)."""
    node: Any = config
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(path[-1], None)


def varying(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The keys whose value differs between rows (a key absent from a row counts as None)."""
    rows = list(rows)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return [k for k in keys if len({norm_value(r.get(k)) for r in rows}) > 1]


def read_yaml(path: Path) -> Any:
    """A YAML file's content, or None when it is absent or unreadable."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
