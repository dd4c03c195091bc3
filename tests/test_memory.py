"""Memory stays flat when runs follow one another in one process (sweeps with the basic
launcher, replicate sets with one worker, calibration): no model outlives its run."""

from __future__ import annotations

import gc
import weakref

import mesa
import psutil

from corridor_abm.app.settings import compose_config
from corridor_abm.model.corridor import CorridorModel
from corridor_abm.model.simulate import simulate

TINY = ["n_firms=200", "n_talent=2000", "population_share=0.01", "quarters=2", "output.progress=false"]


def test_a_finished_model_is_freed():
    """Mesa 3.3 keeps every model in ``Agent._ids``; the corridor model holds it weakly."""
    model = CorridorModel(compose_config("baseline", TINY))
    model.step()
    ref = weakref.ref(model)
    assert model in mesa.Agent._ids
    del model
    gc.collect()
    assert ref() is None


def test_memory_is_flat_over_ten_runs():
    """Ten small runs one after another: resident memory after the last is within 40 MB of
    its level after the second (before the fix each run kept ~200 MB: its three dense
    cell-by-cell matrices and populations)."""
    process = psutil.Process()
    rss = []
    for seed in range(10):
        simulate(compose_config("baseline", [*TINY, f"seed={seed}"]))
        gc.collect()
        rss.append(process.memory_info().rss / 2**20)
    assert rss[-1] - rss[1] < 40, f"resident memory grew from {rss[1]:.0f} MB to {rss[-1]:.0f} MB: {rss}"
