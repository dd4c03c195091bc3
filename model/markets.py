"""Floor-space markets: rents and house prices form from demand against capacity, per cell.

Two markets per cell, commercial and residential, work the same way. Demand has two parts:

* the modelled agents' floor use (firms: floor per worker × workers; talent: floor per
  household), which is fixed in the short run, and
* the rest of the economy (the 'background'), which spends a share of its income or output on
  floor space, so its demand in m² is ``spend / rent`` (unit-elastic, Cobb–Douglas).

Each quarter the rent moves toward the rent that clears the market at the target occupancy
(tâtonnement with a capped step). House prices capitalise the residential rent at a user cost
that falls with the appreciation owners expect, learnt adaptively from past rent growth.

These are pure functions of arrays: no state, no random numbers.
"""

from __future__ import annotations

import numpy as np

_TINY = 1e-9


def excess_demand_ratio(
    rent: np.ndarray,
    background_spend: np.ndarray,
    modelled_use: np.ndarray,
    capacity: np.ndarray,
    target_occupancy: float,
) -> np.ndarray:
    """Demand over occupied-at-target supply; 1 means the market clears.

    Args:
        rent: Current rent per m² per quarter.
        background_spend: Background spending on floor space per quarter (¥).
        modelled_use: Floor used by modelled agents (m²).
        capacity: Floor space (m²).
        target_occupancy: Occupancy at which rents are stable.

    Returns:
        Ratio per cell (NaN where capacity is zero).
    """
    demand = background_spend / np.maximum(rent, _TINY) + modelled_use
    supply = target_occupancy * capacity
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(capacity > 0, demand / supply, np.nan)


def update_rent(
    rent: np.ndarray,
    background_spend: np.ndarray,
    modelled_use: np.ndarray,
    capacity: np.ndarray,
    target_occupancy: float,
    speed: float,
    max_change: float,
) -> np.ndarray:
    """One quarter of rent adjustment: ``rent × ratio**speed``, the step capped at ±max_change.

    Cells without floor space keep their rent (it is a notional asking rent there).

    Returns:
        The new rent per cell (positive and finite wherever the old one was).
    """
    ratio = excess_demand_ratio(rent, background_spend, modelled_use, capacity, target_occupancy)
    factor = np.where(np.isfinite(ratio), np.power(np.maximum(ratio, _TINY), speed), 1.0)
    factor = np.clip(factor, 1.0 - max_change, 1.0 + max_change)
    return rent * factor


def clearing_rent(
    background_spend: np.ndarray,
    modelled_use: np.ndarray,
    capacity: np.ndarray,
    target_occupancy: float,
    max_modelled_share: float = 0.8,
) -> np.ndarray:
    """Rent at which demand equals supply at the target occupancy (closed form).

    ``spend / r + use = occ × cap``  ⇒  ``r = spend / (occ × cap − use)``. The modelled use is
    capped at ``max_modelled_share`` of the occupied supply so the rent stays finite; the
    tâtonnement takes over from there.

    Returns:
        Rent per cell (NaN where capacity is zero).
    """
    supply = target_occupancy * capacity
    free = np.maximum(supply - modelled_use, (1.0 - max_modelled_share) * supply)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(capacity > 0, background_spend / free, np.nan)


def house_price(
    quarterly_rent: np.ndarray,
    mortgage_rate: np.ndarray,
    depreciation: float,
    expected_growth: np.ndarray,
    min_user_cost: float,
) -> np.ndarray:
    """Asset price per m²: annual rent over the user cost of owning.

    ``price = 4 × rent / max(mortgage + depreciation − expected growth, min_user_cost)``.

    Returns:
        Price per m² per cell.
    """
    user_cost = np.maximum(mortgage_rate + depreciation - expected_growth, min_user_cost)
    return 4.0 * quarterly_rent / user_cost


def update_expectations(
    expected_growth: np.ndarray, old_rent: np.ndarray, new_rent: np.ndarray, smoothing: float
) -> np.ndarray:
    """Adaptive expectations of annual rent growth from the latest quarter's growth."""
    annualised = np.power(new_rent / np.maximum(old_rent, _TINY), 4.0) - 1.0
    return (1.0 - smoothing) * expected_growth + smoothing * annualised


def spread_by_weight(city_total: np.ndarray, cell_city: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Spread each city's total over its cells in proportion to ``weight``.

    Args:
        city_total: One total per city.
        cell_city: City index of each cell.
        weight: Non-negative weight per cell.

    Returns:
        Per-cell share of the city total (zero where the city's weights sum to zero).
    """
    sums = np.bincount(cell_city, weights=weight, minlength=len(city_total))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(sums[cell_city] > 0, weight / sums[cell_city], 0.0)
    return np.asarray(city_total)[cell_city] * share
