"""How parameters are declared, checked and documented.

Every process module declares its own parameter group as a dataclass whose fields are made with
:func:`param`, which records the field's meaning, unit, allowed range and source. A group may
add its cross-field rules in a method ``check(self, root)`` (``root`` is the whole
configuration). :class:`model.config.Config` gathers the groups under the keys users type
(``land.sz_supply``, ``talent.inflow_rate``, ...). From the declarations:

* hydra uses the dataclasses as typed structured configs (an unknown key or a wrong type stops
  the run before it starts);
* :func:`validate` checks every value against its range, then every ``check`` rule, and names
  the key and what is allowed;
* :func:`parameters_markdown` writes ``docs/parameters.md``, the parameter reference.

Sources name the seed documents by file name (``shared/seeds/``) or say "approx. public figure"
where the documents are silent; "assumption" marks behavioural parameters that calibration
(``calibration/``) is meant to tune.

City-valued parameters use :class:`PerCity` (fields ``hk``, ``sz``, ``dg``, ``hz``); sector-valued
ones use :class:`PerSector`.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import typing
from dataclasses import dataclass, field
from typing import Any


class ConfigError(ValueError):
    """A configuration value is unknown, of the wrong type or out of its allowed range."""


@dataclass
class PerCity:
    """One value per city: Hong Kong, Shenzhen, Dongguan, Huizhou."""

    hk: float = 0.0
    sz: float = 0.0
    dg: float = 0.0
    hz: float = 0.0

    def as_list(self) -> list[float]:
        """Values in the fixed city order (HK, SZ, DG, HZ)."""
        return [self.hk, self.sz, self.dg, self.hz]


@dataclass
class PerSector:
    """One value per sector: manufacturing, electronics/hardware, software/internet, biotech."""

    manufacturing: float = 0.0
    electronics: float = 0.0
    software: float = 0.0
    biotech: float = 0.0

    def as_list(self) -> list[float]:
        """Values in the fixed sector order."""
        return [self.manufacturing, self.electronics, self.software, self.biotech]


def param(
    default: Any,
    unit: str,
    doc: str,
    source: str = "assumption",
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
) -> Any:
    """Declare a parameter with its documentation and allowed range.

    Args:
        default: Default value (a PerCity/PerSector instance is copied per config).
        unit: Unit of the value (or of each city's/sector's value).
        doc: What the parameter means.
        source: Seed document file name, "approx. public figure ..." or "assumption".
        lo: Smallest allowed value (inclusive unless ``lo_open``), or None.
        hi: Largest allowed value (inclusive), or None.
        lo_open: If True the lower bound is exclusive (value must be > lo).

    Returns:
        A dataclass field carrying the metadata.
    """
    meta = {"unit": unit, "doc": doc, "source": source, "lo": lo, "hi": hi, "lo_open": lo_open}
    if dataclasses.is_dataclass(default):
        return field(default_factory=lambda: dataclasses.replace(default), metadata=meta)
    return field(default=default, metadata=meta)


def list_param(unit: str, doc: str, source: str = "run setting") -> Any:
    """Declare a list-valued setting (empty by default) with its documentation."""
    meta = {"unit": unit, "doc": doc, "source": source, "lo": None, "hi": None, "lo_open": False}
    return field(default_factory=list, metadata=meta)


def per_city(hk: float, sz: float, dg: float, hz: float) -> PerCity:
    """A :class:`PerCity` value, in city order."""
    return PerCity(hk=hk, sz=sz, dg=dg, hz=hz)


def per_sector(manufacturing: float, electronics: float, software: float, biotech: float) -> PerSector:
    """A :class:`PerSector` value, in sector order."""
    return PerSector(manufacturing=manufacturing, electronics=electronics, software=software, biotech=biotech)


DIGEST = "seed-digest.md §3"
PUBLIC = "approx. public figure (seed-digest.md §3 lists it as such)"


# --------------------------------------------------------------------------------------------
# validation


def _number(x: float) -> str:
    """A bound or value as a message shows it: integers in full (up to 2^63), others with %g."""
    if isinstance(x, int) and abs(x) < 2**64:
        return str(x)
    return f"{x:g}"


def _check_value(key: str, value: Any, meta: dict[str, Any]) -> None:
    lo, hi, lo_open = meta.get("lo"), meta.get("hi"), meta.get("lo_open", False)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{key} = {value} is not a finite number ({meta.get('doc', '')}).")
    below = value <= lo if (lo is not None and lo_open) else (lo is not None and value < lo)
    above = hi is not None and value > hi
    if below or above:
        lo_txt = "-inf" if lo is None else _number(lo)
        hi_txt = "inf" if hi is None else _number(hi)
        bracket = "(" if lo_open else "["
        unit = meta.get("unit", "")
        raise ConfigError(
            f"{key} = {_number(value)} is out of range: allowed {bracket}{lo_txt}, {hi_txt}]"
            f"{f' {unit}' if unit and unit != '-' else ''} — {meta.get('doc', '')}"
        )


def _walk(obj: Any, prefix: str, meta: dict[str, Any] | None) -> None:
    for f in dataclasses.fields(obj):
        key = f"{prefix}{f.name}"
        value = getattr(obj, f.name)
        fmeta = dict(f.metadata) or meta or {}
        if isinstance(value, PerCity | PerSector):
            for sub in dataclasses.fields(value):
                _check_value(f"{key}.{sub.name}", getattr(value, sub.name), fmeta)
        elif dataclasses.is_dataclass(value):
            _walk(value, f"{key}.", None)
        else:
            _check_value(key, value, fmeta)


def _groups(obj: Any) -> list[Any]:
    """The root and every parameter group below it, root first, then in declaration order."""
    out = [obj]
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, PerCity | PerSector):
            out += _groups(value)
    return out


def validate(cfg: Any) -> Any:
    """Check every value against its declared range, then every group's cross-field rules.

    Args:
        cfg: A configuration (dataclass instance whose groups are dataclasses).

    Returns:
        The same configuration, if valid.

    Raises:
        ConfigError: naming the first offending key and what is allowed.
    """
    _walk(cfg, "", None)
    for group in _groups(cfg):
        check = getattr(group, "check", None)
        if callable(check):
            check(cfg)
    return cfg


# --------------------------------------------------------------------------------------------
# key lookup (for clear messages on unknown keys)


def _resolve(cls: type, name: str) -> Any:
    return typing.get_type_hints(cls)[name]


def config_keys(cls: type, prefix: str = "") -> list[str]:
    """Every dotted key a configuration class accepts (leaves only).

    Args:
        cls: The dataclass to list.
        prefix: Prefix for nested keys.

    Returns:
        Sorted list of dotted keys.
    """
    return list(_config_keys(cls, prefix))


@functools.cache
def _config_keys(cls: type, prefix: str) -> tuple[str, ...]:
    keys: list[str] = []
    for f in dataclasses.fields(cls):
        ftype = f.type if isinstance(f.type, type) else _resolve(cls, f.name)
        if dataclasses.is_dataclass(ftype):
            keys += _config_keys(ftype, f"{prefix}{f.name}.")
        else:
            keys.append(f"{prefix}{f.name}")
    return tuple(sorted(keys))


def check_key(key: str, cls: type) -> None:
    """Raise :class:`ConfigError` if ``key`` is not a key of ``cls``, suggesting close ones.

    Args:
        key: A dotted key such as ``land.sz_supply``.
        cls: The configuration class (the root of the keys).

    Raises:
        ConfigError: if the key is unknown.
    """
    keys = config_keys(cls)
    groups = {k.rsplit(".", 1)[0] for k in keys if "." in k}
    if key in keys or key in groups:
        return
    parent = key.rsplit(".", 1)[0] if "." in key else ""
    while parent and parent not in groups:  # climb to the deepest group that exists
        parent = parent.rsplit(".", 1)[0] if "." in parent else ""
    siblings = [k for k in keys if (k.rsplit(".", 1)[0] if "." in k else "") == parent]
    close = difflib.get_close_matches(key, keys, n=3, cutoff=0.6)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    subgroups = sorted(
        {
            g.split(".")[len(parent.split(".")) if parent else 0]
            for g in groups
            if (g.startswith(parent + ".") if parent else True)
        }
    )
    if siblings or subgroups:
        allowed = ", ".join([s.rsplit(".", 1)[-1] for s in siblings] + [f"{g}.*" for g in subgroups])
        where = f"under '{parent}'" if parent else "at the top level"
        raise ConfigError(f"Unknown config key '{key}'.{hint} Allowed {where}: {allowed}.")
    raise ConfigError(
        f"Unknown config key '{key}'.{hint} Allowed groups: {', '.join(sorted(g for g in groups if '.' not in g))}."
    )


# --------------------------------------------------------------------------------------------
# documentation


def _shown_value(value: Any) -> str:
    """A parameter value as the reference shows it."""
    if isinstance(value, PerCity | PerSector):
        return ", ".join(f"{s.name}={getattr(value, s.name):g}" for s in dataclasses.fields(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def parameter_table(cls: type, prefix: str = "", calibrated: Any = None) -> list[dict[str, str]]:
    """Rows (key, default, baseline, unit, range, meaning, source) documenting every parameter.

    Args:
        cls: The dataclass to document.
        prefix: Prefix for nested keys.
        calibrated: An instance of ``cls`` holding the baseline's values (the defaults updated by
            the calibrated set in force); ``baseline`` is filled where it differs from the default.

    Returns:
        One dict per parameter.
    """
    rows: list[dict[str, str]] = []
    instance = cls()
    for f in dataclasses.fields(cls):
        value = getattr(instance, f.name)
        in_force = getattr(calibrated, f.name) if calibrated is not None else value
        if dataclasses.is_dataclass(value) and not isinstance(value, PerCity | PerSector):
            rows += parameter_table(type(value), f"{prefix}{f.name}.", in_force if calibrated is not None else None)
            continue
        meta = f.metadata
        default = _shown_value(value)
        baseline = _shown_value(in_force)
        lo, hi = meta.get("lo"), meta.get("hi")
        rng = (
            ""
            if lo is None and hi is None
            else (
                f"{'(' if meta.get('lo_open') else '['}{'-∞' if lo is None else f'{lo:g}'}, "
                f"{'∞' if hi is None else f'{hi:g}'}]"
            )
        )
        rows.append(
            {
                "key": f"{prefix}{f.name}",
                "default": default,
                "baseline": baseline if baseline != default else "",
                "unit": meta.get("unit", ""),
                "range": rng,
                "meaning": meta.get("doc", ""),
                "source": meta.get("source", ""),
            }
        )
    return rows


def parameters_markdown(cls: type, calibrated: Any = None) -> str:
    """The parameter reference as a Markdown document (``docs/parameters.md``).

    Args:
        cls: The root configuration class whose keys users type.
        calibrated: The baseline's configuration (defaults updated by the calibrated set,
            :func:`model.config.calibrated_defaults`); its differing values get a column.
    """
    lines = [
        "# Parameters",
        "",
        "Generated from the parameter groups each process module declares (`model/processes/*.py`,",
        "`model/geography.py`, `model/border.py`, `model/config.py`; run control in `app/settings.py`,",
        "calibration settings in `calibration/settings.py`) and `scenarios/calibrated/default.yaml` by",
        "`python scripts/write_docs.py`; a test keeps it in step. Override any key on the command",
        "line, e.g. `python run.py land.sz_supply=0`. City values: `hk`, `sz`, `dg`, `hz`.",
        "*calibrated* is the value the baseline uses where the calibrated set changes the default",
        "(docs/calibration.md); `calibrated=uncalibrated` runs with the defaults.",
        "",
        "| key | default | calibrated | unit | allowed | meaning | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in parameter_table(cls, calibrated=calibrated):
        cells = [
            row[k].replace("|", "\\|") for k in ("key", "default", "baseline", "unit", "range", "meaning", "source")
        ]
        cells[0] = f"`{cells[0]}`"
        if cells[2]:
            cells[2] = f"**{cells[2]}**"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
