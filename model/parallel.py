"""Row-parallel evaluation of the talent's utilities on the process's cores.

The talent's choices evaluate pure, row-wise functions over millions of rows (a searcher's job
offers, a mover's candidate homes, a talent's present job and home). numpy releases the GIL in
its array loops, gathers and takes, so two threads evaluating two halves of the rows take
little more than half the time of one (the README's "Speed" section gives the measurement).

**The contract**: ``compute(rows)`` must return the rows ``rows`` of the result and nothing of
one row may depend on another (no sums, means, bincounts, sorts or random draws across rows);
state is only read. Then the concatenated chunks are the same array, to the bit, for any
number of threads, and the run is the same run. Random numbers are never drawn inside: a
stream draws in one order.

The number of threads: the environment variable ``CORRIDOR_THREADS`` if set; otherwise one in a
worker process of a pool (replicate sets, calibration: the pool already uses the cores) and
else the CPUs this process may run on, at most :data:`MAX_THREADS`. The threads are started per
call and joined before it returns, so none outlives the call (a process with a second thread
must not fork: :func:`reporting.plots.plot_run`).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable

import numpy as np

from corridor_abm.model.params import ConfigError

MAX_THREADS = 2
"""Threads used at most without ``CORRIDOR_THREADS`` (the machines of this project have two cores)."""

MIN_ROWS = 50_000
"""Rows below which one thread evaluates everything (fewer rows gain too little to pay for a thread)."""

ENV = "CORRIDOR_THREADS"


def threads() -> int:
    """Threads :func:`by_rows` uses in this process (see the module's docstring).

    Raises:
        ConfigError: ``CORRIDOR_THREADS`` is set to anything but a whole number ≥ 1 (the command
            line checks it before it creates anything: :mod:`app.cli`).
    """
    value = os.environ.get(ENV, "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ConfigError(
                f"{ENV}={value!r} is not allowed: a whole number of threads, 1 or more (1: no row threads)."
            )
        return int(value)
    if multiprocessing.parent_process() is not None:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(min(cpus, MAX_THREADS), 1)


def by_rows(compute: Callable[[slice], np.ndarray], n: int, workers: int | None = None) -> np.ndarray:
    """``compute(slice(0, n))``, evaluated as contiguous chunks of rows on several threads.

    Args:
        compute: Returns the rows ``rows`` (a slice) of the result, an array whose first axis
            is the rows; row-wise and pure (see the module's contract).
        n: Number of rows.
        workers: Threads (default :func:`threads`).

    Returns:
        The chunks concatenated along the first axis: the same array as ``compute(slice(0, n))``.
    """
    workers = threads() if workers is None else workers
    workers = min(workers, max(n // MIN_ROWS, 1))
    if workers <= 1:
        return compute(slice(0, n))
    bounds = np.linspace(0, n, workers + 1).astype(int)
    parts: list[np.ndarray | None] = [None] * workers
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            parts[k] = compute(slice(int(bounds[k]), int(bounds[k + 1])))
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)

    helpers = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(1, workers)]
    for helper in helpers:
        helper.start()
    run(0)
    for helper in helpers:
        helper.join()
    if errors:
        raise errors[0]
    return np.concatenate(parts, axis=0)
