"""Fit the moving costs to the four relocation moments at a chosen taste dispersion σ_f.

    python scripts/fit_location.py                                       # σ_f = 0.25 from the defaults
    python scripts/fit_location.py --taste-sd 0.1 --start 4e5 6e4 1.3 0.003 --max-evals 40

40 evaluations of 8 seeds each took 4–9 minutes on 2 cores (2026-12-01).

The taste dispersion ``location.taste_sd`` sets the elasticities of moves (to rents, and β/γ times
more to wages); the relocation moments alone do not pin it down, because a larger σ_f with dearer
moves gives the same churn. So σ_f is an assumption (its sensitivity: docs/calibration.md, "The
firms' taste scale"), and this script fits
the rest of the location block — the fixed and per-worker moving cost, the cost's size exponent
and the cost per minute of distance — to the out-move rates of small and larger Shenzhen firms,
the within-Shenzhen move rate and Dongguan's share of moves to Dongguan or Huizhou
(calibration/targets.csv), by Nelder–Mead on the log parameters. Each evaluation is what
``scripts/location_moments.py`` measures: the calibration's 10% sample, 8 quarters, seeds 1–8
(common random numbers, so the objective is smooth enough for a simplex; with 4 seeds its noise
was about as large as the loss left at the optimum). Loss: the sum of squared log
deviations from the targets. Prints every evaluation and the best overrides, to be written into
the defaults of ``model/processes/location.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corridor_abm.calibration.evaluate import run_parallel  # noqa: E402
from corridor_abm.model.processes.location import LocationParams  # noqa: E402
from scripts.location_moments import MOMENTS, ROOT, _one  # noqa: E402

KEYS = ("moving_cost_fixed", "moving_cost_per_worker", "moving_cost_size_exponent", "distance_cost_per_minute")
LOGGED = (True, True, False, True)  # the exponent is searched on its own scale


def overrides(taste_sd: float, x: np.ndarray) -> list[str]:
    """Hydra overrides for a point ``x`` of the search (log costs, the exponent as is)."""
    values = [np.exp(v) if logged else v for v, logged in zip(x, LOGGED)]
    return [f"location.taste_sd={taste_sd:g}", *(f"location.{k}={v:.6g}" for k, v in zip(KEYS, values))]


def loss(values: np.ndarray, targets: np.ndarray) -> float:
    """Sum of squared log deviations of the moments from their targets (a moment of 0 counts as 1e-5)."""
    return float(np.sum(np.log(np.maximum(values, 1e-5) / targets) ** 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taste-sd", type=float, default=0.25)
    parser.add_argument("--max-evals", type=int, default=40)
    parser.add_argument("--seeds", type=int, default=8, help="seeds 1..N per evaluation (default 8)")
    parser.add_argument(
        "--start",
        type=float,
        nargs=4,
        metavar=("FIXED", "PER_WORKER", "EXPONENT", "PER_MINUTE"),
        help="start values of the four costs (default: the current defaults)",
    )
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not 0.001 <= args.taste_sd <= 10.0:
        sys.exit("--taste-sd: location.taste_sd must lie in [0.001, 10]")
    targets = pd.read_csv(ROOT / "calibration" / "targets.csv").set_index("name").loc[[n for n, _ in MOMENTS], "value"]
    target = targets.to_numpy(float)
    defaults = LocationParams()
    start = args.start or [getattr(defaults, k) for k in KEYS]
    if min(start) <= 0:
        sys.exit("--start: every cost must be positive")
    x0 = np.array([np.log(v) if logged else v for v, logged in zip(start, LOGGED)])
    seen: list[tuple[float, list[str], list[float]]] = []

    def objective(x: np.ndarray) -> float:
        if not 0.5 <= x[2] <= 3.0:  # the exponent's range in LocationParams
            return 1e3
        ovs = overrides(args.taste_sd, x)
        jobs = [(ovs, seed) for seed in range(1, args.seeds + 1)]
        m = np.nanmean(np.array(run_parallel(_one, jobs, args.workers)), axis=0)
        value = loss(m, target)
        seen.append((value, ovs, m.tolist()))
        print(json.dumps({"loss": round(value, 4), "moments": np.round(m, 4).tolist(), "overrides": ovs}), flush=True)
        return value

    simplex = np.vstack([x0, *(x0 + step for step in np.diag([0.7, 0.7, 0.25, 0.7]))])
    minimize(objective, x0, method="Nelder-Mead", options={"maxfev": args.max_evals, "initial_simplex": simplex})
    best = min(seen, key=lambda r: r[0])
    print(f"\nbest (loss {best[0]:.4f}):")
    print(" ".join(best[1]))
    for (name, _), value, t in zip(MOMENTS, best[2], target):
        print(f"  {name:24s} {value:8.4f}   target {t:g}")


if __name__ == "__main__":
    main()
