"""Cross-border commuters by home city in the backtest's runs: where the closure's loss and the
model's own trend come from.

    python scripts/commuters_by_city.py                       # the historical scenario, 10 seeds
    python scripts/commuters_by_city.py --set 'paths.transport.border_crossing_minutes={2020Q1:30.0}'
    python scripts/commuters_by_city.py --scenario baseline   # no path at all

Runs the backtest's seeds and sample (``mode=backtest scenario=historical``, any ``--set``
overrides added to both) and prints, at the end of 2018, 2020, 2022 and 2024 (means over the
seeds, agents of the 10% sample): the residents of Shenzhen, Dongguan and Huizhou working in Hong
Kong, Hong Kong's residents working on the mainland, and all cross-border commuters; then each
against the end of 2018. The second command keeps the crossings open (the historical scenario
without its closure), which separates the closure's effect from the model's own trend.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corridor_abm.app.backtest import _run  # noqa: E402
from corridor_abm.app.settings import compose_config  # noqa: E402
from corridor_abm.calibration.evaluate import run_parallel  # noqa: E402
from corridor_abm.calibration.spec import apply_values  # noqa: E402
from corridor_abm.model.config import only_model  # noqa: E402
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


def main(argv: list[str] | None = None) -> None:
    """Print the table for the backtest's runs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="paired seeds (the backtest's 10)")
    parser.add_argument("--scenario", default="historical", help="scenario file (the backtest's: historical)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a hydra override")
    args = parser.parse_args(argv)
    logging.getLogger("MESA").setLevel(logging.WARNING)
    settings = compose_config(args.scenario, [f"backtest.seeds={args.seeds}", *args.set])
    base = apply_values(only_model(settings), settings.backtest.sample())
    seeds = replicate_seeds(settings.seed, settings.backtest.seeds)
    tables = run_parallel(_run, [apply_values(base, {"seed": int(s)}, check=False) for s in seeds], args.workers)
    mean = pd.concat([commuters(t) for t in tables]).groupby("quarter").mean()
    print(f"cross-border commuters by home city, agents of the 10% sample, means over {len(tables)} seeds")
    print(mean.round(0).to_string())
    print("\nagainst the end of 2018")
    print((mean / mean.loc[QUARTERS[0]]).round(3).to_string())


if __name__ == "__main__":
    main()
