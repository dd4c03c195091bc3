"""Config in, results out: the pure entry point, and how a run's directory is written.

:func:`simulate` is a function of the configuration alone (EMA-workbench style): sweeps,
replicates and calibration call it directly. :func:`write_tables` writes the tables atomically
(every file first under a temporary name, then renamed) and :func:`mark_complete` marks the
run complete only at the very end, so an interrupted run never leaves a directory that looks
finished. Plotting lives in :mod:`reporting`; this module never imports it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from model.corridor import CorridorModel
from model.geography import CorridorMap
from model.params import Config

SCHEMA_VERSION = 1
"""Version of the output tables' schema; bump when a column changes meaning or name."""

COMPLETE_MARKER = "provenance.json"
"""A run directory is complete if and only if this file exists with status 'complete'."""

PACKAGES = ("numpy", "scipy", "pandas", "mesa", "hydra-core", "omegaconf", "matplotlib", "pyarrow")


@dataclass
class RunResult:
    """What one simulation produces.

    Attributes:
        config: The configuration that was run.
        tables: Tidy tables by name (see README, "Output tables").
        cmap: The corridor map (for plots).
        wall_seconds: Wall time of the simulation.
        talent_scale: Real workers per talent agent.
        extra: Anything else worth keeping in the provenance.
    """

    config: Config
    tables: dict[str, pd.DataFrame]
    cmap: CorridorMap
    wall_seconds: float
    talent_scale: float
    extra: dict[str, Any] = field(default_factory=dict)


def simulate(cfg: Config, progress: bool = False) -> RunResult:
    """Build the model from ``cfg``, run the whole horizon and return its tables.

    Args:
        cfg: A configuration (validated here).
        progress: Show a progress bar on stderr.

    Returns:
        The run's result.
    """
    start = time.perf_counter()
    model = CorridorModel(cfg)
    model.run(progress=progress)
    tables = model.recorder.tables()
    return RunResult(
        config=cfg,
        tables=tables,
        cmap=model.map,
        wall_seconds=time.perf_counter() - start,
        talent_scale=model.talent_scale,
        extra={"firms_final": int(model.firms.count), "talent_agents_final": int(model.talent.count)},
    )


def config_dict(cfg: Config) -> dict[str, Any]:
    """The configuration as plain nested dicts."""
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


def provenance(result: RunResult, status: str) -> dict[str, Any]:
    """Everything needed to reproduce and trust a run."""
    return {
        "status": status,
        "schema_version": SCHEMA_VERSION,
        "scenario": result.config.scenario_name,
        "seed": result.config.seed,
        "git": git_commit(),
        "packages": package_versions(),
        "platform": platform.platform(),
        "command": " ".join(sys.argv),
        "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(result.wall_seconds, 3),
        "talent_scale": result.talent_scale,
        "quarters": result.config.quarters,
        "start": result.config.start,
        **result.extra,
        "config": config_dict(result.config),
    }


def _atomic_write_bytes(path: Path, data: bytes) -> None:
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
    _atomic_write_bytes(path, (json.dumps(obj, indent=2, default=str) + "\n").encode())


def is_complete(run_dir: Path) -> bool:
    """True if ``run_dir`` holds a finished run (its provenance says so)."""
    marker = Path(run_dir) / COMPLETE_MARKER
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("status") == "complete"
    except (OSError, json.JSONDecodeError):
        return False


def begin_run(out_dir: Path) -> Path:
    """Prepare a run directory: a rerun into it is incomplete until it finishes."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    marker = out_dir / COMPLETE_MARKER
    if marker.exists():
        marker.unlink()
    return out_dir


def write_tables(result: RunResult, out_dir: Path) -> None:
    """Write every table of a run under ``out_dir/tables`` (each file atomically)."""
    tables_dir = Path(out_dir) / "tables"
    tables_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in result.tables.items():
        write_parquet(frame, tables_dir / f"{name}.parquet")


def mark_complete(result: RunResult, out_dir: Path) -> None:
    """Write the provenance, which marks the run complete. Call it last."""
    write_json(provenance(result, "complete"), Path(out_dir) / COMPLETE_MARKER)


def read_tables(run_dir: Path) -> dict[str, pd.DataFrame]:
    """Read the tables of a complete run.

    Raises:
        FileNotFoundError: if the run is not complete.
    """
    run_dir = Path(run_dir)
    if not is_complete(run_dir):
        raise FileNotFoundError(f"{run_dir} is not a complete run (no provenance.json with status 'complete').")
    return {p.stem: pd.read_parquet(p) for p in sorted((run_dir / "tables").glob("*.parquet"))}
