"""Where many simulations run: worker processes here, a SLURM cluster (submitit) or Ray.

Calibration, recovery, sensitivity and replicate sets hand a list of independent tasks (one
simulation each, a pure function of its configuration and seed) to :func:`map_tasks`. The
engine is run control, ``cluster.engine``:

* ``local`` — this machine's worker processes (the callers' own ``spawn`` pools; the default);
* ``submitit`` — one SLURM array job per batch through submitit (``cluster.partition``,
  ``cluster.account``, ``cluster.timeout_min``, ``cluster.mem_gb``; the project installed on
  the nodes and ``cluster.folder`` on a shared file system);
* ``submitit_local`` — the same path with submitit's local executor (jobs are processes here):
  rehearses the cluster path, and is what the tests run;
* ``ray`` — tasks on a Ray cluster (``cluster.address``, e.g. ``ray://head:10001`` or ``auto``;
  ``pip install -e ".[cluster]"``), each on one CPU;
* ``ray_local`` — a Ray instance started on this machine for the batch.

Each task's result depends on its configuration alone, so every engine gives the same results
as a local run for the same seeds (``tests/test_dispatch.py``). Every engine runs its tasks on
one BLAS thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corridor_abm.model.params import ConfigError, param

ENGINES = ("local", "submitit", "submitit_local", "ray", "ray_local")

BLAS_ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "CORRIDOR_THREADS": "1"}
"""One BLAS thread and one row thread (:mod:`model.parallel`) per job: the engine runs jobs side by side."""


@dataclass
class ClusterParams:
    """Where calibration, recovery, sensitivity and replicate sets run their simulations."""

    engine: str = param(
        "local",
        "-",
        "Engine for batches of simulations: local (worker processes here), submitit (a SLURM array job), "
        "submitit_local (submitit's local executor: the cluster path rehearsed here), ray (a Ray cluster at "
        "cluster.address), ray_local (a Ray instance on this machine)",
        source="run setting",
    )
    folder: str = param(
        "outputs/cluster_jobs",
        "path",
        "Folder of submitit's job files and logs (on a file system the nodes share)",
        source="run setting",
    )
    partition: str = param("", "-", "SLURM partition (submitit; empty: the cluster's default)", source="run setting")
    account: str = param("", "-", "SLURM account (submitit; empty: none)", source="run setting")
    timeout_min: int = param(240, "minutes", "Time limit of one SLURM task (submitit)", source="run setting", lo=1)
    mem_gb: float = param(8.0, "GB", "Memory of one SLURM task (submitit)", source="run setting", lo=0.5)
    parallel: int = param(
        64, "tasks", "Most tasks running at once on the cluster (SLURM array parallelism)", source="run setting", lo=1
    )
    address: str = param("auto", "-", "Address of the Ray cluster to join (ray)", source="run setting")

    def check(self, root: Any) -> None:
        """A known engine."""
        if self.engine not in ENGINES:
            raise ConfigError(f"cluster.engine = {self.engine!r} is not an engine; allowed: {', '.join(ENGINES)}.")


_current = ClusterParams()


def configure(params: ClusterParams) -> None:
    """Set the engine of this command (run.py does it once, before the mode runs)."""
    global _current
    _current = params


def current() -> ClusterParams:
    """The engine in force."""
    return _current


def map_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], params: ClusterParams | None = None) -> list[Any]:
    """``[fn(t) for t in tasks]`` on a cluster engine (not ``local``: callers keep their pools).

    Args:
        fn: A module-level function of one task (pickled to the workers).
        tasks: The tasks.
        params: The engine (default: the one in force).

    Returns:
        The results, in the order of ``tasks``.
    """
    params = params or _current
    if not tasks:
        return []
    if params.engine in ("submitit", "submitit_local"):
        return _submitit(fn, tasks, params)
    if params.engine in ("ray", "ray_local"):
        return _ray(fn, tasks, params)
    raise ValueError(f"map_tasks needs a cluster engine, not {params.engine!r}")


def _submitit(fn: Callable[[Any], Any], tasks: Sequence[Any], params: ClusterParams) -> list[Any]:
    import submitit

    folder = Path(params.folder) / "%j"
    if params.engine == "submitit_local":
        executor: Any = submitit.LocalExecutor(folder=folder)
        executor.update_parameters(timeout_min=params.timeout_min)
    else:
        executor = submitit.AutoExecutor(folder=folder, cluster="slurm")
        extra = {"account": params.account} if params.account else {}
        executor.update_parameters(
            timeout_min=params.timeout_min,
            mem_gb=params.mem_gb,
            cpus_per_task=1,
            tasks_per_node=1,
            slurm_array_parallelism=params.parallel,
            slurm_setup=[f"export {k}={v}" for k, v in BLAS_ONE_THREAD.items()],
            **({"slurm_partition": params.partition} if params.partition else {}),
            **({"slurm_additional_parameters": extra} if extra else {}),
        )
    saved = {k: os.environ.get(k) for k in BLAS_ONE_THREAD}
    os.environ.update(BLAS_ONE_THREAD)  # local jobs inherit this process's environment
    try:
        jobs = executor.map_array(fn, list(tasks))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return [job.result() for job in jobs]


def _ray(fn: Callable[[Any], Any], tasks: Sequence[Any], params: ClusterParams) -> list[Any]:
    try:
        import ray
    except ImportError:
        raise ConfigError(
            f"cluster.engine = {params.engine} needs Ray: pip install -e '.[cluster]' (or pip install ray)."
        ) from None
    started = False
    if not ray.is_initialized():
        runtime_env = {"env_vars": dict(BLAS_ONE_THREAD)}
        if params.engine == "ray_local":
            ray.init(num_cpus=max(1, os.cpu_count() or 1), include_dashboard=False, runtime_env=runtime_env)
        else:
            ray.init(address=params.address, runtime_env=runtime_env)
        started = True
    try:
        remote = ray.remote(num_cpus=1)(fn)
        return ray.get([remote.remote(t) for t in tasks])
    finally:
        if started and params.engine == "ray_local":
            ray.shutdown()
