"""The relocation moments of calibration/targets.csv for given overrides (2018–2019, Shenzhen).

    python scripts/location_moments.py                                             # the calibrated baseline
    python scripts/location_moments.py location.taste_sd=0.2 location.moving_cost_fixed=5e6

The calibration's sample (2,500 firms, 25,000 talent, population_share 0.1), 8 quarters, seeds 1–4
(means); prints small firms' and larger firms' yearly out-move rates, the within-city move rate
and Dongguan's share of moves to Dongguan or Huizhou (the moment functions of
``calibration/moments.py``), with the targets beside them. Use it to see which combinations of
the location parameters keep the observed churn.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corridor_abm.app.settings import compose_config  # noqa: E402
from corridor_abm.calibration import moments  # noqa: E402
from corridor_abm.calibration.evaluate import run_parallel  # noqa: E402
from corridor_abm.model.simulate import simulate  # noqa: E402

SAMPLE = ["n_firms=2500", "n_talent=25000", "population_share=0.1", "output.progress=false", "quarters=8"]
ROOT = Path(__file__).resolve().parent.parent
MOMENTS = (
    ("out_move_rate_small_sz", moments.out_move_rate_small),
    ("out_move_rate_above_sz", moments.out_move_rate_above),
    ("within_move_rate_sz", moments.within_move_rate),
    ("out_move_share_dg_sz", moments.out_move_share_dg),
)


def _one(job: tuple[list[str], int]) -> list[float]:
    overrides, seed = job
    cfg = compose_config("baseline", [*SAMPLE, f"seed={seed}", *overrides])
    tables = simulate(cfg).tables
    ctx = moments.MomentContext.from_config(cfg)
    return [f(tables, ctx, "SZ", (2018, 2019)) for _, f in MOMENTS]


def main() -> None:
    overrides = sys.argv[1:]
    targets = pd.read_csv(ROOT / "calibration" / "targets.csv").set_index("name")
    values = np.nanmean(np.array(run_parallel(_one, [(overrides, s) for s in (1, 2, 3, 4)], 2)), axis=0)
    print(" ".join(overrides) or "(calibrated baseline)")
    for (name, _), value in zip(MOMENTS, values):
        row = targets.loc[name]
        print(f"  {name:24s} {value:8.4f}   target {row['value']:g} ({row['low']:g}–{row['high']:g})")


if __name__ == "__main__":
    main()
