"""Global sensitivity analysis: Morris screening, then Sobol indices of the most influential
parameters. ``python run.py mode=sensitivity``.

Outcomes (:data:`calibration.moments.OUTCOMES`, over ``calibration.sensitivity_quarters``):

* ``sz_firm_outflow`` — whole-firm relocations out of Shenzhen per 1,000 Shenzhen firms;
* ``corridor_innovations`` — innovations of all firms, whole corridor;
* ``sz_house_price_end`` — Shenzhen's mean house price in the last quarter.

Parameters: ``calibration.screen`` or every row of ``calibration/parameters.csv`` marked
``sensitivity``, varied uniformly over their prior boxes on their search scale (log or linear);
every other parameter keeps its value in the composed configuration (calibrated set included).

1. **Morris** (SALib): ``morris_trajectories`` trajectories on a ``morris_levels`` grid,
   (parameters + 1) simulations each; μ* (mean absolute elementary effect, with its bootstrap
   95% interval) and σ per outcome.
2. **Sobol** (SALib, Saltelli/Jansen estimators, first and total order): the ``sobol_top``
   parameters with the largest μ* (each outcome's μ* scaled by its largest, then the largest
   over outcomes), N = ``sobol_samples`` base samples, N·(k + 2) simulations.

Every simulation uses the master seed (common random numbers across parameter draws), so
differences between runs are due to parameters, not noise. Runs are saved in chunks
(``morris_runs.csv``, ``sobol_runs.csv``) and a rerun into the same directory skips the done
ones. Outputs: ``morris.csv``, ``sobol.csv``, ``sensitivity.png`` (bar charts), ``sensitivity.md``,
and ``provenance.json`` last.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor_abm.calibration import io
from corridor_abm.calibration.de import normalise
from corridor_abm.calibration.evaluate import MomentTask, derived_seed, run_parallel, run_task, sample_config
from corridor_abm.calibration.moments import OUTCOME_LABELS, OUTCOMES
from corridor_abm.calibration.spec import FreeParameter, apply_values, get_value, select_parameters
from corridor_abm.model.config import Config
from corridor_abm.model.runio import config_dict

log = logging.getLogger("corridor.calibration")


def problem(params: Sequence[FreeParameter]) -> dict[str, Any]:
    """The SALib problem: names and bounds on each parameter's search scale."""
    return {"num_vars": len(params), "names": [p.name for p in params], "bounds": [list(p.bounds) for p in params]}


def natural_rows(params: Sequence[FreeParameter], x: np.ndarray) -> list[dict[str, float]]:
    """Rows of a SALib design (search scale) as natural parameter values."""
    return [{p.name: float(p.from_scale(v)) for p, v in zip(params, row)} for row in np.atleast_2d(x)]


def run_design(
    base: Config,
    rows: Sequence[dict[str, float]],
    path: Path,
    fingerprint: dict[str, Any],
    workers: int,
    chunk: int | None = None,
) -> np.ndarray:
    """Outcomes of every row of a design, saved in chunks to ``path`` (resumed if it matches).

    Args:
        base: Configuration the rows' values are applied to (its seed is used for every run).
        rows: Parameter values per run.
        path: CSV of the runs (``run``, parameters, outcomes); a JSON sidecar holds the fingerprint.
        fingerprint: Settings the saved runs must share to be reused.
        workers: Parallel processes.
        chunk: Runs per saved chunk (default 4 × workers, at least 8).

    Returns:
        (runs, outcomes) array.
    """
    fingerprint = normalise({**fingerprint, "rows": [list(r.values()) for r in rows]})
    sidecar = path.with_suffix(".json")
    out = np.full((len(rows), len(OUTCOMES)), np.nan)
    done = np.zeros(len(rows), dtype=bool)
    if path.is_file() and sidecar.is_file() and json.loads(sidecar.read_text()) == fingerprint:
        saved = pd.read_csv(path)
        idx = saved["run"].to_numpy(dtype=int)
        out[idx] = saved[list(OUTCOMES)].to_numpy(dtype=float)
        done[idx] = True
        log.info("resuming %s: %d of %d runs done", path.name, int(done.sum()), len(rows))
    io.write_json(sidecar, fingerprint)
    chunk = chunk or max(8, 4 * workers)
    todo = np.flatnonzero(~done)
    for start in range(0, todo.size, chunk):
        part = todo[start : start + chunk]
        tasks = [MomentTask(apply_values(base, rows[i]), outcomes=True, structural=tuple(rows[i])) for i in part]
        out[part] = np.array(run_parallel(run_task, tasks, workers), dtype=float)
        done[part] = True
        frame = pd.DataFrame([rows[i] for i in np.flatnonzero(done)])
        frame.insert(0, "run", np.flatnonzero(done))
        for j, name in enumerate(OUTCOMES):
            frame[name] = out[done, j]
        io.write_csv(path, frame)
        log.info("%s: %d of %d runs", path.name, int(done.sum()), len(rows))
    return out


def _finite(y: np.ndarray, outcome: str, stage: str) -> np.ndarray:
    bad = ~np.isfinite(y)
    if bad.any():
        log.warning("%s: %d failed runs for %s replaced by the median", stage, int(bad.sum()), outcome)
        y = np.where(bad, np.nanmedian(y) if (~bad).any() else 0.0, y)
    return y


def morris_indices(
    params: Sequence[FreeParameter], x: np.ndarray, y: np.ndarray, levels: int, seed: int
) -> pd.DataFrame:
    """Morris μ, μ*, σ and the 95% interval of μ* for every parameter and outcome."""
    from SALib.analyze import morris as morris_analyze

    prob = problem(params)
    rows = []
    for j, outcome in enumerate(OUTCOMES):
        res = morris_analyze.analyze(
            prob, x, _finite(y[:, j], outcome, "morris"), num_levels=levels, conf_level=0.95, seed=seed
        )
        for i, name in enumerate(prob["names"]):
            rows.append(
                {
                    "outcome": outcome,
                    "parameter": name,
                    "mu": float(res["mu"][i]),
                    "mu_star": float(res["mu_star"][i]),
                    "mu_star_conf": float(res["mu_star_conf"][i]),
                    "sigma": float(res["sigma"][i]),
                }
            )
    frame = pd.DataFrame(rows)
    top = frame.groupby("outcome")["mu_star"].transform("max")
    frame["mu_star_scaled"] = np.where(top > 0, frame["mu_star"] / top, 0.0)
    return frame


def top_parameters(morris: pd.DataFrame, k: int) -> list[str]:
    """The k parameters with the largest scaled μ* over the outcomes."""
    score = morris.groupby("parameter")["mu_star_scaled"].max().sort_values(ascending=False)
    return list(score.index[:k])


def sobol_indices(params: Sequence[FreeParameter], y: np.ndarray, seed: int) -> pd.DataFrame:
    """First-order and total Sobol indices with 95% intervals for every parameter and outcome."""
    from SALib.analyze import sobol as sobol_analyze

    prob = problem(params)
    rows = []
    for j, outcome in enumerate(OUTCOMES):
        yj = _finite(y[:, j], outcome, "sobol")
        if np.ptp(yj) == 0:
            res = {k: np.full(len(params), np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            res = sobol_analyze.analyze(prob, yj, calc_second_order=False, conf_level=0.95, seed=seed)
        for i, name in enumerate(prob["names"]):
            rows.append(
                {
                    "outcome": outcome,
                    "parameter": name,
                    "S1": float(res["S1"][i]),
                    "S1_conf": float(res["S1_conf"][i]),
                    "ST": float(res["ST"][i]),
                    "ST_conf": float(res["ST_conf"][i]),
                }
            )
    return pd.DataFrame(rows)


def sensitivity_markdown(morris: pd.DataFrame, sobol: pd.DataFrame, lines: Sequence[str]) -> str:
    """The sensitivity report as Markdown: the Morris ranking and the Sobol indices per outcome."""
    out = ["# Sensitivity analysis", "", *lines, ""]
    for outcome, label in OUTCOME_LABELS.items():
        m = morris[morris["outcome"] == outcome].sort_values("mu_star", ascending=False)
        out += [f"## {label}", "", "| parameter | μ* (95% CI) | σ | μ | S1 (95% CI) | ST (95% CI) |"]
        out += ["|---|---:|---:|---:|---:|---:|"]
        s = sobol[sobol["outcome"] == outcome].set_index("parameter") if not sobol.empty else pd.DataFrame()
        for r in m.to_dict("records"):
            s1 = st = ""
            if r["parameter"] in s.index:
                q = s.loc[r["parameter"]]
                s1 = f"{q['S1']:.2f} ± {q['S1_conf']:.2f}"
                st = f"{q['ST']:.2f} ± {q['ST_conf']:.2f}"
            out.append(
                f"| `{r['parameter']}` | {r['mu_star']:.4g} ± {r['mu_star_conf']:.2g} | {r['sigma']:.4g} | "
                f"{r['mu']:+.4g} | {s1} | {st} |"
            )
        out.append("")
    return "\n".join(out)


def run_sensitivity(
    config: Config, out_dir: Path, params: Sequence[FreeParameter] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Morris screening and Sobol indices of the key outcomes; outputs into ``out_dir``.

    Args:
        config: The composed configuration (``calibration.*`` holds the settings).
        out_dir: Output directory (resumable).
        params: Parameters to vary (default: ``calibration.screen`` or rows marked sensitivity).

    Returns:
        The Morris and Sobol index tables.
    """
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    started = time.perf_counter()
    cal = config.calibration
    params = list(params) if params is not None else select_parameters(cal.screen, "sensitivity")
    base = sample_config(config, quarters=cal.sensitivity_quarters)
    settings = config_dict(base)
    settings.pop("calibration", None)
    settings.pop("output", None)
    fingerprint = {"base": settings, "params": [(p.name, p.lower, p.upper, p.scale) for p in params]}
    seed32 = derived_seed(config.seed, "sensitivity") % (2**32)
    out_dir = io.begin(out_dir, config, "sensitivity")  # every input is checked before the folder is touched

    x_morris = morris_sample.sample(
        problem(params), N=cal.morris_trajectories, num_levels=cal.morris_levels, seed=seed32
    )
    log.info("Morris: %d parameters, %d runs of %d quarters", len(params), len(x_morris), base.quarters)
    y_morris = run_design(base, natural_rows(params, x_morris), out_dir / "morris_runs.csv", fingerprint, cal.workers)
    morris = morris_indices(params, x_morris, y_morris, cal.morris_levels, seed32)
    io.write_csv(out_dir / "morris.csv", morris)

    top = top_parameters(morris, min(cal.sobol_top, len(params)))
    top_params = [p for name in top for p in params if p.name == name]
    x_sobol = sobol_sample.sample(problem(top_params), cal.sobol_samples, calc_second_order=False, seed=seed32)
    log.info("Sobol: %s, %d runs", top, len(x_sobol))
    y_sobol = run_design(
        base, natural_rows(top_params, x_sobol), out_dir / "sobol_runs.csv", {**fingerprint, "top": top}, cal.workers
    )
    sobol = sobol_indices(top_params, y_sobol, seed32)
    io.write_csv(out_dir / "sobol.csv", sobol)

    io.draw("plot_sensitivity", morris, sobol, OUTCOME_LABELS, *io.figure_file(out_dir, "sensitivity", config))
    base_values = ", ".join(f"`{p.name}` {get_value(base, p.name):.4g} [{p.lower:g}, {p.upper:g}]" for p in params)
    lines = [
        f"Sample: {base.n_firms} firms, {base.n_talent} talent, population_share {base.population_share}, "
        f"{base.quarters} quarters from {base.start}; every run on seed {base.seed} (common random numbers).",
        f"Morris: {cal.morris_trajectories} trajectories, {cal.morris_levels} levels, {len(x_morris)} runs. "
        f"Sobol: top {len(top)} parameters by scaled μ*, N = {cal.sobol_samples}, {len(x_sobol)} runs; the "
        "other parameters at their configured values.",
        f"Parameters (configured value [box]): {base_values}.",
        "Outcome spread over the Morris runs (min–max): "
        + "; ".join(
            f"{name} {np.nanmin(y_morris[:, j]):.4g}–{np.nanmax(y_morris[:, j]):.4g}" for j, name in enumerate(OUTCOMES)
        )
        + ".",
    ]
    io.write_text(out_dir / "sensitivity.md", sensitivity_markdown(morris, sobol, lines))
    io.finish(
        out_dir,
        "sensitivity",
        config,
        time.perf_counter() - started,
        parameters=[p.name for p in params],
        morris_runs=len(x_morris),
        sobol_parameters=top,
        sobol_runs=len(x_sobol),
    )
    return morris, sobol


def sensitivity_mode(config: Config, out_dir: Path) -> None:
    """``python run.py mode=sensitivity``: Morris, then Sobol, with tables and a bar chart."""
    morris, sobol = run_sensitivity(config, out_dir)
    for outcome in OUTCOMES:
        m = morris[morris["outcome"] == outcome].sort_values("mu_star", ascending=False).head(3)
        print(f"{outcome}: " + ", ".join(f"{r.parameter} (μ* {r.mu_star:.3g})" for r in m.itertuples()))
    print(f"report: {Path(out_dir) / 'sensitivity.md'}")
