"""Running many simulations for calibration and sensitivity: configurations, seeds, workers.

A calibration or sensitivity simulation is the composed configuration with the sample of
``calibration.*`` (``n_firms``, ``n_talent``, ``population_share``, ``quarters``), the parameter
vector's values and one replicate seed. Replicate seeds come from the master seed by
:func:`model.rng.replicate_seeds` (``SeedSequence.spawn``); every parameter vector uses the same
seeds (common random numbers), so the loss is a deterministic function of the parameters.

Simulations run in parallel worker processes (a persistent ``spawn`` process pool) with BLAS
held to one thread each;
each task returns numbers only (moments or outcomes), never model state. A simulation that
fails returns NaN, which the loss penalises.
"""

from __future__ import annotations

import atexit
import gc
import logging
import multiprocessing as mp
import os
import traceback
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from corridor_abm.calibration import dispatch
from corridor_abm.calibration.moments import MomentContext, compute_moments, compute_outcomes
from corridor_abm.calibration.spec import Target, apply_values
from corridor_abm.model.config import Config
from corridor_abm.model.rng import replicate_seeds

log = logging.getLogger("corridor.calibration")

BLAS_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def one_blas_thread() -> None:
    """Hold BLAS libraries to one thread in this process (set before numpy starts threads)."""
    for name in BLAS_ENV:
        os.environ[name] = "1"


def sample_config(config: Config, quarters: int | None = None) -> Config:
    """The configuration calibration simulations start from: ``config`` with the sample of
    ``calibration.*`` (agents, population share, quarters) and no progress output.

    Args:
        config: The composed configuration (with the calibrated set and scenario applied).
        quarters: Quarters to simulate (default ``calibration.quarters``).

    Returns:
        A new configuration (``config`` is not modified).
    """
    cal = config.calibration
    values = {
        "n_firms": cal.n_firms,
        "n_talent": cal.n_talent,
        "population_share": cal.population_share,
        "quarters": cal.quarters if quarters is None else quarters,
    }
    cfg = apply_values(config, values)
    cfg.output.progress = False
    cfg.output.plots = False
    return cfg


def derived_seed(master: int, name: str) -> int:
    """A seed for a named purpose (e.g. recovery pseudo-data), spawned from the master seed."""
    seq = np.random.SeedSequence(entropy=int(master), spawn_key=(zlib.crc32(name.encode()),))
    return int(seq.generate_state(2, dtype=np.uint32).view(np.uint64)[0] >> np.uint64(1))


def calibration_seeds(master: int, replicates: int, report_replicates: int) -> tuple[list[int], list[int]]:
    """Seeds of the calibration replicates and, separately, of the report (fresh, out-of-sample).

    Both come from one ``SeedSequence.spawn`` of the master seed: the first ``replicates``
    children drive every evaluation of the search, the next ``report_replicates`` the
    start-point and calibrated-point reports.
    """
    seeds = replicate_seeds(int(master), int(replicates) + int(report_replicates))
    return seeds[:replicates], seeds[replicates:]


@dataclass(frozen=True)
class MomentTask:
    """One simulation whose moments (or outcomes) are wanted.

    ``structural`` names the parameters the task varies: calibration asks "what if the world
    were so", so the 2018 state is built with their values even where they sit in a lever group
    (:func:`model.levers.reference_config`).
    """

    config: Config
    targets: tuple[Target, ...] = ()
    outcomes: bool = False
    structural: tuple[str, ...] = ()


def _mesa_model_registry() -> dict[Any, Any] | None:
    """mesa 3.3's class-level ``Agent._ids`` (model → id counter), which keeps every model ever
    built alive (mesa issue #3179, fixed upstream in mesa PR #3180 after 3.3)."""
    import mesa

    ids = getattr(mesa.Agent, "_ids", None)
    return ids if isinstance(ids, dict) else None


@contextmanager
def released_models() -> Iterator[None]:
    """Drop mesa's references to the models built inside the block, so a long-lived worker does
    not keep every finished simulation in memory (~200 MB each at 10% scale)."""
    registry = _mesa_model_registry()
    before = {id(k) for k in registry} if registry is not None else set()
    try:
        yield
    finally:
        if registry is not None:
            _forget(registry, before)
        gc.collect()  # models hold reference cycles (agents ↔ model)


def _forget(registry: dict[Any, Any], keep: set[int]) -> None:
    for key in [k for k in registry if id(k) not in keep]:
        del registry[key]


def run_task(task: MomentTask) -> np.ndarray:
    """Simulate one configuration and return its moments (targets' order) or outcomes.

    Runs in a worker process; a failure is logged and returns NaN. The model is released
    afterwards (see :func:`released_models`).
    """
    with released_models():
        return _run_task(task)


def _run_task(task: MomentTask) -> np.ndarray:
    from corridor_abm.model.simulate import simulate

    logging.getLogger("MESA").setLevel(logging.WARNING)
    n = 3 if task.outcomes else len(task.targets)
    try:
        result = simulate(task.config, structural=task.structural)
        ctx = MomentContext.from_config(task.config)
        if task.outcomes:
            return compute_outcomes(result.tables, ctx)
        return compute_moments(result.tables, ctx, task.targets)
    except Exception:  # a failed simulation is a bad parameter vector, not a crash of the search
        log.warning("simulation failed (seed %s): %s", task.config.seed, traceback.format_exc(limit=3))
        return np.full(n, np.nan)


TASKS_PER_WORKER = 100
"""Simulations per worker after which the pool is replaced between batches (bounds any slow
memory growth; Python 3.11's own ``max_tasks_per_child`` can deadlock, CPython gh-115634)."""

_pool: dict[str, Any] = {"executor": None, "workers": 0, "tasks": 0}


def _shutdown_pool() -> None:
    executor = _pool["executor"]
    if executor is not None:
        executor.shutdown(wait=True, cancel_futures=True)
        _pool["executor"] = None


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """The session's pool of ``workers`` processes (created once, reused by every call).

    Workers are started with the ``spawn`` method after the BLAS thread variables are set to 1,
    so each imports numpy with single-threaded BLAS; they persist between batches (each is
    replaced between batches after about :data:`TASKS_PER_WORKER` simulations per worker), so the
    model's modules are imported rarely. As with any ``spawn`` pool, a script that calls this must guard its entry point
    with ``if __name__ == "__main__":`` (run.py and pytest do).
    """
    if _pool["executor"] is None or _pool["workers"] != workers:
        _shutdown_pool()
        one_blas_thread()
        _pool["executor"] = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"))
        _pool["workers"] = workers
        _pool["tasks"] = 0
    return _pool["executor"]


atexit.register(_shutdown_pool)


def run_parallel(fn: Callable[[Any], Any], tasks: Sequence[Any], workers: int) -> list[Any]:
    """``[fn(t) for t in tasks]`` on ``workers`` processes (in this process if ``workers`` is 1).

    ``fn`` must be a module-level function. If a worker process dies (e.g. out of memory), the
    pool is rebuilt once and the batch rerun.
    """
    if dispatch.current().engine != "local":  # a cluster engine (cluster.engine): submitit or Ray
        return dispatch.map_tasks(fn, tasks)
    if workers <= 1 or len(tasks) <= 1:
        return [fn(t) for t in tasks]
    if _pool["executor"] is not None and _pool["tasks"] >= TASKS_PER_WORKER * workers:
        _shutdown_pool()
    for attempt in (1, 2):
        try:
            out = list(worker_pool(workers).map(fn, tasks, chunksize=1))
            _pool["tasks"] += len(tasks)
            return out
        except BrokenProcessPool:
            _shutdown_pool()
            if attempt == 2:
                raise
            log.warning("a worker process died; restarting the pool and rerunning the batch")
    raise AssertionError("unreachable")


def simulate_moments(
    base: Config,
    vectors: Sequence[dict[str, float]],
    seeds: Sequence[int],
    targets: Sequence[Target],
    workers: int,
) -> np.ndarray:
    """Moments of every parameter vector under every seed.

    Args:
        base: The sample configuration (:func:`sample_config`).
        vectors: Parameter values (dotted key → natural value), one dict per vector.
        seeds: Replicate seeds, the same for every vector (common random numbers).
        targets: Targets whose moments are computed.
        workers: Parallel processes.

    Returns:
        (vectors, seeds, targets) array of simulated values (NaN where a run failed).
    """
    tasks = []
    for values in vectors:
        cfg = apply_values(base, values)
        for seed in seeds:
            run_cfg = apply_values(cfg, {"seed": int(seed)}, check=False)
            tasks.append(MomentTask(run_cfg, tuple(targets), structural=tuple(values)))
    out = run_parallel(run_task, tasks, workers)
    return np.array(out, dtype=float).reshape(len(vectors), len(seeds), len(targets))
