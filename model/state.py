"""The model's state: every array the processes read and write, declared in one place.

A quarter is a sequence of processes (:mod:`model.processes`), each a function of this state,
the configuration and its own random stream. The state is grouped by what it describes:

* :class:`Cells` — land, floor space, the two floor markets and the location fundamentals of
  every cell;
* :class:`Travel` — cell-to-cell travel times and the agglomeration kernel built on them;
* :class:`Cities` — city-level variables: wages, subsidy rates, 2018 reference levels;
* :class:`Knowledge` — the knowledge field's kernel, sources and 2018 reference;
* the populations (:class:`agents.firms.FirmPopulation`, :class:`agents.talent.TalentPopulation`,
  one numpy array per agent variable), the venture funds (:class:`Capital`) and the four
  governments;
* :class:`Flows` and :class:`Events` — what happened this quarter, for the record and for
  adaptive rules (``State.history`` keeps past quarters' flows).

Derived quantities that several processes need (who is employed, where talent work, a site's
TFP, incomes, floor use) are computed in one place, :mod:`model.views`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor_abm.agents.talent import AwayPool

if TYPE_CHECKING:
    import mesa

    from corridor_abm.agents.firms import FirmPopulation
    from corridor_abm.agents.government import CityGovernment
    from corridor_abm.agents.talent import TalentPopulation
    from corridor_abm.agents.vc import StakeBook, VCFund
    from corridor_abm.model.geography import CorridorMap

N_CITIES = 4
HK, SZ, DG, HZ = range(N_CITIES)
"""City indices, in the fixed order of every per-city array (``geodata.CITY_CODES``)."""

SECTORS: tuple[str, ...] = ("manufacturing", "electronics", "software", "biotech")
"""Firm sectors in their fixed index order."""
N_SECTORS = len(SECTORS)

SIZE_CLASSES: tuple[str, ...] = ("small", "medium", "large")
"""Firm size classes by employees: small < 100, medium 100–999, large ≥ 1000."""


@dataclass
class Cells:
    """Per-cell state: land, floor space, the floor markets and the location fundamentals.

    Every array has one entry per model cell (``map.n_cells``); ``[cell, sector]`` arrays have
    one column per sector. Rents are per quarter (the tables report them per month).

    Attributes:
        city: City index of each cell (int64).
        land_use: Land use now (``geography.BUILT``, ``RESERVE``, ``PROTECTED``); a reserve cell
            becomes built when floor space arrives. ``map.land_use`` keeps the 2018 land use.
        com_cap: Commercial and industrial floor space, m².
        res_cap: Residential floor space, m².
        com_rent: Commercial asking rent, ¥ per m² per quarter (notional where there is no floor).
        res_rent: Residential rent, ¥ per m² per quarter.
        house_price: House price, ¥ per m².
        floor_ration: Share of modelled firms' floor demand the cell serves (1 where all fits).
        amenity: Amenity index, 0–1.5: centrality and the city's public services.
        residential_fundamental: Value of living in the cell beyond amenity, log-income
            (inverted so that 2018 homes are an equilibrium).
        fundamental: Location fundamental B [cell, sector] (inverted so that 2018 sites are a
            spatial equilibrium), dimensionless.
        related_employment: Employment field behind agglomeration [cell, sector]: skilled
            employment of related sectors weighted by the agglomeration kernel, persons.
        agg_reference: 2018 employment-weighted mean of ``related_employment`` at firms' sites,
            persons (G is about 1 there).
        agglomeration: Agglomeration gain G = (related_employment / agg_reference)^elasticity
            [cell, sector], dimensionless.
        goods_share: Share of output lost to the goods border [cell, sector] (``model.border``).
        park_mask: Cells of the designated cross-city parks of Shenzhen's firms (lever L1).
        site_density: Firm sites per m² of commercial floor (inverted from the 2018 firms;
            the sites of a cell are its floor times this, :mod:`model.processes.location`).
    """

    city: np.ndarray
    land_use: np.ndarray
    com_cap: np.ndarray
    res_cap: np.ndarray
    com_rent: np.ndarray
    res_rent: np.ndarray
    house_price: np.ndarray
    floor_ration: np.ndarray
    amenity: np.ndarray
    residential_fundamental: np.ndarray
    fundamental: np.ndarray
    related_employment: np.ndarray
    agglomeration: np.ndarray
    goods_share: np.ndarray
    park_mask: np.ndarray
    site_density: np.ndarray
    agg_reference: float = 1.0

    @property
    def n(self) -> int:
        """Number of model cells."""
        return int(self.city.size)


@dataclass
class Travel:
    """Cell-to-cell travel: dense (n_cells × n_cells) float32 matrices on a coarse map; on a
    fine one (more cells than ``map.dense_kernel_max_cells``) travel times computed for the
    pairs asked and the agglomeration kernel as a grid convolution (:mod:`model.kernels`).

    Attributes:
        minutes: One-way travel time between cells, minutes (HK–mainland trips via a crossing,
            ``model.border``); None on a fine map (use :meth:`between`).
        agg_kernel: Agglomeration weights ``exp(-minutes / firms.agglomeration_minutes)``: a
            dense matrix or a :class:`model.kernels.GridKernel` (apply with
            :func:`model.kernels.apply`).
        compute: Travel minutes between cells ``(a, b)`` computed from the map
            (:func:`model.geography.travel_minutes` bound to the map and the transport in force).
    """

    minutes: np.ndarray | None
    agg_kernel: Any
    compute: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None

    def between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """One-way minutes between cells ``a`` and ``b`` (broadcasting), float32: read from the
        dense matrix, or computed (the same values)."""
        if self.minutes is None:
            return self.compute(a, b)
        a, b = np.asarray(a), np.asarray(b)
        if a.size and b.size and a.min() >= 0 and b.min() >= 0:
            # a flat take reads the same entries as ``minutes[a, b]`` at about a third of the
            # cost of two-dimensional fancy indexing (negative cells keep numpy's wrap, below)
            return np.take(self.minutes, a.astype(np.intp) * self.minutes.shape[1] + b)
        return self.minutes[a, b]


@dataclass
class Cities:
    """City-level variables, one entry per city (HK, SZ, DG, HZ).

    Attributes:
        wage: Wage per unit of skill at jobs in the city, ¥ per quarter.
        wage_2018: ``wage`` in 2018Q1 (deflates R&D into 2018 researcher units).
        job_fundamental: Value of a job in the city beyond its income, log-income (inverted
            from 2018 wages).
        border_fundamental: Value of living and working on given sides of the HK–mainland
            border for talent of an origin group, log-income, ``[from_hk, home_in_hk,
            job_in_hk]`` (2 × 2 × 2; 0 for a mainland home and job; without a job, the job side is
            the home's): inverted so that, under the reference barriers, each group's 2018
            shares of the four home/job patterns are what its choices expect, with each
            talent's attachment to Hong Kong (:func:`model.setup.border_gap`). The barriers and
            Hong Kong's wage premium then move people by their changes.
        rent_reference: 2018 floor-weighted mean residential rent of the city before the agents
            are placed, ¥ per m² per quarter: the rent at which the rest of the economy's housing
            demand is its Cobb–Douglas level (``economy.housing_spend_share``).
        res_rent_2018: Floor-weighted mean residential rent of the city at the end of the 2018
            burn-in (under the reference levers), ¥ per m² per quarter: the base of the production
            wage's rent index (:func:`model.views.production_wages`).
        talent_rent_reference: Rent at which a talent household of reference income uses
            ``talent.floor_m2_per_talent`` (the 2018 mean of ``rent_reference`` weighted by S&T
            workers), ¥ per m² per quarter.
        talent_income_reference: Income of that household (the 2018 mean wage per unit skill
            weighted by S&T workers), ¥ per quarter.
        reference_unemployment: 2018 unemployment rate of talent living in the city, the level
            wages treat as normal.
        growth_anchor: Long-run appreciation owners anchor their expectations on, per year: the
            city's trend growth of nominal income at the end of the 2018 burn-in
            (``market.expectation_anchor``).
        expected_growth: Appreciation of residential rent the city's owners expect (adaptive,
            learnt from the city's rent index; every cell's owners read it), per year.
        price_growth: Last quarter's growth of the city's house-price index (floor-weighted,
            on that quarter's floor), per year: the price growth owners extrapolate from
            (``market.expectation_price_weight``).
        talent_subsidy: Talent subsidy paid this quarter per eligible talent working in the
            city, ¥ (set by the government phase, scaled to what the budget allows).
        rd_subsidy: Share of R&D spending the city reimburses this quarter.
        unfilled: Vacancies left open after last quarter's matching, agents.
        searching: Unemployed talent living in the city last quarter, agents.
    """

    wage: np.ndarray
    wage_2018: np.ndarray
    job_fundamental: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))
    border_fundamental: np.ndarray = field(default_factory=lambda: np.zeros((2, 2, 2)))
    rent_reference: np.ndarray = field(default_factory=lambda: np.ones(N_CITIES))
    res_rent_2018: np.ndarray = field(default_factory=lambda: np.ones(N_CITIES))
    talent_rent_reference: float = 1.0
    talent_income_reference: float = 1.0
    reference_unemployment: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))
    growth_anchor: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))
    expected_growth: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))
    price_growth: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))
    talent_subsidy: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))
    rd_subsidy: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))
    unfilled: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))
    searching: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))


@dataclass
class Knowledge:
    """The knowledge field (``model.processes.innovation``).

    Attributes:
        kernel: Spillover weights between cells (receiving × emitting), float32: decay with
            travel time, cut by the knowledge friction across the HK–mainland border.
        stock: Decaying count of recent innovations per cell, innovation-equivalents.
        reference: 2018 labour-weighted mean of the field at firms' sites (the field enters
            innovation as field / reference).
        field: The field at every cell this quarter (kernel @ sources).
    """

    kernel: np.ndarray
    stock: np.ndarray
    reference: float = 1.0
    field: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass
class Capital:
    """Venture capital: private funds, the four guidance funds and the book of every stake.

    Attributes:
        funds: Private funds ever raised (active or not), in the order they were raised.
        guidance_funds: The government guidance fund of each city, in city order.
        stakes: Every stake any fund has taken.
        next_manager: Identifier the next new fund manager gets.
    """

    funds: list[VCFund]
    guidance_funds: list[VCFund]
    stakes: StakeBook
    next_manager: int = 0

    def fund_by_id(self) -> dict[int, VCFund]:
        """Every fund (private and guidance) by its unique id."""
        return {f.unique_id: f for f in self.funds + self.guidance_funds}


@dataclass
class Economy:
    """Levels of the city economies around the modelled agents, advanced each quarter by the
    growth rates in force (``economy.*``, which may follow paths, :mod:`model.timeline`).

    Attributes:
        residents: Resident population per city, persons.
        per_resident: GDP and income per resident relative to 2018Q1, per city (× 2018).
        growth_2018: Growth of income per resident in force in 2018Q1 (``economy.nominal_growth``
            of the configuration the 2018 state is built under), per year, per city: the growth
            the firms' calibrated productivity drift belongs to.
    """

    residents: np.ndarray
    per_resident: np.ndarray
    growth_2018: np.ndarray


def _per_city() -> np.ndarray:
    return np.zeros(N_CITIES)


@dataclass
class Flows:
    """What happened this quarter, counted by city (reset at the start of every quarter).

    Attributes:
        in_migrants: Talent arriving in the region to live in the city, agents.
        in_migrants_hk: Those of them of Hong Kong origin, agents.
        out_migrants: Talent leaving the region from the city, agents.
        returned: Talent back in the region, living in the city, after leaving it while a
            commute shock lasted (counted in ``in_migrants`` too), agents.
        entries: Firms founded in the city.
        exits: Firms of the city that exited.
        relocations_out: Whole firms that moved from the city to another city.
    """

    in_migrants: np.ndarray = field(default_factory=_per_city)
    in_migrants_hk: np.ndarray = field(default_factory=_per_city)
    out_migrants: np.ndarray = field(default_factory=_per_city)
    returned: np.ndarray = field(default_factory=_per_city)
    entries: np.ndarray = field(default_factory=_per_city)
    exits: np.ndarray = field(default_factory=_per_city)
    relocations_out: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES, dtype=np.int64))


@dataclass
class Events:
    """Event logs of this quarter (reset at the start of every quarter), read by the recorder.

    Attributes:
        relocations: Moves of whole firms and second sites: dicts of arrays (``model.processes.location``).
        establishments: Second sites (plants, R&D centres) opened, moved and closed: dicts of arrays.
        entries: New firms: dicts of arrays (``model.processes.entry_exit``).
        deals: Venture deals, one tuple each (``model.processes.venture``).
        exits: Exits of portfolio firms: dicts of arrays (``model.processes.venture``).
    """

    relocations: list[dict[str, np.ndarray]] = field(default_factory=list)
    establishments: list[dict[str, np.ndarray]] = field(default_factory=list)
    entries: list[dict[str, np.ndarray]] = field(default_factory=list)
    deals: list[tuple[Any, ...]] = field(default_factory=list)
    exits: list[dict[str, np.ndarray]] = field(default_factory=list)


@dataclass
class State:
    """Everything that changes during a run.

    Attributes:
        owner: The Mesa model that owns the agents (new funds register with it).
        map: The corridor map (static; ``model.geography``).
        cells: Per-cell state.
        travel: Cell-to-cell travel.
        cities: City-level variables.
        knowledge: The knowledge field.
        firms: Every firm ever created (dead ones are marked, never removed).
        talent: Every living (and recently departed) skilled worker.
        away: Talent who left the region while displaced by a commute shock and may return
            when it reverses (:class:`agents.talent.AwayPool`).
        talent_scale: Real skilled workers per talent agent (1 at full scale).
        household_floor: Residential floor one talent agent's households use at the reference
            income and rent, m² (each household's own floor answers its income and rent:
            ``talent.floor``).
        market_weight: Weight of the agents' floor in the floor markets, 1 / population_share:
            the agents stand for that share of the corridor's skilled workers and innovative
            firms, so their demand counts for the whole of them and a sample's rents match the
            full population's.
        t: Quarter index (0 = the first simulated quarter; negative during burn-in).
        economy: Residents and income per resident of the cities this quarter.
        governments: The four city governments (set up at the end of the 2018 state).
        capital: Venture funds and stakes (set up at the end of the 2018 state).
        flows: This quarter's flows.
        events: This quarter's events.
        history: Flows of past quarters, oldest first.
    """

    owner: mesa.Model
    map: CorridorMap
    cells: Cells
    travel: Travel
    cities: Cities
    knowledge: Knowledge
    firms: FirmPopulation
    talent: TalentPopulation
    talent_scale: float
    household_floor: float
    t: int
    market_weight: float = 1.0
    economy: Economy | None = None
    governments: list[CityGovernment] = field(default_factory=list)
    capital: Capital | None = None
    flows: Flows = field(default_factory=Flows)
    events: Events = field(default_factory=Events)
    history: list[Flows] = field(default_factory=list)
    away: AwayPool = field(default_factory=AwayPool)

    @property
    def n_cells(self) -> int:
        """Number of model cells."""
        return self.cells.n

    def open_quarter(self) -> None:
        """Start a quarter: empty flows and event logs."""
        self.flows = Flows()
        self.events = Events()

    def close_quarter(self) -> None:
        """End a quarter: keep its flows in the history and advance the clock."""
        self.history.append(self.flows)
        self.t += 1
