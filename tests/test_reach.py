"""Every lever reaches its channel (the sign checks of the lever-reach table, on small samples),
and the decomposition and elasticity commands measure what they say."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from corridor_abm.agents import firms as fm
from corridor_abm.app import decompose, elasticity, reach
from corridor_abm.app.settings import Settings, compose_config
from corridor_abm.model.corridor import CorridorModel
from corridor_abm.model.params import ConfigError, check_key

SMALL = ["n_firms=600", "n_talent=6000", "population_share=0.025", "output.progress=false", "seed=4"]

# levers whose direct channel moves in every seed even on a tiny sample (money, floor space, R&D)
DETERMINISTIC = [
    "land_sz",
    "land_dg",
    "land_hz",
    "land_hk",
    "renewal_sz",
    "talent_housing_sz",
    "startup_rent_subsidy_sz",
    "rd_subsidy_sz",
    "services_sz",
    "incubators_sz",
    "park_floor",
    "goods_friction",
    "research",
    "land_rule",
]


def _settings(levers: list[str], seeds: int, n_firms: int = 600, n_talent: int = 6000, share: float = 0.025):
    return compose_config(
        "baseline",
        [
            *SMALL,
            f"reach.seeds={seeds}",
            f"reach.n_firms={n_firms}",
            f"reach.n_talent={n_talent}",
            f"reach.population_share={share}",
            f"reach.levers=[{','.join(levers)}]",
        ],
    )


def test_every_lever_of_the_table_is_a_valid_override():
    names = [lever.name for lever in reach.LEVERS]
    assert len(names) == len(set(names)) >= 28
    settings = _settings([], seeds=2)
    for lever in reach.LEVERS:
        for item in lever.overrides:
            check_key(item.split("=")[0], Settings)
        reach._config(settings, lever.overrides, seed=1)  # validates the values


def test_an_unknown_lever_name_is_refused_before_anything_runs():
    with pytest.raises(ConfigError, match="reach.levers: 'land.sz_supply' not a lever; allowed: land_sz"):
        compose_config("baseline", ["mode=reach", "reach.levers=[land.sz_supply]"])


def test_money_floor_and_rd_levers_reach_their_channels():
    table = reach.reach_table(_settings(DETERMINISTIC, seeds=1), workers=1)
    bad = table[~table["verdict"].str.startswith("reaches")]
    assert bad.empty, bad[["lever", "relative_change", "seeds_with_sign"]].to_string()


def test_a_thin_lever_runs_on_its_multiple_of_the_seeds_paired_with_the_others(monkeypatch):
    """zone_friction_factor (seeds_factor 4) runs on four seeds where land_sz runs on one; both
    share the first seed and its baseline run, and the extra baseline runs measure it alone."""
    from corridor_abm.calibration import evaluate

    tasks = []
    run_parallel = evaluate.run_parallel

    def counting(fn, batch, workers):
        tasks.extend(batch)
        return run_parallel(fn, batch, workers)

    monkeypatch.setattr(evaluate, "run_parallel", counting)
    both = reach.reach_table(_settings(["land_sz", "zone_friction_factor"], seeds=1), workers=1).set_index("lever")
    assert both.loc["zone_friction_factor", "seeds"] == 4 and both.loc["land_sz", "seeds"] == 1
    assert len(tasks) == 4 + 1 + 4  # baseline on four seeds, land_sz on one, the friction on four
    assert [t.measures for t in tasks[:4]] == [("land_sz", "zone_friction_factor"), *[("zone_friction_factor",)] * 3]
    alone = reach.reach_table(_settings(["land_sz"], seeds=1), workers=1).set_index("lever")
    assert alone.loc["land_sz"].equals(both.loc["land_sz"])


BEHAVIOURAL = [
    "capital_friction",
    # innovations are Poisson events: one seed of 600 firms gave -0.4% for a lower knowledge
    # friction; eight seeds at 2,500 firms give +1.5% [+0.6, +2.3], 8 of 8 with the sign
    "knowledge_friction",
    # venture deals are lumpy: one seed of 600 firms gave -2.9% Shenzhen venture money for a
    # ¥10bn-a-year guidance fund (4 seeds: +21%, 3 of 4); eight seeds at 2,500 firms give +36%
    # [+22, +54], 8 of 8
    "guidance_fund_sz",
    "border_crossing_minutes",
    "talent_subsidy_sz",
    "residence_barrier_mainland",
    "speedup_sz_dg",
    # DG <-> HZ commuters: +116% [+105, +128] on 20 seeds of the reach command (2026-12-01)
    "speedup_dg_hz",
]


@pytest.fixture(scope="module")
def behavioural_table():
    """The behavioural levers against one shared baseline, eight paired seeds at the reach
    command's own sizes (three seeds at 1,500 firms once gave -0.5% commuters for a faster crossing,
    inside a +-4% band; eight seeds at 2,500 firms give +3.4%, 7 of 8 seeds with the sign)."""
    return reach.reach_table(_settings(BEHAVIOURAL, seeds=8, n_firms=2500, n_talent=25000, share=0.1), workers=1)


@pytest.mark.parametrize("lever", BEHAVIOURAL)
def test_behavioural_levers_move_their_channel_on_average(behavioural_table, lever):
    """Behavioural channels (deals, commuters, arrivals, moves) are noisy on a small sample: the
    mean over the paired seeds has the expected sign."""
    row = behavioural_table.set_index("lever").loc[lever]
    assert row["mean_change"] * (1 if row["expected_sign"] == "+" else -1) > 0, row.to_dict()


def test_shapley_values_are_exact_for_a_known_game():
    # v(S) = sum of weights + an interaction of players 0 and 1 shared equally
    weights = np.array([1.0, 2.0, 4.0])

    def v(s):
        return np.array([weights[list(s)].sum() + (3.0 if {0, 1} <= set(s) else 0.0)])

    subsets, orders = decompose.coalitions(3, max_exact=6, orderings=0, rng=np.random.default_rng(0))
    assert len(subsets) == 8 and len(orders) == 6
    phi = decompose.shapley({s: v(s) for s in subsets}, 3, orders)
    assert np.allclose(phi[:, 0], [2.5, 3.5, 4.0])
    assert np.isclose(phi.sum(), v({0, 1, 2})[0] - v(set())[0])  # efficiency


def test_sampled_orderings_keep_efficiency():
    rng = np.random.default_rng(1)
    subsets, orders = decompose.coalitions(8, max_exact=6, orderings=10, rng=rng)
    values = {s: np.array([len(s) ** 2.0]) for s in subsets}
    phi = decompose.shapley(values, 8, orders)
    assert np.isclose(phi.sum(), 64.0) and len(orders) == 10
    assert all(frozenset(o[:k]) in values for o in orders for k in range(9))


def test_a_package_is_grouped_by_lever():
    base = compose_config("baseline", SMALL)
    s8 = compose_config("s8_combined_package", SMALL)
    groups = decompose.package(s8, base, border_channels=False)
    assert {"land", "parks", "talent", "border", "transport", "firm support", "services"} <= set(groups)
    assert "border.knowledge_friction" in groups["border"]
    channels = decompose.package(compose_config("s5_cross_border_open", SMALL), base)
    assert {"capital", "knowledge", "goods", "talent barriers", "firm relocation", "cooperation zones"} <= set(channels)
    assert "border" not in channels and "transport.border_crossing_minutes" in channels["crossing time"]
    assert all(not k.startswith(("seed", "scenario_name")) for g in groups.values() for k in g)
    flat = list(itertools.chain.from_iterable(groups.values()))
    assert len(flat) == len(set(flat))


def test_decomposition_adds_up_and_writes_its_outputs(tmp_path):
    settings = compose_config(
        "s5_cross_border_open",
        [
            *SMALL,
            "decompose.seeds=2",
            "decompose.quarters=4",
            "decompose.n_firms=600",
            "decompose.n_talent=6000",
            "decompose.population_share=0.025",
            "decompose.border_channels=false",
            "workers=1",
        ],
    )
    decompose.decompose_mode(settings, tmp_path)
    table = __import__("pandas").read_csv(tmp_path / "decompose.csv")
    for (outcome, city), sub in table.groupby(["outcome", "city"]):
        phi = sub[sub["statistic"] == "shapley"]["mean"].sum()
        total = sub[sub["statistic"] == "total"]["mean"].iloc[0]
        assert np.isclose(phi, total, rtol=1e-9, atol=1e-6 * max(1.0, abs(total))), (outcome, city)
    assert (tmp_path / "decompose.md").is_file() and (tmp_path / "decompose.png").is_file()


def test_firms_leave_shenzhen_more_when_its_rents_rise_as_the_logit_says():
    """The measured elasticity of Shenzhen firms' out-moves to Shenzhen rent is finite and close
    to the logit's (γ/(1−β−γ))(1 − P)/taste_sd; lowering the taste dispersion raises it."""
    cfg = compose_config("baseline", [*SMALL, "quarters=1"])
    model = CorridorModel(cfg)
    rng = np.random.default_rng(0)
    p = elasticity.firm_leave_probabilities(model.state, model.cfg, rng, draws=2)
    e = (p["high"].mean() / p["base"].mean() - 1.0) / elasticity.RISE
    beta, gamma = (float(x.mean()) for x in model.cfg.firms.elasticities())
    theory = gamma / (1.0 - beta - gamma) / model.cfg.location.taste_sd
    assert 0.5 * theory < e < 1.5 * theory
    # wages weigh β/γ times as much as rents in a site's profit
    e_wage = (p["high_wage"].mean() / p["base"].mean() - 1.0) / elasticity.RISE
    assert 0.5 * beta / gamma * e < e_wage < 1.5 * beta / gamma * e
    talent = elasticity.talent_leave_probabilities(model.state, model.cfg, rng, draws=1)
    assert talent["high"].mean() > talent["base"].mean()


def test_city_ties_slow_the_flow_out_of_shenzhen_by_their_expected_discount():
    """Firms' ties to their city (exponential, mean μ) cut the chance a review sends a Shenzhen
    firm to another city by E[exp(−tie/τ)] = 1/(1 + μ/τ) — the logit's tail — while the flow's
    response to a 1% rent rise stays the logit's (every firm still answers at rate 1/τ)."""
    cfg = compose_config("baseline", [*SMALL, "quarters=1"])
    model = CorridorModel(cfg)
    s, tau, mu = model.state, model.cfg.location.taste_sd, 0.05
    alive = s.firms.alive_index()
    before = elasticity.firm_leave_probabilities(s, model.cfg, np.random.default_rng(0), draws=4)
    s.firms.city_tie[alive] = fm.draw_city_ties(np.random.default_rng(1), alive.size, mu)
    after = elasticity.firm_leave_probabilities(s, model.cfg, np.random.default_rng(0), draws=4)
    ratio = after["base"].mean() / before["base"].mean()
    assert 0.8 / (1.0 + mu / tau) < ratio < 1.25 / (1.0 + mu / tau)
    e_before = before["high"].mean() / before["base"].mean() - 1.0
    e_after = after["high"].mean() / after["base"].mean() - 1.0
    assert 0.7 * e_before < e_after < 1.3 * e_before


def test_city_ties_are_exponential_and_absent_at_zero():
    rng = np.random.default_rng(0)
    ties = fm.draw_city_ties(rng, 200_000, 0.3)
    assert ties.dtype == np.float32 and ties.min() >= 0.0
    assert abs(ties.mean() - 0.3) < 0.005 and abs(np.median(ties) - 0.3 * np.log(2)) < 0.005
    state = rng.bit_generator.state
    assert not fm.draw_city_ties(rng, 10, 0.0).any()
    assert rng.bit_generator.state == state  # no numbers taken when ties are off


def test_a_lever_reaches_its_channel_when_the_mean_is_sure_of_its_sign():
    """The verdict rests on the 90% interval of the mean paired change, so a small effect on a
    noisy channel is found with enough seeds, and a zero effect is not, however many seeds."""
    rng = np.random.default_rng(7)
    noisy_effect = 0.3 + rng.standard_normal(400)  # each seed: mostly noise, 62% with the sign
    assert reach.channel_moves(noisy_effect, +1) and not reach.channel_moves(noisy_effect, -1)
    assert not reach.channel_moves(noisy_effect[:10] - noisy_effect[:10].mean(), +1)  # mean exactly 0
    low, high = reach.mean_interval(np.array([1.0, 3.0]))
    assert low == pytest.approx(2.0 - reach.Z90 * np.sqrt(2.0) / np.sqrt(2.0)) and high > 2.0
    assert reach.mean_interval(np.array([5.0])) == (5.0, 5.0)
    assert reach.channel_moves(np.array([-2.0, -1.0, -3.0]), -1)


def test_a_decomposition_against_a_zero_baseline_is_shown_in_the_outcome_units(tmp_path):
    """Cross-border venture money is zero on a baseline with no such deals: its change is shown
    in yuan, not as a share of zero (which printed as millions of per cent)."""
    import pandas as pd

    rows = []
    for col in decompose.OUTCOMES:
        for city in ("SZ", "corridor"):
            level = 0.0 if col == "vc_cross_border_amount" else 200.0
            for stat, group, value in (("level", "all", level), ("total", "all", 3e6 if not level else 20.0)):
                rows.append(
                    {
                        "outcome": col,
                        "city": city,
                        "statistic": stat,
                        "group": group,
                        "mean": value,
                        "p05": value,
                        "p95": value,
                    }
                )
            rows.append(
                {
                    "outcome": col,
                    "city": city,
                    "statistic": "shapley",
                    "group": "border",
                    "mean": 3e6 if not level else 20.0,
                    "p05": 0.0,
                    "p95": 0.0,
                }
            )
            rows.append(
                {
                    "outcome": col,
                    "city": city,
                    "statistic": "interaction",
                    "group": "all",
                    "mean": 0.0,
                    "p05": 0.0,
                    "p95": 0.0,
                }
            )
    table = pd.DataFrame(rows)
    text = decompose.decompose_markdown(table, ["border"], "s5", {"border": {"border.capital_friction": 0.15}})
    line = next(x for x in text.splitlines() if x.startswith("| cross-border venture money") and "| SZ |" in x)
    assert "+3,000,000 [+3,000,000, +3,000,000]" in line and "%" not in line
    assert "+10.0% [+10.0%, +10.0%]" in text  # 20 against 200 elsewhere
    decompose.decompose_figure(table, ["border"], tmp_path / "d.png", "s5")  # no bar for a zero baseline, no error
    assert (tmp_path / "d.png").is_file()


def test_the_parks_found_from_a_runs_cells_table_are_the_models():
    """The park rent subsidy's channel counts moves into the park cells it finds from the cells
    table: they are the cells the model subsidises."""
    from corridor_abm.model import geodata
    from corridor_abm.model.geography import park_mask
    from corridor_abm.model.simulate import simulate

    cfg = compose_config("baseline", [*SMALL, "n_firms=300", "n_talent=3000", "population_share=0.01", "quarters=1"])
    result = simulate(cfg)
    cells = result.tables["cells"]
    found = park_mask(
        cells["x_km"].to_numpy(),
        cells["y_km"].to_numpy(),
        cells["city"].map(geodata.CITY_CODES.index).to_numpy(),
        (cells["land_use"] == "protected").to_numpy(),
    )
    model = CorridorModel(cfg)
    assert found.sum() > 10
    np.testing.assert_array_equal(found, model.state.cells.park_mask)


def test_moves_between_two_cities_leave_out_moves_inside_either():
    """A channel of moves between two cities counts moves between them only (the DG <-> HZ one
    counted the moves inside Dongguan and Huizhou too, which no link between them touches); the
    DG <-> HZ commuters are the two off-diagonal cells of the commuting matrix."""
    import pandas as pd

    moves = pd.DataFrame(
        {
            "from_city": ["DG", "DG", "HZ", "HZ", "SZ", "DG"],
            "to_city": ["DG", "HZ", "DG", "HZ", "HZ", "HZ"],
            "kind": ["whole firm"] * 5 + ["division"],
        }
    )
    assert reach._moves(("DG", "HZ"), ("DG", "HZ"))({"relocations": moves}) == 2.0
    assert reach._moves(("DG", "HZ"), ("DG", "HZ"), kind=None)({"relocations": moves}) == 3.0
    city = pd.DataFrame(
        {
            "t": [0, 0, 1, 1],
            "city": ["DG", "HZ", "DG", "HZ"],
            "residents_working_in_dg": [90.0, 7.0, 95.0, 8.0],
            "residents_working_in_hz": [5.0, 40.0, 6.0, 42.0],
        }
    )
    assert reach._commuters_between("DG", "HZ")({"city_quarter": city}) == 14.0
