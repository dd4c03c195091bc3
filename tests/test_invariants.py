"""Invariants that must hold after every quarter."""

from __future__ import annotations

import numpy as np
import pytest

from corridor_abm.model import views
from corridor_abm.model.corridor import CorridorModel
from tests.conftest import small_config


def assert_invariants(model: CorridorModel) -> None:
    s = model.state
    firms, talent, cells = s.firms, s.talent, s.cells
    alive_t = talent.alive_index()
    emp = talent.employer[alive_t]
    employed = emp >= 0
    # a talent works for at most one firm, and that firm is alive
    assert (emp[employed] < firms.n).all()
    assert firms.alive[emp[employed]].all(), "a talent works for a firm that exited"
    assert (talent.employer[~talent.alive] == -1).all(), "a departed talent still holds a job"
    # headcounts agree with the talent arrays
    counts = np.bincount(emp[employed], minlength=firms.n)
    assert np.array_equal(counts, firms.workers + firms.workers_div)
    # everyone lives somewhere, in a cell with residential floor
    assert (talent.home[alive_t] >= 0).all()
    assert (cells.res_cap[talent.home[alive_t]] > 0).all()
    # floor space used never exceeds capacity
    com_use, res_use = views.floor_use(s)
    assert (com_use <= cells.com_cap * (1 + 1e-9) + 1e-6).all(), "commercial floor over capacity"
    assert (res_use <= cells.res_cap * (1 + 1e-9) + 1e-6).all(), "residential floor over capacity"
    # prices positive and finite wherever there is floor space
    for name, price, cap in (
        ("commercial rent", cells.com_rent, cells.com_cap),
        ("residential rent", cells.res_rent, cells.res_cap),
        ("house price", cells.house_price, cells.res_cap),
    ):
        values = price[cap > 0]
        assert np.isfinite(values).all() and (values > 0).all(), name
    assert np.isfinite(s.cities.wage).all() and (s.cities.wage > 0).all()
    # firms sit on cells with commercial floor; divisions are elsewhere
    alive_f = firms.alive_index()
    assert (cells.com_cap[firms.cell[alive_f]] > 0).all()
    div = firms.div_cell[alive_f]
    assert (div[div >= 0] != firms.cell[alive_f][div >= 0]).all()


def test_invariants_hold_every_quarter():
    model = CorridorModel(small_config(quarters=10, seed=5))
    assert_invariants(model)
    for _ in range(10):
        model.step()
        assert_invariants(model)


def test_invariants_hold_when_land_runs_out():
    model = CorridorModel(small_config(quarters=8, seed=6, land__sz_supply=0.0, land__dg_supply=0.0))
    for _ in range(8):
        model.step()
        assert_invariants(model)


def test_table_counts_equal_agent_counts():
    model = CorridorModel(small_config(quarters=4, seed=7))
    model.run()
    tables = model.tables()
    last = tables["city_quarter"][tables["city_quarter"]["t"] == model.t - 1]
    assert int(last["firms"].sum()) == model.state.firms.count
    assert int(last["talent_agents"].sum()) == model.state.talent.count
    sizes = last[["firms_small", "firms_medium", "firms_large"]].sum(axis=1)
    sectors = last[
        [
            c
            for c in last.columns
            if c.startswith("firms_") and c.split("_")[1] in ("manufacturing", "electronics", "software", "biotech")
        ]
    ].sum(axis=1)
    assert (sizes.to_numpy() == last["firms"].to_numpy()).all()
    assert (sectors.to_numpy() == last["firms"].to_numpy()).all()
    classes = tables["firms_by_class"]
    assert classes[classes["t"] == model.t - 1]["firms"].sum() == model.state.firms.count
    talent = last["talent"].to_numpy()
    assert np.allclose(talent, last["talent_agents"].to_numpy() * model.state.talent_scale)


def test_relocation_log_matches_city_table(small_run):
    city = small_run.tables["city_quarter"]
    rel = small_run.tables["relocations"]
    cross = rel[(rel["from_city"] != rel["to_city"]) & (rel["kind"] == "whole firm")]
    assert len(cross) == int(city["relocations_out"].sum()) == int(city["relocations_in"].sum())
    for code in ("HK", "SZ", "DG", "HZ"):
        assert (cross["from_city"] == code).sum() == city.loc[city["city"] == code, "relocations_out"].sum()


@pytest.mark.parametrize("table", ["city_quarter", "firms_by_class", "relocations", "snapshots", "cells"])
def test_tables_have_no_missing_values_in_key_columns(small_run, table):
    frame = small_run.tables[table]
    assert len(frame) > 0 or table == "relocations"
    for col in ("quarter", "city", "cell", "firm"):
        if col in frame.columns:
            assert frame[col].notna().all()


def test_baseline_house_prices_order_hong_kong_shenzhen_dongguan_huizhou(small_run):
    """Digest §3: new-home prices rank Hong Kong ≫ Shenzhen ≫ Dongguan > Huizhou."""
    city = small_run.tables["city_quarter"]
    for _, rows in city.groupby("quarter"):
        price = rows.set_index("city")["mean_house_price"]
        assert price["HK"] > price["SZ"] > 2 * price["DG"] and price["DG"] > price["HZ"]
