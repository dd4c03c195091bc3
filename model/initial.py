"""Initial population of 2018: firms and talent placed by city and district.

Firms are shared across cities by their counts of innovative firms (Shenzhen 14,415, seed
003), given a sector by the city's sector mix and a site near a district centre weighted by the
district's share of the city's firms (Nanshan, Futian, Songshan Lake, Zhongkai, ...; see
:data:`model.geodata.DISTRICTS`). Talent is shared across cities by S&T workers (Shenzhen: 15
per 100 residents, seeds 000/003); most are employed by firms of their city with a Pareto
size distribution (one Huawei-scale giant at most ``max_size_share`` of the city's talent),
and each picks a home by the same rule as later in the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents import firms as fm
from agents import talent as tm
from model import geodata, geography
from model.allocation import sample_weighted

if TYPE_CHECKING:
    from model.corridor import CorridorModel


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


def _firm_sites(model: CorridorModel, rng: np.random.Generator, city: int, n: int) -> np.ndarray:
    """Cells of ``n`` firms of one city: district by firm share, then a built cell near it."""
    cmap = model.map
    names = [k for k, v in geodata.DISTRICTS.items() if v[0] == geodata.CITY_CODES[city]]
    shares = np.array([geodata.DISTRICTS[k][3] for k in names])
    counts = split_by_share(n, shares)
    cells = np.flatnonzero((cmap.city == city) & (model.com_cap > 0))
    sites = []
    for name, count in zip(names, counts):
        if count == 0:
            continue
        _, lon, lat, _, _ = geodata.DISTRICTS[name]
        x, y = geography.lonlat_to_km(np.array(lon), np.array(lat))
        d2 = (cmap.x_km[cells] - x) ** 2 + (cmap.y_km[cells] - y) ** 2
        weight = model.com_cap[cells] * np.exp(-d2 / (2.0 * 4.0**2))
        if weight.sum() <= 0:
            weight = model.com_cap[cells]
        sites.append(cells[sample_weighted(rng, weight, (int(count),))])
    return np.concatenate(sites) if sites else np.zeros(0, dtype=np.int64)


def _firm_sizes(rng: np.random.Generator, n_firms: int, n_workers: int, tail: float, cap: int) -> np.ndarray:
    """Workers per firm: one each, the rest in proportion to capped Pareto weights."""
    if n_workers < n_firms:
        raise ValueError("every firm needs a worker: n_workers < n_firms")
    weight = np.minimum(rng.pareto(tail, n_firms) + 1.0, max(cap, 1))
    extra = rng.multinomial(n_workers - n_firms, weight / weight.sum())
    return 1 + extra


def populate(model: CorridorModel) -> None:
    """Create the 2018 firms and talent of every city and give each talent a home.

    Args:
        model: A model whose map, floor space and rents are set.
    """
    cfg = model.cfg
    f, tp = cfg.firms, cfg.talent
    rng_firms = model.streams.get("init_firms")
    rng_talent = model.streams.get("init_talent")
    firm_counts = split_by_share(cfg.n_firms, f.hightech_firms.as_list())
    talent_counts = split_by_share(cfg.n_talent, tp.st_workers.as_list())
    mixes = [f.sector_mix_hk, f.sector_mix_sz, f.sector_mix_dg, f.sector_mix_hz]

    employer_blocks, skill_blocks, origin_blocks, city_blocks = [], [], [], []
    for city in range(4):
        n_f, n_t = int(firm_counts[city]), int(talent_counts[city])
        sectors = rng_firms.choice(4, size=n_f, p=np.array(mixes[city].as_list()) / sum(mixes[city].as_list()))
        sites = _firm_sites(model, rng_firms, city, n_f)
        age_years = rng_firms.exponential(8.0, n_f)
        first = model.firms.add(
            n_f,
            sector=sectors.astype(np.int8),
            cell=sites,
            born=(-4 * age_years).astype(np.int32),
            rd=fm.draw_rd_intensity(rng_firms, model.rd_mean[sectors], np.full(n_f, model.rd_city_factor[city])),
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
    idx = model.talent.add(
        n,
        uid=np.arange(n),
        skill=np.concatenate(skill_blocks),
        employer=employer,
        origin=np.concatenate(origin_blocks),
        home=-1,
        entered=model.t,
    )
    model.next_uid = n
    model._update_workforce()
    _place_homes(model, idx, np.concatenate(city_blocks))


def _place_homes(model: CorridorModel, idx: np.ndarray, city: np.ndarray) -> None:
    """Homes for the initial talent, chosen by the same rule as later in the run (anchored in
    their city); whoever is still without a home after a few rounds takes the roomiest cell of
    their city."""
    talent = model.talent
    rng = model.streams.get("init_homes")
    pending = np.arange(idx.size)
    for _ in range(6):
        if pending.size == 0:
            break
        model._choose_homes(idx[pending], rng, allow_stay=False, anchor_city=city[pending])
        pending = pending[talent.home[idx[pending]] < 0]
    if pending.size:
        free = model._free_households()
        for i in pending:
            cells = np.flatnonzero(model.cell_city == city[i])
            best = cells[np.argmax(free[cells])]
            talent.home[idx[i]] = best
            free[best] -= 1
