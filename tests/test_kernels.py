"""The grid kernels of a fine map (model/kernels.py) against the dense cell-by-cell matrices,
on the 2 km map where both fit."""

from __future__ import annotations

import numpy as np
import pytest

from corridor_abm.app.settings import compose_config
from corridor_abm.model import border
from corridor_abm.model.geography import build_map, travel_matrix
from corridor_abm.model.kernels import GridKernel
from corridor_abm.model.processes.production import build_travel


@pytest.fixture(scope="module")
def corridor():
    cfg = compose_config("baseline", ["transport.speedup_sz_dg=1.5", "transport.speedup_dg_hz=1.3"])
    cmap = build_map(cfg.map)
    return cfg, cmap, travel_matrix(cmap, cfg.transport)


def test_grid_kernels_equal_the_dense_products(corridor):
    """Agglomeration (per sector) and knowledge (cut at the border, less in the zones) kernels,
    with speed-ups between some cities: the same products to float32 rounding."""
    cfg, cmap, minutes = corridor
    values = np.random.default_rng(0).random((cmap.n_cells, 4)).astype(np.float32)
    dense = np.exp(-minutes / np.float32(30.0))
    grid = GridKernel(cmap, cfg.transport, 30.0)
    np.testing.assert_allclose(grid.apply(values), dense @ values, rtol=1e-5)
    survives = 1.0 - cfg.border.knowledge_friction * border.zone_factor(cfg.border, cmap, np.arange(cmap.n_cells))
    knowledge = np.exp(-minutes / np.float32(45.0)) * border.knowledge_pass(cfg.border, cmap)
    grid = GridKernel(cmap, cfg.transport, 45.0, survives)
    np.testing.assert_allclose(grid.apply(values[:, 0]), knowledge @ values[:, 0], rtol=1e-5)
    assert grid.nbytes < minutes.nbytes / 2


def test_travel_times_on_demand_equal_the_matrix(corridor):
    cfg, cmap, minutes = corridor
    cfg.map.dense_kernel_max_cells = 0
    travel = build_travel(cmap, cfg)
    assert travel.minutes is None and isinstance(travel.agg_kernel, GridKernel)
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, cmap.n_cells, (2, 5000))
    assert np.array_equal(travel.between(a, b), minutes[a, b])
    assert np.array_equal(travel.between(a[:, None], b[None, :50]), minutes[a[:, None], b[None, :50]])
