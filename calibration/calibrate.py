"""Calibration by the method of simulated moments: ``python run.py mode=calibrate``.

What it does, in order (all settings under ``calibration.*``, see docs/parameters.md):

1. **Set-up.** Free parameters from ``calibration/parameters.csv`` (``calibration.free``, or
   every row marked ``calibrate``), targets from ``calibration/targets.csv`` (those of role
   ``fit`` whose window the simulated quarters cover). Simulations use the composed
   configuration (calibrated set and scenario included) with the sample of ``calibration.*``.
   Seeds: ``calibration.replicates`` seeds for the search, the same for every vector (common
   random numbers), and ``calibration.report_replicates`` fresh seeds for the reports, all
   spawned from the master ``seed``.
2. **Start point.** The configuration's own values are simulated on the report seeds: the
   spread across seeds gives the simulation variance in the weights (held fixed afterwards)
   and the "before" column of the report. Saved to ``start.json`` (resumable).
3. **Search.** Differential evolution (:mod:`calibration.de`) over the prior box, with the start
   point in the initial population; every generation is evaluated in parallel and
   checkpointed to ``checkpoint.json``. Run again into the same directory
   (``hydra.run.dir=...``) to resume, e.g. with more ``calibration.generations``.
4. **Report.** The best vector is simulated on the report seeds; ``report.md`` / ``report.csv``
   list each target, the model's value before and after with its 5–95% band across seeds, and
   whether it falls inside the target's band. ``calibrated.yaml`` holds the calibrated set in
   the format of ``scenarios/calibrated/``; with ``calibration.install=true`` it is also written
   to ``scenarios/calibrated/<calibration.name>.yaml`` (``default`` is the baseline's).
   ``provenance.json`` is written last.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor_abm.calibration import io
from corridor_abm.calibration.de import DEState, minimise, normalise
from corridor_abm.calibration.evaluate import calibration_seeds, derived_seed, sample_config, simulate_moments
from corridor_abm.calibration.loss import msm_loss, simulation_sd, weights
from corridor_abm.calibration.moments import window_covered
from corridor_abm.calibration.report import fit_markdown, fit_table
from corridor_abm.calibration.spec import (
    FreeParameter,
    Target,
    flatten,
    get_value,
    load_targets,
    natural,
    nested,
    select_parameters,
    unit_of,
    values_from_unit,
)
from corridor_abm.model.config import SCENARIO_DIR, Config
from corridor_abm.model.runio import config_dict

log = logging.getLogger("corridor.calibration")

CALIBRATED_DIR = SCENARIO_DIR / "calibrated"
"""Where installed calibrated sets live (``calibrated=<name>`` on the command line)."""


@dataclass
class Setup:
    """Everything a calibration (or a recovery) fixes before it searches.

    Attributes:
        config: The composed configuration.
        base: The sample configuration simulations start from.
        params: Free parameters.
        targets: All targets (fitted and checks), in file order.
        fit: Fitted targets the simulated horizon covers.
        seeds: Replicate seeds of the search (common random numbers).
        report_seeds: Fresh seeds of the reports.
        population: Differential-evolution population.
        workers: Parallel processes.
    """

    config: Config
    base: Config
    params: list[FreeParameter]
    targets: list[Target]
    fit: list[Target]
    seeds: list[int]
    report_seeds: list[int]
    population: int
    workers: int
    skipped: list[str] = field(default_factory=list)

    @property
    def available(self) -> set[str]:
        """Targets whose window the simulated quarters cover."""
        return {t.name for t in self.targets if window_covered(t, self.base.start, self.base.quarters)}

    def fingerprint(self) -> dict[str, Any]:
        """The settings a checkpoint must share to be resumed."""
        base = config_dict(self.base)
        base.pop("calibration", None)
        base.pop("seed", None)
        base.pop("output", None)
        return normalise(
            {
                "params": [(p.name, p.lower, p.upper, p.scale) for p in self.params],
                "targets": [(t.name, t.value, t.low, t.high, t.transform, t.model_year) for t in self.fit],
                "seeds": self.seeds,
                "report_seeds": self.report_seeds,
                "base": base,
            }
        )


def make_setup(
    config: Config,
    targets: Sequence[Target] | None = None,
    params: Sequence[FreeParameter] | None = None,
    quarters: int | None = None,
) -> Setup:
    """Fix the free parameters, targets, seeds and sample of a calibration.

    Args:
        config: The composed configuration (``calibration.*`` holds the settings).
        targets: Targets (default: ``calibration/targets.csv``).
        params: Free parameters (default: ``calibration.free`` or the rows marked calibrate).
        quarters: Quarters per simulation (default ``calibration.quarters``).
    """
    cal = config.calibration
    base = sample_config(config, quarters)
    targets = list(targets) if targets is not None else load_targets()
    params = list(params) if params is not None else select_parameters(cal.free, "calibrate")
    if not params:
        raise ValueError("no free parameters: set calibration.free or mark rows of calibration/parameters.csv")
    fit, skipped = [], []
    for t in targets:
        if t.role != "fit":
            continue
        if window_covered(t, base.start, base.quarters):
            fit.append(t)
        else:
            skipped.append(t.name)
    if not fit:
        raise ValueError(f"no fitted target is covered by {base.quarters} quarters from {base.start}")
    if skipped:
        log.info("targets outside the simulated %d quarters, left out of the loss: %s", base.quarters, skipped)
    seeds, report_seeds = calibration_seeds(config.seed, cal.replicates, cal.report_replicates)
    population = cal.population if cal.population > 0 else max(8, 3 * len(params))
    return Setup(
        config=config,
        base=base,
        params=params,
        targets=targets,
        fit=fit,
        seeds=seeds,
        report_seeds=report_seeds,
        population=population,
        workers=cal.workers,
        skipped=skipped,
    )


def start_point(setup: Setup, path: Path) -> np.ndarray:
    """Simulated values of every target at the configuration's own parameter values, on the
    report seeds: (report seeds, targets). Saved to ``path`` and reused when it matches."""
    fingerprint = setup.fingerprint()
    if path.is_file():
        import json

        data = json.loads(path.read_text())
        if data.get("fingerprint") == fingerprint:
            return np.array(data["values"], dtype=float)
    values = simulate_moments(setup.base, [{}], setup.report_seeds, setup.targets, setup.workers)[0]
    io.write_json(path, {"fingerprint": fingerprint, "values": values})
    return values


def fit_weights(setup: Setup, start_values: np.ndarray) -> np.ndarray:
    """Inverse-variance weights of the fitted targets: target band plus the start point's
    simulation variance across seeds (divided by the replicates per evaluation)."""
    idx = [setup.targets.index(t) for t in setup.fit]
    sd = simulation_sd(start_values[:, idx], setup.fit)
    return weights(setup.fit, sd, len(setup.seeds))


class Objective:
    """The MSM loss of a batch of unit-cube points (one parallel batch of simulations).

    Args:
        setup: The calibration set-up.
        targets: Fitted targets (the real ones, or pseudo-data in parameter recovery).
        w: Their weights.
    """

    def __init__(self, setup: Setup, targets: Sequence[Target], w: np.ndarray) -> None:
        self.setup = setup
        self.targets = list(targets)
        self.w = np.asarray(w)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """Losses of the points (rows of a unit-cube array)."""
        s = self.setup
        vectors = [values_from_unit(s.params, u) for u in points]
        values = simulate_moments(s.base, vectors, s.seeds, self.targets, s.workers)
        return np.array([msm_loss(v, self.targets, self.w) for v in values])


def evaluations_table(state: DEState, params: Sequence[FreeParameter]) -> pd.DataFrame:
    """Every evaluation of a search: generation, member, loss and natural parameter values."""
    rows = []
    for rec in state.log:
        row = {"generation": rec["generation"], "member": rec["member"], "loss": rec["loss"]}
        row.update(values_from_unit(params, rec["unit"]))
        rows.append(row)
    return pd.DataFrame(rows)


def calibrated_yaml(values: dict[str, Any], header: Sequence[str]) -> str:
    """A calibrated set in the format of ``scenarios/calibrated/`` (hydra ``_global_`` package)."""
    from omegaconf import OmegaConf

    body = OmegaConf.to_yaml(OmegaConf.create(nested(values))) if values else "{}\n"
    return "\n".join(["# @package _global_", *[f"# {h}" for h in header], body])


def read_calibrated(path: Path) -> dict[str, Any]:
    """Dotted keys → values of a calibrated set file (empty for ``{}`` or a missing file)."""
    from omegaconf import OmegaConf

    if not Path(path).is_file():
        return {}
    data = OmegaConf.to_container(OmegaConf.load(path)) or {}
    return flatten(data) if isinstance(data, dict) else {}


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it (for file headers)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@dataclass
class CalibrationResult:
    """What a calibration found.

    Attributes:
        values: Calibrated values of the free parameters (natural units, ints rounded).
        state: The final search state.
        evaluations_made: Loss evaluations made by this call (0 if everything was resumed).
        table: The fit report.
        loss_before: Loss at the start point on the report seeds.
        loss_after: Loss at the calibrated point on the report seeds.
        yaml_path: The calibrated set written into the output directory.
    """

    values: dict[str, float]
    state: DEState
    evaluations_made: int
    table: pd.DataFrame
    loss_before: float
    loss_after: float
    yaml_path: Path


def run_calibration(
    config: Config,
    out_dir: Path,
    targets: Sequence[Target] | None = None,
    params: Sequence[FreeParameter] | None = None,
) -> CalibrationResult:
    """Calibrate the free parameters to the targets and write the outputs into ``out_dir``.

    Args:
        config: The composed configuration (``calibration.*`` holds the settings).
        out_dir: Output directory (resumed from if it holds a matching checkpoint).
        targets: Targets (default: ``calibration/targets.csv``).
        params: Free parameters (default: ``calibration.free`` or the rows marked calibrate).

    Returns:
        The result (also written: calibrated.yaml, report.md, report.csv, evaluations.csv,
        history.csv, checkpoint.json, start.json, fit.png and, last, provenance.json).
    """
    started = time.perf_counter()
    cal = config.calibration
    setup = make_setup(config, targets, params)  # every input is checked before the folder is touched
    out_dir = io.begin(out_dir, config, "calibrate")
    log.info(
        "calibrating %d parameters to %d targets: population %d, %d generations, %d replicates, %d workers",
        len(setup.params),
        len(setup.fit),
        setup.population,
        cal.generations,
        len(setup.seeds),
        setup.workers,
    )
    before = start_point(setup, out_dir / "start.json")
    w = fit_weights(setup, before)
    fit_idx = [setup.targets.index(t) for t in setup.fit]

    def save_progress(state: DEState) -> None:
        io.write_csv(out_dir / "evaluations.csv", evaluations_table(state, setup.params))
        io.write_csv(out_dir / "history.csv", pd.DataFrame(state.history))

    state, made = minimise(
        Objective(setup, setup.fit, w),
        dim=len(setup.params),
        population=setup.population,
        generations=cal.generations,
        seed=derived_seed(config.seed, "calibration-search"),
        checkpoint=out_dir / "checkpoint.json",
        fingerprint=setup.fingerprint(),
        x0=unit_of(setup.params, setup.base),
        resume=cal.resume,
        on_generation=save_progress,
    )
    save_progress(state)
    best = values_from_unit(setup.params, state.best)
    best = {k: natural(setup.base, k, v) for k, v in best.items()}
    after = simulate_moments(setup.base, [best], setup.report_seeds, setup.targets, setup.workers)[0]
    w_named = {t.name: float(wk) for t, wk in zip(setup.fit, w)}
    table = fit_table(setup.targets, after, w_named, before=before, available=setup.available)
    loss_before = msm_loss(before[:, fit_idx], setup.fit, w)
    loss_after = msm_loss(after[:, fit_idx], setup.fit, w)

    header = [
        "Calibrated parameters, composed under every scenario (scenarios/config.yaml).",
        f"Written by `python run.py mode=calibrate` on {datetime.now(UTC).date().isoformat()} into {_shown(out_dir)}:",
        f"{state.evaluations} evaluations ({state.generation} generations of {setup.population}), "
        f"{len(setup.seeds)} replicates each;",
        f"loss on {len(setup.report_seeds)} fresh seeds {loss_before:.4g} (start) -> {loss_after:.4g} (calibrated).",
        "Free parameters and prior boxes: calibration/parameters.csv; fit report: docs/calibration.md.",
    ]
    yaml_path = out_dir / "calibrated.yaml"
    io.write_text(yaml_path, calibrated_yaml(best, header))
    installed = None
    if cal.install:
        installed = CALIBRATED_DIR / f"{cal.name}.yaml"
        merged = {k: v for k, v in read_calibrated(installed).items() if k not in best and k != "calibrated_set"}
        kept = sorted(merged)
        merged.update(best)
        # the file names itself, so the run's provenance and reference state say which set is in force
        merged["calibrated_set"] = cal.name
        extra = [f"Kept from the previous file: {', '.join(kept)}."] if kept else []
        io.write_text(installed, calibrated_yaml(merged, header + extra))
        log.info("installed the calibrated set as %s", installed)

    io.write_csv(out_dir / "report.csv", table)
    lines = [
        f"Free parameters ({len(setup.params)}): "
        + ", ".join(f"`{k}` {get_value(setup.base, k):.4g} → {v:.4g}" for k, v in best.items())
        + ".",
        f"Search: {state.evaluations} evaluations ({state.generation} generations × {setup.population}), "
        f"{len(setup.seeds)} replicates per evaluation (common random numbers); best in-sample loss "
        f"{state.best_energy:.4g}. Sample: {setup.base.n_firms} firms, {setup.base.n_talent} talent, "
        f"population_share {setup.base.population_share}, {setup.base.quarters} quarters from {setup.base.start}.",
        "Model values are replicate means on each target's comparison scale (geometric means for log "
        f"targets) over {len(setup.report_seeds)} fresh seeds; the band is their 5–95% range; "
        "'inside' compares the mean with the target's band.",
    ]
    if setup.skipped:
        lines.append(f"Not simulated (outside the horizon): {', '.join(setup.skipped)}.")
    io.write_text(out_dir / "report.md", fit_markdown(table, "Calibration report", lines))
    io.draw("plot_fit", table, *io.figure_file(out_dir, "fit", config))
    io.finish(
        out_dir,
        "calibrate",
        config,
        time.perf_counter() - started,
        evaluations=state.evaluations,
        evaluations_this_run=made,
        generations=state.generation,
        population=setup.population,
        free_parameters=[p.name for p in setup.params],
        calibrated=best,
        best_in_sample_loss=state.best_energy,
        loss_before=loss_before,
        loss_after=loss_after,
        fitted_inside_after=int(table.loc[table["role"] == "fit", "inside"].sum()),
        fitted_targets=len(setup.fit),
        installed=str(installed) if installed else None,
    )
    if installed is None:
        log.info(
            "calibrated set written to %s; to make it the baseline's, copy it to %s or rerun with "
            "calibration.install=true",
            yaml_path,
            CALIBRATED_DIR / "default.yaml",
        )
    return CalibrationResult(best, state, made, table, loss_before, loss_after, yaml_path)


def calibrate_mode(config: Config, out_dir: Path) -> None:
    """``python run.py mode=calibrate``: calibrate and write the calibrated set and its report."""
    result = run_calibration(config, out_dir)
    fit = result.table[result.table["role"] == "fit"]
    print(
        f"calibration: {int(fit['inside'].sum())} of {len(fit)} fitted targets inside their band; "
        f"loss {result.loss_before:.4g} -> {result.loss_after:.4g}; report {Path(out_dir) / 'report.md'}; "
        f"calibrated set {result.yaml_path}"
        + ("" if config.calibration.install else " (install: calibration.install=true)")
    )
