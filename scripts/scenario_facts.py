"""The levels behind the README's reading of the scenario table: means over a sweep's seeds.

    python scripts/scenario_facts.py outputs/scenarios_20 [--scenario s5_cross_border_open ...]

Reads a sweep or replicate sets like ``mode=compare`` and prints, for the baseline, the
corridor's firms at the start and the end, entries and exits a year, the growth of Shenzhen's
and Hong Kong's commercial rents, Shenzhen's commercial rent as a share of Hong Kong's,
cross-border commuters at four dates, Shenzhen's whole-firm moves by destination city (within
Shenzhen too; 2018, 2022, 2027, 2030, 2037 and the whole run), those to another city by size
class, and Dongguan's firms moving to Shenzhen; then, for the baseline and each scenario given,
the same quantities that the README quotes for it (firms, jobs and resident talent by city in
the final quarter, cross-border commuters) and the change in Shenzhen's firms against the
baseline split by the flows that make it (entries, exits, moves out and in; paired over seeds),
and the change in the plants and R&D centres Shenzhen's firms set up in other cities split into
the number of firms large enough to have one and the rate per such firm, and the second sites
that leave Shenzhen net of those that come in (paired, with standard errors). Every figure is a
mean over the seeds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corridor_abm.reporting.compare import (  # noqa: E402
    CompareError,
    choose_baseline,
    load_city_quarter,
    load_run_sets,
    load_table,
    net_second_sites,
    paired_differences,
    second_sites_leaving,
)

CITIES = ("HK", "SZ", "DG", "HZ")


def _by_quarter(city: pd.DataFrame, label: str, column: str) -> pd.DataFrame:
    """Mean over seeds of ``column`` per quarter (rows) and city (columns) for one run label."""
    rows = city[city["label"] == label]
    per_seed = rows.groupby(["seed", "t", "quarter", "city"])[column].sum()
    return per_seed.groupby(["t", "quarter", "city"]).mean().unstack("city")


def baseline_facts(city: pd.DataFrame, moves: pd.DataFrame, label: str) -> list[str]:
    """Lines of text with the baseline's levels (means over seeds)."""
    out = []
    seeds = city.loc[city["label"] == label, "seed"].nunique()
    firms = _by_quarter(city, label, "firms").sum(axis=1)  # corridor total per quarter
    out.append(f"seeds: {seeds}")
    out.append(
        f"corridor firms: {firms.iloc[0]:,.0f} ({firms.index[0][1]}) -> {firms.iloc[-1]:,.0f} ({firms.index[-1][1]})"
    )
    rows = city[city["label"] == label].assign(year=lambda d: d["quarter"].str[:4])
    yearly = rows.groupby(["seed", "year"])[["entries", "exits"]].sum().groupby("year").mean()
    out.append("entries a year: " + ", ".join(f"{y} {v:,.0f}" for y, v in yearly["entries"].items()))
    out.append("exits a year: " + ", ".join(f"{y} {v:,.0f}" for y, v in yearly["exits"].items()))
    rent = _by_quarter(city, label, "mean_commercial_rent")
    for c in ("SZ", "HK"):
        out.append(f"{c} commercial rent: x{rent[c].iloc[-1] / rent[c].iloc[0]:.2f} over the run")
    share = rent["SZ"] / rent["HK"]
    out.append(f"SZ commercial rent / HK's: {share.iloc[0]:.2f} at the start, {share.iloc[-1]:.2f} at the end")
    comm = _by_quarter(city, label, "cross_border_commuters").sum(axis=1)
    for q in ("2018Q1", "2022Q1", "2025Q1", comm.index[-1][1]):
        hit = [v for (t, qq), v in comm.items() if qq == q]
        if hit:
            out.append(f"cross-border commuters {q}: {hit[0]:,.0f}")
    whole = moves[(moves["label"] == label) & (moves["kind"] == "whole firm")].copy()
    whole["year"] = whole["quarter"].str[:4]
    from_sz = whole[whole["from_city"] == "SZ"]
    per_year = from_sz.groupby(["year", "to_city"]).size().unstack("to_city", fill_value=0) / seeds
    for y in ("2018", "2022", "2027", "2030", "2037"):
        if y in per_year.index:
            out.append(
                f"SZ whole-firm moves by destination (SZ: within), {y}: "
                + ", ".join(f"{c} {per_year.loc[y].get(c, 0):.1f}" for c in CITIES)
            )
    totals = from_sz.groupby("to_city").size() / seeds
    out.append(
        "SZ whole-firm moves by destination (SZ: within), whole run: "
        + ", ".join(f"{c} {totals.get(c, 0):,.0f}" for c in CITIES)
    )
    by_size = from_sz[from_sz["to_city"] != "SZ"].groupby("size_class").size() / seeds
    out.append("  those to another city by size class: " + ", ".join(f"{k} {v:,.0f}" for k, v in by_size.items()))
    dg_to_sz = whole[(whole["from_city"] == "DG") & (whole["to_city"] == "SZ")].shape[0] / seeds
    out.append(f"DG -> SZ whole-firm moves, whole run: {dg_to_sz:,.0f}")
    return out


def scenario_facts(city: pd.DataFrame, label: str) -> list[str]:
    """Lines of text with a scenario's final-quarter levels by city (means over seeds)."""
    out = [f"[{label}] final quarter, by city (means over seeds):"]
    for column in ("firms", "jobs", "talent", "cross_border_commuters"):
        last = _by_quarter(city, label, column).iloc[-1]
        out.append(f"  {column}: " + ", ".join(f"{c} {last[c]:,.0f}" for c in CITIES) + f"; all {last.sum():,.0f}")
    return out


FLOWS = ("entries", "exits", "relocations_out", "relocations_in")
"""The flows that change a city's firm count (whole-firm moves; second sites are not firms)."""


def flow_facts(city: pd.DataFrame, base: str, label: str, where: str = "SZ") -> list[str]:
    """Lines of text with a scenario's change in ``where``'s firms, split by the flows that make it.

    Paired means over seeds (the scenario's seed minus the baseline's) of each flow summed over
    the whole run, and of the firm count in the final quarter; entries and moves in add firms,
    exits and moves out take them away, so the flows' net explains the change up to the firms
    present at the start.
    """
    d = paired_differences(city[city["city"] == where], base, [*FLOWS, "firms"])
    d = d[d["label"] == label]
    flows = d[d["variable"].isin(FLOWS)]
    diff = flows.groupby(["variable", "seed"])["diff"].sum().groupby("variable").mean()
    d_firms = d[(d["variable"] == "firms") & (d["t"] == d["t"].max())]["diff"].mean()
    net = diff["entries"] + diff["relocations_in"] - diff["exits"] - diff["relocations_out"]
    return [
        f"[{label}] {where}'s firms in the final quarter against the baseline (paired mean): {d_firms:+,.0f}; "
        f"over the whole run: entries {diff['entries']:+,.0f}, exits {diff['exits']:+,.0f}, "
        f"moves out {diff['relocations_out']:+,.0f}, moves in {diff['relocations_in']:+,.0f} (net {net:+,.0f})"
    ]


def site_facts(city: pd.DataFrame, sites: pd.DataFrame, base: str, label: str, where: str = "SZ") -> list[str]:
    """Lines of text splitting the change in second sites that ``where``'s firms set up in another
    city into the firms able to (≥ ``location.division_min_employees``, 1,000 employees: the
    ``firms_large`` of the city) and the rate per such firm.

    Per seed and kind (plant, R&D centre): sites opened in another city by firms headquartered
    in ``where`` plus sites moved out of ``where`` to another city, over the whole run, against
    the large firm-years of ``where``; paired means of the scenario against the baseline and the
    split of the change in log count into its two parts (they add up exactly).
    """
    big = city[city["city"] == where].groupby(["label", "seed"])["firms_large"].sum() / 4.0
    s = sites[sites["label"].isin([base, label])]
    out_of = second_sites_leaving(s, where)
    lines = [
        f"[{label}] second sites set up outside {where} by its firms (opened or moved out), whole run, means over seeds:"
    ]
    for kind in ("plant", "R&D centre"):
        n = s[out_of & (s["kind"] == kind)].groupby(["label", "seed"]).size().reindex(big.index, fill_value=0)
        frame = pd.DataFrame({"sites": n, "firm_years": big}).dropna().reset_index()
        frame = frame[frame["label"].isin([base, label])]
        wide = frame.pivot(index="seed", columns="label", values=["sites", "firm_years"]).dropna()
        if wide.empty:
            continue
        sites_b, sites_s = wide["sites"][base].mean(), wide["sites"][label].mean()
        years_b, years_s = wide["firm_years"][base].mean(), wide["firm_years"][label].mean()
        d_log = np.log(sites_s / sites_b) if sites_b > 0 and sites_s > 0 else float("nan")
        d_firms = np.log(years_s / years_b)
        lines.append(
            f"  {kind}: {sites_b:,.1f} -> {sites_s:,.1f} ({100 * (sites_s / sites_b - 1):+.1f}%); "
            f"large firm-years {years_b:,.0f} -> {years_s:,.0f}; per large firm-year "
            f"{sites_b / years_b:.4f} -> {sites_s / years_s:.4f}; change in log count {d_log:+.3f} = "
            f"firms {d_firms:+.3f} + rate {d_log - d_firms:+.3f}"
        )
    return lines


def net_site_facts(sites: pd.DataFrame, base: str, label: str, where: str = "SZ") -> list[str]:
    """Lines of text with the second sites that leave ``where`` net of those that come in, of any
    firm, over the whole run (``reporting.compare.net_second_sites``): means over seeds of each
    arm and the paired difference with its standard error and the number of pairs in which the
    scenario has more; per kind and both kinds together.
    """
    lines = [f"[{label}] second sites leaving {where} net of those entering it (any firm), whole run:"]
    for kind, f in net_second_sites(sites, base, label, where).items():
        d = f["diff"]
        se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
        lines.append(
            f"  {kind}: out {f[f'out_{base}'].mean():,.1f} -> {f[f'out_{label}'].mean():,.1f}, "
            f"in {f[f'in_{base}'].mean():,.1f} -> {f[f'in_{label}'].mean():,.1f}; "
            f"net {f[f'net_{base}'].mean():,.1f} -> {f[f'net_{label}'].mean():,.1f} (paired {d.mean():+,.1f}, "
            f"se {se:.1f}, more in {(d > 0).sum()} of {len(d)} pairs)"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    """Print the facts of the runs in ``paths``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="sweep or run directories (as for mode=compare)")
    parser.add_argument("--scenario", action="append", default=[], help="scenario label to describe too")
    args = parser.parse_args(argv)
    try:
        sets = load_run_sets(args.paths)
    except CompareError as err:
        parser.error(str(err))
    base = choose_baseline(sets).label
    unknown = sorted(set(args.scenario) - {s.label for s in sets})
    if unknown:
        parser.error(
            f"--scenario {', '.join(unknown)}: no such run label; the runs are {', '.join(s.label for s in sets)}"
        )
    city = load_city_quarter(sets)
    moves = load_table([s for s in sets if s.label == base], "relocations")
    sites = load_table([s for s in sets if s.label == base or s.label in args.scenario], "establishments")
    print("\n".join(baseline_facts(city, moves, base)))
    print("\n".join(scenario_facts(city, base)))
    for label in args.scenario:
        print("\n".join(scenario_facts(city, label)))
        print("\n".join(flow_facts(city, base, label)))
        print("\n".join(site_facts(city, sites, base, label)))
        print("\n".join(net_site_facts(sites, base, label)))


if __name__ == "__main__":
    main()
