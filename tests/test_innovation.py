"""Innovation and knowledge spillovers."""

from __future__ import annotations

import numpy as np

from corridor_abm.model.corridor import CorridorModel
from corridor_abm.model.params import PerSector
from corridor_abm.model.processes import innovation
from corridor_abm.model.simulate import simulate
from tests.conftest import small_config


def test_zero_rd_gives_no_innovations():
    cfg = small_config(seed=4, quarters=6)
    cfg.firms.rd_intensity = PerSector(manufacturing=0.0, electronics=0.0, software=0.0, biotech=0.0)
    city = simulate(cfg).tables["city_quarter"]
    assert city["innovations"].sum() == 0 and city["innovating_firms"].sum() == 0
    assert city["rd_spending"].sum() == 0


def test_rd_gives_innovations(small_run):
    city = small_run.tables["city_quarter"]
    assert city.loc[city["city"] == "SZ", "innovations"].sum() > 0


def test_innovation_rate_is_zero_without_rd_and_rises_with_it():
    lam = innovation.innovation_rate(np.array([0.0, 1e6, 4e6]), np.ones(3), np.ones(3), 0.3, 0.8, 1.0, 0.5)
    assert lam[0] == 0 and lam[1] < lam[2]


def _field_from_hong_kong(model: CorridorModel) -> np.ndarray:
    """Knowledge field produced by Hong Kong's sources alone."""
    sources = innovation.knowledge_sources(model.state, model.cfg).astype(np.float32)
    sources[model.state.cells.city != 0] = 0.0
    return model.state.knowledge.kernel @ sources


def test_full_knowledge_friction_stops_spillovers_across_the_border():
    closed = CorridorModel(
        small_config(seed=2, quarters=1, border__knowledge_friction=1.0, border__zone_friction_factor=1.0)
    )
    mainland = closed.state.cells.city != 0
    hk = ~mainland
    assert np.all(closed.state.knowledge.kernel[np.ix_(hk, mainland)] == 0)
    assert np.all(_field_from_hong_kong(closed)[mainland] == 0)
    opened = CorridorModel(small_config(seed=2, quarters=1, border__knowledge_friction=0.0))
    assert _field_from_hong_kong(opened)[mainland].max() > 0


def test_cooperation_zones_let_more_knowledge_through():
    m = CorridorModel(small_config(seed=2, quarters=1, border__knowledge_friction=0.8))
    zone = np.flatnonzero(m.state.map.special_zone >= 0)
    hk = np.flatnonzero(m.state.cells.city == 0)
    other_sz = np.flatnonzero((m.state.cells.city == 1) & (m.state.map.special_zone < 0))
    decay = np.exp(-m.state.travel.minutes / np.float32(m.cfg.innovation.knowledge_minutes))
    pass_zone = (m.state.knowledge.kernel[np.ix_(hk, zone)] / decay[np.ix_(hk, zone)]).mean()
    pass_other = (m.state.knowledge.kernel[np.ix_(hk, other_sz)] / decay[np.ix_(hk, other_sz)]).mean()
    assert pass_zone > pass_other


def test_each_firm_counts_its_innovations():
    model = CorridorModel(small_config(seed=6, quarters=3, n_firms=600, n_talent=6000, population_share=0.025))
    firms = model.state.firms
    for _ in range(3):
        alive, before = firms.alive.copy(), firms.innovations_total.copy()
        model.step()
        n = before.size
        gained = firms.innovations_total[:n] - before
        assert np.array_equal(gained[alive], firms.innovations[:n][alive]) and not gained[~alive].any()
    assert firms.innovations_total.sum() > 0
