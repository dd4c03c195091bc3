"""Shared fixtures: small but realistic configurations and cached runs."""

from __future__ import annotations

import logging

import pytest

from app.settings import compose_config
from model.simulate import RunResult, simulate

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
