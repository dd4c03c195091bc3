"""Parameter paths and a package's start quarter (model/timeline.py): validation that names the
key and the quarter, and paired runs in which a path changes results only from its start."""

from __future__ import annotations

import numpy as np
import pytest

from corridor_abm.app.settings import compose_config
from corridor_abm.model import timeline
from corridor_abm.model.config import Config
from corridor_abm.model.corridor import CorridorModel
from corridor_abm.model.params import ConfigError
from tests.conftest import TINY_SAMPLE


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("+paths.border.work_barrier_hk={2020Q5:6.0}", r"paths\.border\.work_barrier_hk: '2020Q5' is not a quarter"),
        ("+paths.border.work_barrier_hk={2017Q4:6.0}", r"paths\.border\.work_barrier_hk: quarter 2017Q4 is outside"),
        (
            "+paths.border.work_barrier_hk={2020Q1:-1.0}",
            r"paths\.border\.work_barrier_hk at 2020Q1: -1 is out of range",
        ),
        (
            "+paths.economy.mortgage_rate.sz={2021:0.9}",
            r"paths\.economy\.mortgage_rate\.sz at 2021Q1: 0\.9 is out of range",
        ),
        (
            "+paths.land.sz_supply={from:2026Q1,by:year,values:[1,2],until:2028Q4}",
            r"paths\.land\.sz_supply: 2 values from 2026Q1 to 2028Q4 by year; allowed: exactly 3",
        ),
        ("+paths.border.work_barrierhk={2020Q1:1.0}", r"paths\.border\.work_barrierhk: unknown key.*work_barrier_hk"),
        ("+paths.firms.size_tail={2020Q1:1.0}", r"paths\.firms\.size_tail: 'firms' cannot follow a path"),
        ("+paths.economy.mortgage_rate={2020Q1:0.05}", r"paths\.economy\.mortgage_rate: a path sets one value"),
        ("+paths.land.sz_supply={2020Q1:fast}", r"paths\.land\.sz_supply at 2020Q1: 'fast' is not a number"),
        ("package_start=2026Q7", r"package_start: '2026Q7' is not a quarter"),
    ],
)
def test_a_bad_path_is_rejected_naming_key_and_quarter(override, message):
    with pytest.raises(ConfigError, match=message):
        compose_config("baseline", [override])


def test_cross_field_rules_hold_under_the_values_of_every_quarter():
    """A path whose value breaks a cross-field rule only from some quarter is caught there."""
    cfg = compose_config("baseline", TINY_SAMPLE)
    cfg.paths = {"government": {"transfers_share": {"sz": {"2021Q1": 2.0}}}}
    with pytest.raises(ConfigError, match=r"transfers_share\.sz at 2021Q1"):
        timeline.check(cfg)


def test_paths_in_yaml_and_on_the_command_line_are_the_same():
    from_cli = compose_config("baseline", ["+paths.border.work_barrier_hk={2020Q1:6.0,2023Q1:1.2}"])
    assert timeline.parse_paths(from_cli.paths, Config) == [
        timeline.Path("border.work_barrier_hk", ((8, 6.0), (20, 1.2)))
    ]
    spec = {"land": {"sz_supply": {"from": "2026Q1", "by": "year", "values": [1.5, 2.0]}}}
    assert timeline.parse_paths(spec, Config)[0].points == ((32, 1.5), (36, 2.0))


def test_the_historical_scenario_validates_and_its_2018_values_are_the_defaults():
    cfg = compose_config("historical", TINY_SAMPLE)
    line = timeline.Timeline(cfg, None)
    first = line.config_at(0)
    assert first.transport.border_crossing_minutes == cfg.transport.border_crossing_minutes
    assert line.config_at(8).transport.border_crossing_minutes == 600.0  # 2020Q1
    assert line.config_at(20).transport.border_crossing_minutes == 30.0  # 2023Q1
    assert line.config_at(12).economy.credit_premium.sz > 0.0  # 2021Q1


def _city_quarter(scenario: str, extra: list[str]) -> np.ndarray:
    model = CorridorModel(compose_config(scenario, [*TINY_SAMPLE, "quarters=9", "seed=4", *extra]))
    model.run()
    table = model.tables()["city_quarter"]
    return table.select_dtypes("number").to_numpy()


def test_a_lever_path_changes_results_only_from_its_start_quarter():
    """Paired runs: a land and a border path from 2019Q3 (t = 6), and a mortgage-rate path; the
    tables agree exactly before 2019Q3 and differ from it on."""
    base = _city_quarter("baseline", [])
    path = _city_quarter(
        "baseline",
        [
            "+paths.land.sz_supply={2019Q3:3.0}",
            "+paths.border.work_barrier_hk={2019Q3:6.0}",
            "+paths.economy.mortgage_rate.sz={2019Q3:0.03}",
        ],
    )
    before, after = slice(0, 6 * 4), slice(6 * 4, None)  # four cities a quarter
    assert np.array_equal(base[before], path[before])
    assert not np.allclose(base[after], path[after])


def test_a_package_starts_at_its_quarter():
    """S4 with ``package_start=2019Q3`` is the baseline until 2019Q3 and the subsidy after."""
    base = _city_quarter("baseline", [])
    late = _city_quarter("s4_talent_subsidies", ["package_start=2019Q3"])
    assert np.array_equal(base[: 6 * 4], late[: 6 * 4])
    assert not np.allclose(base[6 * 4 :], late[6 * 4 :])


def test_economy_levels_follow_the_rates_in_force():
    """With constant rates the levels are the closed form; a growth path compounds year by year."""
    from corridor_abm.model.processes.markets import advance_economy, start_economy

    cfg = compose_config("baseline", TINY_SAMPLE)
    eco = start_economy(cfg, 0)

    class S:
        economy = eco

    for _ in range(8):
        advance_economy(S, cfg)
    assert np.allclose(S.economy.per_resident, cfg.economy.per_resident_growth(8))
    assert np.allclose(S.economy.residents, cfg.economy.residents_at(8))


def test_a_nominal_growth_path_shifts_the_firms_drift_by_the_pass_through():
    """``firms.nominal_pass_through``: where a city's nominal growth differs from its 2018Q1 value,
    its firms' log productivity moves by the pass-through times the log gap, a quarter's share of
    it, on top of the same drift and shocks; the other cities' firms, and every firm at the
    default pass-through of 0, are untouched to the bit."""
    import copy

    from corridor_abm.model.processes.production import update_productivity
    from corridor_abm.model.state import HK

    model = CorridorModel(compose_config("baseline", TINY_SAMPLE))
    s = model.state
    before = s.firms.log_a.copy()
    alive = s.firms.alive_index()
    hk = s.cells.city[s.firms.cell[alive]] == HK

    def step(pass_through: float, growth_hk: float) -> np.ndarray:
        cfg = copy.deepcopy(model.cfg)
        cfg.firms.nominal_pass_through = pass_through
        cfg.economy.nominal_growth.hk = growth_hk
        s.firms.log_a[:] = before
        update_productivity(s, cfg, np.random.default_rng(7))
        return s.firms.log_a[alive].copy()

    g_2018 = model.cfg.economy.nominal_growth.hk
    calibrated = step(0.0, g_2018)
    assert np.array_equal(step(0.0, -0.05), calibrated)
    assert np.array_equal(step(1.0, g_2018), calibrated)
    shifted = step(0.5, -0.05) - calibrated
    assert hk.any() and (~hk).any()
    assert np.allclose(shifted[hk], 0.5 * (np.log1p(-0.05) - np.log1p(g_2018)) / 4.0)
    assert np.array_equal(shifted[~hk], np.zeros((~hk).sum()))
