"""Plots of one run: city time series, relocation flows, size selection and maps.

Every function reads tables and returns a figure; none touches simulation state.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from corridor_abm.model import geodata  # noqa: E402
from corridor_abm.model.geography import CorridorMap  # noqa: E402
from corridor_abm.model.state import SIZE_CLASSES  # noqa: E402
from corridor_abm.reporting.maps import plot_base_map, plot_cell_field  # noqa: E402
from corridor_abm.reporting.style import (  # noqa: E402
    CITY_COLOURS,
    DEFAULT_DPI,
    HATCHES,
    OKABE_ITO,
    city_style,
    figure_path,
    save_figure,
)

SERIES: list[tuple[str, str, float]] = [
    ("firms", "firms (count)", 1.0),
    ("talent", "skilled workers living in the city (millions)", 1e-6),
    ("jobs", "skilled jobs in modelled firms (millions)", 1e-6),
    ("mean_commercial_rent", "commercial rent (¥/m²/month)", 1.0),
    ("mean_house_price", "house price (¥ thousand/m²)", 1e-3),
    ("mean_wage", "mean skilled wage (¥ thousand/yr)", 1e-3),
    ("output", "output of modelled firms (¥ bn/yr)", 4e-9),
    ("rd_spending", "R&D spending (¥ bn/yr)", 4e-9),
    ("relocations_out", "firms moving out to other cities (firms/yr)", 4.0),
]
"""(column, axis label with unit, multiplier) of the city time-series panels; flows are annualised."""

YEAR_AXIS = "year"
"""Label of every time axis (decimal years; 2018.0 = 2018Q1)."""


def quarter_axis(labels: pd.Series) -> np.ndarray:
    """Decimal years of 'YYYYQn' labels (2018Q1 → 2018.0)."""
    text = labels.astype(str)
    return text.str[:4].astype(int).to_numpy() + (text.str[-1].astype(int).to_numpy() - 1) / 4.0


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    if window <= 1 or values.size < window:
        return values
    kernel = np.ones(window) / window
    padded = np.r_[np.full(window - 1, values[0]), values]
    return np.convolve(padded, kernel, mode="valid")


def mark_changes(axes: np.ndarray, timeline: pd.DataFrame | None, label_first: bool = True) -> None:
    """Mark on every panel the quarters at which a parameter path changes a lever or driver
    (dashed lines); the first panel names the keys that change there."""
    if timeline is None or timeline.empty:
        return
    when = timeline.groupby("quarter")["key"].apply(
        lambda keys: ", ".join(
            sorted({k.rsplit(".", 1)[0] if k.rsplit(".", 1)[-1] in ("hk", "sz", "dg", "hz") else k for k in keys})
        )
    )
    x = dict(zip(when.index, quarter_axis(pd.Series(when.index))))
    for ax in np.ravel(axes):
        for q in when.index:
            ax.axvline(x[q], color="0.5", lw=0.7, ls="--", zorder=0)
    if label_first:
        ax = np.ravel(axes)[0]
        for q, keys in when.items():
            ax.annotate(
                f"{q}: {keys}",
                (x[q], 1.0),
                xycoords=("data", "axes fraction"),
                rotation=90,
                fontsize=5,
                va="top",
                ha="right",
                color="0.3",
            )


def plot_city_series(
    city: pd.DataFrame,
    title: str = "",
    path: Path | None = None,
    dpi: int = DEFAULT_DPI,
    timeline: pd.DataFrame | None = None,
) -> plt.Figure:
    """A 3×3 panel of the main city time series (flows smoothed over four quarters); dashed lines
    mark where a parameter path changes a lever or driver; cities differ by colour and line style.

    Args:
        city: The ``city_quarter`` table.
        title: Figure title.
        path: Where to save the figure (optional; png, svg or pdf by suffix).
        dpi: Resolution of raster output.
        timeline: The ``timeline`` table (optional).

    Returns:
        The figure.
    """
    fig, axes = plt.subplots(3, 3, figsize=(14, 10), sharex=True)
    for ax, (col, label, mult) in zip(axes.ravel(), SERIES):
        for code in geodata.CITY_CODES:
            rows = city[city["city"] == code]
            y = rows[col].to_numpy(dtype=float) * mult
            if col == "relocations_out":
                y = _smooth(y, 4)
            ax.plot(quarter_axis(rows["quarter"]), y, label=geodata.CITY_NAMES[code], lw=1.6, **city_style(code))
        ax.set_title(label, fontsize=9)
        ax.set_ylabel(label, fontsize=7)
        ax.grid(alpha=0.3)
        if col in ("mean_commercial_rent", "mean_house_price", "mean_wage", "output"):
            ax.set_yscale("log")
    for ax in axes[-1]:
        ax.set_xlabel(YEAR_AXIS)
    axes[0, 0].legend(fontsize=8, frameon=False, handlelength=3)
    mark_changes(axes, timeline)
    fig.suptitle(f"{title}: city time series" if title else "City time series", fontsize=12)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path, dpi)
    return fig


def flow_matrix(relocations: pd.DataFrame, kind: str = "whole firm") -> pd.DataFrame:
    """Moves between cities (rows: from, columns: to) of one kind, all sizes."""
    rows = relocations[relocations["kind"] == kind]
    m = pd.crosstab(rows["from_city"], rows["to_city"]).reindex(
        index=list(geodata.CITY_CODES), columns=list(geodata.CITY_CODES), fill_value=0
    )
    return m


def plot_relocation_flows(
    relocations: pd.DataFrame, title: str = "", path: Path | None = None, dpi: int = DEFAULT_DPI
) -> plt.Figure:
    """Flow matrices between cities by firm size class, and division moves (counts written in
    every cell, so the figure reads without colour).

    Args:
        relocations: The relocation log.
        title: Figure title.
        path: Where to save the figure (optional; png, svg or pdf by suffix).
        dpi: Resolution of raster output.

    Returns:
        The figure.
    """
    panels = [
        (f"{s} firms", (relocations["kind"] == "whole firm") & (relocations["size_class"] == s)) for s in SIZE_CLASSES
    ]
    panels.append(("second sites opened or moved (plants, R&D centres)", relocations["kind"] == "division"))
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.4))
    for ax, (name, mask) in zip(axes, panels):
        rows = relocations[mask]
        m = (
            pd.crosstab(rows["from_city"], rows["to_city"])
            .reindex(index=list(geodata.CITY_CODES), columns=list(geodata.CITY_CODES), fill_value=0)
            .to_numpy()
        )
        shown = np.where(np.eye(4, dtype=bool), np.nan, m.astype(float))
        im = ax.imshow(shown, cmap="Blues")
        top = np.nanmax(shown) if np.isfinite(shown).any() else 0.0
        for i in range(4):
            for j in range(4):
                dark = i != j and top > 0 and m[i, j] > 0.6 * top
                colour = "grey" if i == j else ("white" if dark else "black")
                ax.text(j, i, f"{m[i, j]:,}", ha="center", va="center", fontsize=8, color=colour)
        ax.set_xticks(range(4), geodata.CITY_CODES)
        ax.set_yticks(range(4), geodata.CITY_CODES)
        ax.set_xlabel("to (city of the new site)")
        ax.set_ylabel("from (city of the headquarters)")
        ax.set_title(name, fontsize=10)
        fig.colorbar(im, ax=ax, shrink=0.7, label="moves over the run (firms)")
    fig.suptitle(
        (f"{title}: " if title else "") + "relocations between cities, whole run (grey: within a city)", fontsize=11
    )
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path, dpi)
    return fig


def plot_establishments(
    establishments: pd.DataFrame, title: str = "", path: Path | None = None, dpi: int = DEFAULT_DPI
) -> plt.Figure:
    """Second sites opened or moved between cities, by city pair and the firm's size class, for
    production plants and R&D centres (closures in the last panel); events within a city are
    counted in each panel's title.

    Args:
        establishments: The establishment event log.
        title: Figure title.
        path: Where to save the figure (optional; png, svg or pdf by suffix).
        dpi: Resolution of raster output.

    Returns:
        The figure.
    """
    e = establishments
    within = e["from_city"] == e["to_city"]
    e = e.assign(pair=e["from_city"] + "→" + e["to_city"])
    pairs = sorted(set(e.loc[~within, "pair"])) or ["none"]
    panels = [
        ("plants opened or moved", (e["kind"] == "plant") & (e["event"] != "close")),
        ("R&D centres opened or moved", (e["kind"] == "R&D centre") & (e["event"] != "close")),
        ("second sites closed", e["event"] == "close"),
    ]
    hatches = {"small": "", "medium": "//", "large": "xx"}
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), sharey=False)
    width = 0.8 / len(SIZE_CLASSES)
    for ax, (name, mask) in zip(axes, panels):
        counts = e[mask & ~within].groupby(["pair", "size_class"]).size()
        name = f"{name} (and {int((mask & within).sum()):,} within a city)"
        x = np.arange(len(pairs))
        for k, size in enumerate(SIZE_CLASSES):
            values = [int(counts.get((p, size), 0)) for p in pairs]
            ax.bar(
                x + k * width,
                values,
                width,
                label=size,
                color=f"{0.25 + 0.25 * k:.2f}",
                hatch=hatches[size],
                edgecolor="black",
                linewidth=0.4,
            )
        ax.set_xticks(x + width, pairs, rotation=60, ha="right", fontsize=8)
        ax.set_ylabel("events over the run (count)")
        ax.set_xlabel("from → to (cities)")
        ax.set_title(name, fontsize=10)
    axes[0].legend(title="firm size", fontsize=8)
    fig.suptitle(
        (f"{title}: " if title else "") + "second sites between cities, by city pair and firm size", fontsize=11
    )
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path, dpi)
    return fig


def plot_size_selection(
    relocations: pd.DataFrame,
    classes: pd.DataFrame,
    city: str = "SZ",
    title: str = "",
    path: Path | None = None,
    dpi: int = DEFAULT_DPI,
) -> plt.Figure:
    """Who leaves a city: yearly out-relocation rate by size class (moves ÷ firms of the class).

    Args:
        relocations: The relocation log.
        classes: The ``firms_by_class`` table.
        city: The city whose leavers are shown.
        title: Figure title.
        path: Where to save the figure (optional; png, svg or pdf by suffix).
        dpi: Resolution of raster output.

    Returns:
        The figure.
    """
    out = relocations[(relocations["from_city"] == city) & (relocations["to_city"] != city)].copy()
    out["year"] = out["quarter"].str[:4].astype(int)
    firms = classes[classes["city"] == city].copy()
    firms["year"] = firms["quarter"].str[:4].astype(int)
    stock = firms.groupby(["year", "size_class"])["firms"].sum() / 4.0
    fig, ax = plt.subplots(figsize=(8, 4.5))
    styles = zip(
        SIZE_CLASSES,
        (OKABE_ITO["vermillion"], OKABE_ITO["blue"], OKABE_ITO["black"]),
        ("-", (0, (6, 2)), (0, (1, 1.5))),
        ("o", "s", "^"),
    )
    for size, colour, ls, marker in styles:
        moves = out[(out["size_class"] == size) & (out["kind"] == "whole firm")].groupby("year").size()
        years = stock.xs(size, level="size_class").index
        rate = moves.reindex(years, fill_value=0) / stock.xs(size, level="size_class").replace(0, np.nan)
        ax.plot(years, 100 * rate, marker=marker, ms=4, color=colour, ls=ls, label=f"{size} firms, whole-firm moves")
    div = out[out["kind"] == "division"].groupby("year").size()
    large = stock.xs("large", level="size_class")
    ax.plot(
        large.index,
        100 * div.reindex(large.index, fill_value=0) / large.replace(0, np.nan),
        ls=(0, (6, 2, 1, 2)),
        marker="D",
        mfc="white",
        ms=4,
        color=OKABE_ITO["reddish_purple"],
        label="large firms, division moves",
    )
    ax.set_ylabel(f"moves out of {city} (% of the class's firms per year)")
    ax.set_xlabel(YEAR_AXIS)
    ax.set_title((f"{title}: " if title else "") + f"who leaves {geodata.CITY_NAMES[city]}", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False, handlelength=3)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path, dpi)
    return fig


def plot_maps(
    snapshots: pd.DataFrame, cmap: CorridorMap, title: str = "", path: Path | None = None, dpi: int = DEFAULT_DPI
) -> plt.Figure:
    """Commercial rent and firm density at the first and last snapshot, and the change in firms.

    Args:
        snapshots: The ``snapshots`` table.
        cmap: The map.
        title: Figure title.
        path: Where to save the figure (optional; png, svg or pdf by suffix).
        dpi: Resolution of raster output.

    Returns:
        The figure.
    """
    first_t, last_t = snapshots["t"].min(), snapshots["t"].max()
    first = snapshots[snapshots["t"] == first_t].sort_values("cell")
    last = snapshots[snapshots["t"] == last_t].sort_values("cell")
    q0, q1 = first["quarter"].iloc[0], last["quarter"].iloc[0]
    fig, axes = plt.subplots(2, 3, figsize=(18, 10.5))
    area = cmap.cell_area_km2
    panels = [
        (first["commercial_rent"].to_numpy(), f"commercial rent {q0}", "¥/m²/month", dict(log=True)),
        (last["commercial_rent"].to_numpy(), f"commercial rent {q1}", "¥/m²/month", dict(log=True)),
        (last["house_price"].to_numpy(), f"house price {q1}", "¥/m²", dict(log=True)),
        (first["firms"].to_numpy() / area, f"firms per km² {q0}", "firms/km²", dict(log=True)),
        (last["firms"].to_numpy() / area, f"firms per km² {q1}", "firms/km²", dict(log=True)),
        (
            (last["firms"].to_numpy() - first["firms"].to_numpy()) / area,
            f"change in firms per km², {q0}→{q1}",
            "firms/km²",
            dict(diverging=True),
        ),
    ]
    for ax, (values, name, label, kw) in zip(axes.ravel(), panels):
        plot_cell_field(cmap, values, name, label, ax=ax, **kw)
    fig.suptitle((f"{title}: " if title else "") + "maps of the urban core", fontsize=12)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path, dpi)
    return fig


def plot_innovation_and_capital(
    tables: dict[str, pd.DataFrame], title: str = "", path: Path | None = None, dpi: int = DEFAULT_DPI
) -> plt.Figure:
    """Innovation, start-ups by founder origin and venture capital by city (annual totals).

    Args:
        tables: The run's tables (``city_quarter``, ``entries``, ``vc_deals``).
        title: Figure title.
        path: Where to save the figure (optional; png, svg or pdf by suffix).
        dpi: Resolution of raster output.

    Returns:
        The figure.
    """
    city = tables["city_quarter"].copy()
    city["year"] = city["quarter"].str[:4].astype(int)
    yearly = city.groupby(["year", "city"]).sum(numeric_only=True).reset_index()
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    panels = [
        ("innovations", "innovations (per year)", 1.0),
        ("entries", "start-ups and spin-offs (firms per year)", 1.0),
        ("startups_hk_founders", "start-ups by Hong Kong founders (firms per year)", 1.0),
        ("vc_amount", "venture capital invested (¥ bn per year)", 1e-9),
        ("vc_deals", "venture deals (deals per year)", 1.0),
        ("vc_cross_border_amount", "cross-border venture capital (¥ bn per year)", 1e-9),
    ]
    for ax, (col, label, mult) in zip(axes.ravel(), panels):
        for code in geodata.CITY_CODES:
            rows = yearly[yearly["city"] == code]
            ax.plot(
                rows["year"],
                rows[col] * mult,
                ms=3,
                label=geodata.CITY_NAMES[code],
                **city_style(code, markers=True),
            )
        ax.set_title(label, fontsize=9)
        ax.set_ylabel(label, fontsize=7)
        ax.set_xlabel(YEAR_AXIS, fontsize=8)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0, 0].legend(fontsize=8, frameon=False, handlelength=3)
    deals = tables.get("vc_deals")
    if deals is not None and len(deals):
        inset = axes[1, 2].inset_axes([0.55, 0.55, 0.42, 0.4])
        share = deals.groupby("fund_city")["amount"].sum()
        x = np.arange(share.size)
        inset.bar(
            x,
            share.to_numpy() / share.sum(),
            color=[CITY_COLOURS[c] for c in share.index],
            hatch=[HATCHES[list(geodata.CITY_CODES).index(c) + 1] for c in share.index],
            edgecolor="black",
            lw=0.5,
        )
        inset.set_xticks(x, list(share.index))
        inset.set_ylabel("share", fontsize=6)
        inset.set_title("share of VC by fund's city", fontsize=7)
        inset.tick_params(labelsize=6)
    fig.suptitle((f"{title}: " if title else "") + "innovation, start-ups and venture capital", fontsize=12)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path, dpi)
    return fig


def plot_government(
    government: pd.DataFrame,
    title: str = "",
    path: Path | None = None,
    dpi: int = DEFAULT_DPI,
    timeline: pd.DataFrame | None = None,
) -> plt.Figure:
    """Each city government's revenue by source and spending by lever and recurrent item (¥ bn
    per year), and its reserves; areas differ by hatch as well as colour; dashed lines mark where
    a parameter path changes a value.

    Args:
        government: The ``government`` table.
        title: Figure title.
        path: Where to save the figure (optional; png, svg or pdf by suffix).
        dpi: Resolution of raster output.
        timeline: The ``timeline`` table (optional).

    Returns:
        The figure.
    """
    g = government.copy()
    g["year"] = g["quarter"].str[:4].astype(int)
    spend_cols = [c for c in g.columns if c.startswith("spend_")]
    revenue_cols = [c for c in g.columns if c.startswith("revenue_")]
    fig, axes = plt.subplots(2, 4, figsize=(18, 8), sharex=True)
    colours = [*OKABE_ITO.values()][1:] + ["#BBBBBB", "#666666", "#FFFFFF"]
    for k, code in enumerate(geodata.CITY_CODES):
        rows = g[g["city"] == code].groupby("year")
        spend = rows[spend_cols].sum() / 1e9
        revenue = rows[revenue_cols].sum() / 1e9
        ax = axes[0, k]
        ax.stackplot(
            spend.index,
            spend.T.to_numpy(),
            labels=[c[6:].replace("_", " ") for c in spend_cols],
            colors=[colours[i % len(colours)] for i in range(len(spend_cols))],
            hatch=[HATCHES[i % len(HATCHES)] for i in range(len(spend_cols))],
            edgecolor="black",
            lw=0.3,
        )
        ax.set_title(f"{geodata.CITY_NAMES[code]}: spending by lever (¥ bn/yr)", fontsize=9)
        ax.set_ylabel("spending (¥ bn/yr)", fontsize=8)
        ax.grid(alpha=0.3)
        ax = axes[1, k]
        ax.stackplot(
            revenue.index,
            revenue.T.to_numpy(),
            labels=[c[8:].replace("_", " ") for c in revenue_cols],
            colors=[colours[(i + 4) % len(colours)] for i in range(len(revenue_cols))],
            hatch=[HATCHES[(i + 4) % len(HATCHES)] for i in range(len(revenue_cols))],
            edgecolor="black",
            lw=0.3,
            alpha=0.8,
        )
        reserves = g[g["city"] == code].groupby("year")["reserves"].last() / 1e9
        twin = ax.twinx()
        twin.plot(reserves.index, reserves, color="black", lw=1.2, ls=(0, (6, 2)), label="reserves (right)")
        twin.tick_params(labelsize=7)
        twin.set_ylabel("reserves (¥ bn)", fontsize=7)
        ax.set_title(f"{geodata.CITY_NAMES[code]}: revenue (¥ bn/yr), reserves", fontsize=9)
        ax.set_ylabel("revenue (¥ bn/yr)", fontsize=8)
        ax.set_xlabel(YEAR_AXIS, fontsize=8)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0, 0].legend(fontsize=6, frameon=False, loc="upper left")
    axes[1, 0].legend(fontsize=7, frameon=False, loc="upper left")
    if timeline is not None and not timeline.empty:
        years = timeline.assign(year=timeline["quarter"].str[:4].astype(int))
        for ax in axes.ravel():
            for year in sorted(set(years["year"])):
                ax.axvline(year, color="0.5", lw=0.7, ls="--", zorder=0)
    fig.suptitle((f"{title}: " if title else "") + "city governments' budgets", fontsize=12)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path, dpi)
    return fig


def plot_run(
    tables: dict[str, pd.DataFrame],
    cmap: CorridorMap,
    plots_dir: Path,
    title: str = "",
    fmt: str = "png",
    dpi: int = DEFAULT_DPI,
    helper: bool | None = None,
) -> list[Path]:
    """Draw every plot of a run into ``plots_dir``.

    Half of the figures may be drawn by a forked helper process while this one draws the other
    half (the files are the same either way: each figure is drawn from the same tables by the
    same code). By default the helper is used only where forking is safe and can help: on a
    platform with ``fork``, in a process that is not itself a worker of a pool, with no other
    thread running (forking a process with threads can deadlock) and with two cores or more.

    Args:
        tables: The run's tables.
        cmap: The map.
        plots_dir: Output folder (created if needed).
        title: Title prefix (the scenario's name).
        fmt: File format: png, svg or pdf (``output.format``).
        dpi: Resolution of raster output (``output.dpi``).
        helper: Use the forked helper (True), never (False), or where safe (None).

    Returns:
        Paths of the files written, in the same order either way.

    Raises:
        RuntimeError: The helper process failed (its traceback went to standard error).
    """
    plots_dir = Path(plots_dir)
    plots_dir.mkdir(parents=True, exist_ok=True)
    jobs = [
        ("city_series", lambda p: plot_city_series(tables["city_quarter"], title, p, dpi, tables.get("timeline"))),
        ("relocation_flows", lambda p: plot_relocation_flows(tables["relocations"], title, p, dpi)),
        ("establishments", lambda p: plot_establishments(tables["establishments"], title, p, dpi)),
        (
            "size_selection_SZ",
            lambda p: plot_size_selection(tables["relocations"], tables["firms_by_class"], "SZ", title, p, dpi),
        ),
        ("maps", lambda p: plot_maps(tables["snapshots"], cmap, title, p, dpi)),
        ("innovation_and_capital", lambda p: plot_innovation_and_capital(tables, title, p, dpi)),
        ("government", lambda p: plot_government(tables["government"], title, p, dpi, tables.get("timeline"))),
        ("base_map", lambda p: plot_base_map(cmap, p, dpi)),
    ]
    paths = {name: figure_path(plots_dir, name, fmt) for name, _ in jobs}

    def draw(names: set[str]) -> None:
        for name, job in jobs:
            if name in names:
                plt.close(job(paths[name]))  # saved atomically by reporting.style.save_figure

    use_helper = can_fork_helper() if helper is None else helper
    if not use_helper:
        draw(set(paths))
        return list(paths.values())
    import multiprocessing as mp

    # about half of the drawing time each: the city series (the slowest figure) and the
    # innovation panels there, the maps and the budgets here, and two of the small ones each
    # (per figure on a default run's tables, README "Speed": 1.8, 1.1 and 1.7, 1.3 s)
    theirs = {"city_series", "innovation_and_capital", "relocation_flows", "size_selection_SZ"}
    child = mp.get_context("fork").Process(target=draw, args=(theirs,), name="plot-helper")
    child.start()
    try:
        draw(set(paths) - theirs)
    finally:
        child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"the plotting helper process failed (exit code {child.exitcode}); see its error above")
    return list(paths.values())


def can_fork_helper() -> bool:
    """Whether :func:`plot_run` may fork a helper: ``fork`` exists, this process is not a
    multiprocessing worker, no other thread runs here, and two or more cores are available."""
    import multiprocessing as mp
    import os
    import threading

    if "fork" not in mp.get_all_start_methods() or mp.parent_process() is not None:
        return False
    if threading.active_count() != 1:
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores >= 2
