"""S5 (the border opened) against the baseline at several values of one dispersion parameter.

    python scripts/s5_dispersion.py                                  # talent.hk_attachment_sd 0, 0.25, 0.5, 1
    python scripts/s5_dispersion.py --key talent.taste_sd --values 0.1 0.3 0.6

A 10% sample (2,500 firms, 25,000 talent), 2018Q1–2037Q4; prints Shenzhen's firms and talent,
Hong Kong's firms and talent and the cross-border commuters in 2037Q4 (means over the seeds) and
S5's change against the baseline with the same value. The parameter is structural here (the
calibrated set was fitted at its default): it shows which part of S5's effect is the choices'
elasticity (README, "What the scenarios show"; docs/calibration.md).
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

SAMPLE = ["n_firms=2500", "n_talent=25000", "population_share=0.1", "output.progress=false"]


def _one(job: tuple[str, str, float, int]) -> tuple:
    scenario, key, value, seed = job
    cq = simulate(compose_config(scenario, [*SAMPLE, f"seed={seed}", f"{key}={value}"])).tables["city_quarter"]
    last = cq[cq["t"] == cq["t"].max()].set_index("city")
    return (
        scenario,
        value,
        seed,
        last.loc["SZ", "firms"],
        last.loc["HK", "firms"],
        last.loc["SZ", "talent"],
        last.loc["HK", "talent"],
        last["cross_border_commuters"].sum(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key", default="talent.hk_attachment_sd")
    parser.add_argument("--values", type=float, nargs="+", default=[0.0, 0.25, 0.5, 1.0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    jobs = [
        (sc, args.key, v, seed)
        for sc in ("baseline", "s5_cross_border_open")
        for v in args.values
        for seed in args.seeds
    ]
    rows = run_parallel(_one, jobs, args.workers)  # one BLAS thread per worker
    cols = ["scenario", args.key, "seed", "firms_SZ", "firms_HK", "talent_SZ", "talent_HK", "commuters"]
    means = pd.DataFrame(rows, columns=cols).groupby([args.key, "scenario"]).mean().drop(columns="seed")
    print(means.round(0).to_string())
    base, s5 = means.xs("baseline", level=1), means.xs("s5_cross_border_open", level=1)
    print("\nS5 against the baseline with the same value, %:")
    print(((s5 / base - 1) * 100).round(1).to_string())


if __name__ == "__main__":
    main()
