"""The ``runs`` index: one row per simulated run under a directory, with what made it.

Every run directory, replicate set and sweep gets ``runs.parquet`` (written after its
provenance; :func:`write_index`), and :mod:`reporting.query` builds the same index on the fly for
any set of folders. A row is one single run (a replicate of a replicate set, a job of a sweep,
or a plain run):

* ``run`` — the run's folder relative to the indexed directory (``.`` for the directory itself);
* ``scenario``, ``seed`` (the seed the run used), ``master_seed`` (the seed given: differs for
  replicates), ``replicate`` (-1 for a single run), ``job`` (sweep job number, -1 outside sweeps);
* ``status`` (``complete`` or ``incomplete``), ``commit``, ``dirty``, ``schema_version``,
  ``quarters``, ``n_firms``, ``n_talent``, ``population_share``, ``calibrated_set`` (nothing
  that changes when the same run is made again, so a rerun rewrites the same index);
* ``overrides`` — every command-line override of the run (hydra's ``.hydra/overrides.yaml``) as
  ``key=value`` text joined by spaces;
* one column per overridden key other than ``scenario`` and ``seed`` (its value: a number where
  every value is a number, else text), named by the key — ``land.sz_supply`` — so a sweep's
  swept values are columns (quote them in SQL: ``"land.sz_supply"``).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from corridor_abm.model.runio import COMPLETE_MARKER, SCHEMA_VERSION

log = logging.getLogger("corridor")

INDEX_FILE = "runs.parquet"
"""File name of the index inside a run, replicate set or sweep directory."""

INDEX_COLUMNS: dict[str, tuple[pa.DataType, str]] = {
    "run": (pa.string(), "run folder relative to the indexed directory ('.' for itself)"),
    "scenario": (pa.string(), "scenario name"),
    "seed": (pa.int64(), "seed the run used"),
    "master_seed": (pa.int64(), "seed given on the command line (differs from seed for replicates)"),
    "replicate": (pa.int64(), "replicate index within its set (-1 for a single run)"),
    "job": (pa.int64(), "sweep job number (-1 outside a sweep)"),
    "status": (pa.string(), "complete or incomplete (no provenance.json with status complete)"),
    "commit": (pa.string(), "git commit of the code"),
    "dirty": (pa.bool_(), "the code had uncommitted changes"),
    "schema_version": (pa.int64(), "version of the tables' schema"),
    "quarters": (pa.int64(), "quarters simulated"),
    "n_firms": (pa.int64(), "initial firm agents"),
    "n_talent": (pa.int64(), "initial talent agents"),
    "population_share": (pa.float64(), "share of the corridor the agents stand for"),
    "calibrated_set": (pa.string(), "calibrated parameter set in force"),
    "overrides": (pa.string(), "command-line overrides, key=value separated by spaces"),
}
"""The fixed columns of the index: (type, meaning); override columns follow."""

SKIPPED_KEYS = ("scenario", "seed")
"""Overrides that are columns of their own (``scenario``; ``seed`` is ``master_seed``)."""


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def _overrides(run_dir: Path, root: Path) -> list[str]:
    """The overrides of a run: its job's entry in the sweep's launch record (``sweep.json``) if
    there is one, else the nearest ``.hydra/overrides.yaml`` at or above ``run_dir`` (within ``root``)."""
    here = Path(run_dir)
    for part in [here, *here.parents]:
        if part.name.isdigit() and (part.parent / "sweep.json").is_file():
            manifest = _read_json(part.parent / "sweep.json")
            for job in manifest.get("jobs", []):
                if str(job.get("job")) == part.name:
                    return [str(x) for x in job.get("overrides", [])]
            break
        if part == root or root not in part.parents:
            break
    while True:
        path = here / ".hydra" / "overrides.yaml"
        if path.is_file():
            return [str(x) for x in (yaml.safe_load(path.read_text()) or [])]
        if here == root or root not in here.parents:
            return []
        here = here.parent


def _parse(value: str) -> Any:
    try:
        return yaml.safe_load(value) if value else None
    except yaml.YAMLError:
        return value


def _job_of(run_dir: Path, root: Path) -> int:
    for part in [run_dir, *run_dir.parents]:
        if part == root.parent:
            break
        if part.name.isdigit() and (part / ".hydra" / "overrides.yaml").is_file():
            return int(part.name)
    return -1


def find_runs(root: Path) -> list[Path]:
    """Every single-run folder under ``root`` (itself included): folders holding ``tables/`` or
    a provenance of kind ``run``, or hydra job folders not yet complete; sorted by path."""
    root = Path(root)
    found: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        prov = _read_json(here / COMPLETE_MARKER) if COMPLETE_MARKER in filenames else {}
        kind = prov.get("kind")
        if kind == "run" or (not prov and (here / "tables").is_dir() and not (here / "rep_000").exists()):
            found.add(here)
            dirnames[:] = [d for d in dirnames if d != "tables"]
        elif (
            not prov
            and (here / ".hydra" / "overrides.yaml").is_file()
            and not any(d.startswith("rep_") for d in dirnames)
        ):
            found.add(here)  # a sweep job that has not finished (no tables yet)
    return sorted(found, key=lambda p: [int(x) if x.isdigit() else x for x in p.relative_to(root).parts])


def index_rows(root: Path, pending: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The index rows of the runs under ``root`` (see the module's docstring).

    Args:
        root: The indexed directory.
        pending: The provenance ``root`` is about to be marked complete with (a run or a
            replicate set writes its index just before its provenance, so that the provenance
            checksums the index too).
    """
    root = Path(root).resolve()
    rows = []
    for run_dir in find_runs(root):
        prov = _read_json(run_dir / COMPLETE_MARKER)
        if not prov and pending is not None and run_dir == root and pending.get("kind") == "run":
            prov = pending
        complete = prov.get("status") == "complete"
        cfg = prov.get("config", {})
        overrides = _overrides(run_dir, root)
        parsed = {}
        for item in overrides:
            key, _, value = item.partition("=")
            parsed[key.lstrip("+~")] = _parse(value)
        master = {}
        if run_dir.name.startswith("rep_"):
            master = _read_json(run_dir.parent / COMPLETE_MARKER)
            if not master and pending is not None and run_dir.parent == root:
                master = pending  # the replicate set being marked complete
        replicate = int(run_dir.name[4:]) if master.get("kind") == "replicates" and run_dir.name[4:].isdigit() else -1
        master_seed = master.get("seed", parsed.get("seed", prov.get("seed")))
        git = prov.get("git", {})
        row: dict[str, Any] = {
            "run": run_dir.relative_to(root).as_posix() or ".",
            "scenario": prov.get("scenario", parsed.get("scenario", "")),
            "seed": prov.get("seed"),
            "master_seed": master_seed,
            "replicate": replicate,
            "job": _job_of(run_dir, root),
            "status": "complete" if complete else "incomplete",
            "commit": git.get("commit"),
            "dirty": git.get("dirty"),
            "schema_version": prov.get("schema_version"),
            "quarters": cfg.get("quarters"),
            "n_firms": cfg.get("n_firms"),
            "n_talent": cfg.get("n_talent"),
            "population_share": cfg.get("population_share"),
            "calibrated_set": cfg.get("calibrated_set"),
            "overrides": " ".join(overrides),
        }
        for key, value in parsed.items():
            if key not in SKIPPED_KEYS and not key.startswith("hydra"):
                row[key if key not in INDEX_COLUMNS else f"param.{key}"] = value
        rows.append(row)
    return rows


def _override_type(values: list[Any]) -> pa.DataType:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.bool_()
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.int64()
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pa.float64()
    return pa.string()


def index_table(root: Path, pending: dict[str, Any] | None = None) -> pa.Table:
    """The index of ``root`` as an arrow table: fixed columns with their types and meanings, then
    one column per overridden key (``pending``: see :func:`index_rows`)."""
    rows = index_rows(root, pending)
    extra = list(dict.fromkeys(k for row in rows for k in row if k not in INDEX_COLUMNS))
    fields, arrays = [], []
    for name, (kind, meaning) in INDEX_COLUMNS.items():
        fields.append(pa.field(name, kind, metadata={"meaning": meaning}))
        arrays.append(pa.array([row.get(name) for row in rows], type=kind))
    for name in extra:
        values = [row.get(name) for row in rows]
        kind = _override_type(values)
        if kind == pa.string():
            values = [None if v is None else (v if isinstance(v, str) else json.dumps(v)) for v in values]
        fields.append(pa.field(name, kind, metadata={"meaning": f"value of the override {name}"}))
        arrays.append(pa.array(values, type=kind))
    meta = {"table": "runs", "rows": "one row per run", "schema_version": str(SCHEMA_VERSION)}
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=meta))


def read_index(root: Path) -> pd.DataFrame:
    """The index of ``root`` as a data frame (built from the run folders, not from a stored file)."""
    return index_table(root).to_pandas()


def write_index(root: Path, pending: dict[str, Any] | None = None) -> Path:
    """Write ``root/runs.parquet`` atomically and return its path.

    Args:
        root: The indexed directory.
        pending: The provenance ``root`` is about to be marked complete with, if any (a run and a
            replicate set write their index before their provenance, which checksums it).
    """
    root = Path(root)
    path = root / INDEX_FILE
    tmp = path.with_name(path.name + ".tmp")
    table = index_table(root, pending)
    pq.write_table(table, tmp)
    os.replace(tmp, path)
    log.info("runs index: %d run(s) -> %s", table.num_rows, path)
    return path
