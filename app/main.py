"""The command line of the corridor model (``python run.py`` and the installed ``corridor``).

    python run.py                                  # the baseline, 2018Q1–2037Q4
    python run.py scenario=s2_land_exhaustion      # another scenario
    python run.py land.sz_supply=0 seed=7          # any parameter (see docs/parameters.md)
    python run.py -m scenario=baseline,s2_land_exhaustion 'seed=range(0,4)'   # a sweep
    python run.py --help                           # modes, scenarios, levers (app/cli_help.py)

Installed, ``corridor`` is the same command (``corridor --help``). Each run writes its tables,
plots and provenance to hydra's run directory under ``outputs/``
(``hydra.run.dir=DIR`` puts it elsewhere). ``mode=...`` selects what is done (see MODES).
The whole command is validated before hydra creates any folder (``app/cli.py``); a mistake
or an interrupt ends in one line, never a traceback.
"""

from __future__ import annotations

import os

# One BLAS/OpenMP thread per process, set before numpy is imported: replicates and sweeps run in
# parallel worker processes (joblib, submitit), which inherit these settings.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import importlib  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import hydra  # noqa: E402
from hydra.core.hydra_config import HydraConfig  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

from corridor_abm.app.cli import MAIN_PID_ENV, run_command  # noqa: E402
from corridor_abm.app.settings import MODES, Settings, from_hydra, register_configs  # noqa: E402
from corridor_abm.model.config import SCENARIO_DIR  # noqa: E402
from corridor_abm.model.params import ConfigError  # noqa: E402

logging.getLogger("MESA").setLevel(logging.WARNING)
log = logging.getLogger("corridor")

register_configs()


def dispatch(config: Settings, out_dir: Path) -> None:
    """Run the function of ``config.mode`` with the validated config and the run directory."""
    from corridor_abm.calibration import dispatch as engines

    engines.configure(config.cluster)  # where batches of simulations run (cluster.engine)
    module, func = MODES[config.mode].split(":")
    getattr(importlib.import_module(module), func)(config, out_dir)


# an absolute path to the scenario files, so an installed (non-editable) package finds them too
@hydra.main(version_base="1.3", config_path=str(SCENARIO_DIR), config_name="config")
def main(cfg: DictConfig) -> None:
    """Validate the composed config, then run the requested mode into hydra's run directory."""
    main_pid = os.environ.get(MAIN_PID_ENV, str(os.getpid()))
    if main_pid != str(os.getpid()):
        from corridor_abm.app.experiments import end_with

        end_with(int(main_pid))  # a sweep's worker process ends with the command
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    multirun = str(HydraConfig.get().mode) == "RunMode.MULTIRUN"
    try:
        config = from_hydra(cfg)
        from corridor_abm.app.preflight import check_job

        check_job(config, out_dir, "choose another hydra.sweep.dir" if multirun else "choose another hydra.run.dir")
    except ConfigError as err:
        log.error("configuration error: %s", err)
        raise SystemExit(2) from None
    if config.mode == "run":
        log.info(
            "run: scenario %s, seed %d, %d replicate(s), %d quarters from %s -> %s",
            config.scenario_name,
            config.seed,
            config.replicates,
            config.quarters,
            config.start,
            out_dir,
        )
    else:
        log.info(
            "%s: scenario %s, calibrated set %s -> %s",
            config.mode,
            config.scenario_name,
            config.calibrated_set,
            out_dir,
        )
    dispatch(config, out_dir)
    log.info("done: %s", out_dir)


def cli() -> None:
    """The command line (``python run.py`` and the ``corridor`` console command): our help for
    ``--help``/``-h`` (:mod:`app.cli_help`), else :func:`app.cli.run_command` (plan, validate, then hydra)."""
    args = sys.argv[1:]
    if "--help" in args or "-h" in args:
        from corridor_abm.app.cli_help import help_text

        sys.stdout.write(help_text())
        raise SystemExit(0)
    raise SystemExit(run_command(args, main))


if __name__ == "__main__":
    cli()
