"""The scale presets: scale=full is the 1:1 corridor (one talent agent per skilled worker)."""

from __future__ import annotations

import pytest

from corridor_abm.app.settings import compose_config
from corridor_abm.model.params import ConfigError


def test_full_scale_is_one_agent_per_worker():
    cfg = compose_config("baseline", ["scale=full"])
    workers = sum(cfg.talent.st_workers.as_list())
    assert cfg.n_talent == round(workers) and cfg.n_firms == 25_000
    assert cfg.population_share * workers / cfg.n_talent == pytest.approx(1.0)  # talent_scale
    default = compose_config("baseline")
    assert (default.n_talent, default.n_firms, default.compact_talent_at) == (250_000, 25_000, 2.0)


def test_an_unknown_scale_is_refused_in_one_line():
    with pytest.raises(ConfigError, match="Unknown scale 'huge'. Allowed: default, full."):
        compose_config("baseline", ["scale=huge"])
