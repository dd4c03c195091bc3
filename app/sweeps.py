"""The sweep's hooks into hydra: record the launch, then collect its jobs.

``scenarios/config.yaml`` registers :class:`SweepCallback`. When a multirun starts, it writes
``<sweep dir>/sweep.json``: the keys swept on the command line and each job's overrides and
configuration digest, as planned and validated by :mod:`app.cli` before hydra ran. When the
multirun ends, it collects the jobs of this launch (:func:`reporting.collect.collect_sweep`);
if that fails the command exits non-zero with one line saying why, since a sweep without its
collected table is not a finished sweep.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from corridor_abm.model.runio import write_json
from corridor_abm.reporting.collect import MANIFEST, collect_sweep
from corridor_abm.reporting.index import write_index

log = logging.getLogger("corridor")

try:
    from hydra.experimental.callback import Callback
except ImportError:  # pragma: no cover - hydra is a dependency
    Callback = object  # type: ignore[assignment,misc]


class SweepCallback(Callback):  # type: ignore[misc,valid-type]
    """Hydra callback: ``sweep.json`` when a multirun starts, the collected table when it ends."""

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        """Write the launch record of the jobs :mod:`app.cli` planned (if this is that sweep)."""
        from omegaconf import OmegaConf

        from corridor_abm.app import cli

        sweep_dir = Path(str(config.hydra.sweep.dir))
        task = list(OmegaConf.to_container(config.hydra.overrides.task, resolve=False))
        plan = cli.PLANNED
        if plan is None or not plan.multirun or plan.task_overrides != task:
            log.warning(
                "sweep: no plan of this launch; %s is not written (collect will take every complete job)", MANIFEST
            )
            return
        sweep_dir.mkdir(parents=True, exist_ok=True)
        write_json(plan.manifest(), sweep_dir / MANIFEST)

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        """Collect ``hydra.sweep.dir`` (mode=run sweeps); exit non-zero with one line if it cannot be collected."""
        if config.get("mode", "run") != "run":
            return
        sweep_dir = Path(str(config.hydra.sweep.dir))
        try:
            write_index(sweep_dir)  # the runs index: SQL over every table (reporting.query)
        except (OSError, ValueError) as err:
            log.warning("runs index: could not index %s: %s", sweep_dir, err)
        try:
            collect_sweep(sweep_dir)
        except (OSError, ValueError) as err:
            log.error("collect: could not collect %s: %s", sweep_dir, err)
            raise SystemExit(1) from None
