"""The fit of a configuration to every calibration target, without a search.

    python scripts/fit_report.py                                   # the baseline as configured
    python scripts/fit_report.py --compare "location.taste_sd=0.05 location.moving_cost_fixed=2e5"

Simulates the calibration's sample on its report seeds (``calibration.report_replicates`` fresh
seeds, the ones the fit report of ``mode=calibrate`` uses) at the configuration's own values and
prints the fit table of docs/calibration.md with the loss (the sum of the fitted targets'
terms). With ``--compare``, the "before" column and the first loss are those of the
configuration with the compared overrides, and the weights (target band plus simulation noise)
are taken from it, so the two losses are on one scale. Use it to see whether a change outside the calibration (a structural parameter, an
assumption) kept the fit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corridor_abm.app.settings import compose_config  # noqa: E402
from corridor_abm.calibration.calibrate import fit_weights, make_setup  # noqa: E402
from corridor_abm.calibration.evaluate import simulate_moments  # noqa: E402
from corridor_abm.calibration.report import fit_markdown, fit_table  # noqa: E402
from corridor_abm.model.params import ConfigError  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*", help="hydra overrides of the configuration to report")
    parser.add_argument("--compare", default=None, help="overrides of the configuration to compare with, in quotes")
    args = parser.parse_args()
    try:  # a wrong key, type or range: one line, before anything runs
        setup = make_setup(compose_config("baseline", args.overrides))
        other = (
            make_setup(compose_config("baseline", [*args.overrides, *args.compare.split()])) if args.compare else None
        )
    except ConfigError as exc:
        sys.exit(f"fit_report: {exc}")
    after = simulate_moments(setup.base, [{}], setup.report_seeds, setup.targets, setup.workers)[0]
    before = simulate_moments(other.base, [{}], setup.report_seeds, setup.targets, setup.workers)[0] if other else None
    w = fit_weights(setup, before if before is not None else after)
    table = fit_table(
        setup.targets, after, {t.name: float(x) for t, x in zip(setup.fit, w)}, before=before, available=setup.available
    )
    lines = [f"Configuration: {' '.join(args.overrides) or '(the baseline)'}; {len(setup.report_seeds)} report seeds."]
    if before is not None:
        lines.append(f"Before: the same with {args.compare}.")
    print(fit_markdown(table, "Fit to the calibration targets", lines))


if __name__ == "__main__":
    main()
