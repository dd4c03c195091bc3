"""What calibration works with, declared as data: targets and free parameters.

* ``calibration/targets.csv`` — one row per calibration target: its value, an uncertainty band
  (``low``–``high``, read as a 90% interval), the year of the source and the model year the
  moment is computed over, the moment function (:mod:`calibration.moments`) and city, the
  transform of the comparison (``identity`` or ``log``), its role (``fit``: in the loss;
  ``check``: reported only), and its source (``seed`` documents first, ``approx. public
  figure`` where they are silent).
* ``calibration/parameters.csv`` — one row per parameter that calibration may free or the
  sensitivity analysis may vary: a dotted config key, its prior box (``lower``–``upper``),
  the scale the search works on (``log`` or ``identity``) and the flags ``calibrate`` and
  ``sensitivity``.

Search algorithms see parameters as points of the unit cube; :class:`FreeParameter` maps them
to natural values (uniform on the chosen scale) and :func:`apply_values` writes natural values
into a copy of a configuration.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor_abm.model.config import Config
from corridor_abm.model.params import ConfigError, check_key, validate

HERE = Path(__file__).resolve().parent
TARGETS_FILE = HERE / "targets.csv"
"""The calibration targets."""

PARAMETERS_FILE = HERE / "parameters.csv"
"""The free parameters and their prior boxes."""

Z90 = 1.6448536269514722
"""Half-width of a 90% normal interval in standard deviations: a band's half-width is 1.645 σ."""

TRANSFORMS = ("identity", "log")
ROLES = ("fit", "check")
KINDS = ("seed", "approx. public figure", "assumption")


@dataclass(frozen=True)
class Target:
    """One calibration target (a row of ``targets.csv``).

    Attributes:
        name: Unique name.
        description: What is compared, and how the model's moment maps onto the source's figure.
        value: Target value.
        low: Lower end of the band (a 90% interval).
        high: Upper end of the band.
        unit: Unit of value and band.
        year: Year of the source figure.
        model_year: Simulated year(s) the moment is computed over: ``"2019"`` or ``"2018-2019"``.
        city: City code (HK, SZ, DG, HZ) or empty.
        moment: Name of the moment function in :mod:`calibration.moments`.
        transform: ``identity`` or ``log``: the scale on which model and target are compared.
        role: ``fit`` (in the loss) or ``check`` (reported only).
        kind: ``seed`` or ``approx. public figure``.
        source: Seed file name or public-figure note.
    """

    name: str
    description: str
    value: float
    low: float
    high: float
    unit: str
    year: int
    model_year: str
    city: str
    moment: str
    transform: str
    role: str
    kind: str
    source: str

    @property
    def years(self) -> tuple[int, ...]:
        """The simulated years of the moment's window."""
        text = str(self.model_year)
        if "-" in text:
            first, last = (int(x) for x in text.split("-"))
            return tuple(range(first, last + 1))
        return (int(text),)

    def to_scale(self, x: Any) -> Any:
        """Map values to the comparison scale (log values are floored at 1e-3 × the target)."""
        arr = np.asarray(x, dtype=float)
        if self.transform == "log":
            return np.log(np.maximum(arr, 1e-3 * self.value))
        return arr

    @property
    def sigma(self) -> float:
        """Standard deviation of the target on the comparison scale: band width / (2 × 1.645)."""
        lo, hi = self.to_scale(self.low), self.to_scale(self.high)
        return float(hi - lo) / (2.0 * Z90)

    def inside(self, x: float) -> bool:
        """True if ``x`` lies within the band."""
        return bool(np.isfinite(x) and self.low <= x <= self.high)

    def shifted(self, value: float) -> Target:
        """The same target moved to ``value`` with the same σ on its comparison scale (for
        pseudo-data in parameter recovery)."""
        if self.transform == "log":
            ratio = value / self.value
            return dataclasses.replace(self, value=value, low=self.low * ratio, high=self.high * ratio)
        shift = value - self.value
        return dataclasses.replace(self, value=value, low=self.low + shift, high=self.high + shift)


def load_targets(path: Path = TARGETS_FILE, role: str | None = None) -> list[Target]:
    """Read and check the targets file.

    Args:
        path: The CSV file.
        role: Keep only targets of this role (``fit`` or ``check``); None keeps all.

    Returns:
        The targets in file order.

    Raises:
        ValueError: on a malformed row (naming the target and the problem).
    """
    from corridor_abm.calibration.moments import MOMENTS

    frame = pd.read_csv(path, keep_default_na=False, dtype={"model_year": str, "city": str})
    targets: list[Target] = []
    for row in frame.to_dict("records"):
        t = Target(
            name=str(row["name"]),
            description=str(row["description"]),
            value=float(row["value"]),
            low=float(row["low"]),
            high=float(row["high"]),
            unit=str(row["unit"]),
            year=int(row["year"]),
            model_year=str(row["model_year"]),
            city=str(row["city"]),
            moment=str(row["moment"]),
            transform=str(row["transform"]),
            role=str(row["role"]),
            kind=str(row["kind"]),
            source=str(row["source"]),
        )
        problems = []
        if t.moment not in MOMENTS:
            problems.append(f"unknown moment {t.moment!r}")
        if t.transform not in TRANSFORMS:
            problems.append(f"transform must be one of {TRANSFORMS}")
        if t.role not in ROLES:
            problems.append(f"role must be one of {ROLES}")
        if t.kind not in KINDS:
            problems.append(f"kind must be one of {KINDS}")
        if not t.low <= t.value <= t.high:
            problems.append("value must lie within [low, high]")
        if t.role == "fit" and not t.high > t.low:
            problems.append("a fitted target needs a band of positive width")
        if t.transform == "log" and t.low <= 0:
            problems.append("a log target needs a positive band")
        if problems:
            raise ValueError(f"target {t.name}: " + "; ".join(problems))
        targets.append(t)
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise ValueError("target names must be unique")
    return [t for t in targets if role is None or t.role == role]


@dataclass(frozen=True)
class FreeParameter:
    """A parameter calibration may free: its config key, prior box and search scale.

    Attributes:
        name: Dotted config key, e.g. ``firms.rd_city_factor.sz``.
        lower: Lower end of the prior box (natural units).
        upper: Upper end of the prior box.
        scale: ``log`` (uniform in log) or ``identity``.
        calibrate: Freed by calibration and recovery by default.
        sensitivity: Varied by the sensitivity analysis by default.
        identified_by: Target expected to pin it down (documentation).
        note: Meaning and default.
    """

    name: str
    lower: float
    upper: float
    scale: str = "identity"
    calibrate: bool = True
    sensitivity: bool = True
    identified_by: str = ""
    note: str = ""

    def _t(self, x: Any) -> Any:
        return np.log(x) if self.scale == "log" else np.asarray(x, dtype=float)

    def _inv(self, y: Any) -> Any:
        return np.exp(y) if self.scale == "log" else y

    @property
    def bounds(self) -> tuple[float, float]:
        """Bounds on the search scale (log values for log parameters)."""
        return float(self._t(self.lower)), float(self._t(self.upper))

    def from_unit(self, u: Any) -> Any:
        """Natural value(s) of unit-cube coordinate(s) ``u``."""
        lo, hi = self.bounds
        return self._inv(lo + np.asarray(u, dtype=float) * (hi - lo))

    def to_unit(self, x: Any) -> Any:
        """Unit-cube coordinate(s) of natural value(s) ``x`` (outside [0, 1] if outside the box)."""
        lo, hi = self.bounds
        return (self._t(np.asarray(x, dtype=float)) - lo) / (hi - lo)

    def from_scale(self, y: Any) -> Any:
        """Natural value(s) of search-scale value(s) ``y`` (for SALib, which samples the bounds)."""
        return self._inv(np.asarray(y, dtype=float))

    @property
    def prior_mean_unit(self) -> float:
        """The prior mean in unit coordinates (the box is uniform on the search scale)."""
        return 0.5


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def load_parameters(path: Path = PARAMETERS_FILE) -> list[FreeParameter]:
    """Read and check the free-parameter file.

    Raises:
        ValueError: on an unknown key, an empty box or an unknown scale.
    """
    frame = pd.read_csv(path, keep_default_na=False)
    out = []
    for row in frame.to_dict("records"):
        p = FreeParameter(
            name=str(row["name"]),
            lower=float(row["lower"]),
            upper=float(row["upper"]),
            scale=str(row["scale"]),
            calibrate=_flag(row["calibrate"]),
            sensitivity=_flag(row["sensitivity"]),
            identified_by=str(row.get("identified_by", "")),
            note=str(row.get("note", "")),
        )
        try:
            check_key(p.name, Config)
        except ConfigError as err:
            raise ValueError(f"parameters.csv: {err}") from None
        if not p.upper > p.lower:
            raise ValueError(f"parameter {p.name}: upper must exceed lower")
        if p.scale not in TRANSFORMS:
            raise ValueError(f"parameter {p.name}: scale must be one of {TRANSFORMS}")
        if p.scale == "log" and p.lower <= 0:
            raise ValueError(f"parameter {p.name}: a log-scale box must be positive")
        out.append(p)
    return out


def select_parameters(names: Sequence[str], flag: str, path: Path = PARAMETERS_FILE) -> list[FreeParameter]:
    """The parameters named in ``names`` (in that order), or every row with ``flag`` set.

    Args:
        names: Keys from the parameter file; empty selects by ``flag``.
        flag: ``calibrate`` or ``sensitivity``.
        path: The parameter file.

    Raises:
        ValueError: if a name is not in the file.
    """
    table = {p.name: p for p in load_parameters(path)}
    if not names:
        return [p for p in table.values() if getattr(p, flag)]
    missing = [n for n in names if n not in table]
    if missing:
        raise ValueError(f"not in {path.name}: {', '.join(missing)}; allowed: {', '.join(table)}")
    return [table[n] for n in names]


def _parent_and_leaf(cfg: Any, key: str) -> tuple[Any, str]:
    parts = key.split(".")
    target = cfg
    for part in parts[:-1]:
        target = getattr(target, part)
    return target, parts[-1]


def get_value(cfg: Config, key: str) -> float:
    """The value of a dotted key in a configuration."""
    parent, leaf = _parent_and_leaf(cfg, key)
    return getattr(parent, leaf)


def apply_values(base: Config, values: dict[str, float], check: bool = True) -> Config:
    """A copy of ``base`` with dotted keys set to ``values`` (integers rounded for int fields).

    Args:
        base: The configuration to start from (not modified).
        values: Dotted key → natural value.
        check: Validate the result.

    Returns:
        The new configuration.
    """
    cfg = copy.deepcopy(base)
    for key, value in values.items():
        parent, leaf = _parent_and_leaf(cfg, key)
        current = getattr(parent, leaf)
        if isinstance(current, bool):
            raise ValueError(f"{key} is a flag, not a calibrated number")
        setattr(parent, leaf, int(round(float(value))) if isinstance(current, int) else float(value))
    return validate(cfg) if check else cfg


def values_from_unit(params: Sequence[FreeParameter], u: Iterable[float]) -> dict[str, float]:
    """Natural values of a unit-cube point."""
    return {p.name: float(p.from_unit(x)) for p, x in zip(params, u)}


def unit_of(params: Sequence[FreeParameter], cfg: Config) -> np.ndarray:
    """Unit-cube coordinates of a configuration's values of ``params``."""
    return np.array([float(p.to_unit(get_value(cfg, p.name))) for p in params])


def nested(values: dict[str, Any]) -> dict[str, Any]:
    """Dotted keys → nested dicts (for YAML)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts → dotted keys."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def natural(cfg: Config, key: str, value: float) -> float | int:
    """``value`` as the type of ``key`` in ``cfg`` (int fields rounded)."""
    current = get_value(cfg, key)
    return int(round(value)) if isinstance(current, int) and not isinstance(current, bool) else float(value)
