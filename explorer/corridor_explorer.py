"""The explorer's Mesa model: a scenario and its baseline, stepped together with the same seed.

:class:`model.corridor.CorridorModel` takes one configuration object, which SolaraViz cannot
build from its sliders. :class:`CorridorExplorer` is the adapter: a ``mesa.Model`` whose
keyword arguments are plain numbers and names (the scenario, the population sample and the main
levers of :data:`LEVERS`), which composes the configuration like ``python run.py`` would and
builds two corridor models — the scenario with the levers, and the baseline with the same seed
and sample (common random numbers) — stepping both every quarter.

Levers act *on top of the chosen scenario*: each is a change (``+``) or a factor (``×``) applied
to the scenario file's own value, so every lever at its neutral position (0 or 1) is the
scenario as written; :meth:`CorridorExplorer.levers_in_force` lists what differs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
import pandas as pd

from corridor_abm.app.settings import Settings, compose_config
from corridor_abm.model.corridor import CorridorModel
from corridor_abm.model.params import validate

FIRMS_PER_SHARE = 25_000
"""Firm agents of the whole corridor: ``n_firms = population_share × 25,000`` (the full model's)."""
TALENT_PER_SHARE = 250_000
"""Talent agents of the whole corridor: ``n_talent = population_share × 250,000``."""


@dataclass(frozen=True)
class Lever:
    """One slider of the explorer.

    Attributes:
        name: Keyword argument of :class:`CorridorExplorer`.
        label: Slider label (with its unit).
        keys: Dotted config keys the lever moves.
        how: ``"add"`` (value added to the scenario's) or ``"mul"`` (scenario's value multiplied).
        lo: Smallest slider value.
        hi: Largest slider value.
        step: Slider step.
    """

    name: str
    label: str
    keys: tuple[str, ...]
    how: str
    lo: float
    hi: float
    step: float

    @property
    def neutral(self) -> float:
        """The slider value that leaves the scenario as written (0 for a change, 1 for a factor)."""
        return 0.0 if self.how == "add" else 1.0


LEVERS: tuple[Lever, ...] = (
    *(
        Lever(
            f"land_{c}",
            f"{name} land supply, + (× 2018 rate)",
            (f"land.{c}_supply",),
            "add",
            -1.0,
            3.0,
            0.25,
        )
        for c, name in (("sz", "SZ"), ("dg", "DG"), ("hz", "HZ"), ("hk", "HK"))
    ),
    Lever(
        "talent_subsidy_sz",
        "SZ talent subsidy, + (¥ thousand/yr per worker)",
        ("government.talent_subsidy.sz",),
        "add",
        0.0,
        200.0,
        10.0,
    ),
    Lever(
        "border_talent",
        "Border: talent barriers, ×",
        (
            "border.work_barrier_hk",
            "border.work_barrier_mainland",
            "border.residence_barrier_hk",
            "border.residence_barrier_mainland",
        ),
        "mul",
        0.0,
        2.0,
        0.1,
    ),
    Lever("border_capital", "Border: capital friction, ×", ("border.capital_friction",), "mul", 0.0, 2.0, 0.1),
    Lever(
        "border_knowledge",
        "Border: knowledge friction, ×",
        ("border.knowledge_friction",),
        "mul",
        0.0,
        2.0,
        0.1,
    ),
    Lever("border_goods", "Border: goods friction, ×", ("border.goods_friction",), "mul", 0.0, 2.0, 0.1),
    *(
        Lever(
            f"speedup_{pair}",
            f"Speed-up {label}, ×",
            (f"transport.speedup_{pair}",),
            "mul",
            0.5,
            3.0,
            0.1,
        )
        for pair, label in (("hk_sz", "HK–SZ"), ("sz_dg", "SZ–DG"), ("sz_hz", "SZ–HZ"), ("dg_hz", "DG–HZ"))
    ),
)
"""The main levers, in the order the page shows them. Labels: ``+`` adds to the scenario's value,
``×`` multiplies it (units in brackets)."""

LEVER_SCALE: dict[str, float] = {"talent_subsidy_sz": 1000.0}
"""Slider unit → config unit (the talent subsidy's slider is in ¥ thousand, the config in ¥)."""


def _get(obj: Any, key: str) -> Any:
    for part in key.split("."):
        obj = getattr(obj, part)
    return obj


def _set(obj: Any, key: str, value: Any) -> None:
    parts = key.split(".")
    for part in parts[:-1]:
        obj = getattr(obj, part)
    setattr(obj, parts[-1], value)


def _bounds(key: str) -> tuple[float | None, float | None]:
    """The declared range of a config key (from its ``param()`` metadata)."""
    cls: Any = Settings
    meta: dict[str, Any] = {}
    for part in key.split("."):
        fields = {f.name: f for f in dataclasses.fields(cls)}
        if part not in fields:  # a city of a PerCity value: the parent's metadata holds
            break
        f = fields[part]
        meta = dict(f.metadata) or meta
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default  # type: ignore[misc]
        cls = type(default)
    return meta.get("lo"), meta.get("hi")


def explorer_config(
    scenario: str = "baseline",
    population_share: float = 0.025,
    seed: int = 20180101,
    levers: dict[str, float] | None = None,
) -> Settings:
    """The configuration the explorer runs: a scenario file at a population sample, with levers.

    Args:
        scenario: Name of a file in ``scenarios/scenario/``.
        population_share: Share of the corridor the agents stand for (``n_firms`` and
            ``n_talent`` scale with it).
        seed: Master seed.
        levers: Slider values by lever name (:data:`LEVERS`); missing ones are neutral.

    Returns:
        The validated settings (progress bars off).

    Raises:
        model.params.ConfigError: for a value outside a key's range.
    """
    n_firms = int(round(FIRMS_PER_SHARE * population_share))
    n_talent = int(round(TALENT_PER_SHARE * population_share))
    cfg = compose_config(
        scenario,
        [
            f"seed={int(seed)}",
            f"n_firms={n_firms}",
            f"n_talent={n_talent}",
            f"population_share={population_share}",
            "output.progress=false",
        ],
    )
    for lever in LEVERS:
        value = float((levers or {}).get(lever.name, lever.neutral)) * LEVER_SCALE.get(lever.name, 1.0)
        neutral = lever.neutral * LEVER_SCALE.get(lever.name, 1.0)
        if value == neutral:
            continue
        for key in lever.keys:
            base = float(_get(cfg, key))
            new = base + value if lever.how == "add" else base * value
            lo, hi = _bounds(key)
            new = max(new, lo) if lo is not None else new
            new = min(new, hi) if hi is not None else new
            _set(cfg, key, new)
    return validate(cfg)


class CorridorExplorer(mesa.Model):
    """A scenario with the explorer's levers and the baseline, same seed and sample, stepped together.

    Args:
        scenario: Name of a scenario file.
        population_share: Population sample (0.025 = 625 firms and 6,250 talent agents).
        seed: Master seed of both models.
        show_baseline: Also build and step the baseline (for the side-by-side views).
        **kwargs: Slider values by lever name (:data:`LEVERS`).

    Attributes:
        config: The scenario's configuration with the levers.
        scenario: The scenario's corridor model.
        baseline: The baseline's corridor model (None if not shown).
        scenario_name: The scenario's name.
    """

    def __init__(
        self,
        scenario: str = "baseline",
        population_share: float = 0.025,
        seed: int = 20180101,
        show_baseline: bool = True,
        **kwargs: float,
    ) -> None:
        # the levers come as **kwargs: Mesa's SolaraViz accepts a catch-all only under that name
        super().__init__(seed=int(seed))
        levers = kwargs
        unknown = set(levers) - {lever.name for lever in LEVERS}
        if unknown:
            raise TypeError(f"unknown lever(s): {', '.join(sorted(unknown))}")
        self.scenario_name = scenario
        self.lever_values = {lever.name: float(levers.get(lever.name, lever.neutral)) for lever in LEVERS}
        self.reference = explorer_config(scenario, population_share, seed)
        self.config = explorer_config(scenario, population_share, seed, self.lever_values)
        self.scenario = CorridorModel(self.config)
        self.baseline = CorridorModel(explorer_config("baseline", population_share, seed)) if show_baseline else None
        self._tables: dict[tuple[str, int], dict[str, pd.DataFrame]] = {}

    def step(self) -> None:
        """One quarter of the scenario and of the baseline."""
        if not self.scenario.running:
            self.running = False
            return
        self.scenario.step()
        if self.baseline is not None:
            self.baseline.step()
        self.running = self.scenario.running

    # ---- what the views read ------------------------------------------------------------------
    @property
    def quarter(self) -> str:
        """Label of the last quarter simulated ('—' before the first step)."""
        t = self.scenario.t
        return self.scenario.labels[t - 1] if t > 0 else "—"

    def models(self) -> dict[str, CorridorModel]:
        """The corridor models shown: ``{"scenario": ..., "baseline": ...}``."""
        out = {"scenario": self.scenario}
        if self.baseline is not None:
            out["baseline"] = self.baseline
        return out

    def tables(self, which: str = "scenario") -> dict[str, pd.DataFrame]:
        """The tables so far of the scenario or the baseline (cached per quarter)."""
        model = self.models()[which]
        key = (which, model.t)
        if key not in self._tables:
            self._tables = {k: v for k, v in self._tables.items() if k[0] != which}
            self._tables[key] = model.tables()
        return self._tables[key]

    def cell_fields(self, which: str = "scenario") -> dict[str, np.ndarray]:
        """Per-cell commercial rent (¥/m²/month) and firms per km² now."""
        s = self.models()[which].state
        alive = s.firms.alive_index()
        firms = np.bincount(s.firms.cell[alive], minlength=s.n_cells)
        return {"rent": s.cells.com_rent / 3.0, "firms_per_km2": firms / s.map.cell_area_km2}

    def levers_in_force(self) -> list[tuple[str, float, float]]:
        """Config keys whose value differs from the scenario file's: (key, scenario's, explorer's)."""
        out = []
        for lever in LEVERS:
            for key in lever.keys:
                before, after = float(_get(self.reference, key)), float(_get(self.config, key))
                if before != after:
                    out.append((key, before, after))
        return out
