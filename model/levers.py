"""The levers: the reference values the 2018 state is built under, and the one step that
switches a scenario's values on at the first simulated quarter.

A scenario's land, border and transport settings are policies that start in 2018Q1. The model
builds, spins up and inverts the 2018 state under the *reference* values of those groups — the
defaults updated by the calibrated parameter set in force
(``scenarios/calibrated/<calibrated_set>.yaml``) — and :func:`switch_on` applies the scenario's
values at the first simulated quarter. Otherwise a scenario that, say, opens the border would see
its effect absorbed into the 2018 fundamentals. Every other parameter is structural and taken
from the configuration as it is.
"""

from __future__ import annotations

import copy
import dataclasses

from model import border, geography
from model.config import Config, calibrated_defaults
from model.processes import production
from model.state import State

LEVER_GROUPS: tuple[str, ...] = ("land", "border", "transport")
"""Groups whose values are policy from 2018Q1 on; the 2018 state uses their reference values."""


def reference_config(cfg: Config) -> Config:
    """``cfg`` with its lever groups set to their reference values (the calibrated set's)."""
    reference = calibrated_defaults(cfg.calibrated_set)
    out = copy.deepcopy(cfg)
    for group in LEVER_GROUPS:
        setattr(out, group, copy.deepcopy(getattr(reference, group)))
    return out


def levers_differ(a: Config, b: Config, group: str) -> bool:
    """True if two configurations differ in one lever group."""
    return dataclasses.asdict(getattr(a, group)) != dataclasses.asdict(getattr(b, group))


def switch_on(s: State, reference: Config, cfg: Config) -> None:
    """Switch from the reference levers to the scenario's at the first simulated quarter:
    travel times and agglomeration (transport), the goods border (border, transport)."""
    if levers_differ(reference, cfg, "transport"):
        s.travel.minutes = geography.travel_matrix(s.map, cfg.transport)
        s.travel.agg_kernel = production.agglomeration_kernel(s.travel.minutes, cfg)
        production.update_agglomeration(s, cfg)
    if levers_differ(reference, cfg, "border") or levers_differ(reference, cfg, "transport"):
        s.cells.goods_share = border.goods_cost_share(cfg.border, cfg.transport, s.map)
