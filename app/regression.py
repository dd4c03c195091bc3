"""The stored regression baseline: a small fixed-seed run whose summary must never change by
accident (``tests/test_regression.py``). Only ``python scripts/refresh_baseline.py`` rewrites it,
when a change of results is intended and said in the commit message.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from corridor_abm.app.settings import compose_config
from corridor_abm.model.simulate import simulate

BASELINE_FILE = Path(__file__).resolve().parent.parent / "tests" / "data" / "baseline_summary.csv"
"""Where the stored summary lives."""

OVERRIDES = [
    "n_firms=2500",
    "n_talent=25000",
    "population_share=0.1",
    "quarters=6",
    "seed=2024",
    "output.progress=false",
]
"""The run: the calibrated baseline, a 10% sample of the corridor, six quarters, seed 2024."""

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
"""The ``city_quarter`` columns the stored summary keeps."""


def regression_summary() -> pd.DataFrame:
    """The summary table the stored baseline holds."""
    result = simulate(compose_config("baseline", OVERRIDES))
    return result.tables["city_quarter"][COLUMNS].reset_index(drop=True)
