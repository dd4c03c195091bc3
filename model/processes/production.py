"""Production: firms' workforce and floor space, agglomeration, productivity, output and profit.

Phases: :func:`update_productivity` (drift and shocks of log productivity, stream
``productivity``) and :func:`produce` (output, costs, tax, profit). :func:`update_workforce`
recomputes every firm's workers and floor space from the talent arrays; other processes call it
after they move workers. The functional forms are in :mod:`agents.firms`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from corridor_abm.agents import firms as fm
from corridor_abm.model import geography, kernels, views
from corridor_abm.model.params import ConfigError, PerCity, PerSector, param, per_city, per_sector
from corridor_abm.model.state import N_SECTORS, SECTORS, State, Travel

if TYPE_CHECKING:
    from corridor_abm.model.config import Config
    from corridor_abm.model.geography import CorridorMap


@dataclass
class FirmParams:
    """Firms: technology, costs and initial population."""

    hightech_firms: PerCity = param(
        per_city(3000, 14415, 4058, 1072),
        "firms",
        "Innovative firms in 2018, sets each city's share of the initial firms",
        "seed 003 (Shenzhen: 14,415 national high-tech firms); others approx. public figures",
        lo=1.0,
    )
    sector_mix_hk: PerSector = param(
        per_sector(0.10, 0.15, 0.55, 0.20),
        "share",
        "Sector shares of Hong Kong's initial firms",
        "approx. public figure (HK start-up survey: fintech, software, biotech)",
        lo=0.0,
        hi=1.0,
    )
    sector_mix_sz: PerSector = param(
        per_sector(0.17, 0.40, 0.35, 0.08),
        "share",
        "Sector shares of Shenzhen's initial firms",
        "approx. public figure (electronics and internet lead, seed 002)",
        lo=0.0,
        hi=1.0,
    )
    sector_mix_dg: PerSector = param(
        per_sector(0.50, 0.35, 0.08, 0.07),
        "share",
        "Sector shares of Dongguan's initial firms",
        "approx. public figure (seed 000: manufacturing base)",
        lo=0.0,
        hi=1.0,
    )
    sector_mix_hz: PerSector = param(
        per_sector(0.50, 0.38, 0.06, 0.06),
        "share",
        "Sector shares of Huizhou's initial firms",
        "approx. public figure",
        lo=0.0,
        hi=1.0,
    )
    size_tail: float = param(
        1.1,
        "1",
        "Pareto tail exponent of the initial firm-size distribution",
        "approx. public figure (firm sizes are near Zipf)",
        lo=0.5,
        hi=5.0,
    )
    max_size_share: float = param(
        0.03,
        "share",
        "Largest initial firm as a share of its city's talent (a Huawei-scale giant)",
        lo=0.0001,
        hi=0.5,
    )
    employed_share: float = param(
        0.85,
        "share",
        "Share of initial talent employed by modelled firms (the rest search)",
        lo=0.1,
        hi=1.0,
    )
    labour_elasticity: PerSector = param(
        per_sector(0.62, 0.64, 0.66, 0.64),
        "1",
        "Output elasticity of skilled labour (decreasing returns: firms have an optimal size)",
        lo=0.05,
        hi=0.95,
    )
    floor_elasticity: PerSector = param(
        per_sector(0.10, 0.07, 0.05, 0.07),
        "1",
        "Output elasticity of commercial floor space (its share of output at the optimum): "
        "firms lease (γ/β)·wage/rent m² per unit of labour, squeezing where rent is dear",
        "approx. public figure (rent is 5–10% of revenue)",
        lo=0.001,
        hi=0.5,
    )
    rd_intensity: PerSector = param(
        per_sector(0.015, 0.05, 0.08, 0.12),
        "share of output",
        "R&D spending as a share of output",
        "seed 003 (Shenzhen R&D 4.2% of GDP), split by sector: approx. public figures",
        lo=0.0,
        hi=0.9,
    )
    rd_city_factor: PerCity = param(
        per_city(0.25, 1.3, 0.8, 0.7),
        "× sector R&D intensity",
        "City factor on firms' R&D intensity: R&D/GDP is 4.2% in Shenzhen, ~2.5% in Dongguan, "
        "~2.2% in Huizhou and ~0.9% in Hong Kong",
        "seed 003 (Shenzhen 4.2%); others approx. public figures (seed-digest.md §3)",
        lo=0.0,
        hi=10.0,
    )
    fixed_cost_share: float = param(
        0.08,
        "share of initial output",
        "Quarterly overhead that does not scale with employment, as a share of the output the firm had at creation",
        lo=0.0,
        hi=0.9,
    )
    initial_cash_quarters: float = param(4.0, "quarters of wage bill", "Cash of the initial firms", lo=0.0, hi=100.0)
    listed_share: float = param(
        0.03,
        "share of firms",
        "Share of each city's 2018 firms that are listed (the largest); a share vc.hk_listing_share of "
        "mainland listings are in Hong Kong",
        "approx. public figure (seed 001: 101 Shenzhen firms listed in Hong Kong, over a quarter of its "
        "listed firms; Shenzhen's 14,415 high-tech firms, seed 003)",
        lo=0.0,
        hi=1.0,
    )
    credit_share: float = param(
        0.1,
        "× annual output",
        "Bank credit a firm can draw on (its financing capacity before any listing)",
        "assumption (collateral-based lending to SMEs is scarce; seed 003 calls for IP-backed finance)",
        lo=0.0,
        hi=10.0,
    )
    credit_rate: float = param(
        0.0435,
        "per year",
        "Interest a firm pays on the credit it draws (negative cash)",
        "approx. public figure (PBoC one-year benchmark lending rate 4.35%, 2018)",
        lo=0.0,
        hi=0.5,
    )
    hiring_cost_quarters: float = param(
        0.5,
        "quarters of wage per hire",
        "Cost of hiring a worker (recruiting, training, equipment) a firm must be able to finance",
        lo=0.0,
        hi=20.0,
    )
    constrained_rd_share: float = param(
        0.5,
        "× R&D intensity",
        "R&D a firm keeps while it cannot finance its costs (cash plus financing capacity below zero)",
        "Brown, Fazzari & Petersen (2009, J. Finance): R&D is cut first under financing constraints",
        lo=0.0,
        hi=1.0,
    )
    productivity_drift: float = param(
        0.06,
        "per year",
        "Nominal drift of firm productivity (prices and technical progress)",
        lo=-0.2,
        hi=0.5,
    )
    nominal_pass_through: float = param(
        0.0,
        "share",
        "Share of a change of the city's nominal growth during a run (a path of "
        "economy.nominal_growth, against the growth in force in 2018Q1) that shifts the nominal "
        "productivity drift of the firms headquartered there: with 1, a city's recession or boom "
        "moves its firms' prices and sales as it moves the wages' trend",
        "assumption: 0 (off), the modelled firms are high-tech firms selling far beyond their city, so "
        "their revenue need not follow its income per resident; acts only where nominal growth "
        "follows a path (the historical scenario), never on a constant growth; what 1 changes in the "
        "backtest: README, 'Backtest'",
        lo=0.0,
        hi=2.0,
    )
    productivity_volatility: float = param(
        0.03, "per √quarter", "Idiosyncratic productivity shock (log), per quarter", lo=0.0, hi=1.0
    )
    workforce_band: float = param(
        0.05,
        "share of workforce",
        "Gap between target and actual workforce a firm tolerates (hiring and firing costs)",
        lo=0.0,
        hi=1.0,
    )
    workforce_adjustment: float = param(
        0.5, "share per quarter", "Share of a larger gap a firm closes in one quarter", lo=0.0, hi=1.0
    )
    max_growth: float = param(
        0.15,
        "share per quarter",
        "Largest change of a firm's workforce in one quarter (hiring and firing frictions)",
        lo=0.0,
        hi=1.0,
    )
    corporate_tax: PerCity = param(
        per_city(0.165, 0.15, 0.15, 0.15),
        "share of profit",
        "Profit tax (HK 16.5%; mainland high-tech rate 15%)",
        "approx. public figure",
        lo=0.0,
        hi=0.9,
    )
    agglomeration_elasticity: float = param(
        0.03,
        "1",
        "Elasticity of productivity to nearby related employment (holds firms in clusters)",
        "assumption (agglomeration literature: 0.02–0.10)",
        lo=0.0,
        hi=1.0,
    )
    agglomeration_minutes: float = param(
        30.0, "minutes", "Travel time over which agglomeration benefits decay by 1/e", lo=1.0
    )
    related_sector_weight: float = param(
        0.3,
        "1",
        "Weight of other sectors' employment in a firm's agglomeration (own sector = 1)",
        lo=0.0,
        hi=1.0,
    )

    def elasticities(self) -> tuple[np.ndarray, np.ndarray]:
        """Output elasticities of labour (β) and floor space (γ), by sector index."""
        return np.array(self.labour_elasticity.as_list()), np.array(self.floor_elasticity.as_list())

    def check(self, root: Config) -> None:
        """Sector mixes sum to one; returns to scale are decreasing."""
        for name in ("sector_mix_hk", "sector_mix_sz", "sector_mix_dg", "sector_mix_hz"):
            total = sum(getattr(self, name).as_list())
            if not 0.999 <= total <= 1.001:
                raise ConfigError(f"firms.{name} sums to {total:g}; the four sector shares must sum to 1.")
        for s, b, g in zip(SECTORS, self.labour_elasticity.as_list(), self.floor_elasticity.as_list()):
            if b + g >= 0.98:
                raise ConfigError(
                    f"firms.labour_elasticity.{s} + firms.floor_elasticity.{s} = {b + g:g}: returns to scale "
                    "must be decreasing; allowed: a sum below 0.98."
                )


# --------------------------------------------------------------------------------------------
# phases


def update_productivity(s: State, cfg: Config, rng: np.random.Generator) -> None:
    """Drift and idiosyncratic shocks of log productivity (stream ``productivity``).

    Where a city's nominal growth differs from the growth in force in 2018Q1 (a path), its
    firms' drift moves by ``firms.nominal_pass_through`` times the difference
    (:func:`nominal_growth_gap`).
    """
    alive = s.firms.alive_index()
    shock = rng.standard_normal(alive.size)
    f = cfg.firms
    s.firms.log_a[alive] += f.productivity_drift / 4.0 + f.productivity_volatility * shock
    shift = f.nominal_pass_through * nominal_growth_gap(
        np.array(cfg.economy.nominal_growth.as_list()), s.economy.growth_2018
    )
    if np.any(shift != 0.0):  # a constant growth leaves the calibrated drift alone, to the bit
        s.firms.log_a[alive] += shift[s.cells.city[s.firms.cell[alive]]] / 4.0


def nominal_growth_gap(growth: np.ndarray, growth_2018: np.ndarray) -> np.ndarray:
    """Log gap between the nominal growth in force and the growth in force in 2018Q1, per city.

    ``log(1 + g) − log(1 + g_2018)`` (per year; the wages' trend takes ``log(1 + g)`` too).
    Zero where the growth has not changed, so a run without a path of
    ``economy.nominal_growth`` keeps the calibrated drift to the bit.
    """
    return np.log1p(growth) - np.log1p(growth_2018)


def produce(s: State, cfg: Config) -> None:
    """Output, costs, tax and profit of every firm; profit accumulates in cash.

    Output is value added net of the goods border's costs (``goods_cost`` records them);
    R&D rises with the city's R&D subsidy rate (``government.rd_response``) and falls to
    ``firms.constrained_rd_share`` while the firm cannot finance its costs; drawn credit
    (negative cash) pays ``firms.credit_rate``."""
    firms, cells = s.firms, s.cells
    beta, gamma = cfg.firms.elasticities()
    corporate_tax = np.array(cfg.firms.corporate_tax.as_list())
    update_workforce(s, cfg)
    update_agglomeration(s, cfg)
    alive = firms.alive_index()
    sector = firms.sector[alive]
    labour = firms.eff[alive] * s.talent_scale
    floor = firms.floor_hq[alive] + firms.floor_div[alive]
    firms.output[alive] = fm.output(views.firm_tfp(s, cfg, alive), labour, floor, beta[sector], gamma[sector])
    firms.wage_bill[alive] = views.wage_bills(s)[alive]
    div = firms.div_cell[alive]
    rent_div = np.where(div >= 0, cells.com_rent[np.maximum(div, 0)], 0.0)
    firms.rent_bill[alive] = (
        firms.floor_hq[alive] * cells.com_rent[firms.cell[alive]] + firms.floor_div[alive] * rent_div
    )
    city = cells.city[firms.cell[alive]]
    boost = 1.0 + cfg.government.rd_response * s.cities.rd_subsidy[city]
    # a firm that cannot finance its costs cuts R&D first
    constrained = firms.cash[alive] + views.finance_capacity(s, cfg, alive) < 0
    boost = boost * np.where(constrained, cfg.firms.constrained_rd_share, 1.0)
    firms.rd_spend[alive] = firms.rd[alive] * boost * firms.output[alive]
    share = cells.goods_share[firms.cell[alive], sector]
    firms.goods_cost[alive] = firms.output[alive] * share / (1.0 - share)
    interest = cfg.firms.credit_rate / 4.0 * np.maximum(-firms.cash[alive], 0.0)
    before_tax = (
        firms.output[alive]
        - firms.wage_bill[alive]
        - firms.rent_bill[alive]
        - firms.rd_spend[alive]
        - firms.fixed_cost[alive]
        - interest
    )
    firms.tax[alive] = corporate_tax[city] * np.maximum(before_tax, 0.0)
    firms.profit[alive] = before_tax - firms.tax[alive]
    firms.cash[alive] += firms.profit[alive]
    firms.loss_streak[alive] = np.where(firms.profit[alive] < 0, firms.loss_streak[alive] + 1, 0)


# --------------------------------------------------------------------------------------------
# workforce, floor space and agglomeration (called by every process that moves workers)


def update_workforce(s: State, cfg: Config) -> None:
    """Workers, division workers and efficiency units of every firm, from the talent arrays;
    then the floor space each firm leases."""
    firms, talent = s.firms, s.talent
    n = firms.n
    # bin 0 collects everyone without a modelled job; firm f is bin f + 1. Bincount adds in
    # agent order, so each firm's sums are those over its employees alone, to the bit.
    # (bincount converts int32 indices to intp and float32 weights to float64 on every call:
    # convert once, in place)
    row = talent.employer.astype(np.intp)
    row += 1
    row *= talent.alive
    skill = talent.skill.astype(np.float64)
    firms.eff[:] = np.bincount(row, weights=skill, minlength=n + 1)[1:]
    div = np.flatnonzero(talent.at_division)
    row_div, skill_div = row[div], skill[div]
    firms.eff_div[:] = np.bincount(row_div, weights=skill_div, minlength=n + 1)[1:]
    heads = np.bincount(row, minlength=n + 1)[1:]
    firms.workers_div[:] = np.bincount(row_div, minlength=n + 1)[1:]
    firms.workers[:] = heads - firms.workers_div
    update_floor(s, cfg)


def update_floor(s: State, cfg: Config) -> None:
    """Floor each firm leases at its sites: the cost-minimising ``(γ/β)·w/r`` per unit of
    labour, scaled down in a cell where modelled demand exceeds the cell's floor space."""
    firms, cells = s.firms, s.cells
    beta_s, gamma_s = cfg.firms.elasticities()
    alive = firms.alive_index()
    sector = firms.sector[alive]
    beta, gamma = beta_s[sector], gamma_s[sector]
    hq, div = firms.cell[alive], firms.div_cell[alive]
    has_div = div >= 0
    div_safe = np.maximum(div, 0)
    labour_div = firms.eff_div[alive] * s.talent_scale
    labour_hq = firms.eff[alive] * s.talent_scale - labour_div
    rent_hq = np.maximum(cells.com_rent[hq], 1e-9)
    rent_div = np.maximum(cells.com_rent[div_safe], 1e-9)
    wage = s.cities.wage
    want_hq = labour_hq * fm.floor_per_labour(beta, gamma, wage[cells.city[hq]], rent_hq)
    want_div = np.where(
        has_div, labour_div * fm.floor_per_labour(beta, gamma, wage[cells.city[div_safe]], rent_div), 0.0
    )
    wanted = np.bincount(hq, weights=want_hq, minlength=s.n_cells)
    wanted += np.bincount(div_safe[has_div], weights=want_div[has_div], minlength=s.n_cells)
    # the agents' floor stands for the whole population's (× market_weight, as in the markets and
    # views.commercial_use): compare that with the cell's floor space
    wanted = wanted * s.market_weight
    cells.floor_ration = np.where(wanted > cells.com_cap, cells.com_cap / np.maximum(wanted, 1e-9), 1.0)
    firms.floor_hq[alive] = want_hq * cells.floor_ration[hq]
    firms.floor_div[alive] = want_div * np.where(has_div, cells.floor_ration[div_safe], 0.0)


def update_agglomeration(s: State, cfg: Config) -> None:
    """Agglomeration gain G[cell, sector] from related employment, decaying with travel time."""
    cells = s.cells
    employed = views.employed_index(s)
    where = views.job_cells(s, employed)
    sector = s.firms.sector[s.talent.employer[employed]]
    emp = (
        np.bincount(
            where * N_SECTORS + sector,
            weights=s.talent.skill[employed] * s.talent_scale,
            minlength=s.n_cells * N_SECTORS,
        )
        .reshape(s.n_cells, N_SECTORS)
        .astype(np.float32)
    )
    field = kernels.apply(s.travel.agg_kernel, emp)
    w = cfg.firms.related_sector_weight
    related = (1.0 - w) * field + w * field.sum(axis=1, keepdims=True)
    cells.related_employment = related
    cells.agglomeration = np.power(
        np.maximum(related, 1e-6) / cells.agg_reference, cfg.firms.agglomeration_elasticity
    ).astype(np.float64)


def agglomeration_kernel(minutes: np.ndarray, cfg: Config) -> np.ndarray:
    """Agglomeration weights between cells: ``exp(-minutes / firms.agglomeration_minutes)``."""
    return np.exp(-minutes / np.float32(cfg.firms.agglomeration_minutes))


def build_travel(cmap: CorridorMap, cfg: Config) -> Travel:
    """Travel times and the agglomeration kernel under ``cfg``'s transport: dense matrices on a
    coarse map, computed times and a grid kernel on a fine one (``map.dense_kernel_max_cells``)."""
    compute = functools.partial(geography.travel_minutes, cmap, cfg.transport)
    if geography.dense_kernels(cmap, cfg.map):
        minutes = geography.travel_matrix(cmap, cfg.transport)
        return Travel(minutes, agglomeration_kernel(minutes, cfg), compute)
    grid = kernels.GridKernel(cmap, cfg.transport, cfg.firms.agglomeration_minutes)
    return Travel(None, grid, compute)


def agglomeration_reference(s: State) -> float:
    """Employment-weighted mean related-employment field at firms' sites (G is about 1 there)."""
    firms = s.firms
    alive = firms.alive_index()
    field = s.cells.related_employment[firms.cell[alive], firms.sector[alive]]
    return float(np.average(field, weights=np.maximum(firms.eff[alive], 1e-9)))
