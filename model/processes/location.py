"""Firm location: a discrete choice with idiosyncratic tastes among staying, moving the whole
firm and (big firms) moving a division to one of a few sampled sites.

Phase :func:`review_locations` (stream ``location``). A reviewing firm samples
``location.candidates`` sites in proportion to their firm sites (half in its own city) and
chooses by multinomial logit (Gumbel tastes of scale ``location.taste_sd``) among staying and
moving there. In log-profit units, the value of moving to j is

    ln(V_j / V_here) − (1 + hurdle) · C_j / (H · S)

where V is the site index (profit at optimal size, :func:`agents.firms.site_index`) at the lease
rent the firm would pay, C the moving cost (it grows with the employees moved and the distance,
and crossing the HK–mainland border multiplies it, :func:`model.border.relocation_barrier`), H
the horizon and S the firm's operating surplus per quarter; staying is worth 0. Shenzhen pays
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

from agents import firms as fm
from model import border, views
from model.allocation import allocate, sample_weighted, sample_weighted_by_group
from model.params import param
from model.processes.markets import LeaseMarket
from model.processes.production import update_workforce
from model.state import N_CITIES, SZ, State

if TYPE_CHECKING:
    from model.config import Config


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
    taste_sd: float = param(
        0.05,
        "log-profit",
        "Dispersion of firms' idiosyncratic tastes for sites (Gumbel scale): the smaller, the more a "
        "site's profit decides; sets the elasticity of moves to rents (≈ (γ/(1−β−γ))/taste_sd)",
        "assumption (calibrated to Shenzhen's out-move rates, calibration/targets.csv)",
        lo=0.001,
        hi=10.0,
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


def site_index(s: State, cfg: Config, firm_idx: np.ndarray, cells: np.ndarray, rent: np.ndarray) -> np.ndarray:
    """Profit a firm could earn at ``cells`` at its optimal size there, up to a firm constant
    (:func:`agents.firms.site_index`); ``rent`` is the lease rent at each cell."""
    sector = s.firms.sector[firm_idx]
    beta_s, gamma_s = cfg.firms.elasticities()
    beta, gamma = beta_s[sector], gamma_s[sector]
    if cells.ndim == 2:
        beta, gamma = beta[:, None], gamma[:, None]
    tfp = views.site_tfp(s.cells, s.firms.log_a[firm_idx], sector, cells)
    return fm.site_index(tfp, s.cities.wage[s.cells.city[cells]], rent, beta, gamma)


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
    sector = s.firms.sector[firm_idx]
    beta_s, gamma_s = cfg.firms.elasticities()
    beta, gamma = beta_s[sector], gamma_s[sector]
    if cells.ndim == 2:
        beta, gamma = beta[:, None], gamma[:, None]
    rent = np.maximum(s.cells.com_rent[cells], 1e-9)
    return labour * fm.floor_per_labour(beta, gamma, s.cities.wage[s.cells.city[cells]], rent)


def move_values(s: State, cfg: Config, lease: LeaseMarket, idx: np.ndarray, cand: np.ndarray) -> dict[str, np.ndarray]:
    """Value of moving the whole firm, or a division, to each candidate site (log-profit units;
    staying is worth 0).

    The gain is the log change in the site index (profit at optimal size); the moving cost is
    taken relative to the firm's operating surplus ``(1-β-γ)(1-rd)·Y`` over the horizon; it grows
    with the employees moved and the distance. Division moves keep headquarters where they are
    and lose output to coordination with it.
    """
    firms, lp = s.firms, cfg.location
    sector = firms.sector[idx]
    beta_s, gamma_s = cfg.firms.elasticities()
    beta = beta_s[sector][:, None]
    scale = s.talent_scale
    workers = (firms.workers[idx] + firms.workers_div[idx])[:, None] * scale
    hq = firms.cell[idx][:, None]
    cand_safe = np.maximum(cand, 0)
    gamma = gamma_s[sector][:, None]
    surplus = ((1.0 - beta - gamma)[:, 0] * (1.0 - firms.rd[idx]) * np.maximum(firms.output[idx], 0.0))[:, None]
    need = floor_need(s, cfg, idx, cand_safe, firms.eff[idx][:, None] * scale)
    here = site_index(s, cfg, idx, hq, lease.rent(hq) * _park_discount(s, cfg, idx, hq))
    ratio = site_index(s, cfg, idx, cand_safe, lease.rent(cand_safe, need) * _park_discount(s, cfg, idx, cand_safe)) / (
        np.maximum(here, 1e-300)
    )
    minutes = s.travel.minutes[hq, cand_safe]
    wage_bill = firms.wage_bill[idx][:, None]

    # moving across the HK–mainland border means a new legal entity, licences and visas
    barrier = border.relocation_barrier(cfg.border, s.map, hq, cand_safe)
    cost_whole = fm.moving_cost(workers, lp.moving_cost_fixed, lp.moving_cost_per_worker, lp.moving_cost_size_exponent)
    cost_whole = barrier * cost_whole + lp.distance_cost_per_minute * minutes * wage_bill
    horizon_surplus = np.maximum(lp.horizon_quarters * surplus, 1e-9)
    value_whole = np.log(ratio) - (1.0 + lp.hurdle) * cost_whole / horizon_surplus

    d = lp.division_share
    ratio_div = site_index(s, cfg, idx, cand_safe, lease.rent(cand_safe, d * need)) / np.maximum(here, 1e-300)
    coordination = np.power(
        views.division_factor(s, cfg, np.broadcast_to(hq, cand.shape), cand_safe), 1.0 / (1.0 - beta - gamma)
    )
    split_ratio = (1.0 - d) + d * ratio_div * coordination
    cost_div = fm.moving_cost(
        d * workers, lp.moving_cost_fixed, lp.moving_cost_per_worker, lp.moving_cost_size_exponent
    )
    cost_div = barrier * cost_div + lp.distance_cost_per_minute * minutes * wage_bill * d
    eligible = (workers >= lp.division_min_employees) & (firms.div_cell[idx] < 0)[:, None]
    value_div = np.where(eligible, np.log(split_ratio) - (1.0 + lp.hurdle) * cost_div / horizon_surplus, -np.inf)

    invalid = (cand < 0) | (cand == hq)
    cash = firms.cash[idx][:, None]
    value_whole = np.where(invalid | (cash < cost_whole), -np.inf, value_whole)
    value_div = np.where(invalid | (cash < cost_div), -np.inf, value_div)
    return {"whole": value_whole, "division": value_div, "cost_whole": cost_whole, "cost_div": cost_div}


def choice_probabilities(value: dict[str, np.ndarray], taste_sd: float) -> np.ndarray:
    """The logit's probabilities of staying (column 0), moving the whole firm to each candidate
    (columns 1..k) and moving a division there (k+1..2k), given :func:`move_values`."""
    both = np.concatenate([np.zeros((value["whole"].shape[0], 1)), value["whole"], value["division"]], axis=1)
    z = np.where(np.isfinite(both), both / taste_sd, -np.inf)
    z -= z.max(axis=1, keepdims=True)
    w = np.exp(z)
    return w / w.sum(axis=1, keepdims=True)


def _apply_moves(
    s: State, cfg: Config, rng: np.random.Generator, idx: np.ndarray, cand: np.ndarray, value: dict[str, np.ndarray]
) -> None:
    firms, talent = s.firms, s.talent
    # the logit: staying (worth 0) and every option, each with a Gumbel taste (Gumbel-max trick)
    both = np.concatenate([np.zeros((idx.size, 1)), value["whole"], value["division"]], axis=1)
    both = both + cfg.location.taste_sd * rng.gumbel(size=both.shape)
    choice = np.argmax(both, axis=1)
    moving = choice > 0
    if not moving.any():
        return
    best_col = np.maximum(choice - 1, 0)
    k = cand.shape[1]
    kind = np.where(best_col >= k, fm.MOVE_DIVISION, fm.MOVE_WHOLE)
    target = np.where(moving, cand[np.arange(idx.size), best_col % k], -1)
    moved_share = np.where(kind == fm.MOVE_WHOLE, 1.0, cfg.location.division_share)
    moved_workers = np.round(moved_share * (firms.workers[idx] + firms.workers_div[idx]))
    need = floor_need(s, cfg, idx, np.maximum(target, 0), moved_share * firms.eff[idx] * s.talent_scale)
    admitted = allocate(target, need, views.free_commercial(s), rng.random(idx.size))
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
    employed = views.employed_index(s)
    is_mover = np.zeros(firms.n, dtype=np.int8)
    is_mover[go[whole]] = 1
    is_mover[go[~whole]] = 2
    flag = is_mover[talent.employer[employed]]
    hq_staff = employed[(flag == 1) & ~talent.at_division[employed]]
    talent.must_search[hq_staff] = True
    div_pool = employed[flag == 2]
    chosen = div_pool[rng.random(div_pool.size) < cfg.location.division_share]
    talent.at_division[chosen] = True
    talent.must_search[chosen] = True
    update_workforce(s, cfg)
    city = s.cells.city
    from_city, to_city = city[origin_cell], city[go_to]
    s.flows.relocations_out += np.bincount(from_city[whole & (from_city != to_city)], minlength=N_CITIES)
    s.events.relocations.append(
        {
            "t": np.full(go.size, s.t),
            "firm": go.astype(np.int64),
            "kind": go_kind.astype(np.int8),
            "sector": firms.sector[go].astype(np.int8),
            "employees": ((firms.workers[go] + firms.workers_div[go]) * s.talent_scale).astype(float),
            "moved_employees": (moved_workers[admitted] * s.talent_scale).astype(float),
            "from_city": from_city.astype(np.int8),
            "from_cell": origin_cell.astype(np.int64),
            "to_city": to_city.astype(np.int8),
            "to_cell": go_to.astype(np.int64),
        }
    )
