"""Save a run: tables, then plots, then the provenance that marks it complete."""

from __future__ import annotations

from pathlib import Path

from model.simulate import RunResult, begin_run, mark_complete, write_tables
from reporting.plots import plot_run


def save_run(result: RunResult, out_dir: Path, plots: bool = True) -> Path:
    """Write a run's directory; it counts as complete only once everything is written.

    Args:
        result: The run's result.
        out_dir: The run directory.
        plots: Draw the PNG plots too.

    Returns:
        The run directory.
    """
    out_dir = begin_run(out_dir)
    write_tables(result, out_dir)
    if plots:
        plot_run(result.tables, result.cmap, out_dir / "plots", title=result.config.scenario_name)
    mark_complete(result, out_dir)
    return out_dir
