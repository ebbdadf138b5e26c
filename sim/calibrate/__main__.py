"""``python -m sim.calibrate``: see :mod:`sim.cli.calibrate`."""

import sys

from ..cli.calibrate import main

sys.exit(main())
