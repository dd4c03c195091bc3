"""Firms: a vectorised population and the pure functions of their decisions.

A firm produces with skilled labour under decreasing returns,

    Y = A · B[city, sector] · G[cell, sector] · L^β,

where A is the firm's own productivity, B the location fundamental of its city for its sector
(recovered at start-up so that the 2018 allocation is a spatial equilibrium), G the
agglomeration gain from related employment nearby, and L its workforce in efficiency units
(skill × workers, in real persons). Each worker also occupies ``floor_m2_per_worker`` of
commercial floor space. The firm hires toward the size that maximises profit at its site,
reviews its location now and then (stay, move, or for big firms move a division), and exits
after sustained losses.
"""

from __future__ import annotations

import numpy as np

from agents.population import Population

ORIGIN_INITIAL, ORIGIN_STARTUP, ORIGIN_SPINOFF = 0, 1, 2
ORIGIN_NAMES = ("initial", "startup", "spinoff")

MOVE_WHOLE, MOVE_DIVISION = 0, 1
MOVE_KIND_NAMES = ("whole firm", "division")


class FirmPopulation(Population):
    """All firms of the corridor, one array per state variable.

    State (per firm): ``alive``, ``sector``, ``cell`` (headquarters), ``div_cell`` (division
    site, -1 if none), ``log_a`` (log own productivity), ``rd`` (R&D intensity), ``born``
    (quarter founded), ``cash`` (¥), ``fixed_cost`` (¥ per quarter), ``loss_streak``
    (consecutive loss quarters), ``origin`` (initial / start-up / spin-off), ``parent`` (firm
    a spin-off came from, -1), ``exit_quarter`` (-1 while alive).

    Quarter results (overwritten each quarter): ``workers`` (at headquarters), ``workers_div``,
    ``eff`` and ``eff_div`` (efficiency units, agents, all and at the division), ``output``, ``wage_bill``, ``rent_bill``, ``rd_spend``,
    ``tax``, ``profit`` (¥ per quarter, real scale).
    """

    SCHEMA = {
        "alive": (np.bool_, False),
        "sector": (np.int8, 0),
        "cell": (np.int32, -1),
        "div_cell": (np.int32, -1),
        "log_a": (np.float64, 0.0),
        "rd": (np.float32, 0.0),
        "born": (np.int32, 0),
        "cash": (np.float64, 0.0),
        "fixed_cost": (np.float64, 0.0),
        "loss_streak": (np.int16, 0),
        "origin": (np.int8, ORIGIN_INITIAL),
        "parent": (np.int32, -1),
        "exit_quarter": (np.int32, -1),
        "workers": (np.int32, 0),
        "workers_div": (np.int32, 0),
        "eff": (np.float64, 0.0),
        "eff_div": (np.float64, 0.0),
        "output": (np.float64, 0.0),
        "wage_bill": (np.float64, 0.0),
        "rent_bill": (np.float64, 0.0),
        "rd_spend": (np.float64, 0.0),
        "tax": (np.float64, 0.0),
        "profit": (np.float64, 0.0),
    }


# ---------------------------------------------------------------------------------------------
# pure functions


def size_class(employees: np.ndarray) -> np.ndarray:
    """Size class index: 0 small (< 100 employees), 1 medium (100–999), 2 large (≥ 1000)."""
    return np.digitize(employees, [100.0, 1000.0]).astype(np.int8)


def optimal_labour(tfp: np.ndarray, unit_cost: np.ndarray, beta: np.ndarray, rd: np.ndarray) -> np.ndarray:
    """Profit-maximising efficiency labour (real units) at a site.

    Maximises ``(1 - rd)·tfp·L^β − unit_cost·L``: ``L* = ((1 - rd)·β·tfp / unit_cost)^(1/(1-β))``.

    Args:
        tfp: Total factor productivity at the site (A·B·G).
        unit_cost: Cost of one efficiency unit of labour: wage per unit skill plus the rent of
            the floor a worker uses, per unit skill (¥ per quarter).
        beta: Output elasticity of labour.
        rd: R&D intensity (share of output).

    Returns:
        L* in efficiency units of real workers.
    """
    return np.power((1.0 - rd) * beta * tfp / unit_cost, 1.0 / (1.0 - beta))


def productivity_for_size(labour: np.ndarray, unit_cost: np.ndarray, beta: np.ndarray, rd: np.ndarray) -> np.ndarray:
    """Inverse of :func:`optimal_labour`: the TFP at which ``labour`` is the optimal size."""
    return unit_cost * np.power(labour, 1.0 - beta) / ((1.0 - rd) * beta)


def operating_profit(
    tfp: np.ndarray,
    labour: np.ndarray,
    workers: np.ndarray,
    wage_per_skill: np.ndarray,
    rent: np.ndarray,
    floor_per_worker: np.ndarray,
    beta: np.ndarray,
    rd: np.ndarray,
) -> np.ndarray:
    """Quarterly profit before fixed cost and tax of a workforce at a site.

    Args:
        tfp: TFP at the site.
        labour: Efficiency labour (real).
        workers: Workers (real persons).
        wage_per_skill: Wage per unit skill at the site (¥ per quarter).
        rent: Commercial rent at the site (¥ per m² per quarter).
        floor_per_worker: m² per worker.
        beta: Output elasticity of labour.
        rd: R&D intensity.

    Returns:
        ``(1 - rd)·tfp·L^β − wage·L − rent·floor·workers`` (¥ per quarter).
    """
    return (1.0 - rd) * tfp * np.power(labour, beta) - wage_per_skill * labour - rent * floor_per_worker * workers


def moving_cost(employees: np.ndarray, fixed: float, per_worker: float, exponent: float) -> np.ndarray:
    """One-off cost of moving ``employees`` workers (¥).

    ``fixed + per_worker · employees · (employees / 100)^(exponent − 1)``: with an exponent
    above one, each head costs more to move in a big firm (specific assets, supplier ties).
    """
    employees = np.maximum(employees, 1.0)
    return fixed + per_worker * employees * np.power(employees / 100.0, exponent - 1.0)


def stochastic_round(x: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Round down or up at random so that the expected value equals ``x``."""
    base = np.floor(x)
    return (base + (uniform < (x - base))).astype(np.int64)
