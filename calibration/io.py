"""Atomic output for the calibration commands, and their provenance.

Every file is written under a temporary name and renamed, and each command writes its
``provenance.json`` (``"status": "complete"``, with a checksum of every output file) last and
removes a stale one first — only after its inputs are checked and the folder is known writable
and free of another finished output (:func:`begin`) — so a run interrupted at any point never
leaves a directory that looks finished, and a folder is never wiped by a command that refuses.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd

from corridor_abm.model.runio import (
    COMPLETE_MARKER,
    begin_run,
    check_reusable,
    check_writable,
    json_default,
    mark_complete,
    provenance,
)

CALIBRATION_CONTROL: tuple[tuple[str, ...], ...] = (
    ("mode",),
    ("runs",),
    ("workers",),
    ("output",),
    ("calibration", "workers"),
    ("cluster",),
    ("calibration", "generations"),
    ("calibration", "recovery_generations"),
    ("calibration", "install"),
    ("calibration", "name"),
    ("calibration", "resume"),
)
"""Keys that do not make a calibration, recovery or sensitivity analysis another one (more
generations continue a search from its checkpoint)."""


def check_dir(out_dir: Path, config: Any, kind: str, hint: str = "choose another hydra.run.dir") -> None:
    """Raise :class:`model.runio.RunDirError` unless ``out_dir`` can take this command's output
    (``kind``: calibrate, recovery or sensitivity): writable, and holding no finished output of
    another kind or configuration."""
    check_writable(out_dir)
    check_reusable(out_dir, kind, config, CALIBRATION_CONTROL, hint)


def begin(out_dir: Path, config: Any, kind: str) -> Path:
    """Prepare an output directory once the inputs are checked: check it (:func:`check_dir`),
    then remove a stale completion marker."""
    check_dir(out_dir, config, kind)
    return begin_run(out_dir)


EXTRA_PACKAGES = ("SALib", "joblib")

log = logging.getLogger("corridor.calibration")


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically."""
    write_text(path, json.dumps(obj, indent=2, default=json_default) + "\n")


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """Write a CSV file atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)


def finish(out_dir: Path, mode: str, config: Any, wall_seconds: float, **summary: Any) -> None:
    """Write ``provenance.json`` with status complete. Call it last."""
    prov = provenance(mode, config, wall_seconds, EXTRA_PACKAGES, mode=mode, **summary)
    skip = {COMPLETE_MARKER, "run.log"}
    files = sorted(p for p in Path(out_dir).iterdir() if p.is_file() and p.name not in skip and p.suffix != ".tmp")
    mark_complete(out_dir, prov, files)


def draw(plot: str, *args: Any) -> None:
    """Call ``calibration.plots.<plot>(*args)``; a failing plot is logged, never fatal.

    Call it after the tables are written: a plot must never lose the results.
    """
    try:
        from corridor_abm.calibration import plots

        getattr(plots, plot)(*args)
    except Exception as err:  # noqa: BLE001 — any plotting failure is reported and skipped
        log.warning("%s failed: %s", plot, err)


def figure_file(out_dir: Path, stem: str, config: Any) -> tuple[Path, int]:
    """Where a figure goes and its resolution: ``out_dir/stem.<output.format>`` and ``output.dpi``.

    Args:
        out_dir: Output directory.
        stem: File name without suffix.
        config: The composed settings (their ``output`` group; png at 150 dpi without one).

    Returns:
        The path and the dpi.
    """
    output = getattr(config, "output", None)
    fmt = getattr(output, "format", "png")
    dpi = int(getattr(output, "dpi", 150))
    return Path(out_dir) / f"{stem}.{fmt}", dpi
