"""Exit and entry: loss-making firms exit; skilled talent found start-ups and spin-offs.

Phase :func:`exit_and_entry` (streams ``exit`` and ``entry``). A firm exits after
``entry.exit_loss_quarters`` of losses with negative cash, when it has had no workers for
``entry.exit_empty_quarters`` in a row, or at random (``entry.exit_hazard``); its workers search. Skilled talent found a firm at
``entry.founding_rate`` per worker (an agent stands for ``talent_scale`` workers; more often
when their employer innovated last year); a spin-off takes
its parent's sector and draws its productivity around the parent's, a new venture draws around
its sector's median in its city. The founder picks among a few sites of their city by the firms'
site logit (:mod:`model.processes.location`; admitted while floor is free); a site across the
HK–mainland border costs the founder its work barrier, and a site in Hong Kong is worth the
founder's attachment to it; the city pays its incubator grant (lever L6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from corridor_abm.agents import firms as fm
from corridor_abm.model import border, views
from corridor_abm.model.allocation import allocate
from corridor_abm.model.params import param
from corridor_abm.model.processes import government
from corridor_abm.model.processes.labour import release
from corridor_abm.model.processes.location import candidate_sites
from corridor_abm.model.processes.markets import LeaseMarket
from corridor_abm.model.processes.production import update_workforce
from corridor_abm.model.state import HK, N_CITIES, N_SECTORS, State

if TYPE_CHECKING:
    from corridor_abm.model.config import Config


@dataclass
class EntryExitParams:
    """Start-ups, spin-offs and exits."""

    founding_rate: float = param(
        1.9e-4,
        "per skilled worker per quarter",
        "Chance a skilled worker founds a firm in a quarter. A talent agent stands for talent_scale "
        "workers, so it founds with talent_scale × this chance: the number of start-ups per worker "
        "does not depend on how many agents represent the workers (0.003 per agent at the default "
        "scale, 15.7 workers per agent)",
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
    exit_empty_quarters: int = param(
        4,
        "quarters",
        "Consecutive quarters without workers after which a firm exits (a firm whose last worker "
        "left this quarter hires again first; at coarse talent scales a small firm is one agent)",
        lo=1,
        hi=100,
    )
    exit_hazard: float = param(
        0.004, "per quarter", "Exogenous exit chance (founder leaves, acquisition)", lo=0.0, hi=1.0
    )


def exit_and_entry(s: State, cfg: Config, rng_exit: np.random.Generator, rng_entry: np.random.Generator) -> None:
    """Exits after sustained losses (or at random); founders create start-ups and spin-offs."""
    _exits(s, cfg, rng_exit)
    _entries(s, cfg, rng_entry)


def _exits(s: State, cfg: Config, rng: np.random.Generator) -> None:
    firms, ep = s.firms, cfg.entry
    alive = firms.alive_index()
    # a firm exits when it has run out of finance after sustained losses
    broke = (firms.cash[alive] + views.finance_capacity(s, cfg, alive) < 0) & (
        firms.loss_streak[alive] >= ep.exit_loss_quarters
    )
    # ... or when it has had no workers for entry.exit_empty_quarters in a row
    no_workers = firms.workers[alive] + firms.workers_div[alive] == 0
    firms.empty_streak[alive] = np.where(no_workers, firms.empty_streak[alive] + 1, 0)
    empty = firms.empty_streak[alive] >= ep.exit_empty_quarters
    hazard = rng.random(alive.size) < ep.exit_hazard
    gone = alive[broke | empty | hazard]
    if gone.size == 0:
        return
    firms.alive[gone] = False
    firms.exit_quarter[gone] = s.t
    s.flows.exits += np.bincount(s.cells.city[firms.cell[gone]], minlength=N_CITIES)
    lost = np.zeros(firms.n, dtype=bool)
    lost[gone] = True
    talent = s.talent
    employed = views.employed_index(s)
    laid_off = employed[lost[talent.employer[employed]]]
    release(s, laid_off)
    talent.must_search[laid_off] = True
    update_workforce(s, cfg)


def _entries(s: State, cfg: Config, rng: np.random.Generator) -> None:
    """Skilled talent found firms: spin-offs in the employer's sector, new ventures, and
    university spin-offs."""
    talent, firms, ep, city_of = s.talent, s.firms, cfg.entry, s.cells.city
    eligible = np.flatnonzero(talent.alive & (talent.skill >= ep.founder_min_skill))
    employer = talent.employer[eligible]
    # employees of firms that innovated in the last year spin off more (DJI → 360 drone firms)
    recent = (employer >= 0) & ((s.t - firms.last_innovation[np.maximum(employer, 0)]) < 4)
    # the rate is per worker and an agent stands for talent_scale workers; founders are firms,
    # whose agents stand for firms one to one (× population_share), so the agent's chance scales
    rate = np.minimum(ep.founding_rate * s.talent_scale * np.where(recent, cfg.innovation.spinoff_boost, 1.0), 1.0)
    founders = eligible[rng.random(eligible.size) < rate]
    job = views.job_cells(s, founders)
    home_city = city_of[talent.home[founders]]
    city = np.where(job >= 0, city_of[np.maximum(job, 0)], home_city)
    parent = talent.employer[founders].copy()
    spinoff = (parent >= 0) & (rng.random(founders.size) < ep.spinoff_share)
    # university spin-offs: researchers and graduates of the corridor's universities found firms
    uni, uni_city = _university_founders(s, cfg, rng, eligible, founders)
    university = np.r_[np.zeros(founders.size, dtype=bool), np.ones(uni.size, dtype=bool)]
    founders, city = np.r_[founders, uni], np.r_[city, uni_city]
    parent, spinoff = np.r_[parent, np.full(uni.size, -1)], np.r_[spinoff, np.zeros(uni.size, dtype=bool)]
    if founders.size == 0:
        return
    sector = np.where(spinoff, firms.sector[np.maximum(parent, 0)], _draw_sector(cfg, rng, city))
    log_a = _startup_productivity(s, cfg, rng, sector, city, np.where(spinoff, parent, -1))
    # the founder picks among sites of their city and of the whole corridor by the firms' site
    # logit; founding on the other side of the HK–mainland border costs the founder its barrier,
    # and a site in Hong Kong is worth their attachment to it
    free = views.free_commercial(s)
    cand = candidate_sites(s, rng, city, cfg.location.candidates)
    cand_safe = np.maximum(cand, 0)
    labour = talent.skill[founders].astype(float) * s.talent_scale
    beta_s, gamma_s = cfg.firms.elasticities()
    beta, gamma = beta_s[sector][:, None], gamma_s[sector][:, None]
    tfp = views.site_tfp(s.cells, log_a, sector, cand_safe)
    wage = s.cities.wage[city_of[cand_safe]]
    floor = labour[:, None] * fm.floor_per_labour(beta, gamma, wage, np.maximum(s.cells.com_rent[cand_safe], 1e-9))
    lease = LeaseMarket(s, cfg)
    value = np.log(fm.site_index(tfp, wage, lease.rent(cand_safe, floor), beta, gamma))
    origin = talent.origin[founders][:, None]
    value -= border.work_barrier(cfg.border, s.map, origin, city_of[cand_safe], cand_safe)
    value += talent.hk_attachment[founders][:, None] * (city_of[cand_safe] == HK)
    # founding away from one's city forfeits the founder's tie to it (networks, first customers),
    # which the firm inherits if it is founded there
    tie = fm.draw_city_ties(rng, founders.size, cfg.location.city_tie_mean)
    value -= tie[:, None] * (city_of[cand_safe] != city[:, None])
    value = np.where(cand >= 0, value + cfg.location.taste_sd * rng.gumbel(size=value.shape), -np.inf)
    pick = np.argmax(value, axis=1)
    site = cand_safe[np.arange(founders.size), pick]
    need = floor[np.arange(founders.size), pick]
    ok = allocate(
        np.where(cand[np.arange(founders.size), pick] >= 0, site, -1),
        need * s.market_weight,
        free,
        rng.random(founders.size),
    )
    founders, site, sector, log_a, parent, spinoff, university, city, tie = (
        founders[ok],
        site[ok],
        sector[ok],
        log_a[ok],
        parent[ok],
        spinoff[ok],
        university[ok],
        city[ok],
        tie[ok],
    )
    if founders.size == 0:
        return
    beta, gamma = beta_s[sector], gamma_s[sector]
    city_wage, rent = s.cities.wage[city_of[site]], np.maximum(s.cells.com_rent[site], 1e-9)
    tfp_site = views.site_tfp(s.cells, log_a, sector, site)
    rd_mean = np.array(cfg.firms.rd_intensity.as_list())
    target = fm.optimal_labour(tfp_site, city_wage, rent, beta, gamma, rd_mean[sector])
    target_floor = target * fm.floor_per_labour(beta, gamma, city_wage, rent)
    fixed = cfg.firms.fixed_cost_share * fm.output(tfp_site, target, target_floor, beta, gamma)
    wage = city_wage * talent.skill[founders] * s.talent_scale
    new = firms.add(
        founders.size,
        sector=sector,
        cell=site,
        log_a=log_a,
        rd=draw_rd(cfg, rng, sector, city_of[site]),
        born=s.t,
        cash=ep.startup_cash_quarters * wage,
        fixed_cost=fixed,
        origin=np.select([spinoff, university], [fm.ORIGIN_SPINOFF, fm.ORIGIN_UNIVERSITY], fm.ORIGIN_STARTUP),
        parent=np.where(spinoff, parent, -1),
        origin_city=city_of[site].astype(np.int8),
        founder_origin=talent.origin[founders],
        city_tie=np.where(
            city_of[site] == city, tie, fm.draw_city_ties(rng, founders.size, cfg.location.city_tie_mean)
        ),
    )
    government.incubator_grants(s, cfg, new)
    s.events.entries.append(
        {
            "t": np.full(new.size, s.t),
            "firm": new.astype(np.int64),
            "kind": (firms.origin[new] - fm.ORIGIN_STARTUP).astype(np.int8),
            "sector": firms.sector[new].astype(np.int8),
            "city": city_of[firms.cell[new]].astype(np.int8),
            "cell": firms.cell[new].astype(np.int64),
            "founder_origin": firms.founder_origin[new].astype(np.int8),
            "parent": firms.parent[new].astype(np.int64),
            "incubator_grant": firms.grant_outstanding[new].astype(float),
        }
    )
    release(s, founders)
    talent.employer[founders] = new
    talent.must_search[founders] = False
    s.flows.entries += np.bincount(city_of[site], minlength=N_CITIES)
    update_workforce(s, cfg)


def _university_founders(
    s: State, cfg: Config, rng: np.random.Generator, eligible: np.ndarray, taken: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Founders of university spin-offs this quarter: for each university or lab,
    Poisson(``innovation.university_spinoffs`` × its research output × population_share / 4)
    skilled talent living in its city (not founding otherwise). Returns them and that city."""
    rate = cfg.innovation.university_spinoffs * cfg.population_share / 4.0
    if rate <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    strength = np.bincount(s.cells.city, weights=s.map.research_strength, minlength=N_CITIES)
    counts = rng.poisson(rate * strength)
    # the eligible not founding otherwise (np.setdiff1d's result, without sorting millions)
    not_taken = np.ones(s.talent.n, dtype=bool)
    not_taken[taken] = False
    free = eligible[not_taken[eligible]]
    free_city = s.cells.city[np.maximum(s.talent.home[free], 0)]
    out, cities = [], []
    for c in np.flatnonzero(counts):
        pool = free[free_city == c]
        n = min(int(counts[c]), pool.size)
        if n:
            out.append(rng.choice(pool, size=n, replace=False))
            cities.append(np.full(n, c))
    if not out:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(out), np.concatenate(cities)


def _draw_sector(cfg: Config, rng: np.random.Generator, city: np.ndarray) -> np.ndarray:
    f = cfg.firms
    mix = np.array([m.as_list() for m in (f.sector_mix_hk, f.sector_mix_sz, f.sector_mix_dg, f.sector_mix_hz)])
    cdf = np.cumsum(mix, axis=1)
    u = rng.random(city.size)[:, None]
    return np.minimum((u > cdf[city]).sum(axis=1), N_SECTORS - 1).astype(np.int8)


def draw_rd(cfg: Config, rng: np.random.Generator, sector: np.ndarray, city: np.ndarray) -> np.ndarray:
    """R&D intensity of new firms: sector mean × city factor × lognormal spread."""
    rd_mean = np.array(cfg.firms.rd_intensity.as_list())
    rd_city_factor = np.array(cfg.firms.rd_city_factor.as_list())
    return fm.draw_rd_intensity(rng, rd_mean[sector], rd_city_factor[city])


def _startup_productivity(
    s: State, cfg: Config, rng: np.random.Generator, sector: np.ndarray, city: np.ndarray, parent: np.ndarray
) -> np.ndarray:
    """log A of new firms: a spin-off draws around its parent, a venture around its sector."""
    firms, ep = s.firms, cfg.entry
    alive = firms.alive_index()
    median = np.zeros((N_CITIES, N_SECTORS))
    for k in range(N_SECTORS):
        in_s = alive[firms.sector[alive] == k]
        fallback = float(np.median(firms.log_a[in_s])) if in_s.size else 0.0
        for c in range(N_CITIES):
            m = in_s[s.cells.city[firms.cell[in_s]] == c]
            median[c, k] = float(np.median(firms.log_a[m])) if m.size else fallback
    base = np.where(parent >= 0, firms.log_a[np.maximum(parent, 0)], median[city, sector])
    sigma = cfg.firms.productivity_volatility * 2.0
    return base + np.log(ep.startup_productivity) + sigma * rng.standard_normal(sector.size)
