"""Collect a sweep (hydra multirun) into one tidy table.

``python run.py -m scenario=baseline,s2_land_exhaustion 'seed=range(0,4)' land.sz_supply=0,1``
writes one job directory per combination, ``<sweep dir>/<job number>/``, and the launch record
``<sweep dir>/sweep.json`` (:class:`app.sweeps.SweepCallback`): the keys swept on the command
line and, per job, its overrides and the digest of its configuration
(:func:`model.runio.config_digest`). :func:`collect_sweep` stacks the ``city_quarter`` tables of
the jobs of the latest launch, adds ``scenario_name``, ``seed``, ``master_seed``, ``replicate``,
``job`` and one column per swept key, and writes ``<sweep dir>/collected_city_quarter.parquet``
atomically.

Labels come from each job's own resolved configuration saved with its results (the provenance's
``config``), never from hydra's ``.hydra/overrides.yaml`` (rewritten at every launch, even for
jobs that fail). A job is collected only if it is complete and undamaged and its configuration
is the one the latest launch asked for (a job finished by an earlier launch of the same
command counts: it is the same run); every other job folder is left out and listed, so a table
never mixes launches silently. A sweep folder without ``sweep.json`` (made before it existed)
is collected from every complete job, with a warning, and its columns are the keys whose values
differ between the jobs. It runs by itself at the end of every multirun and by hand::
The sweep's ``runs.parquet`` index (:mod:`reporting.index`: one row per run with its
overrides, for SQL over every table, :mod:`reporting.query`) is written with it.

    python -m corridor_abm.reporting.collect outputs/multirun/2026-11-23_10-00-00
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from corridor_abm.model.runio import COMPLETE_MARKER, config_digest, recorded_provenance, run_status, write_parquet
from corridor_abm.reporting.index import write_index

log = logging.getLogger("corridor")

COLLECTED_TABLE = "collected_city_quarter.parquet"
"""File name of the collected table inside the sweep directory."""

MANIFEST = "sweep.json"
"""The launch record of a sweep: swept keys, and each job's overrides and configuration digest."""

GROUP_KEYS: dict[str, str | None] = {"scenario": None, "calibrated": "calibrated_set", "seed": None}
"""Swept keys that are config groups or have their own column: the column they become (None: none)."""

LABEL_IGNORED: frozenset[str] = frozenset(
    {"seed", "scenario_name", "replicates", "mode", "runs", "workers", "output", "calibration", "cluster"}
)
"""Top-level keys never turned into swept-parameter columns."""


def is_multirun_dir(path: Path) -> bool:
    """True if ``path`` is a hydra sweep directory (has ``sweep.json``, ``multirun.yaml`` or job directories)."""
    path = Path(path)
    return (path / MANIFEST).is_file() or (path / "multirun.yaml").is_file() or bool(job_dirs(path))


def job_dirs(multirun_dir: Path) -> list[Path]:
    """Job directories of a sweep (numbered folders holding a run or hydra's record), in job-number order."""
    path = Path(multirun_dir)
    if not path.is_dir():
        return []
    jobs = [
        p
        for p in path.iterdir()
        if p.is_dir() and p.name.isdigit() and ((p / ".hydra").is_dir() or (p / COMPLETE_MARKER).exists())
    ]
    return sorted(jobs, key=lambda p: int(p.name))


def read_manifest(multirun_dir: Path) -> dict[str, Any] | None:
    """The sweep's launch record, or None if it has none (or it cannot be read)."""
    try:
        data = json.loads((Path(multirun_dir) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("jobs"), list) else None


def config_value(config: dict[str, Any], key: str) -> Any:
    """The value of a dotted key in a provenance's config (None if absent)."""
    node: Any = config
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _leaves(config: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(config, dict):
        out: dict[str, Any] = {}
        for key, value in config.items():
            out.update(_leaves(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): config}


@dataclass
class SweepJobs:
    """The jobs of a sweep to use, and those left out.

    Attributes:
        jobs: Job directory → its provenance, for complete jobs of the latest launch, in job order.
        keys: The swept keys, as columns (dotted config keys).
        skipped: Job folders of the latest launch that are incomplete or damaged, with the reason.
        stale: Job folders that are not the latest launch's, with the reason.
        manifest: The launch record (None for a sweep without one).
    """

    jobs: dict[Path, dict[str, Any]] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    stale: list[tuple[Path, str]] = field(default_factory=list)
    manifest: dict[str, Any] | None = None

    def labels(self, job: Path) -> dict[str, Any]:
        """The swept values of one job, from its own configuration."""
        config = self.jobs[job].get("config", {})
        return {key: config_value(config, key) for key in self.keys}


def _key_column(key: str) -> str | None:
    key = key.lstrip("+~")
    if key in GROUP_KEYS:
        return GROUP_KEYS[key]
    return None if key.split(".")[0] in LABEL_IGNORED or key.startswith("hydra") else key


def sweep_jobs(multirun_dir: Path) -> SweepJobs:
    """Which jobs of a sweep belong to its latest launch and are complete, and the swept keys.

    Args:
        multirun_dir: The sweep directory.

    Returns:
        The jobs to use (with their provenance) and those left out, with the reason.
    """
    multirun_dir = Path(multirun_dir)
    out = SweepJobs(manifest=read_manifest(multirun_dir))
    folders = {int(p.name): p for p in job_dirs(multirun_dir)}
    if out.manifest is not None:
        planned = {int(j["job"]): j for j in out.manifest["jobs"]}
        for number, job in sorted(folders.items()):
            if number not in planned:
                out.stale.append((job, f"not a job of the latest launch ({len(planned)} jobs)"))
        for number, entry in sorted(planned.items()):
            job = multirun_dir / str(number)
            status = run_status(job)
            if not status.complete:
                out.skipped.append((job, status.reason))
            elif config_digest(status.recorded.get("config", {})) != entry.get("config_digest"):
                out.stale.append((job, "holds another configuration than the latest launch asked for"))
            else:
                out.jobs[job] = status.recorded
        keys = [_key_column(k) for k in out.manifest.get("sweep_keys", [])]
        out.keys = list(dict.fromkeys(k for k in keys if k))
        return out
    for job in folders.values():
        status = run_status(job)
        if status.complete:
            out.jobs[job] = status.recorded
        else:
            out.skipped.append((job, status.reason))
    configs = [_leaves(p.get("config", {})) for p in out.jobs.values()]
    keys = list(dict.fromkeys(k for c in configs for k in c))
    out.keys = [
        k for k in keys if _key_column(k) == k and len({json.dumps(c.get(k), default=str) for c in configs}) > 1
    ]
    return out


def swept_keys(multirun_dir: Path) -> list[str]:
    """Keys swept on the command line, as recorded by the launch (``sweep.json``), in command-line order."""
    manifest = read_manifest(multirun_dir)
    return list(manifest.get("sweep_keys", [])) if manifest else sweep_jobs(multirun_dir).keys


def run_dirs_of(run_dir: Path, prov: dict[str, Any] | None = None) -> list[tuple[int | None, Path]]:
    """The single runs inside a complete run directory: itself, or its replicates.

    Args:
        run_dir: A complete single run or replicate set.
        prov: Its provenance (read if not given).

    Returns:
        ``(replicate index or None, directory)`` pairs.
    """
    prov = prov if prov is not None else (recorded_provenance(run_dir) or {})
    if prov.get("kind") == "replicates":
        return [(k, Path(run_dir) / d) for k, d in enumerate(prov["replicate_dirs"])]
    return [(None, Path(run_dir))]


def _tidy_column(values: list[Any]) -> pd.Series:
    """A column of override values: numeric if every value is a number, text otherwise."""
    series = pd.Series(values)
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return series.astype(bool)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pd.to_numeric(series)
    return series.map(lambda v: "" if v is None else str(v)).astype(str)


def collect_sweep(multirun_dir: Path, write: bool = True) -> pd.DataFrame:
    """Stack the ``city_quarter`` tables of the latest launch's complete jobs into one tidy table.

    Args:
        multirun_dir: The sweep directory (``hydra.sweep.dir``).
        write: Also write ``<multirun_dir>/collected_city_quarter.parquet`` (atomically).

    Returns:
        The table: the ``city_quarter`` columns, then ``scenario_name``, ``seed`` (the seed the
        run used), ``master_seed`` (the job's ``seed``; differs for replicates), ``replicate``
        (-1 for a single run), ``job`` and one column per swept key other than ``seed`` and
        ``scenario`` (values from each job's own configuration). ``frame.attrs["skipped"]``
        lists the incomplete or damaged job directories, ``frame.attrs["stale"]`` those left out
        because they are not the latest launch's.

    Raises:
        FileNotFoundError: if the directory holds no job, or no complete job of the latest launch.
    """
    multirun_dir = Path(multirun_dir)
    found = sweep_jobs(multirun_dir)
    if not found.jobs and not found.skipped and not found.stale:
        raise FileNotFoundError(f"{multirun_dir} holds no sweep jobs (no numbered job folders): pass a sweep folder.")
    if found.manifest is None:
        log.warning(
            "collect: %s has no %s (a sweep from before launches were recorded): every complete job is collected",
            multirun_dir,
            MANIFEST,
        )
    frames: list[pd.DataFrame] = []
    skipped = [str(j) for j, _ in found.skipped]
    for job, prov in found.jobs.items():
        labels = found.labels(job)
        for replicate, run in run_dirs_of(job, prov):
            status = run_status(run)
            if not status.complete:
                skipped.append(str(run))
                continue
            frame = pd.read_parquet(run / "tables" / "city_quarter.parquet")
            frame["scenario_name"] = status.recorded.get("scenario", "")
            frame["seed"] = int(status.recorded["seed"])
            frame["master_seed"] = int(prov["seed"])
            frame["replicate"] = -1 if replicate is None else replicate
            frame["job"] = int(job.name)
            for i, key in enumerate(found.keys):
                frame[f"__key{i}"] = [labels[key]] * len(frame)
            frames.append(frame)
    for job, reason in found.skipped:
        log.warning("collect: skipped %s: %s", job, reason)
    for job, reason in found.stale:
        log.warning("collect: left out %s: %s", job, reason)
    if not frames:
        raise FileNotFoundError(f"{multirun_dir}: no complete job of the latest launch with a city_quarter table.")
    table = pd.concat(frames, ignore_index=True)
    for i, key in enumerate(found.keys):
        column = key if key not in table.columns else f"param.{key}"
        table[column] = _tidy_column(list(table.pop(f"__key{i}"))).to_numpy()
    table.attrs["skipped"] = skipped
    table.attrs["stale"] = [str(j) for j, _ in found.stale]
    if write:
        write_parquet(table, multirun_dir / COLLECTED_TABLE)
        log.info(
            "collect: %d rows from %d job(s) (%d runs) -> %s",
            len(table),
            table["job"].nunique(),
            len(frames),
            multirun_dir / COLLECTED_TABLE,
        )
    return table


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m corridor_abm.reporting.collect SWEEP_DIR [SWEEP_DIR ...]``."""
    parser = argparse.ArgumentParser(description="Collect a hydra sweep's city_quarter tables into one tidy table.")
    parser.add_argument("sweep_dirs", nargs="+", type=Path, help="hydra multirun directories")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for sweep_dir in args.sweep_dirs:
        try:
            write_index(sweep_dir)
            table = collect_sweep(sweep_dir)
        except FileNotFoundError as err:
            print(f"collect: {err}", file=sys.stderr)
            return 2
        print(f"{sweep_dir / COLLECTED_TABLE}: {len(table)} rows, {table['job'].nunique()} job(s)")
        if table.attrs.get("skipped"):
            print(
                f"  skipped (incomplete or damaged; rerun the sweep to finish them): {', '.join(table.attrs['skipped'])}"
            )
        if table.attrs.get("stale"):
            print(f"  left out (not the latest launch's): {', '.join(table.attrs['stale'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
