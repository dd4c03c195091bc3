"""The model's configuration: the run's identity and size, and one parameter group per process.

:class:`Config` is what :class:`model.corridor.CorridorModel` receives. Its groups are declared
next to the process that reads them (``model/processes/*.py``, ``model/geography.py``,
``model/border.py``); the keys users type are ``<group>.<field>`` (``land.sz_supply``). Run
control — what ``run.py`` does with a configuration (mode, replicates, workers, plots,
calibration settings) — is not part of it: :class:`app.settings.Settings` adds it on top for the
command line, and the model strips it off (:func:`only_model`).

Calibrated parameter sets (``scenarios/calibrated/<name>.yaml``) update the defaults;
:func:`calibrated_defaults` gives the configuration a set stands for.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import OmegaConf

from corridor_abm.model.border import BorderParams
from corridor_abm.model.geography import MapParams, TransportParams
from corridor_abm.model.params import ConfigError, param
from corridor_abm.model.processes.entry_exit import EntryExitParams
from corridor_abm.model.processes.government import GovernmentParams, LandParams, ServicesParams
from corridor_abm.model.processes.innovation import InnovationParams
from corridor_abm.model.processes.labour import TalentParams
from corridor_abm.model.processes.location import LocationParams
from corridor_abm.model.processes.markets import EconomyParams, MarketParams
from corridor_abm.model.processes.production import FirmParams
from corridor_abm.model.processes.venture import VCParams

if TYPE_CHECKING:
    from corridor_abm.model.timeline import Timeline

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "scenarios"
"""Folder of the hydra configs (``config.yaml``, the ``scenario`` and ``calibrated`` groups)."""
CALIBRATED_DIR = SCENARIO_DIR / "calibrated"
"""Folder of the calibrated parameter sets."""

START = "2018Q1"
"""The first simulated quarter: the 2018 data (placement, inversion, every reference level) are
the model's data, so a run cannot start anywhere else."""

SEED_MAX = 2**63 - 1
"""Largest master seed: seeds are stored as 64-bit signed integers in tables and provenance."""


@dataclass
class Config:
    """A whole model configuration: the run's identity and size, and every process's parameters."""

    scenario_name: str = param(
        "baseline",
        "-",
        "Name of the scenario: set by the scenario file (scenario=NAME), not on the command line",
        source="run setting",
    )
    calibrated_set: str = param(
        "default",
        "-",
        "Calibrated parameter set in force: set by the file scenarios/calibrated/<name>.yaml (calibrated=NAME), "
        "not on the command line",
        source="run setting",
    )
    seed: int = param(
        20180101, "-", "Master seed: every random stream derives from it", lo=0, hi=SEED_MAX, source="run setting"
    )
    start: str = param(
        START,
        "quarter",
        "First simulated quarter: the model's data describe 2018, so every run starts in 2018Q1 "
        "(only this value is allowed; quarters=N sets the horizon)",
        source="run setting",
    )
    quarters: int = param(80, "quarters", "Quarters simulated (80 = 2018Q1–2037Q4)", lo=1, hi=400, source="run setting")
    n_firms: int = param(
        25_000,
        "agents",
        "Initial firm agents (shared across cities by hightech_firms)",
        lo=4,
        hi=500_000,
        source="run setting",
    )
    n_talent: int = param(
        250_000,
        "agents",
        "Initial talent agents (each stands for several real workers)",
        lo=8,
        hi=5_000_000,
        source="run setting",
    )
    population_share: float = param(
        1.0,
        "share",
        "Share of the corridor's skilled workers and innovative firms the agents stand for (1: all). "
        "Smaller values give quick runs with realistic firm sizes (talent_scale = share × S&T "
        "workers / n_talent); the rest of the economy keeps its full size",
        lo=0.001,
        hi=1.0,
        lo_open=True,
        source="run setting",
    )
    compact_talent_at: float = param(
        2.0,
        "× living talent agents",
        "Drop departed talent (and refused entrants) from the arrays once they hold this many times the "
        "living agents: lower means shorter arrays and faster quarters; it changes which random number "
        "each agent draws, not the model (scale=full uses 1.25)",
        lo=1.01,
        hi=100.0,
        source="run setting",
    )
    map: MapParams = field(default_factory=MapParams)
    transport: TransportParams = field(default_factory=TransportParams)
    economy: EconomyParams = field(default_factory=EconomyParams)
    market: MarketParams = field(default_factory=MarketParams)
    land: LandParams = field(default_factory=LandParams)
    firms: FirmParams = field(default_factory=FirmParams)
    location: LocationParams = field(default_factory=LocationParams)
    talent: TalentParams = field(default_factory=TalentParams)
    entry: EntryExitParams = field(default_factory=EntryExitParams)
    innovation: InnovationParams = field(default_factory=InnovationParams)
    vc: VCParams = field(default_factory=VCParams)
    government: GovernmentParams = field(default_factory=GovernmentParams)
    services: ServicesParams = field(default_factory=ServicesParams)
    border: BorderParams = field(default_factory=BorderParams)
    package_start: str = param(
        "",
        "quarter",
        "Quarter from which the scenario's policy levers (land, border, transport, innovation, "
        "government, services) take their scenario values; before it they hold the calibrated "
        "reference values ('' = from the first quarter). See model/timeline.py",
        source="run setting",
    )
    paths: dict[str, Any] = field(
        default_factory=dict,
        metadata={
            "unit": "-",
            "doc": "Parameter paths: values of lever and economy keys from given quarters, e.g. "
            "paths.border.work_barrier_hk = {2020Q1: 6.0, 2023Q1: 1.2} (model/timeline.py)",
            "source": "run setting",
            "lo": None,
            "hi": None,
            "lo_open": False,
        },
    )

    def check(self, root: Config) -> None:
        """Rules across groups: the start quarter of the data, a population that fills every city,
        and valid paths (:func:`model.timeline.check`)."""
        if self.start != START:
            raise ConfigError(
                f"start = {self.start!r} is not allowed: the model's data describe 2018, so every run starts "
                f"in {START}; allowed: start={START} (set the horizon with quarters=N)."
            )
        firm_share = min(self.firms.hightech_firms.as_list()) / sum(self.firms.hightech_firms.as_list())
        if firm_share * self.n_firms < 1:
            raise ConfigError(
                f"n_firms = {self.n_firms} leaves a city empty: with firms.hightech_firms as given, "
                f"the smallest city's share is {firm_share:.4f}; allowed: n_firms ≥ {math.ceil(1 / firm_share)}."
            )
        talent_share = min(self.talent.st_workers.as_list()) / sum(self.talent.st_workers.as_list())
        if talent_share * self.n_talent < 2:
            raise ConfigError(
                f"n_talent = {self.n_talent} leaves a city empty: the smallest city's talent share is "
                f"{talent_share:.4f}; allowed: n_talent ≥ {math.ceil(2 / talent_share)}."
            )
        if self.n_talent < self.n_firms:
            raise ConfigError(
                f"n_talent = {self.n_talent} is smaller than n_firms = {self.n_firms}: every firm needs "
                "at least one skilled worker; allowed: n_talent ≥ n_firms."
            )
        from corridor_abm.model import timeline

        timeline.check(self, calibrated_defaults(self.calibrated_set) if self.package_start else None)


def only_model(cfg: Config) -> Config:
    """A copy of the model's part of ``cfg`` (an instance of :class:`Config` or of a class that
    extends it with run control): run control never reaches the model."""
    return Config(**{f.name: copy.deepcopy(getattr(cfg, f.name)) for f in dataclasses.fields(Config)})


def calibrated_defaults(name: str, schema: type = Config) -> Config:
    """The defaults updated by a calibrated parameter set.

    Args:
        name: File stem in ``scenarios/calibrated/`` (missing or empty file: plain defaults).
        schema: The configuration class to build (``Config``, or one that extends it).

    Returns:
        The reference configuration.
    """
    node = OmegaConf.structured(schema)
    path = CALIBRATED_DIR / f"{name}.yaml"
    if path.is_file():
        loaded = OmegaConf.load(path)
        if loaded:
            node = OmegaConf.merge(node, loaded)
    config = OmegaConf.to_object(node)
    assert isinstance(config, schema)
    return config


def timeline_of(cfg: Config) -> Timeline:
    """The timeline of a configuration (:class:`model.timeline.Timeline`), given the calibrated
    reference when its ``package_start`` needs one (:func:`calibrated_defaults` of
    ``cfg.calibrated_set``)."""
    from corridor_abm.model import timeline

    return timeline.Timeline(cfg, calibrated_defaults(cfg.calibrated_set) if cfg.package_start else None)


def parse_quarter(text: str) -> tuple[int, int]:
    """Year and quarter (1–4) of a label 'YYYYQn'.

    Raises:
        ConfigError: if the label is not a quarter.
    """
    try:
        year, q = text.upper().split("Q")
        year_i, q_i = int(year), int(q)
    except ValueError:
        raise ConfigError(f"start = {text!r} is not a quarter; allowed: 'YYYYQn', e.g. '2018Q1'.") from None
    if not (1 <= q_i <= 4 and 1900 <= year_i <= 2200):
        raise ConfigError(f"start = {text!r} is not a quarter; allowed: 'YYYYQn' with n in 1..4.")
    return year_i, q_i


def quarter_labels(start: str, n: int) -> list[str]:
    """Labels 'YYYYQn' of n consecutive quarters from ``start``.

    Args:
        start: First quarter, e.g. '2018Q1'.
        n: Number of quarters.

    Returns:
        The list of labels.
    """
    year, q = parse_quarter(start)
    base = year * 4 + (q - 1)
    return [f"{(base + k) // 4}Q{(base + k) % 4 + 1}" for k in range(n)]
