"""The fit report: each target, the model's value with its band across seeds, inside or not.

The model's value is the replicate mean on the target's comparison scale, mapped back (a
geometric mean for ``log`` targets, as the loss sees it); its band is the 5th–95th percentile
across the report's seeds, which are fresh seeds not used by the search (out of sample).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from corridor_abm.calibration.loss import loss_terms, mean_moments, z_scores
from corridor_abm.calibration.spec import Target


def _back(target: Target, m: float) -> float:
    return float(np.exp(m)) if target.transform == "log" and np.isfinite(m) else float(m)


def fit_table(
    targets: Sequence[Target],
    after: np.ndarray,
    w: dict[str, float],
    before: np.ndarray | None = None,
    available: set[str] | None = None,
) -> pd.DataFrame:
    """One row per target: value and band, the model before and after, inside the band or not.

    Args:
        targets: All targets (fitted and checks).
        after: (R, K) simulated values at the calibrated point (report seeds).
        w: Weights of the fitted targets by name (others get no z-score or loss term).
        before: (R, K) values at the starting point, if any.
        available: Names of targets the simulated horizon covers (None: all).

    Returns:
        The report table.
    """
    rows = []
    after = np.atleast_2d(after)
    m_after = mean_moments(after, targets)
    m_before = mean_moments(np.atleast_2d(before), targets) if before is not None else None
    for k, t in enumerate(targets):
        col = after[:, k][np.isfinite(after[:, k])]
        model = _back(t, m_after[k])
        fitted = t.name in w
        row = {
            "name": t.name,
            "role": t.role if (available is None or t.name in available) else "not simulated",
            "city": t.city,
            "unit": t.unit,
            "target": t.value,
            "low": t.low,
            "high": t.high,
            "year": t.year,
            "model_year": t.model_year,
            "kind": t.kind,
            "source": t.source,
            "model_before": _back(t, m_before[k]) if m_before is not None else np.nan,
            "inside_before": t.inside(_back(t, m_before[k])) if m_before is not None else None,
            "model": model,
            "model_p05": float(np.percentile(col, 5)) if col.size else np.nan,
            "model_p95": float(np.percentile(col, 95)) if col.size else np.nan,
            "inside": t.inside(model),
            "z": np.nan,
            "loss_term": np.nan,
            "loss_term_before": np.nan,
        }
        if fitted:
            row["z"] = float(z_scores(after[:, [k]], [t], np.array([w[t.name]]))[0])
            row["loss_term"] = float(loss_terms(after[:, [k]], [t], np.array([w[t.name]]))[0])
            if before is not None:
                row["loss_term_before"] = float(
                    loss_terms(np.atleast_2d(before)[:, [k]], [t], np.array([w[t.name]]))[0]
                )
        rows.append(row)
    return pd.DataFrame(rows)


def _fmt(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    ax = abs(x)
    if ax >= 1e9:
        return f"{x / 1e9:.3g}bn"
    if ax >= 1e5:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 1:
        return f"{x:.3g}"
    return f"{x:.3g}"


def fit_markdown(table: pd.DataFrame, title: str, lines: Sequence[str] = ()) -> str:
    """The report table as Markdown, with a summary of hits and the loss."""
    fit = table[table["role"] == "fit"]
    out = [f"# {title}", "", *lines, ""]
    out.append(
        f"Fitted targets inside their band: **{int(fit['inside'].sum())} of {len(fit)}** after"
        + (
            f" (before: {int(fit['inside_before'].astype(bool).sum())} of {len(fit)})"
            if fit["inside_before"].notna().any()
            else ""
        )
        + f"; loss after {fit['loss_term'].sum():.4g}"
        + (f", before {fit['loss_term_before'].sum():.4g}" if fit["loss_term_before"].notna().any() else "")
        + " (on the report's out-of-sample seeds)."
    )
    out += [
        "",
        "| target | value [90% band] | source | before | model (5–95% across seeds) | inside | z |",
        "|---|---|---|---:|---|:---:|---:|",
    ]
    for r in table.to_dict("records"):
        role = "" if r["role"] == "fit" else f" ({r['role']})"
        source = {"seed": "seed", "assumption": "assumption"}.get(r["kind"], "approx.")
        inside = "yes" if r["inside"] else "**no**"
        if r["role"] == "not simulated":
            inside = "–"
        z = f"{r['z']:+.1f}" if np.isfinite(r["z"]) else ""
        spread = f" ({_fmt(r['model_p05'])}–{_fmt(r['model_p95'])})" if np.isfinite(r["model_p05"]) else ""
        out.append(
            f"| `{r['name']}`{role} | {_fmt(r['target'])} [{_fmt(r['low'])}, {_fmt(r['high'])}] {r['unit']} "
            f"({r['year']}) | {source} | {_fmt(r['model_before'])} | {_fmt(r['model'])}{spread} | {inside} | {z} |"
        )
    out.append("")
    return "\n".join(out)
