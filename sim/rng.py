"""Named random streams: one independent generator per (seed, replication, purpose).

Common random numbers are what make policy comparisons tight: two runs that share a
seed must draw exactly the same customers whatever their policies do. That holds only if
every random source owns its stream, keyed by *what it is for* rather than by the order in
which the model happens to ask, so each purpose name is hashed into the spawn key.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _purpose_key(purpose: str) -> tuple[int, ...]:
    """Stable integer words for a purpose name (Python's ``hash`` is salted per process)."""
    digest = hashlib.blake2b(purpose.encode("utf-8"), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def stream(seed: int, replication: int, purpose: str) -> np.random.Generator:
    """The generator for one random purpose in one replication.

    Parameters
    ----------
    seed : int
        The study's seed (non-negative).
    replication : int
        Replication index, from 0.
    purpose : str
        What the numbers are for, e.g. ``"arrivals/twitter"`` or ``"handle/phone"``.
        Different purposes give statistically independent streams.

    Returns
    -------
    numpy.random.Generator
        A PCG64 generator; the same arguments always give the same numbers.
    """
    if seed < 0 or replication < 0:
        raise ValueError(f"seed and replication must be >= 0, got {seed}, {replication}")
    seq = np.random.SeedSequence(entropy=seed, spawn_key=(replication, *_purpose_key(purpose)))
    return np.random.Generator(np.random.PCG64(seq))


class Streams:
    """The random streams of one replication, created on first use by purpose name.

    Parameters
    ----------
    seed : int
        The study's seed.
    replication : int
        Replication index, from 0.
    """

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self._cache: dict[str, np.random.Generator] = {}

    def __call__(self, purpose: str) -> np.random.Generator:
        """The generator for ``purpose`` (the same object on every call)."""
        gen = self._cache.get(purpose)
        if gen is None:
            gen = self._cache[purpose] = stream(self.seed, self.replication, purpose)
        return gen
