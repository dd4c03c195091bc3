"""The labour market: firms' workforce targets, layoffs, job search and matching, and wages.

Phase :func:`labour_market` (stream ``labour``): every firm sets its target workforce (the
profit-maximising size at its site, :func:`agents.firms.optimal_labour`), lays off above it or
posts vacancies toward it; the unemployed and some employed talent sample vacancies and take the
best offer if it beats their present job. City wages then answer the vacancies left open after
migration (:func:`adjust_wages`, called by the migration phase). The talent parameter group
``talent`` lives here; the migration and housing phase (:mod:`model.processes.migration`) reads
it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from corridor_abm.agents import firms as fm
from corridor_abm.agents import talent as tm
from corridor_abm.model import parallel, views
from corridor_abm.model.allocation import allocate, sample_weighted, sample_weighted_by_group
from corridor_abm.model.params import ConfigError, PerCity, param, per_city
from corridor_abm.model.processes.production import update_workforce
from corridor_abm.model.state import N_CITIES, State

if TYPE_CHECKING:
    from corridor_abm.model.config import Config


@dataclass
class TalentParams:
    """Skilled workers: skills, jobs, homes, migration."""

    st_workers: PerCity = param(
        per_city(7.5e5, 1.95e6, 8.4e5, 3.8e5),
        "persons",
        "S&T workers in 2018: sets each city's share of the initial talent (corridor ~3.9m)",
        "seed 000/003 (Shenzhen: 15 S&T workers per 100 residents); others approx. public figures",
        lo=1.0,
    )
    origin_local: PerCity = param(
        per_city(0.80, 0.30, 0.30, 0.40),
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
        per_city(3.0e5, 1.5e5, 0.9e5, 0.8e5),
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
    wage_drift: float = param(
        0.02,
        "per year",
        "Trend growth of skilled wages over the city's income per resident (economy.nominal_growth): "
        "the growth of the skill premium",
        lo=-0.2,
        hi=0.5,
    )
    graduates: PerCity = param(
        per_city(2.0e4, 2.7e4, 3.0e4, 1.3e4),
        "persons per year",
        "Skilled graduates of the city's universities entering its labour market each year (local origin)",
        "approx. public figure (HK UGC first-degree places ≈ 20k/yr; Shenzhen ≈ 97k students, seed 000; "
        "Dongguan and Huizhou assumptions)",
        lo=0.0,
    )
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
    taste_sd: float = param(
        0.10,
        "log-income",
        "Dispersion of talent's idiosyncratic tastes (Gumbel scale) in the logit choices of job and home",
        lo=0.0,
        hi=5.0,
    )
    hk_attachment_sd: float = param(
        0.5,
        "log-income",
        "Dispersion (s.d., normal) of talent's persistent attachment to Hong Kong, counted once for "
        "living and once for working there: sets how far cross-border living and working answer the "
        "border's barriers and Hong Kong's premium (0: only the per-choice tastes)",
        "assumption (no public elasticity of cross-border work to the barriers; sensitivity of S5 in "
        "docs/calibration.md)",
        lo=0.0,
        hi=5.0,
    )
    border_flow_correction: float = param(
        0.1,
        "log-income",
        "Value added, on top of the 2018 inversion, to working on the other side of the HK–mainland "
        "border from one's home (either direction): the inversion balances one choice among offers, "
        "not the flows of separations and new matches that follow, so without it the 2018 stock of "
        "cross-border commuters drains away on its own; calibrated so that the baseline with "
        "constant barriers keeps that stock (scripts/calibrate_border_flow.py)",
        "calibrated: the secant over 10 seeds and 28 quarters stops at 0.1 (last/first quarter "
        "1.016, 0 gives 0.747; scripts/calibrate_border_flow.py)",
        lo=-2.0,
        hi=2.0,
    )
    inflow_rate: float = param(
        0.01,
        "share of the city's talent per quarter",
        "Potential migrants per quarter to each city (from the rest of China, Hong Kong and "
        "overseas; graduates come on top, talent.graduates); they stay if the city beats their "
        "outside option",
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
        0.4,
        "log-income",
        "Spread of entrants' reservation utility (outside option elsewhere): sets the elasticity of "
        "arrivals to real income (≈ φ(z)/(Φ(z)·sd) at acceptance rate Φ(z); 2 at half accepted)",
        "Tombe & Zhu (2019, AER): migration elasticity 1.5, higher for the skilled",
        lo=0.0,
        hi=5.0,
    )
    reservation_income: float = param(
        1.1e5,
        "¥ per year",
        "Median income outside the region, net of housing and commuting there, at which an "
        "entrant of skill 1 is indifferent (an interior share of entrants accepts)",
        "assumption (national non-private wage in IT ¥148k, S&T services ¥123k, 2018, NBS)",
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
    commute_shock_minutes: float = param(
        60.0,
        "minutes",
        "Change of a one-way commute, when travel times change during a run (a border closure, "
        "a line cut or reopened), that displaces a worker: a rise of the commute to the job, or "
        "a fall of the commute to the job a rise cut off",
        "assumption (no figure on who re-searches after a change of access)",
        lo=0.0,
        hi=10_000.0,
    )
    displaced_quarters: int = param(
        4,
        "quarters",
        "Quarters a displaced worker searches for a job and reviews the home every quarter, and "
        "does not leave the region for having fallen below the outside option (they look for a "
        "new arrangement in the region first); 0 switches commute shocks off",
        "assumption (a year, the horizon of a temporary layoff; the backtest's commuting at 8 and "
        "12 quarters in the README)",
        lo=0,
        hi=400,
    )
    recall_after_shock: bool = param(
        True,
        "-",
        "When a commute shock reverses (a closed crossing reopens), a displaced worker whose employer "
        "of the cut-off job still exists is offered that job back, and takes it if it beats the "
        "present job (temporary separations often end in recall to the same employer)",
        "Katz & Meyer (1990, QJE 105(4)); Fujita & Moscarini (2017, AER 107(12)): about 40% of US "
        "separations into unemployment end in recall; whether the offer is made is an assumption",
    )
    return_after_shock: bool = param(
        True,
        "-",
        "A displaced worker who leaves the region while the shock lasts keeps a claim on it: when "
        "the cut-off commute comes back (a closed crossing reopens) they reconsider the region that "
        "quarter, offered their old job where its firm still exists or searching like an entrant, "
        "and return if it beats their outside option (with false, those who left are gone)",
        "Dustmann & Görlach (2016, JEL 54(1)): much migration is temporary and answers conditions "
        "at the origin; that a claim lasts through the shock is an assumption",
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

    def check(self, root: Config) -> None:
        """Origin shares of initial talent and of entrants cannot exceed the whole."""
        for i, city in enumerate(("hk", "sz", "dg", "hz")):
            origin = self.origin_local.as_list()[i] + self.origin_overseas
            if i > 0:
                origin += self.origin_hk_in_mainland
            if origin > 1.0:
                raise ConfigError(
                    f"talent.origin_local.{city} + talent.origin_overseas"
                    + (" + talent.origin_hk_in_mainland" if i > 0 else "")
                    + f" = {origin:g} exceeds 1: origin shares cannot exceed the whole."
                )
        if self.migrant_share_hk + self.migrant_share_overseas > 1.0:
            raise ConfigError("talent.migrant_share_hk + talent.migrant_share_overseas exceeds 1.")


def labour_market(s: State, cfg: Config, rng: np.random.Generator) -> None:
    """Firms shed workers or post vacancies; searchers are matched to vacancies."""
    vacancies = workforce_targets(s, cfg, rng)
    searchers = _searchers(s, cfg, rng)
    s.firms.vacancies[:] = match(s, cfg, searchers, vacancies, rng, newcomers=False)


def workforce_targets(s: State, cfg: Config, rng: np.random.Generator) -> np.ndarray:
    """Fire above-target workers at random; return vacancies per firm (agents)."""
    firms, lp = s.firms, cfg.firms
    beta_s, gamma_s = lp.elasticities()
    update_workforce(s, cfg)
    alive = firms.alive_index()
    sector = firms.sector[alive]
    cell = firms.cell[alive]
    workers = firms.workers[alive] + firms.workers_div[alive]
    mean_skill = np.where(workers > 0, firms.eff[alive] / np.maximum(workers, 1), 1.0)
    gamma = gamma_s[sector]
    # a firm squeezed by a full cell sees its floor, and so its output, scaled down
    tfp = views.firm_tfp(s, cfg, alive) * np.power(s.cells.floor_ration[cell], gamma)
    target = fm.optimal_labour(
        tfp, s.cities.wage[s.cells.city[cell]], s.cells.com_rent[cell], beta_s[sector], gamma, firms.rd[alive]
    )
    target = target / s.talent_scale / mean_skill
    gap = target - workers
    # adjustment costs: gaps inside the band are left alone, larger ones close gradually
    band = lp.workforce_band * np.maximum(workers, 1.0)
    change = np.where(np.abs(gap) > band, lp.workforce_adjustment * gap, 0.0)
    # venture money buys faster growth: backed firms may add vc.backed_max_growth a quarter
    growth = np.where(firms.vc_raised[alive] > 0, cfg.vc.backed_max_growth, lp.max_growth)
    step = np.maximum(growth * workers, 1.0)
    change = np.clip(change, -lp.max_growth * workers, step)
    change = fm.stochastic_round(change, rng.random(alive.size))
    # hiring needs finance: cash plus what the firm can borrow or raise, at a cost per hire
    funds = np.maximum(firms.cash[alive] + views.finance_capacity(s, cfg, alive), 0.0)
    per_hire = lp.hiring_cost_quarters * s.cities.wage[s.cells.city[cell]] * mean_skill * s.talent_scale
    affordable = np.floor(funds / np.maximum(per_hire, 1e-9)).astype(np.int64)
    change = np.where(change > 0, np.minimum(change, affordable), change)
    _fire(s, rng, alive, np.maximum(-change, 0))
    vacancies = np.zeros(firms.n, dtype=np.int64)
    vacancies[alive] = np.maximum(change, 0)
    return vacancies


def _fire(s: State, rng: np.random.Generator, firm_idx: np.ndarray, n_fire: np.ndarray) -> None:
    """Lay off ``n_fire`` workers at random from each firm."""
    if not n_fire.any():
        return
    quota = np.zeros(s.firms.n, dtype=np.int64)
    quota[firm_idx] = n_fire
    talent = s.talent
    pool = views.employed_index(s)
    pool = pool[quota[talent.employer[pool]] > 0]
    order = pool[np.lexsort((rng.random(pool.size), talent.employer[pool]))]
    emp = talent.employer[order]
    starts = np.flatnonzero(np.r_[True, emp[1:] != emp[:-1]])
    rank = np.arange(order.size) - np.repeat(starts, np.diff(np.r_[starts, order.size]))
    fired = order[rank < quota[emp]]
    release(s, fired)


def release(s: State, idx: np.ndarray) -> None:
    """Talent ``idx`` leave their employer (layoff, exit of the firm, founding, departure)."""
    s.talent.employer[idx] = -1
    s.talent.at_division[idx] = False


def _searchers(s: State, cfg: Config, rng: np.random.Generator) -> np.ndarray:
    talent = s.talent
    alive = talent.alive
    unemployed = alive & (talent.employer < 0)
    on_the_job = alive & (talent.employer >= 0) & (rng.random(talent.n) < cfg.talent.search_share_employed)
    return np.flatnonzero(unemployed | on_the_job | (alive & (talent.must_search | views.displaced(s))))


def match(
    s: State,
    cfg: Config,
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
    tp = cfg.talent
    if searchers.size == 0 or vacancies.sum() == 0:
        return vacancies
    if search_city is None:
        search_city = views.anchor_city(s, s.talent.home[searchers])
    k_local = (tp.job_offers + 1) // 2
    firm_city = s.cells.city[s.firms.cell[: vacancies.size]]
    weight = vacancies.astype(float)
    local = sample_weighted_by_group(rng, search_city, firm_city, weight, k_local, N_CITIES)
    wide = sample_weighted(rng, weight, (searchers.size, tp.job_offers - k_local))
    offers = np.concatenate([local, wide], axis=1)
    offers = np.where(offers >= 0, offers, wide[:, :1] if wide.shape[1] else offers)
    safe = offers if (offers >= 0).all() else np.maximum(offers, 0)  # usually every column has an offer
    # row-wise utilities, evaluated on the process's threads (the same values, model.parallel)
    utility = parallel.by_rows(lambda r: views.job_utility(s, cfg, searchers[r], safe[r]), searchers.size)
    if safe is not offers:
        utility = np.where(offers >= 0, utility, -np.inf)
    # a logit among the offers and the present job: every option carries a Gumbel taste
    utility += tp.taste_sd * rng.gumbel(size=utility.shape)
    pick, best = tm.best_option(utility)
    current = parallel.by_rows(lambda r: views.current_job_utility(s, cfg, searchers[r]), searchers.size)
    current = current + tp.taste_sd * rng.gumbel(size=searchers.size)
    switch = np.where(s.talent.employer[searchers] >= 0, tp.job_switch_cost, 0.0)
    if newcomers:
        current = np.full(searchers.size, -np.inf)
    target = np.where(np.isfinite(best) & (best > current + switch), offers[np.arange(searchers.size), pick], -1)
    admitted = allocate(target, 1.0, vacancies.astype(float), rng.random(searchers.size))
    hired = searchers[admitted]
    firm = target[admitted]
    s.talent.employer[hired] = firm
    has_div = s.firms.div_cell[firm] >= 0
    s.talent.at_division[hired] = has_div & (rng.random(hired.size) < cfg.location.division_share)
    s.talent.unemployed_q[hired] = 0
    s.talent.must_search[hired] = True  # a new job: review the home too
    left = vacancies.copy()
    np.subtract.at(left, firm, 1)
    return left


def labour_rates(s: State, vacancies: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vacancies, unemployed residents and jobs per city (agents)."""
    talent, firms, city = s.talent, s.firms, s.cells.city
    alive = firms.alive_index()
    open_ = np.bincount(city[firms.cell[alive]], weights=vacancies[alive], minlength=N_CITIES)
    unemployed = talent.alive & (talent.employer < 0) & (talent.home >= 0)
    seekers = np.bincount(city[talent.home[unemployed]], minlength=N_CITIES).astype(float)
    employed = views.employed_index(s)
    jobs = np.bincount(city[views.job_cells(s, employed)], minlength=N_CITIES).astype(float)
    return open_, seekers, jobs


def adjust_wages(s: State, cfg: Config, vacancies: np.ndarray) -> None:
    """City wages follow their trend (income per resident, ``economy.nominal_growth``, plus the
    growth of the skill premium, ``talent.wage_drift``) plus the labour market's tightness.

    Tightness is the vacancy rate left after every searcher and entrant has tried, above its
    frictional level, minus any rise of the unemployment rate above its 2018 level (talent
    without a modelled job mostly work elsewhere, so 2018's rate is the normal one).
    """
    tp, cities = cfg.talent, s.cities
    open_, seekers, jobs = labour_rates(s, vacancies)
    vacancy_rate = open_ / np.maximum(jobs, 1.0)
    unemployment_rate = seekers / np.maximum(jobs + seekers, 1.0)
    slack = np.maximum(unemployment_rate - cities.reference_unemployment, 0.0)
    tightness = (vacancy_rate - tp.natural_vacancy_rate) - slack
    trend = np.log1p(np.array(cfg.economy.nominal_growth.as_list())) + np.log1p(tp.wage_drift)
    change = np.clip(trend / 4.0 + tp.wage_adjustment * tightness, -0.05, 0.05)
    cities.wage *= np.exp(change)
    cities.unfilled, cities.searching = open_, seekers
