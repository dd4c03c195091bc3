"""Calibration building blocks without simulations: targets and parameters files, moments on
hand-made tables, the MSM loss and its weights, differential evolution and its checkpoint."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from corridor_abm.app.settings import from_hydra
from corridor_abm.calibration import de
from corridor_abm.calibration.calibrate import calibrated_yaml
from corridor_abm.calibration.loss import MISSING_PENALTY, loss_terms, msm_loss, simulation_sd, weights
from corridor_abm.calibration.moments import (
    CITIES,
    MomentContext,
    compute_moments,
    compute_outcomes,
    covered_years,
    window_covered,
)
from corridor_abm.calibration.spec import Z90, Target, apply_values, flatten, get_value, load_parameters, load_targets
from corridor_abm.model.config import Config
from corridor_abm.model.params import config_keys
from corridor_abm.model.tables import CITY_COLUMNS, DEAL_COLUMNS

SEED_FILE = re.compile(r"00[0-4]_[0-9a-f]{16}\.txt")


# ------------------------------------------------------------------------------------------
# targets and parameters files


def test_targets_file_has_the_required_targets_with_bands_years_and_sources():
    targets = load_targets()
    by_moment = {(t.moment, t.city) for t in targets}
    for city in CITIES:  # relative city sizes: talent, firms, output
        for moment in ("talent_share", "firm_share", "output_share"):
            assert (moment, city) in by_moment
    for needed in (
        ("house_price_ratio", "HK"),
        ("house_price_ratio", "DG"),
        ("house_price_ratio", "HZ"),
        ("rd_intensity", "SZ"),
        ("st_workers_per_100", "SZ"),
        ("hightech_firms_count", "SZ"),
        ("hk_share_external_vc", "SZ"),
        ("daily_crossings", ""),
        ("vc_amount", "SZ"),
        ("vc_deals", "SZ"),
        ("house_price_ordering", ""),
        ("out_move_rate_small", "SZ"),
        ("out_move_rate_above", "SZ"),
        ("out_move_share_dg", "SZ"),
        ("wage_growth", "SZ"),
        ("net_talent_inflow", "SZ"),
    ):
        assert needed in by_moment, needed
    sz_rd = next(t for t in targets if t.moment == "rd_intensity" and t.city == "SZ")
    assert sz_rd.value == pytest.approx(0.042) and sz_rd.kind == "seed"
    for t in targets:
        assert t.low <= t.value <= t.high and 1990 <= t.year <= 2030 and t.source
        if t.kind == "seed":  # seed figures name the seed file
            assert SEED_FILE.search(t.source), t.name
        elif t.kind == "assumption":  # no public figure: said so
            assert t.source.startswith("assumption"), t.name
        else:
            assert "approx. public figure" in t.source, t.name


def test_bad_target_rows_are_refused(tmp_path):
    frame = pd.read_csv("calibration/targets.csv", keep_default_na=False)
    frame.loc[0, "value"] = frame.loc[0, "high"] * 2
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(ValueError, match="within"):
        load_targets(tmp_path / "t.csv")


def test_parameters_file_keys_exist_and_defaults_lie_in_the_boxes():
    keys = set(config_keys(Config))
    cfg = Config()
    params = load_parameters()
    assert sum(p.calibrate for p in params) >= 6 and sum(p.sensitivity for p in params) >= 6
    for p in params:
        assert p.name in keys
        assert p.lower <= get_value(cfg, p.name) <= p.upper, p.name
        u = np.array([0.0, 0.3, 1.0])
        assert np.allclose(p.to_unit(p.from_unit(u)), u)
        assert p.from_unit(0.0) == pytest.approx(p.lower) and p.from_unit(1.0) == pytest.approx(p.upper)


def test_apply_values_copies_and_rounds_integer_fields():
    base = Config()
    cfg = apply_values(base, {"vc.n_funds": 312.6, "firms.rd_city_factor.sz": 1.7})
    assert cfg.vc.n_funds == 313 and isinstance(cfg.vc.n_funds, int)
    assert cfg.firms.rd_city_factor.sz == 1.7
    assert base.vc.n_funds == 200 and base.firms.rd_city_factor.sz == 1.3


def test_calibrated_yaml_composes_as_a_global_package(tmp_path):
    text = calibrated_yaml({"firms.rd_city_factor.sz": 1.75, "vc.n_funds": 300}, ["a header line"])
    assert text.splitlines()[0] == "# @package _global_"
    path = tmp_path / "x.yaml"
    path.write_text(text)
    values = flatten(OmegaConf.to_container(OmegaConf.load(path)))
    assert values == {"firms.rd_city_factor.sz": 1.75, "vc.n_funds": 300}
    cfg = from_hydra(OmegaConf.merge(OmegaConf.structured(Config), OmegaConf.load(path)))
    assert cfg.firms.rd_city_factor.sz == 1.75 and cfg.vc.n_funds == 300


# ------------------------------------------------------------------------------------------
# moments on hand-made tables


def hand_made_tables() -> dict[str, pd.DataFrame]:
    """Eight quarters (2018Q1–2019Q4) of four cities with numbers whose moments are easy to
    compute by hand; every column of the real schema is present."""
    labels = [f"{y}Q{q}" for y in (2018, 2019) for q in range(1, 5)]
    rows = []
    for t, label in enumerate(labels):
        for city in CITIES:
            row = dict.fromkeys(CITY_COLUMNS, 0.0)
            row.update(quarter=label, t=t, city=city)
            row["talent"] = {"HK": 100.0, "SZ": 250.0, "DG": 100.0, "HZ": 50.0}[city]
            row["firms"] = {"HK": 10, "SZ": 60 if t < 4 else 66, "DG": 20, "HZ": 10}[city]
            row["output"] = {"HK": 40.0, "SZ": 40.0, "DG": 15.0, "HZ": 5.0}[city]
            row["rd_spending"] = 2.0 if city == "SZ" else 0.0
            price = {"HK": 250.0, "SZ": 100.0, "DG": 35.0, "HZ": 20.0}[city]
            if city == "DG" and t == 2:
                price = 15.0  # one quarter with Dongguan below Huizhou
            row["mean_house_price"] = price
            row["cross_border_commuters"] = {"SZ": 4.0, "DG": 1.0}.get(city, 0.0)
            if city == "SZ" and t >= 4:
                row.update(vc_amount=10.0, vc_deals=3, innovations=5)
            if city == "HK":
                row["innovations"] = 1
            row["relocations_out"] = {5: 1, 6: 2}.get(t, 0) if city == "SZ" else 0
            rows.append(row)
    cq = pd.DataFrame(rows)[list(CITY_COLUMNS)]

    def deal(t, fund_city, firm_city, amount):
        return dict(
            quarter=labels[t] if t < 8 else "2020Q1",
            t=t,
            fund=1,
            fund_city=fund_city,
            guidance=False,
            firm=1,
            firm_city=firm_city,
            stage="seed",
            amount=amount,
            cross_border=(fund_city == "HK") != (firm_city == "HK"),
        )

    deals = pd.DataFrame(
        [
            deal(1, "HK", "SZ", 30.0),  # external, from Hong Kong
            deal(5, "DG", "SZ", 10.0),  # external, from Dongguan
            deal(2, "SZ", "SZ", 100.0),  # Shenzhen's own funds: not external
            deal(3, "HK", "DG", 50.0),  # another city's firm
            deal(8, "HK", "SZ", 999.0),  # outside the window
        ]
    )[list(DEAL_COLUMNS)]
    return {"city_quarter": cq, "vc_deals": deals}


def hand_context() -> MomentContext:
    return MomentContext(
        population_share=0.1,
        residents={"HK": 1e4, "SZ": 25_000.0, "DG": 1e4, "HZ": 1e4},
        gdp={"HK": 1e3, "SZ": 100.0, "DG": 1e3, "HZ": 1e3},
        nominal_growth={"HK": 0.0, "SZ": 0.08, "DG": 0.0, "HZ": 0.0},
        hightech_firms={"HK": 3000.0, "SZ": 14_415.0, "DG": 4058.0, "HZ": 1072.0},
    )


def target(moment: str, city: str = "SZ", model_year: str = "2018") -> Target:
    return Target(moment, "", 1.0, 0.5, 2.0, "", 2018, model_year, city, moment, "identity", "fit", "seed", "")


def test_moments_are_computed_correctly_on_a_hand_made_table():
    tables, ctx = hand_made_tables(), hand_context()
    cases = [
        (target("talent_share"), 250 / 500),
        (target("talent_share", "HZ"), 50 / 500),
        (target("firm_share"), 60 / 100),
        (target("firm_share", "SZ", "2019"), 66 / 106),
        (target("output_share"), 40 / 100),
        (target("st_workers_per_100"), 100 * 250 / 0.1 / 25_000),
        (target("hightech_firms_count", "SZ", "2019"), 14_415 * 66 / 60),
        (target("house_price"), 100.0),
        (target("house_price_ratio", "HK"), 2.5),
        (target("house_price_ratio", "DG"), (3 * 0.35 + 0.15) / 4),
        (target("house_price_ordering", ""), (12 - 1) / 12),
        (target("rd_intensity"), 8.0 / 0.1 / (25.0 * (1 + 1.08**0.25 + 1.08**0.5 + 1.08**0.75))),
        (target("hk_share_external_vc", "SZ", "2018-2019"), 30 / 40),
        (target("vc_amount", "SZ", "2019"), 40 / 0.1),
        (target("vc_deals", "SZ", "2019"), 12 / 0.1),
        (target("innovations", "SZ", "2019"), 20 / 0.1),
        (target("innovations", "SZ", "2018-2019"), 20 / 0.1 / 2),
        (target("daily_crossings", ""), 2 * 5 / 0.1),
    ]
    got = compute_moments(tables, ctx, [c[0] for c in cases])
    for (t, want), value in zip(cases, got):
        assert value == pytest.approx(want, rel=1e-12), (t.moment, t.city, t.model_year)


def test_moments_outside_the_simulated_window_are_missing():
    tables, ctx = hand_made_tables(), hand_context()
    short = {k: v[v["t"] < 6] for k, v in tables.items()}  # 2019 incomplete
    values = compute_moments(short, ctx, [target("vc_deals", "SZ", "2019"), target("talent_share")])
    assert np.isnan(values[0]) and np.isfinite(values[1])
    assert np.isnan(compute_moments(tables, ctx, [target("hightech_firms_count", "SZ", "2018")])[0])
    assert covered_years("2018Q1", 8) == {2018, 2019} and covered_years("2018Q2", 8) == {2019}
    assert window_covered(target("hightech_firms_count", "SZ", "2019"), "2018Q1", 8)
    assert not window_covered(target("hightech_firms_count", "SZ", "2019"), "2019Q1", 8)


def test_sensitivity_outcomes_on_a_hand_made_table():
    outflow, innovations, price = compute_outcomes(hand_made_tables(), hand_context())
    assert outflow == pytest.approx(1000 * 3 / 60)
    assert innovations == pytest.approx((4 * 5 + 8 * 1) / 0.1)
    assert price == pytest.approx(100.0)


# ------------------------------------------------------------------------------------------
# loss and weights


def test_loss_is_zero_at_the_targets_and_positive_away():
    targets = load_targets(role="fit")
    w = weights(targets)
    at_targets = np.tile([t.value for t in targets], (3, 1))
    assert msm_loss(at_targets, targets, w) == 0.0
    for k in (0, len(targets) // 2, len(targets) - 1):
        away = at_targets.copy()
        away[:, k] = targets[k].high  # one target at the edge of its band
        d = float(targets[k].to_scale(targets[k].high) - targets[k].to_scale(targets[k].value))
        assert msm_loss(away, targets, w) == pytest.approx(w[k] * d**2) and d > 0
    assert msm_loss(at_targets * 1.5, targets, w) > msm_loss(at_targets * 1.1, targets, w) > 0


def test_the_location_fit_maps_its_search_point_to_valid_overrides_and_scores_the_targets():
    """scripts/fit_location.py searches log costs and the exponent as is; its overrides compose
    into a config with exactly those values, and its loss is zero at the targets."""
    from corridor_abm.app.settings import compose_config
    from scripts import fit_location as fl

    x = np.array([np.log(1.0e6), np.log(2.0e5), 1.2, np.log(0.003)])
    ovs = fl.overrides(0.25, x)
    cfg = compose_config("baseline", ovs)
    lp = cfg.location
    assert (lp.taste_sd, lp.moving_cost_size_exponent) == (0.25, 1.2)
    assert np.allclose(
        [lp.moving_cost_fixed, lp.moving_cost_per_worker, lp.distance_cost_per_minute], [1e6, 2e5, 0.003]
    )
    t = np.array([0.015, 0.011, 0.06, 0.69])
    assert fl.loss(t, t) == 0.0
    assert fl.loss(t * np.e, t) == pytest.approx(4.0)
    assert fl.loss(np.zeros(4), t) > fl.loss(t / 2, t) > 0


def test_loss_averages_replicates_and_penalises_missing_moments():
    t = [Target("a", "", 10.0, 8.0, 12.0, "", 2018, "2018", "SZ", "vc_deals", "identity", "fit", "seed", "")]
    w = weights(t)
    sigma = 2.0 / Z90
    assert w[0] == pytest.approx(1 / sigma**2)
    # replicates 9 and 11 average to the target
    assert msm_loss(np.array([[9.0], [11.0]]), t, w) == pytest.approx(0.0)
    assert msm_loss(np.array([[12.0], [np.nan]]), t, w) == pytest.approx(w[0] * 4.0)
    assert msm_loss(np.array([[np.nan], [np.nan]]), t, w) == MISSING_PENALTY
    logt = [Target("b", "", 100.0, 50.0, 200.0, "", 2018, "2018", "SZ", "vc_deals", "log", "fit", "seed", "")]
    term = loss_terms(np.array([[0.0]]), logt, weights(logt))[0]  # zero under a log: floored, finite, large
    assert np.isfinite(term) and term > 50


def test_weights_are_inverse_variances_of_target_band_and_simulation_noise():
    narrow = Target("n", "", 1.0, 0.9, 1.1, "", 2018, "2018", "SZ", "vc_deals", "identity", "fit", "seed", "")
    wide = Target("w", "", 1.0, 0.5, 1.5, "", 2018, "2018", "SZ", "vc_deals", "identity", "fit", "seed", "")
    w_band = weights([narrow, wide])
    assert w_band[0] == pytest.approx(1 / (0.1 / Z90) ** 2) and w_band[0] > w_band[1]
    sim_sd = np.array([0.2, 0.2])
    w1 = weights([narrow, wide], sim_sd, replicates=1)
    w4 = weights([narrow, wide], sim_sd, replicates=4)
    assert w1[0] == pytest.approx(1 / ((0.1 / Z90) ** 2 + 0.04))
    assert w4[0] == pytest.approx(1 / ((0.1 / Z90) ** 2 + 0.01))
    assert np.all(w1 < w_band) and np.all(w4 > w1)
    values = np.array([[1.0, 10.0], [3.0, 10.0]])
    assert np.allclose(simulation_sd(values, [narrow, wide]), [np.std([1.0, 3.0], ddof=1), 0.0])


# ------------------------------------------------------------------------------------------
# differential evolution and its checkpoint


def sphere(points: np.ndarray) -> np.ndarray:
    return np.sum((points - np.array([0.3, 0.7, 0.55])) ** 2, axis=1)


def test_differential_evolution_finds_the_minimum():
    state, made = de.minimise(sphere, dim=3, population=12, generations=60, seed=1)
    assert made == state.evaluations == 12 * 61
    assert np.allclose(state.best, [0.3, 0.7, 0.55], atol=0.02)
    assert state.history[-1]["best"] <= state.history[0]["best"]


def test_a_resumed_search_continues_exactly_as_an_uninterrupted_one(tmp_path):
    whole, _ = de.minimise(sphere, 3, 8, 6, seed=5, checkpoint=tmp_path / "a.json")
    de.minimise(sphere, 3, 8, 3, seed=5, checkpoint=tmp_path / "b.json")
    calls = []

    def counted(points):
        calls.append(len(points))
        return sphere(points)

    resumed, made = de.minimise(counted, 3, 8, 6, seed=5, checkpoint=tmp_path / "b.json")
    assert made == 3 * 8 and sum(calls) == 24  # only the three missing generations were evaluated
    assert resumed.generation == 6 and resumed.evaluations == whole.evaluations == 7 * 8
    assert np.array_equal(resumed.population, whole.population)
    assert np.array_equal(resumed.energies, whole.energies)
    # other settings: the checkpoint is not resumed
    other, made = de.minimise(sphere, 3, 8, 1, seed=6, checkpoint=tmp_path / "b.json")
    assert made == 2 * 8 and other.generation == 1
