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
what is missing. "Complete" means its provenance says so and every table has the checksum the
provenance recorded (:func:`model.runio.run_status`): a damaged run is rerun, with a message
naming the damaged file. A folder that holds a finished run of another configuration is never
overwritten (:func:`check_run_dir`). Replicates run in parallel worker processes (config key
``workers``, default 2) with BLAS limited to one thread per worker; results do not depend on the
number of workers. Workers end with their parent: on an interrupt (Ctrl-C, SIGTERM) they are
stopped, and if the parent is killed they notice within a second and stop too.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor_abm.app.settings import Settings
from corridor_abm.model.rng import replicate_seeds
from corridor_abm.model.runio import (
    RUN_CONTROL_KEYS,  # noqa: F401 - re-exported: the keys that do not change results
    begin_run,
    check_reusable,
    check_writable,
    comparable_config,
    mark_complete,
    provenance,
    run_status,
    write_parquet,
    write_tables,
)
from corridor_abm.model.simulate import RunResult, simulate
from corridor_abm.reporting.index import write_index
from corridor_abm.reporting.plots import plot_run

log = logging.getLogger("corridor")

REPLICATE_DIR = "rep_{k:03d}"
"""Name of replicate k's directory inside a replicate set."""

SUMMARY_TABLE = "summary_city_quarter"
"""Table of a replicate set: mean, p05, p95 and n over replicates per quarter, city, variable."""

BAND = (0.05, 0.95)
"""Quantiles of the band drawn around replicate means (a 90% band)."""


# --------------------------------------------------------------------------------------------
# reuse of finished runs


def finished_with(run_dir: Path, config: Settings) -> bool:
    """True if ``run_dir`` holds a complete, undamaged run of the same configuration (run-control
    keys aside). A damaged run of the same configuration is reported (naming the file) and
    counts as unfinished, so it is rerun."""
    status = run_status(run_dir)
    same = comparable_config((status.recorded or {}).get("config", {})) == comparable_config(config)
    if same and not status.complete:
        log.warning("%s is incomplete: %s; rerunning it", run_dir, status.reason)
    return status.complete and same


def check_run_dir(config: Settings, out_dir: Path, hint: str = "choose another hydra.run.dir") -> None:
    """Everything that must hold before a run writes into ``out_dir`` (nothing is written).

    The folder must be writable, must not be a sweep folder, and must not hold a finished run
    (or replicate) of another configuration.

    Raises:
        model.runio.RunDirError: naming the folder and the problem.
    """
    from corridor_abm.model.runio import RunDirError

    out_dir = Path(out_dir)
    check_writable(out_dir)
    if (out_dir / "sweep.json").is_file() or (out_dir / "multirun.yaml").is_file():
        raise RunDirError(f"{out_dir} is a sweep folder, not a run folder; it is left as it is: {hint}.")
    kind = "replicates" if config.replicates > 1 else "run"
    check_reusable(out_dir, kind, config, hint=hint)
    if config.replicates > 1:
        for k, seed in enumerate(replicate_seeds(config.seed, config.replicates)):
            rep_dir = out_dir / REPLICATE_DIR.format(k=k)
            check_writable(rep_dir)
            check_reusable(rep_dir, "run", replicate_config(config, seed), hint=hint)


# --------------------------------------------------------------------------------------------
# single runs and replicates


def run_mode(config: Settings, out_dir: Path) -> None:
    """Simulate ``config`` (once, or ``config.replicates`` times) and save into ``out_dir``.

    Args:
        config: A validated configuration.
        out_dir: The run directory (hydra's).
    """
    check_run_dir(config, Path(out_dir))
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
    """Write a run's directory: tables, then plots, then its ``runs.parquet`` index
    (:mod:`reporting.index`), then the provenance that marks it complete (checksumming the tables
    and the index).

    Args:
        result: The run's result.
        out_dir: The run directory.
        plots: Draw the PNG plots too.

    Returns:
        The run directory.
    """
    out_dir = begin_run(out_dir)
    tables = write_tables(result.tables, out_dir)
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
    index = write_index(out_dir, pending=prov)  # before the provenance, which checksums it too
    mark_complete(out_dir, prov, [*tables, index])
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


def _replicate_task(task: tuple[Settings, str]) -> str:
    """A replicate as one task of a cluster engine (:mod:`calibration.dispatch`)."""
    return _run_replicate(*task)


def _worker_init(main: int) -> None:
    """Set up a replicate worker: Ctrl-C is the run's business, and it ends with the run."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    end_with(main)


def end_with(main: int, every: float = 0.5) -> None:
    """Exit this process (writing nothing more) as soon as process ``main`` has ended.

    A killed run cannot stop its workers; a worker orphaned that way would otherwise finish its
    replicate and write into a folder whose run has stopped. A zombie counts as ended.
    """
    import psutil

    try:
        watched = psutil.Process(main)
    except psutil.Error:
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(every)
            try:
                if not watched.is_running() or watched.status() == psutil.STATUS_ZOMBIE:
                    os._exit(1)
            except psutil.Error:
                os._exit(1)

    threading.Thread(target=watch, name="end-with-run", daemon=True).start()


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
    check_run_dir(config, out_dir)
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
    summary_path = _tables_dir(out_dir) / f"{SUMMARY_TABLE}.parquet"
    write_parquet(summary, summary_path)
    if config.output.plots:
        from corridor_abm.reporting.compare import plot_replicate_summary

        plot_replicate_summary(
            summary,
            out_dir / "plots",
            title=f"{config.scenario_name}, {len(seeds)} replicates",
            fmt=config.output.format,
            dpi=config.output.dpi,
        )
    prov = replicate_provenance(config, seeds, dirs, out_dir, time.perf_counter() - start)
    index = write_index(out_dir, pending=prov)  # the replicates' rows; checksummed by the set's provenance
    mark_complete(out_dir, prov, [summary_path, index, *(d / "tables" / "city_quarter.parquet" for d in dirs)])
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
        from corridor_abm.calibration import dispatch

        if dispatch.current().engine != "local":  # a cluster engine (cluster.engine): submitit or Ray
            dispatch.map_tasks(_replicate_task, [(configs[k], str(dirs[k])) for k in todo])
            bar.update(len(todo))
        elif workers <= 1:
            for k in todo:
                run_single(configs[k], dirs[k], plots=False, progress=config.output.progress)
                bar.update(1)
        else:
            _run_in_workers(configs, dirs, todo, workers, bar)
    finally:
        bar.close()


def _run_in_workers(configs: list[Settings], dirs: list[Path], todo: list[int], workers: int, bar: Any) -> None:
    """Run replicates in worker processes that never outlive this run.

    Workers are fresh interpreters (``spawn``: no fork of a process with threads, no server
    process left behind); they ignore Ctrl-C, watch this process and exit when it ends, and on any
    interrupt or error here they are killed before the exception goes on.
    """
    import multiprocessing as mp
    from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait

    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=mp.get_context("spawn"), initializer=_worker_init, initargs=(os.getpid(),)
    )
    try:
        pending = {pool.submit(_run_replicate, configs[k], str(dirs[k])) for k in todo}
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                future.result()
                bar.update(1)
    except BaseException:
        processes = list(getattr(pool, "_processes", {}).values())  # no public way to stop running workers
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()
        for process in processes:
            process.join(timeout=5)
        raise
    pool.shutdown(wait=True)


def _read_city_quarter(run_dir: Path) -> pd.DataFrame:
    status = run_status(run_dir)
    if not status.complete:
        raise FileNotFoundError(f"{run_dir} is not a complete run: {status.reason}.")
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
        parts=[str(d.relative_to(out_dir)) for d in dirs],
        seed_derivation="numpy.random.SeedSequence(seed).spawn(replicates) (model.rng.replicate_seeds)",
        quarters=config.quarters,
        start=config.start,
    )


def compare_mode(config: Settings, out_dir: Path) -> None:
    """``python run.py mode=compare 'runs=[A,B]'``: compare ``config.runs`` into ``out_dir``.

    Raises:
        SystemExit: with the reason, if the runs cannot be compared.
    """
    from corridor_abm.reporting.compare import CompareError, compare_runs

    try:
        compare_runs(list(config.runs), out_dir, fmt=config.output.format, dpi=config.output.dpi)
    except CompareError as err:
        raise SystemExit(f"compare refused: {err}") from None
