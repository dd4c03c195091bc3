"""What the explorer draws: the corridor map, the city series and the relocation flows, each as a
matplotlib figure of a :class:`explorer.corridor_explorer.CorridorExplorer` (scenario beside its baseline).

The functions build figures with matplotlib's object API (no pyplot state), so the web server
can draw them from any thread; :mod:`explorer.page` puts them on the page. Colours and line
styles are those of every other figure (:mod:`reporting.style`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from corridor_abm.explorer.corridor_explorer import CorridorExplorer
from corridor_abm.model import geodata
from corridor_abm.model.geography import BUILT
from corridor_abm.reporting.maps import draw_background, draw_outlines, plot_cell_field
from corridor_abm.reporting.plots import YEAR_AXIS, flow_matrix, quarter_axis
from corridor_abm.reporting.style import city_style

CITIES: tuple[str, ...] = tuple(geodata.CITY_CODES)

SERIES: tuple[tuple[str, str, float], ...] = (
    ("firms", "firms (count)", 1.0),
    ("talent", "skilled residents (thousands)", 1e-3),
    ("mean_commercial_rent", "commercial rent (¥/m²/month)", 1.0),
    ("relocations_out", "firms leaving for another city (cumulative count)", 1.0),
)
"""(column of ``city_quarter``, axis label with unit, multiplier) of the series panels."""

CUMULATIVE = frozenset({"relocations_out"})
"""Series drawn as running totals."""


def _titles(model: CorridorExplorer) -> dict[str, str]:
    return {"scenario": f"{model.scenario_name} (levers applied)", "baseline": "baseline, same seed"}


def map_figure(model: CorridorExplorer, dpi: int = 72) -> Figure:
    """Commercial rent, firm density and the whole-firm moves so far, scenario above baseline.

    Both rows share their colour scales, so a colour means the same value in each.

    Args:
        model: The explorer.
        dpi: Resolution of the figure.

    Returns:
        The figure.
    """
    models = model.models()
    fields = {which: model.cell_fields(which) for which in models}
    rent = np.concatenate([f["rent"] for f in fields.values()])
    dens = np.concatenate([f["firms_per_km2"] for f in fields.values()])
    rent_lo, rent_hi = float(np.nanmin(rent[rent > 0])), float(np.nanmax(rent))
    positive = dens[dens > 0]
    dens_lo = float(positive.min()) if positive.size else 0.1
    dens_hi = float(positive.max()) if positive.size else 1.0
    fig = Figure(figsize=(15, 4.6 * len(models)), dpi=dpi)
    axes = fig.subplots(len(models), 3, squeeze=False)
    cmap = model.scenario.state.map
    for row, which in enumerate(models):
        title = _titles(model)[which]
        plot_cell_field(
            cmap,
            fields[which]["rent"],
            f"{title}: commercial rent, {model.quarter}",
            "¥/m²/month",
            ax=axes[row, 0],
            log=True,
            vmin=rent_lo,
            vmax=rent_hi,
        )
        plot_cell_field(
            cmap,
            fields[which]["firms_per_km2"],
            f"{title}: firms per km², {model.quarter}",
            "firms/km²",
            ax=axes[row, 1],
            log=True,
            vmin=dens_lo,
            vmax=dens_hi,
        )
        draw_moves(axes[row, 2], model, which, f"{title}: moves between cities")
    fig.tight_layout()
    return fig


def city_centres(model: CorridorExplorer) -> dict[str, tuple[float, float]]:
    """Mean lon/lat of each city's built cells (where the moves' arrows start and end)."""
    cmap = model.scenario.state.map
    out = {}
    for c, code in enumerate(CITIES):
        cells = (cmap.city == c) & (cmap.land_use == BUILT)
        out[code] = (float(cmap.lon[cells].mean()), float(cmap.lat[cells].mean()))
    return out


def draw_moves(ax: Axes, model: CorridorExplorer, which: str, title: str) -> None:
    """Arrows between city centres, width by the number of whole-firm moves so far, with counts."""
    cmap = model.scenario.state.map
    draw_background(ax, cmap)
    draw_outlines(ax, lw=0.6)
    centres = city_centres(model)
    moves = flow_matrix(model.tables(which)["relocations"])
    top = max(float(moves.to_numpy().max()), 1.0)
    for a in CITIES:
        lon, lat = centres[a]
        ax.plot(lon, lat, ms=8, mec="black", **{**city_style(a, markers=True), "linestyle": "none"})
        ax.annotate(geodata.CITY_NAMES[a], (lon, lat), xytext=(6, 6), textcoords="offset points", fontsize=8)
        for b in CITIES:
            n = int(moves.loc[a, b])
            if a == b or n == 0:
                continue
            (x0, y0), (x1, y1) = centres[a], centres[b]
            bend = 0.18 if CITIES.index(a) < CITIES.index(b) else -0.18
            ax.annotate(
                "",
                xy=(x1, y1),
                xytext=(x0, y0),
                arrowprops=dict(
                    arrowstyle="-|>",
                    lw=0.8 + 5.0 * n / top,
                    color="black",
                    shrinkA=8,
                    shrinkB=8,
                    connectionstyle=f"arc3,rad={bend}",
                ),
            )
            mx, my = (x0 + x1) / 2 + bend * (y1 - y0) * 0.5, (y0 + y1) / 2 - bend * (x1 - x0) * 0.5
            ax.text(mx, my, f"{n}", fontsize=8, ha="center", va="center", bbox=dict(fc="white", ec="black", lw=0.4))
    ax.set_xlim(113.5, 115.0)
    ax.set_ylim(22.15, 23.5)
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_title(f"{title} (firms)", fontsize=10)


def series_figure(model: CorridorExplorer, dpi: int = 72) -> Figure:
    """The city series so far: scenario thick, baseline thin, cities by colour and line style.

    Args:
        model: The explorer.
        dpi: Resolution of the figure.

    Returns:
        The figure.
    """
    fig = Figure(figsize=(11, 7), dpi=dpi)
    axes = fig.subplots(2, 2).ravel()
    frames = {which: model.tables(which)["city_quarter"] for which in model.models()}
    for ax, (col, label, mult) in zip(axes, SERIES):
        for which, city in frames.items():
            if city.empty:
                continue
            for code in CITIES:
                rows = city[city["city"] == code]
                y = rows[col].to_numpy(dtype=float) * mult
                if col in CUMULATIVE:
                    y = np.cumsum(y)
                thick = which == "scenario"
                ax.plot(
                    quarter_axis(rows["quarter"]),
                    y,
                    lw=2.2 if thick else 1.0,
                    alpha=1.0 if thick else 0.55,
                    label=f"{geodata.CITY_NAMES[code]}" if thick else None,
                    **city_style(code),
                )
        ax.set_ylabel(label, fontsize=8)
        ax.set_xlabel(YEAR_AXIS, fontsize=8)
        ax.set_title(label, fontsize=9)
        ax.grid(alpha=0.3)
        ax.ticklabel_format(axis="x", useOffset=False)
    if all(f.empty for f in frames.values()):
        axes[0].text(0.5, 0.5, "press STEP or ▶ to run", ha="center", va="center", transform=axes[0].transAxes)
    else:
        axes[0].legend(
            fontsize=8, frameon=False, handlelength=3, title="thick: scenario, thin: baseline", title_fontsize=8
        )
    fig.suptitle(f"City series to {model.quarter}: {model.scenario_name} against the baseline (same seed)", fontsize=11)
    fig.tight_layout()
    return fig


def flows_figure(model: CorridorExplorer, dpi: int = 72) -> Figure:
    """Whole-firm moves between cities so far (from rows to columns), scenario beside baseline.

    Args:
        model: The explorer.
        dpi: Resolution of the figure.

    Returns:
        The figure.
    """
    models = model.models()
    fig = Figure(figsize=(5.2 * len(models), 4.6), dpi=dpi)
    axes = fig.subplots(1, len(models), squeeze=False)[0]
    for ax, which in zip(axes, models):
        m = flow_matrix(model.tables(which)["relocations"]).to_numpy()
        shown = np.where(np.eye(4, dtype=bool), np.nan, m.astype(float))
        ax.imshow(shown, cmap="Blues", vmin=0)
        for i in range(4):
            for j in range(4):
                ax.text(
                    j, i, f"{m[i, j]:,}", ha="center", va="center", fontsize=10, color="grey" if i == j else "black"
                )
        ax.set_xticks(range(4), CITIES)
        ax.set_yticks(range(4), CITIES)
        ax.set_xlabel("to (city)")
        ax.set_ylabel("from (city)")
        ax.set_title(f"{_titles(model)[which]}: moves to {model.quarter} (firms)", fontsize=9)
    fig.tight_layout()
    return fig


def levers_table(model: CorridorExplorer) -> pd.DataFrame:
    """The config keys the levers changed: key, the scenario file's value and the explorer's."""
    return pd.DataFrame(model.levers_in_force(), columns=["key", "scenario file", "explorer"])
