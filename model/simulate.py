"""Config in, results out: the pure entry point of the simulation.

:func:`simulate` is a function of the configuration alone (EMA-workbench style): sweeps,
replicates and calibration call it directly. Writing a run to disk is :mod:`model.runio`'s job;
plotting lives in :mod:`reporting`, which this module never imports.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from corridor_abm.model.config import Config
from corridor_abm.model.corridor import CorridorModel
from corridor_abm.model.geography import CorridorMap


@dataclass
class RunResult:
    """What one simulation produces.

    Attributes:
        config: The configuration that was run (as given, run control included).
        tables: Tidy tables by name (see README, "Output tables").
        cmap: The corridor map (for plots).
        wall_seconds: Wall time of the simulation.
        talent_scale: Real workers per talent agent.
        extra: Anything else worth keeping in the provenance.
    """

    config: Config
    tables: dict[str, pd.DataFrame]
    cmap: CorridorMap
    wall_seconds: float
    talent_scale: float
    extra: dict[str, Any] = field(default_factory=dict)


def simulate(
    cfg: Config, progress: bool = False, snapshot_every: int = 4, structural: tuple[str, ...] = ()
) -> RunResult:
    """Build the model from ``cfg``, run the whole horizon and return its tables.

    Args:
        cfg: A configuration (validated here).
        progress: Show a progress bar on stderr.
        snapshot_every: A spatial snapshot every this many quarters (``output.snapshot_every``).
        structural: Lever keys treated as structure (:class:`model.corridor.CorridorModel`).

    Returns:
        The run's result.
    """
    start = time.perf_counter()
    model = CorridorModel(cfg, snapshot_every=snapshot_every, structural=structural)
    model.run(progress=progress)
    s = model.state
    result = RunResult(
        config=cfg,
        tables=model.tables(),
        cmap=s.map,
        wall_seconds=time.perf_counter() - start,
        talent_scale=s.talent_scale,
        extra={"firms_final": int(s.firms.count), "talent_agents_final": int(s.talent.count)},
    )
    # the model and its agents refer to each other: free its arrays now, not at some later
    # full collection, so that runs one after another in a process keep memory flat
    del model, s
    gc.collect()
    return result
