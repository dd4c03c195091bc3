"""The governments' phases: levers and land at the start of a quarter; taxes and subsidies after
production; incubator grants at entry. Every yuan goes through :meth:`CityGovernment.spend` or
:meth:`CityGovernment.collect`, so the budget identity holds by construction and is tested.

Budgets are kept at the scale of the whole city. Land, services and parks are whole-city
quantities already; money that flows to or from the modelled agents is divided by
``population_share`` when booked (a run of a 10% sample books its agents' taxes ×10, and pays
them 10% of a subsidy bill it books in full), so a sample run faces the same budget as a full one.
With ``population_share = 1`` the agents' amounts are booked as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.government import CityGovernment, service_index
from model import geodata
from model.geography import lonlat_to_km

if TYPE_CHECKING:
    from model.corridor import CorridorModel

N_CITIES = 4
SZ = 1
PARK_PLACES = ("Songshan Lake", "Binhai Bay", "Zhongkai Hi-Tech Zone", "Daya Bay")
"""Designated parks for Shenzhen firms in Dongguan and Huizhou (lever L1, cross-city land)."""
PARK_RADIUS_KM = 5.0
COMMERCIAL_CAP_RATE = 0.05
"""Yield at which commercial rent is capitalised into the value of new floor space sold."""


def park_cells(model: CorridorModel) -> np.ndarray:
    """Boolean mask of the cells of the designated cross-city parks."""
    mask = np.zeros(model.n_cells, dtype=bool)
    for name in PARK_PLACES:
        code, lon, lat = geodata.NAMED_PLACES[name]
        x, y = lonlat_to_km(np.array(lon), np.array(lat))
        near = np.hypot(model.map.x_km - x, model.map.y_km - y) <= PARK_RADIUS_KM
        mask |= near & (model.cell_city == geodata.CITY_CODES.index(code))
    return mask & (model.map.land_use != 2)


def create_governments(model: CorridorModel) -> None:
    """Four governments with reserves of ``initial_reserves_quarters`` of their 2018 tax revenue."""
    gp, services = model.cfg.government, model.cfg.services
    firms = model.firms
    alive = firms.alive_index()
    sector = firms.sector[alive]
    # 2018 profit at the optimal size: output less wages and floor (shares β, γ), R&D and overhead
    before_tax = (
        firms.output[alive] * (1.0 - model.beta[sector] - model.gamma[sector])
        - firms.rd_spend[alive]
        - firms.fixed_cost[alive]
    )
    city = model.cell_city[firms.cell[alive]]
    tax = np.bincount(city, weights=model.corporate_tax[city] * np.maximum(before_tax, 0.0), minlength=N_CITIES)
    wages = model.wage_bills_by_city()
    revenue = (tax + np.array(gp.wage_tax.as_list()) * wages) / model.cfg.population_share
    multipliers = model.cfg.land.multipliers()
    beds = services.hospital_beds_per_10k.as_list()
    ratio = services.students_per_teacher.as_list()
    model.governments = [
        CityGovernment(model, c, gp.initial_reserves_quarters * revenue[c], multipliers[c], beds[c], ratio[c])
        for c in range(N_CITIES)
    ]
    model.park_mask = park_cells(model)


def government_phase(model: CorridorModel) -> None:
    """Levers at the start of a quarter: adaptive rules, land, talent housing, parks, services,
    guidance funds; and the subsidy rates the quarter will pay (scaled to what is affordable)."""
    gp = model.cfg.government
    for gov in model.governments:
        gov.open_quarter()
        _land_rule(model, gov)
        _austerity_rule(model, gov)
    _land(model)
    _talent_housing(model)
    _parks(model)
    _services(model)
    share = model.cfg.population_share
    for gov, fund in zip(model.governments, model.guidance_funds):
        booked = gov.spend("guidance_fund", gov.subsidy_factor * gp.guidance_fund.as_list()[gov.city] / 4.0)
        fund.add_capital(booked * share)  # the fund serves the sample of firms the run represents
    _plan_subsidies(model)


def _land_rule(model: CorridorModel, gov: CityGovernment) -> None:
    gp = model.cfg.government
    if gp.land_rule_outflow <= 0 or model.t < 4:
        return
    lost = model.recorder.recent_firm_losses(gov.city, quarters=4)
    firms = max(model.firms_in_city(gov.city), 1)
    if lost / firms > gp.land_rule_outflow:
        gov.land_multiplier = min(gov.land_multiplier + gp.land_rule_step, max(gp.land_rule_max, gov.land_multiplier))


def _austerity_rule(model: CorridorModel, gov: CityGovernment) -> None:
    gp = model.cfg.government
    if gp.austerity_reserve_quarters <= 0:
        gov.subsidy_factor = 1.0
        return
    last = model.recorder.last_government_revenue(gov.city)
    short = last > 0 and gov.reserves < gp.austerity_reserve_quarters * last
    gov.subsidy_factor = 1.0 - gp.austerity_cut if short else 1.0


def _land(model: CorridorModel) -> None:
    """New floor space, as far as each city can pay for it; land sales bring revenue."""
    land, gp = model.cfg.land, model.cfg.government
    renewal = np.array(land.renewal_share.as_list())
    com = np.array(land.commercial_supply_m2.as_list()) / 4.0
    res = np.array(land.residential_supply_m2.as_list()) / 4.0
    for gov in model.governments:
        c = gov.city
        scale = gov.land_multiplier
        floor = (com[c] + res[c]) * scale
        cost = floor * (renewal[c] * gp.renewal_cost + (1.0 - renewal[c]) * gp.land_cost)
        sales = (
            gp.land_sale_share * scale * (com[c] * model.city_commercial_value(c) + res[c] * model.city_house_price(c))
        )
        # land pays for itself in part: only the cost not covered by land sales needs reserves
        net = cost - sales
        share = gov.affordable_share(net) if net > 0 else 1.0
        gov.collect("land_sales", sales * share)
        gov.spend("land", cost * share)
        new_com = np.where(np.arange(N_CITIES) == c, com[c] * scale * share, 0.0)
        new_res = np.where(np.arange(N_CITIES) == c, res[c] * scale * share, 0.0)
        model.add_floor(new_com, new_res, renewal)


def _talent_housing(model: CorridorModel) -> None:
    gp = model.cfg.government
    for gov in model.governments:
        m2 = gp.talent_housing_m2.as_list()[gov.city] / 4.0
        if m2 <= 0:
            continue
        spent = gov.spend("talent_housing", m2 * gp.renewal_cost)
        built = spent / gp.renewal_cost
        model.add_floor(np.zeros(N_CITIES), np.where(np.arange(N_CITIES) == gov.city, built, 0.0), np.ones(N_CITIES))


def _parks(model: CorridorModel) -> None:
    """Shenzhen builds commercial floor in the designated Dongguan and Huizhou parks."""
    gp = model.cfg.government
    m2 = gp.park_floor_m2 / 4.0
    if m2 <= 0 or not model.park_mask.any():
        return
    sz = model.governments[SZ]
    spent = sz.spend("parks", m2 * gp.land_cost)
    built = spent / max(gp.land_cost, 1e-9)
    cells = np.flatnonzero(model.park_mask)
    weight = np.maximum(model.com_cap[cells], 0.0) + 1.0
    model.com_cap[cells] += built * weight / weight.sum()
    model.fill_new_cell_rents()


def _services(model: CorridorModel) -> None:
    """Spending on school places and hospital beds raises the service index and amenity."""
    gp, sp = model.cfg.government, model.cfg.services
    residents = np.array(model.cfg.economy.residents.as_list())
    for gov in model.governments:
        amount = gov.subsidy_factor * gp.services_spending.as_list()[gov.city] / 4.0
        if amount <= 0:
            continue
        spent = gov.spend("services", amount)
        per_capita = spent / 1e9 * (1e7 / residents[gov.city])
        gov.hospital_beds += gp.beds_per_billion * per_capita
        gov.students_per_teacher = max(gov.students_per_teacher - gp.class_ratio_per_billion * per_capita, 5.0)
    index = service_index(
        [g.hospital_beds for g in model.governments],
        [g.students_per_teacher for g in model.governments],
        sp.beds_reference,
        sp.students_reference,
    )
    model.set_services(index)


def _plan_subsidies(model: CorridorModel) -> None:
    """Subsidy rates for the quarter, scaled down where last quarter's bill would not be affordable."""
    gp = model.cfg.government
    eligible = model.eligible_talent_by_city()
    for gov in model.governments:
        c = gov.city
        per_head = gov.subsidy_factor * gp.talent_subsidy.as_list()[c] / 4.0
        bill = per_head * eligible[c] * model.talent_scale / model.cfg.population_share
        model.talent_subsidy_now[c] = per_head * (gov.affordable_share(bill) if bill > 0 else 1.0)
        model.rd_subsidy_now[c] = gov.subsidy_factor * gp.rd_subsidy_rate.as_list()[c]


def collect_revenue(model: CorridorModel) -> None:
    """Profit tax, tax on skilled wages and incubator repayments, after production."""
    firms, gp = model.firms, model.cfg.government
    alive = firms.alive_index()
    city = model.cell_city[firms.cell[alive]]
    profit_tax = np.bincount(city, weights=firms.tax[alive], minlength=N_CITIES)
    wage_tax = np.array(gp.wage_tax.as_list()) * model.wage_bills_by_city()
    owing = alive[(firms.grant_outstanding[alive] > 0) & (firms.profit[alive] > 0)]
    repay = np.minimum(gp.incubator_repay_share * firms.output[owing], firms.grant_outstanding[owing])
    repay = np.minimum(repay, np.maximum(firms.cash[owing], 0.0))
    firms.cash[owing] -= repay
    firms.grant_outstanding[owing] -= repay
    repaid = np.bincount(model.cell_city[firms.cell[owing]], weights=repay, minlength=N_CITIES)
    share = model.cfg.population_share
    for gov in model.governments:
        gov.collect("profit_tax", float(profit_tax[gov.city]) / share)
        gov.collect("wage_tax", float(wage_tax[gov.city]) / share)
        gov.collect("incubator_repayments", float(repaid[gov.city]) / share)


def pay_subsidies(model: CorridorModel) -> None:
    """Start-up rent, R&D and park-rent subsidies to firms, and the talent subsidy, after
    production; each city pays what its reserves allow (pro rata)."""
    firms, gp = model.firms, model.cfg.government
    alive = firms.alive_index()
    city = model.cell_city[firms.cell[alive]]
    young = (model.t - firms.born[alive]) < gp.startup_age_quarters
    rent_rate = np.array(gp.startup_rent_subsidy.as_list())[city]
    factor = np.array([g.subsidy_factor for g in model.governments])[city]
    claims = {
        "startup_rent_subsidy": np.where(young, rent_rate * factor * firms.rent_bill[alive], 0.0),
        "rd_subsidy": model.rd_subsidy_now[city] * firms.rd_spend[alive],
    }
    firms.subsidies[alive] = 0.0
    for lever, claim in claims.items():
        _pay_firms(model, alive, city, claim, lever)
    if gp.park_rent_subsidy > 0:
        in_park = model.park_mask[firms.cell[alive]] & (firms.origin_city[alive] == SZ) & (city != SZ)
        claim = np.where(in_park, gp.park_rent_subsidy * firms.rent_bill[alive], 0.0)
        _pay_firms(model, alive, np.full(alive.size, SZ), claim, "parks")
    eligible = model.eligible_talent_by_city()
    for gov in model.governments:
        bill = model.talent_subsidy_now[gov.city] * eligible[gov.city] * model.talent_scale / model.cfg.population_share
        paid = gov.spend("talent_subsidy", bill)
        if bill > 0 and paid < bill:
            model.talent_subsidy_now[gov.city] *= paid / bill


def _pay_firms(model: CorridorModel, firms_idx: np.ndarray, payer: np.ndarray, claim: np.ndarray, lever: str) -> None:
    """Pay firms' claims, pro rata to what each city can afford (booked at city scale)."""
    totals = np.bincount(payer, weights=claim, minlength=N_CITIES) / model.cfg.population_share
    for gov in model.governments:
        if totals[gov.city] <= 0:
            continue
        paid = gov.spend(lever, float(totals[gov.city]))
        share = paid / totals[gov.city]
        mine = payer == gov.city
        amount = claim[mine] * share
        model.firms.cash[firms_idx[mine]] += amount
        model.firms.subsidies[firms_idx[mine]] += amount


def incubator_grants(model: CorridorModel, new_firms: np.ndarray) -> None:
    """Each new start-up of a city receives its incubator grant, as far as the budget allows."""
    gp, firms = model.cfg.government, model.firms
    city = model.cell_city[firms.cell[new_firms]]
    for gov in model.governments:
        mine = new_firms[city == gov.city]
        grant = gov.subsidy_factor * gp.incubator_grant.as_list()[gov.city]
        if mine.size == 0 or grant <= 0:
            continue
        booked = gov.spend("incubators", grant * mine.size / model.cfg.population_share)
        paid = booked * model.cfg.population_share / mine.size
        firms.cash[mine] += paid
        firms.grant_outstanding[mine] += paid
