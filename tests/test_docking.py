"""Docking: the per-agent Mesa reference (:mod:`model.reference`) makes the same decisions as
the vectorised kernels on the same state and the same random numbers."""

from __future__ import annotations

import numpy as np
import pytest

from corridor_abm.app.settings import compose_config
from corridor_abm.model.corridor import CorridorModel
from corridor_abm.model.processes import labour, location
from corridor_abm.model.processes.labour import workforce_targets
from corridor_abm.model.processes.production import update_workforce
from corridor_abm.model.reference import ReferenceCorridor
from corridor_abm.model.rng import RandomStreams

SMALL = ["n_firms=300", "n_talent=3000", "population_share=0.01", "quarters=8", "output.progress=false"]


def _twin_models(overrides: list[str]) -> tuple[CorridorModel, CorridorModel]:
    """Two models in the same state: built and stepped alike (the model is deterministic)."""
    models = []
    for _ in range(2):
        m = CorridorModel(compose_config("baseline", SMALL + overrides))
        for _ in range(2):
            m.step()
        update_workforce(m.state, m.cfg)
        models.append(m)
    return models[0], models[1]


@pytest.mark.parametrize(
    "overrides",
    [
        ["seed=1"],
        # cheap moves and small divisions: every option (move, plant, R&D centre, move or close
        # the second site) is taken by someone
        [
            "seed=2",
            "location.review_probability=1",
            "location.division_min_employees=5",
            "location.moving_cost_fixed=0",
            "location.moving_cost_per_worker=100",
            "location.division_coordination_per_minute=0",
            "location.taste_sd=0.5",
            "location.city_tie_mean=0.2",
            "location.plant_labour_share=0.3",
        ],
    ],
)
def test_location_review_docks(overrides):
    vec, ref = _twin_models(overrides)
    before = (vec.state.firms.cell.copy(), vec.state.firms.div_cell.copy())
    stream = RandomStreams(99)
    location.review_locations(vec.state, vec.cfg, stream.get("location", 5))
    reference = ReferenceCorridor(ref.state, ref.cfg)
    reference.review_locations(stream.get("location", 5))
    reference.write_back()
    a, b = vec.state, ref.state
    for name in ("cell", "div_cell", "div_kind", "city_tie"):
        assert np.array_equal(getattr(a.firms, name), getattr(b.firms, name)), name
    np.testing.assert_allclose(a.firms.cash, b.firms.cash, rtol=1e-12)
    for name in ("employer", "at_division", "must_search"):
        assert np.array_equal(getattr(a.talent, name), getattr(b.talent, name)), name
    # some firms did more than stay
    changed = (a.firms.cell != before[0]) | (a.firms.div_cell != before[1])
    assert changed.any()


def test_matching_docks():
    vec, ref = _twin_models(["seed=3"])
    stream = RandomStreams(7)
    vacancies = workforce_targets(vec.state, vec.cfg, stream.get("labour", 0))
    workforce_targets(ref.state, ref.cfg, stream.get("labour", 0))
    searchers = np.flatnonzero(vec.state.talent.alive & (vec.state.talent.employer < 0))
    assert searchers.size and vacancies.sum()
    left_vec = labour.match(vec.state, vec.cfg, searchers, vacancies.copy(), stream.get("match", 0), newcomers=False)
    reference = ReferenceCorridor(ref.state, ref.cfg)
    by_index = {w.index: w for w in reference.talent_agents}
    left_ref = reference.match(stream.get("match", 0), [by_index[int(i)] for i in searchers], vacancies.copy())
    reference.write_back()
    assert np.array_equal(left_vec, left_ref)
    hired = int(np.count_nonzero(vec.state.talent.employer[searchers] >= 0))
    assert hired > 0
    for name in ("employer", "at_division", "unemployed_q", "must_search"):
        assert np.array_equal(getattr(vec.state.talent, name), getattr(ref.state.talent, name)), name
