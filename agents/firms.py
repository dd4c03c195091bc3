"""Firms: a vectorised population and the pure functions of their decisions.

A firm produces with skilled labour and commercial floor space under decreasing returns,

    Y = A · B[cell, sector] · G[cell, sector] · L^β · F^γ,

where A is the firm's own productivity, B the location fundamental of its site for its sector
(recovered at start-up so that the 2018 allocation is a spatial equilibrium), G the
agglomeration gain from related employment nearby, L its workforce in efficiency units (skill ×
workers, in real persons) and F its floor space, which it sets to the cost-minimising
``(γ/β)·w/r`` per unit of labour (firms squeeze into less space where rent is dear), rationed
when its cell is full. The firm hires toward the size that maximises profit at its site,
reviews its location now and then (stay, move, or for big firms move a division), and exits
after sustained losses.
"""

from __future__ import annotations

import numpy as np

from corridor_abm.agents.population import Population

ORIGIN_INITIAL, ORIGIN_STARTUP, ORIGIN_SPINOFF, ORIGIN_UNIVERSITY = 0, 1, 2, 3
ORIGIN_NAMES = ("initial", "startup", "spinoff", "university spin-off")

MOVE_WHOLE, MOVE_DIVISION = 0, 1
MOVE_KIND_NAMES = ("whole firm", "division")

KIND_PLANT, KIND_RD = 0, 1
KIND_NAMES = ("plant", "R&D centre")
"""Kinds of second site (``FirmPopulation.div_kind``)."""


class FirmPopulation(Population):
    """All firms of the corridor, one array per state variable.

    State (per firm): ``alive``, ``sector``, ``cell`` (headquarters, where R&D is done),
    ``div_cell`` (second site, -1 if none: a production plant or an R&D centre), ``div_kind``
    (0 plant, 1 R&D centre), ``log_a`` (log own productivity), ``rd`` (R&D intensity), ``born``
    (quarter founded), ``cash`` (¥), ``fixed_cost`` (¥ per quarter), ``loss_streak``
    (consecutive loss quarters), ``empty_streak`` (consecutive quarters without workers), ``origin`` (initial / start-up / spin-off / university spin-off), ``parent`` (firm
    a spin-off came from, -1), ``exit_quarter`` (-1 while alive), ``origin_city`` (city where
    it started), ``founder_origin`` (talent origin of the founder, -1 for 2018 firms),
    ``city_tie`` (the firm's persistent tie to the city of its headquarters, log-profit: what a
    move to another city forfeits, redrawn when it moves to one; :func:`draw_city_ties`),
    ``innovations_total``, ``last_innovation`` (quarter), ``vc_stage`` (0 none, 1 seed, 2 A,
    3 B), ``vc_raised`` (¥ received from funds), ``listed`` (0 no, 1 in Shenzhen, 2 in Hong
    Kong), ``grant_outstanding`` (incubator grant still to
    repay).

    Quarter results (overwritten each quarter): ``workers`` (at headquarters), ``workers_div``,
    ``eff`` and ``eff_div`` (efficiency units, agents, all and at the division), ``floor_hq``
    and ``floor_div`` (m² leased), ``output``, ``wage_bill``, ``rent_bill``, ``rd_spend``,
    ``tax``, ``profit``, ``subsidies``, ``goods_cost`` (¥ per quarter, real scale),
    ``innovations`` (this quarter), ``vacancies`` (open vacancies, agents: set by the labour
    market, filled by entrants in the migration phase).
    """

    SCHEMA = {
        "alive": (np.bool_, False),
        "sector": (np.int8, 0),
        "cell": (np.int32, -1),
        "div_cell": (np.int32, -1),
        "div_kind": (np.int8, 0),
        "log_a": (np.float64, 0.0),
        "rd": (np.float32, 0.0),
        "born": (np.int32, 0),
        "cash": (np.float64, 0.0),
        "fixed_cost": (np.float64, 0.0),
        "loss_streak": (np.int16, 0),
        "empty_streak": (np.int16, 0),
        "origin": (np.int8, ORIGIN_INITIAL),
        "parent": (np.int32, -1),
        "exit_quarter": (np.int32, -1),
        "origin_city": (np.int8, -1),
        "founder_origin": (np.int8, -1),
        "city_tie": (np.float32, 0.0),
        "innovations": (np.int32, 0),
        "innovations_total": (np.int64, 0),
        "last_innovation": (np.int32, -1000),
        "vc_stage": (np.int8, 0),
        "vc_raised": (np.float64, 0.0),
        "listed": (np.int8, 0),
        "grant_outstanding": (np.float64, 0.0),
        "subsidies": (np.float64, 0.0),
        "goods_cost": (np.float64, 0.0),
        "workers": (np.int32, 0),
        "workers_div": (np.int32, 0),
        "eff": (np.float64, 0.0),
        "eff_div": (np.float64, 0.0),
        "floor_hq": (np.float64, 0.0),
        "floor_div": (np.float64, 0.0),
        "output": (np.float64, 0.0),
        "wage_bill": (np.float64, 0.0),
        "rent_bill": (np.float64, 0.0),
        "rd_spend": (np.float64, 0.0),
        "tax": (np.float64, 0.0),
        "profit": (np.float64, 0.0),
        "vacancies": (np.int64, 0),
    }


# ---------------------------------------------------------------------------------------------
# pure functions


def size_class(employees: np.ndarray) -> np.ndarray:
    """Size class index: 0 small (< 100 employees), 1 medium (100–999), 2 large (≥ 1000)."""
    return np.digitize(employees, [100.0, 1000.0]).astype(np.int8)


def floor_per_labour(beta: np.ndarray, gamma: np.ndarray, wage: np.ndarray, rent: np.ndarray) -> np.ndarray:
    """Cost-minimising floor space per efficiency unit of labour, m²: ``(γ/β)·w/r``."""
    return (gamma / beta) * wage / rent


def optimal_labour(
    tfp: np.ndarray, wage: np.ndarray, rent: np.ndarray, beta: np.ndarray, gamma: np.ndarray, rd: np.ndarray
) -> np.ndarray:
    """Profit-maximising efficiency labour (real units) at a site.

    Maximises ``(1 - rd)·tfp·L^β·F^γ − w·L − r·F`` over labour L and floor F:
    ``L* = [(1 - rd)·tfp·(β/w)^(1-γ)·(γ/r)^γ]^(1/(1-β-γ))``.

    Args:
        tfp: Total factor productivity at the site (A·B·G).
        wage: Wage per efficiency unit of labour (¥ per quarter).
        rent: Commercial rent (¥ per m² per quarter).
        beta: Output elasticity of labour.
        gamma: Output elasticity of floor space.
        rd: R&D intensity (share of output).

    Returns:
        L* in efficiency units of real workers.
    """
    k = 1.0 - beta - gamma
    return np.power((1.0 - rd) * tfp * np.power(beta / wage, 1.0 - gamma) * np.power(gamma / rent, gamma), 1.0 / k)


def productivity_for_size(
    labour: np.ndarray, wage: np.ndarray, rent: np.ndarray, beta: np.ndarray, gamma: np.ndarray, rd: np.ndarray
) -> np.ndarray:
    """Inverse of :func:`optimal_labour`: the TFP at which ``labour`` is the optimal size."""
    k = 1.0 - beta - gamma
    return np.power(labour, k) / ((1.0 - rd) * np.power(beta / wage, 1.0 - gamma) * np.power(gamma / rent, gamma))


def output(tfp: np.ndarray, labour: np.ndarray, floor: np.ndarray, beta: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """Output ``tfp·L^β·F^γ`` (¥ per quarter); zero without labour."""
    return np.where(
        labour > 0, tfp * np.power(np.maximum(labour, 0.0), beta) * np.power(np.maximum(floor, 0.0), gamma), 0.0
    )


def site_index(tfp: np.ndarray, wage: np.ndarray, rent: np.ndarray, beta: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """Profit at the optimal size at a site, up to a firm constant.

    ``tfp^(1/k) · w^(-β/k) · r^(-γ/k)`` with ``k = 1 − β − γ``: the ratio of this index between
    two sites is the ratio of the profits the firm could earn there once it has adjusted.
    """
    return site_index_at_rent(site_potential(tfp, wage, beta, gamma), rent, beta, gamma)


def site_potential(tfp: np.ndarray, wage: np.ndarray, beta: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """The part of :func:`site_index` that does not depend on the rent: ``tfp^(1/k) · w^(-β/k)``.

    Computed once for the sites a firm weighs at several rents (its floor need differs between
    moving whole and opening a second site); the index is this times ``r^(-γ/k)``, the same to
    the bit as :func:`site_index` computes it.
    """
    k = 1.0 - beta - gamma
    return np.power(tfp, 1.0 / k) * np.power(wage, -beta / k)


def site_index_at_rent(potential: np.ndarray, rent: np.ndarray, beta: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """:func:`site_index` from its rent-free part: ``potential · r^(-γ/k)``."""
    k = 1.0 - beta - gamma
    return potential * np.power(rent, -gamma / k)


def plant_factor(
    rent_site: np.ndarray,
    rent_hq: np.ndarray,
    land_share: float,
    wage_site: np.ndarray | float = 1.0,
    wage_hq: np.ndarray | float = 1.0,
    labour_share: float = 0.0,
) -> np.ndarray:
    """Output per unit of inputs of a production plant relative to the same plant at headquarters.

    ``(rent_site / rent_hq)^(−land_share) · (wage_site / wage_hq)^(−labour_share)``: a plant runs
    land-intensive processes (assembly, testing, storage, yards) whose land is not in the
    modelled floor, and employs production workers who are not modelled talent; where land or
    their wages are cheaper than at headquarters, the plant's value added net of their cost is
    higher, with elasticities the cost shares (Cobb–Douglas unit cost). Rents in ¥ per m² per
    quarter, production wages in ¥ per month; 1 when the shares are 0 or the prices equal (the
    wage term is skipped at a zero share, so the land factor alone is unchanged to the bit).
    """
    factor = np.power(np.maximum(rent_site, 1e-9) / np.maximum(rent_hq, 1e-9), -land_share)
    if labour_share > 0.0:
        factor = factor * np.power(np.divide(wage_site, wage_hq), -labour_share)
    return factor


def production_wages(wage_2018: np.ndarray, rent_index: np.ndarray, housing_share: float) -> np.ndarray:
    """Production workers' wage per city, ¥ per month.

    ``wage_2018 · rent_index^housing_share``: mobile workers must be compensated for the cost of
    living where they work (Roback 1982), so a city's wage for production work moves with its
    residential rent (``rent_index``, relative to 2018) at the elasticity of their housing
    share of spending. Everything else that moves it — nominal growth — is common to the
    cities and cancels from the plant's ratio of the wages at two sites.
    """
    return np.asarray(wage_2018, dtype=float) * np.power(np.maximum(rent_index, 1e-9), housing_share)


def moving_cost(employees: np.ndarray, fixed: float, per_worker: float, exponent: float) -> np.ndarray:
    """One-off cost of moving ``employees`` workers (¥).

    ``fixed + per_worker · employees · (employees / 100)^(exponent − 1)``: with an exponent
    above one, each head costs more to move in a big firm (specific assets, supplier ties).
    """
    employees = np.maximum(employees, 1.0)
    return fixed + per_worker * employees * np.power(employees / 100.0, exponent - 1.0)


def draw_city_ties(rng: np.random.Generator, n: int, mean: float) -> np.ndarray:
    """Persistent ties of ``n`` firms to the city of their headquarters (log-profit).

    Exponential with mean ``mean``: the location-specific capital — customers and suppliers
    nearby, staff who would not follow, the owner's networks — that a move to another city
    forfeits. Many firms have little of it and few have a lot, so a city-wide shock moves the
    firms with the weakest ties first and then runs out of movers: the stock response is
    bounded while the flow responds to every rise. No draw (and zeros) when ``mean`` is 0.
    """
    if mean <= 0.0 or n == 0:
        return np.zeros(n, dtype=np.float32)
    return rng.exponential(mean, n).astype(np.float32)


def draw_rd_intensity(rng: np.random.Generator, sector_mean: np.ndarray, city_factor: np.ndarray) -> np.ndarray:
    """R&D intensities around ``sector_mean × city_factor`` (lognormal, log-sd 0.3, mean preserved)."""
    return (sector_mean * city_factor * rng.lognormal(-0.045, 0.3, np.size(sector_mean))).astype(np.float32)


def stochastic_round(x: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Round down or up at random so that the expected value equals ``x``."""
    base = np.floor(x)
    return (base + (uniform < (x - base))).astype(np.int64)
