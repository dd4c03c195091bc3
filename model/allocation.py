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


def sample_weighted(rng: np.random.Generator, weight: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
    """Indices drawn with replacement in proportion to ``weight`` (-1 if all weights are 0)."""
    total = float(weight.sum())
    if total <= 0:
        return np.full(size, -1, dtype=np.int64)
    cdf = np.cumsum(weight, dtype=float)
    draws = rng.random(size) * cdf[-1]
    return np.minimum(np.searchsorted(cdf, draws, side="right"), weight.size - 1)


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
