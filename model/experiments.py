"""Experiments around the pure config → results function: single runs and replicates.

``python run.py`` (``mode=run``) lands here.
"""

from __future__ import annotations

from pathlib import Path

from model.params import Config
from model.simulate import simulate


def run_mode(config: Config, out_dir: Path) -> None:
    """Simulate ``config`` and save the run (tables, plots, provenance) into ``out_dir``.

    Args:
        config: A validated configuration.
        out_dir: The run directory (hydra's).
    """
    from reporting.save import save_run

    result = simulate(config, progress=config.output.progress)
    save_run(result, out_dir, plots=config.output.plots)
