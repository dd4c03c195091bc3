"""City budgets (the fiscal rule, the borrowing limit) and housing demand (elasticities, the
agents' weight in the markets, capitalisation), against the baseline over paired seeds."""

from __future__ import annotations

import numpy as np

from corridor_abm.app.settings import compose_config
from corridor_abm.model.processes import markets
from corridor_abm.model.simulate import simulate
from tests.conftest import TINY_SAMPLE, small_config

# --------------------------------------------------------------------------------------------
# budgets


def test_governments_spend_about_their_revenue_and_reserves_stay_bounded(small_run):
    """On the baseline every city spends 85–115% of its revenue each year and ends each quarter
    with reserves between −1 and 3 years of trend revenue."""
    g = small_run.tables["government"].copy()
    revenue = g[[c for c in g.columns if c.startswith("revenue_")]].sum(axis=1)
    spending = g[[c for c in g.columns if c.startswith("spend_")]].sum(axis=1)
    g["year"] = g["quarter"].str[:4]
    yearly = g.assign(revenue=revenue, spending=spending).groupby(["city", "year"])[["revenue", "spending"]].sum()
    ratio = yearly["spending"] / yearly["revenue"]
    assert ratio.between(0.85, 1.15).all(), ratio
    years_of_revenue = g["reserves"] / (4.0 * g["trend_revenue"])
    assert years_of_revenue.between(-1.0, 3.0).all(), years_of_revenue.describe()
    assert (g["shortfall"] == 0).all(), "nothing on the baseline meets the budget constraint"


def test_an_expensive_package_meets_the_budget_constraint():
    """S8 (the documents' whole package): Shenzhen's levers displace its uncommitted spending,
    it borrows to its limit and then some of the package is refused (shortfall > 0)."""
    cfg = compose_config("s8_combined_package", [*TINY_SAMPLE, "quarters=12", "seed=2"])
    g = simulate(cfg).tables["government"]
    sz = g[g["city"] == "SZ"]
    assert (sz["shortfall"] > 0).any()
    assert (sz["reserves"] < 0).any()
    assert (sz["reserves"] >= -sz["credit_limit"] - sz["spend_debt_service"] - 1e-3).all()


# --------------------------------------------------------------------------------------------
# housing demand: pure kernels


def test_household_floor_has_the_declared_elasticities():
    h = markets.household_floor(
        30.0, np.array([100.0, 101.0, 100.0]), np.array([10.0, 10.0, 10.1]), 100.0, 10.0, 0.6, 0.7
    )
    assert h[0] == 30.0
    assert np.isclose(np.log(h[1] / h[0]) / np.log(1.01), 0.6)
    assert np.isclose(np.log(h[2] / h[0]) / np.log(1.01), -0.7)


def test_elastic_clearing_rent_clears_the_market():
    spend, use, cap, ref = np.array([5e6, 2e6]), np.array([1e5, 0.0]), np.array([2e6, 1e6]), np.array([3.0, 3.0])
    rent = markets.clearing_rent(spend, use, cap, 0.92, reference=ref, elasticity=0.6)
    ratio = markets.excess_demand_ratio(rent, spend, use, cap, 0.92, ref, 0.6)
    assert np.allclose(ratio, 1.0)
    assert np.allclose(markets.background_housing_demand(spend, rent, None, 1.0), spend / rent)


# --------------------------------------------------------------------------------------------
# housing demand: the agents' weight and capitalisation, over paired seeds


def _sz_late(tables, column: str, quarters: int) -> float:
    c = tables["city_quarter"]
    return float(c[(c["city"] == "SZ") & (c["t"] >= quarters - 2)][column].mean())


def test_a_small_and_a_five_times_larger_sample_give_the_same_rents():
    """The agents weigh in the markets for the population they stand for: a 2% and a 10% sample
    give the same Shenzhen residential rents and Huizhou house prices within the seeds' spread.
    (At these sizes and 8 quarters it passed under the cell-by-cell expectations too, whose bias
    the full population shows, README; the city-wide rule is tested in tests/test_markets.py.)"""
    quarters = 8
    out: dict[tuple[float, str], np.ndarray] = {}
    for share, n_firms, n_talent in ((0.02, 500, 5000), (0.1, 2500, 25000)):
        rents, prices = [], []
        for seed in (1, 2, 3):
            cfg = small_config(seed=seed, quarters=quarters, population_share=share, n_firms=n_firms, n_talent=n_talent)
            tables = simulate(cfg).tables
            rents.append(_sz_late(tables, "mean_residential_rent", quarters))
            c = tables["city_quarter"]
            prices.append(float(c[(c["city"] == "HZ") & (c["t"] >= quarters - 2)]["mean_house_price"].mean()))
        out[share, "rent"], out[share, "price"] = np.array(rents), np.array(prices)
    for what in ("rent", "price"):
        small, large = out[0.02, what], out[0.1, what]
        spread = max(np.ptp(small), np.ptp(large), 0.01 * large.mean())
        assert abs(small.mean() - large.mean()) <= 2.0 * spread, (what, small, large)


def test_a_talent_subsidy_capitalises_into_shenzhen_prices_more_without_new_housing():
    """S4 (¥77k a year to Shenzhen talent of skill ≥ 1.5) raises Shenzhen's residential rents
    above the baseline on every paired seed and its house prices on average; S4b (the same with
    4 million m² of talent housing a year) raises them less (here: lowers them). The
    capitalisation rate (README) is measured by scripts/capitalisation.py."""
    quarters = 12
    subsidy, housing, rents = [], [], []
    for seed in (1, 2, 3):
        base_tables = simulate(small_config(seed=seed, quarters=quarters)).tables
        base = _sz_late(base_tables, "mean_house_price", quarters)
        base_rent = _sz_late(base_tables, "mean_residential_rent", quarters)
        s4 = compose_config("s4_talent_subsidies", [f"seed={seed}", f"quarters={quarters}"])
        s4b = compose_config("s4_talent_subsidies_housing", [f"seed={seed}", f"quarters={quarters}"])
        for cfg in (s4, s4b):
            cfg.n_firms, cfg.n_talent, cfg.population_share = 2500, 25_000, 0.1
        with_subsidy = simulate(s4).tables
        subsidy.append(_sz_late(with_subsidy, "mean_house_price", quarters) / base - 1.0)
        rents.append(_sz_late(with_subsidy, "mean_residential_rent", quarters) / base_rent - 1.0)
        housing.append(_sz_late(simulate(s4b).tables, "mean_house_price", quarters) / base - 1.0)
    assert all(d > 0 for d in rents), rents
    assert np.mean(subsidy) > 0, subsidy
    assert np.mean(subsidy) > np.mean(housing) and all(s > h for s, h in zip(subsidy, housing)), (subsidy, housing)


def test_house_prices_in_huizhou_and_dongguan_follow_their_rents_with_anchored_expectations():
    """On the baseline Huizhou's and Dongguan's rents rise over 2018–2020; with owners'
    expectations anchored on income growth (the default) their house prices do not fall more
    than 10%, on each of three seeds. With adaptive expectations alone (the anchor's weight 0)
    the same runs show the collapse the anchor removes: expectations that start at the trend
    growth of incomes learn the slower growth of rents, and prices fall more than 15% (Huizhou's
    by about a third). Prices equal their user-cost value here (``market.price_adjustment`` 1), so
    the test reads the expectation rule alone (sticky prices spread the fall over more quarters)."""
    for seed in (1, 2, 3):
        for weight, check in ((0.5, lambda p: p > 0.9), (0.0, lambda p: p < 0.85)):
            cfg = small_config(seed=seed, quarters=10, market__expectation_anchor=weight, market__price_adjustment=1.0)
            cq = simulate(cfg).tables["city_quarter"]
            for city in ("HZ", "DG"):
                c = cq[cq["city"] == city].sort_values("t")
                rent = c["mean_residential_rent"].iloc[-1] / c["mean_residential_rent"].iloc[0]
                price = c["mean_house_price"].iloc[-1] / c["mean_house_price"].iloc[0]
                assert rent > 1.0, (seed, city, rent)
                assert check(price), (seed, weight, city, price)
