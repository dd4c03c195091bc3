"""Governments and policy: the levers at the start of a quarter, taxes and subsidies after
production, incubator grants at entry.

Phases: :func:`government_phase` (adaptive rules, new land and talent housing, parks, services,
guidance funds, and the quarter's subsidy rates) and :func:`taxes_and_subsidies`. Every yuan goes
through :meth:`agents.government.CityGovernment.spend` or ``collect``, so the budget identity
holds by construction and is tested. The parameter groups of the levers live here: ``land``
(L1), ``government`` (L1, L2, L4–L7 and the budget) and ``services`` (L7).

Budgets are kept at the scale of the whole city. Land, services and parks are whole-city
quantities already; money that flows to or from the modelled agents is divided by
``population_share`` when booked (a run of a 10% sample books its agents' taxes ×10, and pays
them 10% of a subsidy bill it books in full), so a sample run faces the same budget as a full one.
With ``population_share = 1`` the agents' amounts are booked as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from corridor_abm.agents.government import CityGovernment, service_index
from corridor_abm.model import geography, views
from corridor_abm.model.params import PerCity, param, per_city
from corridor_abm.model.processes import markets
from corridor_abm.model.state import N_CITIES, SZ, State

if TYPE_CHECKING:
    from corridor_abm.model.config import Config


@dataclass
class LandParams:
    """New floor space per year (lever L1: land reform and supply)."""

    commercial_supply_m2: PerCity = param(
        per_city(3.0e5, 4.0e6, 8.0e6, 5.0e6),
        "m² floor per year",
        "Baseline new commercial and industrial floor space per year",
        "approx. public figure (seed 000: Shenzhen's land is nearly exhausted)",
        lo=0.0,
    )
    residential_supply_m2: PerCity = param(
        per_city(1.0e6, 6.0e6, 8.0e6, 7.0e6),
        "m² floor per year",
        "Baseline new residential floor space per year",
        "approx. public figure",
        lo=0.0,
    )
    hk_supply: float = param(
        1.0, "× baseline", "Multiplier on Hong Kong's new floor space", "lever L1", lo=0.0, hi=20.0
    )
    sz_supply: float = param(1.0, "× baseline", "Multiplier on Shenzhen's new floor space", "lever L1", lo=0.0, hi=20.0)
    dg_supply: float = param(1.0, "× baseline", "Multiplier on Dongguan's new floor space", "lever L1", lo=0.0, hi=20.0)
    hz_supply: float = param(1.0, "× baseline", "Multiplier on Huizhou's new floor space", "lever L1", lo=0.0, hi=20.0)
    renewal_share: PerCity = param(
        per_city(0.1, 0.6, 0.3, 0.1),
        "share",
        "Share of new floor space from urban(-village) renewal of built cells; the rest is built on reserve land",
        "seed 000 §4.5.1 and seed 003 (城中村 redevelopment), lever L1",
        lo=0.0,
        hi=1.0,
    )

    def multipliers(self) -> list[float]:
        """Supply multipliers in city order."""
        return [self.hk_supply, self.sz_supply, self.dg_supply, self.hz_supply]


@dataclass
class GovernmentParams:
    """City governments: revenue, budget and the policy levers L1–L8."""

    wage_tax: PerCity = param(
        per_city(0.08, 0.08, 0.08, 0.08),
        "share of wages",
        "Effective tax on skilled wages paid to the city of the job",
        "approx. public figure",
        lo=0.0,
        hi=0.9,
    )
    tax_revenue_2018: PerCity = param(
        per_city(418.1e9, 353.84e9, 64.99e9, 42.0e9),
        "¥ per year",
        "Tax and other ordinary revenue of the city government in 2018, land sales excluded: the "
        "modelled firms' and talent's taxes plus the rest of the economy's (whose share of GDP is "
        "inverted from this in 2018, under the reference levers)",
        "approx. public figure: HK FY2018-19 revenue HK$596.4bn less land premium HK$115.9bn at "
        "0.87 ¥/HK$ (Budget 2019-20); SZ local GPB revenue 353.84bn and DG 64.99bn (2018 budget "
        "reports); HZ ≈ 42bn (range 38–44) — docs/budgets.md",
        lo=0.0,
    )
    reserves_years: PerCity = param(
        per_city(1.83, 0.15, 0.15, 0.15),
        "years of revenue",
        "Reserves at the start, and the level the reserve rule steers them to, in years of trend revenue",
        "approx. public figure: HK fiscal reserves HK$1,092bn (Mar 2018) = 1.83 years of revenue; "
        "mainland cities: stabilisation funds and carry-overs (SZ 2018 ≈ ¥53bn on ≈ ¥435bn) — docs/budgets.md",
        lo=0.0,
        hi=20.0,
    )
    debt_limit_years: PerCity = param(
        per_city(0.5, 0.3, 0.3, 0.3),
        "years of revenue",
        "How far a government may borrow: reserves may fall to −(this × annual trend revenue); "
        "beyond it spending is cut (the budget constraint binds)",
        "approx. public figure: mainland special-bond quotas (SZ new bonds ¥31.4bn in 2019); HK bonds "
        "≈ 15% of GDP by 2024-25 (Fitch) — docs/budgets.md",
        lo=0.0,
        hi=10.0,
    )
    interest_rate: float = param(
        0.03,
        "per year",
        "Interest earned on reserves and paid on debt (debt service)",
        "approx. public figure (HK Exchange Fund returns; local-government bond yields ≈ 3%)",
        lo=0.0,
        hi=0.2,
    )
    committed_share: float = param(
        0.9,
        "share of trend revenue",
        "Recurrent spending a government does not cut below (salaries, pensions, transfers, debt "
        "service): the levers compete for the rest, the reserves and the borrowing limit",
        "approx. public figure: HK recurrent spending ≈ 75–80% of expenditure (Budget 2024-25: 580 of "
        "777), with capital works under way on top; mainland 'three guarantees' (wages, livelihood, "
        "operations) and project commitments — docs/budgets.md",
        lo=0.0,
        hi=1.0,
    )
    reserve_adjust_years: float = param(
        2.0,
        "years",
        "Time over which recurrent spending closes the gap between reserves and their target",
        lo=0.25,
        hi=50.0,
    )
    revenue_smoothing: float = param(
        0.25,
        "per quarter",
        "Weight of the latest quarter's revenue in trend revenue, on which budgets are planned",
        lo=0.01,
        hi=1.0,
    )
    services_share: PerCity = param(
        per_city(0.51, 0.45, 0.45, 0.45),
        "share of recurrent spending",
        "Share of recurrent spending on public services (education, health, culture)",
        "approx. public figure: HK education + welfare + health 50.9% of expenditure (LegCo 2018); "
        "SZ 'livelihood' spending 65% of GPB expenditure incl. social security (2018)",
        lo=0.0,
        hi=1.0,
    )
    transfers_share: PerCity = param(
        per_city(0.15, 0.2, 0.2, 0.2),
        "share of recurrent spending",
        "Share of recurrent spending on transfers (social security, housing support); the rest, "
        "after debt service, is infrastructure and administration",
        "approx. public figure (SZ social security ≈ 5–8% plus housing and district transfers; HK welfare ≈ 15%)",
        lo=0.0,
        hi=1.0,
    )
    land_value_share: PerCity = param(
        per_city(0.5, 0.3, 0.3, 0.25),
        "share of market value",
        "Land value in the market value of new floor space (house price; commercial rent "
        "capitalised): what the city receives when it sells the land use rights",
        "approx. public figure: HK land ≈ half the new-flat price (valuers, SCMP 2018-05-15); SZ Sep 2021 "
        "auction ≈ ¥16–17k per m² of floor against ¥59k new-home prices; DG, HZ approx. — docs/budgets.md",
        lo=0.0,
        hi=1.0,
    )
    acquisition_cost_share: float = param(
        0.3,
        "share of land value",
        "Cost of bringing reserve land to market (compensation for collective land, servicing), as a "
        "share of the land value of the floor built",
        lo=0.0,
        hi=2.0,
    )
    renewal_cost_share: float = param(
        0.7,
        "share of land value",
        "Cost of new floor space by urban(-village) renewal (compensation of owners, demolition), as "
        "a share of the land value of the floor built",
        "assumption (seed 000 §4.5.1, seed 003: 城中村 renewal is costly)",
        lo=0.0,
        hi=2.0,
    )
    construction_cost: PerCity = param(
        per_city(26000.0, 4000.0, 3500.0, 3000.0),
        "¥ per m² floor (2018)",
        "Construction cost of floor the city builds itself (talent housing, parks); grows with income per resident",
        "approx. public figure (ranges): quantity-surveyor handbooks, high-rise residential ¥3,000–5,000 "
        "(mainland), HK$25,000–35,000 per m² — docs/budgets.md",
        lo=0.0,
    )
    talent_subsidy: PerCity = param(
        per_city(0.0, 0.0, 0.0, 0.0),
        "¥ per eligible talent per year",
        "Talent subsidy paid by the city of the job (lever L2; Peacock Plan ≈ ¥1bn a year, seed 003)",
        "seed 003 (Peacock Plan), seed 002 (Hangzhou 5050)",
        lo=0.0,
    )
    talent_subsidy_min_skill: float = param(
        1.2, "skill", "Smallest skill eligible for the talent subsidy", lo=0.0, hi=20.0
    )
    talent_housing_m2: PerCity = param(
        per_city(0.0, 0.0, 0.0, 0.0),
        "m² floor per year",
        "Talent housing built by the city on top of the land supply (lever L2, seed 004)",
        "seed 004 (talent housing and office-space preferences)",
        lo=0.0,
    )
    startup_rent_subsidy: PerCity = param(
        per_city(0.0, 0.0, 0.0, 0.0),
        "share of rent",
        "Share of rent the city pays for start-ups younger than startup_age_quarters (lever L2)",
        "seed 001 (HK youth start-up subsidies cover rent), seed 002 (500 m² rent subsidy)",
        lo=0.0,
        hi=1.0,
    )
    startup_age_quarters: int = param(
        8, "quarters", "Age below which a firm counts as a start-up for the rent subsidy", lo=1, hi=100
    )
    rd_subsidy_rate: PerCity = param(
        per_city(0.0, 0.0, 0.0, 0.0),
        "share of R&D",
        "Share of firms' R&D spending the city reimburses (lever L4)",
        "seed 002 (¥5.2bn basic research, ¥404m key projects, 2019)",
        lo=0.0,
        hi=0.9,
    )
    rd_response: float = param(
        1.0,
        "1",
        "How much a firm raises its R&D intensity per unit of subsidy rate (rd × (1 + response × rate))",
        lo=0.0,
        hi=10.0,
    )
    services_spending: PerCity = param(
        per_city(0.0, 0.0, 0.0, 0.0),
        "¥ per year",
        "Extra spending on public services: school places and hospital beds (lever L7)",
        "seed 000 (Shenzhen lacks school places and hospital beds)",
        lo=0.0,
    )
    beds_per_billion: float = param(
        0.5,
        "beds per 10k residents per ¥bn",
        "Hospital beds added per ¥bn of services spending (per 10k residents of 10 million)",
        "approx. public figure",
        lo=0.0,
    )
    class_ratio_per_billion: float = param(
        0.05,
        "students per teacher per ¥bn",
        "Fall of the students-per-teacher ratio per ¥bn of services spending (per 10 million residents)",
        "approx. public figure",
        lo=0.0,
    )
    incubator_grant: PerCity = param(
        per_city(0.0, 0.0, 0.0, 0.0),
        "¥ per start-up",
        "Incubator grant to each new start-up of the city (lever L6)",
        "seed 002 (Israel's incubators; Shenzhen's 130 incubators, 235 maker spaces)",
        lo=0.0,
    )
    incubator_repay_share: float = param(
        0.03,
        "share of output",
        "Share of output an incubated firm repays while profitable, until the grant is repaid",
        "seed 002 (Israel: repay 3% of revenue on success, nothing on failure)",
        lo=0.0,
        hi=1.0,
    )
    guidance_fund: PerCity = param(
        per_city(0.0, 0.0, 0.0, 0.0),
        "¥ per year",
        "Budget of the city's government guidance fund, which co-invests with private VC (lever L5)",
        "seed 003, seed 004 (industry guidance funds)",
        lo=0.0,
    )
    guidance_coinvest_share: float = param(
        0.3, "share of deal", "Co-investment of the guidance fund in each private deal in its city", lo=0.0, hi=5.0
    )
    park_floor_m2: float = param(
        0.0,
        "m² floor per year",
        "Commercial floor Shenzhen builds in designated Dongguan and Huizhou parks (lever L1, "
        "cross-city land: 不求所有、不求所在、只求所用)",
        "seed 003, seed 000 §4.5.1",
        lo=0.0,
    )
    park_rent_subsidy: float = param(
        0.0,
        "share of rent",
        "Share of rent Shenzhen pays for its firms that move into the parks (Shenzhen terms)",
        "seed 003",
        lo=0.0,
        hi=1.0,
    )
    land_rule_outflow: float = param(
        0.0,
        "share of firms per year",
        "Adaptive land rule: when the firms a city lost in the last year (moves to other cities "
        "plus exits) exceed this share of its firms, it raises its land supply (0 = rule off)",
        lo=0.0,
        hi=1.0,
    )
    land_rule_step: float = param(
        0.25, "× baseline", "Increase of the land multiplier each time the land rule fires", lo=0.0, hi=10.0
    )
    land_rule_max: float = param(3.0, "× baseline", "Largest land multiplier the land rule can reach", lo=0.0, hi=20.0)
    austerity_reserve_quarters: float = param(
        0.0,
        "quarters of revenue",
        "Adaptive budget rule: when reserves fall below this many quarters of revenue, subsidies "
        "are cut by austerity_cut (0 = rule off)",
        lo=0.0,
        hi=100.0,
    )
    austerity_cut: float = param(0.5, "share", "Share of subsidies cut while the budget rule is active", lo=0.0, hi=1.0)


@dataclass
class ServicesParams:
    """Public services that feed amenity (lever L7)."""

    hospital_beds_per_10k: PerCity = param(
        per_city(54.0, 31.8, 40.0, 45.0),
        "beds per 10k residents",
        "Hospital beds per 10,000 residents",
        "seed 000 (Shenzhen 31.8); others approx. public figures",
        lo=0.0,
        hi=500.0,
    )
    students_per_teacher: PerCity = param(
        per_city(12.0, 12.8, 13.5, 13.5),
        "students per teacher",
        "Secondary-school students per teacher (fewer is better)",
        "seed 000 (Shenzhen 12.8 vs Beijing 6.5, Shanghai 10); others approx. public figures",
        lo=1.0,
        hi=100.0,
    )
    beds_reference: float = param(60.0, "beds per 10k", "Hospital beds at which the health index reaches 1", lo=1.0)
    students_reference: float = param(
        8.0, "students per teacher", "Class ratio at which the school index reaches 1", lo=1.0
    )


def public_services(cfg: Config) -> np.ndarray:
    """Public-service index per city (0–1.5) from the configured hospital beds and class ratios."""
    sp = cfg.services
    return service_index(
        sp.hospital_beds_per_10k.as_list(), sp.students_per_teacher.as_list(), sp.beds_reference, sp.students_reference
    )


def background_gdp(s: State, cfg: Config) -> np.ndarray:
    """GDP of each city this quarter, ¥ per quarter (2018 GDP × growth of residents and of
    income per resident)."""
    eco = cfg.economy
    return (
        np.array(eco.gdp.as_list())
        * s.economy.per_resident
        * s.economy.residents
        / np.array(eco.residents.as_list())
        / 4.0
    )


def modelled_taxes(s: State, cfg: Config) -> np.ndarray:
    """Profit tax of the modelled firms at their 2018 optimal size and tax on skilled wages, per
    city, ¥ per quarter at city scale (used to invert the rest of the economy's taxes)."""
    firms = s.firms
    beta, gamma = cfg.firms.elasticities()
    alive = firms.alive_index()
    sector = firms.sector[alive]
    before_tax = (
        firms.output[alive] * (1.0 - beta[sector] - gamma[sector]) - firms.rd_spend[alive] - firms.fixed_cost[alive]
    )
    city = s.cells.city[firms.cell[alive]]
    corporate_tax = np.array(cfg.firms.corporate_tax.as_list())
    tax = np.bincount(city, weights=corporate_tax[city] * np.maximum(before_tax, 0.0), minlength=N_CITIES)
    wages = views.wage_bills_by_city(s)
    return (tax + np.array(cfg.government.wage_tax.as_list()) * wages) / cfg.population_share


def create_governments(s: State, cfg: Config) -> list[CityGovernment]:
    """Four governments, under the reference configuration: the rest of the economy's tax share of
    GDP is inverted so that 2018 ordinary revenue is ``government.tax_revenue_2018``; trend
    revenue starts at it plus the land sales of the 2018 land supply; reserves start at
    ``government.reserves_years`` of trend revenue."""
    gp, services = cfg.government, cfg.services
    modelled = modelled_taxes(s, cfg)
    gdp = background_gdp(s, cfg)
    ordinary = np.array(gp.tax_revenue_2018.as_list()) / 4.0
    other_share = np.maximum(ordinary - modelled, 0.0) / gdp
    multipliers = cfg.land.multipliers()
    beds = services.hospital_beds_per_10k.as_list()
    ratio = services.students_per_teacher.as_list()
    reserves_years = gp.reserves_years.as_list()
    governments = []
    for c in range(N_CITIES):
        sales = land_books(s, cfg, c, multipliers[c])[2]
        trend = max(ordinary[c], modelled[c]) + sales
        gov = CityGovernment(s.owner, c, reserves_years[c] * 4.0 * trend, multipliers[c], beds[c], ratio[c])
        gov.other_tax_share = float(other_share[c])
        gov.trend_revenue = float(trend)
        gov.last_revenue = float(trend)
        gov.credit_limit = gp.debt_limit_years.as_list()[c] * 4.0 * trend
        governments.append(gov)
    return governments


def government_phase(s: State, cfg: Config) -> None:
    """Levers at the start of a quarter: the borrowing limit and interest, adaptive rules, land,
    talent housing, parks, services, guidance funds; and the subsidy rates the quarter will pay
    (scaled to what is affordable)."""
    gp = cfg.government
    for gov in s.governments:
        gov.open_quarter()
        gov.credit_limit = gp.debt_limit_years.as_list()[gov.city] * 4.0 * gov.trend_revenue
        interest = gp.interest_rate / 4.0 * gov.reserves
        if interest >= 0:
            gov.collect("interest", interest)
        else:
            gov.spend("debt_service", -interest, force=True)
        _land_rule(s, cfg, gov)
        _austerity_rule(cfg, gov)
    _land(s, cfg)
    _talent_housing(s, cfg)
    _parks(s, cfg)
    _services(s, cfg)
    share = cfg.population_share
    for gov, fund in zip(s.governments, s.capital.guidance_funds):
        booked = gov.spend("guidance_fund", gov.subsidy_factor * gp.guidance_fund.as_list()[gov.city] / 4.0)
        fund.add_capital(booked * share)  # the fund serves the sample of firms the run represents
    _plan_subsidies(s, cfg)


def recurrent_budget(s: State, cfg: Config) -> None:
    """The fiscal rule, at the end of a quarter: trend revenue learns from the quarter's revenue;
    recurrent spending takes what the levers left of planned spending — trend revenue plus a
    share of the gap between reserves and their target — but never less than the committed
    share of trend revenue; it is split into public services, transfers and infrastructure."""
    gp = cfg.government
    w = gp.revenue_smoothing
    for gov in s.governments:
        c = gov.city
        gov.trend_revenue = (1.0 - w) * gov.trend_revenue + w * gov.total_revenue
        target = gp.reserves_years.as_list()[c] * 4.0 * gov.trend_revenue
        planned = gov.trend_revenue + (gov.opening_reserves - target) / (4.0 * gp.reserve_adjust_years)
        taken = gov.lever_spending + gov.spending["debt_service"]
        recurrent = max(planned - taken, gp.committed_share * gov.trend_revenue - gov.spending["debt_service"], 0.0)
        services_share = gp.services_share.as_list()[c]
        transfers_share = min(gp.transfers_share.as_list()[c], 1.0 - services_share)
        gov.spend("public_services", services_share * recurrent)
        gov.spend("transfers", transfers_share * recurrent)
        gov.spend("infrastructure", (1.0 - services_share - transfers_share) * recurrent)


def _land_rule(s: State, cfg: Config, gov: CityGovernment) -> None:
    """More land when the firms a city lost in the last year (moves out and exits) exceed a share."""
    gp = cfg.government
    if gp.land_rule_outflow <= 0 or s.t < 4:
        return
    lost = int(sum(f.relocations_out[gov.city] + f.exits[gov.city] for f in s.history[-4:]))
    firms = max(views.firms_in_city(s, gov.city), 1)
    if lost / firms > gp.land_rule_outflow:
        gov.land_multiplier = min(gov.land_multiplier + gp.land_rule_step, max(gp.land_rule_max, gov.land_multiplier))


def _austerity_rule(cfg: Config, gov: CityGovernment) -> None:
    """Cut subsidies while reserves are below some quarters of last quarter's revenue."""
    gp = cfg.government
    if gp.austerity_reserve_quarters <= 0:
        gov.subsidy_factor = 1.0
        return
    last = gov.last_revenue
    short = last > 0 and gov.reserves < gp.austerity_reserve_quarters * last
    gov.subsidy_factor = 1.0 - gp.austerity_cut if short else 1.0


def construction_cost(s: State, cfg: Config, city: int) -> float:
    """Construction cost of floor a city builds itself this quarter, ¥ per m² (2018 cost × growth
    of income per resident)."""
    return cfg.government.construction_cost.as_list()[city] * float(s.economy.per_resident[city])


def land_books(s: State, cfg: Config, c: int, scale: float) -> tuple[float, float, float, float]:
    """The quarter's land supply of city ``c`` at multiplier ``scale``, and its money.

    The land value of new floor is ``land_value_share`` × its market value (house price;
    commercial rent capitalised); selling the use rights brings it in. Reserve land costs
    ``acquisition_cost_share`` of that value, renewal ``renewal_cost_share``.

    Returns:
        Commercial and residential floor (m²), land-sale revenue and cost (¥), all per quarter.
    """
    land, gp = cfg.land, cfg.government
    renewal = land.renewal_share.as_list()[c]
    com = land.commercial_supply_m2.as_list()[c] / 4.0 * scale
    res = land.residential_supply_m2.as_list()[c] / 4.0 * scale
    share = gp.land_value_share.as_list()[c]
    value = share * (com * views.city_commercial_value(s, c) + res * views.city_house_price(s, c))
    cost = value * (renewal * gp.renewal_cost_share + (1.0 - renewal) * gp.acquisition_cost_share)
    return com, res, value, cost


def _land(s: State, cfg: Config) -> None:
    """New floor space, as far as each city can pay for it; its land is sold at market value."""
    renewal = np.array(cfg.land.renewal_share.as_list())
    for gov in s.governments:
        c = gov.city
        com, res, sales, cost = land_books(s, cfg, c, gov.land_multiplier)
        # land pays for itself in part: only the cost not covered by land sales needs reserves
        net = cost - sales
        share = gov.affordable_share(net) if net > 0 else 1.0
        gov.collect("land_sales", sales * share)
        gov.spend("land", cost * share)
        new_com = np.where(np.arange(N_CITIES) == c, com * share, 0.0)
        new_res = np.where(np.arange(N_CITIES) == c, res * share, 0.0)
        markets.add_floor(s, new_com, new_res, renewal)


def _talent_housing(s: State, cfg: Config) -> None:
    """Talent housing: built by the city on renewal land (construction plus the renewal cost of
    the land at its residential value)."""
    gp = cfg.government
    for gov in s.governments:
        m2 = gp.talent_housing_m2.as_list()[gov.city] / 4.0
        if m2 <= 0:
            continue
        land = gp.land_value_share.as_list()[gov.city] * views.city_house_price(s, gov.city)
        per_m2 = construction_cost(s, cfg, gov.city) + gp.renewal_cost_share * land
        spent = gov.spend("talent_housing", m2 * per_m2)
        built = spent / max(per_m2, 1e-9)
        markets.add_floor(
            s, np.zeros(N_CITIES), np.where(np.arange(N_CITIES) == gov.city, built, 0.0), np.ones(N_CITIES)
        )


def _parks(s: State, cfg: Config) -> None:
    """Shenzhen builds commercial floor in the designated Dongguan and Huizhou parks."""
    gp, cells = cfg.government, s.cells
    m2 = gp.park_floor_m2 / 4.0
    if m2 <= 0 or not cells.park_mask.any():
        return
    sz = s.governments[SZ]
    # construction plus the acquisition of reserve land in the host cities, at its commercial value
    hosts = np.unique(cells.city[cells.park_mask])
    land = float(np.mean([gp.land_value_share.as_list()[c] * views.city_commercial_value(s, c) for c in hosts]))
    per_m2 = float(np.mean([construction_cost(s, cfg, c) for c in hosts])) + gp.acquisition_cost_share * land
    spent = sz.spend("parks", m2 * per_m2)
    built = spent / max(per_m2, 1e-9)
    where = np.flatnonzero(cells.park_mask)
    weight = np.maximum(cells.com_cap[where], 0.0) + 1.0
    cells.com_cap[where] += built * weight / weight.sum()
    markets.fill_new_cell_rents(s)


def _services(s: State, cfg: Config) -> None:
    """Spending on school places and hospital beds raises the service index and amenity."""
    gp, sp = cfg.government, cfg.services
    residents = s.economy.residents
    for gov in s.governments:
        amount = gov.subsidy_factor * gp.services_spending.as_list()[gov.city] / 4.0
        if amount <= 0:
            continue
        spent = gov.spend("services", amount)
        per_capita = spent / 1e9 * (1e7 / residents[gov.city])
        gov.hospital_beds += gp.beds_per_billion * per_capita
        gov.students_per_teacher = max(gov.students_per_teacher - gp.class_ratio_per_billion * per_capita, 5.0)
    index = service_index(
        [g.hospital_beds for g in s.governments],
        [g.students_per_teacher for g in s.governments],
        sp.beds_reference,
        sp.students_reference,
    )
    s.cells.amenity = geography.amenity_index(s.map, index)


def _plan_subsidies(s: State, cfg: Config) -> None:
    """Subsidy rates for the quarter, scaled down where last quarter's bill would not be affordable."""
    gp, cities = cfg.government, s.cities
    eligible = views.eligible_talent_by_city(s, cfg)
    for gov in s.governments:
        c = gov.city
        per_head = gov.subsidy_factor * gp.talent_subsidy.as_list()[c] / 4.0
        bill = per_head * eligible[c] * s.talent_scale / cfg.population_share
        cities.talent_subsidy[c] = per_head * (gov.affordable_share(bill) if bill > 0 else 1.0)
        cities.rd_subsidy[c] = gov.subsidy_factor * gp.rd_subsidy_rate.as_list()[c]


def taxes_and_subsidies(s: State, cfg: Config) -> None:
    """After production: governments collect taxes, then pay the subsidies."""
    _collect_revenue(s, cfg)
    _pay_subsidies(s, cfg)


def _collect_revenue(s: State, cfg: Config) -> None:
    """Profit tax, tax on skilled wages and incubator repayments, after production."""
    firms, gp = s.firms, cfg.government
    alive = firms.alive_index()
    city = s.cells.city[firms.cell[alive]]
    profit_tax = np.bincount(city, weights=firms.tax[alive], minlength=N_CITIES)
    wage_tax = np.array(gp.wage_tax.as_list()) * views.wage_bills_by_city(s)
    owing = alive[(firms.grant_outstanding[alive] > 0) & (firms.profit[alive] > 0)]
    repay = np.minimum(gp.incubator_repay_share * firms.output[owing], firms.grant_outstanding[owing])
    repay = np.minimum(repay, np.maximum(firms.cash[owing], 0.0))
    firms.cash[owing] -= repay
    firms.grant_outstanding[owing] -= repay
    repaid = np.bincount(s.cells.city[firms.cell[owing]], weights=repay, minlength=N_CITIES)
    share = cfg.population_share
    gdp = background_gdp(s, cfg)
    for gov in s.governments:
        gov.collect("other_taxes", gov.other_tax_share * float(gdp[gov.city]))
        gov.collect("profit_tax", float(profit_tax[gov.city]) / share)
        gov.collect("wage_tax", float(wage_tax[gov.city]) / share)
        gov.collect("incubator_repayments", float(repaid[gov.city]) / share)


def _pay_subsidies(s: State, cfg: Config) -> None:
    """Start-up rent, R&D and park-rent subsidies to firms, and the talent subsidy, after
    production; each city pays what its reserves allow (pro rata)."""
    firms, gp, cells = s.firms, cfg.government, s.cells
    alive = firms.alive_index()
    city = cells.city[firms.cell[alive]]
    young = (s.t - firms.born[alive]) < gp.startup_age_quarters
    rent_rate = np.array(gp.startup_rent_subsidy.as_list())[city]
    factor = np.array([g.subsidy_factor for g in s.governments])[city]
    claims = {
        "startup_rent_subsidy": np.where(young, rent_rate * factor * firms.rent_bill[alive], 0.0),
        "rd_subsidy": s.cities.rd_subsidy[city] * firms.rd_spend[alive],
    }
    firms.subsidies[alive] = 0.0
    for lever, claim in claims.items():
        _pay_firms(s, cfg, alive, city, claim, lever)
    if gp.park_rent_subsidy > 0:
        in_park = cells.park_mask[firms.cell[alive]] & (firms.origin_city[alive] == SZ) & (city != SZ)
        claim = np.where(in_park, gp.park_rent_subsidy * firms.rent_bill[alive], 0.0)
        _pay_firms(s, cfg, alive, np.full(alive.size, SZ), claim, "parks")
    eligible = views.eligible_talent_by_city(s, cfg)
    for gov in s.governments:
        bill = s.cities.talent_subsidy[gov.city] * eligible[gov.city] * s.talent_scale / cfg.population_share
        paid = gov.spend("talent_subsidy", bill)
        if bill > 0 and paid < bill:
            s.cities.talent_subsidy[gov.city] *= paid / bill


def _pay_firms(s: State, cfg: Config, firms_idx: np.ndarray, payer: np.ndarray, claim: np.ndarray, lever: str) -> None:
    """Pay firms' claims, pro rata to what each city can afford (booked at city scale)."""
    totals = np.bincount(payer, weights=claim, minlength=N_CITIES) / cfg.population_share
    for gov in s.governments:
        if totals[gov.city] <= 0:
            continue
        paid = gov.spend(lever, float(totals[gov.city]))
        share = paid / totals[gov.city]
        mine = payer == gov.city
        amount = claim[mine] * share
        s.firms.cash[firms_idx[mine]] += amount
        s.firms.subsidies[firms_idx[mine]] += amount


def incubator_grants(s: State, cfg: Config, new_firms: np.ndarray) -> None:
    """Each new start-up of a city receives its incubator grant, as far as the budget allows."""
    gp, firms = cfg.government, s.firms
    city = s.cells.city[firms.cell[new_firms]]
    for gov in s.governments:
        mine = new_firms[city == gov.city]
        grant = gov.subsidy_factor * gp.incubator_grant.as_list()[gov.city]
        if mine.size == 0 or grant <= 0:
            continue
        booked = gov.spend("incubators", grant * mine.size / cfg.population_share)
        paid = booked * cfg.population_share / mine.size
        firms.cash[mine] += paid
        firms.grant_outstanding[mine] += paid
