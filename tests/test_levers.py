"""Levers switch on at 2018Q1 from a 2018 state built under the reference levers.

A reference level computed under a scenario's levers would absorb the lever (the knowledge
field's 2018 reference once did): every 2018 reference quantity must be the same for the
baseline and for a scenario that changes one lever group only.
"""

from __future__ import annotations

import numpy as np
import pytest

from corridor_abm.app.settings import compose_config
from corridor_abm.model.corridor import CorridorModel
from corridor_abm.model.processes import innovation
from tests.conftest import TINY_SAMPLE

BUILD = [*TINY_SAMPLE, "quarters=1", "seed=5"]

ONE_GROUP = {
    "land": ["land.sz_supply=0", "land.dg_supply=3", "land.renewal_share.sz=0.9"],
    "border": [
        "border.knowledge_friction=0.1",
        "border.capital_friction=0.1",
        "border.goods_friction=0.01",
        "border.work_barrier_hk=0.2",
        "border.residence_barrier_mainland=0.05",
        "border.zone_friction_factor=0.1",
    ],
    "transport": ["transport.speedup_sz_dg=2", "transport.speedup_hk_sz=1.5", "transport.border_crossing_minutes=5"],
    "innovation": [
        "innovation.research_output=1200",
        "innovation.knowledge_minutes=90",
        "innovation.spillover_elasticity=0.6",
        "innovation.patents_per_million=2.0",
    ],
}


def reference_quantities(model: CorridorModel) -> dict[str, np.ndarray]:
    """Every level the 2018 state fixes and later quarters are measured against."""
    s = model.state
    alive_f, alive_t = s.firms.alive_index(), s.talent.alive_index()
    return {
        "fundamental": s.cells.fundamental,
        "agg_reference": np.array([s.cells.agg_reference]),
        "residential_fundamental": s.cells.residential_fundamental,
        "job_fundamental": s.cities.job_fundamental,
        "reference_unemployment": s.cities.reference_unemployment,
        "knowledge_reference": np.array([s.knowledge.reference]),
        "knowledge_stock": s.knowledge.stock,
        "log_a": s.firms.log_a[alive_f],
        "reservation": s.talent.reservation[alive_t],
        "rents": np.r_[s.cells.com_rent, s.cells.res_rent],
        "initial_reserves": np.array([g.reserves for g in s.governments]),
    }


@pytest.fixture(scope="module")
def baseline_reference() -> dict[str, np.ndarray]:
    return reference_quantities(CorridorModel(compose_config("baseline", BUILD)))


@pytest.mark.parametrize("group", sorted(ONE_GROUP))
def test_a_lever_group_leaves_every_2018_reference_unchanged(group, baseline_reference):
    model = CorridorModel(compose_config("baseline", BUILD + ONE_GROUP[group]))
    changed = [k for k, v in reference_quantities(model).items() if not np.array_equal(v, baseline_reference[k])]
    assert not changed, f"{group} levers leaked into the 2018 references: {changed}"


def test_cutting_the_knowledge_friction_raises_expected_innovation():
    """The friction acts on the field while its 2018 reference stays: a cut raises innovation
    (before the fix the reference rose with the field and the cut did almost nothing)."""

    def expected(friction: float) -> float:
        model = CorridorModel(compose_config("baseline", [*BUILD, f"border.knowledge_friction={friction}"]))
        s = model.state
        alive = s.firms.alive_index()
        return float(
            innovation.expected_innovations(s, model.cfg, alive, innovation.knowledge_field(s, model.cfg)).sum()
        )

    closed, opened = expected(0.6), expected(0.0)
    assert opened > closed * 1.005


def test_structural_keys_build_the_2018_state_with_their_own_values():
    """Calibration varies parameters as structure: the reference keeps them."""
    cfg = compose_config("baseline", [*BUILD, "innovation.patents_per_million=2.0"])
    assert CorridorModel(cfg).reference.innovation.patents_per_million != 2.0
    model = CorridorModel(cfg, structural=("innovation.patents_per_million",))
    assert model.reference.innovation.patents_per_million == 2.0
