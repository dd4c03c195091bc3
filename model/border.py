"""The Hong Kong–mainland border: which trips cross it, the route and time of a crossing, and the
four frictions on what crosses it (talent, capital, knowledge, goods).

Every process asks this module; none re-derives a crossing. A cell pair crosses the border when
exactly one of its cells is in Hong Kong (:func:`crosses`). Trips that cross go through the
nearest useful land crossing and lose ``transport.border_crossing_minutes`` there
(:func:`via_crossing_km`, :func:`crossing_delay`).

The frictions (lever L3, group ``border``):

* **talent** — a barrier in utility for working (:func:`work_barrier`) or living
  (:func:`residence_barrier`) on the other side from one's origin;
* **firms** — moving a firm or division across the border multiplies its moving cost
  (:func:`relocation_barrier`);
* **capital** — the share of a fund's reach lost across the border (:func:`capital_friction`);
* **knowledge** — the share of a spillover lost across the border (:func:`knowledge_pass`);
* **goods** — the share of traded output lost at the crossing; the haul to it is an ordinary
  transport cost (:func:`goods_cost_share`).

The cooperation zones (Qianhai, Hetao; all on the Shenzhen side) lower a friction by
``border.zone_friction_factor``, by one rule for every friction (:func:`zone_factor`): **a
crossing pays friction × zone factor when its mainland end lies in a zone.** The mainland end is
the job of a Hong Kong talent working on the mainland, the home of a Hong Kong talent living on
the mainland, the mainland site of a firm moving across the border, the mainland side of a fund
and its portfolio firm (the firm, or the fund's office), the mainland cell of a knowledge flow,
and the mainland firm whose goods cross. Where a crossing has no mainland cell (a mainland
talent's job or home in Hong Kong, a Hong Kong firm's goods) nothing is reduced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from corridor_abm.agents.talent import ORIGIN_HK
from corridor_abm.model.params import PerSector, param, per_sector
from corridor_abm.model.state import HK

if TYPE_CHECKING:
    from corridor_abm.model.geography import CorridorMap, TransportParams


@dataclass
class BorderParams:
    """Frictions between Hong Kong and the mainland (lever L3)."""

    work_barrier_hk: float = param(
        1.2,
        "log-income",
        "Barrier for a talent not from Hong Kong to take a Hong Kong job (permits, quotas)",
        "seed 001/003 (administrative barriers to talent flow)",
        lo=0.0,
        hi=20.0,
    )
    work_barrier_mainland: float = param(
        0.15,
        "log-income",
        "Barrier for a Hong Kong talent to take a mainland job (tax, social insurance)",
        "seed 001 (HK youth start-up subsidies cover rent, tax, insurance)",
        lo=0.0,
        hi=20.0,
    )
    firm_relocation_barrier: float = param(
        6.0,
        "× moving cost",
        "Multiplier on the cost of moving a firm or division across the HK–mainland border "
        "(new legal entity, licences, visas)",
        "seed 001/003 (institutional barriers between HK and Shenzhen)",
        lo=1.0,
        hi=100.0,
    )
    capital_friction: float = param(
        0.5,
        "share",
        "Capital friction: how much of a fund's reach is lost across the HK–mainland border (1 = no cross-border VC)",
        "seed 001 (HK capital financed Shenzhen start-ups), seed 004 (cross-border finance)",
        lo=0.0,
        hi=1.0,
    )
    knowledge_friction: float = param(
        0.6,
        "share",
        "Knowledge friction: how much of a spillover is lost across the border (1 = none crosses)",
        "seed 001 (HK research, Shenzhen commercialisation), seed 003",
        lo=0.0,
        hi=1.0,
    )
    goods_friction: float = param(
        0.02,
        "share of traded value",
        "Goods friction: share of the value of goods crossing the HK–mainland border lost at the "
        "crossing (customs, compliance, queues); the haul to the crossing is a transport cost "
        "(transport.haul_cost_per_hour)",
        "approx. public figure (World Bank Doing Business: border compliance ≈ 0.7% of a shipment's "
        "value; Hummels & Schaur 2013: delay 0.6–2.1% of value per day); seed 001 (HK as super-connector)",
        lo=0.0,
        hi=1.0,
    )
    trade_share: PerSector = param(
        per_sector(0.30, 0.50, 0.05, 0.15),
        "share of output",
        "Share of a firm's output traded through the HK–mainland border",
        "seed 001 (chips, sensors, displays imported via HK; Shenzhen–HK trade ¥726.6bn)",
        lo=0.0,
        hi=1.0,
    )
    zone_friction_factor: float = param(
        0.4,
        "× friction",
        "Multiplier on every border friction for jobs, firms and knowledge in the Qianhai and Hetao cooperation zones",
        "seeds 001, 003, 004 (Qianhai, Hetao cooperation zones)",
        lo=0.0,
        hi=1.0,
    )
    residence_barrier_hk: float = param(
        1.5,
        "log-income",
        "Barrier for a talent not from Hong Kong to live in Hong Kong",
        "seed 001/003",
        lo=0.0,
        hi=20.0,
    )
    residence_barrier_mainland: float = param(
        0.3,
        "log-income",
        "Barrier for a Hong Kong talent to live on the mainland",
        "seed 001 (~220k HK residents enter Shenzhen per day)",
        lo=0.0,
        hi=20.0,
    )


# --------------------------------------------------------------------------------------------
# which trips cross, and how


def crosses(city_a: np.ndarray, city_b: np.ndarray) -> np.ndarray:
    """True where one end is in Hong Kong and the other on the mainland (broadcasting)."""
    return (np.asarray(city_a) == HK) != (np.asarray(city_b) == HK)


def in_zone(cmap: CorridorMap, cells: np.ndarray) -> np.ndarray:
    """True for cells in a cooperation zone (Qianhai, Hetao)."""
    return cmap.special_zone[cells] >= 0


def mainland_end(cmap: CorridorMap, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The mainland cell of each pair ``(a, b)`` of cells (broadcasting): ``b`` where ``a`` is in
    Hong Kong, else ``a``."""
    return np.where(cmap.city[a] == HK, b, a)


def zone_factor(border: BorderParams, cmap: CorridorMap, mainland_cell: np.ndarray) -> np.ndarray:
    """The rule of every friction: ``zone_friction_factor`` where the crossing's mainland end
    lies in a cooperation zone, else 1 (pass -1 where a crossing has no mainland cell)."""
    # one gather in a per-cell table whose extra last entry (1) is what index -1 reads
    table = np.ones(cmap.n_cells + 1)
    table[:-1][cmap.special_zone >= 0] = border.zone_friction_factor
    return table[mainland_cell]


def via_crossing_km(cmap: CorridorMap, x: np.ndarray, y: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Length of the shortest route from ``src`` to ``dst`` cells through a land crossing, km.

    Args:
        cmap: The map (its ``crossing_xy``).
        x: float32 x of every cell, km.
        y: float32 y of every cell, km.
        src: Origin cells of crossing trips.
        dst: Destination cells (same shape).

    Returns:
        float32 km, shape of ``src``.
    """
    via = np.full(src.shape, np.inf, dtype=np.float32)
    for cx, cy in cmap.crossing_xy.astype(np.float32):
        leg = np.hypot(x[src] - cx, y[src] - cy) + np.hypot(cx - x[dst], cy - y[dst])
        via = np.minimum(via, leg)
    return via


def crossing_delay(transport: TransportParams, crossing: np.ndarray) -> np.ndarray:
    """Minutes lost at a crossing (queues, customs) on each trip that crosses, float32."""
    return np.float32(transport.border_crossing_minutes) * crossing


# --------------------------------------------------------------------------------------------
# frictions


def work_barrier(
    border: BorderParams, cmap: CorridorMap, origin: np.ndarray, job_city: np.ndarray, job_cell: np.ndarray
) -> np.ndarray:
    """Utility barrier of working on the other side from one's origin, log-income.

    Talent not from Hong Kong pay ``work_barrier_hk`` for a Hong Kong job; Hong Kong talent pay
    ``work_barrier_mainland`` for a mainland job, less in a zone (the job is the mainland end).
    """
    from_hk = origin == ORIGIN_HK
    barrier = np.where(
        job_city == HK,
        np.where(from_hk, 0.0, border.work_barrier_hk),
        np.where(from_hk, border.work_barrier_mainland, 0.0),
    )
    return barrier * zone_factor(border, cmap, np.where(job_city == HK, -1, job_cell))


def residence_barrier(
    border: BorderParams, cmap: CorridorMap, origin: np.ndarray, home_city: np.ndarray, home_cell: np.ndarray
) -> np.ndarray:
    """Utility barrier of living on the other side from one's origin, log-income.

    Talent not from Hong Kong pay ``residence_barrier_hk`` to live in Hong Kong; Hong Kong
    talent pay ``residence_barrier_mainland`` to live on the mainland, less in a zone (the home
    is the mainland end).
    """
    from_hk = origin == ORIGIN_HK
    barrier = np.where(
        home_city == HK,
        np.where(from_hk, 0.0, border.residence_barrier_hk),
        np.where(from_hk, border.residence_barrier_mainland, 0.0),
    )
    return barrier * zone_factor(border, cmap, np.where(home_city == HK, -1, home_cell))


def side_barrier_table(
    border: BorderParams, cmap: CorridorMap, hk_barrier: float, mainland_barrier: float
) -> np.ndarray:
    """Per cell, the barrier of :func:`work_barrier` (or :func:`residence_barrier`) for a job
    (or home) there: row 0 for talent not from Hong Kong, row 1 for Hong Kong talent. Reading
    it at ``[origin is HK, cell]`` gives the functions' values to the bit, in one gather.

    Args:
        border: The border parameters.
        cmap: The map.
        hk_barrier: Barrier for talent not from Hong Kong on the Hong Kong side.
        mainland_barrier: Barrier for Hong Kong talent on the mainland (less in a zone).

    Returns:
        (2, n_cells) barriers, log-income.
    """
    in_hk = cmap.city == HK
    factor = zone_factor(border, cmap, np.where(in_hk, -1, np.arange(cmap.n_cells)))
    return np.stack([np.where(in_hk, hk_barrier, 0.0) * factor, np.where(in_hk, 0.0, mainland_barrier) * factor])


def relocation_barrier(
    border: BorderParams, cmap: CorridorMap, from_cell: np.ndarray, to_cell: np.ndarray
) -> np.ndarray:
    """Multiplier on the cost of moving a firm or division: a new legal entity, licences and
    visas when the move crosses the border (less when its mainland site lies in a zone); 1 for
    a move within one side."""
    city = cmap.city
    barrier = 1.0 + (border.firm_relocation_barrier - 1.0) * zone_factor(
        border, cmap, mainland_end(cmap, from_cell, to_cell)
    )
    return np.where(crosses(city[from_cell], city[to_cell]), barrier, 1.0)


def capital_friction(
    border: BorderParams, cmap: CorridorMap, firm_cell: np.ndarray, office_cell: np.ndarray | int | None = None
) -> np.ndarray:
    """Share of a fund's reach lost across the border, for firms at ``firm_cell`` and a fund
    office at ``office_cell``, less where the pair's mainland end lies in a zone. Without an
    office the other end is in Hong Kong (a listing there) and the firm is the mainland end.
    Apply it to pairs that cross the border only."""
    if office_cell is None:
        mainland = np.where(cmap.city[firm_cell] == HK, -1, firm_cell)
    else:
        mainland = mainland_end(cmap, firm_cell, office_cell)
    return border.capital_friction * zone_factor(border, cmap, mainland)


def knowledge_pass(border: BorderParams, cmap: CorridorMap) -> np.ndarray:
    """Share of a cell-to-cell spillover that survives the border (1 within a side), float32.

    Returns:
        (n, n) matrix, receiving cell × emitting cell.
    """
    cells = np.arange(cmap.n_cells)
    crossing = crosses(cmap.city[:, None], cmap.city[None, :])
    factor = zone_factor(border, cmap, mainland_end(cmap, cells[:, None], cells[None, :]))
    return np.where(crossing, 1.0 - border.knowledge_friction * factor, 1.0).astype(np.float32)


def goods_cost_share(
    border: BorderParams, transport: TransportParams, cmap: CorridorMap, haul_minutes: np.ndarray
) -> np.ndarray:
    """Share of output lost moving traded goods through the border, per cell and sector.

    The traded share of output (``border.trade_share``) pays the friction at the crossing
    (``border.goods_friction``, less for firms in a zone) plus the haul to the crossing, an
    ordinary transport cost (``transport.haul_cost_per_hour`` × hours of haul,
    :func:`model.geography.haul_minutes`, which answers the transport levers):

        share[i, s] = trade_share[s] × (goods_friction × zone factor[i] + haul_cost_per_hour × haul hours[i])

    Returns:
        (n_cells, n_sectors) shares, clipped to [0, 0.9].
    """
    cells = np.arange(cmap.n_cells)
    friction = border.goods_friction * zone_factor(border, cmap, np.where(cmap.city == HK, -1, cells))
    haul = transport.haul_cost_per_hour * haul_minutes / 60.0
    share = (friction + haul)[:, None] * np.array(border.trade_share.as_list())[None, :]
    return np.clip(share, 0.0, 0.9)
