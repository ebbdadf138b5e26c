"""``python -m sim``: run a study from config and write its results directory (see
:mod:`sim.cli.run`)."""

from .cli.run import main

if __name__ == "__main__":
    main()
