"""Replicates (seeds spawned from one master seed, a summary with a 90% band), resume of
complete runs, and progress on the terminal."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from corridor_abm.app.experiments import (
    comparable_config,
    finished_with,
    run_mode,
    run_single,
)
from corridor_abm.app.settings import compose_config
from corridor_abm.model.params import ConfigError
from corridor_abm.model.rng import replicate_seeds
from corridor_abm.model.runio import is_complete
from tests.conftest import TINY_SAMPLE

TINY = ["quarters=4", *TINY_SAMPLE, "output.plots=false"]


def tiny_config(scenario: str = "baseline", *overrides: str):
    """A tiny configuration composed like the command line does."""
    return compose_config(scenario, [*TINY, *overrides])


def _mtime(path: Path) -> int:
    return path.stat().st_mtime_ns


@pytest.fixture(scope="module")
def replicate_set(tmp_path_factory) -> Path:
    """Two replicates of the tiny baseline, run in two worker processes, with summary plots."""
    out = tmp_path_factory.mktemp("replicates") / "baseline"
    run_mode(tiny_config("baseline", "replicates=2", "output.plots=true"), out)
    return out


def test_replicates_write_complete_runs_with_seeds_spawned_from_the_master_seed(replicate_set):
    prov = json.loads((replicate_set / "provenance.json").read_text())
    seeds = replicate_seeds(20180101, 2)
    assert is_complete(replicate_set)
    assert prov["kind"] == "replicates" and prov["replicate_seeds"] == seeds and prov["seed"] == 20180101
    assert len(set(seeds)) == 2
    for k, seed in enumerate(seeds):
        rep = replicate_set / f"rep_{k:03d}"
        assert is_complete(rep)
        rep_prov = json.loads((rep / "provenance.json").read_text())
        assert rep_prov["seed"] == seed and rep_prov["config"]["replicates"] == 1
        assert (rep / "tables" / "city_quarter.parquet").is_file()
    a, b = (pd.read_parquet(replicate_set / f"rep_{k:03d}/tables/city_quarter.parquet") for k in (0, 1))
    assert not a["talent"].equals(b["talent"]), "replicates with different seeds should differ"


def test_summary_holds_mean_and_90_percent_band_over_replicates(replicate_set):
    summary = pd.read_parquet(replicate_set / "tables" / "summary_city_quarter.parquet")
    assert list(summary.columns) == ["quarter", "t", "city", "variable", "mean", "p05", "p95", "n"]
    assert (summary["n"] == 2).all()
    assert len(summary[summary["variable"] == "firms"]) == 4 * 4
    assert (summary["p05"] <= summary["mean"] + 1e-9).all() and (summary["mean"] <= summary["p95"] + 1e-9).all()
    reps = [pd.read_parquet(replicate_set / f"rep_{k:03d}/tables/city_quarter.parquet") for k in (0, 1)]
    firms = summary[summary["variable"] == "firms"].sort_values(["t", "city"])
    expected = pd.concat(reps).groupby(["t", "city"])["firms"].agg(["mean", "min", "max"]).sort_index().reset_index()
    np.testing.assert_allclose(firms["mean"].to_numpy(), expected["mean"].to_numpy())
    np.testing.assert_allclose(firms["p05"].to_numpy(), expected["min"] + 0.05 * (expected["max"] - expected["min"]))
    assert (replicate_set / "plots" / "city_series.png").stat().st_size > 10_000
    assert not (replicate_set / "rep_000" / "plots").exists(), "replicates are written without plots"


def test_sequential_and_parallel_replicates_agree_and_show_progress(replicate_set, tmp_path, monkeypatch, capfd):
    out = tmp_path / "sequential"
    run_mode(tiny_config("baseline", "replicates=2", "workers=1", "output.progress=true"), out)
    err = capfd.readouterr().err
    assert "baseline replicates" in err and "2/2" in err, err[-500:]
    assert "quarter" in err, "a sequential replicate shows its per-quarter bar"
    for k in (0, 1):
        parallel = pd.read_parquet(replicate_set / f"rep_{k:03d}/tables/city_quarter.parquet")
        sequential = pd.read_parquet(out / f"rep_{k:03d}/tables/city_quarter.parquet")
        pd.testing.assert_frame_equal(parallel, sequential)


def test_complete_replicates_are_skipped_and_missing_ones_rerun(replicate_set, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(replicate_set, out)
    config = tiny_config("baseline", "replicates=2", "output.plots=true")
    kept = out / "rep_000" / "tables" / "city_quarter.parquet"
    before = _mtime(kept)
    run_mode(config, out)  # everything complete: nothing is rewritten
    assert _mtime(kept) == before and _mtime(out / "provenance.json") == _mtime(replicate_set / "provenance.json")
    # an interrupted set: the summary's provenance and one replicate's are missing
    (out / "provenance.json").unlink()
    (out / "rep_001" / "provenance.json").unlink()
    run_mode(config, out)
    assert _mtime(kept) == before, "the complete replicate was rerun"
    assert is_complete(out) and is_complete(out / "rep_001")
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "rep_001/tables/city_quarter.parquet"),
        pd.read_parquet(replicate_set / "rep_001/tables/city_quarter.parquet"),
    )


def test_a_single_run_is_skipped_only_with_the_same_config(tmp_path):
    config = tiny_config("baseline", "quarters=2")
    out = tmp_path / "single"
    assert run_single(config, out, plots=False) is True
    assert is_complete(out) and not (out / "rep_000").exists()
    config.output.progress = True  # run control: does not change results
    assert run_single(config, out, plots=False) is False
    changed = tiny_config("baseline", "quarters=2", "land.sz_supply=0.5")
    assert not finished_with(out, changed)
    assert run_single(changed, out, plots=False) is True
    assert json.loads((out / "provenance.json").read_text())["config"]["land"]["sz_supply"] == 0.5


def test_comparable_config_ignores_run_control_only():
    a = tiny_config()
    b = tiny_config("baseline", "output.progress=true", "output.plots=true")
    assert comparable_config(a) == comparable_config(b)
    assert comparable_config(a) != comparable_config(tiny_config("baseline", "seed=1"))
    assert comparable_config(a) != comparable_config(tiny_config("baseline", "replicates=3"))


def test_the_number_of_workers_is_a_validated_run_setting():
    assert tiny_config("baseline", "workers=3").workers == 3
    with pytest.raises(ConfigError, match="workers"):
        tiny_config("baseline", "workers=0")
    assert comparable_config(tiny_config("baseline", "workers=1")) == comparable_config(tiny_config("baseline"))


def test_run_py_limits_blas_to_one_thread_before_numpy_is_imported():
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = {
        k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    }
    code = (
        "import sys, os; import run; "
        "print(os.environ['OMP_NUM_THREADS'], os.environ['OPENBLAS_NUM_THREADS'], os.environ['MKL_NUM_THREADS'])"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["1", "1", "1"]
    source = (root / "app" / "main.py").read_text()
    assert source.index("OMP_NUM_THREADS") < source.index("import hydra"), "set before numpy can be imported"
