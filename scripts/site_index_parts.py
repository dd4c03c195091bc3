"""Why firms are drawn to a city: the parts of the average firm's site index, relative to Shenzhen.

    python scripts/site_index_parts.py                               # baseline, seed 1
    python scripts/site_index_parts.py --scenario s5_cross_border_open --quarters 20 40

A firm's site index (profit at optimal size, ``agents.firms.site_index``) is, in logs,
``[ln B + ln G + ln(1 − goods share) − β ln w − γ ln r] / (1 − β − γ)``. For each city this
prints the change from 2018Q1 to the end of the given quarters of each part relative to Shenzhen's, averaged over the city's
commercial cells weighted by their firm sites (where reviewing firms look) and over the four
sectors: B the inverted fundamental, G agglomeration, goods the goods friction, wage the city's
wage per unit skill, rent the lease rent. By the inversion every part's total is about 0 in
2018 under the reference levers (from which the changes are taken), so the printed total is how much more profitable the city has become than Shenzhen for the
average firm, in log profit; with ``location.taste_sd`` = 0.05 a gain of 0.05 multiplies a
reviewing firm's odds of choosing a site there by e. A 10% sample (2,500 firms, 25,000 talent).
Nothing in the model changes; the script only reads the state.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corridor_abm.app.settings import compose_config  # noqa: E402
from corridor_abm.model.corridor import CorridorModel  # noqa: E402
from corridor_abm.model.processes.markets import LeaseMarket  # noqa: E402
from corridor_abm.model.state import N_CITIES  # noqa: E402

SAMPLE = ["n_firms=2500", "n_talent=25000", "population_share=0.1", "output.progress=false"]
CITY_CODES = ("HK", "SZ", "DG", "HZ")
PARTS = ("B", "G", "goods", "wage", "rent")


def parts(model: CorridorModel) -> pd.DataFrame:
    """Each city's site-index parts for each sector (log profit), weighted by firm sites."""
    s, cfg = model.state, model.cfg
    beta, gamma = cfg.firms.elasticities()
    cells = s.cells
    rent = LeaseMarket(s, cfg).rent(np.arange(s.n_cells))
    rows = []
    for k in range(len(beta)):
        k_inv = 1.0 / (1.0 - beta[k] - gamma[k])
        for c in range(N_CITIES):
            where = (cells.city == c) & (cells.com_cap > 0) & np.isfinite(rent)
            weight = (cells.com_cap * cells.site_density)[where]
            if weight.sum() <= 0:
                continue

            def mean(x: np.ndarray, where: np.ndarray = where, weight: np.ndarray = weight) -> float:
                return float(np.average(x[where], weights=weight))

            rows.append(
                {
                    "sector": k,
                    "city": CITY_CODES[c],
                    "B": k_inv * mean(np.log(cells.fundamental[:, k])),
                    "G": k_inv * mean(np.log(cells.agglomeration[:, k])),
                    "goods": k_inv * mean(np.log(1.0 - cells.goods_share[:, k])),
                    "wage": -beta[k] * k_inv * float(np.log(s.cities.wage[c])),
                    "rent": -gamma[k] * k_inv * mean(np.log(rent)),
                }
            )
    table = pd.DataFrame(rows).set_index(["sector", "city"])
    return table - table.xs("SZ", level="city")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quarters", type=int, nargs="+", default=[20, 40, 80])
    args = parser.parse_args()
    logging.getLogger("MESA").setLevel(logging.WARNING)
    last = max(args.quarters)
    model = CorridorModel(compose_config(args.scenario, [*SAMPLE, f"seed={args.seed}", f"quarters={last}"]))
    # 2018 under the reference levers (before the scenario's levers switch on: a lever that
    # acts at once, such as the goods friction, shows in the first quarter's change)
    start = parts(CorridorModel(model.reference))
    changes = {}
    for t in range(1, last + 1):
        model.step()
        if t in args.quarters:
            changes[model.labels[t - 1]] = parts(model) - start
    out = pd.concat(changes, names=["quarter"]).groupby(["quarter", "city"]).mean()
    out["total"] = out[list(PARTS)].sum(axis=1)
    print(f"{args.scenario}, seed {args.seed}: change since 2018Q1 of each part relative to Shenzhen (log profit)")
    print(out.drop(index="SZ", level="city").round(3).to_string())


if __name__ == "__main__":
    main()
