"""``python -m sim.optimize [key=value ...]``: see :mod:`sim.cli.optimize`."""

from ..cli.optimize import cli

if __name__ == "__main__":
    cli()
