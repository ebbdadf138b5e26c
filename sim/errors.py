"""The one error a domain object raises for a value it cannot take.

Domain objects (channels, pools, distributions, policies) check their own values and raise
:class:`InvalidValue` with the field, the value and what is valid. The config layer adds
only the key path of the object (``scenario.channels.chat``), so a bad value is reported as
``scenario.channels.chat.exchanges=0: must be an integer >= 1`` without anyone parsing a
message back, and wording a message differently can never break an error report.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ConfigError", "InvalidValue"]


class InvalidValue(ValueError):
    """A value a domain object cannot take.

    Parameters
    ----------
    field : str
        Dotted path of the value within the object that refused it (``exchanges``,
        ``pileon.branching``, ``pools.phone.skills.fax``).
    value : object
        The value refused.
    valid : str
        What would be valid, as a phrase (``must be in [0, 1)``).
    """

    def __init__(self, field: str, value: Any, valid: str) -> None:
        self.field, self.value, self.valid = field, value, valid
        super().__init__(f"{field}={_show(value)}: {valid}")

    def within(self, prefix: str) -> "InvalidValue":
        """The same error, its field under ``prefix`` (an enclosing object's field)."""
        return InvalidValue(f"{prefix}.{self.field}" if prefix else self.field, self.value,
                            self.valid)


class ConfigError(ValueError):
    """A config value that cannot be simulated: names the key, the value and what is valid.

    What the config layer raises, before anything is simulated; the command line prints it
    as one line, ``config error: <key>=<value>: <what is valid>``, and exits 2.
    """

    def __init__(self, key: str, value: Any, valid: str) -> None:
        self.key, self.value, self.valid = key, value, valid
        super().__init__(f"{key}={_show(value)}: {valid}")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, tuple):
        value = list(value)
    return str(value)

