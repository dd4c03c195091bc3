"""Where founders look for a site (model/processes/entry_exit.py, location.candidate_sites)."""

from __future__ import annotations

import numpy as np
import pytest

from corridor_abm.app.settings import compose_config
from corridor_abm.model.corridor import CorridorModel
from corridor_abm.model.processes.location import candidate_sites
from corridor_abm.model.state import DG, HK, SZ


@pytest.fixture(scope="module")
def state():
    cfg = compose_config(
        "baseline", ["seed=2", "n_firms=1000", "n_talent=10000", "population_share=0.04", "output.progress=false"]
    )
    return CorridorModel(cfg).state


def test_a_founder_living_in_another_city_looks_there_too(state):
    """Half of the local candidates lie in the founder's home city, half in the job's; the rest
    anywhere. Without a home city, all local candidates lie in the job's city."""
    n, k = 2000, 8
    rng = np.random.default_rng(0)
    cand = candidate_sites(state, rng, np.full(n, SZ), k, np.full(n, DG))
    city = state.cells.city[cand]
    assert (city[:, :2] == DG).all() and (city[:, 2:4] == SZ).all()
    wide = city[:, 4:]
    assert 0 < (wide == HK).mean() < (wide == SZ).mean()
    same = state.cells.city[candidate_sites(state, rng, np.full(n, SZ), k)]
    assert (same[:, :4] == SZ).all()
