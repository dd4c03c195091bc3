"""Do a sample and the full population give the same rents and prices? (issue 12)

    python scripts/sample_invariance.py --seeds 3 --quarters 20

Runs the baseline with a 10% sample (2,500 firms, 25,000 talent, population_share 0.1) and the
full population (25,000 firms, 250,000 talent, population_share 1) on the same seeds and prints,
per city, the mean residential rent and house price over the last four quarters: mean and range
over seeds. The agents weigh in the markets for the population they stand for
(``State.market_weight``), so the two should agree within the seeds' spread.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
    rows = []
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
    table = pd.DataFrame(rows)
    stats = table.groupby(["city", "sample"])[["mean_residential_rent", "mean_house_price"]].agg(["mean", "min", "max"])
    print(stats.to_string(float_format=lambda v: f"{v:,.1f}"))


if __name__ == "__main__":
    main()
