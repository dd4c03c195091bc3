"""Start the explorer's web server: ``python run.py mode=explore`` lands in :func:`explore_mode`.

The server is Solara's (``solara run explorer.page``) in production mode, listening on
``explore.host``:``explore.port`` (127.0.0.1:8765 by default, this machine only). The starting
scenario, seed and population sample are passed to the page in ``CORRIDOR_EXPLORER``.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import corridor_abm

# the folder holding the corridor_abm package (the checkout, or site-packages when installed):
# the server process runs there and imports the page as corridor_abm.explorer.page
PACKAGE_PARENT = Path(corridor_abm.__file__).resolve().parent.parent
APP = "corridor_abm.explorer.page"
"""The Solara page, by module name (so that the package's folder is not put on ``sys.path``)."""

log = logging.getLogger("corridor")


def server_command(host: str, port: int) -> list[str]:
    """The command that serves the page (Solara in production mode: no reloader, no browser, no
    look-up of a newer Solara)."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
        "--log-level",
        "warning",
    ]


def server_env(scenario: str, seed: int, population_share: float) -> dict[str, str]:
    """The environment of the server: the page's start and one BLAS thread."""
    env = dict(os.environ)
    env["CORRIDOR_EXPLORER"] = json.dumps(
        {"scenario": scenario, "seed": int(seed), "population_share": float(population_share)}
    )
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # the page sends nothing anywhere
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_PARENT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    scenario: str = "baseline",
    seed: int = 20180101,
    population_share: float = 0.025,
    **popen: Any,
) -> subprocess.Popen:
    """Start the explorer's server in the background.

    Args:
        host: Address to listen on.
        port: TCP port.
        scenario: Scenario the page starts with.
        seed: Master seed.
        population_share: Population sample the page starts with.
        **popen: Passed to :class:`subprocess.Popen` (e.g. ``stdout``).

    Returns:
        The server process (stop it with ``terminate()``).
    """
    return subprocess.Popen(
        server_command(host, port), cwd=PACKAGE_PARENT, env=server_env(scenario, seed, population_share), **popen
    )


def explore_mode(config: Any, out_dir: Path) -> None:
    """``python run.py mode=explore``: serve the explorer until Ctrl-C.

    Args:
        config: The validated settings (``explore.*``, ``scenario``, ``seed``).
        out_dir: Hydra's run directory (unused: the explorer writes nothing).
    """
    ex = config.explore
    print(
        f"corridor explorer: open http://{ex.host}:{ex.port}/ in a browser "
        f"(scenario {config.scenario_name}, seed {config.seed}, population sample {ex.population_share}); "
        "Ctrl-C stops it.",
        flush=True,
    )
    proc = serve(ex.host, ex.port, config.scenario_name, config.seed, ex.population_share)
    try:
        proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(timeout=30)
