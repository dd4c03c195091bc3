"""The backtest: the model's 2018–2024 paths against public figures not used in calibration.

    python run.py mode=backtest scenario=historical                    # 10 seeds, a 10% sample
    python run.py mode=backtest scenario=historical backtest.seeds=20

The scenario (``historical``: the border closure, interest rates, the property-credit
tightening and the nominal growth of 2018–2025, as parameter paths) runs over
``backtest.seeds`` seeds. Every observed series of ``backtest/observed.csv`` is compared as an
index — its value over its value in the series' base period — with the same index of the model
(``city_quarter``: a quarter's value for a level, the year's sum or mean for a flow). No series
of the file is a calibration target (the targets use 2018 levels and 2018→2019 growth); the
backtest never feeds back into calibration.

Written: ``backtest.csv`` (one row per observation: observed index, the model's median and 90%
band over seeds, and whether the observation lies in the band), ``backtest_summary.csv`` (per
series: observations in the band, mean log error), ``backtest.md`` and ``backtest.png`` (or the
``output.format``).

With ``backtest.decompose=true`` the same seeds also run without each of the scenario's paths in
turn (a *driver*: ``transport.border_crossing_minutes``, ``economy.credit_premium``, ...) and
without any of them; ``backtest_decomposition.csv``/``.md`` give, for every observation, the
index without the paths and each driver's share: the paired (same seed) median of
``log(index with every path / index without that driver)``. A driver's share is exactly 0 before
its path's first quarter; the shares need not add up to the paths' total (the drivers interact).
A miss the run without paths shares is the model's own trend, not the history's.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor_abm.app.sample import SampleParams, write_result_table
from corridor_abm.model.config import ROOT
from corridor_abm.model.params import param
from corridor_abm.model.rng import replicate_seeds
from corridor_abm.model.runio import begin_run, mark_complete, provenance
from corridor_abm.reporting.style import DEFAULT_DPI, figure_path, save_figure

log = logging.getLogger("corridor.backtest")

OBSERVED = ROOT / "backtest" / "observed.csv"
"""The observed series (with their sources)."""

SERIES: dict[str, tuple[str, str, str]] = {
    "hte": ("firms", "mean", "high-tech firms (model: living firms headquartered in the city)"),
    "gerd": ("rd_spending", "sum", "R&D spending (model: R&D of the city's modelled firms)"),
    "wage": ("mean_wage", "mean", "average wage (model: mean wage of skilled workers with jobs in the city)"),
    "house_price_new": ("mean_house_price", "mean", "new-home price index (model: mean house price)"),
    "house_price_used": ("mean_house_price", "mean", "second-hand price index (model: mean house price)"),
    "house_price_rvd": ("mean_house_price", "mean", "private domestic price index (model: mean house price)"),
    "crossings": (
        "cross_border_commuters",
        "mean",
        "cross-boundary passenger trips (model: skilled cross-border commuters, all cities)",
    ),
    "hightech_output": ("output", "sum", "high-tech (strategic emerging) industries' value added (model: output)"),
    "patents_pct": ("innovations", "sum", "PCT applications (model: innovations)"),
    "gdp_output": ("output", "sum", "nominal GDP (model: output of the city's modelled firms)"),
}
"""Observed series → (city_quarter column, yearly aggregation of a flow, what is compared)."""


@dataclass
class BacktestParams(SampleParams):
    """The backtest (``python run.py mode=backtest``; run control)."""

    quarters: int = param(28, "quarters", "Quarters simulated (28 = 2018Q1–2024Q4)", lo=8, hi=400, source="run setting")
    decompose: bool = param(
        False,
        "-",
        "Also run the same seeds without each of the scenario's paths in turn and without any: each "
        "driver's share of every observation (backtest_decomposition.csv and .md; 2 + drivers times the runs)",
        source="run setting",
    )


def load_observed(path: Path = OBSERVED) -> pd.DataFrame:
    """The observed series, one row per observation."""
    frame = pd.read_csv(path, comment="#", dtype={"period": str, "base": str})
    unknown = sorted(set(frame["series"]) - set(SERIES))
    if unknown:
        raise ValueError(f"{path}: series without a model mapping: {', '.join(unknown)}")
    return frame


def model_value(city_quarter: pd.DataFrame, series: str, city: str, period: str) -> float:
    """The model's value of a series in a period: a quarter's value ('YYYYQn'), or the year's
    sum or mean of the quarters ('YYYY'); city 'ALL' sums the cities."""
    column, how, _ = SERIES[series]
    rows = city_quarter if city == "ALL" else city_quarter[city_quarter["city"] == city]
    per_quarter = rows.groupby("quarter")[column].sum()
    if "Q" in period:
        return float(per_quarter.get(period, np.nan))
    year = per_quarter[per_quarter.index.str.startswith(period)]
    if len(year) < 4:
        return float("nan")
    return float(year.sum() if how == "sum" else year.mean())


def _run(cfg: Any) -> pd.DataFrame:
    from corridor_abm.model.corridor import CorridorModel

    model = CorridorModel(cfg)
    model.run()
    return model.recorder.tables(model.state)["city_quarter"]


def drivers(paths: dict[str, Any]) -> list[str]:
    """The drivers a configuration's paths move: each path's key down to its parameter
    (``economy.mortgage_rate`` for the per-city paths ``economy.mortgage_rate.hk``, ...)."""
    return [f"{group}.{name}" for group, node in (paths or {}).items() for name in (node or {})]


def without_driver(cfg: Any, driver: str | None) -> Any:
    """A copy of ``cfg`` without the paths of ``driver`` (``None``: without any path)."""
    out = copy.deepcopy(cfg)
    if driver is None:
        out.paths = {}
        return out
    group, name = driver.split(".", 1)
    paths = {g: dict(node) for g, node in out.paths.items()}
    del paths[group][name]
    out.paths = {g: node for g, node in paths.items() if node}
    return out


def _indices(tables: list[pd.DataFrame], observed: pd.DataFrame) -> list[dict[str, Any]]:
    """Per observation (not its series' base period): the observed index and the model's index in
    each run of ``tables`` (NaN where a run lacks the period), in the order of ``tables``."""
    out = []
    for (series, city), group in observed.groupby(["series", "city"], sort=False):
        base_period = str(group["base"].iloc[0])
        base_obs = group.loc[group["period"] == base_period, "value"]
        if base_obs.empty:
            continue
        base_model = np.array([model_value(t, series, city, base_period) for t in tables])
        for _, row in group.iterrows():
            period = str(row["period"])
            if period == base_period:
                continue
            out.append(
                {
                    "series": series,
                    "city": city,
                    "period": period,
                    "base": base_period,
                    "observed": float(row["value"]) / float(base_obs.iloc[0]),
                    "sim": np.array([model_value(t, series, city, period) for t in tables]) / base_model,
                    "status": row["status"],
                    "source": row["source"],
                }
            )
    return out


def _compare(indices: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per observation: the observed index and the model's median and 90% band."""
    rows = []
    for ob in indices:
        sim = ob["sim"][np.isfinite(ob["sim"])]
        if sim.size == 0:
            continue
        lo, med, hi = np.quantile(sim, [0.05, 0.5, 0.95])
        obs = ob["observed"]
        rows.append(
            {
                "series": ob["series"],
                "city": ob["city"],
                "period": ob["period"],
                "base": ob["base"],
                "observed": obs,
                "model_median": med,
                "model_p05": lo,
                "model_p95": hi,
                "in_band": bool(lo <= obs <= hi),
                "log_error": float(np.log(med / obs)) if med > 0 and obs > 0 else np.nan,
                "seeds": int(sim.size),
                "status": ob["status"],
                "source": ob["source"],
                "compared": SERIES[ob["series"]][2],
            }
        )
    return pd.DataFrame(rows)


def _simulate(settings: Any, variants: list[str | None] | None, workers: int) -> list[list[pd.DataFrame]]:
    """The backtest's seeds under the scenario as given and, for each of ``variants``, without
    that driver's paths (``None``: without any path): one list of city tables per run set."""
    from corridor_abm.calibration.evaluate import run_parallel
    from corridor_abm.calibration.spec import apply_values
    from corridor_abm.model.config import only_model

    bp = settings.backtest
    seeds = replicate_seeds(settings.seed, bp.seeds)
    base = apply_values(only_model(settings), bp.sample())
    sets = [base] + [without_driver(base, v) for v in variants or []]
    cfgs = [apply_values(c, {"seed": int(seed)}, check=False) for c in sets for seed in seeds]
    tables = run_parallel(_run, cfgs, workers)
    return [tables[i * len(seeds) : (i + 1) * len(seeds)] for i in range(len(sets))]


def backtest_table(settings: Any, workers: int = 1) -> pd.DataFrame:
    """One row per observation: the observed index and the model's median and 90% band."""
    (tables,) = _simulate(settings, None, workers)
    return _compare(_indices(tables, load_observed()))


def decomposition_table(full: list[dict[str, Any]], without: dict[str | None, list[dict[str, Any]]]) -> pd.DataFrame:
    """Each driver's share of every observation, paired by seed.

    Args:
        full: :func:`_indices` of the runs with every path.
        without: :func:`_indices` of the same seeds without a driver's paths, by driver
            (``None``: without any path).

    Returns:
        One row per observation: the observed index, the model's median index with every path
        (``model``) and without any (``without_paths``), ``all_paths`` = the median over seeds of
        ``log(with / without any)``, and per driver the median of ``log(with / without it)``
        (log points; 0 where the driver has not acted yet).
    """
    rows = []
    for i, ob in enumerate(full):
        if not np.isfinite(ob["sim"]).any():  # past the run's horizon
            continue
        row = {k: ob[k] for k in ("series", "city", "period", "base", "observed")}
        row["model"] = float(np.nanmedian(ob["sim"]))
        row["without_paths"] = float(np.nanmedian(without[None][i]["sim"]))
        for driver, indices in without.items():
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.log(ob["sim"] / indices[i]["sim"])
            share = share[np.isfinite(share)]
            row["all_paths" if driver is None else driver] = float(np.median(share)) if share.size else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def decomposition_summary(table: pd.DataFrame, driver_names: list[str]) -> pd.DataFrame:
    """Per series and city: the mean log error of the model's median (model over observed) with
    every path and without any, the mean share of every path together and of each driver, and
    the driver with the largest mean share in absolute value."""
    errors = table.assign(
        error_with_paths=np.log(table["model"] / table["observed"]),
        error_without_paths=np.log(table["without_paths"] / table["observed"]),
    )
    columns = ["error_with_paths", "error_without_paths", "all_paths", *driver_names]
    out = errors.groupby(["series", "city"], sort=False)[columns].mean().reset_index()
    shares = out[driver_names].abs()
    largest = shares.idxmax(axis=1).where(shares.max(axis=1) > 0, "") if driver_names else ""
    return out.assign(largest_driver=largest)


def decomposition_markdown(table: pd.DataFrame, driver_names: list[str], settings: Any) -> str:
    """The decomposition as Markdown: the summary by series, then every observation."""
    bp = settings.backtest
    summary = decomposition_summary(table, driver_names)
    head = ["series", "city", "period", "observed", "model", "without paths", "all paths", *driver_names]
    lines = [
        f"# Backtest decomposition: scenario {settings.scenario_name}, {bp.seeds} seeds, n_firms={bp.n_firms}, "
        f"n_talent={bp.n_talent}, population_share={bp.population_share}",
        "",
        "Indices as in backtest.md (medians over seeds). 'without paths': the same seeds with none of the "
        "scenario's paths (its drivers at their 2018Q1 values throughout). Shares: the median over seeds of "
        "log(index with every path / index without the driver), in log points; they need not add up to "
        "'all paths' (the drivers interact). A miss that the runs without paths share is the model's own.",
        "",
        "| series | city | mean log error, with the paths | without them | all paths (mean share) | "
        + " | ".join(driver_names)
        + " | largest |",
        "|" + "---|" * (6 + len(driver_names)),
    ]
    for _, r in summary.iterrows():
        cells = [r["series"], r["city"], f"{r['error_with_paths']:+.3f}", f"{r['error_without_paths']:+.3f}"]
        cells += [f"{r['all_paths']:+.3f}", *[f"{r[d]:+.3f}" for d in driver_names], r["largest_driver"]]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for _, r in table.iterrows():
        cells = [r["series"], r["city"], r["period"], f"{r['observed']:.3f}", f"{r['model']:.3f}"]
        cells += [f"{r['without_paths']:.3f}", f"{r['all_paths']:+.3f}"]
        cells += [f"{r[d]:+.3f}" for d in driver_names]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def summary_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per series and city: observations, how many lie in the model's 90% band, the mean log
    error of the median (model over observed) and its direction."""
    out = (
        table.groupby(["series", "city"], sort=False)
        .agg(
            observations=("in_band", "size"),
            in_band=("in_band", "sum"),
            mean_log_error=("log_error", "mean"),
            compared=("compared", "first"),
        )
        .reset_index()
    )
    out["fits"] = out["in_band"] >= np.ceil(out["observations"] / 2)
    return out


def backtest_markdown(table: pd.DataFrame, summary: pd.DataFrame, settings: Any) -> str:
    """The tables as Markdown (what the README quotes)."""
    bp = settings.backtest
    lines = [
        f"# Backtest: scenario {settings.scenario_name}, {bp.seeds} seeds, n_firms={bp.n_firms}, "
        f"n_talent={bp.n_talent}, population_share={bp.population_share}",
        "",
        "Indices (value / value in the base period); model: median and 90% band over seeds.",
        "",
        "| series | city | observations | in the 90% band | mean log error (model/observed) |",
        "|---|---|---|---|---|",
    ]
    for _, r in summary.iterrows():
        lines.append(
            f"| {r['series']} | {r['city']} | {r['observations']} | {r['in_band']} | {r['mean_log_error']:+.2f} |"
        )
    lines += [
        "",
        "| series | city | period | base | observed | model median | 90% band | in band | status | source |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        lines.append(
            f"| {r['series']} | {r['city']} | {r['period']} | {r['base']} | {r['observed']:.3f} | "
            f"{r['model_median']:.3f} | {r['model_p05']:.3f}–{r['model_p95']:.3f} | "
            f"{'yes' if r['in_band'] else 'no'} | {r['status']} | {r['source']} |"
        )
    return "\n".join(lines) + "\n"


def plot_backtest(
    table: pd.DataFrame,
    path: Path | None = None,
    dpi: int = DEFAULT_DPI,
    timeline: pd.DataFrame | None = None,
    without_paths: pd.DataFrame | None = None,
) -> Any:
    """One panel per series and city: observed index (dots) against the model's median and 90%
    band. Saved to ``path`` (png, svg or pdf by its suffix) at ``dpi``.

    Args:
        table: :func:`backtest_table`'s rows.
        path: Where to save the figure (None: not saved).
        dpi: Resolution of a raster figure.
        timeline: (quarter, key) of every change of a path (:func:`timeline_table`): dashed
            lines on every panel, the drivers and their quarters in a footer.
        without_paths: :func:`decomposition_table`'s rows: the median without any path, dashed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from corridor_abm.reporting.plots import mark_changes

    groups = list(table.groupby(["series", "city"], sort=False))
    n = len(groups)
    cols = 4
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.0 * cols, 3.0 * rows), squeeze=False)

    def x_of(period: str) -> float:
        if "Q" in period:
            year, q = period.split("Q")
            return int(year) + (int(q) - 0.5) / 4.0
        return int(period) + 0.5

    for ax, ((series, city), group) in zip(axes.ravel(), groups):
        x = np.array([x_of(p) for p in group["period"]])
        order = np.argsort(x)
        ax.fill_between(
            x[order],
            group["model_p05"].to_numpy()[order],
            group["model_p95"].to_numpy()[order],
            alpha=0.3,
            label="model 90%",
        )
        ax.plot(x[order], group["model_median"].to_numpy()[order], "-", label="model median")
        if without_paths is not None:
            own = group.merge(without_paths, on=["series", "city", "period"], how="left")["without_paths"]
            ax.plot(x[order], own.to_numpy()[order], "--", color="C1", lw=1.0, label="model without the paths")
        ax.plot(x[order], group["observed"].to_numpy()[order], "ko", ms=4, label="observed")
        ax.axhline(1.0, color="0.6", lw=0.5)
        ax.set_xlim(2018.0, 2025.2)
        ax.set_title(f"{series} {city} (÷ {group['base'].iloc[0]})", fontsize=9)
        ax.tick_params(labelsize=8)
    mark_changes(axes.ravel()[:n], timeline, label_first=False)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=7)
    fig.suptitle(
        "Backtest: model (median, 90% band over seeds) vs public figures, as indices; grey dashes: a path changes",
        fontsize=11,
    )
    changes = [] if timeline is None or timeline.empty else _changes_by_driver(timeline)
    if changes:
        fig.text(0.01, 0.005, "Paths change: " + "; ".join(changes), fontsize=6, va="bottom", wrap=True)
    fig.tight_layout(rect=(0.0, 0.03 if changes else 0.0, 1.0, 1.0))
    if path is not None:
        save_figure(fig, path, dpi, close=True)
    return fig


def _changes_by_driver(timeline: pd.DataFrame) -> list[str]:
    """'driver: quarter, quarter, ...' for every driver of the timeline (a path's key down to its
    parameter, as :func:`drivers`)."""
    driver = timeline["key"].str.split(".").str[:2].str.join(".")
    quarters = timeline.assign(driver=driver).groupby("driver", sort=False)["quarter"]
    return [f"{d}: {', '.join(dict.fromkeys(q))}" for d, q in quarters]


def timeline_table(cfg: Any) -> pd.DataFrame:
    """(quarter, key) of every point of every path of ``cfg``, those its ``package_start`` makes
    included (what :func:`plot_backtest` marks)."""
    from corridor_abm.model.config import timeline_of
    from corridor_abm.model.timeline import quarter_label

    events = timeline_of(cfg).events()
    return pd.DataFrame([{"quarter": quarter_label(t), "key": key} for t, key, _ in events], columns=["quarter", "key"])


def backtest_mode(settings: Any, out_dir: Path) -> None:
    """``python run.py mode=backtest``: the backtest tables and figure into ``out_dir`` (and,
    with ``backtest.decompose``, the decomposition by driver)."""
    start = time.perf_counter()
    out_dir = begin_run(out_dir)
    observed = load_observed()
    driver_names = drivers(settings.paths) if settings.backtest.decompose else []
    variants: list[str | None] = [None, *driver_names] if settings.backtest.decompose else []
    sets = _simulate(settings, variants, settings.workers)
    full = _indices(sets[0], observed)
    table = _compare(full)
    summary = summary_table(table)
    files = write_result_table(out_dir, "backtest", table, backtest_markdown(table, summary, settings))
    summary.to_csv(out_dir / "backtest_summary.csv", index=False)
    files.append(out_dir / "backtest_summary.csv")
    parts = None
    if variants:
        parts = decomposition_table(full, {v: _indices(t, observed) for v, t in zip(variants, sets[1:])})
        files += write_result_table(
            out_dir, "backtest_decomposition", parts, decomposition_markdown(parts, driver_names, settings)
        )
    try:
        plot_backtest(
            table,
            figure_path(out_dir, "backtest", settings.output.format),
            settings.output.dpi,
            timeline=timeline_table(settings),
            without_paths=parts,
        )
    except Exception as err:  # noqa: BLE001 — a failing figure must never lose the tables
        log.warning("backtest figure failed: %s", err)
    mark_complete(out_dir, provenance("backtest", settings, time.perf_counter() - start), files)
    log.info("backtest -> %s", out_dir)
