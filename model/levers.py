"""The levers: the reference values the 2018 state is built under, and the one step that
switches a scenario's values on at the first simulated quarter.

A scenario's land, border, transport and innovation settings are policies that start in 2018Q1.
The model builds, spins up and inverts the 2018 state — and computes every 2018 reference level
from it — under the *reference* values of those groups: the defaults updated by the calibrated
parameter set in force (``scenarios/calibrated/<calibrated_set>.yaml``). :func:`switch_on` then
applies the scenario's values at the first simulated quarter. Otherwise a scenario that, say,
opens the border would see its effect absorbed into the 2018 fundamentals or normalised away by
a 2018 reference. Every other parameter is structural and taken from the configuration as it is.

Calibration, recovery and sensitivity analysis vary parameters as *structure* (what if the world
were so), not as policy: they name them in ``structural``, and the reference keeps the
configuration's own values of those keys.
"""

from __future__ import annotations

import copy
import dataclasses

from corridor_abm.model import border, geography
from corridor_abm.model.config import Config, calibrated_defaults
from corridor_abm.model.processes import innovation, migration, production
from corridor_abm.model.state import State

LEVER_GROUPS: tuple[str, ...] = ("land", "border", "transport", "innovation")
"""Groups whose values are policy from 2018Q1 on; the 2018 state uses their reference values."""


def reference_config(cfg: Config, structural: tuple[str, ...] = ()) -> Config:
    """``cfg`` with its lever groups set to their reference values (the calibrated set's).

    Args:
        cfg: The scenario's configuration.
        structural: Dotted keys that keep ``cfg``'s own values even inside a lever group.

    Returns:
        The reference configuration (a new object).
    """
    reference = calibrated_defaults(cfg.calibrated_set)
    out = copy.deepcopy(cfg)
    for group in LEVER_GROUPS:
        setattr(out, group, copy.deepcopy(getattr(reference, group)))
    for key in structural:
        *path, leaf = key.split(".")
        source, target = cfg, out
        for part in path:
            source, target = getattr(source, part), getattr(target, part)
        setattr(target, leaf, copy.deepcopy(getattr(source, leaf)))
    return out


def levers_differ(a: Config, b: Config, group: str) -> bool:
    """True if two configurations differ in one lever group."""
    return dataclasses.asdict(getattr(a, group)) != dataclasses.asdict(getattr(b, group))


def switch_on(s: State, reference: Config, cfg: Config) -> None:
    """Switch from the reference levers to the scenario's at the first simulated quarter (and,
    later in a run, from one quarter's levers to the next where a path changes them:
    ``reference`` is then the configuration in force until now).

    Land: each government's supply multiplier. Transport: travel times, the agglomeration
    kernel and agglomeration, and the workers whose commute the change moved a lot are displaced
    (:func:`model.processes.migration.commute_shocks`). Border or transport: the goods border's
    cost shares. Border, transport or innovation: the knowledge kernel. The 2018 references (fundamentals, the
    agglomeration and knowledge references, the initial knowledge stock) stay as built.
    Everything else a process reads from the configuration each quarter, so it acts from 2018Q1.
    """
    transport = levers_differ(reference, cfg, "transport")
    border_ = levers_differ(reference, cfg, "border")
    if levers_differ(reference, cfg, "land"):
        for gov, before, multiplier in zip(s.governments, reference.land.multipliers(), cfg.land.multipliers()):
            if multiplier != before:  # a city whose multiplier is unchanged keeps its rule's value
                gov.land_multiplier = float(multiplier)
    if transport:
        before = s.travel
        s.travel = production.build_travel(s.map, cfg)
        production.update_agglomeration(s, cfg)
        migration.commute_shocks(s, cfg, before)
    if border_ or transport:
        s.cells.goods_share = border.goods_cost_share(
            cfg.border, cfg.transport, s.map, geography.haul_minutes(s.map, cfg.transport)
        )
    if border_ or transport or levers_differ(reference, cfg, "innovation"):
        s.knowledge.kernel = innovation.knowledge_kernel(s, cfg)
