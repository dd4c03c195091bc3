"""Venture capital conserves money; government budgets balance and never overspend."""

from __future__ import annotations

import numpy as np
import pytest

from corridor_abm.agents.vc import LIVE
from corridor_abm.model.corridor import CorridorModel
from corridor_abm.model.params import PerCity
from corridor_abm.model.processes.venture import accounting_gaps
from tests.conftest import small_config


@pytest.fixture(scope="module")
def busy_model() -> CorridorModel:
    """A run long enough for funds to invest, exit, write off, end and re-raise, with every
    lever switched on so that governments spend and guidance funds co-invest."""
    cfg = small_config(seed=9, quarters=28)
    cfg.vc.investment_quarters = 8
    cfg.vc.fund_life_quarters = 16
    g = cfg.government
    g.talent_subsidy = PerCity(hk=20000, sz=50000, dg=30000, hz=30000)
    g.startup_rent_subsidy = PerCity(hk=0.2, sz=0.5, dg=0.3, hz=0.3)
    g.rd_subsidy_rate = PerCity(hk=0.1, sz=0.2, dg=0.1, hz=0.1)
    g.services_spending = PerCity(hk=1e9, sz=5e9, dg=1e9, hz=1e9)
    g.incubator_grant = PerCity(hk=1e6, sz=2e6, dg=1e6, hz=1e6)
    g.guidance_fund = PerCity(hk=0.0, sz=2e9, dg=5e8, hz=5e8)
    g.talent_housing_m2 = PerCity(hk=0, sz=2e5, dg=0, hz=0)
    g.park_floor_m2 = 5e5
    g.park_rent_subsidy = 0.3
    model = CorridorModel(cfg)
    model.run()
    return model


def test_every_fund_conserves_money(busy_model):
    funds = busy_model.state.capital.funds + busy_model.state.capital.guidance_funds
    gaps = accounting_gaps(busy_model.state)
    scale = np.array([max(f.committed, 1.0) for f in funds])
    assert np.all(np.abs(gaps) / scale < 1e-9), f"largest gap {np.abs(gaps).max():.3g} ¥"
    assert all(f.cash >= -1e-6 for f in funds)


def test_money_a_fund_invests_is_in_stakes_and_reaches_firms(busy_model):
    book = busy_model.state.capital.stakes
    funds = busy_model.state.capital.funds + busy_model.state.capital.guidance_funds
    invested = sum(f.invested for f in funds)
    assert invested > 0
    assert book.cost.sum() == pytest.approx(invested, rel=1e-12)
    assert busy_model.state.firms.vc_raised.sum() == pytest.approx(invested, rel=1e-12)
    proceeds = sum(f.proceeds for f in funds)
    assert book.proceeds.sum() == pytest.approx(proceeds, rel=1e-12)
    statuses = set(book.status[: book.n].tolist())
    assert LIVE in statuses and len(statuses) >= 3, "the run should exercise exits, write-offs or end sales"
    assert any(f.is_guidance and f.invested > 0 for f in funds), "guidance funds should co-invest"
    assert any(not f.active for f in busy_model.state.capital.funds), (
        "some funds should have reached the end of their life"
    )


def test_government_budget_identity(busy_model):
    table = busy_model.tables()["government"]
    revenue = table[[c for c in table.columns if c.startswith("revenue_")]].sum(axis=1)
    spending = table[[c for c in table.columns if c.startswith("spend_")]].sum(axis=1)
    gap = table["opening_reserves"] + revenue - spending - table["reserves"]
    assert np.allclose(gap, 0.0, atol=1e-3 * (1 + table["reserves"].abs().max()) * 1e-9)
    # reserves may turn into debt, down to the borrowing limit (debt service is always paid)
    assert (table["reserves"] >= -table["credit_limit"] - table["spend_debt_service"] - 1e-6).all()
    assert (
        spending - table["spend_debt_service"] <= table["opening_reserves"] + revenue + table["credit_limit"] + 1e-6
    ).all()
    recurrent = table[["spend_public_services", "spend_transfers", "spend_infrastructure"]].sum(axis=1)
    assert (recurrent > 0).all(), "every government has recurrent spending every quarter"
    for gov in busy_model.state.governments:
        assert abs(gov.budget_gap()) < 1e-3
    assert spending.sum() > 0 and (table["spend_talent_subsidy"] > 0).any() and (table["spend_parks"] > 0).any()


def test_spending_never_exceeds_revenue_and_reserves_when_levers_are_huge():
    cfg = small_config(seed=3, quarters=6)
    cfg.government.talent_subsidy = PerCity(hk=1e7, sz=1e7, dg=1e7, hz=1e7)
    cfg.government.services_spending = PerCity(hk=1e13, sz=1e13, dg=1e13, hz=1e13)
    cfg.government.reserves_years = PerCity(hk=0.0, sz=0.0, dg=0.0, hz=0.0)
    cfg.government.debt_limit_years = PerCity(hk=0.0, sz=0.0, dg=0.0, hz=0.0)
    model = CorridorModel(cfg)
    model.run()
    table = model.tables()["government"]
    revenue = table[[c for c in table.columns if c.startswith("revenue_")]].sum(axis=1)
    spending = table[[c for c in table.columns if c.startswith("spend_")]].sum(axis=1)
    assert (spending <= (table["opening_reserves"] + revenue) * (1 + 1e-12) + 1e-3).all()
    assert (table["reserves"] >= -1e-3).all()
    assert (table["talent_subsidy_per_quarter"] < 1e7 / 4).any(), "the unaffordable subsidy must be scaled down"
    assert (table["shortfall"] > 0).any()


def test_adaptive_land_rule_adds_land_when_firms_leave():
    cfg = small_config(seed=5, quarters=10)
    cfg.government.land_rule_outflow = 1e-6  # any loss of firms triggers the rule
    cfg.government.land_rule_step = 0.5
    cfg.government.land_rule_max = 2.0
    model = CorridorModel(cfg)
    model.run()
    table = model.tables()["government"]
    late = table[table["t"] == table["t"].max()]
    assert (late["land_multiplier"] > 1.0).all()
    assert (table["land_multiplier"] <= 2.0 + 1e-12).all()
    early = table[table["t"] < 4]
    assert (early["land_multiplier"] == 1.0).all(), "the rule needs a year of history"


def test_austerity_rule_cuts_subsidies_when_reserves_run_low():
    cfg = small_config(seed=5, quarters=4)
    cfg.government.talent_subsidy = PerCity(hk=0, sz=5e4, dg=0, hz=0)
    cfg.government.austerity_reserve_quarters = 100.0  # reserves (4 quarters of revenue) count as low
    cfg.government.austerity_cut = 0.5
    model = CorridorModel(cfg)
    model.run()
    table = model.tables()["government"]
    sz = table[(table["city"] == "SZ") & (table["t"] >= 1)]
    assert (sz["subsidy_factor"] == 0.5).all()
    assert np.allclose(sz["talent_subsidy_per_quarter"], 5e4 / 4 * 0.5)


def test_venture_money_lets_a_firm_grow_faster():
    """vc.backed_max_growth caps a backed firm's hiring in a quarter instead of firms.max_growth."""
    from corridor_abm.model.processes import labour

    cfg = small_config(seed=8, quarters=1, n_firms=600, n_talent=6000, population_share=0.025)
    cfg.vc.backed_max_growth = 0.5
    model = CorridorModel(cfg)
    s = model.state
    firms = s.firms
    alive = firms.alive_index()
    big = alive[firms.workers[alive] >= 10]
    firms.log_a[big] += 2.0  # far below their optimal size now
    firms.cash[big] = 1e12
    backed = big[::2]
    firms.vc_raised[backed] = 1e7
    vacancies = labour.workforce_targets(s, model.cfg, np.random.default_rng(0))
    workers = firms.workers + firms.workers_div
    unbacked = np.setdiff1d(big, backed)
    # hiring is capped at growth × workers, rounded up at random
    assert (vacancies[unbacked] <= cfg.firms.max_growth * workers[unbacked] + 1).all()
    assert (vacancies[backed] <= 0.5 * workers[backed] + 1).all()
    assert (vacancies[backed] > cfg.firms.max_growth * workers[backed] + 1).mean() > 0.5
