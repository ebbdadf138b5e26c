"""A progress bar in simulated time, for runs long enough to wonder about."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator

from tqdm import tqdm

from .replications import Setup


@contextmanager
def progress_bar(setup: Setup, enabled: bool = True) -> Iterator[Callable[[float], None] | None]:
    """Yield a callback taking simulated minutes, drawing a bar over all replications.

    Yields None when ``enabled`` is false; draws nothing when stderr is not a terminal.
    """
    if not enabled:
        yield None
        return
    total_days = setup.run.horizon_min * setup.run.replications / 1440
    # disable=None: no bar when stderr is not a terminal (CI logs, batch jobs).
    with tqdm(total=round(total_days, 3), unit="sim-day", desc="simulating", file=sys.stderr,
              disable=None, mininterval=0.5, leave=False,
              bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} sim-days "
                         "[{elapsed}<{remaining}]") as bar:
        def update(minutes: float) -> None:
            bar.update(minutes / 1440)
        yield update
