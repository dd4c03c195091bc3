"""A fixed-seed run compared with a stored baseline (refresh: scripts/refresh_baseline.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from model.simulate import simulate
from tests.conftest import small_config

BASELINE_FILE = Path(__file__).resolve().parent / "data" / "baseline_summary.csv"
COLUMNS = [
    "quarter",
    "city",
    "firms",
    "talent_agents",
    "jobs",
    "mean_commercial_rent",
    "mean_house_price",
    "mean_wage",
    "output",
    "relocations_out",
    "entries",
    "exits",
]


def regression_summary() -> pd.DataFrame:
    """The summary table the stored baseline holds: a small fixed-seed run of 6 quarters."""
    result = simulate(small_config(seed=2024, quarters=6))
    return result.tables["city_quarter"][COLUMNS].reset_index(drop=True)


def test_fixed_seed_run_matches_stored_baseline():
    stored = pd.read_csv(BASELINE_FILE)
    now = regression_summary()
    assert list(stored.columns) == COLUMNS
    assert (stored[["quarter", "city"]].to_numpy() == now[["quarter", "city"]].to_numpy()).all()
    for col in COLUMNS[2:]:
        assert np.allclose(now[col].to_numpy(dtype=float), stored[col].to_numpy(dtype=float), rtol=1e-6, atol=1e-9), (
            f"{col} differs from the stored baseline; if the change is intended, run scripts/refresh_baseline.py"
        )
