"""The scenario catalogue: every scenario of the digest composes, runs, changes parameters only,
cites its document and states the expected direction; the README lists every file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corridor_abm.app.experiments import comparable_config
from corridor_abm.app.settings import compose_config, scenario_names
from corridor_abm.model.config import SCENARIO_DIR
from corridor_abm.model.simulate import simulate
from tests.conftest import TINY_SAMPLE

ROOT = Path(__file__).resolve().parent.parent
TINY = ["quarters=2", *TINY_SAMPLE, "output.plots=false"]
DIGEST_SCENARIOS = {
    "baseline": "S1",
    "s2_land_exhaustion": "S2",
    "s3_land_reform": "S3",
    "s4_talent_subsidies": "S4",
    "s4_talent_subsidies_housing": "S4",
    "s5_cross_border_open": "S5",
    "s6_silicon_valley": "S6",
    "s7_corridor_coordination": "S7",
    "s8_combined_package": "S8",
}
SEED_FILE = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")


def _without_name(config) -> dict:
    plain = comparable_config(config)
    plain.pop("scenario_name")
    return plain


def test_the_catalogue_holds_the_eight_scenarios_of_the_digest():
    names = scenario_names()
    assert set(DIGEST_SCENARIOS) <= set(names), set(DIGEST_SCENARIOS) - set(names)
    assert {DIGEST_SCENARIOS[n] for n in DIGEST_SCENARIOS} == {f"S{i}" for i in range(1, 9)}


@pytest.mark.parametrize("name", sorted(DIGEST_SCENARIOS))
def test_scenario_file_cites_a_document_and_states_the_expected_direction(name):
    text = (SCENARIO_DIR / "scenario" / f"{name}.yaml").read_text()
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert text.startswith("# @package _global_\n")
    assert re.match(rf"# {DIGEST_SCENARIOS[name]}[ab]? ", header[1]), header[1]
    assert any(SEED_FILE.search(line) for line in header), f"{name}: no seed document cited"
    assert any("Expected" in line for line in header), f"{name}: no expected direction"
    assert f"scenario_name: {name}" in text


@pytest.mark.parametrize("name", sorted(DIGEST_SCENARIOS))
def test_every_scenario_composes_and_runs_a_short_horizon(name):
    config = compose_config(name, TINY)
    assert config.scenario_name == name
    if name != "baseline":
        assert _without_name(config) != _without_name(compose_config("baseline", TINY)), f"{name} changes no parameter"
    city = simulate(config).tables["city_quarter"]
    assert len(city) == 2 * 4
    assert city["firms"].gt(0).all() and city["mean_commercial_rent"].gt(0).all()


def test_combined_package_holds_the_levers_of_its_parts():
    package = compose_config("s8_combined_package")
    land = compose_config("s3_land_reform")
    talent = compose_config("s4_talent_subsidies_housing")
    border = compose_config("s5_cross_border_open")
    corridor = compose_config("s7_corridor_coordination")
    assert package.land.sz_supply == land.land.sz_supply > 1
    assert package.land.renewal_share.sz == land.land.renewal_share.sz
    assert package.government.talent_subsidy.sz == talent.government.talent_subsidy.sz > 0
    assert package.government.talent_housing_m2.sz == talent.government.talent_housing_m2.sz > 0
    assert package.border == border.border
    assert package.transport.border_crossing_minutes == border.transport.border_crossing_minutes
    assert package.transport.speedup_sz_dg == corridor.transport.speedup_sz_dg > 1
    assert package.land.dg_supply == corridor.land.dg_supply > 1
    assert package.government.park_floor_m2 == corridor.government.park_floor_m2 > 0
    g = package.government
    assert g.rd_subsidy_rate.sz > 0 and g.guidance_fund.sz > 0 and g.incubator_grant.sz > 0
    assert g.startup_rent_subsidy.sz > 0 and g.services_spending.sz > 0


def test_talent_subsidy_scenarios_differ_only_in_housing():
    plain = _without_name(compose_config("s4_talent_subsidies"))
    housing = _without_name(compose_config("s4_talent_subsidies_housing"))
    assert plain["government"]["talent_housing_m2"]["sz"] == 0
    housing["government"]["talent_housing_m2"] = plain["government"]["talent_housing_m2"]
    assert plain == housing


def test_readme_lists_every_scenario_file():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Scenarios", 1)[1].split("\n## ", 1)[0]
    for name in scenario_names():
        assert f"`{name}.yaml`" in section, f"README's scenario table misses {name}.yaml"
