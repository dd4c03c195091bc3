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

from corridor_abm.app.backtest import BacktestParams
from corridor_abm.app.decompose import DecomposeParams
from corridor_abm.app.elasticity import ElasticityParams
from corridor_abm.app.reach import ReachParams
from corridor_abm.calibration.dispatch import ClusterParams
from corridor_abm.calibration.settings import CalibrationParams
from corridor_abm.model.config import SCENARIO_DIR, Config
from corridor_abm.model.params import ConfigError, check_key, list_param, param, validate

MODES: dict[str, str] = {
    "run": "corridor_abm.app.experiments:run_mode",
    "compare": "corridor_abm.app.experiments:compare_mode",
    "explore": "corridor_abm.explorer.serve:explore_mode",
    "calibrate": "corridor_abm.calibration.calibrate:calibrate_mode",
    "sensitivity": "corridor_abm.calibration.sensitivity:sensitivity_mode",
    "recovery": "corridor_abm.calibration.recovery:recovery_mode",
    "reach": "corridor_abm.app.reach:reach_mode",
    "decompose": "corridor_abm.app.decompose:decompose_mode",
    "elasticity": "corridor_abm.app.elasticity:elasticity_mode",
    "backtest": "corridor_abm.app.backtest:backtest_mode",
}
"""What ``python run.py mode=...`` does: mode → "module:function", called with (settings, run directory)."""


FIGURE_FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
"""Figure formats ``output.format`` accepts (the same as :data:`reporting.style.FORMATS`)."""


@dataclass
class OutputParams:
    """What a run writes."""

    snapshot_every: int = param(
        4, "quarters", "Spatial snapshots of rent and firm density every n quarters", lo=1, hi=400, source="run setting"
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
        "(a package's effect by lever group), elasticity (implied relocation elasticities), backtest "
        "(2018–2024 paths against public figures)",
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
    cluster: ClusterParams = field(default_factory=ClusterParams)
    reach: ReachParams = field(default_factory=ReachParams)
    decompose: DecomposeParams = field(default_factory=DecomposeParams)
    elasticity: ElasticityParams = field(default_factory=ElasticityParams)
    backtest: BacktestParams = field(default_factory=BacktestParams)

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


def scale_names() -> list[str]:
    """Names of the scale presets in ``scenarios/scale/`` (``scale=full``: one agent per worker)."""
    return sorted(p.stem for p in (SCENARIO_DIR / "scale").glob("*.yaml"))


def calibrated_names() -> list[str]:
    """Names of the calibrated parameter sets in ``scenarios/calibrated/``."""
    return sorted(p.stem for p in (SCENARIO_DIR / "calibrated").glob("*.yaml"))


def from_hydra(cfg: DictConfig | dict[str, Any]) -> Settings:
    """Turn a composed hydra config into validated :class:`Settings`.

    Keys that belong to the command-line layer (``hydra``) are dropped.

    Raises:
        ConfigError: on an out-of-range value, naming the key and what is allowed.
    """
    node = OmegaConf.create(cfg) if isinstance(cfg, dict) else cfg
    typed = OmegaConf.get_type(node) is Settings  # composed by hydra on the schema: types already checked
    node = OmegaConf.masked_copy(node, [k for k in node if k != "hydra"])
    plain = OmegaConf.to_container(node, resolve=True)
    if typed:
        settings = _build(Settings, plain)
    else:
        settings = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(Settings), plain))
    assert isinstance(settings, Settings)
    return validate(settings)


_HINTS: dict[type, dict[str, Any]] = {}


def _build(cls: type, data: dict[str, Any]) -> Any:
    """A dataclass tree from the plain form of a config whose types hydra has already checked
    (the same result as OmegaConf's ``to_object``, several times faster)."""
    import dataclasses
    import typing

    hints = _HINTS.setdefault(cls, typing.get_type_hints(cls))
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            value = data[f.name]
            if dataclasses.is_dataclass(hints[f.name]) and isinstance(value, dict):
                value = _build(hints[f.name], value)
            kwargs[f.name] = value
    return cls(**kwargs)


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

DERIVED_KEYS: dict[str, str] = {
    "scenario_name": "it is set by the scenario file: choose the scenario with scenario=NAME",
    "calibrated_set": "it is set by the calibrated set's file: choose the set with calibrated=NAME",
}
"""Keys a run records but a user cannot set: they name files, so a label always says what ran."""


def _leaf_types(cls: type = Settings, prefix: str = "") -> dict[str, Any]:
    """Every leaf key of a configuration class with its type (PerCity/PerSector fields are floats)."""
    import dataclasses
    import typing

    out: dict[str, Any] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        ftype = hints[f.name]
        if dataclasses.is_dataclass(ftype):
            out.update(_leaf_types(ftype, f"{prefix}{f.name}."))
        else:
            out[f"{prefix}{f.name}"] = ftype
    return out


_TYPES: dict[str, Any] = {}


def key_type(key: str) -> Any:
    """The type of a leaf key of :class:`Settings` (None for a group or an unknown key)."""
    if not _TYPES:
        _TYPES.update(_leaf_types())
    return _TYPES.get(key)


def check_overrides(args: list[str]) -> None:
    """Stop early on an unknown key in command-line overrides, naming what is allowed.

    Hydra's own keys (``hydra.*``, ``--flags``) are passed through; the ``scenario`` and
    ``calibrated`` groups must name files; ``scenario_name`` and ``calibrated_set`` cannot be set
    (:data:`DERIVED_KEYS`); every other ``key=value`` must be a key of :class:`Settings`, and a
    numeric key's value must be written in ASCII (``int('１２')`` would read full-width digits).

    Raises:
        ConfigError: for the first bad override, naming its key.
    """
    for arg in args:
        if arg.startswith("-"):
            continue
        match = _OVERRIDE.match(arg)
        if not match:
            continue
        key = match.group("key")
        value = arg.split("=", 1)[1]
        if key in DERIVED_KEYS:
            raise ConfigError(f"{key} cannot be overridden: {DERIVED_KEYS[key]}.")
        if key.split(".")[0] in ("hydra", "scenario", "calibrated", "scale"):
            if key == "scenario":
                names = scenario_names()
                for choice in value.split(","):
                    if choice and not choice.startswith(("choice(", "range(", "glob(")) and choice not in names:
                        raise ConfigError(f"Unknown scenario '{choice}'. Allowed: {', '.join(names)}.")
            if key == "scale":
                names = scale_names()
                for choice in value.split(","):
                    if not choice.startswith(("choice(", "glob(")) and choice not in names:
                        raise ConfigError(f"Unknown scale '{choice}'. Allowed: {', '.join(names)}.")
            if key == "calibrated":
                names = calibrated_names()
                for choice in value.split(","):
                    if not choice.startswith(("choice(", "glob(")) and choice not in names:
                        raise ConfigError(f"Unknown calibrated set '{choice}'. Allowed: {', '.join(names)}.")
            continue
        if key == "paths" or key.startswith("paths."):
            continue  # checked with the composed paths (model.timeline.check), naming key and quarter
        check_key(key, Settings)
        ktype = key_type(key)
        if ktype in (int, float, bool) and not value.isascii():
            raise ConfigError(
                f"{key} = {value!r} contains characters other than ASCII (e.g. full-width digits); "
                f"allowed: {'true or false' if ktype is bool else 'a number written with the digits 0-9'}."
            )
