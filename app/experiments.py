"""Experiments around the pure config → results function: single runs, replicates, compare.

``python run.py`` (``mode=run``) lands in :func:`run_mode`:

* ``replicates=1`` (the default) simulates the configuration once and writes the run directly
  into the run directory;
* ``replicates=N`` spawns N seeds from the master seed (:func:`model.rng.replicate_seeds`),
  writes replicate k as a complete run into ``rep_{k:03d}/`` and then a summary over the
  replicates (``tables/summary_city_quarter.parquet``: mean and 90% band per quarter, city and
  variable) with its plots. The replicate seeds depend only on the master seed and N, so a
  scenario and the baseline run with the same ``seed`` and ``replicates`` are paired (common
  random numbers).

Resume: a run directory (or a replicate directory) that is already complete with the same
configuration is skipped, so a sweep restarted into the same ``hydra.sweep.dir`` only runs
what is missing. Replicates run in parallel worker processes (config key ``workers``, default 2)
with BLAS limited to one thread per worker; results do not depend on the number of workers.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from app.settings import Settings
from model.rng import replicate_seeds
from model.runio import (
    COMPLETE_MARKER,
    begin_run,
    is_complete,
    provenance,
    read_provenance,
    write_json,
    write_parquet,
    write_tables,
)
from model.simulate import RunResult, simulate
from reporting.index import write_index
from reporting.plots import plot_run

log = logging.getLogger("corridor")

RUN_CONTROL_KEYS: tuple[tuple[str, ...], ...] = (
    ("mode",),
    ("runs",),
    ("workers",),
    ("output", "progress"),
    ("output", "plots"),
    ("output", "format"),
    ("output", "dpi"),
    ("explore",),
    ("calibration",),
)
"""Config keys that do not change a simulation's results; ignored when deciding whether a
finished run can be reused."""

REPLICATE_DIR = "rep_{k:03d}"
"""Name of replicate k's directory inside a replicate set."""

SUMMARY_TABLE = "summary_city_quarter"
"""Table of a replicate set: mean, p05, p95 and n over replicates per quarter, city, variable."""

BAND = (0.05, 0.95)
"""Quantiles of the band drawn around replicate means (a 90% band)."""


# --------------------------------------------------------------------------------------------
# reuse of finished runs


def comparable_config(config: Settings | dict[str, Any]) -> dict[str, Any]:
    """The configuration as plain JSON-like data without the run-control keys.

    Args:
        config: A configuration or its ``dataclasses.asdict`` / provenance form.

    Returns:
        Nested dicts that compare equal exactly when two runs would give the same results.
    """
    plain = dataclasses.asdict(config) if dataclasses.is_dataclass(config) else copy.deepcopy(config)
    plain = json.loads(json.dumps(plain, default=str))
    for path in RUN_CONTROL_KEYS:
        node = plain
        for key in path[:-1]:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return plain


def finished_with(run_dir: Path, config: Settings) -> bool:
    """True if ``run_dir`` holds a complete run of the same configuration (run-control keys aside)."""
    prov = read_provenance(run_dir)
    return bool(prov) and comparable_config(prov.get("config", {})) == comparable_config(config)


# --------------------------------------------------------------------------------------------
# single runs and replicates


def run_mode(config: Settings, out_dir: Path) -> None:
    """Simulate ``config`` (once, or ``config.replicates`` times) and save into ``out_dir``.

    Args:
        config: A validated configuration.
        out_dir: The run directory (hydra's).
    """
    if not show_progress(config):
        config = copy.deepcopy(config)
        config.output.progress = False
    if config.replicates <= 1:
        run_single(config, Path(out_dir), plots=config.output.plots, progress=config.output.progress)
    else:
        run_replicates(config, Path(out_dir))


def show_progress(config: Settings) -> bool:
    """Whether to draw progress bars: ``output.progress``, except in jobs of a sweep whose
    launcher runs jobs in parallel or remotely (joblib, submitit, Ray), where bars of several
    jobs would garble the terminal or fill log files; those launchers report jobs done and time
    left themselves (``hydra.launcher.verbose`` for joblib)."""
    if not config.output.progress:
        return False
    try:
        from hydra.core.hydra_config import HydraConfig
        from hydra.types import RunMode

        if HydraConfig.initialized():
            hydra_cfg = HydraConfig.get()
            launcher = str(hydra_cfg.launcher.get("_target_", ""))
            if hydra_cfg.mode == RunMode.MULTIRUN and not launcher.endswith("BasicLauncher"):
                return False
    except (ImportError, ValueError, AttributeError):
        return True
    return True


def run_single(config: Settings, out_dir: Path, plots: bool = True, progress: bool = False) -> bool:
    """Simulate once and write a complete run directory, unless it is already there.

    Args:
        config: The configuration.
        out_dir: The run directory.
        plots: Draw the run's PNG plots.
        progress: Show the per-quarter progress bar.

    Returns:
        True if the run was simulated, False if a complete run of the same config was reused.
    """
    if finished_with(out_dir, config):
        log.info("%s: already complete, skipping", out_dir)
        return False
    result = simulate(config, progress=progress, snapshot_every=config.output.snapshot_every)
    save_run(result, out_dir, plots=plots)
    return True


def save_run(result: RunResult, out_dir: Path, plots: bool = True) -> Path:
    """Write a run's directory: tables, then plots, then the provenance that marks it complete,
    then its ``runs.parquet`` index (:mod:`reporting.index`).

    Args:
        result: The run's result.
        out_dir: The run directory.
        plots: Draw the PNG plots too.

    Returns:
        The run directory.
    """
    out_dir = begin_run(out_dir)
    write_tables(result.tables, out_dir)
    if plots:
        output = getattr(result.config, "output", None)
        plot_run(
            result.tables,
            result.cmap,
            out_dir / "plots",
            title=result.config.scenario_name,
            fmt=getattr(output, "format", "png"),
            dpi=getattr(output, "dpi", 150),
        )
    prov = provenance(
        "run",
        result.config,
        result.wall_seconds,
        talent_scale=result.talent_scale,
        quarters=result.config.quarters,
        start=result.config.start,
        **result.extra,
    )
    write_json(prov, out_dir / COMPLETE_MARKER)
    write_index(out_dir)
    return out_dir


def replicate_config(config: Settings, seed: int) -> Settings:
    """The configuration of one replicate: the master config with its own seed, run once."""
    rep = copy.deepcopy(config)
    rep.seed = int(seed)
    rep.replicates = 1
    return rep


def _run_replicate(config: Settings, out_dir: str) -> str:
    """Worker: one replicate, no plots, no per-quarter bar (runs in a worker process)."""
    run_single(config, Path(out_dir), plots=False, progress=False)
    return out_dir


def run_replicates(config: Settings, out_dir: Path) -> Path:
    """Run ``config.replicates`` paired replicates and summarise them.

    Writes ``out_dir/rep_{k:03d}/`` (complete runs, without plots), then
    ``out_dir/tables/summary_city_quarter.parquet``, the summary plots (if ``output.plots``) and
    last ``out_dir/provenance.json`` with the replicate seeds. Finished replicates of the same
    configuration are reused.

    Args:
        config: The master configuration (its ``seed`` is the master seed).
        out_dir: The directory of the replicate set.

    Returns:
        ``out_dir``.
    """
    start = time.perf_counter()
    out_dir = Path(out_dir)
    if finished_with(out_dir, config):
        log.info("%s: already complete, skipping", out_dir)
        return out_dir
    begin_run(out_dir)
    seeds = replicate_seeds(config.seed, config.replicates)
    configs = [replicate_config(config, s) for s in seeds]
    dirs = [out_dir / REPLICATE_DIR.format(k=k) for k in range(len(seeds))]
    todo = [k for k in range(len(seeds)) if not finished_with(dirs[k], configs[k])]
    if len(todo) < len(seeds):
        log.info("%s: %d of %d replicates already complete, skipping them", out_dir, len(seeds) - len(todo), len(seeds))
    workers = min(config.workers, len(todo)) if todo else 0
    log.info("%s: %d replicates to run with %d worker(s)", out_dir, len(todo), max(workers, 1))
    _run_all(configs, dirs, todo, workers, config)
    frames = [_read_city_quarter(d) for d in dirs]
    summary = summarise_replicates(frames)
    write_parquet(summary, _tables_dir(out_dir) / f"{SUMMARY_TABLE}.parquet")
    if config.output.plots:
        from reporting.compare import plot_replicate_summary

        plot_replicate_summary(
            summary,
            out_dir / "plots",
            title=f"{config.scenario_name}, {len(seeds)} replicates",
            fmt=config.output.format,
            dpi=config.output.dpi,
        )
    write_json(
        replicate_provenance(config, seeds, dirs, out_dir, time.perf_counter() - start), out_dir / COMPLETE_MARKER
    )
    write_index(out_dir)
    return out_dir


def _tables_dir(out_dir: Path) -> Path:
    path = out_dir / "tables"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _run_all(configs: list[Settings], dirs: list[Path], todo: list[int], workers: int, config: Settings) -> None:
    """Run the replicates ``todo``, in order or in worker processes, with a replicate progress bar."""
    from tqdm import tqdm

    bar = tqdm(
        total=len(configs),
        initial=len(configs) - len(todo),
        desc=f"{config.scenario_name} replicates",
        unit="run",
        disable=not config.output.progress,
    )
    try:
        if workers <= 1:
            for k in todo:
                run_single(configs[k], dirs[k], plots=False, progress=config.output.progress)
                bar.update(1)
        else:
            from joblib import Parallel, delayed, parallel_config

            with parallel_config(backend="loky", inner_max_num_threads=1):
                jobs = Parallel(n_jobs=workers, return_as="generator_unordered")(
                    delayed(_run_replicate)(configs[k], str(dirs[k])) for k in todo
                )
                for _ in jobs:
                    bar.update(1)
    finally:
        bar.close()


def _read_city_quarter(run_dir: Path) -> pd.DataFrame:
    if not is_complete(run_dir):
        raise FileNotFoundError(f"{run_dir} is not a complete run (no provenance.json with status 'complete').")
    return pd.read_parquet(Path(run_dir) / "tables" / "city_quarter.parquet")


def summarise_replicates(frames: list[pd.DataFrame], keys: tuple[str, ...] = ("quarter", "t", "city")) -> pd.DataFrame:
    """Mean and 90% band over replicates of every numeric variable of a per-city table.

    Args:
        frames: One ``city_quarter`` table per replicate.
        keys: Columns that identify a row within a replicate.

    Returns:
        A tidy table: ``keys`` + ``variable``, ``mean``, ``p05``, ``p95``, ``n``.
    """
    if not frames:
        raise ValueError("no replicate tables to summarise")
    values = [c for c in frames[0].columns if c not in keys and pd.api.types.is_numeric_dtype(frames[0][c])]
    stacked = np.stack([f[values].to_numpy(dtype=float) for f in frames])  # replicate × row × variable
    lo, hi = np.quantile(stacked, BAND, axis=0)
    index = frames[0][list(keys)].reset_index(drop=True)
    parts = []
    for j, var in enumerate(values):
        part = index.copy()
        part["variable"] = var
        part["mean"] = stacked[:, :, j].mean(axis=0)
        part["p05"] = lo[:, j]
        part["p95"] = hi[:, j]
        part["n"] = len(frames)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def replicate_provenance(
    config: Settings, seeds: list[int], dirs: list[Path], out_dir: Path, wall_seconds: float
) -> dict[str, Any]:
    """Provenance of a replicate set (the master config and the seeds spawned from it)."""
    return provenance(
        "replicates",
        config,
        wall_seconds,
        replicates=len(seeds),
        replicate_seeds=[int(s) for s in seeds],
        replicate_dirs=[str(d.relative_to(out_dir)) for d in dirs],
        seed_derivation="numpy.random.SeedSequence(seed).spawn(replicates) (model.rng.replicate_seeds)",
        quarters=config.quarters,
        start=config.start,
    )


def compare_mode(config: Settings, out_dir: Path) -> None:
    """``python run.py mode=compare 'runs=[A,B]'``: compare ``config.runs`` into ``out_dir``.

    Raises:
        SystemExit: with the reason, if the runs cannot be compared.
    """
    from reporting.compare import CompareError, compare_runs

    try:
        compare_runs(list(config.runs), out_dir, fmt=config.output.format, dpi=config.output.dpi)
    except CompareError as err:
        raise SystemExit(f"compare refused: {err}") from None
