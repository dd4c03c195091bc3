"""Run directories: atomic writes, the completion marker and the provenance of every output.

Every file is written under a temporary name and renamed. A directory is complete if and only
if its ``provenance.json`` says so; it is written last (:func:`mark_complete`), so an
interrupted run never leaves a directory that looks finished. :func:`provenance` builds the
provenance of every kind of output (a run, a replicate set, a comparison, a calibration) in one
place.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model.tables import COLUMN_TYPES, TABLE_SCHEMAS

SCHEMA_VERSION = 2
"""Version of the output tables' schema; bump when a column changes meaning, name or type.
2: every table written with its fixed arrow types, units and meanings (:func:`arrow_schema`)."""

COMPLETE_MARKER = "provenance.json"
"""A run directory is complete if and only if this file exists with status 'complete'."""

PACKAGES = ("numpy", "scipy", "pandas", "mesa", "hydra-core", "omegaconf", "matplotlib", "pyarrow")

CONSTRAINTS = Path(__file__).resolve().parent.parent / "constraints.txt"
"""The pinned versions of every package of the development environment (``pip freeze``)."""

REINSTALL = 'pip install -c constraints.txt -e ".[test]"'
"""The command that reinstalls the pinned versions (from a checkout of the recorded commit)."""


def config_dict(cfg: Any) -> dict[str, Any]:
    """A configuration (dataclass) as plain nested dicts."""
    return dataclasses.asdict(cfg)


def git_commit(path: Path | None = None) -> dict[str, Any]:
    """The git commit of the code (and whether the tree had uncommitted changes)."""
    here = path or Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=here,
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
        )
        return {"commit": commit, "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def package_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Versions of Python and the packages the results depend on (plus ``extra`` packages)."""
    versions = {"python": sys.version.split()[0]}
    for name in (*PACKAGES, *extra):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@functools.lru_cache(maxsize=1)
def reinstall_info() -> dict[str, Any]:
    """How to reinstall the environment: the constraints file's digest, the command, and the
    installed packages whose versions differ from it (empty when the environment matches)."""
    if not CONSTRAINTS.is_file():
        return {"command": REINSTALL, "constraints": None}
    text = CONSTRAINTS.read_text()
    differs = {}
    for line in text.splitlines():
        name, sep, pinned = line.strip().partition("==")
        if not sep or name.startswith("#"):
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "not installed"
        if installed != pinned:
            differs[name] = {"pinned": pinned, "installed": installed}
    return {
        "command": REINSTALL,
        "constraints": CONSTRAINTS.name,
        "constraints_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "differs_from_constraints": differs,
    }


def provenance(
    kind: str,
    config: Any = None,
    wall_seconds: float | None = None,
    extra_packages: tuple[str, ...] = (),
    **summary: Any,
) -> dict[str, Any]:
    """Everything needed to reproduce and trust an output, with status "complete".

    Args:
        kind: What the output is: ``run``, ``replicates``, ``compare``, ``calibrate``, ...
        config: The configuration that made it, if any (its scenario, seed and every value are
            recorded).
        wall_seconds: Wall time, if measured.
        extra_packages: Packages beyond the simulation's whose versions matter.
        **summary: Anything else worth keeping (written before the configuration).

    Returns:
        The provenance as a JSON-ready dict.
    """
    out: dict[str, Any] = {"status": "complete", "kind": kind, "schema_version": SCHEMA_VERSION}
    if config is not None:
        out["scenario"] = config.scenario_name
        out["seed"] = config.seed
    out.update(
        {
            "git": git_commit(),
            "packages": package_versions(extra_packages),
            "reinstall": reinstall_info(),
            "platform": platform.platform(),
            "command": " ".join(sys.argv),
            "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )
    if wall_seconds is not None:
        out["wall_seconds"] = round(wall_seconds, 3)
    out.update(summary)
    if config is not None:
        out["config"] = config_dict(config)
    return out


def json_default(obj: Any) -> Any:
    """JSON encoding of numpy scalars and arrays (anything else as its string)."""
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def write_bytes(path: Path, data: bytes) -> None:
    """Write a file atomically (temporary name, then rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a parquet file atomically (temporary name, then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def write_json(obj: Any, path: Path) -> None:
    """Write JSON atomically."""
    write_bytes(path, (json.dumps(obj, indent=2, default=json_default) + "\n").encode())


def is_complete(run_dir: Path) -> bool:
    """True if ``run_dir`` holds a finished output (its provenance says so)."""
    marker = Path(run_dir) / COMPLETE_MARKER
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("status") == "complete"
    except (OSError, json.JSONDecodeError):
        return False


def read_provenance(run_dir: Path) -> dict[str, Any]:
    """The provenance of a complete directory (empty dict if it is not complete)."""
    if not is_complete(run_dir):
        return {}
    return json.loads((Path(run_dir) / COMPLETE_MARKER).read_text())


def begin_run(out_dir: Path) -> Path:
    """Prepare a run directory: a rerun into it is incomplete until it finishes."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    marker = out_dir / COMPLETE_MARKER
    if marker.exists():
        marker.unlink()
    return out_dir


ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
}
"""Arrow type of each column type of :data:`model.tables.COLUMN_TYPES`."""


def arrow_schema(name: str) -> pa.Schema:
    """The fixed arrow schema of an output table: explicit types, never ``null``; each field's
    metadata holds its ``unit`` and ``meaning``, the schema's the table's name, what a row is and
    the schema version.

    Args:
        name: A table of :data:`model.tables.TABLE_SCHEMAS`.

    Returns:
        The schema every file of that table is written with.
    """
    what, meanings = TABLE_SCHEMAS[name]
    fields = [
        pa.field(
            col,
            ARROW_TYPES[kind],
            nullable=True,
            metadata={"unit": unit, "meaning": meanings[col]},
        )
        for col, (kind, unit) in COLUMN_TYPES[name].items()
    ]
    meta = {"table": name, "rows": what, "schema_version": str(SCHEMA_VERSION)}
    return pa.schema(fields, metadata=meta)


def to_arrow(frame: pd.DataFrame, name: str) -> pa.Table:
    """A run table as an arrow table of its fixed schema (:func:`arrow_schema`).

    Values are converted safely (an int column becomes float64 where the schema says so; a lossy
    conversion raises), so the values read back equal the values written.

    Raises:
        KeyError: if the frame lacks a column of the schema.
        pyarrow.ArrowInvalid: if a value does not fit its column's type.
    """
    schema = arrow_schema(name)
    missing = [c for c in schema.names if c not in frame.columns]
    if missing:
        raise KeyError(f"table {name} lacks column(s) {', '.join(missing)}")
    columns = []
    for fld in schema:
        values = frame[fld.name]
        if len(values) == 0:
            columns.append(pa.array([], type=fld.type))
        elif pa.types.is_string(fld.type):
            columns.append(pa.array(values.astype(object).to_numpy(), type=pa.string()))
        else:
            columns.append(pa.array(values.to_numpy(), type=fld.type, from_pandas=True))
    return pa.Table.from_arrays(columns, schema=schema)


def write_table(frame: pd.DataFrame, path: Path, name: str) -> None:
    """Write a run table atomically with its fixed schema (types, units and meanings)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(to_arrow(frame, name), tmp)
    os.replace(tmp, path)


def write_tables(tables: dict[str, pd.DataFrame], out_dir: Path) -> None:
    """Write every table of a run under ``out_dir/tables`` (each file atomically; tables of
    :data:`model.tables.TABLE_SCHEMAS` with their fixed schema)."""
    tables_dir = Path(out_dir) / "tables"
    tables_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if name in TABLE_SCHEMAS:
            write_table(frame, tables_dir / f"{name}.parquet", name)
        else:
            write_parquet(frame, tables_dir / f"{name}.parquet")


def read_tables(run_dir: Path) -> dict[str, pd.DataFrame]:
    """Read the tables of a complete run.

    Raises:
        FileNotFoundError: if the run is not complete.
    """
    run_dir = Path(run_dir)
    if not is_complete(run_dir):
        raise FileNotFoundError(f"{run_dir} is not a complete run (no provenance.json with status 'complete').")
    return {p.stem: pd.read_parquet(p) for p in sorted((run_dir / "tables").glob("*.parquet"))}
