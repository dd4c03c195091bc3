"""Named random streams derived from one master seed.

Every random process of the model (job search, housing choice, firm location review, entry,
...) draws from its own stream, and each stream is re-derived every quarter from
``(master seed, stream name, quarter)`` with :class:`numpy.random.SeedSequence`. A policy that
changes how many draws one process makes in one quarter therefore leaves every other process,
and every later quarter of the same process, untouched: scenario and baseline runs share their
random numbers wherever their states agree (common random numbers).
"""

from __future__ import annotations

import zlib

import numpy as np

INIT_QUARTER = -1
"""Quarter index used for draws made while building the initial population."""


def stream_key(name: str) -> int:
    """Stable 32-bit key of a stream name (independent of Python's hash seed)."""
    return zlib.crc32(name.encode("utf-8"))


class RandomStreams:
    """Factory of per-process, per-quarter random generators.

    Args:
        master_seed: The run's single master seed.

    Example:
        >>> streams = RandomStreams(42)
        >>> rng = streams.get("labour", quarter=3)
        >>> float(rng.random()) == float(RandomStreams(42).get("labour", quarter=3).random())
        True
    """

    def __init__(self, master_seed: int) -> None:
        self.master_seed = int(master_seed)

    def get(self, name: str, quarter: int = INIT_QUARTER) -> np.random.Generator:
        """A fresh generator for one process in one quarter.

        Args:
            name: Process name, e.g. ``"labour"``.
            quarter: Quarter index (0 = first simulated quarter; negative for set-up and burn-in).

        Returns:
            A PCG64 generator; calling again with the same arguments gives the same draws.
        """
        seq = np.random.SeedSequence(entropy=self.master_seed, spawn_key=(stream_key(name), quarter + 1_000))
        return np.random.Generator(np.random.PCG64(seq))


def replicate_seeds(master_seed: int, n: int) -> list[int]:
    """Seeds of n replicates spawned from one master seed (SeedSequence.spawn).

    Args:
        master_seed: The master seed of the experiment.
        n: Number of replicates.

    Returns:
        n distinct 63-bit integer seeds, the same for the same master seed.
    """
    children = np.random.SeedSequence(master_seed).spawn(n)
    return [int(c.generate_state(2, dtype=np.uint32).view(np.uint64)[0] >> np.uint64(1)) for c in children]
