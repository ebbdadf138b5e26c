"""``python -m sim.optimize [key=value ...]``: see :mod:`sim.optimize.cli`."""

from .cli import cli

if __name__ == "__main__":
    cli()
