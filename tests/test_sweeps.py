"""Sweeps (hydra multirun) end to end: the local parallel launcher, the collected tidy table,
restart of a half-finished sweep, the submitit launcher with its local executor, and the
cluster launcher configs."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pandas as pd
import pytest

from corridor_abm.app.settings import register_configs
from corridor_abm.model.config import SCENARIO_DIR
from corridor_abm.model.runio import is_complete
from corridor_abm.reporting.collect import COLLECTED_TABLE, collect_sweep, job_dirs, main, swept_keys
from corridor_abm.reporting.compare import load_run_sets
from tests.conftest import SWEEP, multirun

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sweep(shared_sweep) -> Path:
    """Four jobs (2 scenarios × 2 values of land.hz_supply) in two local worker processes."""
    return shared_sweep


def test_a_sweep_is_collected_into_one_tidy_table_with_the_swept_parameters(sweep):
    jobs = job_dirs(sweep)
    assert [j.name for j in jobs] == ["0", "1", "2", "3"] and all(is_complete(j) for j in jobs)
    table = pd.read_parquet(sweep / COLLECTED_TABLE)
    assert len(table) == 4 * 2 * 4  # jobs × quarters × cities
    assert {"scenario_name", "seed", "land.hz_supply", "job", "city", "quarter", "firms"} <= set(table.columns)
    assert "quarters" not in table.columns, "a constant override is not a swept parameter"
    combos = table.groupby(["scenario_name", "land.hz_supply"]).size()
    assert combos.to_dict() == {
        ("baseline", 0.5): 8,
        ("baseline", 1.0): 8,
        ("s2_land_exhaustion", 0.5): 8,
        ("s2_land_exhaustion", 1.0): 8,
    }
    assert table["land.hz_supply"].dtype.kind == "f" and (table["seed"] == 20180101).all()
    assert swept_keys(sweep) == ["scenario", "land.hz_supply"]


def test_a_restarted_sweep_skips_complete_jobs(sweep, tmp_path):
    sweep_dir = tmp_path / "restarted"
    shutil.copytree(sweep, sweep_dir)
    (sweep_dir / "3" / "provenance.json").unlink()  # job 3 was interrupted
    (sweep_dir / COLLECTED_TABLE).unlink()
    kept = {j: (sweep_dir / j / "tables" / "city_quarter.parquet").stat().st_mtime_ns for j in ("0", "1", "2")}
    proc = multirun(SWEEP, sweep_dir)
    assert proc.stderr.count("already complete, skipping") + proc.stdout.count("already complete, skipping") == 3
    for job, mtime in kept.items():
        assert (sweep_dir / job / "tables" / "city_quarter.parquet").stat().st_mtime_ns == mtime, job
    assert is_complete(sweep_dir / "3") and (sweep_dir / COLLECTED_TABLE).is_file()


def test_collect_skips_and_reports_incomplete_jobs(sweep, tmp_path, capsys):
    sweep_dir = tmp_path / "half"
    shutil.copytree(sweep, sweep_dir)
    (sweep_dir / "1" / "provenance.json").unlink()
    table = collect_sweep(sweep_dir)
    assert sorted(table["job"].unique()) == [0, 2, 3]
    assert table.attrs["skipped"] == [str(sweep_dir / "1")]
    assert main([str(sweep_dir)]) == 0
    out = capsys.readouterr().out
    assert "3 job(s)" in out and "skipped (incomplete or damaged" in out
    with pytest.raises(FileNotFoundError, match="no sweep jobs"):
        collect_sweep(tmp_path)


def test_compare_groups_a_sweep_by_scenario_and_swept_parameters(sweep):
    sets = load_run_sets([sweep])
    assert [s.label for s in sets] == [
        "baseline [land.hz_supply=0.5]",
        "baseline [land.hz_supply=1]",
        "s2_land_exhaustion [land.hz_supply=0.5]",
        "s2_land_exhaustion [land.hz_supply=1]",
    ]
    assert all(s.seeds == [20180101] for s in sets)


def test_the_submitit_launcher_runs_a_sweep_with_its_local_executor(tmp_path):
    sweep_dir = tmp_path / "submitit"
    multirun(["hydra/launcher=slurm_local", "seed=range(0,2)"], sweep_dir)
    assert (sweep_dir / ".submitit").is_dir(), "jobs went through submitit"
    assert all(is_complete(sweep_dir / j) for j in ("0", "1"))
    table = pd.read_parquet(sweep_dir / COLLECTED_TABLE)
    assert sorted(table["seed"].unique()) == [0, 1]


def _launcher(name: str):
    from hydra import compose, initialize_config_dir

    register_configs()
    with initialize_config_dir(config_dir=str(SCENARIO_DIR), version_base="1.3"):
        return compose(config_name="config", overrides=[f"hydra/launcher={name}"], return_hydra_config=True).hydra


def test_launcher_configs_compose_with_single_threaded_jobs():
    local = _launcher("local_parallel").launcher
    assert local._target_.endswith("JoblibLauncher") and local.n_jobs == 2
    slurm = _launcher("slurm").launcher
    assert slurm._target_.endswith("SlurmLauncher") and slurm.cpus_per_task == 1
    assert any("OMP_NUM_THREADS=1" in line for line in slurm.setup)
    rehearsal = _launcher("slurm_local").launcher
    assert rehearsal._target_.endswith("submitit_launcher.LocalLauncher")
    assert _launcher("basic").callbacks.collect._target_ == "corridor_abm.app.sweeps.SweepCallback"


def test_the_ray_launcher_config_names_the_missing_plugin():
    if importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is not None:
        ray = _launcher("ray_cluster").launcher
        assert ray._target_.endswith("RayLauncher") and ray.ray.remote.num_cpus == 1
        return
    with pytest.raises(Exception, match="hydra/launcher/ray"):
        _launcher("ray_cluster")
    text = (SCENARIO_DIR / "hydra" / "launcher" / "ray_cluster.yaml").read_text()
    assert 'pip install -e ".[ray]"' in text


def test_jobs_of_parallel_launchers_draw_no_progress_bars():
    from hydra import compose, initialize_config_dir
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import open_dict

    from corridor_abm.app.experiments import show_progress
    from corridor_abm.app.settings import compose_config

    register_configs()
    previous = HydraConfig.instance().cfg
    try:
        for launcher, mode, expected in (
            ("local_parallel", "MULTIRUN", False),
            ("slurm_local", "MULTIRUN", False),
            ("basic", "MULTIRUN", True),
            ("local_parallel", "RUN", True),
        ):
            with initialize_config_dir(config_dir=str(SCENARIO_DIR), version_base="1.3"):
                cfg = compose(config_name="config", overrides=[f"hydra/launcher={launcher}"], return_hydra_config=True)
            with open_dict(cfg):
                cfg.hydra.mode = mode
            HydraConfig.instance().set_config(cfg)
            config = compose_config("baseline")
            assert config.output.progress is True
            assert show_progress(config) is expected, (launcher, mode)
            config.output.progress = False
            assert show_progress(config) is False
    finally:
        HydraConfig.instance().cfg = previous
