"""Plants' production workers: the production wage per city and its reach into a plant's
factor (``location.plant_labour_share``, ODD §7.3)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from corridor_abm.agents import firms as fm
from corridor_abm.app.settings import compose_config
from corridor_abm.model import views
from corridor_abm.model.corridor import CorridorModel
from corridor_abm.model.state import DG, SZ

SMALL = ["n_firms=400", "n_talent=4000", "population_share=0.02", "quarters=8", "output.progress=false"]


def test_the_wage_term_multiplies_the_land_factor_by_the_wage_ratio():
    rent_site, rent_hq = np.array([40.0, 90.0]), np.array([100.0, 100.0])
    land = fm.plant_factor(rent_site, rent_hq, 0.03)
    # off: the land factor alone, to the bit, whatever the wages
    assert np.array_equal(fm.plant_factor(rent_site, rent_hq, 0.03, np.array([1.0, 5.0]), 2.0, 0.0), land)
    wage_site, wage_hq = np.array([1720.0, 2200.0]), 2200.0
    on = fm.plant_factor(rent_site, rent_hq, 0.03, wage_site, wage_hq, 0.25)
    np.testing.assert_allclose(on / land, (wage_site / wage_hq) ** -0.25, rtol=1e-14)
    assert on[0] > land[0] and on[1] == pytest.approx(land[1], rel=1e-14)


def test_production_wages_compensate_housing_at_its_share():
    wage = fm.production_wages(np.array([2200.0, 1720.0]), np.array([1.21, 1.0]), 0.25)
    np.testing.assert_allclose(wage, [2200.0 * 1.21**0.25, 1720.0], rtol=1e-14)


@pytest.fixture(scope="module")
def model_on() -> CorridorModel:
    m = CorridorModel(compose_config("s2_land_exhaustion", SMALL + ["seed=4", "location.plant_labour_share=0.25"]))
    return m


def test_production_wages_start_at_their_2018_levels_and_follow_rents(model_on):
    m = model_on
    cfg = m.cfg
    start = views.production_wages(m.state, cfg)
    np.testing.assert_allclose(start, cfg.location.production_wage.as_list(), rtol=1e-12)
    for _ in range(4):
        m.step()
    index = views.city_residential_rent(m.state.cells) / m.state.cities.res_rent_2018
    assert index[SZ] != pytest.approx(1.0, abs=1e-6)  # the rents moved
    np.testing.assert_allclose(
        views.production_wages(m.state, cfg) / start, index**cfg.location.production_wage_housing_share, rtol=1e-12
    )


def test_a_plant_in_dongguan_gains_the_wage_ratio_of_its_share(model_on):
    m = model_on
    s, firms = m.state, m.state.firms
    alive = firms.alive_index()
    i = alive[(s.cells.city[firms.cell[alive]] == SZ) & (firms.eff[alive] > 0)][0]
    idx = np.array([i])
    off = copy.deepcopy(m.cfg)
    off.location.plant_labour_share = 0.0
    firms.div_cell[i], firms.div_kind[i], firms.eff_div[i] = np.flatnonzero(s.cells.city == DG)[0], fm.KIND_PLANT, 0.0
    headquarters = views.firm_tfp(s, off, idx)[0]  # no efficiency at the plant: headquarters' TFP
    share = 0.3
    firms.eff_div[i] = share * firms.eff[i]
    plant_off = views.firm_tfp(s, off, idx)[0] - (1.0 - share) * headquarters
    plant_on = views.firm_tfp(s, m.cfg, idx)[0] - (1.0 - share) * headquarters
    wage = views.production_wages(s, m.cfg)
    ratio = (wage[DG] / wage[SZ]) ** -m.cfg.location.plant_labour_share
    assert ratio > 1.0  # Dongguan's production workers are cheaper than Shenzhen's
    assert plant_on / plant_off == pytest.approx(ratio, rel=1e-9)


def _production_wage_gap(seed: int, scenario: str) -> float:
    """Log of Shenzhen's production wage over Dongguan's after three years of ``scenario``."""
    m = CorridorModel(
        compose_config(
            scenario,
            [*SMALL, "quarters=12", f"seed={seed}", "location.plant_labour_share=0.25"],
        )
    )
    for _ in range(12):
        m.step()
    wage = views.production_wages(m.state, m.cfg)
    return float(np.log(wage[SZ] / wage[DG]))


def test_no_new_land_raises_shenzhens_production_wage_against_dongguans():
    """The lever reaches the channel: S2's rents raise the wage of Shenzhen's production work
    relative to Dongguan's, on every paired seed."""
    gaps = [
        _production_wage_gap(seed, "s2_land_exhaustion") - _production_wage_gap(seed, "baseline") for seed in (1, 2, 3)
    ]
    assert min(gaps) > 0.0, gaps
