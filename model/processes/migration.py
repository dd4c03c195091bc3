"""Migration and housing: departures from the region, arrivals into it, and the choice of home.

Phase :func:`migration_and_housing` (streams ``migration``, ``housing`` and ``returns``), in
order: departures (baseline outflow, the long unemployed, and talent whose utility fell below their
outside option), returns (those who left while displaced by a commute shock that has now
reversed, :func:`commute_shocks`), arrivals (entrants in proportion to each city's talent, who
take the vacancies left and stay if it beats their outside option), city wages answer the vacancies still open
(:func:`model.processes.labour.adjust_wages`), and movers review their home. Parameters: the
``talent`` group (:class:`model.processes.labour.TalentParams`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from corridor_abm.agents import talent as tm
from corridor_abm.model import parallel, views
from corridor_abm.model.allocation import allocate, sample_weighted, sample_weighted_by_group
from corridor_abm.model.processes.labour import adjust_wages, match, release
from corridor_abm.model.state import HK, N_CITIES, State, Travel

if TYPE_CHECKING:
    from corridor_abm.model.config import Config


def migration_and_housing(
    s: State,
    cfg: Config,
    rng: np.random.Generator,
    rng_housing: np.random.Generator,
    rng_returns: np.random.Generator,
) -> None:
    """Departures, returns, arrivals, wages, and home choice (streams ``migration``, ``housing``
    and ``returns``)."""
    _departures(s, cfg, rng)
    _returns(s, cfg, rng_returns)
    _arrivals(s, cfg, rng)
    adjust_wages(s, cfg, s.firms.vacancies)
    movers = _home_reviewers(s, cfg, rng)
    choose_homes(s, cfg, movers, rng_housing, allow_stay=True)
    s.talent.must_search[:] = False


def _departures(s: State, cfg: Config, rng: np.random.Generator) -> None:
    talent, tp = s.talent, cfg.talent
    alive = talent.alive_index()
    unemployed = talent.employer[alive] < 0
    talent.unemployed_q[alive] = np.where(unemployed, talent.unemployed_q[alive] + 1, 0)
    p = np.where(unemployed, tp.unemployed_exit_rate, tp.outflow_rate)
    draw = rng.random(alive.size)
    # the chance of leaving for the content and for the unhappy; the displaced look for a new
    # arrangement in the region before they give up on it, so they count as content
    p_content = 1.0 - (1.0 - p) * 1.0  # the old formula's arithmetic, so the draws compare to the bit
    p_unhappy = 1.0 - (1.0 - p) * (1.0 - tp.dissatisfied_exit_rate)
    # whether a talent is unhappy matters only where its draw falls between the two chances:
    # utilities are computed there alone (elementwise, so the same values as for everyone)
    matters = np.flatnonzero((draw < p_content) != (draw < p_unhappy))
    unhappy = np.zeros(alive.size, dtype=bool)
    ask = alive[matters]
    utility = parallel.by_rows(lambda r: views.current_utility(s, cfg, ask[r]), ask.size)
    unhappy[matters] = (utility < views.reservation_now(s, cfg, ask)) & ~views.displaced(s)[ask]
    went = np.flatnonzero(draw < np.where(unhappy, p_unhappy, p_content))
    leaving = alive[went]
    if tp.return_after_shock:
        # the displaced who leave keep a claim on the region, unless they left for the baseline
        # outflow's reasons (a job kept, a draw below the outflow rate): those would have gone anyway
        for_shock = (talent.displaced_job_cell[leaving] >= 0) & (unemployed[went] | (draw[went] >= tp.outflow_rate))
        s.away.keep(talent, leaving[for_shock])
    s.flows.out_migrants += np.bincount(s.cells.city[talent.home[leaving]], minlength=N_CITIES)
    release(s, leaving)
    talent.alive[leaving] = False
    if talent.n > cfg.compact_talent_at * max(talent.count, 1) and talent.n > 4096:
        talent.compact()


def _arrivals(s: State, cfg: Config, rng: np.random.Generator) -> None:
    """Entrants arrive in each city: migrants in proportion to its talent (origins by
    ``talent.origin_local``, ``migrant_share_hk``, ``migrant_share_overseas``) and its
    universities' graduates (local origin). They look at vacancies (half in their city) and
    homes, and stay if it beats their outside option — so the number and the origin mix of
    arrivals answer wages, subsidies, housing costs and the border's barriers."""
    talent, tp, firms = s.talent, cfg.talent, s.firms
    residents = np.bincount(s.cells.city[talent.home[talent.alive & (talent.home >= 0)]], minlength=N_CITIES)
    migrants = rng.poisson(tp.inflow_rate * residents)
    # the sample's share of each city's graduates, in agents per quarter
    graduates = rng.poisson(np.array(tp.graduates.as_list()) * cfg.population_share / s.talent_scale / 4.0)
    n = int(migrants.sum() + graduates.sum())
    if n == 0 or firms.vacancies.sum() == 0:
        return
    city = np.r_[np.repeat(np.arange(N_CITIES), migrants), np.repeat(np.arange(N_CITIES), graduates)]
    origin = np.r_[
        tm.draw_origins(
            rng, city[: migrants.sum()], tp.origin_local.as_list(), tp.migrant_share_hk, tp.migrant_share_overseas
        ),
        np.where(city[migrants.sum() :] == HK, tm.ORIGIN_HK, tm.ORIGIN_LOCAL).astype(np.int8),
    ]
    skill = tm.lognormal_skill(rng, n, tp.skill_sigma)
    reservation = draw_reservation(cfg, rng, skill)
    attachment = tp.hk_attachment_sd * rng.standard_normal(n)
    idx = talent.add(
        n,
        uid=talent.new_uids(n),
        skill=skill,
        origin=origin,
        reservation=reservation,
        hk_attachment=attachment,
        entered=s.t,
        home=-1,
    )
    firms.vacancies[:] = match(s, cfg, idx, firms.vacancies, rng, newcomers=True, search_city=city)
    _stay_if_better(s, cfg, idx, rng, anchor_city=city, took_vacancy=np.ones(n, dtype=bool))


def _stay_if_better(
    s: State, cfg: Config, idx: np.ndarray, rng: np.random.Generator, anchor_city: np.ndarray, took_vacancy: np.ndarray
) -> np.ndarray:
    """Newcomers ``idx`` (with the jobs they found) choose a home, and stay if the region beats
    their outside option; the others leave again, giving back the vacancy they took where
    ``took_vacancy``. Counts the arrivals; returns them."""
    talent, firms = s.talent, s.firms
    choose_homes(s, cfg, idx, rng, allow_stay=False, anchor_city=anchor_city)
    util = np.full(idx.size, -np.inf)
    placed = talent.home[idx] >= 0
    util[placed] = views.current_utility(s, cfg, idx[placed])
    stays = placed & (talent.employer[idx] >= 0) & (util >= views.reservation_now(s, cfg, idx))
    refused = idx[~stays]
    if refused.size:
        give_back = talent.employer[refused][took_vacancy[~stays]]
        np.add.at(firms.vacancies, give_back[give_back >= 0], 1)
        release(s, refused)
        talent.alive[refused] = False
        talent.home[refused] = -1
    arrived = idx[stays]
    home_city = s.cells.city[talent.home[arrived]]
    s.flows.in_migrants += np.bincount(home_city, minlength=N_CITIES)
    s.flows.in_migrants_hk += np.bincount(home_city[talent.origin[arrived] == tm.ORIGIN_HK], minlength=N_CITIES)
    return arrived


def _returns(s: State, cfg: Config, rng: np.random.Generator) -> None:
    """The pool's members whose cut-off commute came back this quarter (``returning``,
    :func:`commute_shocks`) reconsider the region: the firm of the cut-off job, where it still
    exists, takes them back (with ``talent.recall_after_shock``), the others search like
    entrants in the city of that job; all choose a home in the city of the remembered one and
    return if it beats their outside option. Those who do not return lose the claim. They are
    displaced for ``talent.displaced_quarters`` from this quarter (they re-sort before judging
    the region again), keep their identifier and first arrival, and count as in-migrants and
    in ``returned``."""
    pool, talent, firms, tp = s.away, s.talent, s.firms, cfg.talent
    if not pool.returning.any():
        return
    back = pool.take(pool.returning)
    n = back["uid"].size
    idx = talent.add(
        n,
        **{name: back[name] for name in pool.IDENTITY},
        home=-1,
        displaced_until=s.t + tp.displaced_quarters - 1,
    )
    old = back["displaced_employer"]
    recalled = (old >= 0) & tp.recall_after_shock
    recalled[recalled] = firms.alive[old[recalled]]
    talent.employer[idx[recalled]] = old[recalled]
    job_city = s.cells.city[back["displaced_job_cell"]]
    firms.vacancies[:] = match(
        s, cfg, idx[~recalled], firms.vacancies, rng, newcomers=True, search_city=job_city[~recalled]
    )
    home_city = s.cells.city[back["displaced_home_cell"]]
    arrived = _stay_if_better(s, cfg, idx, rng, anchor_city=home_city, took_vacancy=~recalled)
    s.flows.returned += np.bincount(s.cells.city[talent.home[arrived]], minlength=N_CITIES)


def commute_shocks(s: State, cfg: Config, before: Travel) -> None:
    """Displace the workers whose commute a change of travel times (``before`` → ``s.travel``)
    moved by more than ``talent.commute_shock_minutes``: those whose commute from their home to
    their job rose (the pair of cells is remembered), and those for whom the commute between a
    remembered pair fell back (the memory is then used up). For ``talent.displaced_quarters``
    quarters, from this one, they search for a job and review their home every quarter and do
    not leave the region for falling below their outside option (:func:`model.views.displaced`).
    Those who left the region with the memory of a pair whose commute fell back
    (:class:`agents.talent.AwayPool`, ``talent.return_after_shock``) are marked to reconsider it
    this quarter (:func:`_returns`).

    Never called while travel times stay as they are, so a run without a change of transport
    during it is the same as without this mechanism."""
    tp, talent = cfg.talent, s.talent
    if tp.displaced_quarters == 0:
        return
    until = s.t + tp.displaced_quarters - 1
    # a remembered pair whose commute came back
    mem = np.flatnonzero(talent.alive & (talent.displaced_job_cell >= 0))
    home_m, job_m = talent.displaced_home_cell[mem], talent.displaced_job_cell[mem]
    fall = before.between(home_m, job_m).astype(np.float64) - s.travel.between(home_m, job_m)
    back = mem[fall > tp.commute_shock_minutes]
    talent.displaced_until[back] = until
    talent.displaced_home_cell[back] = -1
    talent.displaced_job_cell[back] = -1
    if tp.recall_after_shock:
        _recall(s, cfg, back)
    talent.displaced_employer[back] = -1
    # those who left the region while the commute was cut off (:func:`_returns`)
    if s.away.n:
        home_a, job_a = s.away.columns["displaced_home_cell"], s.away.columns["displaced_job_cell"]
        fall = before.between(home_a, job_a).astype(np.float64) - s.travel.between(home_a, job_a)
        s.away.returning |= fall > tp.commute_shock_minutes
    # a commute that rose
    emp = views.employed_index(s)
    emp = emp[talent.home[emp] >= 0]
    home, job = talent.home[emp], views.job_cells(s, emp)
    rise = s.travel.between(home, job).astype(np.float64) - before.between(home, job)
    hit = rise > tp.commute_shock_minutes
    talent.displaced_until[emp[hit]] = until
    talent.displaced_home_cell[emp[hit]] = home[hit]
    talent.displaced_job_cell[emp[hit]] = job[hit]
    talent.displaced_employer[emp[hit]] = talent.employer[emp[hit]]


def _recall(s: State, cfg: Config, back: np.ndarray) -> None:
    """The firms of the cut-off jobs, where they still exist, offer the workers ``back`` their
    job again; a worker takes it if it beats the present job from the present home by the cost
    of changing employer (as in a job search, without the taste draw: the job is known). The
    firm may end above the size it wants and trims it as any firm does (``_fire``)."""
    talent, firms = s.talent, s.firms
    old = talent.displaced_employer[back]
    ok = (old >= 0) & (talent.home[back] >= 0) & (old != talent.employer[back])
    ok[ok] = firms.alive[old[ok]]
    idx, firm = back[ok], old[ok]
    if idx.size == 0:
        return
    offer = views.job_utility(s, cfg, idx, firm[:, None])[:, 0]
    switch = np.where(talent.employer[idx] >= 0, cfg.talent.job_switch_cost, 0.0)
    takes = offer > views.current_job_utility(s, cfg, idx) + switch
    hired, firm = idx[takes], firm[takes]
    release(s, hired)
    talent.employer[hired] = firm
    talent.unemployed_q[hired] = 0
    talent.must_search[hired] = True  # a new job: review the home too


def draw_reservation(cfg: Config, rng: np.random.Generator, skill: np.ndarray) -> np.ndarray:
    """Reservation utility (log-income) of entrants: their outside option elsewhere in China."""
    tp = cfg.talent
    base = np.log(tp.reservation_income / 4.0 * skill)
    return (base + tp.reservation_sd * rng.standard_normal(skill.size)).astype(np.float32)


def _home_reviewers(s: State, cfg: Config, rng: np.random.Generator) -> np.ndarray:
    talent = s.talent
    alive = talent.alive
    review = (rng.random(talent.n) < cfg.talent.home_review_share) | talent.must_search | views.displaced(s)
    return np.flatnonzero(alive & review)


def home_options(
    s: State,
    cfg: Config,
    idx: np.ndarray,
    rng: np.random.Generator,
    allow_stay: bool,
    anchor_city: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The homes talent ``idx`` consider and what each is worth to them (without tastes).

    Candidates: half in the city of the job (or present home, or ``anchor_city``), half
    anywhere, drawn in proportion to free residential space (the jobless look in their city);
    with ``allow_stay`` the present home is the last column.

    Returns:
        Candidate cells (-1: none), their utility (log-income; -inf where none), the free
        residential floor per cell (m², market scale), the talents' incomes (¥ per quarter) and
        the floor each household would use at each candidate (m² per worker, the shape of the
        candidates).
    """
    talent, tp, city = s.talent, cfg.talent, s.cells.city
    k = tp.home_candidates
    job = views.job_cells(s, idx)
    if anchor_city is None:
        anchor_city = views.anchor_city(s, np.where(job >= 0, job, talent.home[idx]))
    free = views.free_residential(s)
    weight = free.copy()
    local = sample_weighted_by_group(rng, anchor_city, city, weight, k, N_CITIES)
    # half the candidates anywhere for talent with a job; the jobless look in their city
    n_local = (k + 1) // 2
    mixed = local.copy()
    mixed[:, n_local:] = sample_weighted(rng, weight, (idx.size, k - n_local))
    cand = np.where((job >= 0)[:, None], mixed, local)
    if allow_stay:
        cand = np.concatenate([cand, talent.home[idx][:, None]], axis=1)
    income = views.talent_income(s, cfg, idx, job)
    cand_safe = np.maximum(cand, 0)
    # row-wise, on the process's threads (the same values, model.parallel)
    floor = parallel.by_rows(
        lambda r: views.household_floor(s, cfg, income[r, None], s.cells.res_rent[cand_safe[r]]), idx.size
    )
    util = parallel.by_rows(
        lambda r: views.home_part(s, cfg, idx[r], income[r], job[r], cand_safe[r], floor[r]), idx.size
    )
    return cand, np.where(cand >= 0, util, -np.inf), free, income, floor


def choose_homes(
    s: State,
    cfg: Config,
    idx: np.ndarray,
    rng: np.random.Generator,
    allow_stay: bool,
    anchor_city: np.ndarray | None = None,
) -> None:
    """Talent ``idx`` pick a home among sampled cells (and, if allowed, their current home).

    A logit (Gumbel tastes of scale ``talent.taste_sd``) over :func:`home_options`. Homes are
    granted in random order while the cell has room for the household's floor (which answers
    its income and the cell's rent); a talent refused in the first round tries its best
    remaining candidate; a talent refused twice keeps its home (or stays without one). Every
    talent of ``idx`` with a home then uses the floor its income and rent call for.
    """
    if idx.size == 0:
        return
    talent = s.talent
    cand, util, free, income, floor = home_options(s, cfg, idx, rng, allow_stay, anchor_city)
    cand_safe = np.maximum(cand, 0)
    need = views.household_market_floor(s, floor)
    held = np.where(talent.home[idx] >= 0, views.household_market_floor(s, talent.floor[idx].astype(float)), 0.0)
    util = util + cfg.talent.taste_sd * rng.gumbel(size=cand.shape)
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
        sub = np.flatnonzero(pending)
        wanted = need[sub, pick]
        ok = allocate(movers, wanted, free, rng.random(movers.size))
        got = np.where(staying | ok, target, -1)
        chosen[sub] = got
        np.subtract.at(free, got[ok], wanted[ok])
        left = ok & (current[pending] >= 0)
        np.add.at(free, current[pending][left], held[sub][left])
        # refused: rule out the cell they asked for, and cells without room, for the next round
        full = free[cand_safe[sub]] < need[sub]
        util[sub] = np.where(full & (cand_safe[sub] != current[sub][:, None]), -np.inf, util[sub])
    keep = chosen < 0
    chosen[keep] = current[keep]
    talent.home[idx] = chosen
    refresh_floor(s, cfg, idx[chosen >= 0])


def refresh_floor(s: State, cfg: Config, idx: np.ndarray) -> None:
    """Talent ``idx`` (with homes) use the floor their present income and rent call for."""
    if idx.size == 0:
        return
    talent = s.talent

    def floor(rows: slice) -> np.ndarray:
        who = idx[rows]
        return views.household_floor(s, cfg, views.talent_income(s, cfg, who), s.cells.res_rent[talent.home[who]])

    talent.floor[idx] = parallel.by_rows(floor, idx.size).astype(np.float32)
