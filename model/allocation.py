"""Capacity-limited allocation and sampling, vectorised.

Jobs, homes and sites are scarce: many applicants may pick the same firm or cell. These pure
functions settle who gets in (first come in a random order, up to capacity) and draw candidate
options in proportion to weights, without a Python loop over agents.
"""

from __future__ import annotations

import numpy as np


def allocate(target: np.ndarray, demand: np.ndarray, capacity: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """Admit applicants to targets in priority order while the target has room.

    Args:
        target: Target index chosen by each applicant (-1: none).
        demand: Amount of capacity each applicant needs (e.g. 1 job, m² of floor).
        capacity: Capacity of each target.
        priority: Order of service within a target (lower first); pass uniform random numbers.

    Returns:
        Boolean array: True where the applicant was admitted. Within every target the admitted
        demand never exceeds its capacity.
    """
    target = np.asarray(target)
    accepted = np.zeros(target.shape, dtype=bool)
    applicants = np.flatnonzero(target >= 0)
    if applicants.size == 0:
        return accepted
    if np.ndim(demand) == 0 and float(demand) == 1.0:
        return _allocate_units(target, applicants, capacity, priority, accepted)
    order = applicants[np.lexsort((priority[applicants], target[applicants]))]
    t = target[order]
    d = np.broadcast_to(np.asarray(demand, dtype=float), target.shape)[order]
    cum = np.cumsum(d)
    starts = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
    lengths = np.diff(np.r_[starts, t.size])
    before_group = np.repeat(cum[starts] - d[starts], lengths)
    within = cum - before_group
    accepted[order[within <= capacity[t] * (1 + 1e-12) + 1e-9]] = True
    return accepted


def _allocate_units(
    target: np.ndarray, applicants: np.ndarray, capacity: np.ndarray, priority: np.ndarray, accepted: np.ndarray
) -> np.ndarray:
    """:func:`allocate` for applicants that each need one unit (a job, a home).

    The same decisions as the general path, sorting only the applicants of targets that are
    over-subscribed: with unit demand the running total within a target is the applicant's
    rank (exact in floating point), so a target whose applicants all fit admits them all.
    """
    t_all = target[applicants]
    limit = capacity * (1 + 1e-12) + 1e-9
    over = np.bincount(t_all, minlength=capacity.size) > limit
    fits = ~over[t_all]
    accepted[applicants[fits]] = True
    crowded = applicants[~fits]
    if crowded.size:
        order = crowded[np.lexsort((priority[crowded], target[crowded]))]
        t = target[order]
        starts = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
        rank = np.arange(1, t.size + 1) - np.repeat(starts, np.diff(np.r_[starts, t.size]))
        accepted[order[rank <= limit[t]]] = True
    return accepted


def sample_weighted(rng: np.random.Generator, weight: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
    """Indices drawn with replacement in proportion to ``weight`` (-1 if all weights are 0)."""
    total = float(weight.sum())
    if total <= 0:
        return np.full(size, -1, dtype=np.int64)
    cdf = np.cumsum(weight, dtype=float)
    draws = rng.random(size) * cdf[-1]
    if draws.size < weight.size:  # a few draws: building the guide table would cost more
        return np.minimum(np.searchsorted(cdf, draws, side="right"), weight.size - 1)
    return search_cdf(weight, cdf, draws)


GUIDE_BUCKETS = 4
"""Buckets of the guide table per item of positive weight (:func:`search_cdf`)."""


def search_cdf(weight: np.ndarray, cdf: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """``min(searchsorted(cdf, draws, side="right"), weight.size - 1)``, several times faster.

    A binary search per draw mispredicts a branch at every level; here a guide table (the
    first item past each of ``GUIDE_BUCKETS`` × items equal slices of the total) puts each draw
    at most a few items before its answer, and a vectorised forward scan finishes. Items of zero
    weight are never the answer (their cumulative weight equals their predecessor's), so the
    scan runs over the items of positive weight only. The result is exactly the binary
    search's, draw by draw.

    Args:
        weight: Non-negative weights, with a positive sum.
        cdf: ``np.cumsum(weight, dtype=float)``.
        draws: Uniform draws times ``cdf[-1]``, any shape.

    Returns:
        Item index of each draw, the shape of ``draws``.
    """
    nz = np.flatnonzero(weight > 0)
    pos = cdf[nz]  # equal to the cumulative sum over positive weights: adding 0.0 changes nothing
    total = float(cdf[-1])
    buckets = GUIDE_BUCKETS * nz.size
    guide = np.searchsorted(pos, np.arange(buckets + 1) * (total / buckets), side="right")
    flat = draws.reshape(-1)
    # one bucket lower than the draw's: a start never past the answer despite rounding
    start = (flat * (buckets / total)).astype(np.int64)
    np.clip(start - 1, 0, buckets, out=start)
    r = guide[start]
    ext = np.r_[pos, np.inf]
    active = np.flatnonzero(ext[r] <= flat)
    while active.size:
        r[active] += 1
        active = active[ext[r[active]] <= flat[active]]
    out = np.where(r >= nz.size, weight.size - 1, nz[np.minimum(r, nz.size - 1)])
    return out.reshape(draws.shape)


def sample_weighted_by_group(
    rng: np.random.Generator,
    group_of_agent: np.ndarray,
    item_group: np.ndarray,
    weight: np.ndarray,
    k: int,
    n_groups: int,
) -> np.ndarray:
    """For each agent, k items drawn in proportion to ``weight`` among items of the agent's group.

    Args:
        rng: Random generator.
        group_of_agent: Group (e.g. city) of each agent.
        item_group: Group of each item (e.g. city of each cell).
        weight: Weight of each item.
        k: Draws per agent.
        n_groups: Number of groups.

    Returns:
        (n_agents, k) item indices; -1 where the agent's group has no weight.
    """
    out = np.full((group_of_agent.size, k), -1, dtype=np.int64)
    for g in range(n_groups):
        agents = np.flatnonzero(group_of_agent == g)
        if agents.size == 0:
            continue
        items = np.flatnonzero(item_group == g)
        draws = sample_weighted(rng, weight[items], (agents.size, k))
        out[agents] = np.where(draws >= 0, items[np.maximum(draws, 0)], -1)
    return out
