"""S5 (the border opened) against the baseline at several values of one dispersion parameter.

    python scripts/s5_dispersion.py                                  # talent.hk_attachment_sd 0, 0.25, 0.5, 1
    python scripts/s5_dispersion.py --key talent.taste_sd --values 0.1 0.3 0.6
    python scripts/s5_dispersion.py --scenarios s2_land_exhaustion s5_cross_border_open \
        --set "location.taste_sd=0.1 location.moving_cost_fixed=4e5" --set "location.taste_sd=0.25"

``--set`` compares whole groups of overrides instead of values of one key (each group is one
row, labelled by its first override), e.g. a taste scale with the moving costs fitted to it
(``scripts/fit_location.py``); ``--scenarios`` chooses the scenarios set against the baseline.

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


def _one(job: tuple[str, str, list[str], int]) -> tuple:
    scenario, label, overrides, seed = job
    cq = simulate(compose_config(scenario, [*SAMPLE, f"seed={seed}", *overrides])).tables["city_quarter"]
    last = cq[cq["t"] == cq["t"].max()].set_index("city")
    return (
        scenario,
        label,
        seed,
        last.loc["SZ", "firms"],
        last.loc["DG", "firms"] + last.loc["HZ", "firms"],
        last.loc["HK", "firms"],
        last.loc["SZ", "talent"],
        last.loc["HK", "talent"],
        last["cross_border_commuters"].sum(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key", default="talent.hk_attachment_sd")
    parser.add_argument("--values", type=float, nargs="+", default=[0.0, 0.25, 0.5, 1.0])
    parser.add_argument("--set", action="append", default=None, help="a group of overrides (repeatable)")
    parser.add_argument("--scenarios", nargs="+", default=["s5_cross_border_open"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.set:
        groups = {g.split()[0] if g.split() else "(defaults)": g.split() for g in args.set}
        if len(groups) < len(args.set):  # rows are labelled by their first override
            sys.exit("--set: each group must start with a different override (it labels the row)")
        label = "overrides"
    else:
        groups = {v: [f"{args.key}={v}"] for v in args.values}
        label = args.key
    jobs = [
        (sc, name, overrides, seed)
        for sc in ("baseline", *args.scenarios)
        for name, overrides in groups.items()
        for seed in args.seeds
    ]
    rows = run_parallel(_one, jobs, args.workers)  # one BLAS thread per worker
    cols = ["scenario", label, "seed", "firms_SZ", "firms_DG_HZ", "firms_HK", "talent_SZ", "talent_HK", "commuters"]
    means = pd.DataFrame(rows, columns=cols).groupby([label, "scenario"], sort=False).mean().drop(columns="seed")
    print(means.round(0).to_string())
    base = means.xs("baseline", level=1)
    for scenario in args.scenarios:
        print(f"\n{scenario} against the baseline with the same {label}, %:")
        print(((means.xs(scenario, level=1) / base - 1) * 100).round(1).to_string())


if __name__ == "__main__":
    main()
