"""``python -m sim``: run a study from config and write its results directory (see
:mod:`sim.cli.run`).

When the run is over, the process leaves without tearing the interpreter down: every exit
handler runs (log files are flushed, pools and threads end), then the process exits with the
status the run set. Freeing each of the run's objects and modules one by one would only
keep the user waiting, about a quarter of a second after a long run.

Hydra's composition that only reads ``hydra.mode`` is skipped
(:func:`sim.cli.run.compose_once`).
"""

from __future__ import annotations

import atexit
import os
import sys

_status = 1  # until the run says otherwise


def _leave() -> None:
    """The last exit handler: flush the standard streams and exit with the run's status."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or a pipe the reader closed
            pass
    os._exit(_status)


def run() -> None:
    """The ``python -m sim`` and ``carequeue`` command."""
    global _status
    # Registered before anything else is imported: exit handlers run last-registered first,
    # so this one runs after every other.
    atexit.register(_leave)
    from .lifeline import mark_parent  # noqa: PLC0415

    mark_parent()  # the sweep's workers end with this process (sim/lifeline.py)
    from .cli.overrides import add_channels_and_pools, defer_to_swept_groups  # noqa: PLC0415
    from .cli.run import compose_once, main  # noqa: PLC0415

    sys.argv[1:] = add_channels_and_pools(sys.argv[1:])
    compose_once(sys.argv[1:])
    if "-m" in sys.argv or "--multirun" in sys.argv:
        # A key inside a swept group (escalation.follow beside escalation=a,b) is set per job.
        sys.argv[1:] = defer_to_swept_groups(sys.argv[1:])
    try:
        main()
        _status = 0
    except SystemExit as done:
        code = done.code
        _status = code if isinstance(code, int) else 0 if code is None else 1
        raise
    except KeyboardInterrupt:
        _status = 130
        raise


if __name__ == "__main__":
    run()
