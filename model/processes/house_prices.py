"""House prices: the user-cost value of a home, owners' expected appreciation, and sticky prices.

Each quarter, after rents move (:func:`markets.clear_markets`), owners update the appreciation
they expect from their city's rent growth (anchored on the long-run growth of incomes, and with
``market.expectation_price_weight`` extrapolating the city's price growth); the value of a home
capitalises its rent at the user cost of owning (mortgage rate, depreciation, expected growth,
the city's risk premium and the credit premium of the rules in force); its price-to-rent ratio
moves a share ``market.price_adjustment`` of the way to the value's each quarter. House prices
enter land values and land-sale revenue; no choice of firms or talent reads them.

The parameters are ``market.*`` keys, declared with the rest of the market in
:class:`model.processes.markets.MarketParams`; the equations are in docs/ODD.md §7.8.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from corridor_abm.model.state import N_CITIES, State

if TYPE_CHECKING:
    from corridor_abm.model.config import Config

_TINY = 1e-9


# --------------------------------------------------------------------------------------------
# pure kernels


def house_price(
    quarterly_rent: np.ndarray,
    mortgage_rate: np.ndarray,
    depreciation: float,
    expected_growth: np.ndarray,
    min_user_cost: float,
    credit_premium: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Asset price per m²: annual rent over the user cost of owning.

    ``price = 4 × rent / (max(mortgage + depreciation − expected growth, min_user_cost) + premium)``:
    the premium (the city's ``market.risk_premium`` plus the ``economy.credit_premium`` of tighter
    property-credit rules) raises the cost of owning whatever owners expect.

    Returns:
        Price per m² per cell.
    """
    user_cost = np.maximum(mortgage_rate + depreciation - expected_growth, min_user_cost) + credit_premium
    return 4.0 * quarterly_rent / user_cost


def annualised_growth(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """A quarter's growth from ``old`` to ``new`` at an annual rate (per year)."""
    return np.power(new / np.maximum(old, _TINY), 4.0) - 1.0


def update_expectations(
    expected_growth: np.ndarray,
    old_rent: np.ndarray,
    new_rent: np.ndarray,
    smoothing: float,
    anchor: np.ndarray | float = 0.0,
    anchor_weight: float = 0.0,
    price_growth: np.ndarray | float = 0.0,
    price_weight: float = 0.0,
    bound: float | None = None,
) -> np.ndarray:
    """Expected annual appreciation (per year) learnt from the latest quarter's growth.

    ``expected ← (1 − s)·expected + s·[w·anchor + (1 − w)·clip(recent, ±b)]`` with
    ``recent = (1 − χ)·annualised rent growth + χ·price_growth``: adaptive expectations (w = 0)
    or anchored on a long-run growth (w > 0), whose long-run value under a constant realised
    growth g inside the bound is ``w·anchor + (1 − w)·g``; χ > 0 extrapolates past prices.
    """
    recent = annualised_growth(old_rent, new_rent)
    if price_weight > 0.0:
        recent = (1.0 - price_weight) * recent + price_weight * price_growth
    if bound is not None:
        recent = np.clip(recent, -bound, bound)
    learnt = recent if anchor_weight == 0.0 else anchor_weight * anchor + (1.0 - anchor_weight) * recent
    return (1.0 - smoothing) * expected_growth + smoothing * learnt


def sticky_price(
    old_price: np.ndarray, value: np.ndarray, adjustment: float, rent_growth: np.ndarray | float = 1.0
) -> np.ndarray:
    """This quarter's house price with a sticky price-to-rent ratio: the ratio closes the share λ
    of its log gap to the user-cost ratio each quarter, ``ln P' = ln a + λ·(ln V − ln a)`` with
    ``a = P·r'/r`` (last quarter's price moved with the cell's rent). Rents pass through at
    once; a change of the user cost (credit, rates, expectations) reaches prices over quarters.
    A cell without a price or rent last quarter takes its value.

    Args:
        old_price: Last quarter's price per m² (0 where the cell had no homes).
        value: The user-cost value per m² (``house_price``).
        adjustment: λ, per quarter (1 returns ``value``).
        rent_growth: r'/r, this quarter's rent over last quarter's, per cell (1 where unknown).
    """
    if adjustment >= 1.0:
        return value
    growth = np.broadcast_to(rent_growth, value.shape)
    priced = (old_price > 0) & (value > 0) & np.isfinite(growth) & (growth > 0)
    out = value.copy()
    asked = np.log(old_price[priced] * growth[priced])
    out[priced] = np.exp(asked + adjustment * (np.log(value[priced]) - asked))
    return out


def city_index(per_m2: np.ndarray, floor: np.ndarray, cell_city: np.ndarray) -> np.ndarray:
    """Each city's Σ floor × value per m² over its cells (a rent bill, ¥ per quarter, or a
    housing stock's worth, ¥), whose ratio between two quarters on the same floor is the city's
    rent or price growth."""
    return np.bincount(cell_city, weights=floor * per_m2, minlength=N_CITIES)


# --------------------------------------------------------------------------------------------
# the process


def reset_expectations(s: State, cfg: Config) -> None:
    """Owners' expected rent growth back to the economy's trend growth, and prices with it (at
    the end of the burn-in: the rent moves of a spin-up with agents held in place are not news
    owners learn from)."""
    s.cities.growth_anchor = cfg.economy.expected_growth()
    s.cities.expected_growth = s.cities.growth_anchor.copy()
    s.cities.price_growth = s.cities.growth_anchor.copy()
    s.cells.house_price = home_values(s, cfg)


def home_values(s: State, cfg: Config) -> np.ndarray:
    """Each cell's user-cost value of a home at today's rents, rates and expectations, ¥ per m²."""
    cells, mk = s.cells, cfg.market
    return house_price(
        cells.res_rent,
        np.array(cfg.economy.mortgage_rate.as_list())[cells.city],
        mk.depreciation,
        s.cities.expected_growth[cells.city],
        mk.min_user_cost,
        owning_premium(cfg)[cells.city],
    )


def owning_premium(cfg: Config) -> np.ndarray:
    """Premium on the user cost of owning per city, per year: the risk premium of the city plus
    the credit premium of the rules in force."""
    return np.array(cfg.market.risk_premium.as_list()) + np.array(cfg.economy.credit_premium.as_list())


def update_house_prices(s: State, cfg: Config, old_rent: np.ndarray, sticky: bool = True) -> None:
    """Expected appreciation learns from the latest change of the city's rent index (and, with
    ``market.expectation_price_weight``, its price index); prices move towards each cell's
    user-cost value (at once without ``sticky``, as while the 2018 markets are built)."""
    mk, cells = cfg.market, s.cells
    # owners read their city's rent index (floor-weighted), not their own cell's rent: in a
    # sample a cell's rent is noisy, and the user cost's floor turns that noise into a bias of
    # the city's mean price (a 10% sample priced Huizhou 1.8% below the full population)
    s.cities.expected_growth = update_expectations(
        s.cities.expected_growth,
        city_index(old_rent, cells.res_cap, cells.city),
        city_index(cells.res_rent, cells.res_cap, cells.city),
        mk.expectation_smoothing,
        s.cities.growth_anchor,
        mk.expectation_anchor,
        s.cities.price_growth,
        mk.expectation_price_weight,
        mk.expectation_bound,
    )
    value = home_values(s, cfg)
    old_price = cells.house_price
    with np.errstate(divide="ignore", invalid="ignore"):
        rent_growth = cells.res_rent / old_rent
    cells.house_price = sticky_price(old_price, value, mk.price_adjustment if sticky else 1.0, rent_growth)
    # the growth owners see next quarter: the city's price index on today's floor
    s.cities.price_growth = annualised_growth(
        city_index(old_price, cells.res_cap, cells.city),
        city_index(cells.house_price, cells.res_cap, cells.city),
    )
