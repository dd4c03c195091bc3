"""The scale presets: scale=full is the 1:1 corridor (one talent agent per skilled worker); the
results do not depend on how many workers a talent agent stands for."""

from __future__ import annotations

import os

import numpy as np
import pytest

from corridor_abm.app.settings import compose_config
from corridor_abm.model.params import ConfigError
from corridor_abm.model.simulate import simulate


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


def _firm_dynamics(n_talent: int, seeds: range, quarters: int = 8) -> tuple[float, float, float]:
    """Entries and exits per 2018 firm, and the growth of the firm count, over ``quarters``,
    means over ``seeds``: 1,000 firms at 4% of the corridor, ``n_talent`` talent agents."""
    rows = []
    for seed in seeds:
        cfg = compose_config(
            "baseline",
            [f"seed={seed}", f"quarters={quarters}", "n_firms=1000", f"n_talent={n_talent}", "population_share=0.04"],
        )
        cq = simulate(cfg).tables["city_quarter"]
        first, last = cq[cq["t"] == 0]["firms"].sum(), cq[cq["t"] == cq["t"].max()]["firms"].sum()
        rows.append((cq["entries"].sum() / first, cq["exits"].sum() / first, last / first))
    return tuple(np.mean(rows, axis=0))


def test_firm_dynamics_do_not_depend_on_how_many_workers_an_agent_stands_for():
    """The same corridor sample with 15.7 and with 3.9 workers per talent agent founds and
    closes firms at the same rates: the founding rate is per worker, and a firm exits after a
    year without workers, not when its one agent leaves. (Before: entries per firm 0.19 against
    0.64, exits 0.10 against 0.04, at these sizes.)"""
    coarse = _firm_dynamics(10_000, range(3))
    fine = _firm_dynamics(40_000, range(3))
    assert 0.8 < coarse[0] / fine[0] < 1.25, (coarse, fine)
    assert 0.7 < coarse[1] / fine[1] < 1.4, (coarse, fine)
    assert abs(coarse[2] - fine[2]) < 0.04, (coarse, fine)


def test_the_floor_report_counts_without_changing_the_run(monkeypatch):
    """``scripts/profile_step.py --floor`` counts the draws and the transcendental functions of a
    quarter by wrapping the streams and numpy; the counted run is the same run to the bit, and
    numpy and the streams are as they were afterwards."""
    from corridor_abm.model import parallel
    from corridor_abm.model.corridor import CorridorModel
    from scripts.profile_step import floor_report

    def model():
        cfg = compose_config("baseline", ["quarters=5", "n_firms=300", "n_talent=3000", "population_share=0.01"])
        return CorridorModel(cfg)

    monkeypatch.delenv(parallel.ENV, raising=False)
    counted, plain = model(), model()
    power = np.power
    result = floor_report(counted, 2)
    plain.run(4)
    assert np.power is power and "get" not in vars(counted.streams)
    assert parallel.ENV not in os.environ
    assert result["draws"] > 1000 and result["math"] > 1000, result
    assert 0 < result["draw_s"] < result["quarter_s"] and result["pass_s"] > 0, result
    for name, table in plain.tables().items():
        assert table.equals(counted.tables()[name]), name
