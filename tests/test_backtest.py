"""The backtest command: every observed point is compared with the model's band, the summary
counts what the table says, and the run is complete with its figure in the chosen format."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from corridor_abm.app.backtest import backtest_mode
from corridor_abm.app.settings import compose_config
from corridor_abm.model.params import ConfigError
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


def test_decomposition_shares_start_with_their_paths_and_the_run_without_paths_is_the_baseline(tmp_path):
    """``backtest.decompose``: each driver's share is exactly 0 before its path's first quarter
    (a path changes nothing before it), the closure's share of the 2021 crossings is a collapse,
    and the runs without any path are the baseline scenario's runs on the same seeds, to the bit."""
    from corridor_abm.app.backtest import backtest_table, drivers

    short = [*TINY, "backtest.seeds=1", "backtest.quarters=16", "backtest.decompose=true"]
    settings = compose_config("historical", short)
    backtest_mode(settings, tmp_path)
    parts = pd.read_csv(tmp_path / "backtest_decomposition.csv", dtype={"period": str})
    assert (tmp_path / "backtest_decomposition.md").is_file() and is_complete(tmp_path)
    assert (tmp_path / "backtest.svg").is_file()  # drawn with the paths' changes and the runs without them
    names = drivers(settings.paths)
    assert {"transport.border_crossing_minutes", "economy.credit_premium", "economy.nominal_growth"} <= set(names)
    year = parts["period"].str[:4].astype(int)
    # the closure from 2020Q1, the credit premium from 2021Q1, the other drivers from 2019
    assert (parts.loc[year <= 2019, "transport.border_crossing_minutes"] == 0.0).all()
    assert (parts.loc[year <= 2020, "economy.credit_premium"] == 0.0).all()
    assert (parts.loc[year >= 2020, "transport.border_crossing_minutes"] != 0.0).any()
    crossings_2021 = parts[(parts["series"] == "crossings") & (parts["period"] == "2021")].iloc[0]
    assert crossings_2021["transport.border_crossing_minutes"] < np.log(0.1)
    assert crossings_2021["all_paths"] < np.log(0.1)
    on_baseline = [o.replace("scenario=historical", "scenario=baseline") for o in short[:-1]]
    baseline = backtest_table(compose_config("baseline", on_baseline))
    merged = parts.merge(baseline, on=["series", "city", "period"])
    assert len(merged) == len(parts) > 10
    assert (merged["without_paths"] == merged["model_median"]).all()


def test_decomposing_a_scenario_without_paths_is_refused_before_anything_is_written(tmp_path):
    from corridor_abm.app.preflight import check_job

    out = tmp_path / "out"
    with pytest.raises(ConfigError, match=r"backtest\.decompose = true: scenario 'baseline' has no paths"):
        check_job(compose_config("baseline", ["mode=backtest", "backtest.decompose=true"]), out, "hint")
    assert not out.exists()
    check_job(
        compose_config("historical", ["mode=backtest", "scenario=historical", "backtest.decompose=true"]), out, "hint"
    )
