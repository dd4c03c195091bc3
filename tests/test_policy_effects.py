"""Policy levers against the baseline, over paired seeds (common random numbers)."""

from __future__ import annotations

import numpy as np

from corridor_abm.model.params import PerCity
from corridor_abm.model.simulate import simulate
from tests.conftest import small_config


def _late_mean(tables, city: str, column: str, quarters: int) -> float:
    c = tables["city_quarter"]
    rows = c[(c["city"] == city) & (c["t"] >= quarters - 4)]
    return float(rows[column].mean())


def test_talent_subsidy_raises_the_subsidising_citys_talent():
    """¥100k a year per eligible talent working in Shenzhen, for ten years: Shenzhen's skilled
    residents and jobs rise against the baseline on average over paired seeds, and in at least
    three of four (measured over the last year).

    Under the calibrated set the claim does not hold in every seed: measured with the four seeds
    below, SZ talent +7.4%, +2.9%, -0.3%, +7.5% (seed 3 shows no effect); with the uncalibrated
    defaults (``calibrated=uncalibrated``) +6% to +13% in all four."""
    quarters = 40
    diffs_talent, diffs_jobs = [], []
    for seed in (1, 2, 3, 4):
        base = simulate(small_config(seed=seed, quarters=quarters)).tables
        sub = simulate(
            small_config(seed=seed, quarters=quarters, government__talent_subsidy=PerCity(hk=0, sz=1e5, dg=0, hz=0))
        ).tables
        diffs_talent.append(_late_mean(sub, "SZ", "talent", quarters) / _late_mean(base, "SZ", "talent", quarters) - 1)
        diffs_jobs.append(_late_mean(sub, "SZ", "jobs", quarters) / _late_mean(base, "SZ", "jobs", quarters) - 1)
        spent = sub["government"].query("city == 'SZ'")["spend_talent_subsidy"].sum()
        assert spent > 0
    for diffs in (diffs_talent, diffs_jobs):
        assert np.mean(diffs) > 0.02 and sum(d > 0 for d in diffs) >= 3, diffs


def test_lower_capital_friction_raises_cross_border_deals():
    quarters = 16
    base_deals, open_deals = [], []
    for seed in (1, 2, 3):
        base = simulate(small_config(seed=seed, quarters=quarters)).tables["vc_deals"]
        opened = simulate(small_config(seed=seed, quarters=quarters, border__capital_friction=0.0)).tables["vc_deals"]
        base_deals.append(int(base["cross_border"].sum()))
        open_deals.append(int(opened["cross_border"].sum()))
    assert all(o > b for o, b in zip(open_deals, base_deals)), (base_deals, open_deals)
    assert np.sum(open_deals) > 3 * max(np.sum(base_deals), 1)
