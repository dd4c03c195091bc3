"""Derived quantities several processes need, computed in one place from the state.

Nothing here changes the state. Units: money is ¥ per quarter at real scale unless a docstring
says "agents" (one talent agent stands for ``state.talent_scale`` workers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from corridor_abm.agents import firms as fm
from corridor_abm.agents import talent as tm
from corridor_abm.model import border
from corridor_abm.model.state import HK, N_CITIES, SZ, Cells, State

if TYPE_CHECKING:
    from corridor_abm.model.config import Config

COMMERCIAL_CAP_RATE = 0.05
"""Yield at which commercial rent is capitalised into the value of floor space (¥ per m²)."""


# --------------------------------------------------------------------------------------------
# who works where


def employed_index(s: State) -> np.ndarray:
    """Indices of living talent employed by a modelled firm."""
    talent = s.talent
    return np.flatnonzero(talent.alive & (talent.employer >= 0))


def displaced(s: State) -> np.ndarray:
    """Per talent slot: displaced by a commute shock and still re-sorting this quarter
    (:func:`model.processes.migration.commute_shocks`)."""
    return s.talent.displaced_until >= s.t


def job_cells(s: State, idx: np.ndarray) -> np.ndarray:
    """Cell where each talent in ``idx`` works (-1 if not employed by a modelled firm)."""
    firms = s.firms
    # a look-up table of headquarters whose extra last entry (-1) is what employer -1 reads;
    # staff of a second site (a few) are then read from a table of second sites
    hq = np.empty(firms.n + 1, dtype=firms.cell.dtype)
    hq[:-1], hq[-1] = firms.cell, -1
    emp = s.talent.employer[idx]
    cell = hq[emp]
    at_div = np.flatnonzero(s.talent.at_division[idx])
    if at_div.size:
        site = np.where(firms.div_cell >= 0, firms.div_cell, firms.cell)
        e = emp[at_div]
        cell[at_div] = np.where(e >= 0, site[np.maximum(e, 0)], -1)
    return cell


def cross_border_commuters(s: State) -> np.ndarray:
    """Indices of living talent who live on one side of the HK–mainland border and work on the other."""
    emp = employed_index(s)
    emp = emp[s.talent.home[emp] >= 0]
    city = s.cells.city
    return emp[border.crosses(city[s.talent.home[emp]], city[job_cells(s, emp)])]


def firms_in_city(s: State, city: int) -> int:
    """Living firms headquartered in a city."""
    alive = s.firms.alive_index()
    return int(np.count_nonzero(s.cells.city[s.firms.cell[alive]] == city))


# --------------------------------------------------------------------------------------------
# productivity at a site


def site_tfp(cells: Cells, log_a: np.ndarray | None, sector: np.ndarray, where: np.ndarray) -> np.ndarray:
    """TFP ``A · B[cell, sector] · G[cell, sector] · (1 − goods share)`` at ``where``.

    Args:
        cells: The cells' state.
        log_a: Log own productivity of each firm (None: A = 1, the site's factor alone).
        sector: Sector of each firm.
        where: Cells, one per firm (vector) or several per firm (rows: firms).

    Returns:
        TFP, the shape of ``where``.
    """
    if where.ndim == 2:
        sector = sector[:, None]
    a = 1.0 if log_a is None else np.exp(log_a).reshape(sector.shape)
    return (
        a
        * cells.fundamental[where, sector]
        * cells.agglomeration[where, sector]
        * (1.0 - cells.goods_share[where, sector])
    )


def division_factor(s: State, cfg: Config, hq: np.ndarray, div: np.ndarray) -> np.ndarray:
    """Share of a division's output kept after coordination costs with headquarters."""
    minutes = s.travel.between(hq, div)
    return np.maximum(1.0 - cfg.location.division_coordination_per_minute * minutes, 0.0)


def firm_tfp(s: State, cfg: Config, idx: np.ndarray) -> np.ndarray:
    """Current TFP of firms, blending headquarters and second site by their efficiency shares;
    the second site loses coordination with headquarters, and a production plant gains where
    land is cheaper than at headquarters (:func:`agents.firms.plant_factor`)."""
    firms = s.firms
    tfp = site_tfp(s.cells, firms.log_a[idx], firms.sector[idx], firms.cell[idx])
    div = firms.div_cell[idx]
    has = div >= 0
    if has.any():
        d_idx = idx[has]
        hq, site = firms.cell[d_idx], div[has]
        share = np.where(firms.eff[d_idx] > 0, firms.eff_div[d_idx] / np.maximum(firms.eff[d_idx], 1e-12), 0.0)
        rent = s.cells.com_rent
        lp = cfg.location
        wage = production_wages(s, cfg)[s.cells.city]
        plant = np.where(
            firms.div_kind[d_idx] == fm.KIND_PLANT,
            fm.plant_factor(rent[site], rent[hq], lp.plant_land_share, wage[site], wage[hq], lp.plant_labour_share),
            1.0,
        )
        tfp_div = site_tfp(s.cells, firms.log_a[d_idx], firms.sector[d_idx], site) * division_factor(s, cfg, hq, site)
        tfp[has] = (1.0 - share) * tfp[has] + share * tfp_div * plant
    return tfp


def weighted_city_mean(values: np.ndarray, weight: np.ndarray, city: np.ndarray) -> np.ndarray:
    """Each city's mean of a per-cell ``values`` weighted by ``weight`` (negative weights count
    as 0; NaN for a city without weight)."""
    w = np.where(weight > 0, weight, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(city, weights=values * w, minlength=N_CITIES) / np.bincount(
            city, weights=w, minlength=N_CITIES
        )


def city_residential_rent(cells: Cells) -> np.ndarray:
    """Each city's floor-weighted mean residential rent, ¥ per m² per quarter."""
    return weighted_city_mean(cells.res_rent, cells.res_cap, cells.city)


def production_wages(s: State, cfg: Config) -> np.ndarray:
    """Production workers' wage per city, ¥ per month (:func:`agents.firms.production_wages`):
    the 2018 wage moved by the city's mean residential rent against its 2018 level. It matters
    only to plants with ``location.plant_labour_share`` > 0; otherwise the 2018 wages are
    returned without computing the city means."""
    lp = cfg.location
    wage_2018 = np.array(lp.production_wage.as_list())
    if lp.plant_labour_share <= 0.0:
        return wage_2018
    index = city_residential_rent(s.cells) / np.maximum(s.cities.res_rent_2018, 1e-12)
    return fm.production_wages(wage_2018, index, lp.production_wage_housing_share)


def finance_capacity(s: State, cfg: Config, idx: np.ndarray) -> np.ndarray:
    """External finance a firm can draw on beyond its cash, ¥: bank credit (``firms.credit_share``
    × annual output) and, once listed, the market's (``vc.listed_finance_sz`` or ``_hk`` × annual
    output; a mainland firm's access to Hong Kong's market is cut by the capital friction)."""
    firms = s.firms
    annual = 4.0 * np.maximum(firms.output[idx], 0.0)
    listed = firms.listed[idx]
    vp = cfg.vc
    mainland_in_hk = (listed == 2) & (s.cells.city[firms.cell[idx]] != HK)
    hk_access = np.where(mainland_in_hk, 1.0 - border.capital_friction(cfg.border, s.map, firms.cell[idx]), 1.0)
    market = np.select([listed == 1, listed == 2], [vp.listed_finance_sz, vp.listed_finance_hk * hk_access], 0.0)
    return (cfg.firms.credit_share + market) * annual


# --------------------------------------------------------------------------------------------
# wages and incomes


def talent_wage(s: State, idx: np.ndarray) -> np.ndarray:
    """Quarterly wage of employed talent ``idx``: city wage per skill × skill."""
    return s.cities.wage[s.cells.city[job_cells(s, idx)]] * s.talent.skill[idx]


def wage_bills(s: State) -> np.ndarray:
    """Wage bill of every firm (¥ per quarter, real scale)."""
    employed = employed_index(s)
    wages = talent_wage(s, employed)
    return np.bincount(s.talent.employer[employed], weights=wages, minlength=s.firms.n) * s.talent_scale


def wage_bills_by_city(s: State) -> np.ndarray:
    """Skilled wages paid at job sites in each city this quarter (¥, real scale)."""
    employed = employed_index(s)
    city = s.cells.city[job_cells(s, employed)]
    wages = s.cities.wage[city] * s.talent.skill[employed]
    return np.bincount(city, weights=wages, minlength=N_CITIES) * s.talent_scale


def eligible_talent_by_city(s: State, cfg: Config) -> np.ndarray:
    """Employed talent (agents) eligible for their job city's talent subsidy."""
    talent = s.talent
    employed = np.flatnonzero(
        talent.alive & (talent.employer >= 0) & (talent.skill >= cfg.government.talent_subsidy_min_skill)
    )
    return np.bincount(s.cells.city[job_cells(s, employed)], minlength=N_CITIES).astype(float)


def income_at(s: State, cfg: Config, city: np.ndarray, skill: np.ndarray) -> np.ndarray:
    """Quarterly income of a job in ``city`` for talent of ``skill``: wage plus subsidy."""
    eligible = skill >= cfg.government.talent_subsidy_min_skill
    return s.cities.wage[city] * skill + np.where(eligible, s.cities.talent_subsidy[city], 0.0)


def outside_wage(s: State, cfg: Config, home: np.ndarray) -> np.ndarray:
    """Income per unit skill of talent without a modelled job (other work in their city)."""
    city = s.cells.city[np.maximum(home, 0)]
    return cfg.talent.outside_wage_share * s.cities.wage[city]


def talent_income(s: State, cfg: Config, idx: np.ndarray, job: np.ndarray | None = None) -> np.ndarray:
    """Quarterly income of talent ``idx``: wage (plus the job city's talent subsidy, if
    eligible) if employed, otherwise outside income. ``job``: their :func:`job_cells`, if known."""
    talent = s.talent
    if job is None:
        job = job_cells(s, idx)
    employed = job >= 0
    skill = talent.skill[idx]
    # per city, the income of a unit of skill with a job and without one: elementwise the same
    # products as wage[city] * skill (+ subsidy) and outside_wage_share * wage[city] * skill
    city_job = s.cells.city[np.maximum(job, 0)]
    income = s.cities.wage[city_job] * skill
    eligible = skill >= cfg.government.talent_subsidy_min_skill
    income += np.where(eligible, s.cities.talent_subsidy[city_job], 0.0)
    outside = outside_wage(s, cfg, talent.home[idx]) * skill
    return np.where(employed, income, outside)


# --------------------------------------------------------------------------------------------
# talent utility (agents/talent.py has the functional forms)


def home_value(s: State, cfg: Config) -> np.ndarray:
    """Value of living in each cell: amenity plus the residential fundamental (log-income)."""
    return cfg.talent.amenity_weight * s.cells.amenity + s.cells.residential_fundamental


def border_value(s: State, idx: np.ndarray, homes: np.ndarray, jobs: np.ndarray) -> np.ndarray:
    """The value of a home and a job on their sides of the HK–mainland border for talent ``idx``:
    the 2018 inversion's value of the pattern (``state.cities.border_fundamental``) plus the
    talent's attachment to Hong Kong for each side there, log-income.

    Args:
        s: The state.
        idx: Talent, shape (n,).
        homes: Home cells, (n,) or (n, k); -1: no home yet (the job's side is taken).
        jobs: Job cells, (n,) or (n, k) (broadcasting with ``homes``); -1: no modelled job (the
            home's side is taken).
    """
    # sides as 0/1 in int8 and the (2, 2, 2) table read by a flat index: the same values as
    # indexing it by the three sides, with small temporaries (this runs on every candidate)
    hk = (s.cells.city == HK).astype(np.int8)
    from_hk = (s.talent.origin[idx] == tm.ORIGIN_HK).astype(np.int8)
    attachment = s.talent.hk_attachment[idx].astype(float)
    if np.ndim(homes) == 2 or np.ndim(jobs) == 2:
        from_hk, attachment = from_hk[:, None], attachment[:, None]
    job_side = hk[np.maximum(jobs, 0)]
    home_side = np.where(homes >= 0, hk[np.maximum(homes, 0)], job_side)
    job_side = np.where(jobs >= 0, job_side, home_side)
    table = s.cities.border_fundamental.reshape(8)  # [from_hk, home side, job side], C order
    return table.take(from_hk * 4 + (home_side * 2 + job_side)) + attachment * (home_side + job_side)


def job_utility(s: State, cfg: Config, idx: np.ndarray, firm_cols: np.ndarray) -> np.ndarray:
    """Utility of job offers (firms, one column each) for talent ``idx`` from their homes."""
    talent, firms, b = s.talent, s.firms, cfg.border
    # what depends on the firm alone is read per firm: the same values as per offer, fewer passes
    firm_city = s.cells.city[firms.cell]
    cells = firms.cell[firm_cols]
    home = talent.home[idx][:, None]
    skill = talent.skill[idx][:, None]
    wage = s.cities.wage[firm_city][firm_cols] * skill + np.where(
        skill >= cfg.government.talent_subsidy_min_skill, s.cities.talent_subsidy[firm_city][firm_cols], 0.0
    )
    barriers = border.side_barrier_table(b, s.map, b.work_barrier_hk, b.work_barrier_mainland)[:, firms.cell]
    from_hk = (talent.origin[idx] == tm.ORIGIN_HK).astype(np.intp)[:, None]
    commute = np.where(home >= 0, s.travel.between(np.maximum(home, 0), cells), 0.0)
    job_value = s.cities.job_fundamental[firm_city][firm_cols] + border_value(s, idx, home, cells)
    value = tm.job_utility(wage, job_value, barriers[from_hk, firm_cols])
    return value - cfg.talent.commute_disutility_per_minute * commute


def job_part(
    s: State, cfg: Config, idx: np.ndarray, with_border: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Income, job utility and job cell (-1 without a modelled job) of talent ``idx``; with
    ``with_border`` the utility carries the border's 2018 value of the home and job
    (:func:`border_value`, which :func:`home_part` carries otherwise)."""
    talent = s.talent
    job = job_cells(s, idx)
    employed = job >= 0
    home = talent.home[idx]
    city = s.cells.city
    earn_city = np.where(employed, city[np.maximum(job, 0)], city[np.maximum(home, 0)])
    income = talent_income(s, cfg, idx, job)
    barrier = np.where(
        employed, border.work_barrier(cfg.border, s.map, talent.origin[idx], earn_city, np.maximum(job, 0)), 0.0
    )
    job_value = s.cities.job_fundamental[earn_city]
    if with_border:
        job_value = job_value + border_value(s, idx, home, job)
    return income, tm.job_utility(income, job_value, barrier), job


def home_part(
    s: State,
    cfg: Config,
    idx: np.ndarray,
    income: np.ndarray,
    job: np.ndarray,
    homes: np.ndarray,
    floor: np.ndarray | None = None,
) -> np.ndarray:
    """Home utility of talent ``idx`` at ``homes`` (one column per candidate, or a vector);
    ``floor`` is :func:`household_floor` at those homes where the caller has it already."""
    talent, b = s.talent, cfg.border
    from_hk = (talent.origin[idx] == tm.ORIGIN_HK).astype(np.intp)
    if homes.ndim == 2:
        income, job, from_hk = income[:, None], job[:, None], from_hk[:, None]
    commute = np.where(job >= 0, s.travel.between(homes, np.maximum(job, 0)), 0.0)
    # per-cell tables read per candidate (the same values as computed per candidate)
    barriers = border.side_barrier_table(b, s.map, b.residence_barrier_hk, b.residence_barrier_mainland)
    rent = s.cells.res_rent[homes]
    if floor is None:
        floor = household_floor(s, cfg, income, rent)
    return tm.home_utility(
        income,
        rent * floor,
        commute,
        home_value(s, cfg)[homes] + border_value(s, idx, homes, job),
        barriers[from_hk, homes],
        cfg.talent.commute_disutility_per_minute,
    )


def household_floor(s: State, cfg: Config, income: np.ndarray, rent: np.ndarray) -> np.ndarray:
    """Residential floor per worker of a talent household with quarterly ``income`` at ``rent``
    (¥ per m² per quarter), m²: constant income and price elasticities around the 2018
    reference household (:func:`model.processes.markets.household_floor`)."""
    mk = cfg.market
    return tm.household_floor(
        cfg.talent.floor_m2_per_talent,
        income,
        rent,
        s.cities.talent_income_reference,
        s.cities.talent_rent_reference,
        mk.housing_income_elasticity,
        mk.housing_price_elasticity,
    )


def current_job_utility(s: State, cfg: Config, idx: np.ndarray) -> np.ndarray:
    """Job utility minus commute: what a searcher compares offers against (with the border's
    2018 value of its home and job, as the offers carry it)."""
    _, value, job = job_part(s, cfg, idx, with_border=True)
    home = s.talent.home[idx]
    commute = np.where((job >= 0) & (home >= 0), s.travel.between(np.maximum(home, 0), np.maximum(job, 0)), 0.0)
    return value - cfg.talent.commute_disutility_per_minute * commute


def current_utility(s: State, cfg: Config, idx: np.ndarray) -> np.ndarray:
    """Utility of each talent's present job and home."""
    income, value, job = job_part(s, cfg, idx)
    return value + home_part(s, cfg, idx, income, job, s.talent.home[idx])


def reservation_now(s: State, cfg: Config, idx: np.ndarray) -> np.ndarray:
    """Reservation utility of talent ``idx`` this quarter (outside incomes grow)."""
    return s.talent.reservation[idx] + np.log1p(cfg.talent.outside_income_growth) * s.t / 4.0


# --------------------------------------------------------------------------------------------
# floor space


def floor_use(s: State) -> tuple[np.ndarray, np.ndarray]:
    """Floor the modelled firms (commercial) and talent (residential) stand for, m² per cell."""
    return commercial_use(s), residential_use(s)


def commercial_use(s: State) -> np.ndarray:
    """Commercial floor the modelled firms stand for at their sites, m² per cell: the agents' own
    floor × ``market_weight`` (1 / population_share), so that a sample weighs in the markets as
    the whole population it represents."""
    firms = s.firms
    alive = firms.alive_index()
    com = np.bincount(firms.cell[alive], weights=firms.floor_hq[alive], minlength=s.n_cells)
    has_div = firms.div_cell[alive] >= 0
    com += np.bincount(firms.div_cell[alive][has_div], weights=firms.floor_div[alive][has_div], minlength=s.n_cells)
    return com * s.market_weight


def residential_use(s: State) -> np.ndarray:
    """Residential floor talent's households stand for, m² per cell (agents' floor per worker ×
    ``talent_scale`` × ``market_weight``)."""
    talent = s.talent
    housed = talent.alive & (talent.home >= 0)
    res = np.bincount(talent.home[housed], weights=talent.floor[housed].astype(float), minlength=s.n_cells)
    return res * s.talent_scale * s.market_weight


def free_residential(s: State) -> np.ndarray:
    """Residential floor not used by the modelled talent, m² per cell (market scale)."""
    return np.maximum(s.cells.res_cap - residential_use(s), 0.0)


def household_market_floor(s: State, floor_per_worker: np.ndarray) -> np.ndarray:
    """Market floor (m²) one talent agent's households take at ``floor_per_worker`` m² each."""
    return floor_per_worker * s.talent_scale * s.market_weight


def free_commercial(s: State) -> np.ndarray:
    """Commercial floor space not used by modelled firms, m² per cell."""
    return np.maximum(s.cells.com_cap - commercial_use(s), 0.0)


def city_house_price(s: State, city: int) -> float:
    """Floor-weighted mean house price of a city, ¥ per m²."""
    c = s.cells
    m = (c.city == city) & (c.res_cap > 0)
    return float(np.average(c.house_price[m], weights=c.res_cap[m])) if m.any() else 0.0


def city_commercial_value(s: State, city: int) -> float:
    """Market value of commercial floor in a city (annual rent capitalised), ¥ per m²."""
    c = s.cells
    m = (c.city == city) & (c.com_cap > 0)
    if not m.any():
        return 0.0
    return float(np.average(c.com_rent[m], weights=c.com_cap[m])) * 4.0 / COMMERCIAL_CAP_RATE


def anchor_city(s: State, cells: np.ndarray) -> np.ndarray:
    """City of each cell, Shenzhen where the cell is -1 (no job and no home yet)."""
    return np.where(cells >= 0, s.cells.city[np.maximum(cells, 0)], SZ)
