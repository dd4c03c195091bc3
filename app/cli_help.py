"""``python run.py --help`` (and ``corridor --help``): what the command does, in one screen or two.

Lists the modes, the scenarios with the title and the document line each scenario file cites,
the main levers with their units, allowed ranges and values in the baseline, the run-control
keys, and where the full reference lives (``docs/parameters.md``). Everything is read from the
code and the scenario files, so the help cannot drift from them. Hydra's own help stays
available as ``python run.py --hydra-help``.
"""

from __future__ import annotations

import re
import textwrap

from corridor_abm.app.settings import MODES, Settings, scenario_names
from corridor_abm.model.config import SCENARIO_DIR, calibrated_defaults
from corridor_abm.model.params import parameter_table

MODE_HELP: dict[str, str] = {
    "run": "simulate the scenario (replicates=N for N paired seeds); tables, plots, provenance",
    "compare": "draw runs against the baseline, paired by seed: 'runs=[DIR,DIR,...]'",
    "explore": "the browser explorer: levers, map, series and flows, scenario beside baseline "
    "(open http://127.0.0.1:8765/)",
    "calibrate": "fit the free parameters to the targets (method of simulated moments)",
    "sensitivity": "Morris screening, then Sobol indices",
    "recovery": "parameter recovery: calibrate to runs with known parameters",
    "reach": "does every lever reach its channel (the lever-reach table)",
    "decompose": "a package's effect split by lever group",
    "elasticity": "implied relocation elasticities",
    "backtest": "2018–2024 paths (scenario=historical) against the observed series and their sources",
}
"""One line per mode of :data:`app.settings.MODES`."""

LEVER_KEYS: tuple[str, ...] = (
    "land.sz_supply",
    "land.dg_supply",
    "land.hz_supply",
    "land.hk_supply",
    "land.renewal_share",
    "government.talent_subsidy",
    "government.talent_subsidy_min_skill",
    "government.talent_housing_m2",
    "government.startup_rent_subsidy",
    "government.rd_subsidy_rate",
    "government.services_spending",
    "government.incubator_grant",
    "government.guidance_fund",
    "government.park_floor_m2",
    "government.park_rent_subsidy",
    "border.work_barrier_hk",
    "border.residence_barrier_hk",
    "border.capital_friction",
    "border.knowledge_friction",
    "border.goods_friction",
    "border.firm_relocation_barrier",
    "border.zone_friction_factor",
    "transport.speedup_hk_sz",
    "transport.speedup_sz_dg",
    "transport.speedup_sz_hz",
    "transport.speedup_dg_hz",
    "transport.border_crossing_minutes",
    "economy.nominal_growth",
    "economy.resident_growth",
)
"""The main levers the help lists (the scenarios move these)."""

RUN_KEYS: tuple[str, ...] = (
    "seed",
    "quarters",
    "n_firms",
    "n_talent",
    "population_share",
    "replicates",
    "workers",
    "output.plots",
    "output.format",
    "output.dpi",
    "output.snapshot_every",
    "explore.port",
    "explore.population_share",
)
"""Run size and run control keys the help lists."""

DOCUMENT = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")
"""A seed document's file name, as scenario files cite them."""


def scenario_lines(name: str) -> tuple[str, str]:
    """A scenario file's title (its first comment line) and the first comment line citing a document
    (a seed document; failing that, the ``Sources:`` line of a scenario built on public figures).

    Args:
        name: Scenario file stem.

    Returns:
        (title, document line), without the leading ``#``; empty strings where missing.
    """
    comments = []
    for line in (SCENARIO_DIR / "scenario" / f"{name}.yaml").read_text().splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if text and not text.startswith("@package"):
            comments.append(text)
    title = comments[0] if comments else ""
    cited = next((c for c in comments if DOCUMENT.search(c)), "")
    if not cited:
        cited = next((c for c in comments if c.startswith("Sources:")), "")
    return title, cited


def _rows(keys: tuple[str, ...]) -> list[dict[str, str]]:
    table = {r["key"]: r for r in parameter_table(Settings, calibrated=calibrated_defaults("default", Settings))}
    return [table[k] for k in keys if k in table]


def _param_line(row: dict[str, str], width: int) -> str:
    value = row["baseline"] or row["default"]
    head = f"  {row['key']} = {value}  [{row['unit']}]" + (f" allowed {row['range']}" if row["range"] else "")
    body = textwrap.fill(row["meaning"], width=width, initial_indent="      ", subsequent_indent="      ")
    return f"{head}\n{body}"


def help_text(width: int = 100) -> str:
    """The text ``python run.py --help`` prints."""
    out = [
        "corridor: agent-based model of the Shenzhen–Dongguan–Huizhou–Hong Kong innovation corridor",
        "",
        "Usage:",
        "  python run.py [key=value ...]                 one run (same as: corridor [key=value ...])",
        "  python run.py scenario=s2_land_exhaustion     a scenario (below)",
        "  python run.py -m scenario=baseline,s2_land_exhaustion 'seed=range(0,4)'   a sweep (hydra multirun)",
        "  python run.py mode=explore                    the browser explorer at http://127.0.0.1:8765/",
        '  python -m corridor_abm.reporting.query DIR ... "SQL"       query finished runs (README: Queries across runs)',
        "",
        "Modes (mode=...):",
    ]
    out += [f"  {name:<12} {MODE_HELP.get(name, '')}" for name in MODES]
    out += ["", "Scenarios (scenario=...; scenarios/scenario/<name>.yaml), each with the document it cites:"]
    for name in scenario_names():
        title, cited = scenario_lines(name)
        out.append(f"  {name:<30} {title}")
        if cited:
            out.append(textwrap.fill(cited, width=width, initial_indent="      ", subsequent_indent="      "))
    out += [
        "",
        "Main levers (key = value in the baseline  [unit] allowed range; city values: .hk .sz .dg .hz):",
    ]
    out += [_param_line(r, width) for r in _rows(LEVER_KEYS)]
    out += ["", "Run size and output:"]
    out += [_param_line(r, width) for r in _rows(RUN_KEYS)]
    out += [
        "",
        "Every key with its meaning, unit, range and source: docs/parameters.md",
        "(regenerated by python scripts/write_docs.py). The model: docs/ODD.md; outputs and recipes: README.md.",
        "A wrong key or value stops the run and names what is allowed. Hydra's own help: python run.py --hydra-help",
    ]
    return "\n".join(out) + "\n"
