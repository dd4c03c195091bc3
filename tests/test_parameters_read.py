"""Every declared parameter is read by the model: a parameter that changes nothing is a defect
users cannot see.

The test records which fields of the parameter groups the model's processes read while they
build the 2018 state and run a few quarters of a scenario that switches every lever and
adaptive rule on (so that conditional branches are reached). Reads made by validation and
copying of the configuration are not counted.
"""

from __future__ import annotations

import dataclasses

import pytest

from corridor_abm.app.settings import compose_config
from corridor_abm.model import setup
from corridor_abm.model.config import Config
from corridor_abm.model.corridor import CorridorModel
from corridor_abm.model.params import PerCity, PerSector

EVERYTHING_ON = [
    "n_firms=1500",
    "n_talent=15000",
    "population_share=0.05",
    "quarters=6",
    "output.progress=false",
    "seed=3",
    "government.land_rule_outflow=0.0001",
    "government.austerity_reserve_quarters=100",
    "government.talent_subsidy.sz=50000",
    "government.talent_housing_m2.dg=1e6",
    "government.services_spending.hz=1e9",
    "vc.investment_quarters=3",
    "vc.fund_life_quarters=5",
    "vc.ipo_min_employees=1",
    "vc.ipo_probability=0.5",
    "vc.acquisition_probability=0.3",
    "location.division_min_employees=20",
    "location.plant_labour_share=0.2",
    # a closure of the crossings and their reopening during the run: commute shocks
    "+paths.transport.border_crossing_minutes={2018Q3:600.0,2019Q1:15.0}",
]


def _groups() -> dict[type, str]:
    """Each parameter group class and its key."""
    return {type(getattr(Config(), f.name)): f.name for f in dataclasses.fields(Config) if f.name in _group_names()}


def _group_names() -> list[str]:
    return [f.name for f in dataclasses.fields(Config) if dataclasses.is_dataclass(getattr(Config(), f.name))]


@pytest.fixture(scope="module")
def read_keys() -> set[str]:
    groups = _groups()
    read: set[str] = set()
    recording = {"on": False}
    originals = {cls: cls.__getattribute__ for cls in groups}

    def recorder(cls):
        fields = {f.name for f in dataclasses.fields(cls)}

        def getattribute(self, name):
            if recording["on"] and name in fields:
                read.add(f"{groups[cls]}.{name}")
            return originals[cls](self, name)

        return getattribute

    build = setup.build_state

    def recorded_build(*args, **kwargs):
        recording["on"] = True
        try:
            return build(*args, **kwargs)
        finally:
            recording["on"] = False

    cfg = compose_config("s8_combined_package", EVERYTHING_ON)
    with pytest.MonkeyPatch.context() as mp:
        for cls in groups:
            mp.setattr(cls, "__getattribute__", recorder(cls))
        mp.setattr(setup, "build_state", recorded_build)
        model = CorridorModel(cfg)
        recording["on"] = True
        model.run()
        recording["on"] = False
    return read


def test_every_parameter_of_every_group_is_read(read_keys):
    declared = set()
    for cls, name in _groups().items():
        declared |= {f"{name}.{f.name}" for f in dataclasses.fields(cls)}
    unread = sorted(declared - read_keys)
    assert not unread, f"declared but never read by the model: {unread}"


def test_the_recorder_sees_reads_inside_methods(read_keys):
    """Reads made through a group's own methods count (FirmParams.elasticities, LandParams.multipliers)."""
    assert {"firms.labour_elasticity", "land.hk_supply"} <= read_keys
    assert not any(isinstance(getattr(Config(), k.split(".")[0]), PerCity | PerSector) for k in read_keys)
