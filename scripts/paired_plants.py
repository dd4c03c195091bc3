"""Paired S2-against-baseline counts of Shenzhen firms' second sites and out-moves, at the sizes
of tests/test_behaviour.py (2,500 firms, 25,000 talent, a 10% sample, 40 quarters): the
measurement behind that file's expected failure.

    python scripts/paired_plants.py 101 202 303 404 505 606 707 808 909 1010 1111 1212
    python scripts/paired_plants.py 101 202 303 404 --set location.plant_land_share=0.15   # both arms
"""

from __future__ import annotations

import argparse
import logging
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corridor_abm.app.settings import compose_config  # noqa: E402
from corridor_abm.model.simulate import simulate  # noqa: E402

SIZES = ["n_firms=2500", "n_talent=25000", "population_share=0.1", "quarters=40", "output.progress=false"]


def counts(seed: int, overrides: list[str]) -> dict[str, float]:
    """Shenzhen's second sites opened (and those out of the city), whole-firm out-moves, end rent."""
    logging.getLogger("MESA").setLevel(logging.WARNING)
    t = simulate(compose_config("baseline", [*SIZES, f"seed={seed}", *overrides])).tables
    est, rel, city = t["establishments"], t["relocations"], t["city_quarter"]
    opened = est[(est["event"] == "open") & (est["from_city"] == "SZ")]
    row = {
        "out_moves": float(
            ((rel["from_city"] == "SZ") & (rel["to_city"] != "SZ") & (rel["kind"] == "whole firm")).sum()
        ),
        "rent_end": float(city.loc[city["city"] == "SZ", "mean_commercial_rent"].iloc[-1]),
    }
    for kind, key in (("plant", "plants"), ("R&D centre", "rd_centres")):
        k = opened[opened["kind"] == kind]
        row[f"{key}_opened"], row[f"{key}_out"] = float(len(k)), float((k["to_city"] != "SZ").sum())
    return row


def pair(job: tuple[int, list[str]]) -> tuple[dict[str, float], dict[str, float]]:
    seed, extra = job
    return counts(seed, extra), counts(seed, [*extra, "land.sz_supply=0"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", type=int, nargs="*", default=[101, 202, 303, 404])
    parser.add_argument("--set", dest="extra", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    with ProcessPoolExecutor(2) as pool:
        pairs = list(pool.map(pair, [(seed, args.extra) for seed in args.seeds]))
    for key in pairs[0][0]:
        base = np.array([b[key] for b, _ in pairs])
        diff = np.array([s[key] - b[key] for b, s in pairs])
        se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
        print(
            f"{key:18s} baseline {base.mean():9.2f}  S2 - baseline {diff.mean():8.2f} (se {se:5.2f})  "
            f"positive in {int((diff > 0).sum())}/{len(diff)}"
        )


if __name__ == "__main__":
    main()
