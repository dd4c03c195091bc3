"""Calibrate ``talent.border_flow_correction``: the value of working across the HK–mainland
border that keeps the 2018 stock of cross-border commuters on the baseline.

    python scripts/calibrate_border_flow.py                  # 10 seeds, 28 quarters, default sample
    python scripts/calibrate_border_flow.py --seeds 4 --set talent.hk_attachment_sd=0.8

The 2018 inversion (:func:`model.setup.border_gap`) makes the 2018 shares of living and working
on either side what one choice among offers expects; the search that follows (separations,
on-the-job offers, exits and entrants) need not keep them, and without a correction the stock of
commuters drains on a baseline whose barriers never change. This script runs the baseline (any
``--set`` overrides added) on paired seeds and finds, by the secant method on the log of the
ratio, the correction at which the corridor's cross-border commuters in the last quarter equal
those of the first (means over the seeds). It prints every value tried and the root; put the root
in the parameter's default (``TalentParams`` in ``model/processes/labour.py``) by hand, then
refresh the regression baseline (``scripts/refresh_baseline.py``) and re-measure. The target is stationarity, a property of 2018 the inversion already
assumes, never the backtest's crossings.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corridor_abm.app.settings import compose_config  # noqa: E402
from corridor_abm.calibration.evaluate import run_parallel  # noqa: E402
from corridor_abm.calibration.spec import apply_values  # noqa: E402
from corridor_abm.model import views  # noqa: E402
from corridor_abm.model.config import only_model  # noqa: E402
from corridor_abm.model.corridor import CorridorModel  # noqa: E402
from corridor_abm.model.rng import replicate_seeds  # noqa: E402


def commuter_path(cfg: Any) -> np.ndarray:
    """Cross-border commuters of the corridor after each quarter of one run (agents)."""
    logging.getLogger("MESA").setLevel(logging.WARNING)
    model = CorridorModel(cfg)
    path = []
    for _ in range(cfg.quarters):
        model.step()
        path.append(views.cross_border_commuters(model.state).size)
    return np.array(path, dtype=float)


def stock_ratio(base: Any, seeds: list[int], value: float, workers: int) -> float:
    """Mean commuters in the last quarter over the mean in the first, at correction ``value``."""
    cfg = apply_values(base, {"talent.border_flow_correction": value})
    paths = np.array(run_parallel(commuter_path, [apply_values(cfg, {"seed": s}, check=False) for s in seeds], workers))
    mean = paths.mean(axis=0)
    return float(mean[-1] / max(mean[0], 1.0))


def main(argv: list[str] | None = None) -> None:
    """Print the values tried and the calibrated correction."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="paired seeds")
    parser.add_argument("--quarters", type=int, default=28, help="quarters simulated (28: 2018Q1-2024Q4)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--tol", type=float, default=0.02, help="tolerance on |log ratio| (about the noise of a 10-seed mean)"
    )
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a hydra override")
    args = parser.parse_args(argv)
    logging.getLogger("MESA").setLevel(logging.WARNING)
    settings = compose_config("baseline", args.set)
    base = apply_values(only_model(settings), {"quarters": args.quarters})
    seeds = [int(s) for s in replicate_seeds(settings.seed, args.seeds)]
    x0 = 0.0
    x1 = float(base.talent.border_flow_correction) or 0.1
    f0 = np.log(stock_ratio(base, seeds, x0, args.workers))
    print(f"correction {x0:+.4f}: last/first quarter {np.exp(f0):.4f}", flush=True)
    for _ in range(8):
        f1 = np.log(stock_ratio(base, seeds, x1, args.workers))
        print(f"correction {x1:+.4f}: last/first quarter {np.exp(f1):.4f}", flush=True)
        if abs(f1) < args.tol or f1 == f0:
            break
        x0, f0, x1 = x1, f1, x1 - f1 * (x1 - x0) / (f1 - f0)
    print(f"talent.border_flow_correction = {x1:.3f} ({args.seeds} seeds, {args.quarters} quarters)")


if __name__ == "__main__":
    main()
