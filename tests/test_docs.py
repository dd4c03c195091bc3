"""The model description stays in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

from corridor_abm.app.settings import compose_config
from corridor_abm.model.corridor import CorridorModel

ROOT = Path(__file__).resolve().parent.parent


def test_odd_lists_the_phases_of_a_quarter_in_the_order_step_runs_them():
    text = (ROOT / "docs" / "ODD.md").read_text()
    schedule = text[text.index("## 3. Process overview") : text.index("## 4. Design concepts")]
    listed = re.findall(r"^\d+\. \*\*(\w+)\*\*", schedule, flags=re.M)
    cfg = compose_config("baseline", ["n_firms=40", "n_talent=400", "population_share=0.01", "quarters=1"])
    cfg.output.progress = False
    model = CorridorModel(cfg)
    assert listed == [name for name, _ in model.phases()]
