"""``python -m sim.roster [key=value ...]``: see :mod:`sim.cli.roster`."""

from ..cli.roster import cli

if __name__ == "__main__":
    cli()
