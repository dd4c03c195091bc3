"""A fixed-seed run compared with a stored baseline (refresh: scripts/refresh_baseline.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from corridor_abm.app.regression import BASELINE_FILE, COLUMNS, regression_summary


def test_fixed_seed_run_matches_stored_baseline():
    stored = pd.read_csv(BASELINE_FILE)
    now = regression_summary()
    assert list(stored.columns) == COLUMNS
    assert (stored[["quarter", "city"]].to_numpy() == now[["quarter", "city"]].to_numpy()).all()
    for col in COLUMNS[2:]:
        assert np.allclose(now[col].to_numpy(dtype=float), stored[col].to_numpy(dtype=float), rtol=1e-6, atol=1e-9), (
            f"{col} differs from the stored baseline; if the change is intended, run scripts/refresh_baseline.py"
        )
