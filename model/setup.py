"""The 2018 state: the map, the initial firms and talent, the burn-in of the markets, and the
inversion of the 2018 allocation into location fundamentals.

:func:`build_state` does it all, in order, under one configuration — the *reference* one
(:func:`model.levers.reference_config`), so that nothing a scenario changes leaks into 2018:

1. the map, travel times, floor space and amenity;
2. firms and talent placed by city and district (:func:`populate`): firms are shared across
   cities by their counts of innovative firms (Shenzhen 14,415, seed 003), given a sector by the
   city's sector mix and a site near a district centre weighted by the district's share of the
   city's firms (Nanshan, Futian, Songshan Lake, Zhongkai, ...; :data:`model.geodata.DISTRICTS`).
   Talent is shared across cities by S&T workers (Shenzhen: 15 per 100 residents, seeds
   000/003); most are employed by firms of their city with a Pareto size distribution (one
   Huawei-scale giant at most ``max_size_share`` of the city's talent), and each picks a home by
   the same rule as later in the run;
3. ``market.burn_in_quarters`` quarters of market adjustment with agents held in place;
4. the inversion (:func:`invert_firms`, :func:`settle_talent`): location fundamentals, firm
   productivity, firms' sites per m² of each cell, the residential and job fundamentals, and
   talent's outside options; the largest firms are listed (``firms.listed_share``);
5. the knowledge field's kernel, reference and initial stock, the four governments (reserves
   from 2018 revenue) and the venture funds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from corridor_abm.agents import firms as fm
from corridor_abm.agents import talent as tm
from corridor_abm.agents.firms import FirmPopulation
from corridor_abm.agents.talent import TalentPopulation
from corridor_abm.model import border, geodata, geography, views
from corridor_abm.model.allocation import sample_weighted
from corridor_abm.model.processes import house_prices, innovation, location, markets, production
from corridor_abm.model.processes.government import create_governments, public_services
from corridor_abm.model.processes.innovation import empty_knowledge
from corridor_abm.model.processes.labour import labour_rates
from corridor_abm.model.processes.markets import LeaseMarket
from corridor_abm.model.processes.migration import choose_homes, refresh_floor
from corridor_abm.model.processes.venture import create_funds
from corridor_abm.model.rng import RandomStreams
from corridor_abm.model.state import HK, N_CITIES, N_SECTORS, SZ, Cells, Cities, State

if TYPE_CHECKING:
    from corridor_abm.model.config import Config


def build_state(owner: mesa.Model, cfg: Config, streams: RandomStreams) -> State:
    """Build, spin up and invert the 2018 state, with its governments and funds.

    Args:
        owner: The Mesa model that owns the agents.
        cfg: The configuration the state is built under (the reference configuration: every
            2018 level — fundamentals, the agglomeration and knowledge references, the initial
            knowledge stock, the governments' reserves — is computed under it).
        streams: The run's random streams.

    Returns:
        The state at the start of the first simulated quarter.
    """
    cmap = geography.build_map(cfg.map)
    n = cmap.n_cells
    city = cmap.city.astype(np.int64)
    com_cap, res_cap = geography.initial_floor_space(cmap, cfg)
    talent_scale = cfg.population_share * sum(cfg.talent.st_workers.as_list()) / cfg.n_talent
    wage = np.array(cfg.talent.wage_per_skill.as_list()) / 4.0  # ¥ per quarter per unit skill
    cells = Cells(
        city=city,
        land_use=cmap.land_use.copy(),
        com_cap=com_cap,
        res_cap=res_cap,
        com_rent=np.zeros(n),
        res_rent=np.zeros(n),
        house_price=np.zeros(n),
        floor_ration=np.ones(n),
        amenity=geography.amenity_index(cmap, public_services(cfg)),
        residential_fundamental=np.zeros(n),
        fundamental=np.ones((n, N_SECTORS)),
        related_employment=np.zeros((n, N_SECTORS), dtype=np.float32),
        agglomeration=np.ones((n, N_SECTORS)),
        goods_share=np.zeros((n, N_SECTORS)),
        park_mask=geography.park_cells(cmap),
        site_density=np.zeros(n),
    )
    s = State(
        owner=owner,
        map=cmap,
        cells=cells,
        travel=production.build_travel(cmap, cfg),
        cities=Cities(wage=wage, wage_2018=wage.copy(), expected_growth=cfg.economy.expected_growth()),
        knowledge=empty_knowledge(),
        firms=FirmPopulation(owner, capacity=2 * cfg.n_firms),
        talent=TalentPopulation(owner, capacity=2 * cfg.n_talent),
        talent_scale=talent_scale,
        household_floor=cfg.talent.floor_m2_per_talent * talent_scale,
        t=-cfg.market.burn_in_quarters,
        economy=markets.start_economy(cfg, -cfg.market.burn_in_quarters),
        market_weight=1.0 / cfg.population_share,
    )
    cells.goods_share = border.goods_cost_share(
        cfg.border, cfg.transport, cmap, geography.haul_minutes(cmap, cfg.transport)
    )
    markets.set_clearing_rents(s, cfg, elastic=False)  # background only: the rents agents see when placed
    markets.set_housing_references(s, cfg)
    populate(s, cfg, streams)
    # markets settle with agents held in place, then the 2018 allocation is inverted
    markets.set_clearing_rents(s, cfg)
    while s.t < 0:
        markets.baseline_land(s, cfg)
        markets.clear_markets(s, cfg)
        markets.advance_economy(s, cfg)
        s.t += 1
    house_prices.reset_expectations(s, cfg)
    s.cities.res_rent_2018 = views.city_residential_rent(cells)
    invert_firms(s, cfg)
    alive = s.firms.alive_index()
    s.firms.city_tie[alive] = fm.draw_city_ties(streams.get("init_ties"), alive.size, cfg.location.city_tie_mean)
    _list_largest(s, cfg, streams.get("init_listing"))
    cells.site_density = location.site_density(s, cfg.location.site_smoothing)
    settle_talent(s, cfg, streams.get("reservation"), streams.get("init_attachment"))
    # innovation, governments and venture capital start from the 2018 state
    s.knowledge.kernel = innovation.knowledge_kernel(s, cfg)
    innovation.set_initial_stock(s, cfg)
    s.governments = create_governments(s, cfg)
    create_funds(s, cfg, streams.get("vc_init"))
    return s


# --------------------------------------------------------------------------------------------
# the initial population


def split_by_share(total: int, weights: list[float] | np.ndarray) -> np.ndarray:
    """Integer split of ``total`` in proportion to ``weights`` (largest remainder).

    Args:
        total: Count to split.
        weights: Non-negative weights.

    Returns:
        Integer counts summing to ``total``.
    """
    w = np.asarray(weights, dtype=float)
    exact = total * w / w.sum()
    counts = np.floor(exact).astype(np.int64)
    remainder = total - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:remainder]] += 1
    return counts


def _firm_sites(s: State, rng: np.random.Generator, city: int, n: int) -> np.ndarray:
    """Cells of ``n`` firms of one city: district by firm share, then a built cell near it."""
    cmap, com_cap = s.map, s.cells.com_cap
    names = [k for k, v in geodata.DISTRICTS.items() if v[0] == geodata.CITY_CODES[city]]
    shares = np.array([geodata.DISTRICTS[k][3] for k in names])
    counts = split_by_share(n, shares)
    cells = np.flatnonzero((cmap.city == city) & (com_cap > 0))
    sites = []
    for name, count in zip(names, counts):
        if count == 0:
            continue
        _, lon, lat, _, _ = geodata.DISTRICTS[name]
        x, y = geography.lonlat_to_km(np.array(lon), np.array(lat))
        d2 = (cmap.x_km[cells] - x) ** 2 + (cmap.y_km[cells] - y) ** 2
        weight = com_cap[cells] * np.exp(-d2 / (2.0 * 4.0**2))
        if weight.sum() <= 0:
            weight = com_cap[cells]
        sites.append(cells[sample_weighted(rng, weight, (int(count),))])
    return np.concatenate(sites) if sites else np.zeros(0, dtype=np.int64)


def _firm_sizes(rng: np.random.Generator, n_firms: int, n_workers: int, tail: float, cap: int) -> np.ndarray:
    """Workers per firm: one each, the rest in proportion to capped Pareto weights."""
    if n_workers < n_firms:
        raise ValueError("every firm needs a worker: n_workers < n_firms")
    weight = np.minimum(rng.pareto(tail, n_firms) + 1.0, max(cap, 1))
    extra = rng.multinomial(n_workers - n_firms, weight / weight.sum())
    return 1 + extra


def populate(s: State, cfg: Config, streams: RandomStreams) -> None:
    """Create the 2018 firms and talent of every city and give each talent a home.

    Args:
        s: A state whose map, floor space and rents are set.
        cfg: The configuration.
        streams: The run's random streams (``init_firms``, ``init_talent``, ``init_homes``).
    """
    f, tp = cfg.firms, cfg.talent
    rng_firms = streams.get("init_firms")
    rng_talent = streams.get("init_talent")
    firm_counts = split_by_share(cfg.n_firms, f.hightech_firms.as_list())
    talent_counts = split_by_share(cfg.n_talent, tp.st_workers.as_list())
    mixes = [f.sector_mix_hk, f.sector_mix_sz, f.sector_mix_dg, f.sector_mix_hz]
    rd_mean = np.array(f.rd_intensity.as_list())
    rd_city_factor = np.array(f.rd_city_factor.as_list())

    employer_blocks, skill_blocks, origin_blocks, city_blocks = [], [], [], []
    for city in range(N_CITIES):
        n_f, n_t = int(firm_counts[city]), int(talent_counts[city])
        sectors = rng_firms.choice(4, size=n_f, p=np.array(mixes[city].as_list()) / sum(mixes[city].as_list()))
        sites = _firm_sites(s, rng_firms, city, n_f)
        age_years = rng_firms.exponential(8.0, n_f)
        first = s.firms.add(
            n_f,
            sector=sectors.astype(np.int8),
            cell=sites,
            born=(-4 * age_years).astype(np.int32),
            rd=fm.draw_rd_intensity(rng_firms, rd_mean[sectors], np.full(n_f, rd_city_factor[city])),
        )[0]
        n_employed = max(int(round(f.employed_share * n_t)), n_f)
        n_employed = min(n_employed, n_t)
        cap = int(f.max_size_share * n_t)
        sizes = _firm_sizes(rng_firms, n_f, n_employed, f.size_tail, cap)
        employer = np.full(n_t, -1, dtype=np.int64)
        employer[:n_employed] = np.repeat(first + np.arange(n_f), sizes)
        employer_blocks.append(employer)
        skill_blocks.append(tm.lognormal_skill(rng_talent, n_t, tp.skill_sigma))
        origin_blocks.append(
            tm.draw_origins(
                rng_talent, np.full(n_t, city), tp.origin_local.as_list(), tp.origin_hk_in_mainland, tp.origin_overseas
            )
        )
        city_blocks.append(np.full(n_t, city))

    employer = np.concatenate(employer_blocks)
    n = employer.size
    idx = s.talent.add(
        n,
        uid=s.talent.new_uids(n),
        skill=np.concatenate(skill_blocks),
        employer=employer,
        origin=np.concatenate(origin_blocks),
        home=-1,
        entered=s.t,
    )
    production.update_workforce(s, cfg)
    _place_homes(s, cfg, idx, np.concatenate(city_blocks), streams.get("init_homes"))


def _place_homes(s: State, cfg: Config, idx: np.ndarray, city: np.ndarray, rng: np.random.Generator) -> None:
    """Homes for the initial talent, chosen by the same rule as later in the run (anchored in
    their city); whoever is still without a home after a few rounds takes the roomiest cell of
    their city."""
    talent = s.talent
    pending = np.arange(idx.size)
    for _ in range(6):
        if pending.size == 0:
            break
        choose_homes(s, cfg, idx[pending], rng, allow_stay=False, anchor_city=city[pending])
        pending = pending[talent.home[idx[pending]] < 0]
    if pending.size:
        free = views.free_residential(s)
        for i in pending:
            cells = np.flatnonzero(s.cells.city == city[i])
            best = cells[np.argmax(free[cells])]
            talent.home[idx[i]] = best
            free[best] -= views.household_market_floor(s, np.array(cfg.talent.floor_m2_per_talent))
        refresh_floor(s, cfg, idx[pending])


# --------------------------------------------------------------------------------------------
# the inversion of 2018


def invert_firms(s: State, cfg: Config) -> None:
    """Invert the 2018 allocation: location fundamentals B and firm productivity A.

    B[cell, sector] makes the cost-adjusted productivity ``B·G / c^β`` of a firm of average
    skill the same in every cell (where c is the cost of an efficiency unit of labour
    there), so that in 2018 no site is better than another for the average firm of a
    sector: the observed allocation is a spatial equilibrium. Each firm's A then makes its
    2018 size its optimal size. Everything that happens after 2018 — rents, wages,
    agglomeration, land, policy, shocks — moves firms away from that equilibrium. The
    agglomeration reference is fixed here too.
    """
    firms, cells = s.firms, s.cells
    beta_s, gamma_s = cfg.firms.elasticities()
    production.update_workforce(s, cfg)
    production.update_agglomeration(s, cfg)
    cells.agg_reference = production.agglomeration_reference(s)
    production.update_agglomeration(s, cfg)
    rent = LeaseMarket(s, cfg).rent(np.arange(s.n_cells))
    for c in range(N_CITIES):
        in_c = cells.city == c
        ref = rent[in_c & (cells.com_cap > 0)]
        rent[in_c & ~(cells.com_cap > 0)] = float(np.nanmedian(ref)) if ref.size else 0.0
    wage_s = s.cities.wage
    log_wage = np.log(wage_s[cells.city])[:, None]
    log_index = (
        beta_s[None, :] * log_wage
        + gamma_s[None, :] * np.log(rent)[:, None]
        - np.log(cells.agglomeration)
        - np.log(1.0 - cells.goods_share)
    )
    alive = firms.alive_index()
    sector = firms.sector[alive]
    sz_firms = cells.city[firms.cell[alive]] == SZ
    for k in range(N_SECTORS):
        m = sz_firms & (sector == k)
        where = firms.cell[alive][m] if m.any() else np.flatnonzero(cells.city == SZ)
        log_index[:, k] -= float(np.mean(log_index[where, k]))
    cells.fundamental = np.exp(log_index)
    cell = firms.cell[alive]
    beta, gamma = beta_s[sector], gamma_s[sector]
    wage = wage_s[cells.city[cell]]
    labour = np.maximum(firms.eff[alive], 1e-9) * s.talent_scale
    tfp = fm.productivity_for_size(labour, wage, cells.com_rent[cell], beta, gamma, firms.rd[alive])
    site = views.site_tfp(cells, None, sector, cell)
    firms.log_a[alive] = np.log(tfp) - np.log(site)
    floor = labour * fm.floor_per_labour(beta, gamma, wage, cells.com_rent[cell])
    firms.output[alive] = fm.output(tfp, labour, floor, beta, gamma)
    firms.rd_spend[alive] = firms.rd[alive] * firms.output[alive]
    firms.fixed_cost[alive] = cfg.firms.fixed_cost_share * firms.output[alive]
    firms.origin_city[alive] = cells.city[cell]
    firms.cash[alive] = cfg.firms.initial_cash_quarters * views.wage_bills(s)[alive]


def _list_largest(s: State, cfg: Config, rng: np.random.Generator) -> None:
    """The largest ``firms.listed_share`` of each city's 2018 firms are listed: Hong Kong's in
    Hong Kong, the mainland's there with probability ``vc.hk_listing_share``, else in Shenzhen."""
    firms = s.firms
    alive = firms.alive_index()
    size = firms.workers[alive] + firms.workers_div[alive]
    city = s.cells.city[firms.cell[alive]]
    for c in range(N_CITIES):
        mine = alive[city == c]
        n = int(round(cfg.firms.listed_share * mine.size))
        if n == 0:
            continue
        largest = mine[np.argsort(-size[city == c], kind="stable")[:n]]
        in_hk = (c == HK) | (rng.random(n) < cfg.vc.hk_listing_share)
        firms.listed[largest] = np.where(in_hk, 2, 1)


def border_patterns(s: State, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Origin group (1: from Hong Kong) and pattern of border sides ``2·home_in_hk +
    job_in_hk`` of talent ``idx``; talent without a job count as working on their home's side."""
    hk = s.cells.city == HK
    group = (s.talent.origin[idx] == tm.ORIGIN_HK).astype(np.intp)
    home_hk = hk[s.talent.home[idx]].astype(np.intp)
    job = views.job_cells(s, idx)
    job_hk = np.where(job >= 0, hk[np.maximum(job, 0)], home_hk).astype(np.intp)
    return group, 2 * home_hk + job_hk


def border_gap(
    s: State, idx: np.ndarray, utility: np.ndarray, taste_sd: float, attachment_sd: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """The value, for each origin group of talent ``idx`` (not from / from Hong Kong), of
    living on a side of the HK–mainland border and working on a side, that makes the group's
    2018 shares of the four patterns what the talent's choices expect: a mixed logit with
    Gumbel tastes of scale ``taste_sd`` and a normal attachment to Hong Kong of s.d.
    ``attachment_sd`` per side lived or worked on (Berry 1994's inversion,
    :func:`agents.talent.invert_patterns`).

    A pattern's level is the mean ``utility`` of those in it plus ``taste_sd``·log of how often
    a searcher living on its home side is offered a job on its job side
    (:func:`model.processes.labour.match`: half its offers in its home city, half anywhere in
    proportion to vacancies, for which 2018 jobs stand). Equal means instead would make a rare
    pattern as attractive as a common one, and people would pour into it; without the offer
    term, commuters would drain away because they see few offers across the border.

    Args:
        s: The state (homes, jobs, origins).
        idx: Talent.
        utility: Their utility without the border value, log-income.
        taste_sd: Scale of the talent's Gumbel tastes (``talent.taste_sd``), log-income.
        attachment_sd: S.d. of the attachment to Hong Kong (``talent.hk_attachment_sd``).

    Returns:
        The (2, 2, 2) values ``[from_hk, home_in_hk, job_in_hk]``, log-income, 0 for a mainland
        home with a mainland job (and for patterns a group has nobody in); and the (2, 4) levels
        of each group's patterns with the values in (-inf: nobody in it), from which the 2018
        attachments are drawn (:func:`agents.talent.draw_attachment`).
    """
    group, pattern = border_patterns(s, idx)
    employed = views.job_cells(s, idx) >= 0
    jobs_hk = float((pattern[employed] % 2).mean()) if employed.any() else 0.0
    share = np.array([1.0 - jobs_hk, jobs_hk])
    log_offers = np.zeros(4)
    if share.min() > 0:
        for h in (0, 1):
            log_offers[2 * h + 1 - h] = np.log((0.5 * share[1 - h]) / (0.5 + 0.5 * share[h]))
    value = np.zeros((2, 4))
    level = np.full((2, 4), -np.inf)
    for g in (0, 1):
        mine = group == g
        count = np.bincount(pattern[mine], minlength=4).astype(float)
        if share.min() <= 0:
            count[[1, 2]] = 0.0
        total = np.bincount(pattern[mine], weights=utility[mine], minlength=4)
        present = count > 0
        base = np.where(present, total / np.maximum(count, 1.0) + taste_sd * log_offers, 0.0)
        value[g] = tm.invert_patterns(count / max(count.sum(), 1.0), base, attachment_sd, taste_sd)
        level[g, present] = base[present] + value[g, present]
    return value.reshape(2, 2, 2), level


def settle_talent(s: State, cfg: Config, rng: np.random.Generator, rng_attachment: np.random.Generator) -> None:
    """Invert the 2018 pattern of homes, and give each talent its outside option.

    The job fundamental of a mainland city absorbs its 2018 wage gap per unit skill to Shenzhen
    (mobility across the mainland makes 2018 a spatial equilibrium). The residential
    fundamental of a cell makes the mean utility of its 2018 residents equal to the corridor's
    mean (cells without residents take their city's mean), so the 2018 homes are an
    equilibrium and later moves answer to what changes. Across the HK–mainland border, each
    origin group's pattern of home and job sides then gets a value (:func:`border_gap`) that
    makes the 2018 shares of the patterns the choices' expected shares under the reference
    barriers, and each talent an attachment to Hong Kong drawn given the pattern it is in
    (stream ``init_attachment``; newcomers draw from the population's distribution); Hong
    Kong's wage premium and the barriers stay in utility and move people by their changes.
    Each talent is here by choice: its outside option lies an exponential surplus below its
    utility (stream ``reservation``). The 2018 unemployment rate of each city becomes the level
    wages treat as normal.

    Args:
        s: The state with the 2018 talent placed.
        cfg: The configuration.
        rng: Stream ``reservation``.
        rng_attachment: Stream ``init_attachment``.
    """
    talent, cells, cities = s.talent, s.cells, s.cities
    alive = talent.alive_index()
    home = talent.home[alive]
    # mainland wage gaps per unit skill are a spatial equilibrium (free mobility): a job fundamental
    # absorbs them; Hong Kong's premium stays in utility, with the border's barriers
    cities.job_fundamental = np.where(np.arange(N_CITIES) == HK, 0.0, np.log(cities.wage[SZ]) - np.log(cities.wage))
    cells.residential_fundamental[:] = 0.0
    cities.border_fundamental = np.zeros((2, 2, 2))
    talent.hk_attachment[alive] = 0.0
    income, _, job = views.job_part(s, cfg, alive)
    part = views.home_part(s, cfg, alive, income, job, home)
    count = np.bincount(home, minlength=s.n_cells)
    cell_mean = np.bincount(home, weights=part, minlength=s.n_cells) / np.maximum(count, 1)
    city = cells.city[home]
    city_mean = np.bincount(city, weights=part, minlength=N_CITIES) / np.maximum(
        np.bincount(city, minlength=N_CITIES), 1
    )
    cell_mean = np.where(count > 0, cell_mean, city_mean[cells.city])
    cells.residential_fundamental = float(part.mean()) - cell_mean
    # the HK–mainland border, per origin group: the 2018 shares of talent living and working on
    # either side are what the choices expect under the reference barriers, so the 2018 pattern
    # (commuters, mainland talent in Hong Kong, Hong Kong talent on the mainland) is an
    # equilibrium, neither a stock that drains away nor a rare pattern that floods; the barriers
    # and Hong Kong's wage premium then move people by their changes, as far as each one's
    # attachment to Hong Kong lets them. Utility is taken net of log skill (who is in a pattern
    # differs by skill, and the value is the same for all) and with the residential fundamental
    # in, so the inversion sees the levels the choices will see.
    net = views.current_utility(s, cfg, alive) - np.log(talent.skill[alive])
    tp = cfg.talent
    cities.border_fundamental, level = border_gap(s, alive, net, tp.taste_sd, tp.hk_attachment_sd)
    # the search's flows: separations and new matches across the border do not balance at the
    # static inversion's values, so a calibrated value of commuting (either direction) holds the
    # 2018 stock; the attachments below are drawn on the static levels that the 2018 shares invert
    cities.border_fundamental[:, 0, 1] += tp.border_flow_correction
    cities.border_fundamental[:, 1, 0] += tp.border_flow_correction
    group, pattern = border_patterns(s, alive)
    for g in (0, 1):
        mine = alive[group == g]
        talent.hk_attachment[mine] = tm.draw_attachment(
            rng_attachment, pattern[group == g], level[g], tp.hk_attachment_sd, tp.taste_sd
        )
    surplus = rng.exponential(cfg.talent.initial_surplus, alive.size)
    talent.reservation[alive] = (views.current_utility(s, cfg, alive) - surplus).astype(np.float32)
    _, seekers, jobs = labour_rates(s, np.zeros(s.firms.n))
    cities.reference_unemployment = seekers / np.maximum(jobs + seekers, 1.0)
