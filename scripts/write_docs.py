"""Regenerate the generated documentation: docs/parameters.md and the README's table schemas.

    python scripts/write_docs.py

Tests check both are in step with the code (tests/test_params.py, tests/test_outputs.py).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corridor_abm.app.settings import Settings  # noqa: E402
from corridor_abm.model.config import calibrated_defaults  # noqa: E402
from corridor_abm.model.params import parameters_markdown  # noqa: E402
from corridor_abm.model.tables import COLUMN_TYPES, TABLE_SCHEMAS  # noqa: E402

START, END = "<!-- schemas:start -->", "<!-- schemas:end -->"


def schema_markdown() -> str:
    """The README section documenting every output table."""
    out = [START, ""]
    for name, (what, columns) in TABLE_SCHEMAS.items():
        out.append(f"**`tables/{name}.parquet`** — {what}.")
        out.append("")
        out.append("| column | type | unit | meaning |")
        out.append("|---|---|---|---|")
        out += [
            f"| `{col}` | {COLUMN_TYPES[name][col][0]} | {COLUMN_TYPES[name][col][1]} | {meaning} |"
            for col, meaning in columns.items()
        ]
        out.append("")
    out.append(END)
    return "\n".join(out)


def main() -> None:
    (ROOT / "docs" / "parameters.md").write_text(
        parameters_markdown(Settings, calibrated_defaults("default", Settings))
    )
    readme = (ROOT / "README.md").read_text()
    block = schema_markdown()
    if START in readme:
        readme = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, readme, flags=re.S)
    else:
        raise SystemExit("README.md has no schema markers")
    (ROOT / "README.md").write_text(readme)
    print("wrote docs/parameters.md and the README schemas")


if __name__ == "__main__":
    main()
