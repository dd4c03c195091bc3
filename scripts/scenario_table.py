"""What each scenario changes, and at what cost: a Markdown table of paired differences.

    python run.py -m scenario=baseline,s2_land_exhaustion,... replicates=4 hydra.sweep.dir=DIR
    python scripts/scenario_table.py DIR [more run directories ...]

Reads the runs like ``mode=compare`` (single runs, replicate sets or sweeps; the run named
``baseline`` is the baseline; seeds are paired) and prints, per scenario, the mean over seed
pairs of the change against the baseline, with the number of pairs where the sign agrees:
Shenzhen's firms, talent, commercial rent and house price in the final year (%), firms that
left Shenzhen over the whole run (%), corridor innovations over the whole run (%), the Hong
Kong channels (cross-border commuters in the final year, start-ups by Hong Kong founders and
cross-border venture money over the whole run, %), and the extra government spending over the
whole run (¥bn, all four cities) with its cost per extra innovation. A second table gives the
documents' patterns as levels per scenario (mean and 5–95% range over seeds): out-move rates of
Shenzhen's small and larger firms, Dongguan's share of the destinations, and the second sites
(plants, R&D centres) Shenzhen firms open in and out of Shenzhen.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corridor_abm.reporting.compare import check_pairing, choose_baseline, load_city_quarter, load_run_sets, load_table  # noqa: E402

COLUMNS: tuple[tuple[str, str], ...] = (
    ("sz_firms", "SZ firms, final year"),
    ("sz_talent", "SZ talent, final year"),
    ("sz_rent", "SZ commercial rent, final year"),
    ("sz_price", "SZ house price, final year"),
    ("sz_left", "firms leaving SZ, whole run"),
    ("dg_hz_firms", "DG + HZ firms, final year"),
    ("innovations", "corridor innovations, whole run"),
    ("commuters", "cross-border commuters, final year"),
    ("hk_startups", "start-ups by HK founders, whole run"),
    ("vc_cross", "cross-border venture money, whole run"),
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
            "commuters": final("HK+SZ+DG+HZ", "cross_border_commuters"),
            "hk_startups": total(None, "startups_hk_founders"),
            "vc_cross": total(None, "vc_cross_border_amount"),
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
        cells += [
            "—" if np.isnan(row[name]) else f"{row[name]:+.1f}% ({int(row[f'{name}_agree'])}/{n})"
            for name, _ in COLUMNS
        ]
        cells.append(f"¥{row['extra_spending_bn']:+,.1f}bn")
        per = row["yuan_per_innovation"]
        cells.append("—" if np.isnan(per) else f"¥{per / 1e6:,.2f}m")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


PATTERNS: tuple[tuple[str, str], ...] = (
    ("small_out", "small SZ firms leaving SZ, % a year"),
    ("above_out", "SZ firms ≥ 100 employees leaving SZ, % a year"),
    ("dg_share", "DG's share of SZ firms' moves to DG/HZ"),
    ("plants_out", "SZ firms' plants opened in another city, a year"),
    ("plants_in_sz", "SZ firms' plants opened in SZ, a year"),
    ("rd_out", "SZ firms' R&D centres opened in another city, a year"),
    ("rd_into_sz", "R&D centres opened in SZ by other cities' firms, a year"),
)
"""The documents' patterns, as levels per scenario (model units: firms of the sample)."""


def patterns(sets: list, city: pd.DataFrame) -> pd.DataFrame:
    """Per run label and seed, the levels of :data:`PATTERNS` over the whole run.

    Out-move rates are whole-firm moves from Shenzhen to another city per firm-year of the size
    class in Shenzhen (``firms_by_class``); second sites are the ``open`` events of
    ``establishments`` (``from_city``: headquarters' city).
    """
    runs = city.groupby(["label", "seed"]).size().index
    years = city.groupby(["label", "seed"])["t"].nunique() / 4.0
    rel = load_table(sets, "relocations")
    est = load_table(sets, "establishments")
    classes = load_table(sets, "firms_by_class")
    out = rel[(rel["from_city"] == "SZ") & (rel["to_city"] != "SZ") & (rel["kind"] == "whole firm")]
    sz = classes[classes["city"] == "SZ"]
    firm_years = sz.groupby(["label", "seed", "size_class"])["firms"].sum().unstack(fill_value=0) / 4.0

    def count(frame: pd.DataFrame) -> pd.Series:
        return frame.groupby(["label", "seed"]).size().reindex(runs, fill_value=0).astype(float)

    small = count(out[out["size_class"] == "small"])
    above = count(out[out["size_class"] != "small"])
    to_dg, to_dg_hz = count(out[out["to_city"] == "DG"]), count(out[out["to_city"].isin(["DG", "HZ"])])
    opened = est[est["event"] == "open"]
    from_sz = opened[opened["from_city"] == "SZ"]
    plants, centres = from_sz[from_sz["kind"] == "plant"], from_sz[from_sz["kind"] == "R&D centre"]
    others = opened[(opened["from_city"] != "SZ") & (opened["to_city"] == "SZ") & (opened["kind"] == "R&D centre")]
    fy = firm_years.reindex(runs, fill_value=0)
    return pd.DataFrame(
        {
            "small_out": 100.0 * small / fy.get("small", 0).where(fy.get("small", 0) > 0),
            "above_out": 100.0 * above / (fy.sum(axis=1) - fy.get("small", 0)).where(lambda x: x > 0),
            "dg_share": to_dg / to_dg_hz.where(to_dg_hz > 0),
            "plants_out": count(plants[plants["to_city"] != "SZ"]) / years,
            "plants_in_sz": count(plants[plants["to_city"] == "SZ"]) / years,
            "rd_out": count(centres[centres["to_city"] != "SZ"]) / years,
            "rd_into_sz": count(others) / years,
        }
    )


def patterns_markdown(levels: pd.DataFrame) -> str:
    """Mean over seeds with the 5–95% range across seeds, one row per run label."""
    header = ["scenario", *[h for _, h in PATTERNS]]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for label, frame in levels.groupby(level="label"):
        cells = [f"`{label}`"]
        for name, _ in PATTERNS:
            v = frame[name].dropna()
            if v.empty:
                cells.append("—")
                continue
            digits = 3 if name == "dg_share" else 2
            cells.append(f"{v.mean():.{digits}f} ({v.quantile(0.05):.{digits}f}–{v.quantile(0.95):.{digits}f})")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="run, replicate-set or sweep directories (one named baseline)")
    args = parser.parse_args(argv)
    sets = load_run_sets(args.runs)
    baseline = choose_baseline(sets)
    check_pairing(sets, baseline)
    city = load_city_quarter(sets)
    print(markdown(scenario_table(outcomes(city).sort_index(), baseline.label)))
    print()
    print(patterns_markdown(patterns(sets, city)))


if __name__ == "__main__":
    main()
