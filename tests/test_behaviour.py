"""Behavioural claims of the documents, tested against the baseline over paired seeds.

Digest M1/M2 (000_c3879d280a9fce80.txt): when Shenzhen adds no land while demand grows, its
rents rise, firms "vote with their feet" — more of them leave Shenzhen, mostly for Dongguan —
and it is the small firms that leave, not the giants. The giants keep their R&D in Shenzhen and
move production: Shenzhen firms' plants go to the other cities more than their R&D centres do
(seed 000, 产业梯度; seed 001, 全过程配套关联). That more firms, and more plants, leave without new
land does not show at these sizes: expected failures below, with their measurements.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from corridor_abm.model.simulate import simulate
from tests.conftest import small_config

SEEDS = (101, 202, 303, 404)
QUARTERS = 40


def _summary(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    city = tables["city_quarter"]
    rel = tables["relocations"]
    classes = tables["firms_by_class"]
    sz = city[city["city"] == "SZ"]
    out = rel[(rel["from_city"] == "SZ") & (rel["to_city"] != "SZ")]
    whole = out[out["kind"] == "whole firm"]
    firm_quarters = classes[classes["city"] == "SZ"].groupby("size_class")["firms"].sum()
    moves = whole.groupby("size_class").size()
    return {
        "rent_end": float(sz["mean_commercial_rent"].iloc[-1]),
        "house_price_end": float(sz["mean_house_price"].iloc[-1]),
        "out_moves": float(len(whole)),
        "to_dongguan": float((whole["to_city"] == "DG").sum()),
        "small_moves": float(moves.get("small", 0)),
        "large_moves": float(moves.get("large", 0)),
        "small_firm_quarters": float(firm_quarters.get("small", 0)),
        "large_firm_quarters": float(firm_quarters.get("large", 0)),
        "divisions_out": float((out["kind"] == "division").sum()),
        **_second_sites(tables["establishments"]),
    }


def _second_sites(est: pd.DataFrame) -> dict[str, float]:
    """Second sites opened by Shenzhen-headquartered firms, by kind, in and out of Shenzhen."""
    opened = est[(est["event"] == "open") & (est["from_city"] == "SZ")]
    out = {}
    for kind, key in (("plant", "plants"), ("R&D centre", "rd_centres")):
        k = opened[opened["kind"] == kind]
        out[f"{key}_opened"] = float(len(k))
        out[f"{key}_out"] = float((k["to_city"] != "SZ").sum())
    return out


@pytest.fixture(scope="module")
def paired_runs():
    rows = []
    for seed in SEEDS:
        base = _summary(simulate(small_config(seed=seed, quarters=QUARTERS)).tables)
        s2 = _summary(simulate(small_config(seed=seed, quarters=QUARTERS, land__sz_supply=0.0)).tables)
        rows.append((base, s2))
    return rows


def test_no_new_land_raises_shenzhen_rents_and_house_prices(paired_runs):
    for base, s2 in paired_runs:
        assert s2["rent_end"] > base["rent_end"] * 1.05
        assert s2["house_price_end"] > base["house_price_end"]


@pytest.mark.xfail(
    reason="holds at full scale, not at this file's sizes: with the taste scale fitted on 2026-12-01 "
    "(location.taste_sd 0.25, out-move elasticity to rent 0.9) and moving costs indexed to wages, S2's "
    "rent (+11.5% by year 10 here) adds about 9 out-moves to some 180 per run, below the paired noise: "
    "-18, +3, -3 and 0 on these four seeds with innovation.patents_per_million 1.11, while with 1.6 "
    "(refitted 2026-12-01) the four pairs pass, so at this size passing is noise, hence not strict "
    "(+5.3, se 3.1, 8 of 12 pairs over 12 seeds at 1.11: python "
    "scripts/paired_plants.py 101 202 ... 1212). At full scale over 20 years (20 paired seeds, README) S2 "
    "adds 476 whole-firm out-moves to some 3,710 (+13.0%, 20 of 20 pairs, with plants' production workers on, "
    "2026-12-02; small firms' yearly out-move rate 1.08% -> 1.26%); the rent elasticity itself is tested in "
    "tests/test_reach.py",
    strict=False,
)
def test_no_new_land_pushes_more_firms_out_of_shenzhen(paired_runs):
    diffs = np.array([s2["out_moves"] - base["out_moves"] for base, s2 in paired_runs])
    assert diffs.sum() > 0
    assert (diffs > 0).sum() >= len(SEEDS) - 1, f"paired differences: {diffs.tolist()}"


def test_leavers_go_mostly_to_dongguan(paired_runs):
    to_dg = sum(s2["to_dongguan"] for _, s2 in paired_runs)
    total = sum(s2["out_moves"] for _, s2 in paired_runs)
    assert to_dg / total > 0.5


def test_small_firms_leave_at_a_higher_rate_than_large_firms(paired_runs):
    """Small firms' share of the relocations exceeds their weight among firms, large firms'
    falls short of theirs: per firm-quarter, small firms leave Shenzhen more often."""
    s2 = [r for _, r in paired_runs]
    small_rate = sum(r["small_moves"] for r in s2) / sum(r["small_firm_quarters"] for r in s2)
    large_rate = sum(r["large_moves"] for r in s2) / max(sum(r["large_firm_quarters"] for r in s2), 1.0)
    assert small_rate > 0
    assert small_rate > 2 * large_rate, f"small {small_rate:.5f} vs large {large_rate:.5f} per firm-quarter"
    moves = sum(r["small_moves"] + r["large_moves"] for r in s2)
    small_share_of_moves = sum(r["small_moves"] for r in s2) / moves
    small_share_of_firms = sum(r["small_firm_quarters"] for r in s2) / sum(
        r["small_firm_quarters"] + r["large_firm_quarters"] for r in s2
    )
    assert small_share_of_moves > small_share_of_firms


def test_shenzhen_firms_send_plants_out_more_than_rd_centres(paired_runs):
    """R&D stays in Shenzhen, production moves: over all runs (baseline and no new land), the
    share of Shenzhen firms' new plants that open in another city exceeds that of their new R&D
    centres."""
    runs = [r for pair in paired_runs for r in pair]
    plants = sum(r["plants_out"] for r in runs) / max(sum(r["plants_opened"] for r in runs), 1.0)
    centres = sum(r["rd_centres_out"] for r in runs) / max(sum(r["rd_centres_opened"] for r in runs), 1.0)
    assert sum(r["plants_out"] for r in runs) > 0
    assert plants > centres, f"plants out {plants:.3f} vs R&D centres out {centres:.3f}"


@pytest.mark.xfail(
    reason="not shown on this sample: over 12 paired seeds at this file's sizes (python scripts/paired_plants.py "
    "101 202 ... 1212, commit 161a6b9 with location.plant_labour_share 0.25, today's default) S2 changes the "
    "plants Shenzhen's firms open outside it by -0.33 a run (se 0.56): ten years of a 10% sample open too few. "
    "At full scale over 40 paired seeds (scripts/scenario_facts.py, its last lines; README, S2) S2 raises the "
    "plants leaving Shenzhen net of those entering it by +12.9 a run (se 2.2) and R&D centres by +4.0 (se 2.2), "
    "plants ahead in 27 of 40 pairs; with the channel off (location.plant_labour_share 0) the two kinds rise "
    "together (plants +7.1, R&D centres +8.6); tested at full scale behind the slow marker: tests/test_gradient.py",
    strict=False,
)
def test_no_new_land_sends_more_shenzhen_plants_out(paired_runs):
    diffs = np.array([s2["plants_out"] - base["plants_out"] for base, s2 in paired_runs])
    assert diffs.sum() > 0, f"paired differences: {diffs.tolist()}"
    assert (diffs >= 0).sum() >= len(SEEDS) - 1, f"paired differences: {diffs.tolist()}"
