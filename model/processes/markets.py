"""Floor-space markets: commercial and residential rents and new floor space.

Two markets per cell work the same way. Demand has two parts:

* the modelled agents' floor use (firms: floor per worker × workers; talent: floor per
  household, which answers the household's income and the rent with constant elasticities,
  :func:`household_floor`), counted for the whole population the agents stand for (× 1 /
  ``population_share``, so a sample gives the same rents as the full population), and
* the rest of the economy (the 'background'). Its commercial demand is ``spend / rent``
  (unit-elastic, Cobb–Douglas in GDP). Its housing demand is declared with the same income and
  price elasticities as the talent's: ``D = (spend₀ / ρ_c)·(y/y₂₀₁₈)^ε_y·(N/N₂₀₁₈)·(rent/ρ_c)^(−ε_p)``,
  where spend₀ is ``housing_spend_share`` of 2018 income of its residents and ρ_c the city's
  2018 rent (:func:`background_housing_demand`).

Each quarter (phase :func:`clear_markets`) the rent moves toward the rent that clears the market
at the target occupancy (tâtonnement with a capped step). House prices capitalise the residential
rent at a user cost that falls with the appreciation owners expect, learnt adaptively from the
past growth of their city's rents. Firms signing a lease see the market-clearing rent given their
own floor (:class:`LeaseMarket`). New floor space arrives through :func:`add_floor` (land supply,
lever L1).

The pure kernels (no state, no random numbers) come first; the process functions after them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from corridor_abm.agents.talent import household_floor  # noqa: F401  (the housing-demand kernel, re-exported)
from corridor_abm.model import geography, views
from corridor_abm.model.params import PUBLIC, PerCity, param, per_city
from corridor_abm.model.processes import house_prices
from corridor_abm.model.processes.production import update_workforce
from corridor_abm.model.state import N_CITIES, Economy, State

if TYPE_CHECKING:
    from corridor_abm.model.config import Config


@dataclass
class EconomyParams:
    """The city economies around the modelled firms and talent (the 'background')."""

    residents: PerCity = param(
        per_city(7.5e6, 13.0e6, 8.4e6, 4.8e6), "persons", "Resident population in 2018", PUBLIC, lo=1.0
    )
    resident_growth: PerCity = param(
        per_city(0.007, 0.035, 0.015, 0.015),
        "per year",
        "Growth of the resident population (trend of the 2010s continues): more residents spend "
        "more on floor space and share the city's public services",
        "approx. public figure",
        lo=-0.1,
        hi=0.2,
    )
    income_per_resident: PerCity = param(
        per_city(1.8e5, 0.75e5, 0.5e5, 0.45e5),
        "¥ per year",
        "Mean household income per resident in 2018",
        "approx. public figure",
        lo=1.0,
    )
    gdp: PerCity = param(per_city(2.4e12, 2.42e12, 0.83e12, 0.41e12), "¥ per year", "GDP in 2018", PUBLIC, lo=1.0)
    nominal_growth: PerCity = param(
        per_city(0.0328, 0.0435, 0.0542, 0.0542),
        "per year",
        "Nominal growth of GDP per resident and income per resident (the city's GDP grows by this "
        "and resident_growth together: 4%, 8%, 7% and 7% a year by default)",
        "approx. public figure (2010s trend of nominal GDP growth less population growth)",
        lo=-0.2,
        hi=0.3,
    )
    housing_spend_share: float = param(
        0.25,
        "share of income",
        "Share of household income spent on housing (Cobb–Douglas)",
        "assumption",
        lo=0.01,
        hi=0.9,
    )
    commercial_spend_share: float = param(
        0.07,
        "share of GDP",
        "Share of background GDP spent on commercial and industrial floor space",
        "assumption",
        lo=0.001,
        hi=0.5,
    )
    mortgage_rate: PerCity = param(
        per_city(0.025, 0.054, 0.054, 0.054),
        "per year",
        "Mortgage interest rate (HK prime-based; mainland 5-year LPR-based)",
        "approx. public figure (2018)",
        lo=0.0,
        hi=0.3,
    )

    credit_premium: PerCity = param(
        per_city(0.0, 0.0, 0.0, 0.0),
        "per year",
        "Premium on the user cost of housing from property-credit rules (loan-to-value caps, banks' "
        "mortgage concentration limits, lending against reference prices): 0 under the rules of "
        "2018; a path can tighten or ease it (scenario historical)",
        "assumption (its size); the rules: PBOC/CBIRC concentration caps from 2021-01-01, Shenzhen "
        "reference prices from 2021-02-08 (docs/research/issue12_figures.md B3)",
        lo=-0.05,
        hi=0.2,
    )

    def residents_at(self, t: int) -> np.ndarray:
        """Residents per city in quarter ``t`` (0 = 2018Q1), persons."""
        return np.array(self.residents.as_list()) * np.power(1.0 + np.array(self.resident_growth.as_list()), t / 4.0)

    def per_resident_growth(self, t: int) -> np.ndarray:
        """Growth of GDP and income per resident from 2018Q1 to quarter ``t``, per city (× 2018)."""
        return np.power(1.0 + np.array(self.nominal_growth.as_list()), t / 4.0)

    def expected_growth(self) -> np.ndarray:
        """Nominal growth of the whole background economy (per-resident growth and residents),
        per city, per year: what owners first expect rents to grow by."""
        return (1.0 + np.array(self.nominal_growth.as_list())) * (1.0 + np.array(self.resident_growth.as_list())) - 1.0


@dataclass
class MarketParams:
    """How rents and house prices form from excess demand each quarter."""

    target_occupancy: float = param(
        0.92,
        "share of capacity",
        "Occupancy at which rents stop rising (natural vacancy 8%)",
        lo=0.3,
        hi=0.999,
    )
    adjustment_speed: float = param(
        0.3,
        "1",
        "Elasticity of the quarterly rent change to the demand/supply ratio",
        lo=0.0,
        hi=2.0,
    )
    max_quarterly_change: float = param(0.05, "share", "Cap on a cell's rent change in one quarter", lo=0.0, hi=1.0)
    depreciation: float = param(
        0.015, "per year", "Depreciation and upkeep in the user cost of housing", lo=0.0, hi=0.2
    )
    expectation_smoothing: float = param(
        0.1,
        "per quarter",
        "Weight of the latest rent growth in expected appreciation (adaptive expectations)",
        lo=0.0,
        hi=1.0,
    )
    expectation_anchor: float = param(
        0.5,
        "share",
        "Weight of the long-run anchor (the city's 2018 trend growth of nominal income) in what owners "
        "learn each quarter, against the latest rent growth: 0 is adaptive expectations alone, 1 "
        "expectations fixed at the trend",
        "Glaeser, Huang, Ma & Shleifer (2017, J. Econ. Perspectives 31(1)): Chinese buyers expect "
        "appreciation in line with the long-run growth of incomes; the weight is an assumption "
        "(sensitivity in docs/calibration.md)",
        lo=0.0,
        hi=1.0,
    )
    expectation_price_weight: float = param(
        0.0,
        "share",
        "Weight of the city's latest house-price growth, against its rent growth, in the recent "
        "growth owners learn from (price-extrapolative expectations): 0 is rents alone",
        "Case & Shiller (2003, Brookings Pap. Econ. Act. 2003(2)); Glaeser & Nathanson (2017, J. "
        "Financ. Econ. 126(1)): buyers extrapolate recent prices. Off by default: its size is not "
        "pinned down here, and the backtest must not choose it (docs/ODD.md §7.8 shows what it does)",
        lo=0.0,
        hi=1.0,
    )
    expectation_bound: float = param(
        0.15,
        "per year",
        "Bound on the annualised recent growth (rents and, with a price weight, prices) owners "
        "learn from, either side of zero: one quarter's jump is not read as a lasting trend",
        "assumption",
        lo=0.01,
        hi=1.0,
    )
    price_adjustment: float = param(
        0.1,
        "per quarter",
        "Share of the log gap between a home's price-to-rent ratio and its user-cost ratio that "
        "closes in a quarter (1: prices equal the user-cost value at once; rents pass through "
        "at once either way)",
        "Capozza, Hendershott & Mack (2004, Real Estate Econ. 32(1)): house prices close gaps to "
        "their fundamental slowly; Genesove & Mayer (2001, QJE 116(4)): sellers resist cuts. The "
        "size (a third of the gap in a year) is an assumption; docs/ODD.md §7.8 gives 0.2",
        lo=0.01,
        hi=1.0,
    )
    min_user_cost: float = param(
        0.015,
        "per year",
        "Floor on the user cost of housing (keeps prices finite when growth is expected)",
        lo=0.001,
        hi=0.5,
    )
    risk_premium: PerCity = param(
        per_city(0.0, 0.0, 0.0, 0.0),
        "per year",
        "Risk and liquidity premium owners require in the user cost of a home in the city, added "
        "after the floor (min_user_cost): with expected growth above the cost of funds the floor "
        "binds in every city, and this premium alone sets how the price-to-rent ratio differs "
        "between them",
        "Himmelberg, Mayer & Sinai (2005, J. Econ. Perspectives 19(4)): the user cost includes a "
        "risk premium; its size per city is calibrated to the 2018 house-price ratios "
        "(calibration/parameters.csv)",
        lo=-0.01,
        hi=0.2,
    )
    housing_income_elasticity: float = param(
        0.6,
        "1",
        "Income elasticity of housing floor demand (talent households and the rest of the economy)",
        "Albouy, Ehrlich & Liu (2016): 0.5–0.8 (shared/docs/economics-references.md)",
        lo=0.0,
        hi=2.0,
    )
    housing_price_elasticity: float = param(
        0.6,
        "1",
        "Price (rent) elasticity of housing floor demand, absolute value (1: Cobb–Douglas)",
        "Albouy, Ehrlich & Liu (2016): 0.5–0.8 (shared/docs/economics-references.md)",
        lo=0.05,
        hi=2.0,
    )
    burn_in_quarters: int = param(
        8,
        "quarters",
        "Quarters of market adjustment before 2018Q1 with agents' locations held",
        lo=0,
        hi=200,
    )


# --------------------------------------------------------------------------------------------
# pure kernels

_TINY = 1e-9


def background_housing_demand(
    spend: np.ndarray, rent: np.ndarray, reference: np.ndarray | None, elasticity: float
) -> np.ndarray:
    """Floor demanded by the rest of the economy: ``(spend / ρ)·(rent / ρ)^(−ε)``, m².

    ``spend`` is the Cobb–Douglas spending at the reference rent ρ (so ε = 1, or no reference,
    gives ``spend / rent``).
    """
    rent = np.maximum(rent, _TINY)
    if reference is None or elasticity == 1.0:
        return spend / rent
    ref = np.maximum(reference, _TINY)
    return spend / ref * np.power(rent / ref, -elasticity)


def excess_demand_ratio(
    rent: np.ndarray,
    background_spend: np.ndarray,
    modelled_use: np.ndarray,
    capacity: np.ndarray,
    target_occupancy: float,
    reference: np.ndarray | None = None,
    elasticity: float = 1.0,
) -> np.ndarray:
    """Demand over occupied-at-target supply; 1 means the market clears.

    Args:
        rent: Current rent per m² per quarter.
        background_spend: Background spending on floor space per quarter at the reference rent (¥).
        modelled_use: Floor used by modelled agents (m²).
        capacity: Floor space (m²).
        target_occupancy: Occupancy at which rents are stable.
        reference: Reference rent of the background's demand per cell (None: unit-elastic).
        elasticity: Price elasticity of the background's demand.

    Returns:
        Ratio per cell (NaN where capacity is zero).
    """
    demand = background_housing_demand(background_spend, rent, reference, elasticity) + modelled_use
    supply = target_occupancy * capacity
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(capacity > 0, demand / supply, np.nan)


def update_rent(
    rent: np.ndarray,
    background_spend: np.ndarray,
    modelled_use: np.ndarray,
    capacity: np.ndarray,
    target_occupancy: float,
    speed: float,
    max_change: float,
    reference: np.ndarray | None = None,
    elasticity: float = 1.0,
) -> np.ndarray:
    """One quarter of rent adjustment: ``rent × ratio**speed``, the step capped at ±max_change.

    Cells without floor space keep their rent (it is a notional asking rent there).

    Returns:
        The new rent per cell (positive and finite wherever the old one was).
    """
    ratio = excess_demand_ratio(rent, background_spend, modelled_use, capacity, target_occupancy, reference, elasticity)
    factor = np.where(np.isfinite(ratio), np.power(np.maximum(ratio, _TINY), speed), 1.0)
    factor = np.clip(factor, 1.0 - max_change, 1.0 + max_change)
    return rent * factor


def clearing_rent(
    background_spend: np.ndarray,
    modelled_use: np.ndarray,
    capacity: np.ndarray,
    target_occupancy: float,
    max_modelled_share: float = 0.8,
    reference: np.ndarray | None = None,
    elasticity: float = 1.0,
) -> np.ndarray:
    """Rent at which demand equals supply at the target occupancy (closed form).

    ``D(r) + use = occ × cap`` with ``D(r) = (spend/ρ)(r/ρ)^(−ε)`` ⇒ ``r = ρ·(spend / (ρ·free))^(1/ε)``
    (``r = spend / free`` when unit-elastic), free = occ × cap − use. The modelled use is capped
    at ``max_modelled_share`` of the occupied supply so the rent stays finite; the tâtonnement
    takes over from there.

    Returns:
        Rent per cell (NaN where capacity is zero).
    """
    supply = target_occupancy * capacity
    free = np.maximum(supply - modelled_use, (1.0 - max_modelled_share) * supply)
    with np.errstate(divide="ignore", invalid="ignore"):
        if reference is None or elasticity == 1.0:
            rent = background_spend / free
        else:
            ref = np.maximum(reference, _TINY)
            rent = ref * np.power(background_spend / (ref * free), 1.0 / elasticity)
        return np.where(capacity > 0, rent, np.nan)


def spread_by_weight(city_total: np.ndarray, cell_city: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Spread each city's total over its cells in proportion to ``weight``.

    Args:
        city_total: One total per city.
        cell_city: City index of each cell.
        weight: Non-negative weight per cell.

    Returns:
        Per-cell share of the city total (zero where the city's weights sum to zero).
    """
    sums = np.bincount(cell_city, weights=weight, minlength=len(city_total))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(sums[cell_city] > 0, weight / sums[cell_city], 0.0)
    return np.asarray(city_total)[cell_city] * share


# --------------------------------------------------------------------------------------------
# the background economy and the market phase


def start_economy(cfg: Config, t: int) -> Economy:
    """Residents and income per resident in quarter ``t`` (≤ 0) at the rates of ``cfg``."""
    eco = cfg.economy
    return Economy(
        residents=eco.residents_at(t),
        per_resident=eco.per_resident_growth(t),
        growth_2018=np.array(eco.nominal_growth.as_list(), dtype=float),
    )


def advance_economy(s: State, cfg: Config) -> None:
    """Grow residents and income per resident by one quarter at the rates in force:
    ``N(t+1) = N(t)·(1 + n)^¼`` and ``y(t+1) = y(t)·(1 + g)^¼`` (``economy.resident_growth``,
    ``economy.nominal_growth``; with constant rates the closed forms of
    :meth:`EconomyParams.residents_at` and :meth:`EconomyParams.per_resident_growth`)."""
    eco = cfg.economy
    s.economy.residents = s.economy.residents * np.power(1.0 + np.array(eco.resident_growth.as_list()), 0.25)
    s.economy.per_resident = s.economy.per_resident * np.power(1.0 + np.array(eco.nominal_growth.as_list()), 0.25)


def background_spend(s: State, cfg: Config) -> tuple[np.ndarray, np.ndarray]:
    """Quarterly spending of the rest of the economy on floor space, per cell (¥): shares of the
    city's GDP (commercial) and of its other residents' income (residential), both growing with
    residents and with income per resident."""
    eco = cfg.economy
    per_resident = s.economy.per_resident
    residents = s.economy.residents
    gdp = np.array(eco.gdp.as_list()) * per_resident * (residents / np.array(eco.residents.as_list())) / 4.0
    # the modelled talent stand for all the corridor's S&T workers (whatever population_share)
    st_workers = np.array(cfg.talent.st_workers.as_list())
    income = np.array(eco.income_per_resident.as_list())
    # housing spending at the 2018 rent: income per resident enters with the income elasticity
    elastic_income = income * np.power(per_resident, cfg.market.housing_income_elasticity)
    bg_income = np.maximum(residents - st_workers, 0.0) * elastic_income / 4.0
    cells = s.cells
    centrality = 1.0 + cfg.map.centrality_weight * s.map.centrality
    com = spread_by_weight(eco.commercial_spend_share * gdp, cells.city, cells.com_cap * centrality)
    res = spread_by_weight(eco.housing_spend_share * bg_income, cells.city, cells.res_cap * centrality)
    return com, res


def housing_reference(s: State) -> np.ndarray:
    """The 2018 reference rent of each cell's city (ρ_c), ¥ per m² per quarter."""
    return s.cities.rent_reference[s.cells.city]


def set_housing_references(s: State, cfg: Config) -> None:
    """The 2018 references of housing demand, from the rents before the agents are placed:
    each city's floor-weighted mean rent (ρ_c), and the reference talent household's rent
    and income (means weighted by S&T workers)."""
    cells, cities = s.cells, s.cities
    ok = (cells.res_cap > 0) & (cells.res_rent > 0)
    ref = np.ones(N_CITIES)
    for c in range(N_CITIES):
        m = ok & (cells.city == c)
        if m.any():
            ref[c] = float(np.average(cells.res_rent[m], weights=cells.res_cap[m]))
    weight = np.array(cfg.talent.st_workers.as_list())
    cities.rent_reference = ref
    cities.talent_rent_reference = float(np.average(ref, weights=weight))
    cities.talent_income_reference = float(np.average(cities.wage, weights=weight))


def clear_markets(s: State, cfg: Config) -> None:
    """Households adjust their floor to income and rent; rents move with excess demand;
    expectations and house prices follow."""
    mk, cells = cfg.market, s.cells
    update_workforce(s, cfg)
    from corridor_abm.model.processes.migration import refresh_floor

    talent = s.talent
    refresh_floor(s, cfg, np.flatnonzero(talent.alive & (talent.home >= 0)))
    com_use, res_use = views.floor_use(s)
    bg_com, bg_res = background_spend(s, cfg)
    cells.com_rent = update_rent(
        cells.com_rent,
        bg_com,
        com_use,
        cells.com_cap,
        mk.target_occupancy,
        mk.adjustment_speed,
        mk.max_quarterly_change,
    )
    old = cells.res_rent
    cells.res_rent = update_rent(
        old,
        bg_res,
        res_use,
        cells.res_cap,
        mk.target_occupancy,
        mk.adjustment_speed,
        mk.max_quarterly_change,
        housing_reference(s),
        mk.housing_price_elasticity,
    )
    house_prices.update_house_prices(s, cfg, old)


def set_clearing_rents(s: State, cfg: Config, elastic: bool = True) -> None:
    """Rents at which every market clears given today's floor use (used while building 2018;
    ``elastic=False`` before the housing references exist: unit-elastic housing demand)."""
    mk, cells = cfg.market, s.cells
    update_workforce(s, cfg)
    com_use, res_use = views.floor_use(s)
    bg_com, bg_res = background_spend(s, cfg)
    cells.com_rent = clearing_rent(bg_com, com_use, cells.com_cap, mk.target_occupancy)
    cells.res_rent = clearing_rent(
        bg_res,
        res_use,
        cells.res_cap,
        mk.target_occupancy,
        reference=housing_reference(s) if elastic else None,
        elasticity=mk.housing_price_elasticity,
    )
    cells.com_rent[~(cells.com_cap > 0)] = 0.0
    cells.res_rent[~(cells.res_cap > 0)] = 0.0
    fill_new_cell_rents(s)
    house_prices.update_house_prices(s, cfg, cells.res_rent, sticky=False)


class LeaseMarket:
    """Commercial rents a tenant signing now expects: the market-clearing rent given the floor
    already used plus its own (forward-looking firms see where rents are heading and their own
    weight in a small market). Built from the state at one moment; later changes are not seen.

    Args:
        s: The state.
        cfg: The configuration.
    """

    def __init__(self, s: State, cfg: Config) -> None:
        self.background, _ = background_spend(s, cfg)
        self.use = views.commercial_use(s)
        self.capacity = s.cells.com_cap
        self.occupancy = cfg.market.target_occupancy
        self.weight = s.market_weight

    def rent(self, cells: np.ndarray, extra_use: np.ndarray | float = 0.0) -> np.ndarray:
        """Lease rent at ``cells`` for a tenant adding ``extra_use`` m² of its own (it weighs in
        the market for the population it stands for), ¥ per m² per quarter."""
        return clearing_rent(
            self.background[cells], self.use[cells] + self.weight * extra_use, self.capacity[cells], self.occupancy
        )


# --------------------------------------------------------------------------------------------
# new floor space (land supply, lever L1)


def add_floor(s: State, commercial: np.ndarray, residential: np.ndarray, renewal: np.ndarray) -> None:
    """Add new floor space per city (m²): a ``renewal`` share densifies built cells (urban
    renewal, in proportion to their floor space); the rest is built on the most central
    reserve cells, each filled to a typical built density before the next is opened."""
    cells = s.cells
    for cap, new in ((cells.com_cap, np.asarray(commercial)), (cells.res_cap, np.asarray(residential))):
        if new.any():
            _add_floor(s, cap, new * renewal, new * (1.0 - renewal))
    fill_new_cell_rents(s)


def baseline_land(s: State, cfg: Config) -> None:
    """The configured land supply without a government budget (burn-in before 2018)."""
    land = cfg.land
    mult = np.array(land.multipliers())
    add_floor(
        s,
        np.array(land.commercial_supply_m2.as_list()) * mult / 4.0,
        np.array(land.residential_supply_m2.as_list()) * mult / 4.0,
        np.array(land.renewal_share.as_list()),
    )


def _add_floor(s: State, cap: np.ndarray, renewal: np.ndarray, greenfield: np.ndarray) -> None:
    city = s.cells.city
    built = s.cells.land_use == geography.BUILT
    if renewal.any():
        cap += spread_by_weight(renewal, city, np.where(built, cap, 0.0))
    for c in np.flatnonzero(greenfield > 0):
        remaining = float(greenfield[c])
        in_c = np.flatnonzero(city == c)
        built_c = in_c[built[in_c] & (cap[in_c] > 0)]
        density = float(np.percentile(cap[built_c], 75)) if built_c.size else 1e6
        reserve = in_c[s.map.land_use[in_c] == geography.RESERVE]
        # finish partly built reserve cells first, then open the most central ones
        order = reserve[np.lexsort((-s.map.centrality[reserve], ~(cap[reserve] > 0)))]
        for cell in order:
            room = density - cap[cell]
            if room <= 0:
                continue
            add = min(room, remaining)
            cap[cell] += add
            remaining -= add
            if remaining <= 0:
                break
        if remaining > 0:  # no reserve left: the rest densifies built cells
            cap += spread_by_weight(np.where(np.arange(N_CITIES) == c, remaining, 0.0), city, np.where(built, cap, 0.0))


def fill_new_cell_rents(s: State) -> None:
    """Cells that just received floor space start at their city's median asking rent."""
    cells = s.cells
    for rent, cap in ((cells.com_rent, cells.com_cap), (cells.res_rent, cells.res_cap)):
        new = (cap > 0) & ~(rent > 0)
        if not new.any():
            continue
        for c in np.unique(cells.city[new]):
            ref = rent[(cells.city == c) & (rent > 0)]
            rent[new & (cells.city == c)] = float(np.median(ref)) if ref.size else 1.0
    reserve = cells.land_use == geography.RESERVE
    cells.land_use[reserve & ((cells.com_cap > 0) | (cells.res_cap > 0))] = geography.BUILT
