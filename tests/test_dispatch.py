"""Batches of simulations through a cluster engine (calibration/dispatch.py) give the same
results as local runs for the same seeds: submitit's local executor (the SLURM path rehearsed
on this machine) and, where Ray is installed, a local Ray instance."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from corridor_abm.app.experiments import run_replicates
from corridor_abm.app.settings import compose_config
from corridor_abm.calibration import dispatch
from corridor_abm.calibration.evaluate import MomentTask, run_parallel, run_task

TINY = ["n_firms=200", "n_talent=2000", "population_share=0.01", "quarters=3", "output.progress=false"]


@pytest.fixture
def engine():
    """Set a cluster engine for the test, and back to local afterwards."""

    def use(name: str, folder) -> None:
        dispatch.configure(dispatch.ClusterParams(engine=name, folder=str(folder)))

    yield use
    dispatch.configure(dispatch.ClusterParams())


def _tasks() -> list[MomentTask]:
    return [MomentTask(compose_config("baseline", [*TINY, f"seed={s}"]), outcomes=True) for s in (1, 2, 3)]


def test_calibration_batches_through_submitit_equal_local(engine, tmp_path):
    tasks = _tasks()
    local = np.array(run_parallel(run_task, tasks, workers=1))
    engine("submitit_local", tmp_path / "jobs")
    remote = np.array(run_parallel(run_task, tasks, workers=2))
    assert np.isfinite(local).all()
    np.testing.assert_array_equal(local, remote)


def test_replicate_set_through_submitit_equals_local(engine, tmp_path):
    config = compose_config("baseline", [*TINY, "replicates=2", "workers=1", "output.plots=false"])
    run_replicates(config, tmp_path / "local")
    engine("submitit_local", tmp_path / "jobs")
    run_replicates(config, tmp_path / "submitit")
    for k in range(2):
        a = pd.read_parquet(tmp_path / "local" / f"rep_{k:03d}" / "tables" / "city_quarter.parquet")
        b = pd.read_parquet(tmp_path / "submitit" / f"rep_{k:03d}" / "tables" / "city_quarter.parquet")
        pd.testing.assert_frame_equal(a, b)


@pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason="Ray is not installed (pip install -e '.[cluster]')"
)
def test_calibration_batches_through_ray_equal_local(engine, tmp_path):
    tasks = _tasks()[:2]
    local = np.array(run_parallel(run_task, tasks, workers=1))
    engine("ray_local", tmp_path)
    remote = np.array(run_parallel(run_task, tasks, workers=1))
    np.testing.assert_array_equal(local, remote)
