"""Figures of the calibration commands (matplotlib, headless). Plotting reads result tables
only; the simulation core never imports this module.

Bars and points differ by fill, hatch and marker as well as by colour (Okabe–Ito), so every
figure reads in greyscale; the format follows the path's suffix (png, svg, pdf; ``output.format``)
and raster resolution ``output.dpi``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from corridor_abm.reporting.style import DEFAULT_DPI, OKABE_ITO, save_figure


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path, dpi: int = DEFAULT_DPI) -> None:
    save_figure(fig, Path(path), dpi, bbox_inches="tight")


def plot_fit(table: pd.DataFrame, path: Path, dpi: int = DEFAULT_DPI) -> None:
    """Model ÷ target for every target: the target's band (grey), the start point (open) and
    the calibrated point with its 5–95% band across seeds (filled), on a log axis."""
    plt = _pyplot()
    rows = table[table["role"] != "not simulated"].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(rows) + 1.2))
    y = np.arange(len(rows))[::-1]
    t = rows["target"].to_numpy(dtype=float)
    ax.hlines(y, rows["low"] / t, rows["high"] / t, color="0.75", lw=6, label="target band")
    ax.plot(rows["model_before"] / t, y, "o", mfc="none", mec="0.45", label="start")
    after = rows["model"] / t
    ax.errorbar(
        after,
        y,
        xerr=[np.maximum(after - rows["model_p05"] / t, 0), np.maximum(rows["model_p95"] / t - after, 0)],
        fmt="s",
        color=OKABE_ITO["blue"],
        label="calibrated (5–95% across seeds)",
    )
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_yticks(y, [n + ("" if r == "fit" else " (check)") for n, r in zip(rows["name"], rows["role"])])
    ax.set_xlabel("model ÷ target (ratio, log scale)")
    ax.set_ylabel("target")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.set_title("Calibration fit")
    _save(fig, path, dpi)
    plt.close(fig)


def plot_sensitivity(
    morris: pd.DataFrame, sobol: pd.DataFrame | None, labels: dict[str, str], path: Path, dpi: int = DEFAULT_DPI
) -> None:
    """Bar charts: Morris μ* with σ per outcome (top row) and Sobol S1 / ST with their
    confidence intervals (bottom row). The two bars of a pair differ without colour: the first
    is solid dark, the second light and hatched."""
    plt = _pyplot()
    outcomes = list(labels)
    rows = 2 if sobol is not None and not sobol.empty else 1
    fig, axes = plt.subplots(rows, len(outcomes), figsize=(5 * len(outcomes), 4.2 * rows + 0.5), squeeze=False)
    for j, outcome in enumerate(outcomes):
        ax = axes[0, j]
        m = morris[morris["outcome"] == outcome].sort_values("mu_star")
        ypos = np.arange(len(m))
        ax.barh(
            ypos - 0.2,
            m["mu_star"],
            height=0.4,
            xerr=m["mu_star_conf"],
            label="μ* (95% CI)",
            color=OKABE_ITO["blue"],
            edgecolor="black",
            lw=0.5,
        )
        ax.barh(
            ypos + 0.2,
            m["sigma"],
            height=0.4,
            label="σ",
            color=OKABE_ITO["yellow"],
            hatch="///",
            edgecolor="black",
            lw=0.5,
        )
        ax.set_yticks(ypos, m["parameter"], fontsize=7)
        ax.set_xlabel("elementary effect (units of the outcome)", fontsize=8)
        ax.set_title(f"Morris: {labels[outcome]}", fontsize=9)
        ax.legend(fontsize=7)
        if rows == 2:
            ax = axes[1, j]
            s = sobol[sobol["outcome"] == outcome].reset_index(drop=True)
            xpos = np.arange(len(s))
            ax.bar(
                xpos - 0.2,
                s["S1"],
                width=0.4,
                yerr=s["S1_conf"],
                label="S1 (first order)",
                color=OKABE_ITO["blue"],
                edgecolor="black",
                lw=0.5,
                capsize=3,
            )
            ax.bar(
                xpos + 0.2,
                s["ST"],
                width=0.4,
                yerr=s["ST_conf"],
                label="ST (total)",
                color=OKABE_ITO["yellow"],
                hatch="///",
                edgecolor="black",
                lw=0.5,
                capsize=3,
            )
            ax.set_xticks(xpos, s["parameter"], rotation=30, ha="right", fontsize=7)
            ax.set_ylabel("Sobol index (share of variance)", fontsize=8)
            ax.axhline(0, color="k", lw=0.6)
            ax.set_ylim(-0.25, 1.25)
            ax.set_title(f"Sobol: {labels[outcome]}", fontsize=9)
            ax.legend(fontsize=7)
    fig.tight_layout()
    _save(fig, path, dpi)
    plt.close(fig)


def plot_recovery(draws: pd.DataFrame, summary: pd.DataFrame, path: Path, dpi: int = DEFAULT_DPI) -> None:
    """True against recovered value of each free parameter (unit-cube coordinates), with the
    identity line and the verdict in the title."""
    plt = _pyplot()
    params = list(summary["parameter"])
    cols = min(4, len(params))
    nrows = int(np.ceil(len(params) / cols))
    fig, axes = plt.subplots(nrows, cols, figsize=(3.2 * cols, 3.0 * nrows), squeeze=False)
    for ax, (_, row) in zip(axes.ravel(), summary.iterrows()):
        d = draws[draws["parameter"] == row["parameter"]]
        ax.plot([0, 1], [0, 1], color="0.6", lw=0.8)
        ax.plot(d["true_unit"], d["recovered_unit"], "o", color=OKABE_ITO["blue"])
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"{row['parameter']}\n{row['verdict']} (ratio {row['rmse_ratio']:.2f})", fontsize=8)
        ax.set_xlabel("true (prior box 0–1)", fontsize=7)
        ax.set_ylabel("recovered", fontsize=7)
    for ax in axes.ravel()[len(params) :]:
        ax.axis("off")
    fig.tight_layout()
    _save(fig, path, dpi)
    plt.close(fig)
