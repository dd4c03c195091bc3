"""Row-parallel evaluation (model.parallel): the same arrays, and the same run, on any number
of threads; no thread outlives a call; one thread in a pool's worker process."""

from __future__ import annotations

import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np
import pytest

from corridor_abm.app.settings import compose_config
from corridor_abm.model import parallel
from corridor_abm.model.simulate import simulate


def test_by_rows_gives_the_rows_of_one_call_on_any_number_of_threads(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ROWS", 1)
    x = np.random.default_rng(0).random((1001, 7))

    def compute(rows):
        return np.log(x[rows]) * np.power(x[rows], 0.3) + x[rows, :1]

    whole = compute(slice(0, x.shape[0]))
    before = threading.active_count()
    for workers in (1, 2, 3, 5):
        assert np.array_equal(parallel.by_rows(compute, x.shape[0], workers), whole)
    assert threading.active_count() == before
    assert parallel.by_rows(compute, 0, 3).shape == (0, 7)


def test_an_error_in_a_helper_thread_reaches_the_caller(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ROWS", 1)

    def compute(rows):
        if rows.start > 0:
            raise ValueError("second half")
        return np.zeros(rows.stop - rows.start)

    with pytest.raises(ValueError, match="second half"):
        parallel.by_rows(compute, 10, 2)


def test_threads_follow_the_environment_and_pool_workers_use_one(monkeypatch):
    monkeypatch.setenv(parallel.ENV, "3")
    assert parallel.threads() == 3
    monkeypatch.delenv(parallel.ENV)
    assert 1 <= parallel.threads() <= parallel.MAX_THREADS
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        assert pool.submit(parallel.threads).result() == 1


def test_a_run_is_the_same_on_one_and_on_three_threads(monkeypatch):
    """Every row-parallel call of a small run split into chunks (MIN_ROWS 1): tables equal."""
    monkeypatch.setattr(parallel, "MIN_ROWS", 1)
    cfg = ["quarters=6", "n_firms=400", "n_talent=4000", "population_share=0.015", "output.progress=false"]
    tables = {}
    for threads in ("1", "3"):
        monkeypatch.setenv(parallel.ENV, threads)
        tables[threads] = simulate(compose_config("baseline", cfg)).tables
    for name, table in tables["1"].items():
        assert table.equals(tables["3"][name]), name


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_a_bad_thread_count_stops_the_command_in_one_line_before_anything(monkeypatch, tmp_path, value):
    from corridor_abm.app.cli import plan_command
    from corridor_abm.model.params import ConfigError

    monkeypatch.setenv(parallel.ENV, value)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"CORRIDOR_THREADS=.* is not allowed: a whole number of threads, 1 or more"):
        plan_command(["output.progress=false"])
    assert not any(tmp_path.iterdir())
