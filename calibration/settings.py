"""The settings of the calibration commands (``calibration.*`` on the command line).

They are run control: :class:`app.settings.Settings` carries them next to the model's
configuration, and the calibration commands receive them apart from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from corridor_abm.model.params import ConfigError, list_param, param

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
"""Allowed names of a calibrated set: a file stem in ``scenarios/calibrated/`` (no path)."""

MIN_POPULATION = 4
"""The smallest differential-evolution population (:func:`calibration.de.minimise`)."""


@dataclass
class CalibrationParams:
    """Calibration, parameter recovery and sensitivity analysis (run control: the model never
    receives these; keys ``calibration.*``)."""

    workers: int = param(2, "processes", "Parallel worker processes", source="run setting", lo=1, hi=256)
    free: list[str] = list_param(
        "keys",
        "Free parameters of calibrate and recovery, from calibration/parameters.csv (empty: every row marked calibrate)",
    )
    screen: list[str] = list_param(
        "keys",
        "Parameters of the sensitivity analysis, from calibration/parameters.csv (empty: every row marked sensitivity)",
    )
    n_firms: int = param(
        2500,
        "agents",
        "Initial firm agents of each calibration or sensitivity simulation",
        source="run setting",
        lo=4,
        hi=500_000,
    )
    n_talent: int = param(
        25_000,
        "agents",
        "Initial talent agents of each calibration or sensitivity simulation",
        source="run setting",
        lo=8,
        hi=5_000_000,
    )
    population_share: float = param(
        0.1,
        "share",
        "Share of the corridor the agents of a calibration or sensitivity simulation stand for",
        source="run setting",
        lo=0.001,
        hi=1.0,
        lo_open=True,
    )
    quarters: int = param(
        8,
        "quarters",
        "Quarters per calibration simulation (8 = 2018–2019, the targets' years)",
        source="run setting",
        lo=1,
        hi=400,
    )
    replicates: int = param(
        3,
        "runs",
        "Replicates per parameter vector; the same seeds for every vector (common random numbers)",
        source="run setting",
        lo=1,
        hi=100,
    )
    report_replicates: int = param(
        8,
        "runs",
        "Replicates (fresh seeds) at the starting and the calibrated point: simulation variance for the "
        "weights, and the report's bands across seeds",
        source="run setting",
        lo=2,
        hi=1000,
    )
    population: int = param(
        0,
        "vectors",
        "Differential-evolution population (0: 3 × free parameters, at least 8; else at least 4)",
        source="run setting",
        lo=0,
        hi=10_000,
    )
    generations: int = param(
        20,
        "generations",
        "Differential-evolution generations (the budget); a resumed run continues up to this many",
        source="run setting",
        lo=0,
        hi=100_000,
    )
    resume: bool = param(
        True, "bool", "Resume from the run directory's checkpoint if its settings match", source="run setting"
    )
    install: bool = param(
        False,
        "bool",
        "Also write the calibrated set to scenarios/calibrated/<name>.yaml (default.yaml is the baseline's)",
        source="run setting",
    )
    name: str = param(
        "default",
        "-",
        "Name of the calibrated set file written with install=true (letters, digits, _ and -; no path)",
        source="run setting",
    )
    recovery_draws: int = param(
        4,
        "vectors",
        "Known parameter vectors drawn from the prior box for parameter recovery",
        source="run setting",
        lo=1,
        hi=1000,
    )
    recovery_generations: int = param(
        8,
        "generations",
        "Differential-evolution generations of each blind recovery calibration",
        source="run setting",
        lo=0,
        hi=100_000,
    )
    recovery_threshold: float = param(
        0.7,
        "ratio",
        "A parameter counts as recovered when its RMSE is below this share of the RMSE of guessing the prior mean",
        source="run setting",
        lo=0.0,
        hi=10.0,
    )
    sensitivity_quarters: int = param(
        40,
        "quarters",
        "Quarters per sensitivity simulation (outcomes are over the whole horizon)",
        source="run setting",
        lo=1,
        hi=400,
    )
    morris_trajectories: int = param(
        8, "trajectories", "Morris screening trajectories", source="run setting", lo=2, hi=10_000
    )
    morris_levels: int = param(4, "levels", "Grid levels of the Morris design", source="run setting", lo=2, hi=100)
    sobol_top: int = param(
        4,
        "parameters",
        "Parameters (by Morris μ*) carried into the Sobol analysis",
        source="run setting",
        lo=1,
        hi=100,
    )
    sobol_samples: int = param(
        32,
        "samples",
        "Sobol base sample N (a power of 2, at least 2; N·(k+2) simulations for k parameters)",
        source="run setting",
        lo=2,
        hi=1_000_000,
    )

    def check(self, root: Any) -> None:
        """Every calibration setting that can be checked before anything runs.

        Raises:
            ConfigError: naming the ``calibration.*`` key and what is allowed.
        """
        from corridor_abm.calibration.moments import window_covered
        from corridor_abm.calibration.spec import load_parameters, load_targets

        if 0 < self.population < MIN_POPULATION:
            raise ConfigError(
                f"calibration.population = {self.population} is too small for differential evolution; "
                f"allowed: 0 (automatic) or at least {MIN_POPULATION}."
            )
        if not NAME_PATTERN.match(self.name):
            raise ConfigError(
                f"calibration.name = {self.name!r} is not a calibrated set name; allowed: 1–64 letters, digits, "
                "'_' and '-', starting with a letter or digit (the file scenarios/calibrated/<name>.yaml; no path)."
            )
        if self.sobol_samples & (self.sobol_samples - 1):
            raise ConfigError(
                f"calibration.sobol_samples = {self.sobol_samples} is not a power of 2; allowed: 2, 4, 8, 16, 32, ..."
            )
        mode = getattr(root, "mode", None)
        if mode not in ("calibrate", "recovery", "sensitivity") and not self.free and not self.screen:
            return  # the files are read only when they matter
        table = load_parameters()
        names = [p.name for p in table]
        for key, chosen, flag in (("free", self.free, "calibrate"), ("screen", self.screen, "sensitivity")):
            unknown = [n for n in chosen if n not in names]
            if unknown:
                raise ConfigError(
                    f"calibration.{key}: {', '.join(repr(n) for n in unknown)} not in calibration/parameters.csv; "
                    f"allowed: {', '.join(names)}."
                )
            if len(set(chosen)) < len(chosen):
                raise ConfigError(f"calibration.{key} lists a parameter twice: {list(chosen)}; allowed: each once.")
            if not chosen and not any(getattr(p, flag) for p in table):
                raise ConfigError(
                    f"calibration.{key} is empty and no row of calibration/parameters.csv is marked {flag}."
                )
        if mode in ("calibrate", "recovery"):
            start = getattr(root, "start", "2018Q1")
            if not any(t.role == "fit" and window_covered(t, start, self.quarters) for t in load_targets()):
                raise ConfigError(
                    f"calibration.quarters = {self.quarters}: no fitted target of calibration/targets.csv lies within "
                    f"{self.quarters} quarters from {start}; allowed: enough quarters to reach a target year (default 8)."
                )
