"""The explorer's page: Mesa's SolaraViz around :class:`explorer.corridor_explorer.CorridorExplorer`.

Start it with ``python run.py mode=explore`` (or ``solara run explorer.page``) and open the
address it prints. In the sidebar: pick a scenario, move the levers, press **RESET** to build the
model with them, then **STEP** (one quarter) or **▶** (run). The page shows the corridor map
(rent, firm density, moves between cities), the city series and the relocation flows, the
scenario beside the baseline run with the same seed.

The starting scenario, seed and sample come from the environment variable
``CORRIDOR_EXPLORER`` (JSON, set by :func:`explorer.serve.serve`), else the defaults.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from corridor_abm.app.settings import scenario_names
from corridor_abm.explorer.corridor_explorer import LEVERS, CorridorExplorer
from corridor_abm.explorer.views import flows_figure, levers_table, map_figure, series_figure

logging.getLogger("MESA").setLevel(logging.WARNING)

START: dict[str, Any] = {"scenario": "baseline", "seed": 20180101, "population_share": 0.025}
"""What the page starts with (updated from ``CORRIDOR_EXPLORER``)."""
START.update(json.loads(os.environ.get("CORRIDOR_EXPLORER", "{}") or "{}"))


def model_params() -> dict[str, Any]:
    """SolaraViz's inputs: the scenario, the population sample and every lever (neutral at start)."""
    params: dict[str, Any] = {
        "scenario": {"type": "Select", "value": START["scenario"], "values": scenario_names(), "label": "Scenario"},
        "population_share": {
            "type": "SliderFloat",
            "value": START["population_share"],
            "min": 0.025,
            "max": 0.2,
            "step": 0.025,
            "label": "Population sample (share)",
        },
        "seed": START["seed"],
        "show_baseline": {"type": "Checkbox", "value": True, "label": "Baseline beside it (same seed)"},
    }
    for lever in LEVERS:
        params[lever.name] = {
            "type": "SliderFloat",
            "value": lever.neutral,
            "min": lever.lo,
            "max": lever.hi,
            "step": lever.step,
            "label": lever.label,
        }
    return params


def _key(model: CorridorExplorer) -> list[Any]:
    """What a view depends on: the model (a reset makes a new one), its steps and Mesa's update counter."""
    return [id(model), model.steps, update_counter.value]


def MapView(model: CorridorExplorer) -> Any:
    """The corridor map: rent, firm density and moves, scenario above baseline."""
    fig = solara.use_memo(lambda: map_figure(model), dependencies=_key(model))
    return solara.FigureMatplotlib(fig, format="png", dependencies=_key(model))


def SeriesView(model: CorridorExplorer) -> Any:
    """The city series, scenario (thick) against baseline (thin)."""
    fig = solara.use_memo(lambda: series_figure(model), dependencies=_key(model))
    return solara.FigureMatplotlib(fig, format="png", dependencies=_key(model))


def FlowsView(model: CorridorExplorer) -> Any:
    """Whole-firm moves between cities so far."""
    fig = solara.use_memo(lambda: flows_figure(model), dependencies=_key(model))
    return solara.FigureMatplotlib(fig, format="png", dependencies=_key(model))


def InfoView(model: CorridorExplorer) -> Any:
    """Where the run stands and which levers differ from the scenario file."""
    cfg = model.config
    changed = levers_table(model)
    rows = "\n".join(f"| `{r.key}` | {r[2]:g} | **{r[3]:g}** |" for r in changed.itertuples()) or "| — | | |"
    text = (
        f"### {model.scenario_name}: quarter {model.quarter}\n\n"
        f"Seed {cfg.seed}; {cfg.n_firms:,} firms and {cfg.n_talent:,} talent agents "
        f"(population sample {cfg.population_share:g}); baseline {'beside it' if model.baseline else 'off'}.\n\n"
        "Levers act on top of the scenario file: **+** adds to its value, **×** multiplies it. Move "
        "them, press **RESET** to rebuild the model with them, then **STEP** or **▶**. Population "
        "sample: share of the corridor's 25,000 firms and 250,000 talent agents.\n\n"
        "| key | scenario file | explorer |\n|---|---|---|\n" + rows
    )
    return solara.Markdown(text)


page = SolaraViz(
    CorridorExplorer(scenario=START["scenario"], population_share=START["population_share"], seed=START["seed"]),
    components=[(MapView, 0), (SeriesView, 0), (FlowsView, 0), (InfoView, 0)],
    model_params=model_params(),
    name="Shenzhen–Dongguan–Huizhou–Hong Kong corridor explorer",
)
"""The page ``solara run`` serves."""
