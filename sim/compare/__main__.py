"""``python -m sim.compare PATH [PATH ...]``: see :mod:`sim.compare.cli`."""

import sys

from .cli import main

sys.exit(main())
