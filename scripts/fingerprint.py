"""Fingerprint the results of a fixed set of small runs, to show that a refactoring changes nothing.

    python scripts/fingerprint.py > before.json      # on the old commit
    python scripts/fingerprint.py > after.json       # on the new one
    diff before.json after.json                      # empty: identical to the bit

Each case is a tiny run (1,000 firms, 10,000 talent, 12 quarters, a spatial snapshot every
quarter) of a scenario chosen so that together they reach every process and lever: the
baseline on two seeds, the uncalibrated defaults, S2, S5, S6 and S8, the adaptive land and
budget rules switched on, and cheap moves with small divisions (so that divisions move). Every
table of every run is hashed row by row with its column names and dtypes (``pandas.util.hash_pandas_object``); any difference in any value, even in the last
bit of a float, changes the hash.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SMALL = [
    "n_firms=1000",
    "n_talent=10000",
    "population_share=0.04",
    "quarters=12",
    "output.snapshot_every=1",
    "output.progress=false",
]

CASES: dict[str, tuple[str, list[str]]] = {
    "baseline_seed1": ("baseline", ["seed=1"]),
    "baseline_seed2": ("baseline", ["seed=2"]),
    "uncalibrated": ("baseline", ["seed=3", "calibrated=uncalibrated"]),
    "s2": ("s2_land_exhaustion", ["seed=4"]),
    "s5": ("s5_cross_border_open", ["seed=5"]),
    "s6": ("s6_silicon_valley", ["seed=6"]),
    "s8": ("s8_combined_package", ["seed=7"]),
    "adaptive_rules": (
        "s8_combined_package",
        [
            "seed=8",
            "government.land_rule_outflow=0.002",
            "government.austerity_reserve_quarters=40",
            "government.talent_subsidy.dg=50000",
        ],
    ),
    "divisions": (
        "s7_corridor_coordination",
        [
            "seed=9",
            "location.division_min_employees=20",
            "location.division_coordination_per_minute=0",
            "location.moving_cost_fixed=0",
            "location.moving_cost_per_worker=1000",
        ],
    ),
}


def table_hash(frame: pd.DataFrame) -> str:
    """A hash of a table's column names, dtypes and every value."""
    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    if len(frame):
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def run_case(scenario: str, overrides: list[str]) -> dict[str, str]:
    """Hashes of every table of one run."""
    try:  # the application layer's composer (after the restructuring) ...
        from corridor_abm.app.settings import compose_config
    except ImportError:  # ... or the one before it
        from corridor_abm.model.configuration import compose_config
    from corridor_abm.model.simulate import simulate

    cfg = compose_config(scenario, SMALL + overrides)
    try:
        result = simulate(cfg, snapshot_every=cfg.output.snapshot_every)
    except TypeError:
        result = simulate(cfg)
    return {name: table_hash(frame) for name, frame in sorted(result.tables.items())}


def main() -> None:
    import logging

    logging.getLogger("MESA").setLevel(logging.WARNING)
    names = sys.argv[1:] or list(CASES)
    out = {name: run_case(*CASES[name]) for name in names}
    print(json.dumps(out, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
