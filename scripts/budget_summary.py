"""Yearly budget summary of a run: revenue, lever and recurrent spending, reserves in years of
revenue, and what the borrowing limit refused.

    python run.py scenario=s8_combined_package hydra.run.dir=outputs/s8
    python scripts/budget_summary.py outputs/s8 [--years 2018 2024 2030 2037]

Reads ``government.parquet`` of the run directory (of its first replicate).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from corridor_abm.agents.government import LEVERS, RECURRENT  # noqa: E402


def summary(government: pd.DataFrame) -> pd.DataFrame:
    """Per city and year: revenue, lever and recurrent spending (¥bn), end-of-year reserves in
    years of that year's revenue, and the spending refused (¥bn)."""
    g = government.copy()
    g["year"] = g["quarter"].str[:4].astype(int)
    g["revenue"] = g[[c for c in g.columns if c.startswith("revenue_")]].sum(axis=1)
    g["levers"] = g[[f"spend_{k}" for k in LEVERS]].sum(axis=1)
    g["recurrent"] = g[[f"spend_{k}" for k in RECURRENT]].sum(axis=1)
    out = g.groupby(["city", "year"]).agg(
        revenue=("revenue", "sum"),
        levers=("levers", "sum"),
        recurrent=("recurrent", "sum"),
        reserves=("reserves", "last"),
        refused=("shortfall", "sum"),
    )
    out["reserves_years"] = out["reserves"] / out["revenue"]
    for col in ("revenue", "levers", "recurrent", "reserves", "refused"):
        out[col] = out[col] / 1e9
    return out


def main() -> None:
    """Print the summary of one run directory."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--years", type=int, nargs="*", default=None)
    args = parser.parse_args()
    files = sorted(args.run.rglob("government.parquet"))
    if not files:
        raise SystemExit(f"no government.parquet under {args.run}")
    table = summary(pd.read_parquet(files[0]))
    if args.years:
        table = table[table.index.get_level_values("year").isin(args.years)]
    print(table.to_string(float_format=lambda v: f"{v:,.2f}"))


if __name__ == "__main__":
    main()
