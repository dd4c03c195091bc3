"""The command line's configuration: the model's configuration plus run control, and the hydra
wiring that composes it.

:class:`Settings` is the hydra structured config: every key of :class:`model.config.Config`
(``land.sz_supply``, ``seed``, ...) at the same place, plus what ``run.py`` does with it — the
mode, replicates, workers, the runs to compare, output options and calibration settings. The
model never receives the run control: :func:`model.config.only_model` strips it.
``scenarios/config.yaml`` composes the schema with a calibrated set and one scenario file.
Scenario files change parameters only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from app.decompose import DecomposeParams
from app.elasticity import ElasticityParams
from app.reach import ReachParams
from calibration.settings import CalibrationParams
from model.config import SCENARIO_DIR, Config
from model.params import ConfigError, check_key, list_param, param, validate

MODES: dict[str, str] = {
    "run": "app.experiments:run_mode",
    "compare": "app.experiments:compare_mode",
    "explore": "explorer.serve:explore_mode",
    "calibrate": "calibration.calibrate:calibrate_mode",
    "sensitivity": "calibration.sensitivity:sensitivity_mode",
    "recovery": "calibration.recovery:recovery_mode",
    "reach": "app.reach:reach_mode",
    "decompose": "app.decompose:decompose_mode",
    "elasticity": "app.elasticity:elasticity_mode",
}
"""What ``python run.py mode=...`` does: mode → "module:function", called with (settings, run directory)."""


FIGURE_FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
"""Figure formats ``output.format`` accepts (the same as :data:`reporting.style.FORMATS`)."""


@dataclass
class OutputParams:
    """What a run writes."""

    snapshot_every: int = param(
        4, "quarters", "Spatial snapshots of rent and firm density every n quarters", lo=1, source="run setting"
    )
    plots: bool = param(True, "bool", "Write plots (in output.format)", source="run setting")
    progress: bool = param(True, "bool", "Show progress on the terminal", source="run setting")
    format: str = param(
        "png", "-", "File format of every figure: png, svg or pdf (vector formats for papers)", source="run setting"
    )
    dpi: int = param(
        150,
        "dots per inch",
        "Resolution of raster figures (png, and raster parts such as maps in svg/pdf)",
        lo=50,
        hi=1200,
        source="run setting",
    )

    def check(self, root: object) -> None:
        """A figure format the plots can write."""
        if self.format not in FIGURE_FORMATS:
            raise ConfigError(f"output.format = {self.format!r} is not a figure format; allowed: png, svg, pdf.")


@dataclass
class ExploreParams:
    """The browser explorer (``python run.py mode=explore``): where it listens and what it starts with."""

    host: str = param(
        "127.0.0.1",
        "-",
        "Address the explorer's web server listens on (127.0.0.1: this machine only)",
        source="run setting",
    )
    port: int = param(8765, "-", "TCP port of the explorer's web server", lo=1024, hi=65535, source="run setting")
    population_share: float = param(
        0.025,
        "share",
        "Population sample the explorer starts with: n_firms = 25,000 × share and n_talent = 250,000 × share "
        "(0.025: 625 firms, 6,250 talent agents; a step takes a fraction of a second)",
        lo=0.025,
        hi=0.2,
        source="run setting",
    )


@dataclass
class Settings(Config):
    """The model's configuration and the run control of ``run.py``: the root of the hydra config."""

    mode: str = param(
        "run",
        "-",
        "What run.py does: run (simulate, with replicates), compare (runs=[...]), explore (the browser "
        "explorer), calibrate, sensitivity, recovery, reach (does every lever reach its channel), decompose "
        "(a package's effect by lever group), elasticity (implied relocation elasticities)",
        source="run setting",
    )
    replicates: int = param(
        1, "runs", "Replicates, each with a seed spawned from the master seed", source="run setting", lo=1, hi=10000
    )
    workers: int = param(
        2,
        "processes",
        "Worker processes for replicates (each on one BLAS thread; results do not depend on it)",
        lo=1,
        hi=256,
        source="run setting",
    )
    runs: list[str] = list_param("paths", "Run or multirun directories to compare (mode=compare)")
    output: OutputParams = field(default_factory=OutputParams)
    explore: ExploreParams = field(default_factory=ExploreParams)
    calibration: CalibrationParams = field(default_factory=CalibrationParams)
    reach: ReachParams = field(default_factory=ReachParams)
    decompose: DecomposeParams = field(default_factory=DecomposeParams)
    elasticity: ElasticityParams = field(default_factory=ElasticityParams)

    def check(self, root: Config) -> None:
        """The model's rules, and a mode ``run.py`` knows."""
        super().check(root)
        if self.mode not in MODES:
            raise ConfigError(f"mode = {self.mode!r} is not a mode; allowed: {', '.join(MODES)}.")


_registered = False


def register_configs() -> None:
    """Store the structured config schema in hydra's ConfigStore (idempotent)."""
    global _registered
    if not _registered:
        ConfigStore.instance().store(name="base_config", node=Settings)
        _registered = True


def scenario_names() -> list[str]:
    """Names of the scenario files in ``scenarios/scenario/``."""
    return sorted(p.stem for p in (SCENARIO_DIR / "scenario").glob("*.yaml"))


def from_hydra(cfg: DictConfig | dict[str, Any]) -> Settings:
    """Turn a composed hydra config into validated :class:`Settings`.

    Keys that belong to the command-line layer (``hydra``) are dropped.

    Raises:
        ConfigError: on an out-of-range value, naming the key and what is allowed.
    """
    node = OmegaConf.create(cfg) if isinstance(cfg, dict) else cfg
    schema = OmegaConf.structured(Settings)
    plain = OmegaConf.to_container(node, resolve=True)
    plain.pop("hydra", None)
    merged = OmegaConf.merge(schema, plain)
    settings = OmegaConf.to_object(merged)
    assert isinstance(settings, Settings)
    return validate(settings)


def compose_config(scenario: str = "baseline", overrides: list[str] | None = None) -> Settings:
    """Compose a scenario with overrides, as ``python run.py scenario=... key=value`` would.

    Args:
        scenario: Name of a file in ``scenarios/scenario/``.
        overrides: Hydra overrides such as ``["land.sz_supply=0"]``.

    Returns:
        The validated settings.
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

    Hydra's own keys (``hydra.*``, ``--flags``), the ``scenario`` and ``calibrated`` groups are
    passed through; every other ``key=value`` must be a key of :class:`Settings`.

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
        check_key(key, Settings)
