"""Pure market functions."""

from __future__ import annotations

import numpy as np
import pytest

from corridor_abm.model.processes import house_prices, markets


def test_rent_rises_with_excess_demand_and_falls_with_slack():
    rent = np.array([100.0, 100.0, 100.0])
    cap = np.array([1000.0, 1000.0, 1000.0])
    spend = np.array([0.0, 0.0, 0.0])
    use = np.array([1000.0, 920.0, 500.0])  # over, at and under target occupancy 0.92
    new = markets.update_rent(rent, spend, use, cap, 0.92, 0.5, 0.1)
    assert new[0] > 100 and new[1] == pytest.approx(100) and new[2] < 100
    assert (np.abs(new / rent - 1) <= 0.1 + 1e-12).all()


def test_clearing_rent_solves_the_market():
    spend, use, cap, occ = np.array([5e4]), np.array([200.0]), np.array([1000.0]), 0.9
    r = markets.clearing_rent(spend, use, cap, occ)
    assert spend / r + use == pytest.approx(occ * cap)
    ratio = markets.excess_demand_ratio(r, spend, use, cap, occ)
    assert ratio == pytest.approx(1.0)


def test_zero_capacity_keeps_rent():
    new = markets.update_rent(np.array([50.0]), np.array([10.0]), np.array([0.0]), np.array([0.0]), 0.9, 0.5, 0.1)
    assert new[0] == 50.0


def test_house_price_capitalises_rent_and_is_finite():
    price = house_prices.house_price(
        np.array([100.0, 100.0]), np.array([0.05, 0.05]), 0.01, np.array([0.0, 0.2]), 0.015
    )
    assert price[0] == pytest.approx(400 / 0.06)
    assert price[1] == pytest.approx(400 / 0.015)


def test_spread_by_weight_conserves_city_totals():
    city = np.array([0, 0, 1, 1, 1])
    w = np.array([1.0, 3.0, 0.0, 1.0, 1.0])
    out = markets.spread_by_weight(np.array([8.0, 10.0]), city, w)
    assert out.tolist() == [2.0, 6.0, 0.0, 5.0, 5.0]


def test_background_economy_grows_with_residents_and_income_per_resident():
    """GDP and the other residents' income grow with both drivers; more residents, more demand."""
    from corridor_abm.model.params import PerCity
    from corridor_abm.model.processes.markets import EconomyParams

    eco = EconomyParams()
    t = 40  # ten years
    whole = eco.per_resident_growth(t) * eco.residents_at(t) / np.array(eco.residents.as_list())
    assert np.allclose(whole, np.power(1.0 + eco.expected_growth(), 10.0))
    assert np.allclose(np.power(1.0 + eco.expected_growth(), 1.0), [1.04, 1.08, 1.07, 1.07], atol=2e-4)
    more = EconomyParams(resident_growth=PerCity(hk=0.007, sz=0.045, dg=0.015, hz=0.015))
    assert more.residents_at(t)[1] > eco.residents_at(t)[1] and more.residents_at(0)[1] == eco.residents_at(0)[1]


def test_anchored_expectations_settle_between_the_anchor_and_realised_growth():
    rent, expected = np.array([100.0, 100.0]), np.array([0.07, 0.07])
    growth = 1.024**0.25  # rents grow 2.4% a year for good
    for _ in range(400):
        new = rent * growth
        expected = house_prices.update_expectations(expected, rent, new, 0.1, np.array([0.07, 0.07]), 0.5)
        rent = new
    assert expected == pytest.approx(0.5 * 0.07 + 0.5 * 0.024, abs=1e-9)
    # without the anchor, adaptive expectations learn the realised growth alone
    adaptive = house_prices.update_expectations(np.array([0.07]), np.array([100.0]), np.array([100.0 * growth]), 1.0)
    assert adaptive == pytest.approx(0.024, abs=1e-9)


def test_risk_premium_lowers_prices_in_its_city_only():
    """A city's risk premium raises the user cost of its homes by the premium (price × u / (u +
    premium) cell by cell), leaves rents and every other city alone, and changes no choice of
    firms or talent in the first year."""
    from corridor_abm.model.corridor import CorridorModel
    from tests.conftest import small_config

    def run(premium: float):
        cfg = small_config(quarters=4)
        cfg.market.price_adjustment = 1.0  # prices equal the user-cost value at once
        cfg.market.risk_premium.hz = premium
        model = CorridorModel(cfg)
        for _ in range(4):
            model.step()
        return model.state

    s0, s1 = run(0.0), run(0.01)
    hz = (s0.cells.city == 3) & (s0.cells.res_cap > 0)
    user_cost = 4.0 * s0.cells.res_rent[hz] / s0.cells.house_price[hz]
    np.testing.assert_allclose(
        s1.cells.house_price[hz], s0.cells.house_price[hz] * user_cost / (user_cost + 0.01), rtol=1e-9
    )
    assert (s1.cells.house_price[hz] < s0.cells.house_price[hz]).all()
    np.testing.assert_array_equal(s1.cells.house_price[~hz], s0.cells.house_price[~hz])
    np.testing.assert_array_equal(s1.cells.res_rent, s0.cells.res_rent)
    np.testing.assert_array_equal(s1.firms.cell, s0.firms.cell)
    np.testing.assert_array_equal(s1.talent.home, s0.talent.home)


def test_owners_expect_their_citys_rent_growth_not_their_cells():
    """Expected appreciation is learnt from the city's rent index (Σ floor × rent): every cell of
    a city expects the same growth, whatever its own rent did (a sample's noisy cell rents would
    otherwise bias the city's mean price through the user cost's floor)."""
    from corridor_abm.model.corridor import CorridorModel
    from tests.conftest import small_config

    model = CorridorModel(small_config(seed=3, quarters=3))
    for _ in range(3):
        model.step()
    s, cfg = model.state, model.cfg
    cells = s.cells
    assert s.cities.expected_growth.shape == (4,)  # one expectation per city, read by every cell
    # a rent jump of 50% in one Huizhou cell moves Huizhou's expectation by its city's rent growth
    before, old_rent = s.cities.expected_growth.copy(), cells.res_rent.copy()
    one = np.flatnonzero((cells.city == 3) & (cells.res_cap > 0))[0]
    cells.res_rent = old_rent.copy()
    cells.res_rent[one] *= 1.5
    house_prices.update_house_prices(s, cfg, old_rent)
    city_growth = (
        house_prices.city_index(cells.res_rent, cells.res_cap, cells.city)[3]
        / house_prices.city_index(old_rent, cells.res_cap, cells.city)[3]
    )
    assert 1.0 < city_growth < 1.1
    mk = cfg.market
    learnt = mk.expectation_anchor * s.cities.growth_anchor[3] + (1 - mk.expectation_anchor) * (city_growth**4 - 1)
    expected = (1 - mk.expectation_smoothing) * before[3] + mk.expectation_smoothing * learnt
    assert s.cities.expected_growth[3] == pytest.approx(expected, rel=1e-12)
    assert np.array_equal(
        s.cities.expected_growth[:3],
        (1 - mk.expectation_smoothing) * before[:3]
        + mk.expectation_smoothing * (mk.expectation_anchor * s.cities.growth_anchor[:3]),
    )
    # the cells' own rents did move apart: a cell-by-cell rule would have spread the expectations
    res = cells.res_rent / np.maximum(cells.res_cap, 1.0)
    assert np.ptp(res[cells.city == 1]) > 0
    rent, floor, city = np.array([10.0, 20.0, 30.0]), np.array([1.0, 2.0, 0.0]), np.array([0, 0, 3])
    assert house_prices.city_index(rent, floor, city).tolist() == [50.0, 0.0, 0.0, 0.0]


def test_sticky_prices_close_a_share_of_the_gap_and_follow_rents_without_lag():
    old, value = np.array([100.0, 100.0, 0.0]), np.array([64.0, 110.0, 50.0])
    assert np.array_equal(house_prices.sticky_price(old, value, 1.0), value)  # λ = 1: the value at once
    # rents unchanged: the log gap closes by λ (a quarter of it here); a new cell takes its value
    out = house_prices.sticky_price(old, value, 0.25)
    np.testing.assert_allclose(np.log(out[:2] / old[:2]), 0.25 * np.log(value[:2] / old[:2]), rtol=1e-12)
    assert out[2] == 50.0
    # a value rising with its rent at a constant user cost: the price equals it, without lag
    price, rent = np.array([100.0]), np.array([2.0])
    for _ in range(40):
        new_rent = rent * 1.08**0.25
        price = house_prices.sticky_price(price, 50.0 * new_rent, 0.1, new_rent / rent)
        rent = new_rent
    np.testing.assert_allclose(price, 50.0 * rent, rtol=1e-12)
    # the user-cost ratio falls by a third at constant rents: a third of the log gap in a year
    price, val = np.array([100.0]), np.array([100.0 * 2 / 3])
    for _ in range(4):
        price = house_prices.sticky_price(price, val, 0.1, 1.0)
    assert np.log(price / 100.0)[0] == pytest.approx((1 - 0.9**4) * np.log(2 / 3), rel=1e-12)


def test_expectations_extrapolate_prices_within_their_bound():
    e, rent = np.array([0.05, 0.05]), np.array([100.0, 100.0])
    flat = rent.copy()
    # rents flat, prices falling 40% a year: χ = 0.5 learns half of the fall, clipped at −15%
    out = house_prices.update_expectations(e, rent, flat, 1.0, 0.0, 0.0, np.array([-0.1, -0.4]), 0.5, 0.15)
    np.testing.assert_allclose(out, [-0.05, -0.15], rtol=1e-12)
    # χ = 0 ignores prices; the bound clips rent growth as well
    out = house_prices.update_expectations(e, rent, rent * 1.1, 1.0, 0.0, 0.0, np.array([-0.4, -0.4]), 0.0, 0.15)
    np.testing.assert_allclose(out, [0.15, 0.15], rtol=1e-12)


def test_a_credit_premium_reaches_house_prices_over_quarters_when_prices_are_sticky():
    """The same credit premium from 2018Q3 (a path): prices at their value (λ = 1) fall in one
    quarter by the user-cost ratio; sticky prices fall by about λ of that log fall at once and
    keep falling, still above the value three quarters later."""
    from corridor_abm.model.corridor import CorridorModel
    from tests.conftest import small_config

    def sz_prices(adjustment: float) -> list[float]:
        cfg = small_config(seed=2, quarters=6)
        cfg.market.price_adjustment = adjustment
        cfg.paths = {"economy": {"credit_premium": {"sz": {"2018Q3": 0.008}}}}
        model = CorridorModel(cfg)
        out = []
        for _ in range(6):
            model.step()
            s = model.state
            sz = (s.cells.city == 1) & (s.cells.res_cap > 0)
            out.append(float(np.average(s.cells.house_price[sz], weights=s.cells.res_cap[sz])))
        return out

    instant, sticky = sz_prices(1.0), sz_prices(0.1)
    jump, first = np.log(instant[2] / instant[1]), np.log(sticky[2] / sticky[1])
    assert jump < -0.2  # the value falls by a fifth or more in one quarter
    assert 0.0 > first > 0.3 * jump  # the sticky price starts down, by far less
    assert sticky[5] < sticky[2] and sticky[5] > instant[5]  # it keeps falling, still above the value
