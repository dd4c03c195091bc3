"""The 2018 reference: the lever values under which the initial state is built and inverted.

A scenario's land, border and transport settings are policies that start in 2018Q1. The model
builds, spins up and inverts the 2018 state under the *reference* values of those groups — the
defaults of :mod:`model.params` updated by the calibrated parameter set in force
(``scenarios/calibrated/<calibrated_set>.yaml``) — and switches the scenario's values on at the
first simulated quarter. Otherwise a scenario that, say, opens the border would see its effect
absorbed into the 2018 fundamentals. Every other parameter is structural and taken from the
configuration as it is.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

from omegaconf import OmegaConf

from model.params import Config

LEVER_GROUPS: tuple[str, ...] = ("land", "border", "transport")
"""Groups whose values are policy from 2018Q1 on; the 2018 state uses their reference values."""

CALIBRATED_DIR = Path(__file__).resolve().parent.parent / "scenarios" / "calibrated"


def calibrated_defaults(name: str) -> Config:
    """The defaults of model/params.py updated by a calibrated parameter set.

    Args:
        name: File stem in ``scenarios/calibrated/`` (missing or empty file: plain defaults).

    Returns:
        The reference configuration.
    """
    schema = OmegaConf.structured(Config)
    path = CALIBRATED_DIR / f"{name}.yaml"
    if path.is_file():
        loaded = OmegaConf.load(path)
        if loaded:
            schema = OmegaConf.merge(schema, loaded)
    config = OmegaConf.to_object(schema)
    assert isinstance(config, Config)
    return config


def reference_config(cfg: Config) -> Config:
    """``cfg`` with its lever groups (land, border, transport) set to their reference values."""
    reference = calibrated_defaults(cfg.calibrated_set)
    out = copy.deepcopy(cfg)
    for group in LEVER_GROUPS:
        setattr(out, group, copy.deepcopy(getattr(reference, group)))
    return out


def levers_differ(a: Config, b: Config, group: str) -> bool:
    """True if two configurations differ in one lever group."""
    return dataclasses.asdict(getattr(a, group)) != dataclasses.asdict(getattr(b, group))
