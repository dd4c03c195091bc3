"""Maps of the corridor: the base map and per-cell fields (rent, firm density, changes)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap, LogNorm, TwoSlopeNorm  # noqa: E402

from corridor_abm.model import geodata  # noqa: E402
from corridor_abm.model.geography import (  # noqa: E402
    BUILT,
    RESERVE,
    SEA,
    CorridorMap,
    km_to_lonlat,
    lonlat_to_km,
)
from corridor_abm.reporting.style import (  # noqa: E402
    CITY_COLOURS,
    DEFAULT_DPI,
    DIVERGING_CMAP,
    SEQUENTIAL_CMAP,
    save_figure,
)

__all__ = ["CITY_COLOURS", "draw_background", "draw_outlines", "plot_base_map", "plot_cell_field"]


def _extent(cmap: CorridorMap) -> list[float]:
    lon0, lat0 = km_to_lonlat(np.array(0.0), np.array(0.0))
    lon1, lat1 = km_to_lonlat(np.array(cmap.nx * cmap.cell_km), np.array(cmap.ny * cmap.cell_km))
    return [float(lon0), float(lon1), float(lat0), float(lat1)]


def _draw_background(ax: plt.Axes, cmap: CorridorMap) -> None:
    back = np.where(cmap.raster == SEA, 0, 1).astype(float)
    ax.imshow(
        back,
        origin="lower",
        extent=_extent(cmap),
        cmap=ListedColormap(["#d6eaf8", "#eeeeee"]),
        interpolation="nearest",
        aspect=1 / np.cos(np.radians(23.05)),
    )


def _draw_outlines(ax: plt.Axes, lw: float = 0.8) -> None:
    for rings in geodata.CITY_POLYGONS.values():
        for ring in rings:
            xs = [p[0] for p in ring] + [ring[0][0]]
            ys = [p[1] for p in ring] + [ring[0][1]]
            ax.plot(xs, ys, color="#333333", lw=lw)


draw_background = _draw_background
"""Sea and land behind a map (public name, for other views of the map such as the explorer's)."""
draw_outlines = _draw_outlines
"""City outlines on a map (public name)."""


LABEL_OFFSETS: dict[str, tuple[float, float]] = {
    "Nanshan Hi-Tech Park": (-78, 6),
    "Futian CBD": (2, 6),
    "Qianhai": (-38, -4),
    "Hetao / Lok Ma Chau Loop": (4, -9),
    "Huawei Bantian": (4, 2),
    "SUSTech": (-30, 4),
    "Songshan Lake": (-58, -6),
    "Neutron Science City": (4, 3),
    "HK Science Park": (5, 2),
    "CUHK": (5, -7),
    "HKU": (-22, -9),
    "Central": (4, 4),
    "HKUST": (5, -2),
}
"""Label offsets (points) that keep neighbouring place names apart."""

CITY_LABELS: dict[str, tuple[float, float]] = {
    "HK": (114.33, 22.21),
    "SZ": (114.30, 22.77),
    "DG": (113.70, 23.12),
    "HZ": (114.80, 23.40),
}
"""Where the city names are written (lon, lat)."""


def _label_places(ax: plt.Axes, fontsize: float = 6.0, places: bool = True) -> None:
    for lon, lat in geodata.BORDER_CROSSINGS.values():
        ax.plot(lon, lat, marker="x", color="black", ms=4, mew=1.0)
    if places:
        for name, (_, lon, lat) in geodata.NAMED_PLACES.items():
            ax.plot(lon, lat, marker="o", color="black", ms=2.5)
            ax.annotate(
                name,
                (lon, lat),
                xytext=LABEL_OFFSETS.get(name, (3, 2)),
                textcoords="offset points",
                fontsize=fontsize,
                bbox=dict(fc="white", ec="none", alpha=0.5, pad=0.3),
                annotation_clip=True,
            )
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    for code, (lon, lat) in CITY_LABELS.items():
        if x0 <= lon <= x1 and y0 <= lat <= y1:
            ax.text(
                lon,
                lat,
                geodata.CITY_NAMES[code],
                fontsize=10,
                weight="bold",
                ha="center",
                color=CITY_COLOURS[code],
                bbox=dict(fc="white", ec="none", alpha=0.6, pad=1),
            )


def _draw_cities(ax: plt.Axes, cmap: CorridorMap) -> None:
    rgba = np.zeros((cmap.ny * cmap.nx, 4))
    for c, code in enumerate(geodata.CITY_CODES):
        colour = np.array(matplotlib.colors.to_rgba(CITY_COLOURS[code]))
        cells = cmap.city == c
        alpha = np.where(cmap.land_use == BUILT, 0.85, np.where(cmap.land_use == RESERVE, 0.45, 0.18))
        shade = np.tile(colour, (cells.sum(), 1))
        shade[:, 3] = alpha[cells]
        rgba[cmap.raster_index[cells]] = shade
    ax.imshow(
        rgba.reshape(cmap.ny, cmap.nx, 4),
        origin="lower",
        extent=_extent(cmap),
        interpolation="nearest",
        aspect=1 / np.cos(np.radians(23.05)),
    )


def plot_base_map(cmap: CorridorMap, path: Path | None = None, dpi: int = DEFAULT_DPI) -> plt.Figure:
    """The corridor with its four cities, land use, places and border crossings, and a zoom on
    the urban core around the Hong Kong–Shenzhen border.

    Args:
        cmap: The map.
        path: Where to save the figure (optional; png, svg or pdf by suffix).
        dpi: Resolution of raster output.

    Returns:
        The figure.
    """
    fig, (ax, zoom) = plt.subplots(1, 2, figsize=(17, 8.5), gridspec_kw={"width_ratios": [1, 1.15]})
    for axis in (ax, zoom):
        _draw_background(axis, cmap)
        _draw_cities(axis, cmap)
        _draw_outlines(axis)
        axis.set_xlabel("longitude (°E)")
        axis.set_ylabel("latitude (°N)")
    _label_places(ax, places=False)
    ax.text(113.62, 23.45, "Guangzhou\n(outside)", fontsize=8, color="#777777", ha="center")
    ax.text(113.66, 22.45, "Pearl River\nestuary", fontsize=8, color="#4a6f8a", ha="center", style="italic")
    ax.text(114.95, 22.35, "South China Sea", fontsize=8, color="#4a6f8a", ha="center", style="italic")
    zoom.set_xlim(113.72, 114.45)
    zoom.set_ylim(22.17, 23.02)
    _label_places(zoom, fontsize=7)
    ax.plot(
        [113.72, 114.45, 114.45, 113.72, 113.72], [22.17, 22.17, 23.02, 23.02, 22.17], color="black", lw=0.8, ls="--"
    )
    areas = cmap.land_area_km2()
    ax.set_title(
        f"The corridor on {cmap.cell_km:g} km cells (dark: built; mid: reserve land; light: protected)\n"
        + "   ".join(f"{c}: {a:,.0f} km²" for c, a in zip(geodata.CITY_CODES, areas)),
        fontsize=9,
    )
    zoom.set_title("Urban core: places and the five HK–Shenzhen land crossings (x)", fontsize=9)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path, dpi)
    return fig


def plot_cell_field(
    cmap: CorridorMap,
    values: np.ndarray,
    title: str,
    label: str,
    path: Path | None = None,
    log: bool = False,
    diverging: bool = False,
    ax: plt.Axes | None = None,
    zoom: bool = True,
    vmin: float | None = None,
    vmax: float | None = None,
    dpi: int = DEFAULT_DPI,
) -> plt.Figure:
    """A per-cell field on the map (rent, firm density, a change from the baseline...).

    Args:
        cmap: The map.
        values: One value per model cell.
        title: Plot title.
        label: Colour-bar label.
        path: Where to save a PNG (optional).
        log: Logarithmic colour scale (positive values only).
        diverging: Centre the colour scale on zero (for differences; dark = negative, light =
            positive, so the sign reads in greyscale).
        ax: Draw into this axis instead of a new figure.
        zoom: Show the urban core (west of 114.8°E, south of 23.3°N) rather than the whole box.
        vmin: Lower end of the colour scale (default: the data's), e.g. to share a scale.
        vmax: Upper end of the colour scale (default: the data's).
        dpi: Resolution of raster output.

    Returns:
        The figure.
    """
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(9, 7))
    else:
        fig = ax.figure
    _draw_background(ax, cmap)
    grid = cmap.to_raster(np.asarray(values, dtype=float))
    if diverging:
        finite = np.abs(grid[np.isfinite(grid)])
        limit = vmax if vmax is not None else (float(finite.max()) if finite.size else 0.0)
        limit = limit or 1.0
        norm = TwoSlopeNorm(vmin=-limit, vcenter=0.0, vmax=limit)
        colours = DIVERGING_CMAP
    elif log:
        positive = grid[np.isfinite(grid) & (grid > 0)]
        lo = vmin if vmin is not None else (float(positive.min()) if positive.size else 1.0)
        hi = vmax if vmax is not None else (float(positive.max()) if positive.size else 10.0)
        grid = np.where(grid > 0, grid, np.nan)
        norm = LogNorm(vmin=lo, vmax=max(hi, lo * 1.01))
        colours = SEQUENTIAL_CMAP
    else:
        norm, colours = None, "viridis"
    im = ax.imshow(
        grid,
        origin="lower",
        extent=_extent(cmap),
        cmap=colours,
        norm=norm,
        interpolation="nearest",
        aspect=1 / np.cos(np.radians(23.05)),
    )
    _draw_outlines(ax, lw=0.5)
    for lon, lat in geodata.BORDER_CROSSINGS.values():
        ax.plot(lon, lat, marker="x", color="black", ms=3)
    fig.colorbar(im, ax=ax, shrink=0.75, label=label)
    if zoom:
        ax.set_xlim(113.5, 114.8)
        ax.set_ylim(22.15, 23.3)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    if own:
        fig.tight_layout()
        if path is not None:
            save_figure(fig, path, dpi)
    return fig


def crossing_points_km() -> np.ndarray:
    """Border crossings in map km (for overlays)."""
    return np.array([lonlat_to_km(np.array(lo), np.array(la)) for lo, la in geodata.BORDER_CROSSINGS.values()])
