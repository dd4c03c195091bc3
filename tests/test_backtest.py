"""The backtest command: every observed point is compared with the model's band, the summary
counts what the table says, and the run is complete with its figure in the chosen format."""

from __future__ import annotations

import numpy as np
import pandas as pd

from corridor_abm.app.backtest import backtest_mode
from corridor_abm.app.settings import compose_config
from corridor_abm.model.runio import is_complete

TINY = [
    "mode=backtest",
    "scenario=historical",
    "backtest.seeds=2",
    "backtest.n_firms=600",
    "backtest.n_talent=6000",
    "backtest.population_share=0.025",
    "output.format=svg",
]


def test_backtest_compares_every_observation_and_summarises_it(tmp_path):
    backtest_mode(compose_config("baseline", TINY), tmp_path)
    assert is_complete(tmp_path) and (tmp_path / "backtest.svg").is_file() and (tmp_path / "backtest.md").is_file()
    table = pd.read_csv(tmp_path / "backtest.csv")
    assert len(table) > 20 and (table["seeds"] == 2).all()
    assert (table["model_p05"] <= table["model_median"]).all() and (table["model_median"] <= table["model_p95"]).all()
    inside = (table["observed"] >= table["model_p05"]) & (table["observed"] <= table["model_p95"])
    assert (table["in_band"] == inside).all()
    assert np.allclose(table["log_error"], np.log(table["model_median"] / table["observed"]))
    summary = pd.read_csv(tmp_path / "backtest_summary.csv")
    counts = table.groupby(["series", "city"])["in_band"].agg(["size", "sum"]).reset_index()
    merged = summary.merge(counts, on=["series", "city"])
    assert len(merged) == len(summary) == len(counts)
    assert (merged["observations"] == merged["size"]).all() and (merged["in_band"] == merged["sum"]).all()


def test_historical_credit_rules_turn_shenzhen_house_prices_gradually():
    """The historical scenario's property-credit premium (from 2021Q1, a path of an exogenous
    driver, not of prices) turns Shenzhen's house prices down after 2020 on each of two seeds:
    with sticky prices (the default) by at most 5% in any quarter, with prices at their
    user-cost value (``market.price_adjustment=1``) by a fifth or more within 2021."""
    from corridor_abm.model.simulate import simulate

    sample = ["n_firms=600", "n_talent=6000", "population_share=0.025", "quarters=16", "output.progress=false"]
    for seed in (1, 2):
        for adjustment in (0.1, 1.0):
            cfg = compose_config("historical", [*sample, f"seed={seed}", f"market.price_adjustment={adjustment}"])
            cq = simulate(cfg).tables["city_quarter"]
            sz = cq[cq["city"] == "SZ"].set_index("quarter")["mean_house_price"]
            steps = np.log(sz.loc["2020Q4":"2021Q4"].to_numpy())
            assert sz["2021Q4"] < sz["2020Q4"], (seed, adjustment)  # the turn
            if adjustment < 1.0:
                assert np.diff(steps).min() > np.log(0.95), (seed, np.diff(steps))
            else:
                assert steps[-1] - steps[0] < np.log(0.8), (seed, steps)
