"""What becomes of the cross-border commuters of 2019 through the border's closure and reopening.

    python scripts/commuter_fates.py                                  # talent.displaced_quarters 0 and 4
    python scripts/commuter_fates.py --displaced-quarters 4 8 12 --seeds 1 2 3

The historical scenario (crossings closed 2020Q1–2022Q4) on the backtest's 10% sample (2,500
firms, 25,000 talent), 2018Q1–2024Q4. Follows the talent who live on one side of the HK–mainland
border and work on the other in 2019Q4 and prints, at the end of 2020, 2022 and 2024 (means over
the seeds): the share of them still in the region, the share still (or again) commuting across
the border, the share living in Hong Kong, and all cross-border commuters against 2019Q4's.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corridor_abm.app.settings import compose_config  # noqa: E402
from corridor_abm.calibration.evaluate import run_parallel  # noqa: E402
from corridor_abm.model import views  # noqa: E402
from corridor_abm.model.corridor import CorridorModel  # noqa: E402
from corridor_abm.model.state import HK  # noqa: E402

SAMPLE = ["n_firms=2500", "n_talent=25000", "population_share=0.1", "output.progress=false", "quarters=28"]
FOLLOW_FROM = 8  # 2019Q4 is the eighth quarter: the commuters are taken after it
REPORT_AT = {12: "2020Q4", 20: "2022Q4", 28: "2024Q4"}


def _one(job: tuple[int, int]) -> list[dict]:
    quarters, seed = job
    logging.getLogger("MESA").setLevel(logging.WARNING)
    model = CorridorModel(
        compose_config("historical", [*SAMPLE, f"seed={seed}", f"talent.displaced_quarters={quarters}"])
    )
    rows, followed, start = [], None, 0
    for q in range(1, 29):
        model.step()
        talent = model.state.talent
        if q == FOLLOW_FROM:
            followed = talent.uid[views.cross_border_commuters(model.state)].copy()
            start = followed.size
        if q in REPORT_AT:
            commuters = views.cross_border_commuters(model.state)
            alive = talent.alive & np.isin(talent.uid, followed)
            crossing = np.isin(talent.uid[commuters], followed).sum()
            living = np.flatnonzero(alive & (talent.home >= 0))
            in_hk = np.count_nonzero(model.state.cells.city[talent.home[living]] == HK)
            rows.append(
                {
                    "displaced_quarters": quarters,
                    "seed": seed,
                    "quarter": REPORT_AT[q],
                    "in the region": alive.sum() / start,
                    "commuting": crossing / start,
                    "living in HK": in_hk / start,
                    "all commuters / 2019Q4": commuters.size / start,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--displaced-quarters", type=int, nargs="+", default=[0, 4])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    bad = [q for q in args.displaced_quarters if not 0 <= q <= 400]
    if bad or args.workers < 1:
        parser.exit(
            2, f"error: --displaced-quarters takes whole numbers from 0 to 400 (got {bad}); --workers at least 1\n"
        )
    jobs = [(q, seed) for q in args.displaced_quarters for seed in args.seeds]
    rows = [row for part in run_parallel(_one, jobs, args.workers) for row in part]
    table = pd.DataFrame(rows).groupby(["displaced_quarters", "quarter"]).mean(numeric_only=True).drop(columns="seed")
    print(f"Commuters across the HK–mainland border in 2019Q4, historical scenario, seeds {args.seeds}:")
    print(table.round(3).to_string())


if __name__ == "__main__":
    main()
