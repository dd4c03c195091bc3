"""The command line before hydra: validate everything, then let hydra run, and end in one line.

``python run.py ...`` calls :func:`run_command`. Before hydra creates a run folder (with its
``.hydra/`` and ``run.log``) the command is planned (:func:`plan_command`): the overrides are
checked, every job of a sweep is composed and validated as hydra will compose it, and every
output folder is checked (:func:`app.preflight.preflight`: writable, not a file, not holding a
finished output of another kind or configuration). A mistake stops the command with one line
naming the key (or folder) and what is allowed, exit status 2, and nothing created.

Jobs of a sweep that differ only in ``seed`` are composed once and the seed is checked on its
own, so a sweep over many seeds is planned quickly.

While hydra runs, SIGTERM is turned into the same interrupt as Ctrl-C: the run stops, its worker
processes are stopped, and one line says what is left (an incomplete folder that the same
command resumes) — never a traceback.
"""

from __future__ import annotations

import copy
import os
import re
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corridor_abm.app.settings import Settings, check_overrides, from_hydra, register_configs
from corridor_abm.model import parallel
from corridor_abm.model.config import SCENARIO_DIR, SEED_MAX
from corridor_abm.model.params import ConfigError
from corridor_abm.model.runio import config_digest

HYDRA_ONLY_FLAGS = ("help", "hydra_help", "cfg", "info", "shell_completion", "experimental_rerun")
"""Hydra flags that print something instead of running: nothing to plan."""

MAIN_PID_ENV = "CORRIDOR_MAIN_PID"
"""Environment variable holding the command's process id (its workers end with it)."""


@dataclass
class Job:
    """One run the command will make.

    Attributes:
        overrides: The job's task overrides (as hydra passes them).
        settings: Its validated settings.
        out_dir: Its output folder, if known before hydra runs (None: decided by hydra).
    """

    overrides: list[str]
    settings: Settings
    out_dir: Path | None


@dataclass
class Plan:
    """What a command will run: one job, or every job of a sweep.

    Attributes:
        multirun: True for a sweep (``-m``).
        jobs: The jobs, in hydra's job-number order.
        sweep_dir: The sweep folder (sweeps only; None if it has a time stamp decided by hydra).
        sweep_keys: Keys swept on the command line (sweeps only), in command-line order.
        task_overrides: The command's task overrides (to recognise the sweep hydra launches).
    """

    multirun: bool
    jobs: list[Job]
    sweep_dir: Path | None = None
    sweep_keys: list[str] = field(default_factory=list)
    task_overrides: list[str] = field(default_factory=list)

    def manifest(self) -> dict[str, Any]:
        """The launch record of a sweep (``sweep.json``): each job's overrides and configuration digest."""
        return {
            "sweep_keys": self.sweep_keys,
            "command": " ".join(sys.argv),
            "jobs": [
                {"job": k, "overrides": job.overrides, "config_digest": config_digest(job.settings)}
                for k, job in enumerate(self.jobs)
            ],
        }


PLANNED: Plan | None = None
"""The plan of the command running in this process (read by :class:`app.sweeps.SweepCallback`)."""


# --------------------------------------------------------------------------------------------
# errors in one line


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _allowed(key: str) -> str:
    """What a key accepts, for messages: its type and range."""
    import dataclasses
    import typing

    from corridor_abm.app.settings import key_type

    ktype = key_type(key)
    node: Any = Settings
    meta: dict[str, Any] = {}
    for part in key.split("."):
        if not (isinstance(node, type) and dataclasses.is_dataclass(node)):
            break
        fields = {f.name: f for f in dataclasses.fields(node)}
        if part not in fields:
            break
        meta = dict(fields[part].metadata) or meta
        node = typing.get_type_hints(node).get(part)
    kind = {int: "an integer", float: "a number", bool: "true or false", str: "text"}.get(ktype, "a list")
    lo, hi = meta.get("lo"), meta.get("hi")
    if ktype in (int, float) and (lo is not None or hi is not None):
        return f"{kind} in [{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"
    return kind


def hydra_error(err: BaseException, args: list[str]) -> ConfigError:
    """One line for an error of hydra's or OmegaConf's composition, naming the override's key."""
    cause = err
    while cause.__cause__ is not None:
        cause = cause.__cause__
    key = getattr(cause, "full_key", None) or getattr(err, "full_key", None)
    text = str(err)
    match = re.search(r"override '?([^\s']+?)=", text)
    if not key and match:
        key = match.group(1).lstrip("+~")
    if key:
        given = next((a.split("=", 1)[1] for a in args if a.lstrip("+~").split("=", 1)[0] == key), None)
        shown = f" = {given!r}" if given is not None else ""
        return ConfigError(f"{key}{shown} is not allowed: {_first_line(cause)}; allowed: {_allowed(key)}.")
    return ConfigError(f"cannot read the command line ({' '.join(args)}): {_first_line(cause)}.")


# --------------------------------------------------------------------------------------------
# planning


def _parse(args: list[str], parser: Any) -> list[Any]:
    """Parse overrides one by one, so an unreadable one is named."""
    parsed = []
    for arg in args:
        try:
            parsed.extend(parser.parse_overrides([arg]))
        except Exception as err:  # noqa: BLE001 - hydra's parser raises several kinds
            raise ConfigError(
                f"cannot read the override {arg!r}: {_first_line(err)}; write key=value with a key of "
                "docs/parameters.md (quote values with spaces, commas or brackets)."
            ) from None
    return parsed


def _is_hydra_key(key: str) -> bool:
    return key == "hydra" or key.startswith(("hydra.", "hydra/"))


def _seed_of(overrides: list[str]) -> tuple[tuple[str, ...], str | None]:
    """The job's overrides without ``seed=...``, and the seed's text."""
    rest, seed = [], None
    for o in overrides:
        if o.startswith("seed="):
            seed = o.split("=", 1)[1]
        else:
            rest.append(o)
    return tuple(rest), seed


def _with_seed(settings: Settings, text: str) -> Settings | None:
    """``settings`` with another seed, checked on its own (None if the text is not a plain integer)."""
    if not re.fullmatch(r"[0-9]{1,25}", text):
        return None
    seed = int(text)
    if seed > SEED_MAX:
        raise ConfigError(f"seed = {seed} is out of range: allowed [0, {SEED_MAX}] — Master seed.")
    out = copy.deepcopy(settings)
    out.seed = seed
    return out


def plan_command(argv: list[str]) -> Plan | None:
    """Validate a command line of ``run.py`` and every folder it will write, creating nothing.

    Args:
        argv: The arguments after ``run.py``.

    Returns:
        The plan, or None when hydra only prints something (``--help``, ``--cfg``, ...) or the
        configuration is not ``scenarios/config.yaml`` (then hydra and the run check it).

    Raises:
        ConfigError: the first problem, naming the key or folder and what is allowed.
    """
    from hydra import compose, initialize_config_dir
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra._internal.utils import get_args_parser
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    from corridor_abm.app.preflight import preflight

    args, unknown = get_args_parser().parse_known_args(argv)
    if unknown:
        raise ConfigError(f"unknown option {unknown[0]!r}; see python run.py --help.")
    parallel.threads()  # CORRIDOR_THREADS, if set, must be a whole number of threads
    if any(getattr(args, name, None) for name in HYDRA_ONLY_FLAGS):
        return None
    if args.config_path or args.config_dir or args.config_name:
        return None
    overrides = list(args.overrides)
    check_overrides(overrides)
    register_configs()
    with initialize_config_dir(config_dir=str(SCENARIO_DIR), version_base="1.3"):
        parser = OverridesParser.create(config_loader=GlobalHydra.instance().hydra.config_loader)
        parsed = _parse(overrides, parser)
        hydra_args = [a for a, o in zip(overrides, parsed) if _is_hydra_key(o.key_or_group)]
        task = [o for o in parsed if not _is_hydra_key(o.key_or_group)]
        sweeps = [o for o in task if o.is_sweep_override()]
        multirun = bool(args.multirun) or any(a.replace(" ", "") == "hydra.mode=MULTIRUN" for a in hydra_args)
        if sweeps and not multirun:
            raise ConfigError(
                f"{sweeps[0].input_line} lists several values; add -m (--multirun) to sweep them, or give one value."
            )
        try:
            batches = BasicSweeper.split_arguments(task, None)[0] if multirun else [[o.input_line for o in task]]
        except Exception as err:  # noqa: BLE001 - hydra's sweeper raises several kinds
            raise ConfigError(f"cannot expand the sweep: {_first_line(err)}.") from None
        first_cfg = None
        composed: dict[tuple[str, ...], Settings] = {}
        jobs: list[Job] = []
        for job_args in batches:
            rest, seed = _seed_of(list(job_args))
            settings = None
            if seed is not None and rest in composed:
                settings = _with_seed(composed[rest], seed)
            if settings is None:
                try:
                    cfg = compose(config_name="config", overrides=[*hydra_args, *job_args], return_hydra_config=True)
                    settings = from_hydra(cfg)
                except ConfigError:
                    raise
                except Exception as err:  # noqa: BLE001 - composition errors of hydra and OmegaConf
                    raise hydra_error(err, [*hydra_args, *job_args]) from None
                first_cfg = first_cfg if first_cfg is not None else cfg
                composed.setdefault(rest, settings)
            jobs.append(Job(list(job_args), settings, None))
        hydra_cfg = first_cfg.hydra
        if multirun:
            sweeper = str(OmegaConf.select(hydra_cfg, "sweeper._target_") or "")
            if not sweeper.endswith("BasicSweeper"):
                return Plan(True, jobs, None, [o.key_or_group for o in sweeps], [o.input_line for o in task])
            sweep_dir = Path(str(hydra_cfg.sweep.dir))
            subdir = OmegaConf.to_container(hydra_cfg.sweep, resolve=False).get("subdir")
            per_job = subdir == "${hydra.job.num}"
            for k, job in enumerate(jobs):
                job.out_dir = sweep_dir / str(k) if per_job else None
            plan = Plan(True, jobs, sweep_dir, [o.key_or_group for o in sweeps], [o.input_line for o in task])
        else:
            jobs[0].out_dir = Path(str(hydra_cfg.run.dir))
            plan = Plan(False, jobs, task_overrides=[o.input_line for o in task])
    preflight(plan)
    return plan


# --------------------------------------------------------------------------------------------
# running


def _interrupted(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _where(plan: Plan | None) -> str:
    try:
        from hydra.core.hydra_config import HydraConfig

        if HydraConfig.initialized():
            cfg = HydraConfig.get()
            return str(cfg.sweep.dir if str(cfg.mode) == "RunMode.MULTIRUN" else cfg.runtime.output_dir)
    except Exception:  # noqa: BLE001 - only for the message
        pass
    if plan is not None:
        return str(plan.sweep_dir if plan.multirun else plan.jobs[0].out_dir)
    return "the run folder"


def run_command(argv: list[str], hydra_main: Callable[[], Any]) -> int:
    """Plan the command, run hydra, and turn a user's mistake or an interrupt into one line.

    Args:
        argv: The arguments after ``run.py``.
        hydra_main: The ``@hydra.main`` function.

    Returns:
        The exit status: 0, 2 for a configuration error, 130/143 when interrupted.
    """
    global PLANNED
    try:
        PLANNED = plan_command(argv)
    except ConfigError as err:
        what = "compare refused" if type(err).__name__ == "CompareError" else "configuration error"
        print(f"{what}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted before anything was written.", file=sys.stderr)
        return 130
    os.environ[MAIN_PID_ENV] = str(os.getpid())
    previous = signal.signal(signal.SIGTERM, _interrupted)
    try:
        hydra_main()
    except KeyboardInterrupt as err:
        where = _where(PLANNED)
        print(
            f"interrupted: {where} is incomplete where its runs did not finish (finished runs and replicates are "
            "kept); run the same command again to resume it.",
            file=sys.stderr,
        )
        return 143 if "SIGTERM" in str(err) else 130
    except SystemExit as err:
        code = err.code
        if isinstance(code, str):
            print(code, file=sys.stderr)
            return 1
        return int(code or 0)
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0
