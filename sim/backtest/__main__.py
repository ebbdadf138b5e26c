"""``python -m sim.backtest``: see :mod:`sim.cli.backtest`."""

import sys

from ..cli.backtest import main

sys.exit(main())
