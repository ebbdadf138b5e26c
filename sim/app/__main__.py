"""``python -m sim.app``: serve the teaching lab's interactive page on this machine.

Usage: ``python -m sim.app [--port 8050] [--host 127.0.0.1]``, then open the address it
prints. Needs the ``app`` extra (``pip install -e ".[app]"``); without it, one line says so.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.app",
                                     description="The CareQueue teaching lab in a browser.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (0.0.0.0: the whole lab network)")
    parser.add_argument("--port", type=int, default=8050)
    args = parser.parse_args(argv)
    try:
        from .page import create_app  # noqa: PLC0415 - Dash only for the page
    except ModuleNotFoundError as err:
        print(f"python -m sim.app needs {err.name}: pip install -e \".[app]\"", file=sys.stderr)
        return 2
    print(f"CareQueue teaching lab: http://{args.host}:{args.port}/  (Ctrl-C stops it)",
          flush=True)
    create_app().run(host=args.host, port=args.port, debug=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
