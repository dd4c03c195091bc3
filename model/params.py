"""Every parameter of the corridor model, in one place, one line each.

Each field is declared with :func:`param`, which records its meaning, unit, allowed range and
source. Those records do three jobs:

* hydra uses the dataclasses as typed structured configs (an unknown key or a wrong type stops
  the run before it starts);
* :func:`validate` checks every value against its range and names the key and what is allowed;
* ``python -m model.params`` writes ``docs/parameters.md``, the parameter reference.

Sources name the seed documents by file name (``shared/seeds/``) or say "approx. public figure"
where the documents are silent; "assumption" marks behavioural parameters that calibration
(``calibration/``) is meant to tune.

City-valued parameters use :class:`PerCity` (fields ``hk``, ``sz``, ``dg``, ``hz``); sector-valued
ones use :class:`PerSector`.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from typing import Any

SECTORS: tuple[str, ...] = ("manufacturing", "electronics", "software", "biotech")
"""Firm sectors in their fixed index order."""

SIZE_CLASSES: tuple[str, ...] = ("small", "medium", "large")
"""Firm size classes by employees: small < 100, medium 100–999, large ≥ 1000."""


class ConfigError(ValueError):
    """A configuration value is unknown, of the wrong type or out of its allowed range."""


@dataclass
class PerCity:
    """One value per city: Hong Kong, Shenzhen, Dongguan, Huizhou."""

    hk: float = 0.0
    sz: float = 0.0
    dg: float = 0.0
    hz: float = 0.0

    def as_list(self) -> list[float]:
        """Values in the fixed city order (HK, SZ, DG, HZ)."""
        return [self.hk, self.sz, self.dg, self.hz]


@dataclass
class PerSector:
    """One value per sector: manufacturing, electronics/hardware, software/internet, biotech."""

    manufacturing: float = 0.0
    electronics: float = 0.0
    software: float = 0.0
    biotech: float = 0.0

    def as_list(self) -> list[float]:
        """Values in the fixed sector order."""
        return [self.manufacturing, self.electronics, self.software, self.biotech]


def param(
    default: Any,
    unit: str,
    doc: str,
    source: str = "assumption",
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
) -> Any:
    """Declare a parameter with its documentation and allowed range.

    Args:
        default: Default value (a PerCity/PerSector instance is copied per config).
        unit: Unit of the value (or of each city's/sector's value).
        doc: What the parameter means.
        source: Seed document file name, "approx. public figure ..." or "assumption".
        lo: Smallest allowed value (inclusive unless ``lo_open``), or None.
        hi: Largest allowed value (inclusive), or None.
        lo_open: If True the lower bound is exclusive (value must be > lo).

    Returns:
        A dataclass field carrying the metadata.
    """
    meta = {"unit": unit, "doc": doc, "source": source, "lo": lo, "hi": hi, "lo_open": lo_open}
    if dataclasses.is_dataclass(default):
        return field(default_factory=lambda: dataclasses.replace(default), metadata=meta)
    return field(default=default, metadata=meta)


def _city(hk: float, sz: float, dg: float, hz: float) -> PerCity:
    return PerCity(hk=hk, sz=sz, dg=dg, hz=hz)


def _sector(manufacturing: float, electronics: float, software: float, biotech: float) -> PerSector:
    return PerSector(manufacturing=manufacturing, electronics=electronics, software=software, biotech=biotech)


DIGEST = "seed-digest.md §3"
PUBLIC = "approx. public figure (seed-digest.md §3 lists it as such)"


@dataclass
class MapParams:
    """Raster of the corridor and the land on it."""

    cell_km: float = param(2.0, "km", "Side of a square grid cell", lo=1.0, hi=5.0, source="run setting")
    built_share: PerCity = param(
        _city(0.25, 0.50, 0.46, 0.09),
        "share of land",
        "Share of the city's land that is built up in 2018",
        "approx. public figure (construction-land totals; HK country parks ~40%)",
        lo=0.01,
        hi=0.95,
    )
    reserve_share: PerCity = param(
        _city(0.03, 0.04, 0.08, 0.12),
        "share of land",
        "Share of the city's land that is developable reserve (new land can be built there)",
        "approx. public figure (seed 000: Shenzhen's land is nearly exhausted)",
        lo=0.0,
        hi=0.9,
    )
    urban_radius_km: float = param(6.0, "km", "Spread of built-up land around district centres", lo=1.0, hi=50.0)
    residential_m2_per_resident: PerCity = param(
        _city(16.0, 28.0, 36.0, 40.0),
        "m² floor per resident",
        "Residential floor space per resident in 2018 (with the city's residents gives the stock)",
        "approx. public figure (HK living space ~16 m²/person; mainland city statistics)",
        lo=1.0,
        hi=200.0,
    )
    commercial_stock_m2: PerCity = param(
        _city(9.0e7, 3.0e8, 3.5e8, 1.8e8),
        "m² floor",
        "Commercial and industrial floor space in 2018 (offices, R&D and factory buildings)",
        "approx. public figure",
        lo=1.0,
    )
    centrality_weight: float = param(
        1.0,
        "1",
        "How much more background demand a central built cell draws than a peripheral one",
        lo=0.0,
        hi=20.0,
    )


@dataclass
class TransportParams:
    """Travel cost between cells."""

    speed_kmh: float = param(40.0, "km/h", "Door-to-door travel speed within a city", "assumption", lo=1.0, hi=200.0)
    detour_factor: float = param(1.3, "1", "Network distance over straight-line distance", "assumption", lo=1.0, hi=3.0)
    speedup_hk_sz: float = param(
        1.0,
        "× speed",
        "Speed multiplier for trips between Hong Kong and Shenzhen (rail links)",
        lo=0.1,
        hi=10.0,
    )
    speedup_sz_dg: float = param(
        1.0, "× speed", "Speed multiplier for trips between Shenzhen and Dongguan", lo=0.1, hi=10.0
    )
    speedup_sz_hz: float = param(
        1.0, "× speed", "Speed multiplier for trips between Shenzhen and Huizhou", lo=0.1, hi=10.0
    )
    speedup_dg_hz: float = param(
        1.0, "× speed", "Speed multiplier for trips between Dongguan and Huizhou", lo=0.1, hi=10.0
    )
    border_crossing_minutes: float = param(
        30.0,
        "minutes",
        "Time lost at an HK–mainland land crossing (queues, customs), per one-way trip",
        "approx. public figure (seed 001: >450k crossings a day)",
        lo=0.0,
        hi=600.0,
    )


@dataclass
class EconomyParams:
    """The city economies around the modelled firms and talent (the 'background')."""

    residents: PerCity = param(
        _city(7.5e6, 13.0e6, 8.4e6, 4.8e6), "persons", "Resident population in 2018", PUBLIC, lo=1.0
    )
    resident_growth: PerCity = param(
        _city(0.007, 0.035, 0.015, 0.015),
        "per year",
        "Growth of the resident population (trend of the 2010s continues)",
        "approx. public figure",
        lo=-0.1,
        hi=0.2,
    )
    income_per_resident: PerCity = param(
        _city(1.8e5, 0.75e5, 0.5e5, 0.45e5),
        "¥ per year",
        "Mean household income per resident in 2018",
        "approx. public figure",
        lo=1.0,
    )
    gdp: PerCity = param(_city(2.4e12, 2.42e12, 0.83e12, 0.41e12), "¥ per year", "GDP in 2018", PUBLIC, lo=1.0)
    nominal_growth: PerCity = param(
        _city(0.04, 0.08, 0.07, 0.07),
        "per year",
        "Nominal growth of background GDP and incomes per resident",
        "approx. public figure (2010s trend)",
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
        _city(0.025, 0.054, 0.054, 0.054),
        "per year",
        "Mortgage interest rate (HK prime-based; mainland 5-year LPR-based)",
        "approx. public figure (2018)",
        lo=0.0,
        hi=0.3,
    )


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
    min_user_cost: float = param(
        0.015,
        "per year",
        "Floor on the user cost of housing (keeps prices finite when growth is expected)",
        lo=0.001,
        hi=0.5,
    )
    burn_in_quarters: int = param(
        8,
        "quarters",
        "Quarters of market adjustment before 2018Q1 with agents' locations held",
        lo=0,
        hi=200,
    )


@dataclass
class LandParams:
    """New floor space per year (lever L1: land reform and supply)."""

    commercial_supply_m2: PerCity = param(
        _city(3.0e5, 4.0e6, 8.0e6, 5.0e6),
        "m² floor per year",
        "Baseline new commercial and industrial floor space per year",
        "approx. public figure (seed 000: Shenzhen's land is nearly exhausted)",
        lo=0.0,
    )
    residential_supply_m2: PerCity = param(
        _city(1.0e6, 6.0e6, 8.0e6, 7.0e6),
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
        _city(0.1, 0.6, 0.3, 0.1),
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
class FirmParams:
    """Firms: technology, costs and initial population."""

    hightech_firms: PerCity = param(
        _city(3000, 14415, 4058, 1072),
        "firms",
        "Innovative firms in 2018, sets each city's share of the initial firms",
        "seed 003 (Shenzhen: 14,415 national high-tech firms); others approx. public figures",
        lo=1.0,
    )
    sector_mix_hk: PerSector = param(
        _sector(0.10, 0.15, 0.55, 0.20),
        "share",
        "Sector shares of Hong Kong's initial firms",
        "approx. public figure (HK start-up survey: fintech, software, biotech)",
        lo=0.0,
        hi=1.0,
    )
    sector_mix_sz: PerSector = param(
        _sector(0.17, 0.40, 0.35, 0.08),
        "share",
        "Sector shares of Shenzhen's initial firms",
        "approx. public figure (electronics and internet lead, seed 002)",
        lo=0.0,
        hi=1.0,
    )
    sector_mix_dg: PerSector = param(
        _sector(0.50, 0.35, 0.08, 0.07),
        "share",
        "Sector shares of Dongguan's initial firms",
        "approx. public figure (seed 000: manufacturing base)",
        lo=0.0,
        hi=1.0,
    )
    sector_mix_hz: PerSector = param(
        _sector(0.50, 0.38, 0.06, 0.06),
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
        _sector(0.62, 0.64, 0.66, 0.64),
        "1",
        "Output elasticity of skilled labour (decreasing returns: firms have an optimal size)",
        lo=0.05,
        hi=0.95,
    )
    floor_elasticity: PerSector = param(
        _sector(0.10, 0.07, 0.05, 0.07),
        "1",
        "Output elasticity of commercial floor space (its share of output at the optimum): "
        "firms lease (γ/β)·wage/rent m² per unit of labour, squeezing where rent is dear",
        "approx. public figure (rent is 5–10% of revenue)",
        lo=0.001,
        hi=0.5,
    )
    rd_intensity: PerSector = param(
        _sector(0.015, 0.05, 0.08, 0.12),
        "share of output",
        "R&D spending as a share of output",
        "seed 003 (Shenzhen R&D 4.2% of GDP), split by sector: approx. public figures",
        lo=0.0,
        hi=0.9,
    )
    rd_city_factor: PerCity = param(
        _city(0.25, 1.3, 0.8, 0.7),
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
    productivity_drift: float = param(
        0.06,
        "per year",
        "Nominal drift of firm productivity (prices and technical progress)",
        lo=-0.2,
        hi=0.5,
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
        _city(0.165, 0.15, 0.15, 0.15),
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


@dataclass
class LocationParams:
    """Firm location review: stay, move, move a division."""

    review_probability: float = param(
        0.25, "per quarter", "Chance a firm reviews its location in a quarter", lo=0.0, hi=1.0
    )
    candidates: int = param(8, "sites", "Candidate sites sampled per review, across all four cities", lo=1, hi=200)
    horizon_quarters: float = param(
        16.0, "quarters", "Horizon over which a firm weighs profit gains against moving cost", lo=1.0
    )
    moving_cost_per_worker: float = param(
        3.0e4,
        "¥ per worker",
        "Moving cost per worker moved (fit-out, lost output, severance)",
        lo=0.0,
    )
    moving_cost_fixed: float = param(2.0e5, "¥", "Fixed cost of a move", lo=0.0)
    moving_cost_size_exponent: float = param(
        1.5,
        "1",
        "Exponent of moving cost in employees: above 1, big firms find moving dearer per head "
        "(specific assets, supplier ties) — the reason giants stay (seed 000)",
        "seed 000_c3879d280a9fce80.txt (giants stay, SMEs leave); exponent assumed",
        lo=0.5,
        hi=3.0,
    )
    distance_cost_per_minute: float = param(
        0.004,
        "share of wage bill per minute",
        "Cost of a move per minute of extra travel from the old site (staff lost, ties broken)",
        lo=0.0,
    )
    hurdle: float = param(0.3, "share", "Gain over moving cost a firm requires before it moves", lo=0.0, hi=10.0)
    division_min_employees: float = param(
        1000.0,
        "employees",
        "Smallest firm that may move a division (an R&D unit) instead of the whole firm",
        "seed 000 (Huawei moved R&D to Songshan Lake)",
        lo=1.0,
    )
    division_share: float = param(0.3, "share", "Share of a firm's workforce a division holds", lo=0.01, hi=0.9)
    division_coordination_per_minute: float = param(
        0.0003,
        "share of division output per minute",
        "Productivity lost by a division per minute of travel from headquarters",
        lo=0.0,
        hi=0.1,
    )


@dataclass
class TalentParams:
    """Skilled workers: skills, jobs, homes, migration."""

    st_workers: PerCity = param(
        _city(7.5e5, 1.95e6, 8.4e5, 3.8e5),
        "persons",
        "S&T workers in 2018: sets each city's share of the initial talent (corridor ~3.9m)",
        "seed 000/003 (Shenzhen: 15 S&T workers per 100 residents); others approx. public figures",
        lo=1.0,
    )
    origin_local: PerCity = param(
        _city(0.80, 0.30, 0.30, 0.40),
        "share",
        "Share of each city's initial talent of local origin",
        "approx. public figure",
        lo=0.0,
        hi=1.0,
    )
    origin_hk_in_mainland: float = param(
        0.02,
        "share",
        "Share of the mainland cities' initial talent of Hong Kong origin",
        "seed 001 (HK graduates and founders move to Shenzhen)",
        lo=0.0,
        hi=1.0,
    )
    origin_overseas: float = param(0.05, "share", "Share of initial talent of overseas origin", lo=0.0, hi=1.0)
    skill_sigma: float = param(0.35, "log-sd", "Dispersion of skill (lognormal, mean 1)", lo=0.0, hi=2.0)
    wage_per_skill: PerCity = param(
        _city(3.0e5, 1.5e5, 0.9e5, 0.8e5),
        "¥ per year per unit skill",
        "2018 wage of a skilled worker of skill 1 working in the city",
        "approx. public figure",
        lo=1.0,
    )
    wage_adjustment: float = param(
        0.08,
        "1",
        "Quarterly wage response to the city's labour-market tightness (vacancy rate minus the "
        "rise of unemployment above 2018)",
        lo=0.0,
        hi=5.0,
    )
    natural_vacancy_rate: float = param(
        0.003,
        "share of jobs",
        "Vacancy rate that search frictions leave open even in a balanced labour market",
        lo=0.0,
        hi=0.5,
    )
    wage_drift: float = param(0.06, "per year", "Nominal trend of wages (prices and productivity)", lo=-0.2, hi=0.5)
    initial_surplus: float = param(
        0.4,
        "log-income",
        "Mean surplus of 2018 talent over their outside option (exponential): how attached they are to where they are",
        lo=0.0,
        hi=10.0,
    )
    floor_m2_per_talent: float = param(
        30.0, "m² per person", "Residential floor space a skilled worker's household uses", lo=1.0
    )
    search_share_employed: float = param(
        0.05, "per quarter", "Share of employed talent searching on the job", lo=0.0, hi=1.0
    )
    job_offers: int = param(6, "offers", "Vacancies a searcher samples per quarter", lo=1, hi=100)
    home_review_share: float = param(
        0.05, "per quarter", "Share of talent reviewing their home each quarter", lo=0.0, hi=1.0
    )
    home_candidates: int = param(8, "cells", "Residential cells a home-seeker samples", lo=1, hi=200)
    commute_disutility_per_minute: float = param(
        0.006,
        "log-income per minute",
        "Utility cost of one minute of one-way commute",
        "assumption (commuting literature: an hour costs ~30% of income)",
        lo=0.0,
        hi=1.0,
    )
    amenity_weight: float = param(0.15, "log-income", "Utility of a cell's amenity index (0–1)", lo=0.0, hi=5.0)
    taste_sd: float = param(0.10, "log-income", "Idiosyncratic taste shock in job and home choice", lo=0.0, hi=5.0)
    inflow_rate: float = param(
        0.02,
        "share of the city's talent per quarter",
        "Potential entrants per quarter in each city (local graduates, migrants from the rest of "
        "China, Hong Kong and overseas)",
        lo=0.0,
        hi=1.0,
    )
    outflow_rate: float = param(0.006, "per quarter", "Baseline departures (retirement, family)", lo=0.0, hi=1.0)
    unemployed_exit_rate: float = param(
        0.03, "per quarter", "Chance an unemployed talent leaves the region", lo=0.0, hi=1.0
    )
    outside_wage_share: float = param(
        0.8,
        "share of local wage",
        "Income of a talent not employed by a modelled firm (other jobs), relative to the wage",
        lo=0.0,
        hi=1.0,
    )
    reservation_sd: float = param(
        0.3,
        "log-income",
        "Spread of in-migrants' reservation utility (outside option elsewhere in China)",
        lo=0.0,
        hi=5.0,
    )
    reservation_income: float = param(
        5.0e4,
        "¥ per year",
        "Median income outside the region, net of housing and commuting there, at which a "
        "migrant of skill 1 is indifferent",
        lo=1.0,
    )
    outside_income_growth: float = param(
        0.06,
        "per year",
        "Growth of incomes outside the region (raises reservation utility)",
        lo=-0.2,
        hi=0.5,
    )
    dissatisfied_exit_rate: float = param(
        0.25,
        "per quarter",
        "Chance a talent whose utility fell below the outside option leaves in a quarter",
        "seed 000 (high housing costs fail to keep talent)",
        lo=0.0,
        hi=1.0,
    )
    job_switch_cost: float = param(0.03, "log-income", "Gain a worker needs before changing employer", lo=0.0, hi=5.0)
    migrant_share_hk: float = param(
        0.02,
        "share",
        "Share of the mainland cities' entrants who come from Hong Kong (graduates, founders)",
        "seed 001 (HK graduates move to Shenzhen)",
        lo=0.0,
        hi=1.0,
    )
    migrant_share_overseas: float = param(0.05, "share", "Share of entrants from overseas", lo=0.0, hi=1.0)


@dataclass
class EntryExitParams:
    """Start-ups, spin-offs and exits."""

    founding_rate: float = param(
        0.003,
        "per talent per quarter",
        "Chance a skilled worker founds a firm in a quarter",
        "assumption (calibrated to Shenzhen's high-tech firm growth, seed 003: 14,415 → >17,000)",
        lo=0.0,
        hi=0.1,
    )
    spinoff_share: float = param(
        0.6,
        "share",
        "Share of founders who found in their employer's sector (spin-offs)",
        "seed 002 (Alibaba alumni found 78% of Hangzhou start-ups), seed 001 (DJI)",
        lo=0.0,
        hi=1.0,
    )
    founder_min_skill: float = param(1.0, "skill", "Smallest skill of a founder", lo=0.0, hi=10.0)
    startup_cash_quarters: float = param(4.0, "quarters of wage bill", "Founder's starting cash", lo=0.0, hi=100.0)
    startup_productivity: float = param(
        0.85,
        "× sector median",
        "Mean productivity of a start-up relative to its sector's median (spin-offs: parent's)",
        lo=0.01,
        hi=10.0,
    )
    exit_loss_quarters: int = param(
        6, "quarters", "Consecutive loss-making quarters after which a firm exits", lo=1, hi=100
    )
    exit_hazard: float = param(
        0.004, "per quarter", "Exogenous exit chance (founder leaves, acquisition)", lo=0.0, hi=1.0
    )


@dataclass
class InnovationParams:
    """R&D, innovations (patent-like events) and knowledge spillovers (digest M5, M8, M10)."""

    patents_per_million: float = param(
        0.3,
        "innovations per quarter per (¥m R&D)^elasticity",
        "Innovation rate of R&D spending, before skill and spillovers",
        "seed 003 (18k PCT, ~70k invention applications in Shenzhen, 2018); calibrated",
        lo=0.0,
    )
    rd_elasticity: float = param(0.8, "1", "Elasticity of innovations to R&D spending", lo=0.0, hi=2.0)
    skill_elasticity: float = param(
        1.0, "1", "Elasticity of innovations to the mean skill of the firm's talent", lo=0.0, hi=5.0
    )
    spillover_weight: float = param(
        0.5,
        "1",
        "Innovation multiplier per unit of the (normalised) knowledge field at the firm's cell",
        "seed 001 (HK research commercialised in Shenzhen); assumption",
        lo=0.0,
        hi=10.0,
    )
    knowledge_minutes: float = param(
        45.0, "minutes", "Travel time over which knowledge spillovers decay by 1/e", lo=1.0
    )
    knowledge_depreciation: float = param(
        0.05, "per quarter", "Decay of the local stock of recent innovations", lo=0.0, hi=1.0
    )
    research_output: float = param(
        400.0,
        "innovation-equivalents per quarter per unit strength",
        "Knowledge a university or lab of strength 1 adds to the field each quarter",
        "seed 001 (5 top-100 universities, 22 national labs in HK), seed 003",
        lo=0.0,
    )
    productivity_step: float = param(
        0.005,
        "log productivity",
        "Productivity gain of a firm in a quarter it innovates",
        lo=0.0,
        hi=1.0,
    )
    spinoff_boost: float = param(
        2.0,
        "× founding rate",
        "Founding-rate multiplier for talent whose employer innovated in the last year (DJI → 360 drone firms)",
        "seed 001 (Googol → DJI → 360+ drone firms), seed 002 (Alibaba alumni)",
        lo=1.0,
        hi=50.0,
    )


@dataclass
class VCParams:
    """Venture-capital funds (digest M4, M9, L5)."""

    n_funds: int = param(200, "funds", "Venture funds at the start (managers keep raising new funds)", lo=0, hi=5000)
    home_share: PerCity = param(
        _city(0.45, 0.45, 0.05, 0.05),
        "share",
        "Share of funds managed from each city",
        "seed 004 (2,255 PE/VC managers in Shenzhen), seed 001 (HK financial centre)",
        lo=0.0,
        hi=1.0,
    )
    fund_size: float = param(
        1.2e9,
        "¥",
        "Median size of a new fund (lognormal, log-sd 0.7)",
        "seed 004 (Shenzhen: ¥1.67tn under management by 2,255 managers); assumption",
        lo=1.0,
    )
    fund_life_quarters: int = param(40, "quarters", "Life of a fund", lo=4, hi=200)
    investment_quarters: int = param(
        20, "quarters", "Investment period of a fund (new deals only within it)", lo=1, hi=200
    )
    deal_seed: float = param(5.0e6, "¥", "Size of a seed deal", lo=0.0)
    deal_a: float = param(3.0e7, "¥", "Size of a series-A deal", lo=0.0)
    deal_b: float = param(1.2e8, "¥", "Size of a series-B deal", lo=0.0)
    deals_per_quarter: int = param(
        2, "deals", "Most deals one fund makes in a quarter", "seed 004 (907 projects in 2017)", lo=0, hi=100
    )
    screened: int = param(40, "firms", "Candidates a fund screens per quarter", lo=1, hi=10000)
    reach_minutes: float = param(90.0, "minutes", "Travel time over which a fund's reach decays by 1/e", lo=1.0)
    min_score: float = param(
        0.2,
        "1",
        "Smallest screening score (reach × quality signal) a fund invests at",
        lo=0.0,
    )
    max_age_quarters: int = param(32, "quarters", "Oldest firm a fund will back (start-ups only)", lo=1, hi=400)
    valuation_multiple: float = param(
        4.0, "× annual output", "Pre-money valuation of a start-up as a multiple of its output", lo=0.0
    )
    exit_multiple: float = param(3.0, "× annual output", "Value of a firm at exit (listing or acquisition)", lo=0.0)
    ipo_min_employees: float = param(300.0, "employees", "Smallest firm that can list", lo=1.0)
    ipo_probability: float = param(
        0.08, "per quarter", "Chance an eligible, profitable portfolio firm lists in a quarter", lo=0.0, hi=1.0
    )
    acquisition_probability: float = param(
        0.02, "per quarter", "Chance a profitable portfolio firm is acquired in a quarter", lo=0.0, hi=1.0
    )
    hk_listing_share: float = param(
        0.25,
        "share",
        "Share of mainland listings made in Hong Kong (the rest in Shenzhen), before the capital friction",
        "seed 001 (101 Shenzhen firms listed in HK, >¼ of all its listed firms)",
        lo=0.0,
        hi=1.0,
    )
    management_fee: float = param(0.005, "per quarter", "Management fee on committed capital", lo=0.0, hi=0.1)
    reraise_min_multiple: float = param(
        0.9,
        "× paid-in",
        "Track record (distributions and value over paid-in) a manager needs to raise a new fund",
        lo=0.0,
    )
    backed_max_growth: float = param(
        0.3,
        "share per quarter",
        "Largest workforce growth of a VC-backed firm in a quarter (the money buys growth)",
        lo=0.0,
        hi=2.0,
    )


@dataclass
class GovernmentParams:
    """City governments: revenue, budget and the policy levers L1–L8."""

    wage_tax: PerCity = param(
        _city(0.08, 0.08, 0.08, 0.08),
        "share of wages",
        "Effective tax on skilled wages paid to the city of the job",
        "approx. public figure",
        lo=0.0,
        hi=0.9,
    )
    initial_reserves_quarters: float = param(
        4.0, "quarters of revenue", "Reserves of each government at the start", lo=0.0, hi=400.0
    )
    land_cost: float = param(
        1500.0,
        "¥ per m² floor",
        "Public cost of bringing new floor space to market on reserve land (land servicing)",
        "approx. public figure",
        lo=0.0,
    )
    land_sale_share: float = param(
        0.25,
        "share of market value",
        "Share of the market value of new floor space the city captures by selling land use rights",
        "approx. public figure (land finance of Chinese cities; HK land premium)",
        lo=0.0,
        hi=1.0,
    )
    renewal_cost: float = param(
        4000.0,
        "¥ per m² floor",
        "Public cost of new floor space by urban(-village) renewal (compensation, rebuilding)",
        "approx. public figure (seed 000 §4.5.1, seed 003: 城中村 renewal)",
        lo=0.0,
    )
    talent_subsidy: PerCity = param(
        _city(0.0, 0.0, 0.0, 0.0),
        "¥ per eligible talent per year",
        "Talent subsidy paid by the city of the job (lever L2; Peacock Plan ≈ ¥1bn a year, seed 003)",
        "seed 003 (Peacock Plan), seed 002 (Hangzhou 5050)",
        lo=0.0,
    )
    talent_subsidy_min_skill: float = param(
        1.2, "skill", "Smallest skill eligible for the talent subsidy", lo=0.0, hi=20.0
    )
    talent_housing_m2: PerCity = param(
        _city(0.0, 0.0, 0.0, 0.0),
        "m² floor per year",
        "Talent housing built by the city on top of the land supply (lever L2, seed 004)",
        "seed 004 (talent housing and office-space preferences)",
        lo=0.0,
    )
    startup_rent_subsidy: PerCity = param(
        _city(0.0, 0.0, 0.0, 0.0),
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
        _city(0.0, 0.0, 0.0, 0.0),
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
        _city(0.0, 0.0, 0.0, 0.0),
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
        _city(0.0, 0.0, 0.0, 0.0),
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
        _city(0.0, 0.0, 0.0, 0.0),
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
        _city(54.0, 31.8, 40.0, 45.0),
        "beds per 10k residents",
        "Hospital beds per 10,000 residents",
        "seed 000 (Shenzhen 31.8); others approx. public figures",
        lo=0.0,
        hi=500.0,
    )
    students_per_teacher: PerCity = param(
        _city(12.0, 12.8, 13.5, 13.5),
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


@dataclass
class BorderParams:
    """Frictions between Hong Kong and the mainland (lever L3)."""

    work_barrier_hk: float = param(
        1.2,
        "log-income",
        "Barrier for a talent not from Hong Kong to take a Hong Kong job (permits, quotas)",
        "seed 001/003 (administrative barriers to talent flow)",
        lo=0.0,
        hi=20.0,
    )
    work_barrier_mainland: float = param(
        0.15,
        "log-income",
        "Barrier for a Hong Kong talent to take a mainland job (tax, social insurance)",
        "seed 001 (HK youth start-up subsidies cover rent, tax, insurance)",
        lo=0.0,
        hi=20.0,
    )
    firm_relocation_barrier: float = param(
        6.0,
        "× moving cost",
        "Multiplier on the cost of moving a firm or division across the HK–mainland border "
        "(new legal entity, licences, visas)",
        "seed 001/003 (institutional barriers between HK and Shenzhen)",
        lo=1.0,
        hi=100.0,
    )
    capital_friction: float = param(
        0.5,
        "share",
        "Capital friction: how much of a fund's reach is lost across the HK–mainland border (1 = no cross-border VC)",
        "seed 001 (HK capital financed Shenzhen start-ups), seed 004 (cross-border finance)",
        lo=0.0,
        hi=1.0,
    )
    knowledge_friction: float = param(
        0.6,
        "share",
        "Knowledge friction: how much of a spillover is lost across the border (1 = none crosses)",
        "seed 001 (HK research, Shenzhen commercialisation), seed 003",
        lo=0.0,
        hi=1.0,
    )
    goods_friction: float = param(
        0.04,
        "share of traded value",
        "Goods friction: cost of moving goods through the border, per unit of value traded",
        "seed 001 (HK as super-connector for components and exports)",
        lo=0.0,
        hi=1.0,
    )
    trade_share: PerSector = param(
        _sector(0.30, 0.50, 0.05, 0.15),
        "share of output",
        "Share of a firm's output traded through the HK–mainland border",
        "seed 001 (chips, sensors, displays imported via HK; Shenzhen–HK trade ¥726.6bn)",
        lo=0.0,
        hi=1.0,
    )
    zone_friction_factor: float = param(
        0.4,
        "× friction",
        "Multiplier on every border friction for jobs, firms and knowledge in the Qianhai and Hetao cooperation zones",
        "seeds 001, 003, 004 (Qianhai, Hetao cooperation zones)",
        lo=0.0,
        hi=1.0,
    )
    residence_barrier_hk: float = param(
        1.5,
        "log-income",
        "Barrier for a talent not from Hong Kong to live in Hong Kong",
        "seed 001/003",
        lo=0.0,
        hi=20.0,
    )
    residence_barrier_mainland: float = param(
        0.3,
        "log-income",
        "Barrier for a Hong Kong talent to live on the mainland",
        "seed 001 (~220k HK residents enter Shenzhen per day)",
        lo=0.0,
        hi=20.0,
    )


@dataclass
class OutputParams:
    """What a run writes."""

    snapshot_every: int = param(
        4, "quarters", "Spatial snapshots of rent and firm density every n quarters", lo=1, source="run setting"
    )
    plots: bool = param(True, "bool", "Write PNG plots", source="run setting")
    progress: bool = param(True, "bool", "Show progress on the terminal", source="run setting")


MODES: tuple[str, ...] = ("run", "compare", "calibrate", "sensitivity", "recovery")
"""What ``python run.py mode=...`` does (see run.py)."""


@dataclass
class CalibrationParams:
    """Calibration, parameter recovery and sensitivity analysis (run control; no effect on a
    simulation). Fields are added by the calibration module's owner."""

    workers: int = param(2, "processes", "Parallel worker processes", source="run setting", lo=1, hi=256)
    free: list[str] = field(
        default_factory=list,
        metadata={
            "unit": "keys",
            "doc": "Free parameters of calibrate and recovery, from calibration/parameters.csv "
            "(empty: every row marked calibrate)",
            "source": "run setting",
            "lo": None,
            "hi": None,
            "lo_open": False,
        },
    )
    screen: list[str] = field(
        default_factory=list,
        metadata={
            "unit": "keys",
            "doc": "Parameters of the sensitivity analysis, from calibration/parameters.csv "
            "(empty: every row marked sensitivity)",
            "source": "run setting",
            "lo": None,
            "hi": None,
            "lo_open": False,
        },
    )
    n_firms: int = param(
        2500, "agents", "Initial firm agents of each calibration or sensitivity simulation", source="run setting", lo=4
    )
    n_talent: int = param(
        25_000,
        "agents",
        "Initial talent agents of each calibration or sensitivity simulation",
        source="run setting",
        lo=8,
    )
    population_share: float = param(
        0.1,
        "share",
        "Share of the corridor the agents of a calibration or sensitivity simulation stand for",
        source="run setting",
        lo=0.001,
        hi=1.0,
        lo_open=True,
    )
    quarters: int = param(
        8,
        "quarters",
        "Quarters per calibration simulation (8 = 2018–2019, the targets' years)",
        source="run setting",
        lo=1,
        hi=400,
    )
    replicates: int = param(
        3,
        "runs",
        "Replicates per parameter vector; the same seeds for every vector (common random numbers)",
        source="run setting",
        lo=1,
        hi=100,
    )
    report_replicates: int = param(
        8,
        "runs",
        "Replicates (fresh seeds) at the starting and the calibrated point: simulation variance for the "
        "weights, and the report's bands across seeds",
        source="run setting",
        lo=2,
        hi=1000,
    )
    population: int = param(
        0,
        "vectors",
        "Differential-evolution population (0: 3 × free parameters, at least 8)",
        source="run setting",
        lo=0,
        hi=10_000,
    )
    generations: int = param(
        20,
        "generations",
        "Differential-evolution generations (the budget); a resumed run continues up to this many",
        source="run setting",
        lo=0,
        hi=100_000,
    )
    resume: bool = param(
        True, "bool", "Resume from the run directory's checkpoint if its settings match", source="run setting"
    )
    install: bool = param(
        False,
        "bool",
        "Also write the calibrated set to scenarios/calibrated/<name>.yaml (default.yaml is the baseline's)",
        source="run setting",
    )
    name: str = param("default", "-", "Name of the calibrated set file written with install=true", source="run setting")
    recovery_draws: int = param(
        4,
        "vectors",
        "Known parameter vectors drawn from the prior box for parameter recovery",
        source="run setting",
        lo=1,
        hi=1000,
    )
    recovery_generations: int = param(
        8,
        "generations",
        "Differential-evolution generations of each blind recovery calibration",
        source="run setting",
        lo=0,
        hi=100_000,
    )
    recovery_threshold: float = param(
        0.7,
        "ratio",
        "A parameter counts as recovered when its RMSE is below this share of the RMSE of guessing the prior mean",
        source="run setting",
        lo=0.0,
        hi=10.0,
    )
    sensitivity_quarters: int = param(
        40,
        "quarters",
        "Quarters per sensitivity simulation (outcomes are over the whole horizon)",
        source="run setting",
        lo=1,
        hi=400,
    )
    morris_trajectories: int = param(
        8, "trajectories", "Morris screening trajectories", source="run setting", lo=2, hi=10_000
    )
    morris_levels: int = param(4, "levels", "Grid levels of the Morris design", source="run setting", lo=2, hi=100)
    sobol_top: int = param(
        4,
        "parameters",
        "Parameters (by Morris μ*) carried into the Sobol analysis",
        source="run setting",
        lo=1,
        hi=100,
    )
    sobol_samples: int = param(
        32,
        "samples",
        "Sobol base sample N (a power of 2; N·(k+2) simulations for k parameters)",
        source="run setting",
        lo=2,
        hi=1_000_000,
    )


@dataclass
class Config:
    """A whole model configuration: the root of the hydra structured config."""

    scenario_name: str = param("baseline", "-", "Name of the scenario (set by scenario files)", source="run setting")
    mode: str = param(
        "run",
        "-",
        "What run.py does: run (simulate, with replicates), compare (runs=[...]), calibrate, sensitivity, recovery",
        source="run setting",
    )
    calibrated_set: str = param(
        "default",
        "-",
        "Calibrated parameter set in force (scenarios/calibrated/<name>.yaml; each file sets it)",
        source="run setting",
    )
    replicates: int = param(
        1, "runs", "Replicates, each with a seed spawned from the master seed", source="run setting", lo=1, hi=10000
    )
    workers: int = param(
        2,
        "processes",
        "Worker processes for replicates (each on one BLAS thread; results do not depend on it)",
        lo=1,
        hi=256,
        source="run setting",
    )
    runs: list[str] = field(
        default_factory=list,
        metadata={
            "unit": "paths",
            "doc": "Run or multirun directories to compare (mode=compare)",
            "source": "run setting",
            "lo": None,
            "hi": None,
            "lo_open": False,
        },
    )
    seed: int = param(20180101, "-", "Master seed: every random stream derives from it", lo=0, source="run setting")
    start: str = param("2018Q1", "quarter", "First simulated quarter (YYYYQn)", source="run setting")
    quarters: int = param(80, "quarters", "Quarters simulated (80 = 2018Q1–2037Q4)", lo=1, hi=400, source="run setting")
    n_firms: int = param(
        25_000, "agents", "Initial firm agents (shared across cities by hightech_firms)", lo=4, source="run setting"
    )
    n_talent: int = param(
        250_000, "agents", "Initial talent agents (each stands for several real workers)", lo=8, source="run setting"
    )
    population_share: float = param(
        1.0,
        "share",
        "Share of the corridor's skilled workers and innovative firms the agents stand for (1: all). "
        "Smaller values give quick runs with realistic firm sizes (talent_scale = share × S&T "
        "workers / n_talent); the rest of the economy keeps its full size",
        lo=0.001,
        hi=1.0,
        lo_open=True,
        source="run setting",
    )
    map: MapParams = field(default_factory=MapParams)
    transport: TransportParams = field(default_factory=TransportParams)
    economy: EconomyParams = field(default_factory=EconomyParams)
    market: MarketParams = field(default_factory=MarketParams)
    land: LandParams = field(default_factory=LandParams)
    firms: FirmParams = field(default_factory=FirmParams)
    location: LocationParams = field(default_factory=LocationParams)
    talent: TalentParams = field(default_factory=TalentParams)
    entry: EntryExitParams = field(default_factory=EntryExitParams)
    innovation: InnovationParams = field(default_factory=InnovationParams)
    vc: VCParams = field(default_factory=VCParams)
    government: GovernmentParams = field(default_factory=GovernmentParams)
    services: ServicesParams = field(default_factory=ServicesParams)
    border: BorderParams = field(default_factory=BorderParams)
    output: OutputParams = field(default_factory=OutputParams)
    calibration: CalibrationParams = field(default_factory=CalibrationParams)


# --------------------------------------------------------------------------------------------
# validation


def _check_value(key: str, value: Any, meta: dict[str, Any]) -> None:
    lo, hi, lo_open = meta.get("lo"), meta.get("hi"), meta.get("lo_open", False)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{key} = {value} is not a finite number ({meta.get('doc', '')}).")
    below = value <= lo if (lo is not None and lo_open) else (lo is not None and value < lo)
    above = hi is not None and value > hi
    if below or above:
        lo_txt = "-inf" if lo is None else f"{lo:g}"
        hi_txt = "inf" if hi is None else f"{hi:g}"
        bracket = "(" if lo_open else "["
        raise ConfigError(
            f"{key} = {value:g} is out of range: allowed {bracket}{lo_txt}, {hi_txt}] "
            f"{meta.get('unit', '')} — {meta.get('doc', '')}"
        )


def _walk(obj: Any, prefix: str, meta: dict[str, Any] | None) -> None:
    for f in dataclasses.fields(obj):
        key = f"{prefix}{f.name}"
        value = getattr(obj, f.name)
        fmeta = dict(f.metadata) or meta or {}
        if isinstance(value, PerCity | PerSector):
            for sub in dataclasses.fields(value):
                _check_value(f"{key}.{sub.name}", getattr(value, sub.name), fmeta)
        elif dataclasses.is_dataclass(value):
            _walk(value, f"{key}.", None)
        else:
            _check_value(key, value, fmeta)


def validate(cfg: Config) -> Config:
    """Check every value against its declared range and cross-field rules.

    Args:
        cfg: A configuration (dataclass instance).

    Returns:
        The same configuration, if valid.

    Raises:
        ConfigError: naming the first offending key and what is allowed.
    """
    _walk(cfg, "", None)
    _parse_quarter(cfg.start)
    if cfg.mode not in MODES:
        raise ConfigError(f"mode = {cfg.mode!r} is not a mode; allowed: {', '.join(MODES)}.")
    for name in ("sector_mix_hk", "sector_mix_sz", "sector_mix_dg", "sector_mix_hz"):
        total = sum(getattr(cfg.firms, name).as_list())
        if not 0.999 <= total <= 1.001:
            raise ConfigError(f"firms.{name} sums to {total:g}; the four sector shares must sum to 1.")
    for s, b, g in zip(SECTORS, cfg.firms.labour_elasticity.as_list(), cfg.firms.floor_elasticity.as_list()):
        if b + g >= 0.98:
            raise ConfigError(
                f"firms.labour_elasticity.{s} + firms.floor_elasticity.{s} = {b + g:g}: returns to scale "
                "must be decreasing; allowed: a sum below 0.98."
            )
    for i, city in enumerate(("hk", "sz", "dg", "hz")):
        if cfg.map.built_share.as_list()[i] + cfg.map.reserve_share.as_list()[i] > 1.0:
            raise ConfigError(
                f"map.built_share.{city} + map.reserve_share.{city} exceeds 1: "
                "built and reserve land cannot exceed the city's land."
            )
    for i, city in enumerate(("hk", "sz", "dg", "hz")):
        origin = cfg.talent.origin_local.as_list()[i] + cfg.talent.origin_overseas
        if i > 0:
            origin += cfg.talent.origin_hk_in_mainland
        if origin > 1.0:
            raise ConfigError(
                f"talent.origin_local.{city} + talent.origin_overseas"
                + (" + talent.origin_hk_in_mainland" if i > 0 else "")
                + f" = {origin:g} exceeds 1: origin shares cannot exceed the whole."
            )
    if cfg.vc.investment_quarters > cfg.vc.fund_life_quarters:
        raise ConfigError(
            f"vc.investment_quarters = {cfg.vc.investment_quarters} exceeds vc.fund_life_quarters = "
            f"{cfg.vc.fund_life_quarters}; allowed: an investment period within the fund's life."
        )
    if not cfg.vc.deal_seed <= cfg.vc.deal_a <= cfg.vc.deal_b:
        raise ConfigError(
            f"vc.deal_seed = {cfg.vc.deal_seed:g}, vc.deal_a = {cfg.vc.deal_a:g}, vc.deal_b = {cfg.vc.deal_b:g}; "
            "allowed: deal sizes that grow with the stage (seed ≤ A ≤ B)."
        )
    if abs(sum(cfg.vc.home_share.as_list()) - 1.0) > 1e-3:
        raise ConfigError(f"vc.home_share sums to {sum(cfg.vc.home_share.as_list()):g}; the shares must sum to 1.")
    if cfg.talent.migrant_share_hk + cfg.talent.migrant_share_overseas > 1.0:
        raise ConfigError("talent.migrant_share_hk + talent.migrant_share_overseas exceeds 1.")
    firm_share = min(cfg.firms.hightech_firms.as_list()) / sum(cfg.firms.hightech_firms.as_list())
    if firm_share * cfg.n_firms < 1:
        raise ConfigError(
            f"n_firms = {cfg.n_firms} leaves a city empty: with firms.hightech_firms as given, "
            f"the smallest city's share is {firm_share:.4f}; allowed: n_firms ≥ {math.ceil(1 / firm_share)}."
        )
    talent_share = min(cfg.talent.st_workers.as_list()) / sum(cfg.talent.st_workers.as_list())
    if talent_share * cfg.n_talent < 2:
        raise ConfigError(
            f"n_talent = {cfg.n_talent} leaves a city empty: the smallest city's talent share is "
            f"{talent_share:.4f}; allowed: n_talent ≥ {math.ceil(2 / talent_share)}."
        )
    if cfg.n_talent < cfg.n_firms:
        raise ConfigError(
            f"n_talent = {cfg.n_talent} is smaller than n_firms = {cfg.n_firms}: every firm needs "
            "at least one skilled worker; allowed: n_talent ≥ n_firms."
        )
    return cfg


def _parse_quarter(text: str) -> tuple[int, int]:
    try:
        year, q = text.upper().split("Q")
        year_i, q_i = int(year), int(q)
    except ValueError:
        raise ConfigError(f"start = {text!r} is not a quarter; allowed: 'YYYYQn', e.g. '2018Q1'.") from None
    if not (1 <= q_i <= 4 and 1900 <= year_i <= 2200):
        raise ConfigError(f"start = {text!r} is not a quarter; allowed: 'YYYYQn' with n in 1..4.")
    return year_i, q_i


def quarter_labels(start: str, n: int) -> list[str]:
    """Labels 'YYYYQn' of n consecutive quarters from ``start``.

    Args:
        start: First quarter, e.g. '2018Q1'.
        n: Number of quarters.

    Returns:
        The list of labels.
    """
    year, q = _parse_quarter(start)
    base = year * 4 + (q - 1)
    return [f"{(base + k) // 4}Q{(base + k) % 4 + 1}" for k in range(n)]


# --------------------------------------------------------------------------------------------
# key lookup (for clear messages on unknown keys)


def config_keys(cls: type = Config, prefix: str = "") -> list[str]:
    """Every dotted key a configuration accepts (leaves only).

    Args:
        cls: The dataclass to list.
        prefix: Prefix for nested keys.

    Returns:
        Sorted list of dotted keys.
    """
    keys: list[str] = []
    for f in dataclasses.fields(cls):
        ftype = f.type if isinstance(f.type, type) else _resolve(cls, f.name)
        if dataclasses.is_dataclass(ftype):
            keys += config_keys(ftype, f"{prefix}{f.name}.")
        else:
            keys.append(f"{prefix}{f.name}")
    return sorted(keys)


def _resolve(cls: type, name: str) -> Any:
    import typing

    return typing.get_type_hints(cls)[name]


def check_key(key: str) -> None:
    """Raise :class:`ConfigError` if ``key`` is not a configuration key, suggesting close ones.

    Args:
        key: A dotted key such as ``land.sz_supply``.

    Raises:
        ConfigError: if the key is unknown.
    """
    keys = config_keys()
    groups = {k.rsplit(".", 1)[0] for k in keys if "." in k}
    if key in keys or key in groups:
        return
    parent = key.rsplit(".", 1)[0] if "." in key else ""
    while parent and parent not in groups:  # climb to the deepest group that exists
        parent = parent.rsplit(".", 1)[0] if "." in parent else ""
    siblings = [k for k in keys if (k.rsplit(".", 1)[0] if "." in k else "") == parent]
    close = difflib.get_close_matches(key, keys, n=3, cutoff=0.6)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    subgroups = sorted(
        {
            g.split(".")[len(parent.split(".")) if parent else 0]
            for g in groups
            if (g.startswith(parent + ".") if parent else True)
        }
    )
    if siblings or subgroups:
        allowed = ", ".join([s.rsplit(".", 1)[-1] for s in siblings] + [f"{g}.*" for g in subgroups])
        where = f"under '{parent}'" if parent else "at the top level"
        raise ConfigError(f"Unknown config key '{key}'.{hint} Allowed {where}: {allowed}.")
    raise ConfigError(
        f"Unknown config key '{key}'.{hint} Allowed groups: {', '.join(sorted(g for g in groups if '.' not in g))}."
    )


# --------------------------------------------------------------------------------------------
# documentation


def _shown_value(value: Any) -> str:
    """A parameter value as the reference shows it."""
    if isinstance(value, PerCity | PerSector):
        return ", ".join(f"{s.name}={getattr(value, s.name):g}" for s in dataclasses.fields(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def parameter_table(cls: type = Config, prefix: str = "", calibrated: Any = None) -> list[dict[str, str]]:
    """Rows (key, default, baseline, unit, range, meaning, source) documenting every parameter.

    Args:
        cls: The dataclass to document.
        prefix: Prefix for nested keys.
        calibrated: An instance of ``cls`` holding the baseline's values (the defaults updated by
            the calibrated set in force); ``baseline`` is filled where it differs from the default.

    Returns:
        One dict per parameter.
    """
    rows: list[dict[str, str]] = []
    instance = cls()
    for f in dataclasses.fields(cls):
        value = getattr(instance, f.name)
        in_force = getattr(calibrated, f.name) if calibrated is not None else value
        if dataclasses.is_dataclass(value) and not isinstance(value, PerCity | PerSector):
            rows += parameter_table(type(value), f"{prefix}{f.name}.", in_force if calibrated is not None else None)
            continue
        meta = f.metadata
        default = _shown_value(value)
        baseline = _shown_value(in_force)
        lo, hi = meta.get("lo"), meta.get("hi")
        rng = (
            ""
            if lo is None and hi is None
            else (
                f"{'(' if meta.get('lo_open') else '['}{'-∞' if lo is None else f'{lo:g}'}, "
                f"{'∞' if hi is None else f'{hi:g}'}]"
            )
        )
        rows.append(
            {
                "key": f"{prefix}{f.name}",
                "default": default,
                "baseline": baseline if baseline != default else "",
                "unit": meta.get("unit", ""),
                "range": rng,
                "meaning": meta.get("doc", ""),
                "source": meta.get("source", ""),
            }
        )
    return rows


def parameters_markdown(calibrated: Config | None = None) -> str:
    """The parameter reference as a Markdown document (``docs/parameters.md``).

    Args:
        calibrated: The baseline's configuration (defaults updated by the calibrated set,
            :func:`model.reference.calibrated_defaults`); its differing values get a column.
    """
    lines = [
        "# Parameters",
        "",
        "Generated from `model/params.py` and `scenarios/calibrated/default.yaml` by",
        "`python scripts/write_docs.py`; a test keeps it in step. Override any key on the command",
        "line, e.g. `python run.py land.sz_supply=0`. City values: `hk`, `sz`, `dg`, `hz`.",
        "*calibrated* is the value the baseline uses where the calibrated set changes the default",
        "(docs/calibration.md); `calibrated=uncalibrated` runs with the defaults.",
        "",
        "| key | default | calibrated | unit | allowed | meaning | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in parameter_table(calibrated=calibrated):
        cells = [
            row[k].replace("|", "\\|") for k in ("key", "default", "baseline", "unit", "range", "meaning", "source")
        ]
        cells[0] = f"`{cells[0]}`"
        if cells[2]:
            cells[2] = f"**{cells[2]}**"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from model.reference import calibrated_defaults

    print(parameters_markdown(calibrated_defaults("default")), end="")
