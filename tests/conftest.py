"""Shared fixtures: small but realistic configurations and cached runs."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from corridor_abm.app.settings import compose_config
from corridor_abm.model.simulate import RunResult, simulate

logging.getLogger("MESA").setLevel(logging.WARNING)


TINY_SAMPLE = ["n_firms=600", "n_talent=6000", "population_share=0.025", "output.progress=false"]
"""Command-line overrides of a tiny sample (quick runs for tests of plumbing, not behaviour)."""


def small_config(**overrides):
    """A quick configuration that keeps realistic firm sizes (a 10% sample of the corridor),
    composed like ``python run.py`` (so the calibrated parameter set applies).

    Keyword arguments set top-level keys or dotted keys written with double underscores,
    e.g. ``land__sz_supply=0``.
    """
    cfg = compose_config("baseline")
    cfg.n_firms = 2500
    cfg.n_talent = 25_000
    cfg.population_share = 0.1
    cfg.quarters = 12
    cfg.output.progress = False
    for key, value in overrides.items():
        target = cfg
        parts = key.split("__")
        for part in parts[:-1]:
            target = getattr(target, part)
        setattr(target, parts[-1], value)
    return cfg


@pytest.fixture(scope="session")
def small_run() -> RunResult:
    """One small baseline run, shared by the tests that only read its tables."""
    return simulate(small_config(seed=11))


ROOT = Path(__file__).resolve().parent.parent
SWEEP = ["scenario=baseline,s2_land_exhaustion", "land.hz_supply=0.5,1"]
"""The shared sweep's swept keys: 2 scenarios × 2 values of Huizhou's land supply."""
SWEEP_TINY = ["quarters=2", *TINY_SAMPLE, "output.plots=false"]


def multirun(args: list[str], sweep_dir: Path) -> subprocess.CompletedProcess:
    """``python run.py -m ARGS`` (tiny runs) into ``sweep_dir``; fails the test if the command fails."""
    proc = subprocess.run(
        [sys.executable, "run.py", "-m", *args, *SWEEP_TINY, f"hydra.sweep.dir={sweep_dir}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="session")
def shared_sweep(tmp_path_factory) -> Path:
    """Four jobs (2 scenarios × 2 values of land.hz_supply) in two local worker processes, shared
    by the tests of sweeps and of queries (read only: copy it before changing it)."""
    sweep_dir = tmp_path_factory.mktemp("sweep") / "multirun"
    multirun(["hydra/launcher=local_parallel", *SWEEP], sweep_dir)
    return sweep_dir
