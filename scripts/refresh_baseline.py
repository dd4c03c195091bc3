"""Refresh the stored fixed-seed baseline that tests/test_regression.py compares against.

    python scripts/refresh_baseline.py

Run it only when a change of results is intended, and say why in the commit message: the test
exists so that results never change by accident.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corridor_abm.app.regression import BASELINE_FILE, regression_summary  # noqa: E402


def main() -> None:
    summary = regression_summary()
    BASELINE_FILE.parent.mkdir(parents=True, exist_ok=True)
    summary.to_csv(BASELINE_FILE, index=False, float_format="%.10g")
    print(f"wrote {BASELINE_FILE} ({len(summary)} rows)")


if __name__ == "__main__":
    main()
