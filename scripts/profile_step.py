"""Profile the model's quarter at one population size: by function (cProfile) or by line.

    python scripts/profile_step.py                       # 100k firms + 500k talent, cProfile, top 30
    python scripts/profile_step.py --talent 250000 --firms 25000 --quarters 10
    python scripts/profile_step.py --lines               # line by line (needs `pip install line_profiler`)

The model is built, runs one quarter unprofiled (so one-off work is not counted), then the
profiled quarters. ``--lines`` profiles the functions the quarter spent most in at the target
size (listed in ``HOT``); times are printed in milliseconds over all profiled quarters.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import sys
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOT = [
    ("corridor_abm.model.processes.venture", "_deals"),
    ("corridor_abm.model.processes.location", "move_values"),
    ("corridor_abm.model.processes.location", "_apply_moves"),
    ("corridor_abm.model.processes.migration", "choose_homes"),
    ("corridor_abm.model.processes.labour", "match"),
    ("corridor_abm.model.processes.production", "update_workforce"),
    ("corridor_abm.model.processes.production", "update_floor"),
]
"""(module, function) profiled line by line with ``--lines``."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--talent", type=int, default=500_000)
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--quarters", type=int, default=5, help="quarters profiled (after one unprofiled)")
    parser.add_argument("--top", type=int, default=30, help="functions listed (cProfile)")
    parser.add_argument("--lines", action="store_true", help="line by line over the HOT functions")
    args = parser.parse_args()
    if args.lines:
        try:
            from line_profiler import LineProfiler
        except ImportError:
            sys.exit("--lines needs line_profiler: pip install line_profiler")
    logging.getLogger("MESA").setLevel(logging.WARNING)
    import importlib

    from corridor_abm.app.settings import compose_config
    from corridor_abm.model.corridor import CorridorModel

    cfg = compose_config("baseline")
    cfg.n_talent, cfg.n_firms, cfg.quarters = args.talent, args.firms, args.quarters + 1
    model = CorridorModel(cfg)
    model.step()
    if args.lines:
        profiler = LineProfiler()
        for module, name in HOT:
            profiler.add_function(getattr(importlib.import_module(module), name))
    else:
        profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.quarters):
        model.step()
    profiler.disable()
    print(f"{args.firms:,} firms, {args.talent:,} talent, {args.quarters} quarters profiled")
    if args.lines:
        profiler.print_stats(output_unit=1e-3, stripzeros=True)
    else:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
