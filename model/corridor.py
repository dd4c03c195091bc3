"""The corridor model: a Mesa model of firms, talent and floor-space markets on the map.

Read :meth:`CorridorModel.step` first: it states the order of one quarter. Each phase is a
method below it, in the same order; the behavioural maths lives in pure functions in
:mod:`agents.firms`, :mod:`agents.talent`, :mod:`model.markets` and :mod:`model.allocation`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import mesa
import numpy as np

from agents import firms as fm
from agents import talent as tm
from agents.firms import FirmPopulation
from agents.talent import TalentPopulation
from model import geography, innovation, markets, policy, venture
from model.allocation import allocate, sample_weighted, sample_weighted_by_group
from model.initial import populate
from model.params import SECTORS, Config, quarter_labels, validate
from model.recorder import Recorder
from model.reference import levers_differ, reference_config
from model.rng import RandomStreams

logging.getLogger("MESA").setLevel(logging.WARNING)

N_CITIES = 4
HK, SZ, DG, HZ = range(N_CITIES)
N_SECTORS = len(SECTORS)


class CorridorModel(mesa.Model):
    """Firms, talent and floor-space markets of the Shenzhen–Dongguan–Huizhou–Hong Kong corridor.

    Args:
        cfg: A configuration; it is validated before anything is built.

    Attributes:
        cfg: The configuration.
        map: The :class:`~model.geography.CorridorMap`.
        firms: The :class:`~agents.firms.FirmPopulation`.
        talent: The :class:`~agents.talent.TalentPopulation`.
        t: Index of the current quarter (0 = ``cfg.start``; negative during burn-in).
        recorder: Per-quarter tables and the relocation log.
    """

    def __init__(self, cfg: Config) -> None:
        validate(cfg)
        self.policy_cfg = cfg
        # the 2018 state is built and inverted under the reference levers (model/reference.py);
        # the scenario's land, border and transport settings switch on at the first quarter
        self.cfg = reference_config(cfg)
        self.streams = RandomStreams(cfg.seed)
        super().__init__(rng=self.streams.get("mesa"))
        self.labels = quarter_labels(cfg.start, cfg.quarters)
        self.t = -cfg.market.burn_in_quarters

        # ---- map and travel ----------------------------------------------------------------
        self.map = geography.build_map(cfg.map)
        self.initial_land_use = self.map.land_use.copy()
        self.cell_city = self.map.city.astype(np.int64)
        self.n_cells = self.map.n_cells
        self.travel = geography.travel_matrix(self.map, cfg.transport)
        self.agg_kernel = np.exp(-self.travel / np.float32(cfg.firms.agglomeration_minutes))
        self.goods_share = self._goods_cost_share()

        # ---- parameters as arrays ------------------------------------------------------------
        f, tp = cfg.firms, cfg.talent
        self.talent_scale = cfg.population_share * sum(tp.st_workers.as_list()) / cfg.n_talent
        self.beta = np.array(f.labour_elasticity.as_list())
        self.gamma = np.array(f.floor_elasticity.as_list())
        self.rd_mean = np.array(f.rd_intensity.as_list())
        self.rd_city_factor = np.array(f.rd_city_factor.as_list())
        self.corporate_tax = np.array(f.corporate_tax.as_list())
        self.wage = np.array(tp.wage_per_skill.as_list()) / 4.0  # ¥ per quarter per unit skill
        self.wage_2018 = self.wage.copy()
        self.mortgage_rate = np.array(cfg.economy.mortgage_rate.as_list())
        self.household_floor = tp.floor_m2_per_talent * self.talent_scale  # m² per agent

        # ---- cells ---------------------------------------------------------------------------
        self.com_cap, self.res_cap = geography.initial_floor_space(self.map, cfg)
        self.amenity = geography.amenity_index(self.map, self.service_index())
        self.residential_fundamental = np.zeros(self.n_cells)  # set after burn-in
        self.job_fundamental = np.zeros(N_CITIES)  # set after burn-in
        self.com_rent = np.zeros(self.n_cells)
        self.floor_ration = np.ones(self.n_cells)  # share of modelled firms' floor demand served
        self.res_rent = np.zeros(self.n_cells)
        self.expected_growth = np.asarray(cfg.economy.nominal_growth.as_list())[self.cell_city].copy()
        self.house_price = np.zeros(self.n_cells)
        self.fundamental = np.ones((self.n_cells, N_SECTORS))  # B[cell, sector], set after burn-in
        self.agglomeration = np.ones((self.n_cells, N_SECTORS))
        self.agg_reference = 1.0
        self.vacancies = np.zeros(0, dtype=np.int64)  # open vacancies per firm, this quarter
        self.reference_unemployment = np.zeros(N_CITIES)  # 2018 level, set after burn-in
        self.talent_subsidy_now = np.zeros(N_CITIES)  # ¥ per eligible talent this quarter (policy)
        self.rd_subsidy_now = np.zeros(N_CITIES)  # R&D subsidy rate this quarter (policy)
        self.knowledge_stock = np.zeros(self.n_cells)  # decaying count of recent innovations
        self._lease_inputs = (np.zeros(0), np.zeros(0))  # background spend and use, for lease rents
        self.unfilled = np.zeros(N_CITIES)  # unfilled vacancies by city, last quarter
        self.searching = np.zeros(N_CITIES)  # unemployed searchers by city, last quarter

        # ---- agents --------------------------------------------------------------------------
        self.firms = FirmPopulation(self, capacity=2 * cfg.n_firms)
        self.talent = TalentPopulation(self, capacity=2 * cfg.n_talent)
        self.next_uid = 0
        self.flows = self._empty_flows()
        self.phase_seconds: dict[str, float] = {}  # wall time per phase, summed over quarters
        self.recorder = Recorder(self)
        self._set_clearing_rents()  # background only: the rents agents see when placed
        populate(self)

        # ---- markets settle with agents held in place, then the 2018 allocation is inverted
        self._set_clearing_rents()
        while self.t < 0:
            self._burn_in_quarter()
        self._recover_fundamentals()
        self._settle_talent()

        self._switch_on_levers()

        # ---- innovation, governments and venture capital start from the 2018 state
        self.knowledge_kernel = innovation.knowledge_kernel(self)
        innovation.set_initial_stock(self)
        policy.create_governments(self)
        venture.create_funds(self, self.streams.get("vc_init"))

    def _switch_on_levers(self) -> None:
        """Switch from the reference levers to the scenario's at the first simulated quarter."""
        reference, cfg = self.cfg, self.policy_cfg
        self.cfg = cfg
        if levers_differ(reference, cfg, "transport"):
            self.travel = geography.travel_matrix(self.map, cfg.transport)
            self.agg_kernel = np.exp(-self.travel / np.float32(cfg.firms.agglomeration_minutes))
            self._update_agglomeration()
        if levers_differ(reference, cfg, "border") or levers_differ(reference, cfg, "transport"):
            self.goods_share = self._goods_cost_share()

    # =========================================================================================
    # the quarter
    # =========================================================================================

    def step(self) -> None:
        """Advance one quarter. The order of a quarter, written once:

        1. **Governments** apply their adaptive rules, bring new land and talent housing to
           market (paying for it, selling land), build parks, spend on services and guidance
           funds, and set the quarter's subsidy rates (levers L1–L8).
        2. **Innovation**: last quarter's R&D, talent skill and the knowledge field yield
           innovations; innovators gain productivity. Then productivity drifts and takes shocks.
        3. **Production**: agglomeration from employment; output, wages, rent, R&D, goods
           border costs and tax; governments collect taxes and pay subsidies; profit goes to cash.
        4. **Labour market**: firms set their target workforce, shed or post vacancies;
           unemployed and some employed talent search and are matched.
        5. **Migration and housing**: departures, arrivals (if the region beats the outside
           option) who take the vacancies left, city wages respond to the vacancies still open,
           and home choice for movers (wage − housing − commute + home value).
        6. **Markets**: commercial and residential rents move with excess demand against floor
           space; house prices follow rents and expected growth.
        7. **Location**: reviewing firms stay, move, or (big firms) move a division.
        8. **Exit and entry**: loss-making firms exit; talent found start-ups and spin-offs
           (incubator grants).
        9. **Venture capital**: fees, exits and write-offs, fund life cycles, new deals.
        10. **Record** the quarter's tables.
        """
        self.flows = self._empty_flows()
        for name, phase in self.phases():
            start = time.perf_counter()
            phase()
            self.phase_seconds[name] = self.phase_seconds.get(name, 0.0) + time.perf_counter() - start
        self.t += 1
        if self.t >= self.cfg.quarters:
            self.running = False

    def phases(self) -> list[tuple[str, Callable[[], None]]]:
        """The phases of a quarter in the order :meth:`step` runs them (named for the timers)."""
        return [
            ("governments", lambda: policy.government_phase(self)),
            ("innovation", lambda: innovation.innovate(self, self.streams.get("innovation", self.t))),
            ("productivity", self.update_productivity),
            ("production", self.produce),
            ("taxes_and_subsidies", lambda: (policy.collect_revenue(self), policy.pay_subsidies(self))),
            ("labour_market", self.labour_market),
            ("migration_and_housing", self.migration_and_housing),
            ("markets", self.clear_markets),
            ("location", self.review_locations),
            ("exit_and_entry", self.exit_and_entry),
            ("venture_capital", lambda: venture.venture_phase(self, self.streams.get("venture", self.t))),
            ("record", self.recorder.record_quarter),
        ]

    # =========================================================================================
    # phases
    # =========================================================================================

    def add_floor(self, commercial: np.ndarray, residential: np.ndarray, renewal: np.ndarray) -> None:
        """Add new floor space per city (m²): a ``renewal`` share densifies built cells (urban
        renewal, in proportion to their floor space); the rest is built on the most central
        reserve cells, each filled to a typical built density before the next is opened."""
        for cap, new in ((self.com_cap, np.asarray(commercial)), (self.res_cap, np.asarray(residential))):
            if new.any():
                self._add_floor(cap, new * renewal, new * (1.0 - renewal))
        self.fill_new_cell_rents()

    def _baseline_land(self) -> None:
        """The configured land supply without a government budget (burn-in before 2018)."""
        land = self.cfg.land
        mult = np.array(land.multipliers())
        self.add_floor(
            np.array(land.commercial_supply_m2.as_list()) * mult / 4.0,
            np.array(land.residential_supply_m2.as_list()) * mult / 4.0,
            np.array(land.renewal_share.as_list()),
        )

    def update_productivity(self) -> None:
        """Drift and idiosyncratic shocks of log productivity (stream ``productivity``)."""
        rng = self.streams.get("productivity", self.t)
        alive = self.firms.alive_index()
        shock = rng.standard_normal(alive.size)
        f = self.cfg.firms
        self.firms.log_a[alive] += f.productivity_drift / 4.0 + f.productivity_volatility * shock

    def produce(self) -> None:
        """Output, costs, tax and profit of every firm; profit accumulates in cash.

        Output is value added net of the goods border's costs (``goods_cost`` records them);
        R&D rises with the city's R&D subsidy rate (``rd_response``)."""
        firms = self.firms
        self._update_workforce()
        self._update_agglomeration()
        alive = firms.alive_index()
        sector = firms.sector[alive]
        labour = firms.eff[alive] * self.talent_scale
        floor = firms.floor_hq[alive] + firms.floor_div[alive]
        firms.output[alive] = fm.output(self._firm_tfp(alive), labour, floor, self.beta[sector], self.gamma[sector])
        firms.wage_bill[alive] = self._wage_bills()[alive]
        div = firms.div_cell[alive]
        rent_div = np.where(div >= 0, self.com_rent[np.maximum(div, 0)], 0.0)
        firms.rent_bill[alive] = (
            firms.floor_hq[alive] * self.com_rent[firms.cell[alive]] + firms.floor_div[alive] * rent_div
        )
        city = self.cell_city[firms.cell[alive]]
        boost = 1.0 + self.cfg.government.rd_response * self.rd_subsidy_now[city]
        firms.rd_spend[alive] = firms.rd[alive] * boost * firms.output[alive]
        share = self.goods_share[firms.cell[alive], sector]
        firms.goods_cost[alive] = firms.output[alive] * share / (1.0 - share)
        before_tax = (
            firms.output[alive]
            - firms.wage_bill[alive]
            - firms.rent_bill[alive]
            - firms.rd_spend[alive]
            - firms.fixed_cost[alive]
        )
        firms.tax[alive] = self.corporate_tax[city] * np.maximum(before_tax, 0.0)
        firms.profit[alive] = before_tax - firms.tax[alive]
        firms.cash[alive] += firms.profit[alive]
        firms.loss_streak[alive] = np.where(firms.profit[alive] < 0, firms.loss_streak[alive] + 1, 0)

    def labour_market(self) -> None:
        """Firms shed or post vacancies; searchers are matched; city wages adjust."""
        rng = self.streams.get("labour", self.t)
        vacancies = self._workforce_targets(rng)
        searchers = self._searchers(rng)
        self.vacancies = self._match(searchers, vacancies, rng, newcomers=False)

    def migration_and_housing(self) -> None:
        """Departures, arrivals and home choice."""
        rng = self.streams.get("migration", self.t)
        self._departures(rng)
        self._arrivals(rng)
        self._adjust_wages(self.vacancies)
        movers = self._home_reviewers(rng)
        self._choose_homes(movers, self.streams.get("housing", self.t), allow_stay=True)
        self.talent.must_search[:] = False

    def clear_markets(self) -> None:
        """Rents move with excess demand; expectations and house prices follow."""
        mk = self.cfg.market
        self._update_workforce()
        com_use, res_use = self._floor_use()
        bg_com, bg_res = self._background_spend()
        self.com_rent = markets.update_rent(
            self.com_rent,
            bg_com,
            com_use,
            self.com_cap,
            mk.target_occupancy,
            mk.adjustment_speed,
            mk.max_quarterly_change,
        )
        old = self.res_rent
        self.res_rent = markets.update_rent(
            old,
            bg_res,
            res_use,
            self.res_cap,
            mk.target_occupancy,
            mk.adjustment_speed,
            mk.max_quarterly_change,
        )
        self._update_house_prices(old)

    def review_locations(self) -> None:
        """Reviewing firms compare profit here with sampled sites and move if it pays."""
        rng = self.streams.get("location", self.t)
        lp = self.cfg.location
        alive = self.firms.alive_index()
        reviewing = alive[(rng.random(alive.size) < lp.review_probability) & (self.firms.workers[alive] > 0)]
        if reviewing.size == 0:
            return
        self._update_workforce()
        self._refresh_lease_inputs()
        candidates = self._candidate_sites(rng, reviewing, lp.candidates)
        choice = self._evaluate_moves(reviewing, candidates)
        self._apply_moves(rng, reviewing, candidates, choice)

    def exit_and_entry(self) -> None:
        """Exits after sustained losses (or at random); founders create start-ups and spin-offs."""
        self._exits(self.streams.get("exit", self.t))
        self._entries(self.streams.get("entry", self.t))

    # =========================================================================================
    # land and markets
    # =========================================================================================

    def _add_floor(self, cap: np.ndarray, renewal: np.ndarray, greenfield: np.ndarray) -> None:
        city = self.cell_city
        built = self.map.land_use == geography.BUILT
        if renewal.any():
            cap += markets.spread_by_weight(renewal, city, np.where(built, cap, 0.0))
        for c in np.flatnonzero(greenfield > 0):
            remaining = float(greenfield[c])
            cells = np.flatnonzero(city == c)
            built_c = cells[built[cells] & (cap[cells] > 0)]
            density = float(np.percentile(cap[built_c], 75)) if built_c.size else 1e6
            reserve = cells[self.initial_land_use[cells] == geography.RESERVE]
            # finish partly built reserve cells first, then open the most central ones
            order = reserve[np.lexsort((-self.map.centrality[reserve], ~(cap[reserve] > 0)))]
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
                cap += markets.spread_by_weight(
                    np.where(np.arange(N_CITIES) == c, remaining, 0.0), city, np.where(built, cap, 0.0)
                )

    def fill_new_cell_rents(self) -> None:
        """Cells that just received floor space start at their city's median asking rent."""
        for rent, cap in ((self.com_rent, self.com_cap), (self.res_rent, self.res_cap)):
            new = (cap > 0) & ~(rent > 0)
            if not new.any():
                continue
            for c in np.unique(self.cell_city[new]):
                ref = rent[(self.cell_city == c) & (rent > 0)]
                rent[new & (self.cell_city == c)] = float(np.median(ref)) if ref.size else 1.0
        self.map.land_use[(self.map.land_use == geography.RESERVE) & ((self.com_cap > 0) | (self.res_cap > 0))] = (
            geography.BUILT
        )

    def _background_spend(self) -> tuple[np.ndarray, np.ndarray]:
        """Quarterly spending of the rest of the economy on floor space, per cell (¥)."""
        eco = self.cfg.economy
        years = self.t / 4.0
        growth = np.power(1.0 + np.array(eco.nominal_growth.as_list()), years)
        gdp = np.array(eco.gdp.as_list()) * growth / 4.0
        st_workers = np.array(self.cfg.talent.st_workers.as_list()) * self.cfg.population_share
        residents = np.array(eco.residents.as_list())
        income = np.array(eco.income_per_resident.as_list())
        bg_income = (residents - st_workers) * income * growth / 4.0
        centrality = 1.0 + self.cfg.map.centrality_weight * self.map.centrality
        com = markets.spread_by_weight(eco.commercial_spend_share * gdp, self.cell_city, self.com_cap * centrality)
        res = markets.spread_by_weight(eco.housing_spend_share * bg_income, self.cell_city, self.res_cap * centrality)
        return com, res

    def _floor_use(self) -> tuple[np.ndarray, np.ndarray]:
        """Floor used by modelled firms (commercial) and talent (residential), m² per cell."""
        firms, talent = self.firms, self.talent
        alive = firms.alive_index()
        com = np.bincount(firms.cell[alive], weights=firms.floor_hq[alive], minlength=self.n_cells)
        has_div = firms.div_cell[alive] >= 0
        com += np.bincount(
            firms.div_cell[alive][has_div], weights=firms.floor_div[alive][has_div], minlength=self.n_cells
        )
        homes = talent.home[talent.alive & (talent.home >= 0)]
        res = np.bincount(homes, minlength=self.n_cells) * self.household_floor
        return com, res

    def _update_floor(self) -> None:
        """Floor each firm leases at its sites: the cost-minimising ``(γ/β)·w/r`` per unit of
        labour, scaled down in a cell where modelled demand exceeds the cell's floor space."""
        firms = self.firms
        alive = firms.alive_index()
        sector = firms.sector[alive]
        beta, gamma = self.beta[sector], self.gamma[sector]
        hq, div = firms.cell[alive], firms.div_cell[alive]
        has_div = div >= 0
        div_safe = np.maximum(div, 0)
        labour_div = firms.eff_div[alive] * self.talent_scale
        labour_hq = firms.eff[alive] * self.talent_scale - labour_div
        rent_hq = np.maximum(self.com_rent[hq], 1e-9)
        rent_div = np.maximum(self.com_rent[div_safe], 1e-9)
        want_hq = labour_hq * fm.floor_per_labour(beta, gamma, self.wage[self.cell_city[hq]], rent_hq)
        want_div = np.where(
            has_div, labour_div * fm.floor_per_labour(beta, gamma, self.wage[self.cell_city[div_safe]], rent_div), 0.0
        )
        wanted = np.bincount(hq, weights=want_hq, minlength=self.n_cells)
        wanted += np.bincount(div_safe[has_div], weights=want_div[has_div], minlength=self.n_cells)
        self.floor_ration = np.where(wanted > self.com_cap, self.com_cap / np.maximum(wanted, 1e-9), 1.0)
        firms.floor_hq[alive] = want_hq * self.floor_ration[hq]
        firms.floor_div[alive] = want_div * np.where(has_div, self.floor_ration[div_safe], 0.0)

    def _set_clearing_rents(self) -> None:
        mk = self.cfg.market
        self._update_workforce()
        com_use, res_use = self._floor_use()
        bg_com, bg_res = self._background_spend()
        self.com_rent = markets.clearing_rent(bg_com, com_use, self.com_cap, mk.target_occupancy)
        self.res_rent = markets.clearing_rent(bg_res, res_use, self.res_cap, mk.target_occupancy)
        self.com_rent[~(self.com_cap > 0)] = 0.0
        self.res_rent[~(self.res_cap > 0)] = 0.0
        self.fill_new_cell_rents()
        self._update_house_prices(self.res_rent)

    def _burn_in_quarter(self) -> None:
        """A quarter before the start: background demand and markets move, agents stay."""
        self._baseline_land()
        self.clear_markets()
        self.t += 1

    def _update_house_prices(self, old_rent: np.ndarray) -> None:
        mk = self.cfg.market
        self.expected_growth = markets.update_expectations(
            self.expected_growth, old_rent, self.res_rent, mk.expectation_smoothing
        )
        self.house_price = markets.house_price(
            self.res_rent,
            self.mortgage_rate[self.cell_city],
            mk.depreciation,
            self.expected_growth,
            mk.min_user_cost,
        )

    def _goods_cost_share(self) -> np.ndarray:
        """Share of output lost to the goods border, per cell and sector: the traded share times
        the goods friction (lower in cooperation zones), rising with the trip to a crossing."""
        b = self.cfg.border
        cm = self.map
        to_crossing = (
            np.min(
                np.hypot(cm.x_km[:, None] - cm.crossing_xy[None, :, 0], cm.y_km[:, None] - cm.crossing_xy[None, :, 1]),
                axis=1,
            )
            * self.cfg.transport.detour_factor
            / self.cfg.transport.speed_kmh
            * 60.0
        )
        friction = np.where(cm.special_zone >= 0, b.goods_friction * b.zone_friction_factor, b.goods_friction)
        share = (friction * (1.0 + to_crossing / 120.0))[:, None] * np.array(b.trade_share.as_list())[None, :]
        return np.clip(share, 0.0, 0.9)

    def set_services(self, index: np.ndarray) -> None:
        """New public-service index per city: amenity (and so home values) follow."""
        self.amenity = geography.amenity_index(self.map, index)

    def city_house_price(self, city: int) -> float:
        """Floor-weighted mean house price of a city, ¥ per m²."""
        m = (self.cell_city == city) & (self.res_cap > 0)
        return float(np.average(self.house_price[m], weights=self.res_cap[m])) if m.any() else 0.0

    def city_commercial_value(self, city: int) -> float:
        """Market value of commercial floor in a city (annual rent capitalised), ¥ per m²."""
        m = (self.cell_city == city) & (self.com_cap > 0)
        if not m.any():
            return 0.0
        return float(np.average(self.com_rent[m], weights=self.com_cap[m])) * 4.0 / policy.COMMERCIAL_CAP_RATE

    def firms_in_city(self, city: int) -> int:
        """Living firms headquartered in a city."""
        alive = self.firms.alive_index()
        return int(np.count_nonzero(self.cell_city[self.firms.cell[alive]] == city))

    def wage_bills_by_city(self) -> np.ndarray:
        """Skilled wages paid at job sites in each city this quarter (¥, real scale)."""
        employed = np.flatnonzero(self.talent.alive & (self.talent.employer >= 0))
        city = self.cell_city[self.job_cells(employed)]
        wages = self.wage[city] * self.talent.skill[employed]
        return np.bincount(city, weights=wages, minlength=N_CITIES) * self.talent_scale

    def eligible_talent_by_city(self) -> np.ndarray:
        """Employed talent (agents) eligible for their job city's talent subsidy."""
        talent = self.talent
        employed = np.flatnonzero(
            talent.alive & (talent.employer >= 0) & (talent.skill >= self.cfg.government.talent_subsidy_min_skill)
        )
        return np.bincount(self.cell_city[self.job_cells(employed)], minlength=N_CITIES).astype(float)

    def capital_friction_at(self, cells: np.ndarray) -> np.ndarray:
        """Capital friction for firms at ``cells`` (lower in the cooperation zones)."""
        b = self.cfg.border
        return np.where(
            self.map.special_zone[cells] >= 0, b.capital_friction * b.zone_friction_factor, b.capital_friction
        )

    @property
    def fund_by_id(self) -> dict[int, object]:
        """Every fund (private and guidance) by its unique id."""
        return {f.unique_id: f for f in self.funds + self.guidance_funds}

    def service_index(self) -> np.ndarray:
        """Public-service index per city (0–1.5): hospital beds and school class ratios."""
        s = self.cfg.services
        beds = np.array(s.hospital_beds_per_10k.as_list()) / s.beds_reference
        schools = s.students_reference / np.array(s.students_per_teacher.as_list())
        return np.clip(0.5 * (beds + schools), 0.0, 1.5)

    # =========================================================================================
    # firms: workforce, productivity, production
    # =========================================================================================

    def _update_workforce(self) -> None:
        """Workers, division workers and efficiency units of every firm, from the talent arrays."""
        firms, talent = self.firms, self.talent
        employed = talent.alive & (talent.employer >= 0)
        emp = talent.employer[employed]
        skill = talent.skill[employed]
        div = talent.at_division[employed]
        n = firms.n
        firms.workers[:] = np.bincount(emp[~div], minlength=n)
        firms.workers_div[:] = np.bincount(emp[div], minlength=n)
        firms.eff[:] = np.bincount(emp, weights=skill, minlength=n)
        firms.eff_div[:] = np.bincount(emp[div], weights=skill[div], minlength=n)
        self._update_floor()

    def job_cells(self, idx: np.ndarray) -> np.ndarray:
        """Cell where each talent in ``idx`` works (-1 if not employed by a modelled firm)."""
        emp = self.talent.employer[idx]
        has = emp >= 0
        e = np.maximum(emp, 0)
        div = self.firms.div_cell[e]
        cell = np.where(self.talent.at_division[idx] & (div >= 0), div, self.firms.cell[e])
        return np.where(has, cell, -1)

    def _update_agglomeration(self) -> None:
        """Agglomeration gain G[cell, sector] from related employment, decaying with travel time."""
        talent = self.talent
        employed = np.flatnonzero(talent.alive & (talent.employer >= 0))
        cells = self.job_cells(employed)
        sector = self.firms.sector[talent.employer[employed]]
        emp = (
            np.bincount(
                cells * N_SECTORS + sector,
                weights=talent.skill[employed] * self.talent_scale,
                minlength=self.n_cells * N_SECTORS,
            )
            .reshape(self.n_cells, N_SECTORS)
            .astype(np.float32)
        )
        field = self.agg_kernel @ emp
        w = self.cfg.firms.related_sector_weight
        related = (1.0 - w) * field + w * field.sum(axis=1, keepdims=True)
        self.related_employment = related
        self.agglomeration = np.power(
            np.maximum(related, 1e-6) / self.agg_reference, self.cfg.firms.agglomeration_elasticity
        ).astype(np.float64)

    def _site_tfp(self, firm_idx: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """TFP a firm would have at ``cells`` (broadcast): A · B[city, sector] · G[cell, sector]."""
        sector = self.firms.sector[firm_idx]
        if cells.ndim == 2:
            sector = sector[:, None]
        return (
            np.exp(self.firms.log_a[firm_idx]).reshape(sector.shape)
            * self.fundamental[cells, sector]
            * self.agglomeration[cells, sector]
            * (1.0 - self.goods_share[cells, sector])
        )

    def _division_factor(self, hq: np.ndarray, div: np.ndarray) -> np.ndarray:
        """Share of a division's output kept after coordination costs with headquarters."""
        minutes = self.travel[hq, div]
        return np.maximum(1.0 - self.cfg.location.division_coordination_per_minute * minutes, 0.0)

    def _firm_tfp(self, idx: np.ndarray) -> np.ndarray:
        """Current TFP of firms, blending headquarters and division by their efficiency shares."""
        firms = self.firms
        tfp = self._site_tfp(idx, firms.cell[idx])
        div = firms.div_cell[idx]
        has = div >= 0
        if has.any():
            d_idx = idx[has]
            share = np.where(firms.eff[d_idx] > 0, firms.eff_div[d_idx] / np.maximum(firms.eff[d_idx], 1e-12), 0.0)
            tfp_div = self._site_tfp(d_idx, div[has]) * self._division_factor(firms.cell[d_idx], div[has])
            tfp[has] = (1.0 - share) * tfp[has] + share * tfp_div
        return tfp

    def _wage_bills(self) -> np.ndarray:
        """Wage bill of every firm (¥ per quarter, real scale)."""
        talent = self.talent
        employed = np.flatnonzero(talent.alive & (talent.employer >= 0))
        wages = self.talent_wage(employed)
        return np.bincount(talent.employer[employed], weights=wages, minlength=self.firms.n) * self.talent_scale

    def talent_wage(self, idx: np.ndarray) -> np.ndarray:
        """Quarterly wage of employed talent ``idx``: city wage per skill × skill."""
        return self.wage[self.cell_city[self.job_cells(idx)]] * self.talent.skill[idx]

    def _recover_fundamentals(self) -> None:
        """Invert the 2018 allocation: location fundamentals B and firm productivity A.

        B[cell, sector] makes the cost-adjusted productivity ``B·G / c^β`` of a firm of average
        skill the same in every cell (where c is the cost of an efficiency unit of labour
        there), so that in 2018 no site is better than another for the average firm of a
        sector: the observed allocation is a spatial equilibrium. Each firm's A then makes its
        2018 size its optimal size. Everything that happens after 2018 — rents, wages,
        agglomeration, land, policy, shocks — moves firms away from that equilibrium.
        """
        firms = self.firms
        self._update_workforce()
        self._update_agglomeration()
        self.agg_reference = self._agglomeration_reference()
        self._update_agglomeration()
        self._refresh_lease_inputs()
        rent = self.lease_rent(np.arange(self.n_cells))
        for c in range(N_CITIES):
            in_c = self.cell_city == c
            ref = rent[in_c & (self.com_cap > 0)]
            rent[in_c & ~(self.com_cap > 0)] = float(np.nanmedian(ref)) if ref.size else 0.0
        log_wage = np.log(self.wage[self.cell_city])[:, None]
        log_index = (
            self.beta[None, :] * log_wage
            + self.gamma[None, :] * np.log(rent)[:, None]
            - np.log(self.agglomeration)
            - np.log(1.0 - self.goods_share)
        )
        alive = firms.alive_index()
        sector = firms.sector[alive]
        sz_firms = self.cell_city[firms.cell[alive]] == SZ
        for s in range(N_SECTORS):
            m = sz_firms & (sector == s)
            cells = firms.cell[alive][m] if m.any() else np.flatnonzero(self.cell_city == SZ)
            log_index[:, s] -= float(np.mean(log_index[cells, s]))
        self.fundamental = np.exp(log_index)
        cell = firms.cell[alive]
        beta, gamma = self.beta[sector], self.gamma[sector]
        wage = self.wage[self.cell_city[cell]]
        labour = np.maximum(firms.eff[alive], 1e-9) * self.talent_scale
        tfp = fm.productivity_for_size(labour, wage, self.com_rent[cell], beta, gamma, firms.rd[alive])
        site = (
            self.fundamental[cell, sector] * self.agglomeration[cell, sector] * (1.0 - self.goods_share[cell, sector])
        )
        firms.log_a[alive] = np.log(tfp) - np.log(site)
        floor = labour * fm.floor_per_labour(beta, gamma, wage, self.com_rent[cell])
        firms.output[alive] = fm.output(tfp, labour, floor, beta, gamma)
        firms.rd_spend[alive] = firms.rd[alive] * firms.output[alive]
        firms.fixed_cost[alive] = self.cfg.firms.fixed_cost_share * firms.output[alive]
        firms.origin_city[alive] = self.cell_city[cell]
        firms.cash[alive] = self.cfg.firms.initial_cash_quarters * self._wage_bills()[alive]

    def home_value(self) -> np.ndarray:
        """Value of living in each cell: amenity plus the residential fundamental (log-income)."""
        return self.cfg.talent.amenity_weight * self.amenity + self.residential_fundamental

    def _settle_talent(self) -> None:
        """Invert the 2018 pattern of homes, and give each talent its outside option.

        The residential fundamental of a cell makes the mean utility of its 2018 residents equal
        to the corridor's mean (cells without residents take their city's mean), so the 2018
        homes are an equilibrium and later moves answer to what changes. Each talent is here by
        choice: its outside option lies an exponential surplus below its utility. The 2018
        unemployment rate of each city becomes the level wages treat as normal.
        """
        alive = self.talent.alive_index()
        home = self.talent.home[alive]
        self.job_fundamental = np.log(self.wage[SZ]) - np.log(self.wage)
        self.residential_fundamental[:] = 0.0
        income, _, job = self._job_part(alive)
        part = self._home_part(alive, income, job, home)
        count = np.bincount(home, minlength=self.n_cells)
        cell_mean = np.bincount(home, weights=part, minlength=self.n_cells) / np.maximum(count, 1)
        city = self.cell_city[home]
        city_mean = np.bincount(city, weights=part, minlength=N_CITIES) / np.maximum(
            np.bincount(city, minlength=N_CITIES), 1
        )
        cell_mean = np.where(count > 0, cell_mean, city_mean[self.cell_city])
        self.residential_fundamental = float(part.mean()) - cell_mean
        rng = self.streams.get("reservation")
        surplus = rng.exponential(self.cfg.talent.initial_surplus, alive.size)
        self.talent.reservation[alive] = (self.current_utility(alive) - surplus).astype(np.float32)
        _, seekers, jobs = self._labour_rates(np.zeros(self.firms.n))
        self.reference_unemployment = seekers / np.maximum(jobs + seekers, 1.0)

    def _agglomeration_reference(self) -> float:
        """Employment-weighted mean related-employment field at firms' sites (G is about 1 there)."""
        firms = self.firms
        alive = firms.alive_index()
        field = self.related_employment[firms.cell[alive], firms.sector[alive]]
        return float(np.average(field, weights=np.maximum(firms.eff[alive], 1e-9)))

    # =========================================================================================
    # labour market
    # =========================================================================================

    def _workforce_targets(self, rng: np.random.Generator) -> np.ndarray:
        """Fire above-target workers at random; return vacancies per firm (agents)."""
        firms, lp = self.firms, self.cfg.firms
        self._update_workforce()
        alive = firms.alive_index()
        sector = firms.sector[alive]
        cell = firms.cell[alive]
        workers = firms.workers[alive] + firms.workers_div[alive]
        mean_skill = np.where(workers > 0, firms.eff[alive] / np.maximum(workers, 1), 1.0)
        gamma = self.gamma[sector]
        # a firm squeezed by a full cell sees its floor, and so its output, scaled down
        tfp = self._firm_tfp(alive) * np.power(self.floor_ration[cell], gamma)
        target = fm.optimal_labour(
            tfp, self.wage[self.cell_city[cell]], self.com_rent[cell], self.beta[sector], gamma, firms.rd[alive]
        )
        target = target / self.talent_scale / mean_skill
        gap = target - workers
        # adjustment costs: gaps inside the band are left alone, larger ones close gradually
        band = lp.workforce_band * np.maximum(workers, 1.0)
        change = np.where(np.abs(gap) > band, lp.workforce_adjustment * gap, 0.0)
        step = np.maximum(lp.max_growth * workers, 1.0)
        change = np.clip(change, -lp.max_growth * workers, step)
        change = fm.stochastic_round(change, rng.random(alive.size))
        change = np.where((change > 0) & (firms.cash[alive] < 0), 0, change)  # hiring needs cash
        self._fire(rng, alive, np.maximum(-change, 0))
        vacancies = np.zeros(firms.n, dtype=np.int64)
        vacancies[alive] = np.maximum(change, 0)
        return vacancies

    def _fire(self, rng: np.random.Generator, firm_idx: np.ndarray, n_fire: np.ndarray) -> None:
        """Lay off ``n_fire`` workers at random from each firm."""
        if not n_fire.any():
            return
        quota = np.zeros(self.firms.n, dtype=np.int64)
        quota[firm_idx] = n_fire
        talent = self.talent
        pool = np.flatnonzero(talent.alive & (talent.employer >= 0))
        pool = pool[quota[talent.employer[pool]] > 0]
        order = pool[np.lexsort((rng.random(pool.size), talent.employer[pool]))]
        emp = talent.employer[order]
        starts = np.flatnonzero(np.r_[True, emp[1:] != emp[:-1]])
        rank = np.arange(order.size) - np.repeat(starts, np.diff(np.r_[starts, order.size]))
        fired = order[rank < quota[emp]]
        self._release(fired)

    def _release(self, idx: np.ndarray) -> None:
        """Talent ``idx`` leave their employer (layoff, exit of the firm, founding, departure)."""
        self.talent.employer[idx] = -1
        self.talent.at_division[idx] = False

    def _searchers(self, rng: np.random.Generator) -> np.ndarray:
        talent = self.talent
        alive = talent.alive
        unemployed = alive & (talent.employer < 0)
        on_the_job = alive & (talent.employer >= 0) & (rng.random(talent.n) < self.cfg.talent.search_share_employed)
        return np.flatnonzero(unemployed | on_the_job | (alive & talent.must_search))

    def _match(
        self,
        searchers: np.ndarray,
        vacancies: np.ndarray,
        rng: np.random.Generator,
        newcomers: bool,
        search_city: np.ndarray | None = None,
    ) -> np.ndarray:
        """Searchers sample vacancies, pick the best, and are admitted up to each firm's vacancies.

        Half the offers a searcher sees are in its city (of its home, or ``search_city``), half
        anywhere in the corridor, each in proportion to vacancies.

        Returns:
            Vacancies left per firm.
        """
        tp = self.cfg.talent
        if searchers.size == 0 or vacancies.sum() == 0:
            return vacancies
        if search_city is None:
            home = self.talent.home[searchers]
            search_city = np.where(home >= 0, self.cell_city[np.maximum(home, 0)], SZ)
        k_local = (tp.job_offers + 1) // 2
        firm_city = self.cell_city[self.firms.cell[: vacancies.size]]
        weight = vacancies.astype(float)
        local = sample_weighted_by_group(rng, search_city, firm_city, weight, k_local, N_CITIES)
        wide = sample_weighted(rng, weight, (searchers.size, tp.job_offers - k_local))
        offers = np.concatenate([local, wide], axis=1)
        offers = np.where(offers >= 0, offers, wide[:, :1] if wide.shape[1] else offers)
        utility = self._job_utility(searchers, np.maximum(offers, 0))
        utility = np.where(offers >= 0, utility, -np.inf)
        utility += tp.taste_sd * rng.standard_normal(utility.shape)
        pick, best = tm.best_option(utility)
        current = self._current_job_utility(searchers)
        switch = np.where(self.talent.employer[searchers] >= 0, tp.job_switch_cost, 0.0)
        if newcomers:
            current = np.full(searchers.size, -np.inf)
        target = np.where(np.isfinite(best) & (best > current + switch), offers[np.arange(searchers.size), pick], -1)
        admitted = allocate(target, 1.0, vacancies.astype(float), rng.random(searchers.size))
        hired = searchers[admitted]
        firm = target[admitted]
        self.talent.employer[hired] = firm
        has_div = self.firms.div_cell[firm] >= 0
        self.talent.at_division[hired] = has_div & (rng.random(hired.size) < self.cfg.location.division_share)
        self.talent.unemployed_q[hired] = 0
        self.talent.must_search[hired] = True  # a new job: review the home too
        left = vacancies.copy()
        np.subtract.at(left, firm, 1)
        return left

    def _job_utility(self, idx: np.ndarray, firm_cols: np.ndarray) -> np.ndarray:
        """Utility of job offers (firms, one column each) for talent ``idx`` from their homes."""
        talent = self.talent
        cells = self.firms.cell[firm_cols]
        city = self.cell_city[cells]
        home = talent.home[idx][:, None]
        wage = self.income_at(city, talent.skill[idx][:, None])
        barrier = self._work_barrier(talent.origin[idx][:, None], city, cells)
        commute = np.where(home >= 0, self.travel[np.maximum(home, 0), cells], 0.0)
        value = tm.job_utility(wage, self.job_fundamental[city], barrier)
        return value - self.cfg.talent.commute_disutility_per_minute * commute

    def _job_part(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Income, job utility and job cell (-1 without a modelled job) of talent ``idx``."""
        talent = self.talent
        job = self.job_cells(idx)
        employed = job >= 0
        home = talent.home[idx]
        earn_city = np.where(employed, self.cell_city[np.maximum(job, 0)], self.cell_city[np.maximum(home, 0)])
        income = self.talent_income(idx)
        barrier = np.where(employed, self._work_barrier(talent.origin[idx], earn_city, np.maximum(job, 0)), 0.0)
        return income, tm.job_utility(income, self.job_fundamental[earn_city], barrier), job

    def _home_part(self, idx: np.ndarray, income: np.ndarray, job: np.ndarray, homes: np.ndarray) -> np.ndarray:
        """Home utility of talent ``idx`` at ``homes`` (one column per candidate, or a vector)."""
        talent = self.talent
        if homes.ndim == 2:
            income, job, origin = income[:, None], job[:, None], talent.origin[idx][:, None]
        else:
            origin = talent.origin[idx]
        commute = np.where(job >= 0, self.travel[homes, np.maximum(job, 0)], 0.0)
        return tm.home_utility(
            income,
            self.res_rent[homes] * (self.household_floor / self.talent_scale),
            commute,
            self.home_value()[homes],
            self._residence_barrier(origin, self.cell_city[homes]),
            self.cfg.talent.commute_disutility_per_minute,
        )

    def _current_job_utility(self, idx: np.ndarray) -> np.ndarray:
        """Job utility minus commute: what a searcher compares offers against."""
        _, value, job = self._job_part(idx)
        home = self.talent.home[idx]
        commute = np.where((job >= 0) & (home >= 0), self.travel[np.maximum(home, 0), np.maximum(job, 0)], 0.0)
        return value - self.cfg.talent.commute_disutility_per_minute * commute

    def outside_wage(self, home: np.ndarray) -> np.ndarray:
        """Income per unit skill of talent without a modelled job (other work in their city)."""
        city = self.cell_city[np.maximum(home, 0)]
        return self.cfg.talent.outside_wage_share * self.wage[city]

    def _work_barrier(self, origin: np.ndarray, job_city: np.ndarray, job_cell: np.ndarray) -> np.ndarray:
        """Barrier of working across the border (lower for jobs in the cooperation zones)."""
        b = self.cfg.border
        from_hk = origin == tm.ORIGIN_HK
        barrier = np.where(
            job_city == HK,
            np.where(from_hk, 0.0, b.work_barrier_hk),
            np.where(from_hk, b.work_barrier_mainland, 0.0),
        )
        return np.where(self.map.special_zone[job_cell] >= 0, barrier * b.zone_friction_factor, barrier)

    def _residence_barrier(self, origin: np.ndarray, home_city: np.ndarray) -> np.ndarray:
        b = self.cfg.border
        from_hk = origin == tm.ORIGIN_HK
        return np.where(
            home_city == HK,
            np.where(from_hk, 0.0, b.residence_barrier_hk),
            np.where(from_hk, b.residence_barrier_mainland, 0.0),
        )

    def _labour_rates(self, vacancies: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vacancies, unemployed residents and jobs per city (agents)."""
        talent, firms = self.talent, self.firms
        alive = firms.alive_index()
        open_ = np.bincount(self.cell_city[firms.cell[alive]], weights=vacancies[alive], minlength=N_CITIES)
        unemployed = talent.alive & (talent.employer < 0) & (talent.home >= 0)
        seekers = np.bincount(self.cell_city[talent.home[unemployed]], minlength=N_CITIES).astype(float)
        employed = np.flatnonzero(talent.alive & (talent.employer >= 0))
        jobs = np.bincount(self.cell_city[self.job_cells(employed)], minlength=N_CITIES).astype(float)
        return open_, seekers, jobs

    def _adjust_wages(self, vacancies: np.ndarray) -> None:
        """City wages follow the nominal trend plus the labour market's tightness.

        Tightness is the vacancy rate left after every searcher and entrant has tried, above its
        frictional level, minus any rise of the unemployment rate above its 2018 level (talent
        without a modelled job mostly work elsewhere, so 2018's rate is the normal one).
        """
        tp = self.cfg.talent
        open_, seekers, jobs = self._labour_rates(vacancies)
        vacancy_rate = open_ / np.maximum(jobs, 1.0)
        unemployment_rate = seekers / np.maximum(jobs + seekers, 1.0)
        slack = np.maximum(unemployment_rate - self.reference_unemployment, 0.0)
        tightness = (vacancy_rate - tp.natural_vacancy_rate) - slack
        change = np.clip(np.log1p(tp.wage_drift) / 4.0 + tp.wage_adjustment * tightness, -0.05, 0.05)
        self.wage *= np.exp(change)
        self.unfilled, self.searching = open_, seekers

    # =========================================================================================
    # migration and housing
    # =========================================================================================

    def reservation_now(self, idx: np.ndarray) -> np.ndarray:
        """Reservation utility of talent ``idx`` this quarter (outside incomes grow)."""
        return self.talent.reservation[idx] + np.log1p(self.cfg.talent.outside_income_growth) * self.t / 4.0

    def talent_income(self, idx: np.ndarray) -> np.ndarray:
        """Quarterly income of talent ``idx``: wage (plus the job city's talent subsidy, if
        eligible) if employed, otherwise outside income."""
        talent = self.talent
        employed = talent.employer[idx] >= 0
        income = np.zeros(idx.size)
        if employed.any():
            city = self.cell_city[self.job_cells(idx[employed])]
            income[employed] = self.income_at(city, talent.skill[idx[employed]])
        outside = self.outside_wage(talent.home[idx]) * talent.skill[idx]
        return np.where(employed, income, outside)

    def income_at(self, city: np.ndarray, skill: np.ndarray) -> np.ndarray:
        """Quarterly income of a job in ``city`` for talent of ``skill``: wage plus subsidy."""
        eligible = skill >= self.cfg.government.talent_subsidy_min_skill
        return self.wage[city] * skill + np.where(eligible, self.talent_subsidy_now[city], 0.0)

    def current_utility(self, idx: np.ndarray) -> np.ndarray:
        """Utility of each talent's present job and home."""
        income, value, job = self._job_part(idx)
        return value + self._home_part(idx, income, job, self.talent.home[idx])

    def _departures(self, rng: np.random.Generator) -> None:
        talent, tp = self.talent, self.cfg.talent
        alive = talent.alive_index()
        unemployed = talent.employer[alive] < 0
        talent.unemployed_q[alive] = np.where(unemployed, talent.unemployed_q[alive] + 1, 0)
        p = np.where(unemployed, tp.unemployed_exit_rate, tp.outflow_rate)
        unhappy = self.current_utility(alive) < self.reservation_now(alive)
        p = 1.0 - (1.0 - p) * np.where(unhappy, 1.0 - tp.dissatisfied_exit_rate, 1.0)
        leaving = alive[rng.random(alive.size) < p]
        self.flows["out_migrants_by_city"] += np.bincount(self.cell_city[talent.home[leaving]], minlength=N_CITIES)
        self._release(leaving)
        talent.alive[leaving] = False
        if talent.n > 2 * max(talent.count, 1) and talent.n > 4096:
            talent.compact()

    def _arrivals(self, rng: np.random.Generator) -> None:
        """Entrants (graduates and migrants) arrive in each city in proportion to its talent;
        they look at vacancies (half in their city) and homes, and stay if it beats their
        outside option."""
        talent, tp = self.talent, self.cfg.talent
        residents = np.bincount(self.cell_city[talent.home[talent.alive & (talent.home >= 0)]], minlength=N_CITIES)
        counts = rng.poisson(tp.inflow_rate * residents)
        n = int(counts.sum())
        if n == 0 or self.vacancies.sum() == 0:
            return
        city = np.repeat(np.arange(N_CITIES), counts)
        origin = tm.draw_origins(rng, city, tp.origin_local.as_list(), tp.migrant_share_hk, tp.migrant_share_overseas)
        skill = tm.lognormal_skill(rng, n, tp.skill_sigma)
        reservation = self._draw_reservation(rng, skill)
        idx = talent.add(
            n,
            uid=np.arange(self.next_uid, self.next_uid + n),
            skill=skill,
            origin=origin,
            reservation=reservation,
            entered=self.t,
            home=-1,
        )
        self.next_uid += n
        self.vacancies = self._match(idx, self.vacancies, rng, newcomers=True, search_city=city)
        self._choose_homes(idx, rng, allow_stay=False, anchor_city=city)
        util = np.full(n, -np.inf)
        placed = talent.home[idx] >= 0
        util[placed] = self.current_utility(idx[placed])
        stays = placed & (talent.employer[idx] >= 0) & (util >= self.reservation_now(idx))
        refused = idx[~stays]
        if refused.size:
            give_back = talent.employer[refused]
            np.add.at(self.vacancies, give_back[give_back >= 0], 1)
            self._release(refused)
            talent.alive[refused] = False
            talent.home[refused] = -1
        self.flows["in_migrants_by_city"] += np.bincount(self.cell_city[talent.home[idx[stays]]], minlength=N_CITIES)

    def _draw_reservation(self, rng: np.random.Generator, skill: np.ndarray) -> np.ndarray:
        tp = self.cfg.talent
        base = np.log(tp.reservation_income / 4.0 * skill)
        return (base + tp.reservation_sd * rng.standard_normal(skill.size)).astype(np.float32)

    def _home_reviewers(self, rng: np.random.Generator) -> np.ndarray:
        talent = self.talent
        alive = talent.alive
        return np.flatnonzero(alive & ((rng.random(talent.n) < self.cfg.talent.home_review_share) | talent.must_search))

    def _choose_homes(
        self, idx: np.ndarray, rng: np.random.Generator, allow_stay: bool, anchor_city: np.ndarray | None = None
    ) -> None:
        """Talent ``idx`` pick a home among sampled cells (and, if allowed, their current home).

        Candidates: half in the city of the job (or present home, or ``anchor_city``), half
        anywhere, drawn in proportion to free residential space. Homes are granted in random
        order while the cell has room; a talent refused in the first round tries its best
        remaining candidate; a talent refused twice keeps its home (or stays without one).
        """
        if idx.size == 0:
            return
        talent, tp = self.talent, self.cfg.talent
        k = tp.home_candidates
        job = self.job_cells(idx)
        if anchor_city is None:
            anchor = np.where(job >= 0, job, talent.home[idx])
            anchor_city = np.where(anchor >= 0, self.cell_city[np.maximum(anchor, 0)], SZ)
        free = self._free_households()
        weight = free.astype(float)
        local = sample_weighted_by_group(rng, anchor_city, self.cell_city, weight, k, N_CITIES)
        # half the candidates anywhere for talent with a job; the jobless look in their city
        n_local = (k + 1) // 2
        mixed = local.copy()
        mixed[:, n_local:] = sample_weighted(rng, weight, (idx.size, k - n_local))
        cand = np.where((job >= 0)[:, None], mixed, local)
        if allow_stay:
            cand = np.concatenate([cand, talent.home[idx][:, None]], axis=1)
        valid = cand >= 0
        cand_safe = np.maximum(cand, 0)
        income = self.talent_income(idx)
        util = self._home_part(idx, income, job, cand_safe) + tp.taste_sd * rng.standard_normal(cand.shape)
        util = np.where(valid, util, -np.inf)
        current = talent.home[idx]
        chosen = np.full(idx.size, -1)
        for _ in range(2):
            pending = chosen < 0
            if not pending.any():
                break
            pick, best = tm.best_option(util[pending])
            target = np.where(np.isfinite(best), cand_safe[pending][np.arange(pending.sum()), pick], -1)
            staying = target == current[pending]
            # staying needs no room; movers need a free household slot in the target cell
            movers = np.where(staying, -1, target)
            ok = allocate(movers, 1.0, free.astype(float), rng.random(movers.size))
            got = np.where(staying | ok, target, -1)
            sub = np.flatnonzero(pending)
            chosen[sub] = got
            moved_in = got[ok]
            np.subtract.at(free, moved_in, 1)
            np.add.at(free, current[pending][ok & (current[pending] >= 0)], 1)
            # refused: rule out the cell they asked for, and full cells, for the next round
            full = free[cand_safe[sub]] <= 0
            util[sub] = np.where(full & (cand_safe[sub] != current[sub][:, None]), -np.inf, util[sub])
        keep = chosen < 0
        chosen[keep] = current[keep]
        talent.home[idx] = chosen

    def _free_households(self) -> np.ndarray:
        """Households that still fit in each cell's residential floor space."""
        _, res_use = self._floor_use()
        return np.floor(np.maximum(self.res_cap - res_use, 0.0) / self.household_floor).astype(np.int64)

    # =========================================================================================
    # firm location
    # =========================================================================================

    def _free_commercial(self) -> np.ndarray:
        com_use, _ = self._floor_use()
        return np.maximum(self.com_cap - com_use, 0.0)

    def _candidate_sites(self, rng: np.random.Generator, firm_idx: np.ndarray, k: int) -> np.ndarray:
        """k candidate cells per firm: half in its own city, half anywhere, by free floor space."""
        free = self._free_commercial()
        weight = free * (0.2 + self.map.firm_attraction)
        city = self.cell_city[self.firms.cell[firm_idx]]
        local = sample_weighted_by_group(rng, city, self.cell_city, weight, k // 2, N_CITIES)
        wide = sample_weighted(rng, weight, (firm_idx.size, k - k // 2))
        return np.concatenate([local, wide], axis=1)

    def lease_rent(self, cells: np.ndarray, extra_use: np.ndarray | float = 0.0) -> np.ndarray:
        """Commercial rent a tenant signing now expects at ``cells``: the market-clearing rent
        given the floor already used there plus ``extra_use`` m² of its own (forward-looking
        firms see where rents are heading and their own weight in a small market)."""
        bg, use = self._lease_inputs
        return markets.clearing_rent(
            bg[cells], use[cells] + extra_use, self.com_cap[cells], self.cfg.market.target_occupancy
        )

    def _refresh_lease_inputs(self) -> None:
        bg_com, _ = self._background_spend()
        com_use, _ = self._floor_use()
        self._lease_inputs = (bg_com, com_use)

    def site_index(self, firm_idx: np.ndarray, cells: np.ndarray, rent: np.ndarray) -> np.ndarray:
        """Profit a firm could earn at ``cells`` at its optimal size there, up to a firm constant
        (:func:`agents.firms.site_index`); ``rent`` is the lease rent at each cell."""
        sector = self.firms.sector[firm_idx]
        beta, gamma = self.beta[sector], self.gamma[sector]
        if cells.ndim == 2:
            beta, gamma = beta[:, None], gamma[:, None]
        return fm.site_index(self._site_tfp(firm_idx, cells), self.wage[self.cell_city[cells]], rent, beta, gamma)

    def _park_discount(self, firm_idx: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """Rent multiplier a firm pays at ``cells``: Shenzhen pays part of the rent of its firms in
        the designated Dongguan and Huizhou parks (lever L1, on Shenzhen terms)."""
        subsidy = self.cfg.government.park_rent_subsidy
        if subsidy <= 0:
            return np.ones(cells.shape)
        from_sz = self.firms.origin_city[firm_idx] == SZ
        if cells.ndim == 2:
            from_sz = from_sz[:, None]
        in_park = self.park_mask[cells] & (self.cell_city[cells] != SZ)
        return np.where(from_sz & in_park, 1.0 - subsidy, 1.0)

    def _floor_need(self, firm_idx: np.ndarray, cells: np.ndarray, labour: np.ndarray) -> np.ndarray:
        """Floor (m²) ``labour`` efficiency units of a firm would lease at ``cells`` at today's rent."""
        sector = self.firms.sector[firm_idx]
        beta, gamma = self.beta[sector], self.gamma[sector]
        if cells.ndim == 2:
            beta, gamma = beta[:, None], gamma[:, None]
        rent = np.maximum(self.com_rent[cells], 1e-9)
        return labour * fm.floor_per_labour(beta, gamma, self.wage[self.cell_city[cells]], rent)

    def _evaluate_moves(self, idx: np.ndarray, cand: np.ndarray) -> dict[str, np.ndarray]:
        """Net value of moving the whole firm, or a division, to each candidate site.

        The gain per quarter is the relative change in the site index (profit at optimal size)
        applied to the firm's current operating surplus ``(1-β-γ)(1-rd)·Y``; the cost grows with
        the employees moved and the distance. Division moves keep headquarters where they are
        and lose output to coordination with it.
        """
        firms, lp = self.firms, self.cfg.location
        sector = firms.sector[idx]
        beta = self.beta[sector][:, None]
        scale = self.talent_scale
        workers = (firms.workers[idx] + firms.workers_div[idx])[:, None] * scale
        hq = firms.cell[idx][:, None]
        cand_safe = np.maximum(cand, 0)
        gamma = self.gamma[sector][:, None]
        surplus = ((1.0 - beta - gamma)[:, 0] * (1.0 - firms.rd[idx]) * np.maximum(firms.output[idx], 0.0))[:, None]
        need = self._floor_need(idx, cand_safe, firms.eff[idx][:, None] * scale)
        here = self.site_index(idx, hq, self.lease_rent(hq) * self._park_discount(idx, hq))
        ratio = self.site_index(
            idx, cand_safe, self.lease_rent(cand_safe, need) * self._park_discount(idx, cand_safe)
        ) / (np.maximum(here, 1e-300))
        minutes = self.travel[hq, cand_safe]
        wage_bill = firms.wage_bill[idx][:, None]

        # moving across the HK–mainland border means a new legal entity, licences and visas
        crossing = (self.cell_city[hq] == HK) != (self.cell_city[cand_safe] == HK)
        border = np.where(crossing, self.cfg.border.firm_relocation_barrier, 1.0)
        cost_whole = fm.moving_cost(
            workers, lp.moving_cost_fixed, lp.moving_cost_per_worker, lp.moving_cost_size_exponent
        )
        cost_whole = border * cost_whole + lp.distance_cost_per_minute * minutes * wage_bill
        value_whole = lp.horizon_quarters * (ratio - 1.0) * surplus - (1.0 + lp.hurdle) * cost_whole

        d = lp.division_share
        ratio_div = self.site_index(idx, cand_safe, self.lease_rent(cand_safe, d * need)) / np.maximum(here, 1e-300)
        coordination = np.power(
            self._division_factor(np.broadcast_to(hq, cand.shape), cand_safe), 1.0 / (1.0 - beta - gamma)
        )
        split_ratio = (1.0 - d) + d * ratio_div * coordination
        cost_div = fm.moving_cost(
            d * workers, lp.moving_cost_fixed, lp.moving_cost_per_worker, lp.moving_cost_size_exponent
        )
        cost_div = border * cost_div + lp.distance_cost_per_minute * minutes * wage_bill * d
        eligible = (workers >= lp.division_min_employees) & (firms.div_cell[idx] < 0)[:, None]
        value_div = np.where(
            eligible, lp.horizon_quarters * (split_ratio - 1.0) * surplus - (1.0 + lp.hurdle) * cost_div, -np.inf
        )

        invalid = (cand < 0) | (cand == hq)
        cash = firms.cash[idx][:, None]
        value_whole = np.where(invalid | (cash < cost_whole), -np.inf, value_whole)
        value_div = np.where(invalid | (cash < cost_div), -np.inf, value_div)
        return {"whole": value_whole, "division": value_div, "cost_whole": cost_whole, "cost_div": cost_div}

    def _apply_moves(
        self, rng: np.random.Generator, idx: np.ndarray, cand: np.ndarray, value: dict[str, np.ndarray]
    ) -> None:
        firms, talent = self.firms, self.talent
        both = np.concatenate([value["whole"], value["division"]], axis=1)
        best_col = np.argmax(both, axis=1)
        best = both[np.arange(idx.size), best_col]
        k = cand.shape[1]
        moving = np.isfinite(best) & (best > 0)
        if not moving.any():
            return
        kind = np.where(best_col >= k, fm.MOVE_DIVISION, fm.MOVE_WHOLE)
        target = np.where(moving, cand[np.arange(idx.size), best_col % k], -1)
        moved_share = np.where(kind == fm.MOVE_WHOLE, 1.0, self.cfg.location.division_share)
        moved_workers = np.round(moved_share * (firms.workers[idx] + firms.workers_div[idx]))
        need = self._floor_need(idx, np.maximum(target, 0), moved_share * firms.eff[idx] * self.talent_scale)
        admitted = allocate(target, need, self._free_commercial(), rng.random(idx.size))
        go = idx[admitted]
        go_kind = kind[admitted]
        go_to = target[admitted]
        cost = np.where(
            go_kind == fm.MOVE_WHOLE,
            value["cost_whole"][admitted, best_col[admitted] % k],
            value["cost_div"][admitted, best_col[admitted] % k],
        )
        origin_cell = firms.cell[go].copy()
        firms.cash[go] -= cost
        whole = go_kind == fm.MOVE_WHOLE
        firms.cell[go[whole]] = go_to[whole]
        firms.div_cell[go[~whole]] = go_to[~whole]
        employed = np.flatnonzero(talent.alive & (talent.employer >= 0))
        is_mover = np.zeros(firms.n, dtype=np.int8)
        is_mover[go[whole]] = 1
        is_mover[go[~whole]] = 2
        flag = is_mover[talent.employer[employed]]
        hq_staff = employed[(flag == 1) & ~talent.at_division[employed]]
        talent.must_search[hq_staff] = True
        div_pool = employed[flag == 2]
        chosen = div_pool[rng.random(div_pool.size) < self.cfg.location.division_share]
        talent.at_division[chosen] = True
        talent.must_search[chosen] = True
        self._update_workforce()
        self.recorder.log_relocations(
            firm=go,
            kind=go_kind,
            from_cell=origin_cell,
            to_cell=go_to,
            employees=(firms.workers[go] + firms.workers_div[go]) * self.talent_scale,
            moved_employees=moved_workers[admitted] * self.talent_scale,
        )

    # =========================================================================================
    # exit and entry
    # =========================================================================================

    def _exits(self, rng: np.random.Generator) -> None:
        firms, ep = self.firms, self.cfg.entry
        alive = firms.alive_index()
        age = self.t - firms.born[alive]
        broke = (firms.cash[alive] < 0) & (firms.loss_streak[alive] >= ep.exit_loss_quarters)
        empty = (firms.workers[alive] + firms.workers_div[alive] == 0) & (age >= 4)
        hazard = rng.random(alive.size) < ep.exit_hazard
        gone = alive[broke | empty | hazard]
        if gone.size == 0:
            return
        firms.alive[gone] = False
        firms.exit_quarter[gone] = self.t
        self.flows["exits_by_city"] += np.bincount(self.cell_city[firms.cell[gone]], minlength=N_CITIES)
        lost = np.zeros(firms.n, dtype=bool)
        lost[gone] = True
        talent = self.talent
        employed = np.flatnonzero(talent.alive & (talent.employer >= 0))
        laid_off = employed[lost[talent.employer[employed]]]
        self._release(laid_off)
        talent.must_search[laid_off] = True
        self._update_workforce()

    def _entries(self, rng: np.random.Generator) -> None:
        """Skilled talent found firms: spin-offs in the employer's sector, or new ventures."""
        talent, firms, ep = self.talent, self.firms, self.cfg.entry
        eligible = np.flatnonzero(talent.alive & (talent.skill >= ep.founder_min_skill))
        employer = talent.employer[eligible]
        # employees of firms that innovated in the last year spin off more (DJI → 360 drone firms)
        recent = (employer >= 0) & ((self.t - firms.last_innovation[np.maximum(employer, 0)]) < 4)
        rate = ep.founding_rate * np.where(recent, self.cfg.innovation.spinoff_boost, 1.0)
        founders = eligible[rng.random(eligible.size) < rate]
        if founders.size == 0:
            return
        job = self.job_cells(founders)
        home_city = self.cell_city[talent.home[founders]]
        city = np.where(job >= 0, self.cell_city[np.maximum(job, 0)], home_city)
        parent = talent.employer[founders].copy()
        spinoff = (parent >= 0) & (rng.random(founders.size) < ep.spinoff_share)
        sector = np.where(spinoff, firms.sector[np.maximum(parent, 0)], self._draw_sector(rng, city))
        log_a = self._startup_productivity(rng, sector, city, np.where(spinoff, parent, -1))
        # the founder picks the most profitable of a few sites with room in their city
        free = self._free_commercial()
        weight = free * (0.2 + self.map.firm_attraction)
        cand = sample_weighted_by_group(rng, city, self.cell_city, weight, self.cfg.location.candidates, N_CITIES)
        cand_safe = np.maximum(cand, 0)
        labour = talent.skill[founders].astype(float) * self.talent_scale
        beta, gamma = self.beta[sector][:, None], self.gamma[sector][:, None]
        tfp = (
            np.exp(log_a)[:, None]
            * self.fundamental[cand_safe, sector[:, None]]
            * self.agglomeration[cand_safe, sector[:, None]]
            * (1.0 - self.goods_share[cand_safe, sector[:, None]])
        )
        wage = self.wage[self.cell_city[cand_safe]]
        floor = labour[:, None] * fm.floor_per_labour(beta, gamma, wage, np.maximum(self.com_rent[cand_safe], 1e-9))
        self._refresh_lease_inputs()
        value = fm.site_index(tfp, wage, self.lease_rent(cand_safe, floor), beta, gamma)
        value = np.where(cand >= 0, value, -np.inf)
        pick = np.argmax(value, axis=1)
        site = cand_safe[np.arange(founders.size), pick]
        need = floor[np.arange(founders.size), pick]
        ok = allocate(
            np.where(cand[np.arange(founders.size), pick] >= 0, site, -1), need, free, rng.random(founders.size)
        )
        founders, site, sector, log_a, parent, spinoff = (
            founders[ok],
            site[ok],
            sector[ok],
            log_a[ok],
            parent[ok],
            spinoff[ok],
        )
        if founders.size == 0:
            return
        s = sector
        beta, gamma = self.beta[s], self.gamma[s]
        city_wage, rent = self.wage[self.cell_city[site]], np.maximum(self.com_rent[site], 1e-9)
        tfp_site = (
            np.exp(log_a) * self.fundamental[site, s] * self.agglomeration[site, s] * (1.0 - self.goods_share[site, s])
        )
        target = fm.optimal_labour(tfp_site, city_wage, rent, beta, gamma, self.rd_mean[s])
        target_floor = target * fm.floor_per_labour(beta, gamma, city_wage, rent)
        fixed = self.cfg.firms.fixed_cost_share * fm.output(tfp_site, target, target_floor, beta, gamma)
        wage = city_wage * talent.skill[founders] * self.talent_scale
        new = firms.add(
            founders.size,
            sector=s,
            cell=site,
            log_a=log_a,
            rd=self._draw_rd(rng, s, self.cell_city[site]),
            born=self.t,
            cash=ep.startup_cash_quarters * wage,
            fixed_cost=fixed,
            origin=np.where(spinoff, fm.ORIGIN_SPINOFF, fm.ORIGIN_STARTUP),
            parent=np.where(spinoff, parent, -1),
            origin_city=self.cell_city[site].astype(np.int8),
            founder_origin=talent.origin[founders],
        )
        policy.incubator_grants(self, new)
        self.recorder.log_entries(new)
        self._release(founders)
        talent.employer[founders] = new
        talent.must_search[founders] = False
        self.vacancies = np.r_[self.vacancies, np.zeros(new.size, dtype=np.int64)]
        self.flows["entries_by_city"] += np.bincount(self.cell_city[site], minlength=N_CITIES)
        self._update_workforce()

    def _draw_sector(self, rng: np.random.Generator, city: np.ndarray) -> np.ndarray:
        f = self.cfg.firms
        mix = np.array([m.as_list() for m in (f.sector_mix_hk, f.sector_mix_sz, f.sector_mix_dg, f.sector_mix_hz)])
        cdf = np.cumsum(mix, axis=1)
        u = rng.random(city.size)[:, None]
        return np.minimum((u > cdf[city]).sum(axis=1), N_SECTORS - 1).astype(np.int8)

    def _draw_rd(self, rng: np.random.Generator, sector: np.ndarray, city: np.ndarray) -> np.ndarray:
        """R&D intensity of new firms: sector mean × city factor × lognormal spread."""
        return fm.draw_rd_intensity(rng, self.rd_mean[sector], self.rd_city_factor[city])

    def _startup_productivity(
        self, rng: np.random.Generator, sector: np.ndarray, city: np.ndarray, parent: np.ndarray
    ) -> np.ndarray:
        """log A of new firms: a spin-off draws around its parent, a venture around its sector."""
        firms, ep = self.firms, self.cfg.entry
        alive = firms.alive_index()
        median = np.zeros((N_CITIES, N_SECTORS))
        for s in range(N_SECTORS):
            in_s = alive[firms.sector[alive] == s]
            fallback = float(np.median(firms.log_a[in_s])) if in_s.size else 0.0
            for c in range(N_CITIES):
                m = in_s[self.cell_city[firms.cell[in_s]] == c]
                median[c, s] = float(np.median(firms.log_a[m])) if m.size else fallback
        base = np.where(parent >= 0, firms.log_a[np.maximum(parent, 0)], median[city, sector])
        sigma = self.cfg.firms.productivity_volatility * 2.0
        return base + np.log(ep.startup_productivity) + sigma * rng.standard_normal(sector.size)

    # =========================================================================================
    # bookkeeping
    # =========================================================================================

    @staticmethod
    def _empty_flows() -> dict[str, np.ndarray]:
        return {
            name: np.zeros(N_CITIES)
            for name in ("in_migrants_by_city", "out_migrants_by_city", "entries_by_city", "exits_by_city")
        }

    def run(self, quarters: int | None = None, progress: bool = False) -> None:
        """Step through the configured horizon (or ``quarters`` more quarters).

        Args:
            quarters: How many quarters to run (default: to the end of the horizon).
            progress: Show a progress bar with the time left on stderr.
        """
        n = self.cfg.quarters - self.t if quarters is None else quarters
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=n, desc=f"{self.cfg.scenario_name} seed {self.cfg.seed}", unit="quarter", leave=False)
        for _ in range(n):
            self.step()
            if bar is not None:
                bar.set_postfix_str(self.labels[self.t - 1], refresh=False)
                bar.update(1)
        if bar is not None:
            bar.close()
