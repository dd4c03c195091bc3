"""What every output table holds: one row's meaning and each column's meaning and unit.

:class:`model.recorder.Recorder` builds the tables; the README's schema section and the parquet
files' documentation are generated from these dictionaries (``python scripts/write_docs.py``).
"""

from __future__ import annotations

from corridor_abm.agents.government import LEVERS, RECURRENT, REVENUE_SOURCES
from corridor_abm.model.geodata import CITY_CODES
from corridor_abm.model.state import SECTORS

CITY_COLUMNS: dict[str, str] = {
    "quarter": "quarter label, YYYYQn",
    "t": "quarter index, 0 = first simulated quarter",
    "city": "HK, SZ, DG or HZ",
    "firms": "living firms headquartered in the city (agents = firms)",
    "firms_small": "firms with < 100 employees",
    "firms_medium": "firms with 100–999 employees",
    "firms_large": "firms with ≥ 1000 employees",
    **{f"firms_{s}": f"firms of the {s} sector" for s in SECTORS},
    "talent_agents": "living talent agents whose home is in the city",
    "talent": "skilled workers living in the city (persons = agents × talent_scale)",
    "talent_hk_origin": "those of them of Hong Kong origin (persons)",
    "jobs": "skilled workers employed by modelled firms at sites in the city (persons)",
    "unemployed": "skilled residents without a modelled job (persons)",
    "mean_commercial_rent": "floor-weighted mean commercial rent, ¥ per m² per month",
    "mean_residential_rent": "floor-weighted mean residential rent, ¥ per m² per month",
    "mean_house_price": "floor-weighted mean house price, ¥ per m²",
    "mean_wage": "mean annual wage of skilled workers with jobs in the city, ¥ per year",
    "wage_index": "city wage per unit of skill, ¥ per year",
    "output": "output of firms headquartered in the city, ¥ per quarter",
    "rd_spending": "R&D spending of firms headquartered in the city, ¥ per quarter",
    "relocations_out": "whole-firm moves from the city to another city this quarter",
    "relocations_in": "whole-firm moves into the city from another city this quarter",
    "relocations_within": "whole-firm moves between cells of the city this quarter",
    "divisions_out": "divisions set up in another city by firms headquartered here",
    "divisions_in": "divisions set up here by firms headquartered in another city",
    "cross_border_commuters": "skilled workers living on one side of the HK–mainland border and "
    "working on the other (persons, counted at the home city)",
    **{
        f"residents_working_in_{c.lower()}": f"skilled residents of the city employed at sites in {c} (persons; "
        "the four columns are the row of the commuting matrix from this city)"
        for c in CITY_CODES
    },
    "entries": "start-ups and spin-offs founded in the city this quarter",
    "exits": "firms of the city that exited this quarter",
    "in_migrants": "talent arriving in the region to live in the city (persons)",
    "in_migrants_hk_origin": "those of them of Hong Kong origin (persons)",
    "out_migrants": "talent leaving the region from the city (persons)",
    "returned_migrants": "talent back in the region after leaving it while a commute shock cut off their "
    "commute, at its reversal (persons, counted at the new home's city; in in_migrants too)",
    "commercial_floor_m2": "commercial floor space, m²",
    "residential_floor_m2": "residential floor space, m²",
    "commercial_occupancy": "share of commercial floor space used by modelled firms",
    "innovations": "innovations (patent-like events) of firms headquartered in the city this quarter",
    "innovating_firms": "firms of the city with at least one innovation this quarter",
    "startups_hk_founders": "start-ups and spin-offs founded in the city this quarter by talent of Hong Kong origin",
    "vc_deals": "venture deals in firms of the city this quarter (private funds and guidance co-investments)",
    "vc_amount": "venture money invested in firms of the city this quarter, ¥",
    "vc_cross_border_deals": "deals in firms of the city by funds on the other side of the HK–mainland border",
    "vc_cross_border_amount": "money of those cross-border deals, ¥",
    "gov_revenue": "government revenue this quarter, ¥ (see government.parquet)",
    "gov_spending": "government spending this quarter (levers and recurrent budget), ¥",
    "gov_reserves": "government reserves at the end of the quarter, ¥",
}
"""Columns of ``city_quarter.parquet`` and their meaning."""

CLASS_COLUMNS: dict[str, str] = {
    "quarter": "quarter label",
    "t": "quarter index",
    "city": "HK, SZ, DG or HZ",
    "sector": "manufacturing, electronics, software or biotech",
    "size_class": "small (<100), medium (100–999) or large (≥1000 employees)",
    "firms": "living firms",
    "employees": "skilled employees of those firms (persons)",
}
"""Columns of ``firms_by_class.parquet``."""

RELOCATION_COLUMNS: dict[str, str] = {
    "quarter": "quarter label",
    "t": "quarter index",
    "firm": "firm index (stable within the run)",
    "kind": "'whole firm', or 'division' (a second site — plant or R&D centre — opened or moved; see establishments)",
    "sector": "firm's sector",
    "employees": "firm's skilled employees at the time of the move (persons)",
    "size_class": "small, medium or large",
    "moved_employees": "employees moved (all for a whole firm, the division's share otherwise)",
    "from_city": "city of the headquarters before the move",
    "from_cell": "cell of the headquarters before the move",
    "to_city": "city of the new site",
    "to_cell": "cell of the new site",
}
"""Columns of ``relocations.parquet``."""

ESTABLISHMENT_COLUMNS: dict[str, str] = {
    "quarter": "quarter label",
    "t": "quarter index",
    "firm": "firm index (stable within the run)",
    "event": "'open', 'relocate' or 'close'",
    "kind": "'plant' (production) or 'R&D centre'",
    "sector": "firm's sector",
    "employees": "firm's skilled employees after the event (persons)",
    "size_class": "small, medium or large",
    "site_employees": "employees moved to the new site, or back to headquarters on closing (persons)",
    "from_city": "city of headquarters (open), of the old site (relocate, close)",
    "from_cell": "cell of headquarters (open), of the old site (relocate, close)",
    "to_city": "city of the new site (open, relocate), of headquarters (close)",
    "to_cell": "cell of the new site (open, relocate), of headquarters (close)",
}
"""Columns of ``establishments.parquet``."""

ENTRY_COLUMNS: dict[str, str] = {
    "quarter": "quarter label",
    "t": "quarter index",
    "firm": "firm index",
    "kind": "'startup', 'spinoff' or 'university spin-off'",
    "sector": "sector",
    "city": "city of the new firm",
    "cell": "cell of the new firm",
    "founder_origin": "founder's origin: local, mainland, hong_kong or overseas",
    "parent": "firm the spin-off came from (-1 for a start-up)",
    "incubator_grant": "incubator grant received, ¥",
}
"""Columns of ``entries.parquet``."""

DEAL_COLUMNS: dict[str, str] = {
    "quarter": "quarter label",
    "t": "quarter index",
    "fund": "fund id",
    "fund_city": "city of the fund's office",
    "guidance": "True for a government guidance fund's co-investment",
    "firm": "firm index",
    "firm_city": "city of the firm",
    "stage": "seed, A or B",
    "amount": "money invested, ¥",
    "cross_border": "fund and firm on different sides of the HK–mainland border",
}
"""Columns of ``vc_deals.parquet``."""

EXIT_COLUMNS: dict[str, str] = {
    "quarter": "quarter label",
    "t": "quarter index",
    "firm": "firm index",
    "firm_city": "city of the firm",
    "kind": "listing in Hong Kong, listing in Shenzhen, or acquisition",
    "value": "value of the whole firm at exit, ¥",
}
"""Columns of ``vc_exits.parquet``."""

GOVERNMENT_COLUMNS: dict[str, str] = {
    "quarter": "quarter label",
    "t": "quarter index",
    "city": "HK, SZ, DG or HZ",
    "opening_reserves": "reserves at the start of the quarter, ¥",
    **{f"revenue_{k}": f"revenue from {k.replace('_', ' ')}, ¥" for k in REVENUE_SOURCES},
    **{f"spend_{k}": f"spending on the lever {k.replace('_', ' ')}, ¥" for k in LEVERS},
    **{f"spend_{k}": f"recurrent spending on {k.replace('_', ' ')}, ¥ (fiscal rule)" for k in RECURRENT},
    "reserves": "reserves at the end of the quarter, ¥ (negative: debt); opening reserves + every "
    "revenue column − every spend column",
    "trend_revenue": "trend revenue per quarter the budget is planned on, ¥",
    "credit_limit": "how far reserves may fall below zero this quarter, ¥",
    "shortfall": "spending asked for this quarter that the borrowing limit refused, ¥ (> 0: the "
    "budget constraint binds)",
    "land_multiplier": "land-supply multiplier in force (adaptive land rule)",
    "subsidy_factor": "share of subsidies paid (adaptive budget rule)",
    "talent_subsidy_per_quarter": "talent subsidy paid per eligible talent this quarter, ¥",
    "hospital_beds_per_10k": "hospital beds per 10k residents",
    "students_per_teacher": "secondary students per teacher",
}
"""Columns of ``government.parquet``."""

FUND_COLUMNS: dict[str, str] = {
    "fund": "fund id",
    "manager": "manager id (kept across a manager's funds; negative for guidance funds)",
    "city": "city of the office",
    "guidance": "True for a government guidance fund",
    "vintage": "quarter index the fund was raised",
    "committed": "capital committed, ¥",
    "invested": "money invested in firms, ¥",
    "proceeds": "money returned by exits and sales, ¥",
    "fees": "management fees paid, ¥",
    "distributions": "money paid out to the fund's investors, ¥",
    "cash": "cash at the end of the run, ¥",
    "live_stakes_cost": "cost of stakes still held at the end of the run, ¥",
    "active": "still investing or holding at the end of the run",
}
"""Columns of ``vc_funds.parquet`` (one row per fund, at the end of the run)."""

SNAPSHOT_COLUMNS: dict[str, str] = {
    "quarter": "quarter label",
    "t": "quarter index",
    "cell": "cell index (see cells.parquet)",
    "commercial_rent": "¥ per m² per month",
    "residential_rent": "¥ per m² per month",
    "house_price": "¥ per m²",
    "firms": "firms headquartered in the cell",
    "jobs": "skilled workers employed in the cell (persons)",
    "residents": "skilled workers living in the cell (persons)",
    "commercial_floor_m2": "commercial floor space, m²",
    "residential_floor_m2": "residential floor space, m²",
}
"""Columns of ``snapshots.parquet``."""


CELL_COLUMNS: dict[str, str] = {
    "cell": "cell index",
    "city": "HK, SZ, DG or HZ",
    "lon": "longitude of the cell centre, °E",
    "lat": "latitude of the cell centre, °N",
    "x_km": "km east of the map's south-west corner",
    "y_km": "km north of the map's south-west corner",
    "land_use": "built, reserve or protected (at the start of the run)",
    "district": "nearest district centre of the city",
    "place": "named place in the cell, if any",
    "special_zone": "HK–SZ cooperation zone (Qianhai, Hetao), if any",
    "centrality": "urban intensity within the city, 0–1",
    "amenity": "amenity index, 0–1.5",
}
"""Columns of ``cells.parquet``."""


TIMELINE_COLUMNS: dict[str, str] = {
    "quarter": "quarter label from which the value holds",
    "t": "quarter index (0 = 2018Q1)",
    "key": "the parameter (dotted key) whose value changes",
    "value": "its value from this quarter on",
}
"""Columns of ``timeline.parquet``."""


TABLE_SCHEMAS: dict[str, tuple[str, dict[str, str]]] = {
    "city_quarter": ("one row per city per quarter", CITY_COLUMNS),
    "firms_by_class": ("one row per quarter, city, sector and size class with firms", CLASS_COLUMNS),
    "relocations": ("the relocation event log, one row per move", RELOCATION_COLUMNS),
    "establishments": (
        "one row per event of a second site (a production plant or an R&D centre): opened, moved or closed",
        ESTABLISHMENT_COLUMNS,
    ),
    "snapshots": ("one row per cell every `output.snapshot_every` quarters (and the last quarter)", SNAPSHOT_COLUMNS),
    "cells": ("one row per model cell: static attributes", CELL_COLUMNS),
    "entries": ("one row per new firm (start-up or spin-off)", ENTRY_COLUMNS),
    "vc_deals": ("one row per venture deal", DEAL_COLUMNS),
    "vc_exits": ("one row per exit of a portfolio firm", EXIT_COLUMNS),
    "government": ("one row per city government per quarter: revenue, spending by lever, reserves", GOVERNMENT_COLUMNS),
    "vc_funds": ("one row per fund at the end of the run", FUND_COLUMNS),
    "timeline": (
        "one row per point of a parameter path (scenario paths and a package's start; empty without any)",
        TIMELINE_COLUMNS,
    ),
}
"""Every output table: (what a row is, columns and meanings)."""


# --------------------------------------------------------------------------------------------
# types and units: every file of a table has the same schema (model.runio.arrow_schema)

STRING, INT, FLOAT, BOOL = "string", "int64", "float64", "bool"
"""Column types: arrow ``string`` (UTF-8), ``int64``, ``float64`` (double) and ``bool``."""

_QUARTER = {"quarter": (STRING, "YYYYQn"), "t": (INT, "quarter index")}
_CITY = (STRING, "city code")
_PERSONS = (FLOAT, "persons")
_YUAN_Q = (FLOAT, "¥/quarter")
_FIRMS = (INT, "firms")
_LABEL = (STRING, "-")

COLUMN_TYPES: dict[str, dict[str, tuple[str, str]]] = {
    "city_quarter": {
        **_QUARTER,
        "city": _CITY,
        **{c: _FIRMS for c in CITY_COLUMNS if c.startswith("firms")},
        "talent_agents": (INT, "agents"),
        "talent": _PERSONS,
        "talent_hk_origin": _PERSONS,
        "jobs": _PERSONS,
        "unemployed": _PERSONS,
        "mean_commercial_rent": (FLOAT, "¥/m²/month"),
        "mean_residential_rent": (FLOAT, "¥/m²/month"),
        "mean_house_price": (FLOAT, "¥/m²"),
        "mean_wage": (FLOAT, "¥/year"),
        "wage_index": (FLOAT, "¥/year per unit of skill"),
        "output": _YUAN_Q,
        "rd_spending": _YUAN_Q,
        "relocations_out": (INT, "firms/quarter"),
        "relocations_in": (INT, "firms/quarter"),
        "relocations_within": (INT, "firms/quarter"),
        "divisions_out": (INT, "divisions/quarter"),
        "divisions_in": (INT, "divisions/quarter"),
        "cross_border_commuters": _PERSONS,
        **{f"residents_working_in_{c.lower()}": _PERSONS for c in CITY_CODES},
        "entries": (FLOAT, "firms/quarter"),
        "exits": (FLOAT, "firms/quarter"),
        "in_migrants": (FLOAT, "persons/quarter"),
        "in_migrants_hk_origin": (FLOAT, "persons/quarter"),
        "out_migrants": (FLOAT, "persons/quarter"),
        "returned_migrants": (FLOAT, "persons/quarter"),
        "commercial_floor_m2": (FLOAT, "m²"),
        "residential_floor_m2": (FLOAT, "m²"),
        "commercial_occupancy": (FLOAT, "share (0–1)"),
        "innovations": (FLOAT, "innovations/quarter"),
        "innovating_firms": _FIRMS,
        "startups_hk_founders": (INT, "firms/quarter"),
        "vc_deals": (INT, "deals/quarter"),
        "vc_amount": _YUAN_Q,
        "vc_cross_border_deals": (INT, "deals/quarter"),
        "vc_cross_border_amount": _YUAN_Q,
        "gov_revenue": _YUAN_Q,
        "gov_spending": _YUAN_Q,
        "gov_reserves": (FLOAT, "¥"),
    },
    "firms_by_class": {
        **_QUARTER,
        "city": _CITY,
        "sector": _LABEL,
        "size_class": _LABEL,
        "firms": _FIRMS,
        "employees": _PERSONS,
    },
    "relocations": {
        **_QUARTER,
        "firm": (INT, "firm index"),
        "kind": _LABEL,
        "sector": _LABEL,
        "employees": _PERSONS,
        "size_class": _LABEL,
        "moved_employees": _PERSONS,
        "from_city": _CITY,
        "from_cell": (INT, "cell index"),
        "to_city": _CITY,
        "to_cell": (INT, "cell index"),
    },
    "establishments": {
        **_QUARTER,
        "firm": (INT, "firm index"),
        "event": _LABEL,
        "kind": _LABEL,
        "sector": _LABEL,
        "employees": _PERSONS,
        "size_class": _LABEL,
        "site_employees": _PERSONS,
        "from_city": _CITY,
        "from_cell": (INT, "cell index"),
        "to_city": _CITY,
        "to_cell": (INT, "cell index"),
    },
    "snapshots": {
        **_QUARTER,
        "cell": (INT, "cell index"),
        "commercial_rent": (FLOAT, "¥/m²/month"),
        "residential_rent": (FLOAT, "¥/m²/month"),
        "house_price": (FLOAT, "¥/m²"),
        "firms": _FIRMS,
        "jobs": _PERSONS,
        "residents": _PERSONS,
        "commercial_floor_m2": (FLOAT, "m²"),
        "residential_floor_m2": (FLOAT, "m²"),
    },
    "cells": {
        "cell": (INT, "cell index"),
        "city": _CITY,
        "lon": (FLOAT, "°E"),
        "lat": (FLOAT, "°N"),
        "x_km": (FLOAT, "km"),
        "y_km": (FLOAT, "km"),
        "land_use": _LABEL,
        "district": _LABEL,
        "place": _LABEL,
        "special_zone": _LABEL,
        "centrality": (FLOAT, "index (0–1)"),
        "amenity": (FLOAT, "index (0–1.5)"),
    },
    "entries": {
        **_QUARTER,
        "firm": (INT, "firm index"),
        "kind": _LABEL,
        "sector": _LABEL,
        "city": _CITY,
        "cell": (INT, "cell index"),
        "founder_origin": _LABEL,
        "parent": (INT, "firm index"),
        "incubator_grant": (FLOAT, "¥"),
    },
    "vc_deals": {
        **_QUARTER,
        "fund": (INT, "fund id"),
        "fund_city": _CITY,
        "guidance": (BOOL, "-"),
        "firm": (INT, "firm index"),
        "firm_city": _CITY,
        "stage": _LABEL,
        "amount": (FLOAT, "¥"),
        "cross_border": (BOOL, "-"),
    },
    "vc_exits": {**_QUARTER, "firm": (INT, "firm index"), "firm_city": _CITY, "kind": _LABEL, "value": (FLOAT, "¥")},
    "government": {
        **_QUARTER,
        "city": _CITY,
        "opening_reserves": (FLOAT, "¥"),
        **{c: _YUAN_Q for c in GOVERNMENT_COLUMNS if c.startswith(("revenue_", "spend_"))},
        "reserves": (FLOAT, "¥"),
        "trend_revenue": _YUAN_Q,
        "credit_limit": (FLOAT, "¥"),
        "shortfall": _YUAN_Q,
        "land_multiplier": (FLOAT, "× baseline"),
        "subsidy_factor": (FLOAT, "share (0–1)"),
        "talent_subsidy_per_quarter": (FLOAT, "¥/quarter per eligible talent"),
        "hospital_beds_per_10k": (FLOAT, "beds per 10,000 residents"),
        "students_per_teacher": (FLOAT, "students per teacher"),
    },
    "vc_funds": {
        "fund": (INT, "fund id"),
        "manager": (INT, "manager id"),
        "city": _CITY,
        "guidance": (BOOL, "-"),
        "vintage": (INT, "quarter index"),
        **{
            c: (FLOAT, "¥")
            for c in FUND_COLUMNS
            if c not in ("fund", "manager", "city", "guidance", "vintage", "active")
        },
        "active": (BOOL, "-"),
    },
    "timeline": {**_QUARTER, "key": _LABEL, "value": (FLOAT, "the key's unit")},
}
"""Every table's columns: (type, unit), in the column order of :data:`TABLE_SCHEMAS`. The files
carry them (and the meaning) in their parquet field metadata; "-" marks labels and flags."""
