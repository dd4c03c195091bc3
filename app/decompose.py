"""Which lever group produces a package's effect? One-at-a-time effects and Shapley values.

    python run.py mode=decompose scenario=s8_combined_package decompose.border_channels=false
    python run.py mode=decompose scenario=s5_cross_border_open decompose.seeds=10 decompose.quarters=20

The package is everything the scenario changes relative to the calibrated baseline. Its changes
are grouped by lever (:data:`GROUPS`: land, cross-city parks, talent, border, transport, firm
support, services, the economy), the border split into its channels (:data:`BORDER_CHANNELS`:
capital, knowledge, goods, talent barriers, firm relocation, cooperation zones, crossing time)
unless ``decompose.border_channels=false``. Every subset of the groups present (2^n runs per seed for n ≤ 6; sampled
orderings beyond, Castro, Gómez & Tejada 2009) is simulated on the same seeds (common random
numbers), and the change of each key outcome against the baseline is attributed to the groups:
the Shapley value of a group is its marginal contribution averaged over the orders in which the
groups can be switched on; the one-at-a-time effect is the group alone; the interaction is what
the one-at-a-time effects leave of the whole. Written: ``decompose.csv`` (outcome × group ×
statistic, with a 90% band over seeds), ``decompose.md`` and ``decompose.png``.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor_abm.app.sample import SampleParams, write_result_table
from corridor_abm.model.config import Config, calibrated_defaults, only_model
from corridor_abm.model.params import param
from corridor_abm.model.rng import replicate_seeds
from corridor_abm.model.runio import begin_run, mark_complete, provenance
from corridor_abm.reporting.style import DEFAULT_DPI, RUN_COLOURS, save_figure

log = logging.getLogger("corridor.decompose")

GROUPS: dict[str, tuple[str, ...]] = {
    "land": ("land.", "government.land_rule"),
    "parks": ("government.park_",),
    "talent": ("government.talent_",),
    "border": ("border.",),
    "transport": ("transport.",),
    "firm support": (
        "government.startup_",
        "government.incubator_",
        "government.rd_",
        "government.guidance_",
    ),
    "services": ("government.services_", "services."),
    "economy": ("economy.",),
}
"""Lever groups by key prefix; a changed key that matches none is its own group."""

BORDER_CHANNELS: dict[str, tuple[str, ...]] = {
    "capital": ("border.capital_friction",),
    "knowledge": ("border.knowledge_friction",),
    "goods": ("border.goods_friction",),
    "talent barriers": ("border.work_barrier", "border.residence_barrier"),
    "firm relocation": ("border.firm_relocation_barrier",),
    "cooperation zones": ("border.zone_friction_factor",),
    "crossing time": ("transport.border_crossing_minutes",),
}
"""The border's channels, each its own group when ``decompose.border_channels`` is on (checked
before :data:`GROUPS`; a border key not listed falls into the ``border`` group)."""

OUTCOMES: dict[str, str] = {
    "firms": "firms headquartered",
    "talent": "skilled workers living",
    "mean_commercial_rent": "commercial rent (¥/m²/month)",
    "mean_house_price": "house price (¥/m²)",
    "innovations": "innovations per year",
    "vc_amount": "venture money per year (¥)",
    "cross_border_commuters": "cross-border commuters",
    "startups_hk_founders": "start-ups by HK founders per year",
    "vc_cross_border_amount": "cross-border venture money per year (¥)",
}
"""Key outcomes (``city_quarter`` columns), by city and for the corridor."""

FLOWS = frozenset({"innovations", "vc_amount", "startups_hk_founders", "vc_cross_border_amount"})
"""Outcomes summed over the last year (the others are averaged over its quarters)."""

CITIES = ("HK", "SZ", "DG", "HZ")


@dataclass
class DecomposeParams(SampleParams):
    """The decomposition (``python run.py mode=decompose``; run control, not the model's)."""

    seeds: int = param(5, "runs", "Paired seeds", lo=1, hi=1000, source="run setting")
    quarters: int = param(
        20, "quarters", "Quarters simulated; outcomes are over the last year", lo=4, hi=400, source="run setting"
    )
    max_exact: int = param(
        6,
        "groups",
        "Most groups whose subsets are all run (beyond: sampled orderings)",
        lo=1,
        hi=10,
        source="run setting",
    )
    orderings: int = param(
        24,
        "orderings",
        "Sampled orderings when there are more groups than max_exact",
        lo=2,
        hi=10_000,
        source="run setting",
    )
    border_channels: bool = param(
        True,
        "bool",
        "Each channel of the border (capital, knowledge, goods, talent barriers, firm relocation, cooperation "
        "zones, crossing time) a group of its own; false: one border group",
        source="run setting",
    )


def _leaves(obj: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            out.update(_leaves(value, f"{key}."))
        else:
            out[key] = value
    return out


RUN_KEYS = ("scenario_name", "calibrated_set", "seed", "start", "quarters", "n_firms", "n_talent", "population_share")


def package(scenario: Config, baseline: Config, border_channels: bool = True) -> dict[str, dict[str, Any]]:
    """The scenario's changes to the baseline, grouped: group → {key: value} (the border's
    channels each a group of their own if ``border_channels``)."""
    new, old = _leaves(scenario), _leaves(baseline)
    changed = {k: v for k, v in new.items() if k not in RUN_KEYS and old.get(k) != v}
    table = {**BORDER_CHANNELS, **GROUPS} if border_channels else GROUPS
    groups: dict[str, dict[str, Any]] = {}
    for key, value in changed.items():
        name = next((g for g, prefixes in table.items() if key.startswith(prefixes)), key)
        groups.setdefault(name, {})[key] = value
    return groups


def _set(cfg: Config, values: dict[str, Any]) -> Config:
    out = only_model(cfg)
    for key, value in values.items():
        *path, leaf = key.split(".")
        node = out
        for part in path:
            node = getattr(node, part)
        setattr(node, leaf, value)
    return out


def coalitions(
    n: int, max_exact: int, orderings: int, rng: np.random.Generator
) -> tuple[list[frozenset[int]], list[tuple[int, ...]]]:
    """The subsets of n groups to simulate, and the orderings the Shapley values average over
    (all n! when n ≤ max_exact, else ``orderings`` sampled ones)."""
    if n <= max_exact:
        orders = list(itertools.permutations(range(n)))
    else:
        orders = [tuple(rng.permutation(n)) for _ in range(orderings)]
    needed = {frozenset()} | {frozenset(range(n))} | {frozenset([g]) for g in range(n)}
    for order in orders:
        for k in range(1, n + 1):
            needed.add(frozenset(order[:k]))
    return sorted(needed, key=lambda c: (len(c), sorted(c))), orders


def shapley(values: dict[frozenset[int], np.ndarray], n: int, orders: list[tuple[int, ...]]) -> np.ndarray:
    """Shapley values (n, ...) of a game given its value on coalitions, averaged over ``orders``.

    With every ordering of n players, this is the exact Shapley value; the values sum to
    v(all) − v(none) for any set of orderings.
    """
    phi = np.zeros((n, *values[frozenset()].shape))
    for order in orders:
        before = frozenset()
        for g in order:
            after = before | {g}
            phi[g] += values[after] - values[before]
            before = after
    return phi / len(orders)


def outcome_vector(tables: dict[str, pd.DataFrame]) -> np.ndarray:
    """Key outcomes over the last simulated year: per outcome, the four cities then the corridor."""
    cq = tables["city_quarter"]
    last = cq[cq["t"] > cq["t"].max() - 4]
    out = []
    for col in OUTCOMES:
        per_city = last.groupby("city")[col]
        flow = col in FLOWS
        values = (per_city.sum() if flow else per_city.mean()).reindex(list(CITIES)).to_numpy(dtype=float)
        corridor = float(np.nanmean(values)) if col.startswith("mean_") else float(values.sum())
        out.extend([*values, corridor])
    return np.array(out)


def run_outcomes(cfg: Config) -> np.ndarray:
    """Simulate a configuration and return its outcome vector (runs in a worker process)."""
    from corridor_abm.calibration.evaluate import released_models
    from corridor_abm.model.simulate import simulate

    logging.getLogger("MESA").setLevel(logging.WARNING)
    with released_models():
        return outcome_vector(simulate(cfg).tables)


def decompose(settings: Any, workers: int) -> tuple[pd.DataFrame, list[str]]:
    """Run the decomposition of the settings' scenario against the calibrated baseline.

    Returns:
        A tidy table (outcome, city, group, statistic: shapley / alone / total / interaction,
        mean, p05, p95) and the group names.
    """
    from corridor_abm.calibration.evaluate import run_parallel

    dp = settings.decompose
    baseline = only_model(calibrated_defaults(settings.calibrated_set))
    sample = {**dp.sample(), "start": settings.start, "calibrated_set": settings.calibrated_set}
    baseline = _set(baseline, sample)
    groups = package(only_model(settings), baseline, settings.decompose.border_channels)
    if not groups:
        raise SystemExit(
            f"decompose: scenario {settings.scenario_name} changes nothing against the calibrated baseline."
        )
    names = list(groups)
    rng = np.random.default_rng(settings.seed)
    subsets, orders = coalitions(len(names), dp.max_exact, dp.orderings, rng)
    seeds = replicate_seeds(settings.seed, dp.seeds)
    configs, keys = [], []
    for subset in subsets:
        values = {k: v for g in subset for k, v in groups[names[g]].items()}
        for k, seed in enumerate(seeds):
            configs.append(_set(baseline, {**values, "seed": int(seed), "scenario_name": settings.scenario_name}))
            keys.append((subset, k))
    log.info(
        "decompose %s: %d groups, %d subsets × %d seeds", settings.scenario_name, len(names), len(subsets), len(seeds)
    )
    results = run_parallel(run_outcomes, configs, workers)
    by = {key: np.asarray(r) for key, r in zip(keys, results)}
    labels = [(col, city) for col in OUTCOMES for city in (*CITIES, "corridor")]
    per_seed: dict[str, list[np.ndarray]] = {"shapley": [], "alone": [], "total": [], "interaction": []}
    full = frozenset(range(len(names)))
    for k in range(len(seeds)):
        values = {s: by[(s, k)] - by[(frozenset(), k)] for s in subsets}
        phi = shapley(values, len(names), orders)
        alone = np.array([values[frozenset([g])] for g in range(len(names))])
        per_seed["shapley"].append(phi)
        per_seed["alone"].append(alone)
        per_seed["total"].append(values[full][None, :])
        per_seed["interaction"].append((values[full] - alone.sum(axis=0))[None, :])
    rows = []
    for stat, arrays in per_seed.items():
        stack = np.stack(arrays)  # seeds × groups × outcomes
        lo, hi = np.quantile(stack, [0.05, 0.95], axis=0)
        mean = stack.mean(axis=0)
        for g in range(stack.shape[1]):
            group = names[g] if stat in ("shapley", "alone") else "all"
            for j, (col, city) in enumerate(labels):
                rows.append(
                    {
                        "outcome": col,
                        "city": city,
                        "group": group,
                        "statistic": stat,
                        "mean": mean[g, j],
                        "p05": lo[g, j],
                        "p95": hi[g, j],
                        "n_seeds": len(seeds),
                    }
                )
    base_mean = np.mean([by[(frozenset(), k)] for k in range(len(seeds))], axis=0)
    for j, (col, city) in enumerate(labels):
        rows.append(
            {
                "outcome": col,
                "city": city,
                "group": "baseline",
                "statistic": "level",
                "mean": base_mean[j],
                "p05": np.nan,
                "p95": np.nan,
                "n_seeds": len(seeds),
            }
        )
    return pd.DataFrame(rows), names


def _units(x: float) -> str:
    """A change in an outcome's own units: whole numbers from 100 on, three digits below."""
    return f"{x:+,.0f}" if abs(x) >= 100 else f"{x:+.3g}"


def decompose_markdown(table: pd.DataFrame, names: list[str], scenario: str, groups: dict[str, dict[str, Any]]) -> str:
    """Shapley values of the corridor and Shenzhen outcomes, relative to the baseline level."""
    lines = [f"**{scenario}**: lever groups " + "; ".join(f"*{g}* ({', '.join(sorted(groups[g]))})" for g in names), ""]
    head = (
        "| outcome | city | baseline | total change | "
        + " | ".join(f"{g} (Shapley)" for g in names)
        + " | interaction |"
    )
    lines += [head, "|" + "---|" * (5 + len(names))]
    for col, label in OUTCOMES.items():
        for city in ("SZ", "corridor"):
            sub = table[(table["outcome"] == col) & (table["city"] == city)]
            level = float(sub[sub["statistic"] == "level"]["mean"].iloc[0])

            def pct(stat: str, group: str, sub: pd.DataFrame = sub, level: float = level) -> str:
                r = sub[(sub["statistic"] == stat) & (sub["group"] == group)].iloc[0]
                if not level:  # a share of zero is undefined: the change in the outcome's own units
                    return f"{_units(r['mean'])} [{_units(r['p05'])}, {_units(r['p95'])}]"
                scale = abs(level)
                return f"{r['mean'] / scale:+.1%} [{r['p05'] / scale:+.1%}, {r['p95'] / scale:+.1%}]"

            cells = [pct("shapley", g) for g in names]
            lines.append(
                f"| {label} | {city} | {level:,.4g} | {pct('total', 'all')} | "
                + " | ".join(cells)
                + f" | {pct('interaction', 'all')} |"
            )
    lines.append("")
    lines.append(
        "Changes relative to the baseline level over the last simulated year (in the outcome's own units where "
        "the baseline is zero); 90% band over paired seeds in brackets."
    )
    return "\n".join(lines) + "\n"


def decompose_figure(table: pd.DataFrame, names: list[str], path: Path, title: str, dpi: int = DEFAULT_DPI) -> None:
    """Bars of each group's Shapley value (relative to the baseline) per outcome, corridor and SZ
    (Okabe–Ito colours and hatches; format by ``path``'s suffix, ``dpi`` for raster output)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    hatches = ["", "//", "..", "xx", "\\\\", "oo", "++", "--"]
    for ax, city in zip(axes, ("corridor", "SZ")):
        y = np.arange(len(OUTCOMES))
        height = 0.8 / (len(names) + 1)
        for g, name in enumerate([*names, "total"]):
            vals, los, his = [], [], []
            for col in OUTCOMES:
                sub = table[(table["outcome"] == col) & (table["city"] == city)]
                # no bar where the baseline is zero (a share of zero is undefined; the table has it)
                level = abs(float(sub[sub["statistic"] == "level"]["mean"].iloc[0])) or np.nan
                stat, group = ("total", "all") if name == "total" else ("shapley", name)
                r = sub[(sub["statistic"] == stat) & (sub["group"] == group)].iloc[0]
                vals.append(100 * r["mean"] / level)
                # a skewed seed set can put the mean outside its own 5–95% range: no negative bars
                los.append(100 * max(r["mean"] - r["p05"], 0.0) / level)
                his.append(100 * max(r["p95"] - r["mean"], 0.0) / level)
            ax.barh(
                y + g * height,
                vals,
                height,
                xerr=[los, his],
                label=name,
                color="0.2" if name == "total" else RUN_COLOURS[1:][g % (len(RUN_COLOURS) - 1)],
                hatch=hatches[g % len(hatches)],
                edgecolor="black",
                linewidth=0.4,
            )
        ax.axvline(0, color="black", linewidth=0.8)
        # symmetric log beyond ±10%: one channel's ×5 (commuters under S5) would otherwise
        # flatten every other outcome's bars to nothing
        ax.set_xscale("symlog", linthresh=10.0)
        ax.grid(axis="x", color="0.85", linewidth=0.5)
        ax.set_yticks(y + 0.4 - height / 2, list(OUTCOMES.values()))
        ax.set_xlabel("change against the baseline, % (linear within ±10%)")
        ax.set_title(city)
    axes[0].legend(fontsize=8, loc="lower right")
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path, dpi, close=True)


def decompose_mode(settings: Any, out_dir: Path) -> None:
    """``python run.py mode=decompose scenario=...``: the decomposition into ``out_dir``."""
    start = time.perf_counter()
    out_dir = begin_run(out_dir)
    table, names = decompose(settings, settings.workers)
    baseline = _set(
        only_model(calibrated_defaults(settings.calibrated_set)), {"calibrated_set": settings.calibrated_set}
    )
    groups = package(only_model(settings), baseline, settings.decompose.border_channels)
    files = write_result_table(
        out_dir, "decompose", table, decompose_markdown(table, names, settings.scenario_name, groups)
    )
    try:
        decompose_figure(
            table,
            names,
            out_dir / f"decompose.{settings.output.format}",
            f"{settings.scenario_name}: Shapley decomposition",
            dpi=settings.output.dpi,
        )
    except Exception as err:  # noqa: BLE001 — a failing figure must never lose the tables
        log.warning("decompose figure failed: %s", err)
    mark_complete(
        out_dir,
        provenance(
            "decompose",
            settings,
            time.perf_counter() - start,
            groups={g: sorted(v) for g, v in groups.items()},
            orderings=math.factorial(len(names))
            if len(names) <= settings.decompose.max_exact
            else settings.decompose.orderings,
        ),
        files,
    )
    log.info("decompose: %s -> %s", settings.scenario_name, out_dir)
