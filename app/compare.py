"""Compare finished runs from the command line, without hydra.

    python -m corridor_abm.app.compare RUN RUN [RUN ...] --out DIR [--format pdf] [--dpi 300]

The same as ``python run.py mode=compare 'runs=[RUN,RUN]'`` (:func:`app.experiments.compare_mode`);
the comparison itself is :func:`reporting.compare.compare_runs`, which checks the runs and the
output folder before it writes anything (``--out`` may not be a compared run or hold another
finished output).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from corridor_abm.reporting.compare import CompareError, compare_runs


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m corridor_abm.app.compare RUN RUN [RUN ...] --out DIR``."""
    parser = argparse.ArgumentParser(description="Compare scenario runs against a baseline (paired by seed).")
    parser.add_argument("runs", nargs="+", help="run, replicate-set or sweep directories (baseline among them)")
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument("--format", default="png", choices=("png", "svg", "pdf"), help="figure format (default png)")
    parser.add_argument("--dpi", default=150, type=int, help="resolution of raster figures (default 150)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        compare_runs(args.runs, args.out, fmt=args.format, dpi=args.dpi)
    except CompareError as err:
        print(f"compare refused: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"interrupted: {args.out} is incomplete (no provenance.json); run the same command again.", file=sys.stderr
        )
        return 130
    print(f"compare: figures and compare_summary in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
