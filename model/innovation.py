"""Innovation: R&D → innovations → productivity, fed by knowledge spillovers across the map.

Each quarter firm ``i`` makes ``n_i ~ Poisson(λ_i)`` innovations (patent-like events) with

    λ_i = patents_per_million · (R&D_i / ¥1m / wage index)^a · skill_i^b · (1 + w · log(1 + K[cell_i] / K_ref)),

where K is the knowledge field: universities and labs (HKU, HKUST, CUHK, SUSTech, the Virtual
University Park, Songshan Lake, Neutron Science City) and the decaying stock of recent
innovations, spread over the map by ``exp(-minutes / knowledge_minutes)`` and cut across the
HK–mainland border by the knowledge friction (less in the Qianhai and Hetao zones). R&D counts
in researcher units (deflated by the growth of the city's wage since 2018) and the field enters
concavely, so innovation grows with real research effort rather than compounding on itself. A
firm that innovates gains ``productivity_step`` in log productivity. Zero R&D gives zero
innovations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from model.corridor import CorridorModel


def border_friction_matrix(city: np.ndarray, in_zone: np.ndarray, friction: float, zone_factor: float) -> np.ndarray:
    """Share of a cell-to-cell flow that survives the HK–mainland border (1 within a side).

    Args:
        city: City index of each cell (0 = Hong Kong).
        in_zone: True for cells in a cooperation zone (Qianhai, Hetao).
        friction: Friction across the border (0 = none, 1 = nothing crosses).
        zone_factor: Multiplier on the friction when either end lies in a zone.

    Returns:
        (n, n) float32 matrix of pass-through shares.
    """
    hk = city == 0
    crossing = hk[:, None] != hk[None, :]
    zone = in_zone[:, None] | in_zone[None, :]
    effective = np.where(zone, friction * zone_factor, friction)
    return np.where(crossing, 1.0 - effective, 1.0).astype(np.float32)


def knowledge_kernel(model: CorridorModel) -> np.ndarray:
    """Spillover weights between cells: decay with travel time, cut by the knowledge friction."""
    ip, border = model.cfg.innovation, model.cfg.border
    decay = np.exp(-model.travel / np.float32(ip.knowledge_minutes))
    passes = border_friction_matrix(
        model.cell_city, model.map.special_zone >= 0, border.knowledge_friction, border.zone_friction_factor
    )
    return decay * passes


def knowledge_sources(model: CorridorModel) -> np.ndarray:
    """Knowledge emitted by each cell this quarter: research plus the stock of recent innovations."""
    return model.cfg.innovation.research_output * model.map.research_strength + model.knowledge_stock


def knowledge_field(model: CorridorModel) -> np.ndarray:
    """Knowledge field at every cell (sources spread by the kernel)."""
    return model.knowledge_kernel @ knowledge_sources(model).astype(np.float32)


def innovation_rate(
    rd_spend: np.ndarray,
    mean_skill: np.ndarray,
    field_ratio: np.ndarray,
    rate: float,
    rd_elasticity: float,
    skill_elasticity: float,
    spillover_weight: float,
) -> np.ndarray:
    """Expected innovations per quarter (pure function).

    Args:
        rd_spend: R&D spending this quarter in 2018 researcher-cost ¥ (deflated by wages).
        mean_skill: Mean skill of the firm's talent.
        field_ratio: Knowledge field at the firm's cell over its 2018 reference.
        rate: Innovations per (¥1m)^elasticity.
        rd_elasticity: Elasticity to R&D.
        skill_elasticity: Elasticity to skill.
        spillover_weight: Weight of the knowledge field.

    Returns:
        λ per firm; exactly zero where R&D is zero.
    """
    rd = np.maximum(rd_spend, 0.0) / 1e6
    return (
        rate
        * np.power(rd, rd_elasticity)
        * np.power(mean_skill, skill_elasticity)
        * (1.0 + spillover_weight * np.log1p(field_ratio))
    )


def real_rd(model: CorridorModel, firm_idx: np.ndarray) -> np.ndarray:
    """R&D spending in 2018 researcher-cost yuan: deflated by the growth of the city's wage."""
    city = model.cell_city[model.firms.cell[firm_idx]]
    return model.firms.rd_spend[firm_idx] * model.wage_2018[city] / model.wage[city]


def expected_innovations(model: CorridorModel, firm_idx: np.ndarray, field: np.ndarray) -> np.ndarray:
    """λ of firms ``firm_idx`` given the knowledge field (see :func:`innovation_rate`)."""
    firms, ip = model.firms, model.cfg.innovation
    workers = firms.workers[firm_idx] + firms.workers_div[firm_idx]
    mean_skill = np.where(workers > 0, firms.eff[firm_idx] / np.maximum(workers, 1), 0.0)
    ratio = field[firms.cell[firm_idx]] / model.knowledge_reference
    return innovation_rate(
        real_rd(model, firm_idx),
        mean_skill,
        ratio,
        ip.patents_per_million,
        ip.rd_elasticity,
        ip.skill_elasticity,
        ip.spillover_weight,
    )


def innovate(model: CorridorModel, rng: np.random.Generator) -> None:
    """Draw this quarter's innovations, raise innovators' productivity, update the knowledge stock."""
    firms, ip = model.firms, model.cfg.innovation
    alive = firms.alive_index()
    field = knowledge_field(model)
    count = rng.poisson(expected_innovations(model, alive, field))
    firms.innovations[alive] = count
    innovated = alive[count > 0]
    firms.log_a[innovated] += ip.productivity_step
    firms.last_innovation[innovated] = model.t
    model.knowledge_stock *= 1.0 - ip.knowledge_depreciation
    model.knowledge_stock += np.bincount(firms.cell[alive], weights=count, minlength=model.n_cells)
    model.knowledge_field_now = field


def set_initial_stock(model: CorridorModel) -> None:
    """Start the stock of recent innovations at its steady state under 2018 R&D, and fix the
    field's reference, so that 2018 begins without a jump in innovation."""
    firms, ip = model.firms, model.cfg.innovation
    model.knowledge_stock = np.zeros(model.n_cells)
    set_reference(model)
    alive = firms.alive_index()
    for _ in range(3):
        lam = expected_innovations(model, alive, model.knowledge_field_now)
        rate = np.bincount(firms.cell[alive], weights=lam, minlength=model.n_cells)
        model.knowledge_stock = rate / max(ip.knowledge_depreciation, 1e-6)
        set_reference(model)


def set_reference(model: CorridorModel) -> None:
    """Fix the knowledge field's reference: its mean over 2018 firms' sites (weighted by labour)."""
    firms = model.firms
    alive = firms.alive_index()
    field = knowledge_field(model)
    model.knowledge_reference = float(np.average(field[firms.cell[alive]], weights=np.maximum(firms.eff[alive], 1e-9)))
    model.knowledge_field_now = field
