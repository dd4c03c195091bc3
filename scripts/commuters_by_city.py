"""Cross-border commuters by home city in the backtest's runs: where the closure's loss and the
model's own trend come from.

    python scripts/commuters_by_city.py                       # the historical scenario, 10 seeds
    python scripts/commuters_by_city.py --set 'paths.transport.border_crossing_minutes={2020Q1:30.0}'
    python scripts/commuters_by_city.py --scenario baseline   # no path at all
    python scripts/commuters_by_city.py --scenario baseline --follow   # the end of 2018's commuters

Runs the backtest's seeds and sample (``mode=backtest scenario=historical``, any ``--set``
overrides added to both) and prints, at the end of 2018, 2020, 2022 and 2024 (means over the
seeds, agents of the 10% sample): the residents of Shenzhen, Dongguan and Huizhou working in Hong
Kong, Hong Kong's residents working on the mainland, and all cross-border commuters; then each
against the end of 2018. The second command keeps the crossings open (the historical scenario
without its closure), which separates the closure's effect from the model's own trend.
With ``--follow``, the commuters at the end of 2018 are followed instead: at the ends of 2020
and 2024, the shares of them still commuting across the border (in any direction), living in
the region with a job on their home's side or without a job, and gone from the region; and the
commuters who were not among them, against their number (still + new = the index).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corridor_abm.app.backtest import _run  # noqa: E402
from corridor_abm.app.settings import compose_config  # noqa: E402
from corridor_abm.calibration.evaluate import run_parallel  # noqa: E402
from corridor_abm.calibration.spec import apply_values  # noqa: E402
from corridor_abm.model import views  # noqa: E402
from corridor_abm.model.config import only_model  # noqa: E402
from corridor_abm.model.corridor import CorridorModel  # noqa: E402
from corridor_abm.model.rng import replicate_seeds  # noqa: E402

QUARTERS = ("2018Q4", "2020Q4", "2022Q4", "2024Q4")


def commuters(table: pd.DataFrame) -> pd.DataFrame:
    """Cross-border commuters by direction at the ends of :data:`QUARTERS`, from one run's
    ``city_quarter`` table (agents)."""
    t = table.set_index(["quarter", "city"])
    rows = []
    for q in QUARTERS:
        row = {"quarter": q}
        for c in ("SZ", "DG", "HZ"):
            row[f"{c} -> HK"] = t.loc[(q, c), "residents_working_in_hk"]
        row["HK -> mainland"] = sum(t.loc[(q, "HK"), f"residents_working_in_{c}"] for c in ("sz", "dg", "hz"))
        row["all"] = t.xs(q, level="quarter")["cross_border_commuters"].sum()
        rows.append(row)
    return pd.DataFrame(rows)


FOLLOW_FROM, REPORT_AT = 4, {12: "2020Q4", 28: "2024Q4"}
"""The quarters (steps from 2018Q1) after which the commuters are taken and reported."""


def fates(cfg: Any) -> pd.DataFrame:
    """One run's end-of-2018 cross-border commuters, followed to :data:`REPORT_AT` (shares of
    their number; ``new``: commuters not among them)."""
    logging.getLogger("MESA").setLevel(logging.WARNING)
    model = CorridorModel(cfg)
    s, rows, followed = model.state, [], np.zeros(0, dtype=np.int64)
    for q in range(1, max(REPORT_AT) + 1):
        model.step()
        commuting = s.talent.uid[views.cross_border_commuters(s)]
        if q == FOLLOW_FROM:
            followed = commuting.copy()
        if q in REPORT_AT:
            talent = s.talent
            alive = talent.alive_index()
            mine = alive[np.isin(talent.uid[alive], followed)]
            employed = views.job_cells(s, mine) >= 0
            still = np.isin(commuting, followed).sum()
            n = max(followed.size, 1)
            rows.append(
                {
                    "quarter": REPORT_AT[q],
                    "still commuting": still / n,
                    "home-side job": (employed.sum() - still) / n,
                    "no job": (~employed).sum() / n,
                    "gone": (followed.size - mine.size) / n,
                    "new commuters": (commuting.size - still) / n,
                    "index": commuting.size / n,
                }
            )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    """Print the table for the backtest's runs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="paired seeds (the backtest's 10)")
    parser.add_argument("--scenario", default="historical", help="scenario file (the backtest's: historical)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a hydra override")
    parser.add_argument("--follow", action="store_true", help="follow the end of 2018's commuters instead")
    args = parser.parse_args(argv)
    logging.getLogger("MESA").setLevel(logging.WARNING)
    settings = compose_config(args.scenario, [f"backtest.seeds={args.seeds}", *args.set])
    base = apply_values(only_model(settings), settings.backtest.sample())
    seeds = replicate_seeds(settings.seed, settings.backtest.seeds)
    configs = [apply_values(base, {"seed": int(s)}, check=False) for s in seeds]
    if args.follow:
        mean = pd.concat(run_parallel(fates, configs, args.workers)).groupby("quarter").mean()
        print(f"the end of 2018's cross-border commuters, shares of their number, means over {len(configs)} seeds")
        print(mean.round(3).to_string())
        return
    tables = run_parallel(_run, configs, args.workers)
    mean = pd.concat([commuters(t) for t in tables]).groupby("quarter").mean()
    print(f"cross-border commuters by home city, agents of the 10% sample, means over {len(tables)} seeds")
    print(mean.round(0).to_string())
    print("\nagainst the end of 2018")
    print((mean / mean.loc[QUARTERS[0]]).round(3).to_string())


if __name__ == "__main__":
    main()
