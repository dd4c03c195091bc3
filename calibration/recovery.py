"""Parameter recovery: can the calibration find parameters it is shown the answer for?
``python run.py mode=recovery``.

1. Draw ``calibration.recovery_draws`` "true" vectors uniformly from the prior box (on each
   parameter's search scale), with a generator spawned from the master seed.
2. Simulate pseudo-data with each true vector on **data seeds** — a different spawn of the
   master seed (``derived_seed(seed, "recovery-data")``) than the calibration's replicate
   seeds, so the search never sees the realisation that produced its data. One data seed per
   draw (``replicates`` of real data: one history).
3. Calibrate blind: the same search as ``mode=calibrate`` (free parameters, seeds, weights from
   the start point), from a Latin hypercube without the true or default point, with
   ``calibration.recovery_generations`` generations, against the pseudo-data (each target moved
   to the pseudo-data value with its band's width kept). Each draw checkpoints to
   ``draw_<k>/checkpoint.json`` and resumes.
4. Report per parameter, on the unit-cube scale of its prior box (so parameters are
   comparable): bias, RMSE, the RMSE of guessing the prior mean (0.5), their ratio, and the
   correlation of true and recovered values; in natural units, bias and RMSE. A parameter is
   **recovered** when the ratio is below ``calibration.recovery_threshold`` (default 0.7),
   otherwise **not recoverable** (the targets do not pin it down at this budget).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from corridor_abm.calibration import io
from corridor_abm.calibration.calibrate import Objective, Setup, fit_weights, make_setup, start_point
from corridor_abm.calibration.de import minimise
from corridor_abm.calibration.evaluate import MomentTask, derived_seed, run_parallel, run_task
from corridor_abm.calibration.spec import FreeParameter, Target, apply_values, values_from_unit
from corridor_abm.model.config import Config
from corridor_abm.model.rng import replicate_seeds

log = logging.getLogger("corridor.calibration")


def draw_truths(setup: Setup, n: int, master: int) -> np.ndarray:
    """``n`` true vectors, uniform in the prior box (unit cube), from the master seed."""
    rng = np.random.default_rng(derived_seed(master, "recovery-truths"))
    return rng.random((n, len(setup.params)))


def pseudo_data(setup: Setup, truths: np.ndarray, data_seeds: Sequence[int]) -> np.ndarray:
    """Moments of one simulation of each true vector on its data seed: (draws, fitted targets)."""
    tasks = []
    for truth, seed in zip(truths, data_seeds):
        values = values_from_unit(setup.params, truth)
        cfg = apply_values(setup.base, {**values, "seed": int(seed)})
        tasks.append(MomentTask(cfg, tuple(setup.fit), structural=tuple(values)))
    return np.array(run_parallel(run_task, tasks, setup.workers), dtype=float)


def pseudo_targets(setup: Setup, data: np.ndarray) -> tuple[list[Target], np.ndarray]:
    """Targets moved to pseudo-data values with their band widths kept (on the comparison scale).

    Returns:
        The pseudo-targets (targets whose moment is missing in the pseudo-data are left out)
        and their indices in ``setup.fit``.
    """
    keep = [k for k, x in enumerate(data) if np.isfinite(x) and (setup.fit[k].transform != "log" or x > 0)]
    return [setup.fit[k].shifted(float(data[k])) for k in keep], np.array(keep, dtype=int)


def summarise(truths: np.ndarray, estimates: np.ndarray, params: Sequence[FreeParameter], threshold: float):
    """Per-parameter recovery statistics and the per-draw table.

    Args:
        truths: (K, D) true vectors, unit cube.
        estimates: (K, D) recovered vectors, unit cube.
        params: The D parameters.
        threshold: Largest RMSE ratio (to guessing the prior mean) counted as recovered.

    Returns:
        (summary, draws) data frames.
    """
    rows, draws = [], []
    for j, p in enumerate(params):
        t, e = truths[:, j], estimates[:, j]
        err = e - t
        rmse = float(np.sqrt(np.mean(err**2)))
        rmse_prior = float(np.sqrt(np.mean((p.prior_mean_unit - t) ** 2)))
        ratio = rmse / rmse_prior if rmse_prior > 0 else float("nan")
        corr = float(np.corrcoef(t, e)[0, 1]) if len(t) >= 3 and np.std(e) > 0 and np.std(t) > 0 else float("nan")
        t_nat, e_nat = p.from_unit(t), p.from_unit(e)
        rows.append(
            {
                "parameter": p.name,
                "draws": len(t),
                "bias_unit": float(np.mean(err)),
                "rmse_unit": rmse,
                "rmse_prior_unit": rmse_prior,
                "rmse_ratio": ratio,
                "correlation": corr,
                "bias": float(np.mean(e_nat - t_nat)),
                "rmse": float(np.sqrt(np.mean((e_nat - t_nat) ** 2))),
                "verdict": "recovered" if ratio < threshold else "not recoverable",
            }
        )
        for k in range(len(t)):
            draws.append(
                {
                    "draw": k,
                    "parameter": p.name,
                    "true": float(t_nat[k]),
                    "recovered": float(e_nat[k]),
                    "true_unit": float(t[k]),
                    "recovered_unit": float(e[k]),
                }
            )
    return pd.DataFrame(rows), pd.DataFrame(draws)


def recovery_markdown(summary: pd.DataFrame, lines: Sequence[str]) -> str:
    """The recovery report as Markdown."""
    out = ["# Parameter recovery", "", *lines, ""]
    out += [
        "| parameter | bias (unit) | RMSE (unit) | RMSE of prior mean | ratio | corr(true, recovered) | "
        "bias (natural) | RMSE (natural) | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in summary.to_dict("records"):
        corr = f"{r['correlation']:.2f}" if np.isfinite(r["correlation"]) else "–"
        verdict = r["verdict"] if r["verdict"] == "recovered" else f"**{r['verdict']}**"
        out.append(
            f"| `{r['parameter']}` | {r['bias_unit']:+.3f} | {r['rmse_unit']:.3f} | {r['rmse_prior_unit']:.3f} | "
            f"{r['rmse_ratio']:.2f} | {corr} | {r['bias']:+.4g} | {r['rmse']:.4g} | {verdict} |"
        )
    bad = summary.loc[summary["verdict"] != "recovered", "parameter"].tolist()
    out += ["", "Not recoverable: " + (", ".join(f"`{b}`" for b in bad) if bad else "none") + ".", ""]
    return "\n".join(out)


def run_recovery(
    config: Config,
    out_dir: Path,
    targets: Sequence[Target] | None = None,
    params: Sequence[FreeParameter] | None = None,
) -> pd.DataFrame:
    """Simulate with known parameters, calibrate blind, and report how well each is recovered.

    Args:
        config: The composed configuration (``calibration.*`` holds the settings).
        out_dir: Output directory (resumable).
        targets: Targets whose moments form the pseudo-data (default: targets.csv).
        params: Free parameters (default: ``calibration.free`` or rows marked calibrate).

    Returns:
        The per-parameter summary (also written: recovery.csv, recovery_draws.csv,
        recovery.md, recovery.png, draw_<k>/checkpoint.json and, last, provenance.json).
    """
    started = time.perf_counter()
    cal = config.calibration
    setup = make_setup(config, targets, params)  # every input is checked before the folder is touched
    out_dir = io.begin(out_dir, config, "recovery")
    start = start_point(setup, out_dir / "start.json")
    w_all = fit_weights(setup, start)
    truths = draw_truths(setup, cal.recovery_draws, config.seed)
    data_seeds = replicate_seeds(derived_seed(config.seed, "recovery-data"), cal.recovery_draws)
    data = pseudo_data(setup, truths, data_seeds)
    estimates = np.empty_like(truths)
    losses = []
    for k, truth in enumerate(truths):
        pseudo, keep = pseudo_targets(setup, data[k])
        log.info("recovery draw %d/%d: %d pseudo-targets", k + 1, len(truths), len(pseudo))
        state, _ = minimise(
            Objective(setup, pseudo, w_all[keep]),
            dim=len(setup.params),
            population=setup.population,
            generations=cal.recovery_generations,
            seed=derived_seed(config.seed, f"recovery-search-{k}"),
            checkpoint=out_dir / f"draw_{k}" / "checkpoint.json",
            fingerprint={**setup.fingerprint(), "truth": truth.tolist(), "data_seed": data_seeds[k]},
            resume=cal.resume,
        )
        estimates[k] = state.best
        losses.append(state.best_energy)
    summary, draws = summarise(truths, estimates, setup.params, cal.recovery_threshold)
    draws["loss"] = np.asarray(losses)[draws["draw"].to_numpy()]  # the table is by parameter, then draw
    io.write_csv(out_dir / "recovery.csv", summary)
    io.write_csv(out_dir / "recovery_draws.csv", draws)
    lines = [
        f"{len(truths)} true vectors drawn uniformly from the prior box; pseudo-data from one simulation each "
        f"on data seeds spawned apart from the search's {len(setup.seeds)} replicate seeds; blind search "
        f"{cal.recovery_generations} generations × {setup.population} (differential evolution, no start point). "
        f"Sample: {setup.base.n_firms} firms, {setup.base.n_talent} talent, population_share "
        f"{setup.base.population_share}, {setup.base.quarters} quarters; {len(setup.fit)} fitted targets.",
        "Statistics on the unit scale of each prior box (0 = lower, 1 = upper end, uniform on the search scale); "
        f"'ratio' = RMSE ÷ RMSE of guessing the prior mean; recovered if ratio < {cal.recovery_threshold}.",
    ]
    io.write_text(out_dir / "recovery.md", recovery_markdown(summary, lines))
    io.draw("plot_recovery", draws, summary, *io.figure_file(out_dir, "recovery", config))
    io.finish(
        out_dir,
        "recovery",
        config,
        time.perf_counter() - started,
        draws=len(truths),
        free_parameters=[p.name for p in setup.params],
        verdicts=dict(zip(summary["parameter"], summary["verdict"])),
    )
    return summary


def recovery_mode(config: Config, out_dir: Path) -> None:
    """``python run.py mode=recovery``: parameter recovery with the report in the run directory."""
    summary = run_recovery(config, out_dir)
    for r in summary.to_dict("records"):
        print(f"{r['parameter']:40s} ratio {r['rmse_ratio']:.2f}  {r['verdict']}")
    print(f"report: {Path(out_dir) / 'recovery.md'}")
