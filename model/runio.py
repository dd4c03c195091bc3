"""Run directories: atomic writes, the completion marker and the provenance of every output.

Every file is written under a temporary name and renamed. A directory is complete if and only
if its ``provenance.json`` says so and every file it lists is there with the recorded size and
SHA-256 checksum (:func:`run_status`); the provenance is written last (:func:`mark_complete`),
so an interrupted run never leaves a directory that looks finished, and a table damaged
afterwards (truncated, deleted, unreadable) makes the directory incomplete again, naming the
file. :func:`provenance` builds the provenance of every kind of output (a run, a replicate set,
a comparison, a calibration) in one place.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from corridor_abm.model.params import ConfigError
from corridor_abm.model.tables import COLUMN_TYPES, TABLE_SCHEMAS

SCHEMA_VERSION = 3
"""Version of the outputs' schema (tables and provenance); bump when a column changes meaning,
name or type. Version 2: the provenance records a checksum of every table (``files``).
Version 3: every table is written with its fixed arrow types, units and meanings
(:func:`arrow_schema`)."""

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


RUN_CONTROL_KEYS: tuple[tuple[str, ...], ...] = (
    ("mode",),
    ("runs",),
    ("workers",),
    ("output", "progress"),
    ("output", "plots"),
    ("output", "format"),
    ("output", "dpi"),
    ("explore",),
    ("calibration",),
    ("cluster",),
)
"""Keys of the command line's settings that do not change a simulation's results; ignored when
deciding whether a finished run is the same configuration."""


def comparable_config(config: Any, ignore: tuple[tuple[str, ...], ...] = RUN_CONTROL_KEYS) -> dict[str, Any]:
    """A configuration as plain JSON-like data without the keys in ``ignore``.

    Args:
        config: A configuration (dataclass) or its ``dataclasses.asdict`` / provenance form.
        ignore: Key paths to drop (default: the run-control keys).

    Returns:
        Nested dicts that compare equal exactly when two runs would give the same results.
    """
    plain = dataclasses.asdict(config) if dataclasses.is_dataclass(config) else copy.deepcopy(config)
    plain = json.loads(json.dumps(plain, default=str))
    for path in ignore:
        node = plain
        for key in path[:-1]:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return plain


def config_digest(config: Any) -> str:
    """SHA-256 of :func:`comparable_config`: equal for two configurations that give the same results."""
    text = json.dumps(comparable_config(config), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def config_differences(
    old: Any, new: Any, limit: int = 3, ignore: tuple[tuple[str, ...], ...] = RUN_CONTROL_KEYS
) -> list[str]:
    """The first few keys whose values differ between two configurations, as ``key old → new``."""
    out: list[str] = []

    def walk(a: Any, b: Any, prefix: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in list(dict.fromkeys([*a, *b])):
                walk(a.get(key), b.get(key), f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix.rstrip('.')} {a!r} → {b!r}")

    walk(comparable_config(old, ignore), comparable_config(new, ignore), "")
    return out


# --------------------------------------------------------------------------------------------
# checksums and the completion marker

_SHA_CACHE: dict[tuple[str, int, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (cached per path, size, inode and modification time)."""
    path = Path(path)
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)
    if key not in _SHA_CACHE:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _SHA_CACHE[key] = digest.hexdigest()
    return _SHA_CACHE[key]


def checksums(out_dir: Path, files: list[Path]) -> dict[str, dict[str, Any]]:
    """Size and SHA-256 of each file, keyed by its path relative to ``out_dir``."""
    out_dir = Path(out_dir)
    return {
        Path(f).relative_to(out_dir).as_posix(): {"bytes": Path(f).stat().st_size, "sha256": file_sha256(f)}
        for f in files
    }


def mark_complete(out_dir: Path, prov: dict[str, Any], files: list[Path]) -> dict[str, Any]:
    """Write ``provenance.json`` last, with the checksum of every file the output consists of.

    Args:
        out_dir: The output directory.
        prov: The provenance (:func:`provenance`).
        files: The files (inside ``out_dir``) whose damage would make the output wrong: the tables.

    Returns:
        The provenance written.
    """
    prov = {**prov, "files": checksums(out_dir, files)}
    write_json(prov, Path(out_dir) / COMPLETE_MARKER)
    return prov


@dataclass
class RunStatus:
    """Whether a directory holds a complete, undamaged output, and if not why.

    Attributes:
        complete: True if the provenance says complete, its schema is this code's and every
            listed file (and every part, e.g. a replicate) is there and undamaged.
        reason: Why it is not complete (naming the file), empty if complete.
        recorded: The provenance as read (even if the output is damaged), or None if unreadable.
    """

    complete: bool
    reason: str = ""
    recorded: dict[str, Any] | None = field(default=None, repr=False)


def recorded_provenance(run_dir: Path) -> dict[str, Any] | None:
    """The provenance a directory records, if ``provenance.json`` can be read (checks nothing else)."""
    try:
        data = json.loads((Path(run_dir) / COMPLETE_MARKER).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def run_status(run_dir: Path) -> RunStatus:
    """Check a directory's provenance, schema version and the checksum of every file it lists.

    Args:
        run_dir: A run, replicate set, comparison or calibration directory.

    Returns:
        The status; ``reason`` names the problem (and the file) when it is not complete.
    """
    run_dir = Path(run_dir)
    marker = run_dir / COMPLETE_MARKER
    if not marker.is_file():
        return RunStatus(False, f"{marker} is missing (the run did not finish)")
    try:
        prov = json.loads(marker.read_text())
    except (OSError, ValueError) as err:
        return RunStatus(False, f"{marker} cannot be read ({getattr(err, 'strerror', None) or err})")
    if not isinstance(prov, dict) or prov.get("status") != "complete":
        return RunStatus(False, f"{marker} does not say the run is complete", prov if isinstance(prov, dict) else None)
    version = prov.get("schema_version")
    if version != SCHEMA_VERSION:
        return RunStatus(
            False,
            f"{run_dir} was written with schema version {version}; this code reads version {SCHEMA_VERSION}",
            prov,
        )
    files = prov.get("files")
    if not isinstance(files, dict):
        return RunStatus(False, f"{marker} lists no checksums", prov)
    for rel, expected in files.items():
        path = run_dir / rel
        try:
            size = path.stat().st_size
            if size != expected.get("bytes") or file_sha256(path) != expected.get("sha256"):
                return RunStatus(False, f"{path} is damaged (its checksum differs from the one in {marker})", prov)
        except FileNotFoundError:
            return RunStatus(False, f"{path} is missing", prov)
        except OSError as err:
            return RunStatus(False, f"{path} cannot be read ({err.strerror or err})", prov)
    for part in prov.get("parts", []):
        status = run_status(run_dir / part)
        if not status.complete:
            return RunStatus(False, status.reason, prov)
    return RunStatus(True, "", prov)


def is_complete(run_dir: Path) -> bool:
    """True if ``run_dir`` holds a finished, undamaged output (:func:`run_status`)."""
    return run_status(run_dir).complete


def read_provenance(run_dir: Path) -> dict[str, Any]:
    """The provenance of a complete, undamaged directory (empty dict otherwise)."""
    status = run_status(run_dir)
    return status.recorded or {} if status.complete else {}


def begin_run(out_dir: Path) -> Path:
    """Prepare a run directory: a rerun into it is incomplete until it finishes.

    Call it only once every input is validated and the directory is known writable
    (``app.preflight``): it removes the completion marker of whatever the directory held.
    """
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


def write_tables(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write every table of a run under ``out_dir/tables`` (each file atomically; tables of
    :data:`model.tables.TABLE_SCHEMAS` with their fixed schema).

    Returns:
        The files written.
    """
    tables_dir = Path(out_dir) / "tables"
    tables_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        if name in TABLE_SCHEMAS:
            write_table(frame, tables_dir / f"{name}.parquet", name)
        else:
            write_parquet(frame, tables_dir / f"{name}.parquet")
        written.append(tables_dir / f"{name}.parquet")
    return written


def read_tables(run_dir: Path) -> dict[str, pd.DataFrame]:
    """Read the tables of a complete run (those its provenance lists).

    Raises:
        FileNotFoundError: if the run is not complete or a table is damaged (naming the file).
    """
    run_dir = Path(run_dir)
    status = run_status(run_dir)
    if not status.complete:
        raise FileNotFoundError(f"{run_dir} is not a complete run: {status.reason}.")
    files = sorted(f for f in (status.recorded or {}).get("files", {}) if f.startswith("tables/"))
    return {Path(f).stem: pd.read_parquet(run_dir / f) for f in files}


# --------------------------------------------------------------------------------------------
# checks before anything is written


class RunDirError(ConfigError):
    """A folder an output cannot be written to: a file, not writable, or holding another finished output."""


def _probe_writable(folder: Path) -> None:
    """Create and remove a file in ``folder`` (the only test that holds for every user and file system)."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write_test_"):
            pass
    except OSError as err:
        raise RunDirError(
            f"{folder} is not writable ({err.strerror or err}); choose another folder or fix its permissions."
        ) from None


def check_writable(out_dir: Path) -> None:
    """Raise :class:`RunDirError` unless ``out_dir`` is (or can be created as) a writable folder.

    Checks the folder, the nearest existing parent when it does not exist yet, and the
    sub-folders and log a run rewrites when they exist. Creates nothing that stays.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise RunDirError(f"{out_dir} is a file, not a folder; choose another output folder.")
    probe = out_dir
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise RunDirError(
            f"{out_dir} cannot be created: {probe} is a file, not a folder; choose another output folder."
        )
    _probe_writable(probe)
    if probe != out_dir:
        return
    for sub in ("tables", "plots", "figures", ".hydra"):
        if (out_dir / sub).exists():
            if not (out_dir / sub).is_dir():
                raise RunDirError(f"{out_dir / sub} is a file, not a folder; choose another output folder.")
            _probe_writable(out_dir / sub)
    log_file = out_dir / "run.log"
    if log_file.exists() and not os.access(log_file, os.W_OK):
        raise RunDirError(f"{log_file} is not writable; choose another folder or fix its permissions.")


def check_reusable(
    out_dir: Path,
    kind: str,
    config: Any,
    ignore: tuple[tuple[str, ...], ...] = RUN_CONTROL_KEYS,
    hint: str = "choose another folder",
) -> None:
    """Refuse to write into a folder that holds a finished output of another kind or configuration.

    A folder whose provenance says "complete" (damaged or not) may only be rewritten by a rerun
    of the same kind and configuration (keys in ``ignore`` aside).

    Args:
        out_dir: The output folder.
        kind: The kind of output about to be written (``run``, ``replicates``, ``calibrate``, ...).
        config: Its configuration.
        ignore: Keys that do not make it another configuration.
        hint: How to pick another folder (e.g. ``set hydra.run.dir=...``).

    Raises:
        RunDirError: naming the folder, what it holds and what differs.
    """
    prov = recorded_provenance(out_dir)
    if not prov or prov.get("status") != "complete":
        return
    held = prov.get("kind", "output")
    if held != kind:
        raise RunDirError(
            f"{out_dir} holds a finished {held}, not a {kind}; it is left as it is: {hint}, or delete that folder "
            "to replace it."
        )
    old = comparable_config(prov.get("config", {}), ignore)
    new = comparable_config(config, ignore)
    if old != new:
        diffs = config_differences(old, new, ignore=())
        raise RunDirError(
            f"{out_dir} holds a finished {held} of another configuration ({'; '.join(diffs)}); it is left as it is: "
            f"{hint}, or delete that folder to replace it."
        )
