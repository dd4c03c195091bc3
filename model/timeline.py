"""Policies and exogenous drivers on a timeline: parameter paths and a package's start quarter.

Any leaf key of the time-varying groups (:data:`TIMED_GROUPS`: the levers and the economy) can
be given a *path* under the configuration's ``paths`` key, in YAML or on the command line. A
path is a step function of the quarter: each value holds from its quarter until the next one;
before the first the configuration's own value holds. Two forms:

.. code-block:: yaml

    paths:
      border:
        work_barrier_hk: {2020Q1: 6.0, 2023Q1: 1.2}      # values from quarters ('YYYYQn')
      economy:
        mortgage_rate:
          sz: {2019: 0.0485, 2020: 0.0465, 2022: 0.0430} # a year stands for its first quarter
      land:
        sz_supply: {from: 2026Q1, by: year, values: [1.5, 2.0, 2.5], until: 2028Q4}

The second form gives values by quarter or by year (``by``) from ``from``; with ``until`` the
list must cover exactly the periods from ``from`` to ``until``; the last value then holds.
On the command line: ``+paths.border.work_barrier_hk={2020Q1:6.0,2023Q1:1.2}``.

A scenario states "this package starts in 2026Q1" with ``package_start: 2026Q1``: every value of
the policy groups (:data:`PACKAGE_GROUPS`) that differs from the reference (the calibrated set's)
holds at the reference until that quarter, then switches to the scenario's value.

The 2018 state is built under the values in force at 2018Q1 (:func:`Timeline.config_at` ``(0)``),
so no later value leaks into a 2018 reference; a path changes results only from its first
quarter on. Validation (:func:`check`) names the key and the quarter of any bad entry.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from corridor_abm.model.params import ConfigError, PerCity, PerSector

if TYPE_CHECKING:
    from corridor_abm.model.config import Config

TIMED_GROUPS: tuple[str, ...] = ("land", "border", "transport", "innovation", "government", "services", "economy")
"""Groups whose leaves may follow a path: the levers and the exogenous economy."""

PACKAGE_GROUPS: tuple[str, ...] = ("land", "border", "transport", "innovation", "government", "services")
"""Groups a scenario's ``package_start`` delays (its policy levers)."""

FIRST_YEAR = 2018
"""Year of quarter index 0 (the model's data describe 2018; every run starts in 2018Q1)."""
MAX_QUARTERS = 400
"""Quarters a path may reach (the longest horizon a run may have)."""


@dataclass(frozen=True)
class Path:
    """A parameter path: a step function of the quarter.

    Attributes:
        key: Dotted leaf key, e.g. ``border.work_barrier_hk`` or ``economy.mortgage_rate.sz``.
        points: (quarter index, value) pairs, sorted by quarter; each value holds from its
            quarter (0 = 2018Q1) until the next.
    """

    key: str
    points: tuple[tuple[int, float], ...]

    def value_at(self, t: int) -> float | None:
        """The path's value in quarter ``t`` (None before its first point)."""
        value = None
        for quarter, v in self.points:
            if quarter > t:
                break
            value = v
        return value

    @property
    def start(self) -> int:
        """First quarter the path sets a value."""
        return self.points[0][0]


def quarter_label(t: int) -> str:
    """Label 'YYYYQn' of quarter index ``t`` (0 = 2018Q1)."""
    return f"{FIRST_YEAR + t // 4}Q{t % 4 + 1}"


def quarter_index(when: Any, key: str) -> int:
    """Quarter index (0 = 2018Q1) of a path's date: 'YYYYQn', or a year (its first quarter).

    Raises:
        ConfigError: naming the key if ``when`` is not a quarter from 2018Q1 on.
    """
    text = str(when).strip().upper()
    where = key if key == "package_start" else f"paths.{key}"
    try:
        if "Q" in text:
            year_txt, q_txt = text.split("Q")
            year, q = int(year_txt), int(q_txt)
        else:
            year, q = int(text), 1
    except ValueError:
        year, q = -1, 0
    t = (year - FIRST_YEAR) * 4 + q - 1
    if not (1 <= q <= 4) or year < 0:
        raise ConfigError(f"{where}: {when!r} is not a quarter; allowed: 'YYYYQn' (n in 1..4) or a year, from 2018Q1.")
    if not 0 <= t < MAX_QUARTERS:
        raise ConfigError(
            f"{where}: quarter {text} is outside the model's time; allowed: "
            f"{quarter_label(0)} to {quarter_label(MAX_QUARTERS - 1)}."
        )
    return t


# --------------------------------------------------------------------------------------------
# the keys a path may name


@functools.cache
def _timed_leaves(root: type) -> dict[str, tuple[type, dict[str, Any]]]:
    """Every leaf key of the timed groups of a configuration class with its type and metadata."""
    import typing

    out: dict[str, tuple[type, dict[str, Any]]] = {}
    hints = typing.get_type_hints(root)
    for group in TIMED_GROUPS:
        cls = hints[group]
        group_hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            ftype = group_hints[f.name]
            if ftype in (PerCity, PerSector):
                for sub in dataclasses.fields(ftype):
                    out[f"{group}.{f.name}.{sub.name}"] = (float, dict(f.metadata))
            elif ftype in (int, float, bool):
                out[f"{group}.{f.name}"] = (ftype, dict(f.metadata))
    return out


def _check_timed_key(key: str, root: type) -> tuple[type, dict[str, Any]]:
    leaves = _timed_leaves(root)
    if key in leaves:
        return leaves[key]
    import difflib

    group = key.split(".")[0]
    if group not in TIMED_GROUPS:
        raise ConfigError(f"paths.{key}: '{group}' cannot follow a path; allowed groups: {', '.join(TIMED_GROUPS)}.")
    children = sorted(k for k in leaves if k.startswith(key + "."))
    if children:
        raise ConfigError(f"paths.{key}: a path sets one value; give one path per leaf: {', '.join(children)}.")
    close = difflib.get_close_matches(key, list(leaves), n=3, cutoff=0.6)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise ConfigError(f"paths.{key}: unknown key (or not a number).{hint}")


# --------------------------------------------------------------------------------------------
# parsing


def _is_spec(node: Any) -> bool:
    """True if ``node`` is the leaf of a path (a mapping of dates or a ``from``/``values`` spec)."""
    if not isinstance(node, dict) or not node:
        return False
    if "values" in node or "from" in node:
        return True
    return all(isinstance(k, int) or (isinstance(k, str) and k[:1].isdigit()) for k in node)


def _flatten(node: Any, prefix: str) -> list[tuple[str, Any]]:
    if _is_spec(node):
        return [(prefix, node)]
    if isinstance(node, dict):
        if not node:
            return []
        out: list[tuple[str, Any]] = []
        for k, v in node.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    raise ConfigError(
        f"paths.{prefix}: {node!r} is not a path; allowed: a mapping of quarters to values "
        "({2020Q1: 6.0, 2023Q1: 1.2}) or {from: 2026Q1, by: quarter|year, values: [...]}."
    )


def _number(key: str, when: str, value: Any, vtype: type, meta: dict[str, Any]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"paths.{key} at {when}: {value!r} is not a number.")
    if vtype is int and not float(value).is_integer():
        raise ConfigError(f"paths.{key} at {when}: {value!r} is not a whole number.")
    if not math.isfinite(float(value)):
        raise ConfigError(f"paths.{key} at {when}: {value} is not a finite number.")
    lo, hi, lo_open = meta.get("lo"), meta.get("hi"), meta.get("lo_open", False)
    below = lo is not None and (value <= lo if lo_open else value < lo)
    above = hi is not None and value > hi
    if below or above:
        bracket = "(" if lo_open else "["
        lo_txt = "-inf" if lo is None else f"{lo:g}"
        hi_txt = "inf" if hi is None else f"{hi:g}"
        unit = meta.get("unit", "")
        raise ConfigError(
            f"paths.{key} at {when}: {value:g} is out of range: allowed {bracket}{lo_txt}, {hi_txt}]"
            f"{f' {unit}' if unit and unit != '-' else ''} — {meta.get('doc', '')}"
        )
    return int(value) if vtype is int else float(value)


def _parse_spec(key: str, spec: dict[Any, Any], root: type) -> Path:
    vtype, meta = _check_timed_key(key, root)
    points: list[tuple[int, float]] = []
    if "values" in spec or "from" in spec:
        unknown = set(spec) - {"from", "by", "values", "until"}
        if unknown:
            raise ConfigError(
                f"paths.{key}: unknown field(s) {', '.join(map(str, sorted(unknown, key=str)))}; "
                "allowed: from, by, values, until."
            )
        if "from" not in spec or "values" not in spec:
            raise ConfigError(f"paths.{key}: a list of values needs both 'from' and 'values'.")
        by = str(spec.get("by", "quarter"))
        if by not in ("quarter", "year"):
            raise ConfigError(f"paths.{key}: by = {by!r}; allowed: quarter or year.")
        step = 1 if by == "quarter" else 4
        start = quarter_index(spec["from"], key)
        values = spec["values"]
        if not isinstance(values, list | tuple) or not values:
            raise ConfigError(f"paths.{key}: values must be a non-empty list.")
        if "until" in spec:
            end = quarter_index(spec["until"], key)
            if end < start:
                raise ConfigError(f"paths.{key}: until {spec['until']} is before from {spec['from']}.")
            expected = (end - start) // step + 1
            if len(values) != expected:
                raise ConfigError(
                    f"paths.{key}: {len(values)} values from {quarter_label(start)} to {quarter_label(end)} "
                    f"by {by}; allowed: exactly {expected}."
                )
        for i, v in enumerate(values):
            t = start + i * step
            if t >= MAX_QUARTERS:
                raise ConfigError(
                    f"paths.{key}: value {i + 1} of {len(values)} falls after {quarter_label(MAX_QUARTERS - 1)}; "
                    "allowed: fewer values."
                )
            points.append((t, _number(key, quarter_label(t), v, vtype, meta)))
    else:
        seen: dict[int, Any] = {}
        for when, v in spec.items():
            t = quarter_index(when, key)
            if t in seen:
                raise ConfigError(f"paths.{key}: quarter {quarter_label(t)} is given twice ({seen[t]!r}, {when!r}).")
            seen[t] = when
            points.append((t, _number(key, quarter_label(t), v, vtype, meta)))
    return Path(key, tuple(sorted(points)))


def parse_paths(paths: Any, root: type) -> list[Path]:
    """The paths of a configuration's ``paths`` mapping, one per leaf key.

    Args:
        paths: The ``paths`` mapping.
        root: The configuration class whose keys the paths name (:class:`model.config.Config`
            or a class that extends it).

    Raises:
        ConfigError: naming the key (and the quarter) of the first bad entry.
    """
    if paths is None:
        return []
    if not isinstance(paths, dict):
        raise ConfigError(f"paths = {paths!r} is not a mapping of keys to paths.")
    return [_parse_spec(key, spec, root) for key, spec in _flatten(_plain(paths), "")]


def _plain(node: Any) -> Any:
    """A plain dict/list copy of an OmegaConf node or plain container."""
    try:
        from omegaconf import DictConfig, ListConfig, OmegaConf

        if isinstance(node, DictConfig | ListConfig):
            return OmegaConf.to_container(node, resolve=True)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_plain(v) for v in node]
    return node


# --------------------------------------------------------------------------------------------
# reading and writing leaves


def get_leaf(cfg: Any, key: str) -> Any:
    """The value of a dotted leaf key of a configuration."""
    obj = cfg
    for part in key.split("."):
        obj = getattr(obj, part)
    return obj


def set_leaf(cfg: Any, key: str, value: Any) -> None:
    """Set a dotted leaf key of a configuration (in place)."""
    *path, leaf = key.split(".")
    obj = cfg
    for part in path:
        obj = getattr(obj, part)
    setattr(obj, leaf, value)


def _leaves(obj: Any, prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            out.update(_leaves(value, f"{prefix}{f.name}."))
        else:
            out[f"{prefix}{f.name}"] = value
    return out


# --------------------------------------------------------------------------------------------
# the timeline of a run


class Timeline:
    """The configuration in force in every quarter of a run.

    Args:
        cfg: A configuration (its ``paths`` and ``package_start``).
        reference: The calibrated reference configuration (needed only with ``package_start``:
            :func:`model.config.calibrated_defaults` of ``cfg.calibrated_set``).

    Attributes:
        base: The configuration before any path point (the package's levers at their reference
            values when ``package_start`` is set), without paths.
        paths: Every path, explicit ones and those ``package_start`` makes.
    """

    def __init__(self, cfg: Config, reference: Config | None = None) -> None:
        explicit = parse_paths(cfg.paths, type(cfg))
        base = copy.deepcopy(cfg)
        base.paths = {}
        base.package_start = ""
        paths = {p.key: p for p in explicit}
        if cfg.package_start:
            start = quarter_index(cfg.package_start, "package_start")
            if reference is None:
                raise ValueError("a package start needs the reference configuration")
            for group in PACKAGE_GROUPS:
                ours = _leaves(getattr(cfg, group), f"{group}.")
                theirs = _leaves(getattr(reference, group), f"{group}.")
                for key, value in ours.items():
                    if value == theirs[key] or not isinstance(value, int | float) or isinstance(value, bool):
                        continue
                    set_leaf(base, key, theirs[key])
                    if key in paths:  # an explicit path of the key keeps its own points from the start on
                        continue
                    paths[key] = Path(key, ((start, value),))
        self.base = base
        self.paths = sorted(paths.values(), key=lambda p: p.key)
        self._cache: dict[int, Config] = {}

    @property
    def change_quarters(self) -> list[int]:
        """Quarters (indices) at which some path sets a value."""
        return sorted({t for p in self.paths for t, _ in p.points})

    def events(self) -> list[tuple[int, str, float]]:
        """(quarter, key, value) of every point of every path, in time order."""
        return sorted((t, p.key, v) for p in self.paths for t, v in p.points)

    def config_at(self, t: int) -> Config:
        """The configuration in force in quarter ``t`` (0 = 2018Q1), without paths."""
        last = max([q for q in self.change_quarters if q <= t], default=-1)
        if last < 0:
            return self.base
        if last not in self._cache:
            cfg = copy.deepcopy(self.base)
            for p in self.paths:
                value = p.value_at(last)
                if value is not None:
                    set_leaf(cfg, p.key, value)
            self._cache[last] = cfg
        return self._cache[last]


def check(cfg: Config, reference: Config | None = None) -> None:
    """Validate the paths and the package start of a configuration: keys, quarters, lengths and
    ranges; and every cross-field rule under the configuration in force at each change.

    Args:
        cfg: The configuration.
        reference: The calibrated reference (needed with ``package_start``).

    Raises:
        ConfigError: naming the key and the quarter.
    """
    if cfg.package_start:
        quarter_index(cfg.package_start, "package_start")
    if not cfg.paths and not cfg.package_start:
        return
    timeline = Timeline(cfg, reference)
    from corridor_abm.model.params import validate

    for t in timeline.change_quarters:
        try:
            validate(timeline.config_at(t))
        except ConfigError as err:
            raise ConfigError(f"with the paths in force from {quarter_label(t)}: {err}") from None
