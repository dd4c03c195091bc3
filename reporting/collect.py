"""Collect a sweep (hydra multirun) into one tidy table.

``python run.py -m scenario=baseline,s2_land_exhaustion 'seed=range(0,4)' land.sz_supply=0,1``
writes one job directory per combination, ``<sweep dir>/<job number>/``, each with hydra's
``.hydra/overrides.yaml``. :func:`collect_sweep` stacks the ``city_quarter`` tables of the
complete jobs, adds one column per swept parameter (``key=a,b``, ``range(...)`` on the command
line) plus ``scenario_name``, ``seed``, ``replicate`` and ``job``, and writes
``<sweep dir>/collected_city_quarter.parquet`` atomically, with the sweep's ``runs.parquet``
index (:mod:`reporting.index`). Incomplete jobs are skipped and reported. It runs by itself at the end of every multirun (:class:`CollectCallback`, configured
in ``scenarios/config.yaml``) and by hand::

    python -m reporting.collect outputs/multirun/2026-11-23_10-00-00
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from model.runio import COMPLETE_MARKER, is_complete, write_parquet
from reporting.index import write_index

log = logging.getLogger("corridor")

COLLECTED_TABLE = "collected_city_quarter.parquet"
"""File name of the collected table inside the sweep directory."""

SKIPPED_OVERRIDES = ("scenario",)
"""Override keys not turned into columns (``scenario`` is the ``scenario_name`` column)."""


def is_multirun_dir(path: Path) -> bool:
    """True if ``path`` is a hydra sweep directory (has ``multirun.yaml`` or job directories)."""
    path = Path(path)
    return (path / "multirun.yaml").is_file() or bool(job_dirs(path))


def job_dirs(multirun_dir: Path) -> list[Path]:
    """Job directories of a sweep (those holding ``.hydra/overrides.yaml``), in job-number order."""
    path = Path(multirun_dir)
    if not path.is_dir():
        return []
    jobs = [p for p in path.iterdir() if p.is_dir() and (p / ".hydra" / "overrides.yaml").is_file()]
    return sorted(jobs, key=lambda p: (0, int(p.name)) if p.name.isdigit() else (1, p.name))


def job_overrides(job_dir: Path) -> dict[str, Any]:
    """The command-line overrides of one job, as ``{key: value}`` (values parsed as YAML scalars).

    Args:
        job_dir: A job directory of a sweep.

    Returns:
        Overrides in the order given, e.g. ``{"scenario": "baseline", "seed": 3}``.
    """
    lines = yaml.safe_load((Path(job_dir) / ".hydra" / "overrides.yaml").read_text()) or []
    out: dict[str, Any] = {}
    for line in lines:
        key, _, value = str(line).partition("=")
        key = key.lstrip("+~")
        try:
            out[key] = yaml.safe_load(value) if value else None
        except yaml.YAMLError:
            out[key] = value
    return out


def swept_keys(multirun_dir: Path, jobs: list[Path] | None = None) -> list[str]:
    """Keys swept on the command line (``key=a,b``, ``range(...)``, ...), from ``multirun.yaml``.

    Keys whose values differ between jobs count as swept too (also when ``multirun.yaml`` is
    missing).

    Args:
        multirun_dir: The sweep directory.
        jobs: Its job directories (default: :func:`job_dirs`).

    Returns:
        Override keys in command-line order.
    """
    keys: list[str] = []
    path = Path(multirun_dir) / "multirun.yaml"
    if path.is_file():
        from hydra.core.override_parser.overrides_parser import OverridesParser

        task = yaml.safe_load(path.read_text()).get("hydra", {}).get("overrides", {}).get("task", []) or []
        try:
            parsed = OverridesParser.create().parse_overrides([str(t) for t in task])
            keys = [o.key_or_group for o in parsed if o.is_sweep_override()]
        except Exception:  # noqa: BLE001 - an unreadable record falls back to the jobs' values
            keys = []
    jobs = job_dirs(multirun_dir) if jobs is None else jobs
    return list(dict.fromkeys([*keys, *varying_keys(jobs)]))


def varying_keys(jobs: list[Path]) -> list[str]:
    """Override keys whose values differ between the jobs of a sweep."""
    values: dict[str, set[str]] = {}
    order: list[str] = []
    for job in jobs:
        for key, value in job_overrides(job).items():
            if key not in values:
                values[key] = set()
                order.append(key)
            values[key].add(repr(value))
    return [k for k in order if len(values[k]) > 1 or any(k not in job_overrides(j) for j in jobs)]


def run_dirs_of(run_dir: Path) -> list[tuple[int | None, Path]]:
    """The single runs inside a complete run directory: itself, or its replicates.

    Args:
        run_dir: A complete single run or replicate set.

    Returns:
        ``(replicate index or None, directory)`` pairs.
    """
    prov = json.loads((Path(run_dir) / COMPLETE_MARKER).read_text())
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
    """Stack the ``city_quarter`` tables of a sweep's complete jobs into one tidy table.

    Args:
        multirun_dir: The sweep directory (``hydra.sweep.dir``).
        write: Also write ``<multirun_dir>/collected_city_quarter.parquet`` (atomically).

    Returns:
        The table: the ``city_quarter`` columns, then ``scenario_name``, ``seed`` (the seed the
        run used), ``master_seed`` (the job's ``seed``; differs for replicates), ``replicate``
        (-1 for a single run), ``job`` and one column per swept key other than ``seed`` and
        ``scenario`` (values as given on the command line). ``frame.attrs["skipped"]`` lists the incomplete job directories.

    Raises:
        FileNotFoundError: if the directory holds no job, or no complete job.
    """
    multirun_dir = Path(multirun_dir)
    jobs = job_dirs(multirun_dir)
    if not jobs:
        raise FileNotFoundError(
            f"{multirun_dir} holds no sweep jobs (no <job>/.hydra/overrides.yaml): pass a hydra multirun directory."
        )
    keys = [k for k in swept_keys(multirun_dir, jobs) if k not in SKIPPED_OVERRIDES]
    frames: list[pd.DataFrame] = []
    skipped: list[Path] = []
    param_rows: list[tuple[Any, ...]] = []
    for job in jobs:
        if not is_complete(job):
            skipped.append(job)
            continue
        overrides = job_overrides(job)
        master_seed = int(json.loads((job / COMPLETE_MARKER).read_text())["seed"])
        for replicate, run in run_dirs_of(job):
            path = run / "tables" / "city_quarter.parquet"
            if not (is_complete(run) and path.is_file()):
                skipped.append(run)
                continue
            prov = json.loads((run / COMPLETE_MARKER).read_text())
            frame = pd.read_parquet(path)
            frame["scenario_name"] = prov.get("scenario", "")
            frame["seed"] = int(prov["seed"])
            frame["master_seed"] = master_seed
            frame["replicate"] = -1 if replicate is None else replicate
            frame["job"] = int(job.name) if job.name.isdigit() else -1
            frames.append(frame)
            param_rows.extend([tuple(overrides.get(k) for k in keys)] * len(frame))
    if skipped:
        log.warning("collect: skipped %d incomplete job(s): %s", len(skipped), ", ".join(str(s) for s in skipped))
    if not frames:
        raise FileNotFoundError(f"{multirun_dir}: no complete job with a city_quarter table to collect.")
    table = pd.concat(frames, ignore_index=True)
    for i, key in enumerate(keys):
        if key == "seed":
            continue  # the seed and master_seed columns hold the seeds actually run
        column = key if key not in table.columns else f"param.{key}"
        table[column] = _tidy_column([row[i] for row in param_rows]).to_numpy()
    table.attrs["skipped"] = [str(s) for s in skipped]
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


try:
    from hydra.experimental.callback import Callback
except ImportError:  # pragma: no cover - hydra is a dependency
    Callback = object  # type: ignore[assignment,misc]


class CollectCallback(Callback):  # type: ignore[misc,valid-type]
    """Hydra callback: collect the sweep's table when a multirun ends (mode=run sweeps only)."""

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        """Collect ``hydra.sweep.dir`` and write its ``runs.parquet`` index; a failure is logged,
        never raised (the runs are done)."""
        if config.get("mode", "run") != "run":
            return
        sweep_dir = Path(str(config.hydra.sweep.dir))
        try:
            write_index(sweep_dir)
        except Exception as err:  # noqa: BLE001 - the index is a convenience; keep the sweep's result
            log.warning("runs index: could not index %s: %s", sweep_dir, err)
        try:
            collect_sweep(sweep_dir)
        except Exception as err:  # noqa: BLE001 - collecting is a convenience; keep the sweep's result
            log.warning("collect: could not collect %s: %s", sweep_dir, err)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m reporting.collect SWEEP_DIR [SWEEP_DIR ...]``."""
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
            print(f"  skipped (incomplete): {', '.join(table.attrs['skipped'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
