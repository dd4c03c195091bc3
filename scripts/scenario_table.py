"""What each scenario changes, and at what cost: a Markdown table of paired differences.

    python run.py -m scenario=baseline,s2_land_exhaustion,... replicates=4 hydra.sweep.dir=DIR
    python scripts/scenario_table.py DIR [more run directories ...]

Reads the runs like ``mode=compare`` (single runs, replicate sets or sweeps; the run named
``baseline`` is the baseline; seeds are paired) and prints, per scenario, the mean over seed
pairs of the change against the baseline, with the number of pairs where the sign agrees:
Shenzhen's firms, talent, commercial rent and house price in the final year (%), firms that
left Shenzhen over the whole run (%), corridor innovations over the whole run (%), and the
extra government spending over the whole run (¥bn, all four cities) with its cost per extra
innovation.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reporting.compare import check_pairing, choose_baseline, load_city_quarter, load_run_sets  # noqa: E402

COLUMNS: tuple[tuple[str, str], ...] = (
    ("sz_firms", "SZ firms, final year"),
    ("sz_talent", "SZ talent, final year"),
    ("sz_rent", "SZ commercial rent, final year"),
    ("sz_price", "SZ house price, final year"),
    ("sz_left", "firms leaving SZ, whole run"),
    ("dg_hz_firms", "DG + HZ firms, final year"),
    ("innovations", "corridor innovations, whole run"),
)
"""Outcome columns (% change against the baseline) and their headers."""


def outcomes(city: pd.DataFrame) -> pd.DataFrame:
    """One row per run label and seed: the outcome levels of :data:`COLUMNS` plus spending.

    Args:
        city: Stacked ``city_quarter`` tables (``reporting.compare.load_city_quarter``).
    """
    last = city["t"] >= city["t"].max() - 3
    keys = ["label", "seed"]

    def final(c: str, column: str) -> pd.Series:
        rows = city[last & city["city"].isin(c.split("+"))]
        return rows.groupby(keys + ["t"])[column].sum().groupby(keys).mean()

    def total(c: str | None, column: str) -> pd.Series:
        rows = city if c is None else city[city["city"] == c]
        return rows.groupby(keys)[column].sum()

    return pd.DataFrame(
        {
            "sz_firms": final("SZ", "firms"),
            "sz_talent": final("SZ", "talent"),
            "sz_rent": final("SZ", "mean_commercial_rent"),
            "sz_price": final("SZ", "mean_house_price"),
            "sz_left": total("SZ", "relocations_out"),
            "dg_hz_firms": final("DG+HZ", "firms"),
            "innovations": total(None, "innovations"),
            "spending": total(None, "gov_spending"),
        }
    )


def scenario_table(levels: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Paired changes against the baseline, one row per scenario (means over seed pairs).

    Args:
        levels: Output of :func:`outcomes`.
        baseline: Label of the baseline.

    Returns:
        For each outcome of :data:`COLUMNS`: ``<name>`` (mean % change) and ``<name>_agree``
        (pairs whose change has the sign of the mean); ``extra_spending_bn``; ``yuan_per_innovation``
        (extra spending ÷ extra innovations, NaN unless both are positive); ``pairs``.
    """
    base = levels.xs(baseline, level="label")
    rows = {}
    for label, frame in levels.groupby(level="label"):
        if label == baseline:
            continue
        scen = frame.droplevel("label")
        seeds = scen.index.intersection(base.index)
        s, b = scen.loc[seeds], base.loc[seeds]
        row: dict[str, float] = {"pairs": len(seeds)}
        for name, _ in COLUMNS:
            pct = 100.0 * (s[name] - b[name]) / b[name].where(b[name] != 0)
            row[name] = float(pct.mean())
            row[f"{name}_agree"] = int((np.sign(pct) == np.sign(pct.mean())).sum())
        extra = float((s["spending"] - b["spending"]).mean())
        extra_innovations = float((s["innovations"] - b["innovations"]).mean())
        row["extra_spending_bn"] = extra / 1e9
        row["yuan_per_innovation"] = extra / extra_innovations if extra > 0 and extra_innovations > 0 else np.nan
        rows[label] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def markdown(table: pd.DataFrame) -> str:
    """The table as Markdown: % changes with the count of agreeing pairs, spending in ¥bn."""
    header = ["scenario", *[h for _, h in COLUMNS], "extra government spending, whole run", "¥ per extra innovation"]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for label, row in table.iterrows():
        n = int(row["pairs"])
        cells = [f"`{label}`"]
        cells += [f"{row[name]:+.1f}% ({int(row[f'{name}_agree'])}/{n})" for name, _ in COLUMNS]
        cells.append(f"¥{row['extra_spending_bn']:+,.1f}bn")
        per = row["yuan_per_innovation"]
        cells.append("—" if np.isnan(per) else f"¥{per / 1e6:,.2f}m")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="run, replicate-set or sweep directories (one named baseline)")
    args = parser.parse_args(argv)
    sets = load_run_sets(args.runs)
    baseline = choose_baseline(sets)
    check_pairing(sets, baseline)
    print(markdown(scenario_table(outcomes(load_city_quarter(sets)).sort_index(), baseline.label)))


if __name__ == "__main__":
    main()
