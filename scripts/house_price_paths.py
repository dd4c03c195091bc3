"""Baseline house-price paths by city at several values of one parameter.

    python scripts/house_price_paths.py                                   # market.expectation_anchor 0, 0.5, 1
    python scripts/house_price_paths.py --key market.expectation_smoothing --values 0.05 0.1 0.2

A 10% sample (2,500 firms, 25,000 talent), 2018Q1–2024Q4, seeds 1 and 2; prints each city's mean
house price and residential rent in 2020Q1 and 2024Q1 over 2018Q1 (means over the seeds).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corridor_abm.app.settings import compose_config  # noqa: E402
from corridor_abm.calibration.evaluate import run_parallel  # noqa: E402
from corridor_abm.model.simulate import simulate  # noqa: E402

SAMPLE = ["n_firms=2500", "n_talent=25000", "population_share=0.1", "output.progress=false", "quarters=28"]
COLUMNS = {"mean_house_price": "price", "mean_residential_rent": "rent"}


def _one(job: tuple[str, float, int]) -> pd.DataFrame:
    key, value, seed = job
    cq = simulate(compose_config("baseline", [*SAMPLE, f"seed={seed}", f"{key}={value}"])).tables["city_quarter"]
    cq = cq[cq["quarter"].isin(["2018Q1", "2020Q1", "2024Q1"])][["quarter", "city", *COLUMNS]]
    return cq.rename(columns=COLUMNS).assign(value=value, seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key", default="market.expectation_anchor")
    parser.add_argument("--values", type=float, nargs="+", default=[0.0, 0.5, 1.0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    jobs = [(args.key, v, seed) for v in args.values for seed in args.seeds]
    runs = pd.concat(run_parallel(_one, jobs, args.workers))  # one BLAS thread per worker
    mean = runs.groupby(["value", "city", "quarter"])[["price", "rent"]].mean()
    index = mean / mean.xs("2018Q1", level="quarter")
    table = index.drop(index="2018Q1", level="quarter").unstack("quarter").round(3)
    print(f"Baseline, index 2018Q1 = 1, by {args.key}:")
    print(table.to_string())


if __name__ == "__main__":
    main()
