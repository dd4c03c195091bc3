"""How many of Shenzhen's large firms already have their one second site, and where it is: the
measurement behind the README's S2 bullet (why a rent rise adds few plants outside Shenzhen).

    python scripts/second_sites.py --seeds 101 202 --quarters 40

A 10% sample (2,500 firms, 25,000 talent), the baseline and S2's lever (``land.sz_supply=0``)
on the same seeds; prints, at the end of years 1, 5 and 10, Shenzhen-headquartered firms able to
open a second site (at least ``location.division_min_employees`` employees), those with one,
and those whose second site is outside Shenzhen.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corridor_abm.app.settings import compose_config  # noqa: E402
from corridor_abm.model.corridor import CorridorModel  # noqa: E402

SAMPLE = ["n_firms=2500", "n_talent=25000", "population_share=0.1", "output.progress=false"]
SZ = 1


def counts(model: CorridorModel) -> tuple[int, int, int]:
    """Large Shenzhen firms, those with a second site, those whose second site is elsewhere."""
    s, cfg = model.state, model.cfg
    firms, city = s.firms, s.cells.city
    employees = (firms.workers + firms.workers_div) * s.talent_scale
    large = firms.alive & (employees >= cfg.location.division_min_employees) & (city[np.maximum(firms.cell, 0)] == SZ)
    second = large & (firms.div_cell >= 0)
    outside = second & (city[np.maximum(firms.div_cell, 0)] != SZ)
    return int(large.sum()), int(second.sum()), int(outside.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[101])
    parser.add_argument("--quarters", type=int, default=40)
    args = parser.parse_args()
    logging.getLogger("MESA").setLevel(logging.WARNING)
    marks = {q for q in (3, 19, 39) if q < args.quarters}
    for seed in args.seeds:
        for label, extra in (("baseline", []), ("S2 (land.sz_supply=0)", ["land.sz_supply=0"])):
            cfg = compose_config("baseline", [*SAMPLE, f"quarters={args.quarters}", f"seed={seed}", *extra])
            model = CorridorModel(cfg)
            for q in range(args.quarters):
                model.step()
                if q in marks:
                    large, second, outside = counts(model)
                    print(
                        f"seed {seed} {label:22s} year {(q + 1) // 4:2d}: {large:3d} large SZ firms, "
                        f"{second:3d} with a second site, {outside:3d} of them outside SZ"
                    )


if __name__ == "__main__":
    main()
