"""Capacity-limited allocation and weighted sampling."""

from __future__ import annotations

import numpy as np

from corridor_abm.agents.population import Population
from corridor_abm.model.allocation import allocate, sample_weighted, sample_weighted_by_group


def test_allocation_never_exceeds_capacity():
    rng = np.random.default_rng(0)
    for _ in range(50):
        n, k = rng.integers(1, 400), rng.integers(1, 20)
        target = rng.integers(-1, k, n)
        demand = rng.uniform(0.1, 3.0, n)
        capacity = rng.uniform(0.0, 20.0, k)
        ok = allocate(target, demand, capacity, rng.random(n))
        used = np.bincount(target[ok], weights=demand[ok], minlength=k)
        assert (used <= capacity + 1e-9).all()
        assert not ok[target < 0].any()


def test_allocation_fills_in_priority_order():
    ok = allocate(np.array([0, 0, 0]), np.ones(3), np.array([2.0]), np.array([0.9, 0.1, 0.5]))
    assert ok.tolist() == [False, True, True]


def test_sampling_follows_weights_and_groups():
    rng = np.random.default_rng(1)
    draws = sample_weighted(rng, np.array([0.0, 1.0, 3.0]), (20_000,))
    share = np.bincount(draws, minlength=3) / draws.size
    assert share[0] == 0 and abs(share[2] - 0.75) < 0.02
    groups = sample_weighted_by_group(rng, np.array([0, 1]), np.array([0, 0, 1]), np.ones(3), 50, 2)
    assert set(groups[0]) <= {0, 1} and set(groups[1]) == {2}


def test_population_grows_and_compacts():
    import mesa

    class Pop(Population):
        SCHEMA = {"alive": (np.bool_, False), "x": (np.int64, -1)}

    pop = Pop(mesa.Model(seed=1), capacity=16)
    first = pop.add(20, x=np.arange(20))
    assert pop.n == 20 and first.tolist() == list(range(20))
    pop.alive[::2] = False
    kept = pop.compact()
    assert pop.n == 10 and kept.tolist() == list(range(1, 20, 2)) and pop.x.tolist() == list(range(1, 20, 2))
