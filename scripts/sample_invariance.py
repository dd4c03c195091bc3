"""Do a sample and the full population give the same rents and prices? (issue 12)

    python scripts/sample_invariance.py --seeds 3 --quarters 20

Runs the baseline with a 10% sample (2,500 firms, 25,000 talent, population_share 0.1) and the
full population (25,000 firms, 250,000 talent, population_share 1) on the same seeds and prints,
per city, the mean residential rent and house price over the last four quarters: mean and range
over seeds. The agents weigh in the markets for the population they stand for
(``State.market_weight``), so the two should agree within the seeds' spread. Then, per city in
the last quarter (mean over seeds), what sets the price beyond the rent: the floor-weighted mean
user cost of owning (per year) and the share of residential floor whose user cost is above its
floor (``market.min_user_cost`` plus the city's premia), where owners expect less than the floor
allows because their cell's rent grew slowly.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

SAMPLES = {
    "10% sample": ["n_firms=2500", "n_talent=25000", "population_share=0.1"],
    "full population": ["n_firms=25000", "n_talent=250000", "population_share=1.0"],
}


def main() -> None:
    """Run both samples over the seeds and print the per-city comparison."""
    from corridor_abm.app.settings import compose_config
    from corridor_abm.model.corridor import CorridorModel

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quarters", type=int, default=20)
    parser.add_argument("--scenario", default="baseline")
    args = parser.parse_args()
    rows, owning = [], []
    for label, sample in SAMPLES.items():
        for seed in range(args.seeds):
            model = CorridorModel(compose_config(args.scenario, [*sample, f"seed={seed}", f"quarters={args.quarters}"]))
            model.run()
            city = model.tables()["city_quarter"]
            late = (
                city[city["t"] >= args.quarters - 4]
                .groupby("city")[["mean_residential_rent", "mean_house_price"]]
                .mean()
            )
            for code, r in late.iterrows():
                rows.append({"sample": label, "seed": seed, "city": code, **r.to_dict()})
            owning.extend(_user_cost(model, label, seed))
    table = pd.DataFrame(rows)
    stats = table.groupby(["city", "sample"])[["mean_residential_rent", "mean_house_price"]].agg(["mean", "min", "max"])
    print(stats.to_string(float_format=lambda v: f"{v:,.1f}"))
    print("\nUser cost of owning in the last quarter (per year; means over seeds):")
    print(pd.DataFrame(owning).groupby(["city", "sample"])[["user_cost", "above_floor"]].mean().round(4).to_string())


def _user_cost(model, label: str, seed: int) -> list[dict]:
    """Per city: the floor-weighted mean user cost ``4 × rent / value`` (the user-cost value of
    a home, which sticky prices approach) and the share of residential floor whose user cost is
    above the floor plus the city's premia."""
    from corridor_abm.model.geodata import CITY_CODES
    from corridor_abm.model.processes.house_prices import home_values, owning_premium
    from corridor_abm.model.state import N_CITIES

    cells, cfg = model.state.cells, model.cfg
    floor = cfg.market.min_user_cost + owning_premium(cfg)
    value = home_values(model.state, cfg)
    out = []
    for c in range(N_CITIES):
        k = (cells.city == c) & (cells.res_cap > 0) & (value > 0)
        cost = 4.0 * cells.res_rent[k] / value[k]
        weight = cells.res_cap[k]
        above = cost > floor[c] * (1.0 + 1e-9)
        out.append(
            {
                "sample": label,
                "seed": seed,
                "city": CITY_CODES[c],
                "user_cost": float(np.average(cost, weights=weight)),
                "above_floor": float(np.average(above, weights=weight)),
            }
        )
    return out


if __name__ == "__main__":
    main()
