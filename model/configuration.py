"""Hydra wiring: the structured config schema, scenario composition and command-line checks.

The schema is :class:`model.params.Config`, stored in hydra's ConfigStore as ``base_config``;
``scenarios/config.yaml`` composes it with one file of ``scenarios/scenario/``. Scenario files
change parameters only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from model.params import Config, ConfigError, check_key, validate

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
"""Folder of the hydra configs (``config.yaml`` and the ``scenario`` group)."""

_registered = False


def register_configs() -> None:
    """Store the structured config schema in hydra's ConfigStore (idempotent)."""
    global _registered
    if not _registered:
        ConfigStore.instance().store(name="base_config", node=Config)
        _registered = True


def scenario_names() -> list[str]:
    """Names of the scenario files in ``scenarios/scenario/``."""
    return sorted(p.stem for p in (SCENARIO_DIR / "scenario").glob("*.yaml"))


def from_hydra(cfg: DictConfig | dict[str, Any]) -> Config:
    """Turn a composed hydra config into a validated :class:`Config`.

    Keys that belong to the command-line layer (``hydra``) are dropped.

    Raises:
        ConfigError: on an out-of-range value, naming the key and what is allowed.
    """
    node = OmegaConf.create(cfg) if isinstance(cfg, dict) else cfg
    schema = OmegaConf.structured(Config)
    plain = OmegaConf.to_container(node, resolve=True)
    plain.pop("hydra", None)
    merged = OmegaConf.merge(schema, plain)
    config = OmegaConf.to_object(merged)
    assert isinstance(config, Config)
    return validate(config)


def compose_config(scenario: str = "baseline", overrides: list[str] | None = None) -> Config:
    """Compose a scenario with overrides, as ``python run.py scenario=... key=value`` would.

    Args:
        scenario: Name of a file in ``scenarios/scenario/``.
        overrides: Hydra overrides such as ``["land.sz_supply=0"]``.

    Returns:
        The validated configuration.
    """
    from hydra import compose, initialize_config_dir

    register_configs()
    overrides = list(overrides or [])
    check_overrides(overrides)
    with initialize_config_dir(config_dir=str(SCENARIO_DIR), version_base="1.3"):
        cfg = compose(config_name="config", overrides=[f"scenario={scenario}", *overrides])
    return from_hydra(cfg)


_OVERRIDE = re.compile(r"^(?P<prefix>[+~]{0,2})(?P<key>[A-Za-z_][\w.]*)(@[\w.]+)?=")


def check_overrides(args: list[str]) -> None:
    """Stop early on an unknown key in command-line overrides, naming what is allowed.

    Hydra's own keys (``hydra.*``, ``--flags``), the ``scenario`` group and the run-control
    keys are passed through; every other ``key=value`` must be a configuration key.

    Raises:
        ConfigError: for the first unknown key.
    """
    for arg in args:
        if arg.startswith("-"):
            continue
        match = _OVERRIDE.match(arg)
        if not match:
            continue
        key = match.group("key")
        if key.split(".")[0] in ("hydra", "scenario", "calibrated"):
            if key == "scenario":
                value = arg.split("=", 1)[1]
                names = scenario_names()
                for choice in value.split(","):
                    if choice and not choice.startswith(("choice(", "range(", "glob(")) and choice not in names:
                        raise ConfigError(f"Unknown scenario '{choice}'. Allowed: {', '.join(names)}.")
            continue
        check_key(key)
