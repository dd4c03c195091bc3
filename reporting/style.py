"""One look for every figure: a colour-blind-safe palette, line styles that survive greyscale,
and one way to save a figure in the format and resolution a paper needs.

Cities and compared runs are told apart by colour *and* line style (and marker): the colours are
the Okabe–Ito palette (safe for the common colour-vision deficiencies), chosen so that their
grey values differ, and the line styles differ as well, so a figure printed in greyscale stays
readable. Every plotting function of :mod:`reporting` and :mod:`calibration.plots` takes its
colours and styles from here and saves through :func:`save_figure` (``output.format`` = png,
svg or pdf; ``output.dpi`` for raster output).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
"""The Okabe–Ito palette (Okabe & Ito 2008), safe for deuteranopia, protanopia and tritanopia."""

CITY_COLOURS: dict[str, str] = {
    "HK": OKABE_ITO["vermillion"],
    "SZ": OKABE_ITO["blue"],
    "DG": OKABE_ITO["bluish_green"],
    "HZ": OKABE_ITO["orange"],
}
"""One Okabe–Ito colour per city, used by every plot (grey values 0.34, 0.42, 0.47 and 0.64)."""

CITY_LINESTYLES: dict[str, Any] = {"HK": "-", "SZ": (0, (6, 2)), "DG": (0, (1, 1.5)), "HZ": (0, (6, 2, 1, 2))}
"""One line style per city (solid, dashed, dotted, dash-dot), so lines differ without colour."""

CITY_MARKERS: dict[str, str] = {"HK": "o", "SZ": "s", "DG": "^", "HZ": "D"}
"""One marker per city, for points and sparse lines."""

RUN_COLOURS: tuple[str, ...] = (
    OKABE_ITO["black"],
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["orange"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
)
"""Colours of compared runs (the first, black, is the baseline)."""

RUN_LINESTYLES: tuple[Any, ...] = ("-", (0, (6, 2)), (0, (1, 1.5)), (0, (6, 2, 1, 2)), (0, (3, 1, 1, 1, 1, 1)), "--")
"""Line styles of compared runs, cycled together with :data:`RUN_COLOURS`."""

HATCHES: tuple[str, ...] = ("", "//", "\\\\", "xx", "..", "oo", "--", "++", "**", "||", "OO")
"""Hatch patterns for areas and bars that must be told apart without colour."""

SEQUENTIAL_CMAP = "magma_r"
"""Colour map of levels (rent, density): lightness falls monotonically, readable in greyscale."""

DIVERGING_CMAP = "cividis"
"""Colour map of changes (negative dark, positive light): lightness rises monotonically, so the
sign of a change reads in greyscale too; colour-blind safe."""

FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
"""Figure formats ``output.format`` accepts."""

DEFAULT_DPI = 150
"""Default resolution of raster figures (``output.dpi``)."""


def city_style(code: str, markers: bool = False) -> dict[str, Any]:
    """Matplotlib keyword arguments that draw a city's line (colour, line style, marker).

    Args:
        code: City code (HK, SZ, DG, HZ).
        markers: Add the city's marker.

    Returns:
        ``color``, ``linestyle`` (and ``marker``).
    """
    style: dict[str, Any] = {"color": CITY_COLOURS[code], "linestyle": CITY_LINESTYLES[code]}
    if markers:
        style["marker"] = CITY_MARKERS[code]
    return style


def run_styles(labels: list[str]) -> dict[str, dict[str, Any]]:
    """A colour and line style for each compared run, in order (cycled; pairs are unique for up to 42 runs).

    Args:
        labels: Run labels, the baseline first.

    Returns:
        Label → ``{"color": ..., "linestyle": ...}``.
    """
    n_c, n_s = len(RUN_COLOURS), len(RUN_LINESTYLES)
    return {
        label: {"color": RUN_COLOURS[i % n_c], "linestyle": RUN_LINESTYLES[(i + i // n_c) % n_s]}
        for i, label in enumerate(labels)
    }


def grey_value(colour: str) -> float:
    """Luminance (0 black – 1 white) of a colour as greyscale printing renders it (Rec. 601)."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return 0.299 * r + 0.587 * g + 0.114 * b


def figure_path(directory: Path, stem: str, fmt: str = "png") -> Path:
    """``directory/stem.fmt``.

    Raises:
        ValueError: for a format other than png, svg or pdf.
    """
    if fmt not in FORMATS:
        raise ValueError(f"figure format {fmt!r} is not one of {', '.join(FORMATS)}")
    return Path(directory) / f"{stem}.{fmt}"


def save_figure(fig: Any, path: Path, dpi: int = DEFAULT_DPI, close: bool = False, **kwargs: Any) -> Path:
    """Save a figure atomically (temporary name, then rename) in the format of ``path``'s suffix.

    Args:
        fig: A matplotlib figure.
        path: Target file; its suffix (.png, .svg, .pdf) chooses the format.
        dpi: Resolution of raster output (and of raster parts of vector output).
        close: Close the figure afterwards (pyplot figures).
        **kwargs: Passed to ``savefig`` (e.g. ``bbox_inches="tight"``).

    Returns:
        ``path``.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"figure format {fmt!r} of {path} is not one of {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.tmp.{fmt}")
    meta = {"Creator": "corridor-abm"} if fmt in ("pdf", "svg") else None
    fig.savefig(tmp, dpi=dpi, format=fmt, metadata=meta, **kwargs)
    os.replace(tmp, path)
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return path
