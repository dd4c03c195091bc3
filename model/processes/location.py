"""Firm location: a discrete choice with idiosyncratic tastes among staying, moving the whole
firm and (big firms) moving a division to one of a few sampled sites.

Phase :func:`review_locations` (stream ``location``). A reviewing firm samples
``location.candidates`` sites in proportion to their firm sites (half in its own city) and
chooses by multinomial logit (Gumbel tastes of scale ``location.taste_sd``) among staying and
moving there. In log-profit units, the value of moving to j is

    ln(V_j / V_here) − (1 + hurdle) · C_j / (H · S) − τ_i · [j in another city]

where V is the site index (profit at optimal size, :func:`agents.firms.site_index`) at the lease
rent the firm would pay, C the moving cost (it grows with the employees moved and the distance,
crossing the HK–mainland border multiplies it, :func:`model.border.relocation_barrier`, and it
is indexed to the wage per unit skill of the city left, relative to 2018), H
the horizon, S the firm's operating surplus per quarter and τ_i the firm's persistent tie to its
city (``location.city_tie_mean``, :func:`agents.firms.draw_city_ties`); staying is worth 0.
The Gumbel tastes set how fast firms answer a change (the flow elasticity); the ties, how many
can answer a lasting one before the movers run out (the stock response). Shenzhen pays
part of the rent of its firms in the designated parks (lever L1). A move is admitted while the
target cell has free floor space, and logged as an event. Founders choose their site by the same
logit among sites of their city (:mod:`model.processes.entry_exit`).

The sites of a cell are its commercial floor space times its 2018 density of firms per m²
(smoothed toward its city's, :func:`site_density`): sampling in proportion to them makes the
2018 allocation the choice model's expected allocation — with every cell equally profitable for
the average firm (the inversion of :mod:`model.setup`), movers go where firms are, and the flows
in and out of a cell balance — while the churn comes from tastes against moving costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from corridor_abm.agents import firms as fm
from corridor_abm.model import border, views
from corridor_abm.model.allocation import allocate, sample_weighted, sample_weighted_by_group
from corridor_abm.model.params import PerCity, param, per_city
from corridor_abm.model.processes.markets import LeaseMarket
from corridor_abm.model.processes.production import update_workforce
from corridor_abm.model.state import N_CITIES, N_SECTORS, SZ, State

if TYPE_CHECKING:
    from corridor_abm.model.config import Config


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
        1.69e5,
        "¥ of 2018 per worker",
        "Moving cost per worker moved, at 100 employees (fit-out, lost output, severance, and the "
        "inertia a structural moving cost absorbs)",
        "fitted to Shenzhen's relocation moments at taste_sd 0.25 (scripts/fit_location.py, 2026-12-01)",
        lo=0.0,
    )
    moving_cost_fixed: float = param(
        1.29e6,
        "¥ of 2018",
        "Fixed cost of a move (indexed, like the per-worker cost, to the wage of the city left)",
        "fitted to Shenzhen's relocation moments at taste_sd 0.25 (scripts/fit_location.py, 2026-12-01)",
        lo=0.0,
    )
    moving_cost_size_exponent: float = param(
        1.13,
        "1",
        "Exponent of moving cost in employees: above 1, big firms find moving dearer per head "
        "(specific assets, supplier ties) — the reason giants stay (seed 000)",
        "seed 000_c3879d280a9fce80.txt (giants stay, SMEs leave); fitted to the out-move rates by size "
        "at taste_sd 0.25 (scripts/fit_location.py, 2026-12-01)",
        lo=0.5,
        hi=3.0,
    )
    distance_cost_per_minute: float = param(
        0.00321,
        "share of wage bill per minute",
        "Cost of a move per minute of extra travel from the old site (staff lost, ties broken)",
        "fitted to the within-city move rate and Dongguan's share of moves at taste_sd 0.25 "
        "(scripts/fit_location.py, 2026-12-01)",
        lo=0.0,
    )
    hurdle: float = param(0.3, "share", "Gain over moving cost a firm requires before it moves", lo=0.0, hi=10.0)
    division_min_employees: float = param(
        1000.0,
        "employees",
        "Smallest firm that may open a second site (a production plant or an R&D centre)",
        "seed 000 (Huawei moved R&D to Songshan Lake); calibrated to Shenzhen's out-move rate of firms above 100 employees",
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
    taste_sd: float = param(
        0.25,
        "log-profit",
        "Dispersion of firms' idiosyncratic tastes for sites (Gumbel scale): the smaller, the more a "
        "site's profit decides; sets the elasticity of moves to rents (≈ (γ/(1−β−γ))/taste_sd) and "
        "β/γ times more to wages",
        "assumption: the relocation moments fit at any value from 0.1 to 0.5 with the moving costs refitted; "
        "0.25, near the middle on a log scale, gives out-move elasticities of 0.9 to Shenzhen's rent and "
        "about 3 to its wage (50 at 0.05) (docs/calibration.md, 'The firms' taste scale')",
        lo=0.001,
        hi=10.0,
    )
    city_tie_mean: float = param(
        0.0,
        "log-profit",
        "Mean of firms' persistent ties to the city of their headquarters (exponential across firms; "
        "customers, suppliers, staff and networks a move to another city forfeits; redrawn after such "
        "a move). Bounds how many firms a lasting city-wide shock (rents, wages) can move, while the "
        "taste dispersion sets how fast they go",
        "assumption (sensitivity in docs/calibration.md)",
        lo=0.0,
        hi=5.0,
    )
    plant_land_share: float = param(
        0.03,
        "share",
        "Cost share of a production plant's land-intensive inputs outside the modelled floor: a plant's "
        "output per unit of inputs, relative to headquarters, scales as (rent at the plant / rent at "
        "headquarters)^(−share) (seed 000: 产业梯度, production where land is cheap)",
        "assumption (industrial land is 2–5% of manufacturing costs; sensitivity in calibration/parameters.csv)",
        lo=0.0,
        hi=0.3,
    )
    plant_labour_share: float = param(
        0.25,
        "share",
        "Cost share of a production plant's production workers (outside the modelled talent): a "
        "plant's output per unit of inputs, relative to headquarters, also scales as (production wage "
        "at the plant / at headquarters)^(−share); 0 turns the channel off (seed 001 §4: land and "
        "labour costs moved manufacturing on to Dongguan)",
        "assumption (production workers' pay in manufacturing value added); on by default since "
        "2026-12-02 — the figures with it off (0) are in the README, S2",
        lo=0.0,
        hi=0.6,
    )
    production_wage: PerCity = param(
        per_city(6050.0, 2200.0, 1720.0, 1550.0),
        "¥ per month",
        "2018 wage of a production worker in the city (matters only with location.plant_labour_share > 0)",
        "approx. public figure: the statutory minimum wages of 2018 (Guangdong, from 1 July 2018: "
        "Shenzhen 2,200, Dongguan 1,720, Huizhou 1,550; Hong Kong HK$34.5 an hour since May 2017, "
        "208 hours a month at ¥0.843 per HK$)",
        lo=1.0,
    )
    production_wage_housing_share: float = param(
        0.25,
        "1",
        "Elasticity of a city's production wage to its mean residential rent relative to 2018: the "
        "housing share of production workers' spending, which a spatial equilibrium makes wages "
        "compensate (Roback 1982); matters only with location.plant_labour_share > 0",
        "assumption (migrant workers' housing share of spending, 0.2–0.3)",
        lo=0.0,
        hi=1.0,
    )
    site_smoothing: float = param(
        0.5,
        "share",
        "Share of a cell's firm sites taken from its city's 2018 density of firms per m² rather than its own",
        lo=0.0,
        hi=1.0,
    )


def review_locations(s: State, cfg: Config, rng: np.random.Generator) -> None:
    """Reviewing firms choose among staying and moving to sampled sites (logit) and move."""
    lp, firms = cfg.location, s.firms
    alive = firms.alive_index()
    reviewing = alive[(rng.random(alive.size) < lp.review_probability) & (firms.workers[alive] > 0)]
    if reviewing.size == 0:
        return
    update_workforce(s, cfg)
    lease = LeaseMarket(s, cfg)
    candidates = candidate_sites(s, rng, s.cells.city[firms.cell[reviewing]], lp.candidates)
    value = move_values(s, cfg, lease, reviewing, candidates)
    _apply_moves(s, cfg, rng, reviewing, candidates, value)


def site_density(s: State, smoothing: float) -> np.ndarray:
    """Firm sites per m² of commercial floor in each cell, inverted from the 2018 firms:
    ``(1 − smoothing) · firms_i / floor_i + smoothing · firms_c / floor_c`` (c: the cell's city)."""
    cells, firms = s.cells, s.firms
    alive = firms.alive_index()
    count = np.bincount(firms.cell[alive], minlength=s.n_cells).astype(float)
    floor = cells.com_cap
    city_density = np.bincount(cells.city, weights=count, minlength=N_CITIES) / np.maximum(
        np.bincount(cells.city, weights=floor, minlength=N_CITIES), 1e-9
    )
    own = np.where(floor > 0, count / np.maximum(floor, 1e-9), 0.0)
    return (1.0 - smoothing) * own + smoothing * city_density[cells.city]


def site_weights(s: State) -> np.ndarray:
    """Firm sites of each cell now: commercial floor × its 2018 density of firms per m²."""
    return s.cells.com_cap * s.cells.site_density


def candidate_sites(s: State, rng: np.random.Generator, city: np.ndarray, k: int) -> np.ndarray:
    """k candidate cells per chooser: half in its own city, half anywhere, in proportion to sites."""
    weight = site_weights(s)
    local = sample_weighted_by_group(rng, city, s.cells.city, weight, k // 2, N_CITIES)
    wide = sample_weighted(rng, weight, (city.size, k - k // 2))
    return np.concatenate([local, wide], axis=1)


def _elasticities(s: State, cfg: Config, firm_idx: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """β and γ of firms ``firm_idx``, shaped to broadcast against ``cells``."""
    sector = s.firms.sector[firm_idx]
    beta_s, gamma_s = cfg.firms.elasticities()
    beta, gamma = beta_s[sector], gamma_s[sector]
    if cells.ndim == 2:
        beta, gamma = beta[:, None], gamma[:, None]
    return beta, gamma


def site_potential(s: State, cfg: Config, firm_idx: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """The rent-free part of :func:`site_index` at ``cells`` (:func:`agents.firms.site_potential`)."""
    beta, gamma = _elasticities(s, cfg, firm_idx, cells)
    tfp = views.site_tfp(s.cells, s.firms.log_a[firm_idx], s.firms.sector[firm_idx], cells)
    return fm.site_potential(tfp, s.cities.wage[s.cells.city[cells]], beta, gamma)


def site_index(
    s: State,
    cfg: Config,
    firm_idx: np.ndarray,
    cells: np.ndarray,
    rent: np.ndarray,
    potential: np.ndarray | None = None,
) -> np.ndarray:
    """Profit a firm could earn at ``cells`` at its optimal size there, up to a firm constant
    (:func:`agents.firms.site_index`); ``rent`` is the lease rent at each cell; ``potential``
    is :func:`site_potential` at ``cells`` where the caller has it already."""
    beta, gamma = _elasticities(s, cfg, firm_idx, cells)
    if potential is None:
        potential = site_potential(s, cfg, firm_idx, cells)
    return fm.site_index_at_rent(potential, rent, beta, gamma)


def _park_discount(s: State, cfg: Config, firm_idx: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Rent multiplier a firm pays at ``cells``: Shenzhen pays part of the rent of its firms in
    the designated Dongguan and Huizhou parks (lever L1, on Shenzhen terms)."""
    subsidy = cfg.government.park_rent_subsidy
    if subsidy <= 0:
        return np.ones(cells.shape)
    from_sz = s.firms.origin_city[firm_idx] == SZ
    if cells.ndim == 2:
        from_sz = from_sz[:, None]
    in_park = s.cells.park_mask[cells] & (s.cells.city[cells] != SZ)
    return np.where(from_sz & in_park, 1.0 - subsidy, 1.0)


def floor_need(s: State, cfg: Config, firm_idx: np.ndarray, cells: np.ndarray, labour: np.ndarray) -> np.ndarray:
    """Floor (m²) ``labour`` efficiency units of a firm would lease at ``cells`` at today's rent."""
    beta, gamma = _elasticities(s, cfg, firm_idx, cells)
    rent = np.maximum(s.cells.com_rent[cells], 1e-9)
    return labour * fm.floor_per_labour(beta, gamma, s.cities.wage[s.cells.city[cells]], rent)


OPTION_BLOCKS: tuple[str, ...] = ("whole", "open_plant", "open_rd", "relocate")
"""Blocks of k options after staying (column 0), in order; closing the secondary site is last."""

EVENT_OPEN, EVENT_RELOCATE, EVENT_CLOSE = 0, 1, 2
EVENT_NAMES = ("open", "relocate", "close")


def knowledge_valuation(s: State, cfg: Config, idx: np.ndarray) -> np.ndarray:
    """What a firm's R&D site is worth to it beyond its sector's average, log-profit units per
    unit change of ``(K/K_site)^η``: the horizon's extra log productivity from innovating,
    ``H · step · (λ_i − λ̄_sector) / (1 − β − γ)``. The 2018 inversion makes every cell as
    profitable as any other for the average firm, its valuation of knowledge included; a firm
    that innovates more than its sector's average values knowledge more."""
    from corridor_abm.model.processes import innovation

    firms, lp = s.firms, cfg.location
    alive = firms.alive_index()
    lam_all = innovation.expected_innovations(s, cfg, alive, s.knowledge.field)
    sector_all = firms.sector[alive]
    mean = np.bincount(sector_all, weights=lam_all, minlength=N_SECTORS) / np.maximum(
        np.bincount(sector_all, minlength=N_SECTORS), 1
    )
    lam = innovation.expected_innovations(s, cfg, idx, s.knowledge.field)
    beta_s, gamma_s = cfg.firms.elasticities()
    k = 1.0 - beta_s - gamma_s
    sector = firms.sector[idx]
    return lp.horizon_quarters * cfg.innovation.productivity_step * (lam - mean[sector]) / k[sector]


def move_values(s: State, cfg: Config, lease: LeaseMarket, idx: np.ndarray, cand: np.ndarray) -> dict[str, np.ndarray]:
    """Value of each option of reviewing firms ``idx`` (log-profit units; staying is worth 0).

    Options, for each candidate site j: move the whole firm (headquarters and its R&D) there;
    open a production plant or an R&D centre there (firms with at least
    ``location.division_min_employees`` and no second site); move the second site there; and
    close the second site. The gain is the log change in the firm's site index (profit at
    optimal size) — for a second site, of the blend of its two sites' outputs, less coordination
    with headquarters — plus, where the firm's R&D site changes, the change in what its R&D
    draws from the knowledge field (:func:`knowledge_valuation`). The moving cost is taken
    relative to the firm's operating surplus ``(1-β-γ)(1-rd)·Y`` over the horizon; it grows with
    the employees moved and the distance, and crossing the HK–mainland border multiplies it.
    """
    firms, lp = s.firms, cfg.location
    beta, gamma = _elasticities(s, cfg, idx, cand)
    k_inv = 1.0 / (1.0 - beta - gamma)
    scale = s.talent_scale
    workers = (firms.workers[idx] + firms.workers_div[idx])[:, None] * scale
    hq = firms.cell[idx][:, None]
    div = firms.div_cell[idx][:, None]
    has_div = div >= 0
    div_safe = np.maximum(div, 0)
    cand_safe = np.maximum(cand, 0)
    surplus = ((1.0 - beta - gamma)[:, 0] * (1.0 - firms.rd[idx]) * np.maximum(firms.output[idx], 0.0))[:, None]
    horizon_surplus = np.maximum(lp.horizon_quarters * surplus, 1e-9)
    need = floor_need(s, cfg, idx, cand_safe, firms.eff[idx][:, None] * scale)
    rent_hq = lease.rent(hq) * _park_discount(s, cfg, idx, hq)
    here = np.maximum(site_index(s, cfg, idx, hq, rent_hq), 1e-300)
    discount = _park_discount(s, cfg, idx, cand_safe)
    # the candidates are weighed at three rents (moving whole, opening, moving the second site)
    potential = site_potential(s, cfg, idx, cand_safe)
    ratio = site_index(s, cfg, idx, cand_safe, lease.rent(cand_safe, need) * discount, potential) / here
    wage_bill = firms.wage_bill[idx][:, None]

    # moving costs are set in 2018 yuan: fit-out, lost output and severance grow with wages, so
    # they are indexed to the wage per unit skill of the city the move leaves (a fixed nominal
    # cost would fall against the firm's growing surplus and moves would multiply over the run)
    wage_index = s.cities.wage / s.cities.wage_2018

    def cost(n_moved: np.ndarray, frm: np.ndarray, to: np.ndarray, share: np.ndarray | float) -> np.ndarray:
        c = fm.moving_cost(n_moved, lp.moving_cost_fixed, lp.moving_cost_per_worker, lp.moving_cost_size_exponent)
        c = c * wage_index[s.cells.city[frm]]
        # moving across the HK–mainland border means a new legal entity, licences and visas
        c = border.relocation_barrier(cfg.border, s.map, frm, to) * c
        return c + lp.distance_cost_per_minute * s.travel.between(frm, to) * wage_bill * share

    production_wage = views.production_wages(s, cfg)[s.cells.city]

    def split(
        site: np.ndarray,
        share: np.ndarray | float,
        with_need: bool,
        plants: tuple[np.ndarray | bool, ...],
        potential: np.ndarray | None = None,
    ) -> list[np.ndarray]:
        """Profit with ``share`` of the workforce at ``site`` over profit all at headquarters, one
        array for each entry of ``plants`` (the second site is a plant where it is True). The
        rent, site index and coordination at ``site`` are computed once for all of them;
        ``potential`` is :func:`site_potential` at ``site`` if known."""
        rent = lease.rent(site, share * need if with_need else 0.0) * _park_discount(s, cfg, idx, site)
        r = site_index(s, cfg, idx, site, rent, potential) / here
        factor = views.division_factor(s, cfg, np.broadcast_to(hq, site.shape), site)
        if any(plant is not False for plant in plants):
            plant_factor = fm.plant_factor(
                rent, rent_hq, lp.plant_land_share, production_wage[site], production_wage[hq], lp.plant_labour_share
            )
        # no plant: the factor alone (it was multiplied by 1.0 before, the same to the bit)
        return [
            (1.0 - share)
            + share * r * np.power(factor if plant is False else factor * np.where(plant, plant_factor, 1.0), k_inv)
            for plant in plants
        ]

    # the knowledge at the firm's R&D site now, and where it would be
    field = np.maximum(s.knowledge.field, 1e-12)
    eta = cfg.innovation.spillover_elasticity
    worth = knowledge_valuation(s, cfg, idx)[:, None]
    d_now = np.where(firms.eff[idx] > 0, firms.eff_div[idx] / np.maximum(firms.eff[idx], 1e-12), 0.0)[:, None]
    rd_centre = has_div & (firms.div_kind[idx][:, None] == fm.KIND_RD)
    plant_now = has_div & ~rd_centre
    k_now = np.where(rd_centre, (1.0 - d_now) * field[hq] + d_now * field[div_safe], field[hq])

    def knowledge(k_new: np.ndarray) -> np.ndarray:
        return worth * (np.power(k_new / k_now, eta) - 1.0)

    d = lp.division_share
    eligible = (workers >= lp.division_min_employees) & ~has_div
    invalid = (cand < 0) | (cand == hq)
    cash = firms.cash[idx][:, None]

    # the whole firm: headquarters (and its R&D) move; a second site stays where it is; a move to
    # another city forfeits the firm's tie to its own
    k_whole = np.where(rd_centre, (1.0 - d_now) * field[cand_safe] + d_now * field[div_safe], field[cand_safe])
    cost_whole = cost(workers, hq, cand_safe, 1.0)
    whole = np.log(ratio) + knowledge(k_whole) - (1.0 + lp.hurdle) * cost_whole / horizon_surplus
    city = s.cells.city
    whole = whole - firms.city_tie[idx][:, None] * (city[cand_safe] != city[hq])
    # a new plant or R&D centre with a share d of the workforce
    cost_open = cost(d * workers, hq, cand_safe, d)
    open_cost = (1.0 + lp.hurdle) * cost_open / horizon_surplus
    as_plant, as_rd = split(cand_safe, d, True, (True, False), potential)
    open_plant = np.where(eligible, np.log(as_plant) - open_cost, -np.inf)
    open_rd = np.log(as_rd) - open_cost
    open_rd = np.where(eligible, open_rd + knowledge((1.0 - d) * field[hq] + d * field[cand_safe]), -np.inf)
    # the second site moves, or closes (its workers return to headquarters)
    (now,) = split(div_safe, d_now, False, (plant_now,))
    cost_move = cost(d_now * workers, div_safe, cand_safe, d_now)
    k_moved = np.where(rd_centre, (1.0 - d_now) * field[hq] + d_now * field[cand_safe], k_now)
    relocate = (
        np.log(split(cand_safe, d_now, True, (plant_now,), potential)[0] / now)
        + knowledge(k_moved)
        - (1.0 + lp.hurdle) * cost_move / horizon_surplus
    )
    relocate = np.where(has_div & (cand != div), relocate, -np.inf)
    cost_close = cost(d_now * workers, div_safe, hq, d_now)
    close = -np.log(now) + knowledge(field[hq]) - (1.0 + lp.hurdle) * cost_close / horizon_surplus
    close = np.where(has_div, close, -np.inf)

    return {
        "whole": np.where(invalid | (cash < cost_whole), -np.inf, whole),
        "open_plant": np.where(invalid | (cash < cost_open), -np.inf, open_plant),
        "open_rd": np.where(invalid | (cash < cost_open), -np.inf, open_rd),
        "relocate": np.where(invalid | (cash < cost_move), -np.inf, relocate),
        "close": np.where(cash[:, 0] < cost_close[:, 0], -np.inf, close[:, 0]),
        "cost_whole": cost_whole,
        "cost_open": cost_open,
        "cost_move": cost_move,
        "cost_close": cost_close[:, 0],
    }


def option_values(value: dict[str, np.ndarray]) -> np.ndarray:
    """Every option in one array: staying (column 0), the blocks of :data:`OPTION_BLOCKS`
    (k columns each), closing the second site (last column)."""
    n = value["whole"].shape[0]
    return np.concatenate([np.zeros((n, 1)), *(value[b] for b in OPTION_BLOCKS), value["close"][:, None]], axis=1)


def choice_probabilities(value: dict[str, np.ndarray], taste_sd: float) -> np.ndarray:
    """The logit's probability of each option of :func:`option_values`, given :func:`move_values`."""
    options = option_values(value)
    z = np.where(np.isfinite(options), options / taste_sd, -np.inf)
    z -= z.max(axis=1, keepdims=True)
    w = np.exp(z)
    return w / w.sum(axis=1, keepdims=True)


def _apply_moves(
    s: State, cfg: Config, rng: np.random.Generator, idx: np.ndarray, cand: np.ndarray, value: dict[str, np.ndarray]
) -> None:
    firms, talent, lp = s.firms, s.talent, cfg.location
    k = cand.shape[1]
    # the logit: staying (worth 0) and every option, each with a Gumbel taste (Gumbel-max trick)
    options = option_values(value)
    choice = np.argmax(options + lp.taste_sd * rng.gumbel(size=options.shape), axis=1)
    if not (choice > 0).any():
        return
    block = np.where(choice == 0, -1, np.minimum((choice - 1) // k, len(OPTION_BLOCKS)))  # 4 = close
    col = np.where((block >= 0) & (block < len(OPTION_BLOCKS)), (choice - 1) % k, 0)
    rows = np.arange(idx.size)
    target = np.where((block >= 0) & (block < len(OPTION_BLOCKS)), cand[rows, col], -1)
    target = np.where(block == len(OPTION_BLOCKS), firms.cell[idx], target)
    d_now = np.where(firms.eff[idx] > 0, firms.eff_div[idx] / np.maximum(firms.eff[idx], 1e-12), 0.0)
    share = np.select([block == 0, (block == 1) | (block == 2), block == 3], [1.0, lp.division_share, d_now], 0.0)
    # admission: the new site needs free floor for the share that moves there (closing needs none)
    need = floor_need(s, cfg, idx, np.maximum(target, 0), share * firms.eff[idx] * s.talent_scale)
    applicants = np.where((block >= 0) & (block < len(OPTION_BLOCKS)), target, -1)
    admitted = allocate(applicants, need * s.market_weight, views.free_commercial(s), rng.random(idx.size)) | (
        block == len(OPTION_BLOCKS)
    )
    go, go_block, go_to = idx[admitted], block[admitted], target[admitted]
    costs = np.select(
        [go_block == 0, (go_block == 1) | (go_block == 2), go_block == 3],
        [
            value["cost_whole"][admitted, col[admitted]],
            value["cost_open"][admitted, col[admitted]],
            value["cost_move"][admitted, col[admitted]],
        ],
        value["cost_close"][admitted],
    )
    firms.cash[go] -= costs
    moved_workers = np.round(share[admitted] * (firms.workers[go] + firms.workers_div[go]))
    hq_before, div_before, kind_before = firms.cell[go].copy(), firms.div_cell[go].copy(), firms.div_kind[go].copy()

    whole = go_block == 0
    opened = (go_block == 1) | (go_block == 2)
    moved = go_block == 3
    closed = go_block == len(OPTION_BLOCKS)
    firms.cell[go[whole]] = go_to[whole]
    firms.div_cell[go[opened | moved]] = go_to[opened | moved]
    firms.div_kind[go[opened]] = np.where(go_block[opened] == 2, fm.KIND_RD, fm.KIND_PLANT)
    firms.div_cell[go[closed]] = -1

    employed = views.employed_index(s)
    flag = np.zeros(firms.n, dtype=np.int8)
    for code, m in ((1, whole), (2, opened), (3, moved), (4, closed)):
        flag[go[m]] = code
    f = flag[talent.employer[employed]]
    at_div = talent.at_division[employed]
    talent.must_search[employed[(f == 1) & ~at_div]] = True  # headquarters moved
    new_div = employed[(f == 2)]
    chosen = new_div[rng.random(new_div.size) < lp.division_share]
    talent.at_division[chosen] = True
    talent.must_search[chosen] = True  # staff of a new site
    talent.must_search[employed[(f == 3) & at_div]] = True  # the site moved
    back = employed[(f == 4) & at_div]
    talent.at_division[back] = False
    talent.must_search[back] = True  # the site closed: back to headquarters
    update_workforce(s, cfg)

    city = s.cells.city
    sector = firms.sector[go].astype(np.int8)
    employees = ((firms.workers[go] + firms.workers_div[go]) * s.talent_scale).astype(float)
    # relocations: whole firms, and second sites opened or moved (kind 'division')
    site_move = whole | opened | moved
    origin = np.where(whole, hq_before, np.where(moved, div_before, hq_before))
    from_city, to_city = city[origin], city[go_to]
    s.flows.relocations_out += np.bincount(from_city[whole & (from_city != to_city)], minlength=N_CITIES)
    s.events.relocations.append(
        {
            "t": np.full(int(site_move.sum()), s.t),
            "firm": go[site_move].astype(np.int64),
            "kind": np.where(whole, fm.MOVE_WHOLE, fm.MOVE_DIVISION)[site_move].astype(np.int8),
            "sector": sector[site_move],
            "employees": employees[site_move],
            "moved_employees": (moved_workers * s.talent_scale)[site_move],
            "from_city": from_city[site_move].astype(np.int8),
            "from_cell": origin[site_move].astype(np.int64),
            "to_city": to_city[site_move].astype(np.int8),
            "to_cell": go_to[site_move].astype(np.int64),
        }
    )
    # a firm that moved its headquarters to another city builds a new tie there
    away = go[whole & (from_city != to_city)]
    firms.city_tie[away] = fm.draw_city_ties(rng, away.size, lp.city_tie_mean)
    # establishments: every event of a second site (open, move, close), with its kind
    est = opened | moved | closed
    event = np.select([opened, moved], [EVENT_OPEN, EVENT_RELOCATE], EVENT_CLOSE)[est]
    kind = np.where(opened, np.where(go_block == 2, fm.KIND_RD, fm.KIND_PLANT), kind_before)[est]
    frm = np.where(opened, hq_before, div_before)[est]
    to = np.where(closed, hq_before, go_to)[est]
    s.events.establishments.append(
        {
            "t": np.full(int(est.sum()), s.t),
            "firm": go[est].astype(np.int64),
            "event": event.astype(np.int8),
            "kind": kind.astype(np.int8),
            "sector": sector[est],
            "employees": employees[est],
            "site_employees": (moved_workers * s.talent_scale)[est],
            "from_city": city[frm].astype(np.int8),
            "from_cell": frm.astype(np.int64),
            "to_city": city[to].astype(np.int8),
            "to_cell": to.astype(np.int64),
        }
    )
