"""The calibration commands on a tiny configuration: a calibration of a few evaluations that
completes and resumes from its checkpoint, parameter recovery, and a sensitivity smoke test.
(The real runs take tens of minutes; their commands and results are in docs/calibration.md.)"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

import corridor_abm.calibration.calibrate as calibrate_module
import corridor_abm.calibration.sensitivity as sensitivity_module
from corridor_abm.app.settings import compose_config
from corridor_abm.calibration.calibrate import run_calibration
from corridor_abm.calibration.evaluate import sample_config, simulate_moments
from corridor_abm.calibration.recovery import run_recovery
from corridor_abm.calibration.sensitivity import run_sensitivity
from corridor_abm.calibration.spec import flatten, load_targets, select_parameters
from corridor_abm.model.runio import is_complete

FREE = ["firms.rd_city_factor.sz", "entry.founding_rate"]


def tiny(**settings):
    """A configuration whose calibration simulations take well under a second."""
    cfg = compose_config(
        "baseline",
        [
            "calibration.n_firms=600",
            "calibration.n_talent=6000",
            "calibration.population_share=0.025",
            "calibration.quarters=4",
            "calibration.workers=1",
            "calibration.replicates=1",
            "calibration.report_replicates=2",
        ],
    )
    for key, value in settings.items():
        setattr(cfg.calibration, key, value)
    return cfg


def test_a_short_calibration_completes_writes_its_outputs_and_resumes(tmp_path, monkeypatch):
    cfg = tiny(free=FREE, population=4, generations=1, install=True, name="trial")
    installed_dir = tmp_path / "installed"
    installed_dir.mkdir()
    (installed_dir / "trial.yaml").write_text("# @package _global_\ncalibrated_set: trial\nvc:\n  n_funds: 123\n")
    monkeypatch.setattr(calibrate_module, "CALIBRATED_DIR", installed_dir)
    out = tmp_path / "run"
    first = run_calibration(cfg, out)
    installed = flatten(OmegaConf.to_container(OmegaConf.load(installed_dir / "trial.yaml")))
    assert installed["calibrated_set"] == "trial" and installed["vc.n_funds"] == 123  # names itself, keeps the rest
    assert {k: installed[k] for k in FREE} == pytest.approx(first.values)
    cfg.calibration.install = False
    assert first.evaluations_made == 8 and first.state.evaluations == 8 and first.state.generation == 1
    for name in ("calibrated.yaml", "report.md", "report.csv", "evaluations.csv", "checkpoint.json", "fit.png"):
        assert (out / name).is_file(), name
    assert is_complete(out)
    # the start point is a member of the first population, so the best is no worse than it
    assert first.state.best_energy <= first.state.log[0]["loss"]
    report = pd.read_csv(out / "report.csv")
    assert list(report["name"]) == [t.name for t in load_targets()]
    fitted = report[report["role"] == "fit"]
    assert len(fitted) > 10 and fitted["model_p05"].le(fitted["model_p95"]).all()
    calibrated = flatten(OmegaConf.to_container(OmegaConf.load(out / "calibrated.yaml")))
    assert calibrated == pytest.approx(first.values) and set(calibrated) == set(FREE)
    for p in select_parameters(FREE, "calibrate"):
        assert p.lower <= calibrated[p.name] <= p.upper

    # an interrupted rerun leaves no completion marker, but keeps the checkpoint
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(calibrate_module, "minimise", interrupted)
    cfg.calibration.generations = 2
    with pytest.raises(KeyboardInterrupt):
        run_calibration(cfg, out)
    assert not is_complete(out) and (out / "checkpoint.json").is_file()
    monkeypatch.undo()

    second = run_calibration(cfg, out)
    assert second.evaluations_made == 4  # one more generation, not a restart
    assert second.state.evaluations == 12 and second.state.generation == 2
    assert [h["generation"] for h in second.state.history] == [0, 1, 2]
    assert second.state.best_energy <= first.state.best_energy
    assert is_complete(out)
    assert json.loads((out / "provenance.json").read_text())["evaluations"] == 12


def test_recovery_on_a_cheap_configuration_recovers_a_parameter(tmp_path):
    targets = [t for t in load_targets() if t.moment == "rd_intensity"]
    cfg = tiny(
        free=["firms.rd_city_factor.sz", "market.adjustment_speed"],
        population=5,
        recovery_generations=1,
        recovery_draws=3,
    )
    summary = run_recovery(cfg, tmp_path, targets=targets).set_index("parameter")
    assert set(summary.columns) >= {"bias", "rmse_unit", "rmse_prior_unit", "rmse_ratio", "correlation", "verdict"}
    rd = summary.loc["firms.rd_city_factor.sz"]
    assert rd["verdict"] == "recovered" and rd["rmse_ratio"] < 0.7
    draws = pd.read_csv(tmp_path / "recovery_draws.csv")
    d = draws[draws["parameter"] == "firms.rd_city_factor.sz"]
    assert np.all(np.abs(d["recovered_unit"] - d["true_unit"]) < 0.25)  # within a quarter of its box
    # each row carries its own draw's best loss (the table runs by parameter, then draw)
    for k, rows in draws.groupby("draw"):
        best = min(json.loads((tmp_path / f"draw_{k}" / "checkpoint.json").read_text())["energies"])
        assert np.allclose(rows["loss"], best)
    assert draws.groupby("draw")["loss"].first().nunique() > 1
    assert "Not recoverable" in (tmp_path / "recovery.md").read_text()
    assert is_complete(tmp_path)


def test_sensitivity_smoke_and_resume(tmp_path, monkeypatch):
    cfg = tiny(
        screen=["entry.founding_rate", "market.adjustment_speed"],
        morris_trajectories=2,
        sobol_top=1,
        sobol_samples=2,
        sensitivity_quarters=3,
    )
    morris, sobol = run_sensitivity(cfg, tmp_path)
    assert len(morris) == 2 * 3 and len(sobol) == 1 * 3
    assert len(pd.read_csv(tmp_path / "morris_runs.csv")) == 2 * 3
    assert len(pd.read_csv(tmp_path / "sobol_runs.csv")) == 2 * (1 + 2)
    price = morris[morris["outcome"] == "sz_house_price_end"].set_index("parameter")
    assert price.loc["market.adjustment_speed", "mu_star"] > 0  # rents move faster: prices move
    assert (tmp_path / "sensitivity.png").is_file() and is_complete(tmp_path)

    def no_simulation(task):
        raise AssertionError("a resumed analysis must not rerun finished simulations")

    monkeypatch.setattr(sensitivity_module, "run_task", no_simulation)
    morris2, _ = run_sensitivity(cfg, tmp_path)
    assert np.allclose(morris2["mu_star"], morris["mu_star"])


def test_parallel_and_serial_simulations_agree(monkeypatch):
    import corridor_abm.calibration.evaluate as evaluate

    monkeypatch.setattr(evaluate, "TASKS_PER_WORKER", 1)  # the second batch runs on a fresh pool
    base = sample_config(tiny(), quarters=4)
    targets = [t for t in load_targets() if t.model_year == "2018"]
    vectors = [{}, {"firms.rd_city_factor.sz": 1.8}]
    serial = simulate_moments(base, vectors, [1], targets, workers=1)
    parallel = simulate_moments(base, vectors, [1], targets, workers=2)
    again = simulate_moments(base, vectors[::-1], [1], targets, workers=2)
    assert np.isfinite(serial).all() and np.array_equal(serial, parallel)
    assert np.array_equal(again[::-1], parallel)


def test_a_worker_keeps_no_finished_model_in_memory():
    import gc

    from corridor_abm.calibration.evaluate import MomentTask, run_task
    from corridor_abm.model.corridor import CorridorModel

    gc.collect()
    alive_before = sum(isinstance(o, CorridorModel) for o in gc.get_objects())
    cfg = sample_config(tiny(), quarters=1)
    run_task(MomentTask(cfg, tuple(load_targets()[:2])))
    run_task(MomentTask(cfg, outcomes=True))
    assert sum(isinstance(o, CorridorModel) for o in gc.get_objects()) == alive_before


def test_the_installed_calibrated_set_fits_the_targets_better_than_the_defaults():
    """Guards scenarios/calibrated/default.yaml against model changes that undo its fit."""
    from corridor_abm.calibration.calibrate import CALIBRATED_DIR, read_calibrated
    from corridor_abm.calibration.loss import msm_loss, weights
    from corridor_abm.calibration.spec import apply_values, get_value
    from corridor_abm.model.config import Config

    installed = {k: v for k, v in read_calibrated(CALIBRATED_DIR / "default.yaml").items() if k != "calibrated_set"}
    if not installed:
        pytest.skip("no calibrated set installed")
    cfg = compose_config("baseline", ["calibration.n_firms=1250", "calibration.n_talent=12500"])
    cfg.calibration.population_share = 0.05
    calibrated = sample_config(cfg)
    assert all(get_value(calibrated, k) == pytest.approx(v) for k, v in installed.items())
    defaults = apply_values(calibrated, {k: get_value(Config(), k) for k in installed})
    targets = load_targets(role="fit")
    w = weights(targets)
    fit = [
        msm_loss(simulate_moments(c, [{}], [1, 2], targets, workers=1)[0], targets, w) for c in (calibrated, defaults)
    ]
    assert fit[0] < 0.5 * fit[1], fit
