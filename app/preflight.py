"""What must hold before a command writes anything, for every mode.

Every output folder must be a writable folder (or creatable), and a folder that holds a finished
output may only be rewritten by a rerun of the same kind and configuration: a run by the same
run, a calibration by the same calibration (a later ``calibration.generations`` continues it), a
comparison by a comparison of the same runs. A comparison's inputs must be complete, undamaged
and paired, and its output folder must not be one of them. :func:`preflight` checks a whole plan
(:mod:`app.cli`) before hydra creates anything; each mode checks its own folder again when it
starts (for callers that bypass the command line).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from corridor_abm.app.experiments import check_run_dir
from corridor_abm.app.settings import Settings
from corridor_abm.calibration.io import check_dir as check_calibration_dir
from corridor_abm.model.params import ConfigError
from corridor_abm.model.runio import RunDirError, check_writable, recorded_provenance

if TYPE_CHECKING:
    from corridor_abm.app.cli import Plan


def check_job(settings: Settings, out_dir: Path, hint: str) -> None:
    """Everything the mode of ``settings`` needs of ``out_dir`` and of its inputs (nothing is written).

    Raises:
        model.params.ConfigError: naming the folder (or input) and the problem.
    """
    if settings.mode == "run":
        check_run_dir(settings, out_dir, hint)
    elif settings.mode == "compare":
        from corridor_abm.reporting.compare import check_compare

        check_writable(out_dir)
        check_compare(list(settings.runs), out_dir)
    else:
        if settings.mode == "backtest" and settings.backtest.decompose and not settings.paths:
            # not a rule of Settings.check: the timeline validates each quarter's configuration without its paths
            raise ConfigError(
                f"backtest.decompose = true: scenario {settings.scenario_name!r} has no paths to decompose; "
                "allowed: a scenario with paths (scenario=historical, or paths.* given) or backtest.decompose=false."
            )
        check_calibration_dir(out_dir, settings, settings.mode, hint)


def preflight(plan: Plan) -> None:
    """Check every folder of a plan before hydra creates any.

    Raises:
        model.params.ConfigError: the first problem, naming the folder.
    """
    if plan.multirun:
        hint = "choose another hydra.sweep.dir"
        if plan.sweep_dir is not None:
            check_writable(plan.sweep_dir)
            held = recorded_provenance(plan.sweep_dir)
            if held and held.get("status") == "complete":
                raise RunDirError(
                    f"{plan.sweep_dir} holds a finished {held.get('kind', 'output')}, not a sweep; it is left as it "
                    f"is: {hint}."
                )
    else:
        hint = "choose another hydra.run.dir"
    for job in plan.jobs:
        if job.out_dir is not None:
            check_job(job.settings, job.out_dir, hint)
