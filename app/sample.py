"""The population sample and seeds of the experiment commands (reach, decompose, elasticity,
backtest), and how they write their tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from corridor_abm.model.params import param
from corridor_abm.model.runio import write_parquet


@dataclass
class SampleParams:
    """The runs of an experiment: how many paired seeds, how long, how large a sample (run
    control, not the model's)."""

    seeds: int = param(10, "runs", "Paired seeds", lo=1, hi=1000, source="run setting")
    quarters: int = param(4, "quarters", "Quarters simulated", lo=1, hi=400, source="run setting")
    n_firms: int = param(2500, "agents", "Initial firm agents of each run", lo=40, source="run setting")
    n_talent: int = param(25_000, "agents", "Initial talent agents of each run", lo=400, source="run setting")
    population_share: float = param(
        0.1, "share", "Share of the corridor the agents stand for", lo=0.001, hi=1.0, lo_open=True, source="run setting"
    )

    def sample(self) -> dict[str, Any]:
        """The model keys these settings fix, for :func:`calibration.spec.apply_values`."""
        return {
            "quarters": self.quarters,
            "n_firms": self.n_firms,
            "n_talent": self.n_talent,
            "population_share": self.population_share,
        }


def write_result_table(out_dir: Path, name: str, table: pd.DataFrame, markdown: str) -> list[Path]:
    """Write an experiment's table as ``name.parquet`` and ``name.csv`` and its report as
    ``name.md`` in ``out_dir``.

    Returns:
        The two table files, for the provenance's checksums.
    """
    write_parquet(table, out_dir / f"{name}.parquet")
    table.to_csv(out_dir / f"{name}.csv", index=False)
    (out_dir / f"{name}.md").write_text(markdown)
    return [out_dir / f"{name}.parquet", out_dir / f"{name}.csv"]
