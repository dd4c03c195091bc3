"""Configuration: validation messages, composition and the parameter reference."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf.errors import ConfigKeyError, ValidationError

from corridor_abm.app.settings import Settings, check_overrides, compose_config, scenario_names
from corridor_abm.model.config import Config, calibrated_defaults
from corridor_abm.model.params import ConfigError, check_key, parameters_markdown, validate

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_are_valid():
    validate(Config())


def test_unknown_key_names_the_key_and_what_is_allowed():
    with pytest.raises(ConfigError, match=r"Unknown config key 'land.sz_suply'.*sz_supply"):
        check_key("land.sz_suply", Settings)
    with pytest.raises(ConfigError, match=r"Allowed at the top level: .*n_firms"):
        check_overrides(["nfirms=3"])


def test_unknown_scenario_is_refused():
    with pytest.raises(ConfigError, match="Unknown scenario 'nope'.*baseline"):
        check_overrides(["scenario=nope"])


def test_out_of_range_names_key_and_range():
    cfg = Config()
    cfg.land.sz_supply = -1.0
    with pytest.raises(ConfigError, match=r"land.sz_supply = -1 is out of range: allowed \[0, 20\]"):
        validate(cfg)
    cfg = Config()
    cfg.talent.origin_local.hk = 1.5
    with pytest.raises(ConfigError, match=r"talent.origin_local.hk = 1.5 .*allowed \[0, 1\]"):
        validate(cfg)


def test_negative_rent_drivers_and_shares_above_one_are_refused():
    cfg = Config()
    cfg.economy.housing_spend_share = 1.2
    with pytest.raises(ConfigError, match="economy.housing_spend_share"):
        validate(cfg)
    cfg = Config()
    cfg.map.commercial_stock_m2.sz = -5.0
    with pytest.raises(ConfigError, match="map.commercial_stock_m2.sz"):
        validate(cfg)


def test_deal_sizes_must_grow_with_the_stage():
    cfg = Config()
    cfg.vc.deal_seed = 4e7  # above series A (3e7)
    with pytest.raises(ConfigError, match=r"vc.deal_seed.*seed ≤ A ≤ B"):
        validate(cfg)


def test_empty_city_is_refused():
    with pytest.raises(ConfigError, match="leaves a city empty"):
        validate(Config(n_firms=10, n_talent=1000))
    cfg = Config()
    cfg.firms.hightech_firms.hz = 0.0
    with pytest.raises(ConfigError, match="firms.hightech_firms.hz"):
        validate(cfg)


def test_sector_mix_must_sum_to_one():
    cfg = Config()
    cfg.firms.sector_mix_sz.software = 0.9
    with pytest.raises(ConfigError, match="firms.sector_mix_sz sums to"):
        validate(cfg)


def test_composition_applies_overrides_and_types():
    cfg = compose_config("baseline", ["land.sz_supply=0.5", "seed=3"])
    assert cfg.land.sz_supply == 0.5 and cfg.seed == 3 and cfg.scenario_name == "baseline"
    with pytest.raises((ValidationError, ConfigKeyError, ConfigError, ConfigCompositionException)):
        compose_config("baseline", ["seed=abc"])
    with pytest.raises(ConfigError, match="out of range"):
        compose_config("baseline", ["land.sz_supply=-2"])


def test_every_scenario_names_itself():
    for name in scenario_names():
        assert compose_config(name).scenario_name == name


def test_parameter_reference_is_up_to_date():
    text = (ROOT / "docs" / "parameters.md").read_text()
    assert text == parameters_markdown(Settings, calibrated_defaults("default", Settings)), (
        "run: python scripts/write_docs.py"
    )
    # the calibrated values the baseline uses are shown beside the defaults
    assert "| `vc.n_funds` | 200 | **287** |" in text
