"""A per-agent reference for docking: one plain :class:`mesa.Agent` per firm and per talent.

The model keeps firms and talent as columns of numpy arrays (:mod:`agents.population`) and
decides for all of them at once. This module writes two of those decisions the way a Mesa
user would: an agent object per firm and per worker, each deciding in its own method, one
after another, in plain Python:

* **firm location review** (:func:`model.processes.location.review_locations`): a reviewing
  :class:`FirmAgent` samples candidate sites, values staying, moving, opening a plant or an
  R&D centre, moving or closing its second site, adds its tastes and picks the best; landlords
  admit applicants in priority order while floor space lasts;
* **labour-market matching** (:func:`model.processes.labour.match`): a searching
  :class:`TalentAgent` samples vacancies, values each offer and its present job, adds its
  tastes and applies to the best; firms admit applicants in priority order while vacancies last.

Both consume the same random numbers as the vectorised kernels, drawn in the same order with
the same calls, and hand each agent its own row of them, so on the same state they make the
same decisions (``tests/test_docking.py``). The environment — cells, rents, wages, the lease
market, travel times — is the model's state, read cell by cell. Only the decisions are
re-implemented here; ``scripts/benchmark.py --docking`` times both side by side.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import mesa
import numpy as np

from corridor_abm.agents import firms as fm
from corridor_abm.agents import talent as tm
from corridor_abm.agents.firms import KIND_PLANT, KIND_RD
from corridor_abm.model import views
from corridor_abm.model.processes import innovation
from corridor_abm.model.processes.markets import LeaseMarket
from corridor_abm.model.processes.production import update_workforce
from corridor_abm.model.state import HK, N_CITIES, N_SECTORS, SZ, State

if TYPE_CHECKING:
    from corridor_abm.model.config import Config

NEG_INF = -math.inf


class TimeLimitReached(Exception):
    """The reference ran past its deadline (:attr:`ReferenceCorridor.deadline`).

    Attributes:
        decided: Agents that had decided by then.
    """

    def __init__(self, decided: int) -> None:
        super().__init__(f"time limit reached after {decided} agents")
        self.decided = decided


def _log(x: float) -> float:
    """``np.log`` on a scalar: -inf at 0 and NaN below (``math.log`` raises there)."""
    return math.log(x) if x > 0 else (NEG_INF if x == 0 else math.nan)


def _draw(cdf: list[float], u: float) -> int:
    """Inverse-CDF draw: the first item whose cumulative weight exceeds ``u`` × the total."""
    return min(bisect_right(cdf, u * cdf[-1]), len(cdf) - 1)


class FirmAgent(mesa.Agent):
    """One firm, holding its own state (copied from the vectorised population).

    Attributes:
        index: The firm's index in :class:`agents.firms.FirmPopulation` (for docking).
        sector, cell, div_cell, div_kind, log_a, rd, cash, output, wage_bill, origin_city, city_tie:
            As the population's columns of the same names.
        workers, eff, eff_div: Employees (agents) and efficiency units at both sites.
        vacancies: Open vacancies (agents).
    """

    def __init__(self, model: ReferenceCorridor, index: int) -> None:
        super().__init__(model)
        f = model.s.firms
        self.index = index
        self.sector = int(f.sector[index])
        self.cell = int(f.cell[index])
        self.div_cell = int(f.div_cell[index])
        self.div_kind = int(f.div_kind[index])
        self.log_a = float(f.log_a[index])
        self.rd = float(f.rd[index])
        self.cash = float(f.cash[index])
        self.output = float(f.output[index])
        self.wage_bill = float(f.wage_bill[index])
        self.origin_city = int(f.origin_city[index])
        self.city_tie = float(f.city_tie[index])
        self.workers = int(f.workers[index]) + int(f.workers_div[index])
        self.eff = float(f.eff[index])
        self.eff_div = float(f.eff_div[index])
        self.vacancies = 0

    # -- what a site is worth ----------------------------------------------------------------
    def site_index(self, cell: int, rent: float) -> float:
        """Profit at the optimal size at ``cell`` for lease rent ``rent``, up to a constant."""
        m = self.model
        c, k = m.s.cells, self.sector
        tfp = math.exp(self.log_a) * c.fundamental[cell, k] * c.agglomeration[cell, k] * (1.0 - c.goods_share[cell, k])
        return float(fm.site_index(tfp, m.s.cities.wage[c.city[cell]], rent, m.beta[k], m.gamma[k]))

    def rent(self, cell: int, extra: float) -> float:
        """Lease rent at ``cell`` adding ``extra`` m² of its own (weighing for the population the
        firm stands for), with Shenzhen's park subsidy if it applies."""
        m = self.model
        lease = m.lease
        supply = m.cfg.market.target_occupancy * lease.capacity[cell]
        free = max(supply - (lease.use[cell] + lease.weight * extra), (1.0 - 0.8) * supply)
        rent = lease.background[cell] / free if lease.capacity[cell] > 0 else math.nan
        subsidy = m.cfg.government.park_rent_subsidy
        if subsidy > 0 and self.origin_city == SZ and m.s.cells.park_mask[cell] and m.s.cells.city[cell] != SZ:
            rent *= 1.0 - subsidy
        return rent

    def floor_need(self, cell: int, labour: float) -> float:
        """Floor (m²) ``labour`` efficiency units lease at ``cell`` at today's rent."""
        m = self.model
        k = self.sector
        wage = m.s.cities.wage[m.s.cells.city[cell]]
        return labour * ((m.gamma[k] / m.beta[k]) * wage / max(m.s.cells.com_rent[cell], 1e-9))

    def moving_cost(self, moved: float, frm: int, to: int, share: float) -> float:
        """Cost of moving ``moved`` employees from ``frm`` to ``to`` (¥)."""
        m, lp = self.model, self.model.cfg.location
        e = max(moved, 1.0)
        cost = lp.moving_cost_fixed + lp.moving_cost_per_worker * e * (e / 100.0) ** (
            lp.moving_cost_size_exponent - 1.0
        )
        city = m.s.cells.city
        cost = cost * float(m.s.cities.wage[city[frm]] / m.s.cities.wage_2018[city[frm]])  # 2018 yuan, indexed
        if (city[frm] == HK) != (city[to] == HK):
            mainland = to if city[frm] == HK else frm
            cost = (1.0 + (m.cfg.border.firm_relocation_barrier - 1.0) * m.zone[mainland]) * cost
        # minutes are float32, and so is their product with a rate (as in the vectorised kernel)
        return cost + float(lp.distance_cost_per_minute * m.between(frm, to)) * self.wage_bill * share

    # -- the decision --------------------------------------------------------------------------
    def location_options(self, candidates: list[int]) -> tuple[list[float], list[float]]:
        """Value of staying (0), then per candidate: move, open a plant, open an R&D centre,
        move the second site; last, close it. Returns the values and their moving costs."""
        m, lp = self.model, self.model.cfg.location
        k_sec, scale = self.sector, m.s.talent_scale
        beta, gamma = m.beta[k_sec], m.gamma[k_sec]
        k_inv = 1.0 / (1.0 - beta - gamma)
        workers = self.workers * scale
        hq, div = self.cell, self.div_cell
        has_div = div >= 0
        surplus = (1.0 - beta - gamma) * (1.0 - self.rd) * max(self.output, 0.0)
        horizon = max(lp.horizon_quarters * surplus, 1e-9)
        hurdle = 1.0 + lp.hurdle
        here = max(self.site_index(hq, self.rent(hq, 0.0)), 1e-300)
        field = m.field
        eta = m.cfg.innovation.spillover_elasticity
        d = lp.division_share
        d_now = self.eff_div / max(self.eff, 1e-12) if self.eff > 0 else 0.0
        rd_centre = has_div and self.div_kind == KIND_RD
        k_now = (1.0 - d_now) * field[hq] + d_now * field[div] if rd_centre else field[hq]
        worth = m.knowledge_worth[self.index]

        def knowledge(k_new: float) -> float:
            return worth * ((k_new / k_now) ** eta - 1.0)

        rent_hq = self.rent(hq, 0.0)

        def split(site: int, share: float, need: float, plant: bool) -> float:
            rent = self.rent(site, share * need)
            r = self.site_index(site, rent) / here
            factor = 1.0 - lp.division_coordination_per_minute * m.between(hq, site)  # float32
            factor = float(max(factor, 0.0))
            if plant:  # a plant gains where land (and production work) is cheaper than at headquarters
                wage = m.production_wage
                factor *= float(
                    fm.plant_factor(
                        np.float64(rent),
                        np.float64(rent_hq),
                        lp.plant_land_share,
                        wage[site],
                        wage[hq],
                        lp.plant_labour_share,
                    )
                )
            return (1.0 - share) + share * r * factor**k_inv

        eligible = workers >= lp.division_min_employees and not has_div
        plant_now = has_div and self.div_kind == KIND_PLANT
        now = split(div, d_now, 0.0, plant_now) if has_div else math.nan
        blocks: list[list[float]] = [[], [], [], []]
        costs: list[list[float]] = [[], [], [], []]
        for cell in candidates:
            valid = cell >= 0 and cell != hq
            c = max(cell, 0)
            need = self.floor_need(c, self.eff * scale)
            # the whole firm
            cost_whole = self.moving_cost(workers, hq, c, 1.0)
            k_whole = (1.0 - d_now) * field[c] + d_now * field[div] if rd_centre else field[c]
            ratio = self.site_index(c, self.rent(c, need)) / here
            whole = _log(ratio) + knowledge(k_whole) - hurdle * cost_whole / horizon
            if m.s.cells.city[c] != m.s.cells.city[hq]:  # the tie to its city is forfeit
                whole -= float(np.float32(self.city_tie))
            # a new plant or R&D centre
            cost_open = self.moving_cost(d * workers, hq, c, d)
            open_cost = hurdle * cost_open / horizon
            plant = _log(split(c, d, need, True)) - open_cost if eligible else NEG_INF
            rd_site = (
                _log(split(c, d, need, False)) - open_cost + knowledge((1.0 - d) * field[hq] + d * field[c])
                if eligible
                else NEG_INF
            )
            # the second site moves
            cost_move = self.moving_cost(d_now * workers, max(div, 0), c, d_now)
            relocate = NEG_INF
            if has_div and cell != div:
                k_moved = (1.0 - d_now) * field[hq] + d_now * field[c] if rd_centre else k_now
                relocate = (
                    _log(split(c, d_now, need, plant_now) / now) + knowledge(k_moved) - hurdle * cost_move / horizon
                )
            for b, (value, cost) in enumerate(
                ((whole, cost_whole), (plant, cost_open), (rd_site, cost_open), (relocate, cost_move))
            ):
                blocks[b].append(value if valid and self.cash >= cost else NEG_INF)
                costs[b].append(cost)
        cost_close = self.moving_cost(d_now * workers, max(div, 0), hq, d_now)
        close = NEG_INF
        if has_div and self.cash >= cost_close:
            close = -_log(now) + knowledge(field[hq]) - hurdle * cost_close / horizon
        return [0.0, *blocks[0], *blocks[1], *blocks[2], *blocks[3], close], [
            0.0,
            *costs[0],
            *costs[1],
            *costs[2],
            *costs[3],
            cost_close,
        ]

    def review_location(self, candidates: list[int], tastes: np.ndarray) -> tuple[int, int, float, float]:
        """Choose among the options (logit by Gumbel tastes). Returns the option's block (-1
        stay, 0 whole, 1 plant, 2 R&D centre, 3 move the second site, 4 close), its target
        cell, the floor it needs there and its cost."""
        m, lp = self.model, self.model.cfg.location
        values, costs = self.location_options(candidates)
        best, choice = NEG_INF, 0
        for j, (v, e) in enumerate(zip(values, tastes)):
            u = v + lp.taste_sd * e
            if u > best:
                best, choice = u, j
        k = len(candidates)
        if choice == 0:
            return -1, -1, 0.0, 0.0
        block = min((choice - 1) // k, 4)
        if block == 4:
            return 4, self.cell, 0.0, costs[choice]
        target = candidates[(choice - 1) % k]
        d_now = self.eff_div / max(self.eff, 1e-12) if self.eff > 0 else 0.0
        share = (1.0, lp.division_share, lp.division_share, d_now)[block]
        return block, target, self.floor_need(max(target, 0), share * self.eff * m.s.talent_scale), costs[choice]


class TalentAgent(mesa.Agent):
    """One skilled worker, holding its own state (copied from the vectorised population).

    Attributes:
        index: The talent's index in :class:`agents.talent.TalentPopulation` (for docking).
        skill, employer, at_division, home, origin, hk_attachment, unemployed_q, must_search: As
            the population's columns of the same names.
    """

    def __init__(self, model: ReferenceCorridor, index: int) -> None:
        super().__init__(model)
        t = model.s.talent
        self.index = index
        self.skill = float(t.skill[index])
        self.employer = int(t.employer[index])
        self.at_division = bool(t.at_division[index])
        self.home = int(t.home[index])
        self.origin = int(t.origin[index])
        self.hk_attachment = float(t.hk_attachment[index])
        self.unemployed_q = int(t.unemployed_q[index])
        self.must_search = bool(t.must_search[index])

    def job_value(self, firm: FirmAgent | None, cell: int) -> float:
        """Utility of a job at ``cell`` (income, the city's job value, the border's work
        barrier, the commute); ``firm`` None: no modelled job (outside income in the home city)."""
        m = self.model
        s, cfg = m.s, m.cfg
        if firm is None:
            city = s.cells.city[max(self.home, 0)]
            income = cfg.talent.outside_wage_share * s.cities.wage[city] * self.skill
            return _log(income) + (s.cities.job_fundamental[city] + self.border_value(city))
        city = s.cells.city[cell]
        income = s.cities.wage[city] * self.skill
        income += s.cities.talent_subsidy[city] if self.skill >= cfg.government.talent_subsidy_min_skill else 0.0
        barrier = m.work_barrier[1 if self.origin == tm.ORIGIN_HK else 0, cell]
        # float32 minutes times the rate, in float32 (as in the vectorised kernel)
        commute = (
            float(cfg.talent.commute_disutility_per_minute * m.between(self.home, cell)) if self.home >= 0 else 0.0
        )
        return _log(income) + (s.cities.job_fundamental[city] + self.border_value(city)) - barrier - commute

    def border_value(self, job_city: int) -> float:
        """The value of this worker's home side and a job in ``job_city`` across the HK–mainland
        border: the pattern's 2018 value plus the attachment for each side in Hong Kong
        (:func:`model.views.border_value`)."""
        s = self.model.s
        job_hk = int(job_city == HK)
        home_hk = int(s.cells.city[self.home] == HK) if self.home >= 0 else job_hk
        pattern = float(s.cities.border_fundamental[int(self.origin == tm.ORIGIN_HK), home_hk, job_hk])
        return pattern + self.hk_attachment * (home_hk + job_hk)

    def job_cell(self) -> int:
        """Where the worker works now (-1 without a modelled job)."""
        if self.employer < 0:
            return -1
        firm = self.model.firm_agents[self.employer]
        return firm.div_cell if self.at_division and firm.div_cell >= 0 else firm.cell

    def search(self, offers: list[int], tastes: np.ndarray, own_taste: float, newcomer: bool) -> int:
        """Value the offers (firm indices, -1 none) and the present job, each with its taste;
        return the firm applied to, or -1."""
        m = self.model
        tp = m.cfg.talent
        best, pick = NEG_INF, 0
        for j, (f, e) in enumerate(zip(offers, tastes)):
            u = self.job_value(m.firm_agents[f], m.firm_agents[f].cell) if f >= 0 else NEG_INF
            u += tp.taste_sd * e
            if u > best:
                best, pick = u, j
        if newcomer:
            current = NEG_INF
        else:
            job = self.job_cell()
            current = self.job_value(self.model.firm_agents[self.employer] if job >= 0 else None, job)
            current += tp.taste_sd * own_taste
        switch = tp.job_switch_cost if self.employer >= 0 else 0.0
        return offers[pick] if math.isfinite(best) and best > current + switch else -1


class ReferenceCorridor(mesa.Model):
    """The per-agent reference, built on a copy of the vectorised model's state.

    Args:
        s: The state (read for the environment; agents copy their own attributes from it).
        cfg: The configuration.
        talent: Build talent agents too (the location review needs only firms).
    """

    def __init__(self, s: State, cfg: Config, talent: bool = True) -> None:
        super().__init__(rng=0)
        self.s, self.cfg = s, cfg
        self.deadline: float | None = None
        """``time.perf_counter()`` after which a phase stops with :class:`TimeLimitReached` (benchmarks)."""
        beta, gamma = cfg.firms.elasticities()
        self.beta, self.gamma = [float(b) for b in beta], [float(g) for g in gamma]
        self.between = s.travel.between
        zone = np.where(s.map.special_zone >= 0, cfg.border.zone_friction_factor, 1.0)
        self.zone = zone.tolist()
        b = cfg.border
        city = s.cells.city
        not_hk = np.where(city == HK, b.work_barrier_hk, 0.0)
        hk = np.where(city == HK, 0.0, b.work_barrier_mainland * zone)
        self.work_barrier = np.stack([not_hk, hk])
        self.firm_agents: dict[int, FirmAgent] = {int(i): FirmAgent(self, int(i)) for i in s.firms.alive_index()}
        self.talent_agents: list[TalentAgent] = (
            [TalentAgent(self, int(i)) for i in s.talent.alive_index()] if talent else []
        )

    # -- firm location review ----------------------------------------------------------------
    def review_locations(self, rng: np.random.Generator) -> None:
        """:func:`model.processes.location.review_locations`, agent by agent."""
        s, cfg, lp = self.s, self.cfg, self.cfg.location
        alive = s.firms.alive_index()
        u_review = rng.random(alive.size)
        reviewing = [self.firm_agents[int(i)] for i, u in zip(alive, u_review) if u < lp.review_probability]
        reviewing = [f for f in reviewing if s.firms.workers[f.index] > 0]
        if not reviewing:
            return
        self.lease = LeaseMarket(s, cfg)
        self.field = np.maximum(s.knowledge.field, 1e-12).tolist()
        self.knowledge_worth = self._knowledge_worth()
        self.production_wage = views.production_wages(s, cfg)[s.cells.city].tolist()
        # candidate sites: the same draws as candidate_sites, in the same order
        weight = s.cells.com_cap * s.cells.site_density
        k = lp.candidates
        cand = self._sample_by_city(rng, [s.cells.city[f.cell] for f in reviewing], weight, k // 2, s.cells.city)
        wide = self._sample(rng, weight, len(reviewing), k - k // 2)
        tastes = rng.gumbel(size=(len(reviewing), 1 + 4 * k + 1))
        choices = self._each(zip(reviewing, cand, wide, tastes), lambda f, c, w, e: f.review_location(c + w, e))
        priority = rng.random(len(reviewing))
        # landlords serve applicants in priority order while the floor lasts (each firm's floor
        # weighs for the population it stands for)
        com_use = views.commercial_use(s)
        free = np.maximum(s.cells.com_cap - com_use, 0.0)
        admitted = self._admit(
            [(c[1] if 0 <= c[0] < 4 else -1) for c in choices],
            [c[2] * s.market_weight for c in choices],
            free,
            priority,
        )
        moved: dict[int, int] = {}
        away: list[FirmAgent] = []
        for f, (block, target, _, cost), ok in zip(reviewing, choices, admitted):
            if block < 0 or not (ok or block == 4):
                continue
            f.cash -= cost
            if block == 0:
                if s.cells.city[target] != s.cells.city[f.cell]:
                    away.append(f)
                f.cell = target
            elif block in (1, 2):
                f.div_cell, f.div_kind = target, KIND_RD if block == 2 else KIND_PLANT
            elif block == 3:
                f.div_cell = target
            else:
                f.div_cell = -1
            moved[f.index] = block
        self._staff_follow(rng, moved)
        # a firm that moved to another city builds a new tie there (after the staff's draws)
        for f, tie in zip(away, fm.draw_city_ties(rng, len(away), lp.city_tie_mean)):
            f.city_tie = float(tie)

    def _staff_follow(self, rng: np.random.Generator, moved: dict[int, int]) -> None:
        """Workers of moved firms review their homes; a share joins a new second site."""
        staff = [w for w in self.talent_agents if w.employer >= 0]
        new_site = [w for w in staff if moved.get(w.employer) in (1, 2)]
        draws = rng.random(len(new_site))
        for w in staff:
            block = moved.get(w.employer)
            if (block == 0 and not w.at_division) or (block == 3 and w.at_division):
                w.must_search = True
            elif block == 4 and w.at_division:
                w.at_division, w.must_search = False, True
        for w, u in zip(new_site, draws):
            if u < self.cfg.location.division_share:
                w.at_division, w.must_search = True, True

    def _knowledge_worth(self) -> dict[int, float]:
        """What knowledge at its R&D site is worth to each firm (log-profit per unit change of
        ``(K/K_site)^η``): the firm's expected innovations against its sector's mean — a
        market statistic every firm knows (:func:`model.processes.location.knowledge_valuation`)."""
        s, cfg = self.s, self.cfg
        alive = s.firms.alive_index()
        lam = innovation.expected_innovations(s, cfg, alive, s.knowledge.field)
        sector = s.firms.sector[alive]
        mean = np.bincount(sector, weights=lam, minlength=N_SECTORS) / np.maximum(
            np.bincount(sector, minlength=N_SECTORS), 1
        )
        k = [1.0 - b - g for b, g in zip(self.beta, self.gamma)]
        step = cfg.location.horizon_quarters * cfg.innovation.productivity_step
        return {int(i): step * (float(li) - float(mean[si])) / k[si] for i, li, si in zip(alive, lam, sector)}

    # -- labour-market matching --------------------------------------------------------------
    def match(
        self, rng: np.random.Generator, searchers: list[TalentAgent], vacancies: np.ndarray, newcomers: bool = False
    ) -> np.ndarray:
        """:func:`model.processes.labour.match`, agent by agent. Returns vacancies left."""
        s, tp = self.s, self.cfg.talent
        if not searchers or vacancies.sum() == 0:
            return vacancies
        k_local = (tp.job_offers + 1) // 2
        firm_city = s.cells.city[s.firms.cell[: vacancies.size]]
        weight = vacancies.astype(float)
        home_city = [s.cells.city[w.home] if w.home >= 0 else SZ for w in searchers]
        local = self._sample_by_city(rng, home_city, weight, k_local, firm_city)
        wide = self._sample(rng, weight, len(searchers), tp.job_offers - k_local)
        offers = [[o if o >= 0 else (w[0] if w else o) for o in loc] + w for loc, w in zip(local, wide)]
        tastes = rng.gumbel(size=(len(searchers), tp.job_offers))
        own = rng.gumbel(size=len(searchers))
        target = self._each(zip(searchers, offers, tastes, own), lambda w, o, e, u: w.search(o, e, u, newcomers))
        priority = rng.random(len(searchers))
        admitted = self._admit(target, [1.0] * len(searchers), vacancies.astype(float), priority)
        hired = [(w, f) for w, f, ok in zip(searchers, target, admitted) if ok]
        draws = rng.random(len(hired))
        left = vacancies.copy()
        for (w, f), u in zip(hired, draws):
            firm = self.firm_agents[f]
            w.employer = f
            w.at_division = firm.div_cell >= 0 and u < self.cfg.location.division_share
            w.unemployed_q, w.must_search = 0, True
            left[f] -= 1
        return left

    # -- shared mechanics ----------------------------------------------------------------------
    def _each(self, items: Iterable[tuple], decide: Callable[..., object]) -> list:
        """Each agent decides in turn (checking the deadline every 64 agents)."""
        out = []
        for n, item in enumerate(items):
            if self.deadline is not None and n % 64 == 0 and time.perf_counter() > self.deadline:
                raise TimeLimitReached(n)
            out.append(decide(*item))
        return out

    @staticmethod
    def _sample(rng: np.random.Generator, weight: np.ndarray, n: int, k: int) -> list[list[int]]:
        """k items per agent in proportion to ``weight`` (:func:`model.allocation.sample_weighted`)."""
        total = float(weight.sum())
        if total <= 0:
            return [[-1] * k for _ in range(n)]
        cdf = np.cumsum(weight, dtype=float).tolist()
        return [[_draw(cdf, u) for u in row] for row in rng.random((n, k)).tolist()]

    def _sample_by_city(
        self, rng: np.random.Generator, city: list[int], weight: np.ndarray, k: int, item_city: np.ndarray
    ) -> list[list[int]]:
        """k items per agent among the items of its city (:func:`model.allocation.sample_weighted_by_group`)."""
        out: list[list[int]] = [[-1] * k for _ in city]
        for g in range(N_CITIES):
            agents = [a for a, c in enumerate(city) if c == g]
            if not agents:
                continue
            items = np.flatnonzero(item_city == g)
            for a, row in zip(agents, self._sample(rng, weight[items], len(agents), k)):
                out[a] = [int(items[j]) if j >= 0 else -1 for j in row]
        return out

    @staticmethod
    def _admit(target: list[int], demand: list[float], capacity: np.ndarray, priority: np.ndarray) -> list[bool]:
        """Each target serves its applicants in priority order while the demand so far fits
        (:func:`model.allocation.allocate`)."""
        applicants = sorted((t, p, a) for a, (t, p) in enumerate(zip(target, priority)) if t >= 0)
        ok = [False] * len(target)
        so_far: dict[int, float] = {}
        for t, _, a in applicants:
            so_far[t] = so_far.get(t, 0.0) + demand[a]
            ok[a] = so_far[t] <= capacity[t] * (1 + 1e-12) + 1e-9
        return ok

    def write_back(self) -> None:
        """Copy the agents' state into the vectorised populations (and recount workforces)."""
        f, t = self.s.firms, self.s.talent
        for a in self.firm_agents.values():
            f.cell[a.index], f.div_cell[a.index], f.div_kind[a.index], f.cash[a.index] = (
                a.cell,
                a.div_cell,
                a.div_kind,
                a.cash,
            )
            f.city_tie[a.index] = a.city_tie
        for w in self.talent_agents:
            i = w.index
            t.employer[i], t.at_division[i], t.unemployed_q[i], t.must_search[i] = (
                w.employer,
                w.at_division,
                w.unemployed_q,
                w.must_search,
            )
        update_workforce(self.s, self.cfg)
