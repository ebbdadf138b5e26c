"""``python -m sim.optimize [key=value ...]``: see :mod:`sim.optimize.command`."""

from .command import cli

if __name__ == "__main__":
    cli()
