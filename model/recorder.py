"""What a run records: tidy per-city tables, the relocation log and spatial snapshots.

The recorder reads model state and never changes it. Column meanings and units are listed in
:data:`CITY_COLUMNS` (and in the README's schema section, generated from them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents import firms as fm
from model import geodata, geography
from model.params import SECTORS, SIZE_CLASSES

if TYPE_CHECKING:
    from model.corridor import CorridorModel

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
    "entries": "start-ups and spin-offs founded in the city this quarter",
    "exits": "firms of the city that exited this quarter",
    "in_migrants": "talent arriving in the region to live in the city (persons)",
    "out_migrants": "talent leaving the region from the city (persons)",
    "commercial_floor_m2": "commercial floor space, m²",
    "residential_floor_m2": "residential floor space, m²",
    "commercial_occupancy": "share of commercial floor space used by modelled firms",
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
    "kind": "'whole firm' or 'division'",
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


class Recorder:
    """Collects the run's tables quarter by quarter.

    Args:
        model: The model to observe.
    """

    def __init__(self, model: CorridorModel) -> None:
        self.model = model
        self._city_rows: list[dict[str, np.ndarray]] = []
        self._class_rows: list[pd.DataFrame] = []
        self._relocations: list[dict[str, np.ndarray]] = []
        self._snapshots: list[pd.DataFrame] = []
        self._pending_moves: dict[str, np.ndarray] = {}

    # ---- events ---------------------------------------------------------------------------
    def log_relocations(
        self,
        firm: np.ndarray,
        kind: np.ndarray,
        from_cell: np.ndarray,
        to_cell: np.ndarray,
        employees: np.ndarray,
        moved_employees: np.ndarray,
    ) -> None:
        """Record the quarter's moves (whole firms and divisions)."""
        m = self.model
        row = {
            "t": np.full(firm.size, m.t),
            "firm": firm.astype(np.int64),
            "kind": kind.astype(np.int8),
            "sector": m.firms.sector[firm].astype(np.int8),
            "employees": employees.astype(float),
            "moved_employees": moved_employees.astype(float),
            "from_city": m.cell_city[from_cell].astype(np.int8),
            "from_cell": from_cell.astype(np.int64),
            "to_city": m.cell_city[to_cell].astype(np.int8),
            "to_cell": to_cell.astype(np.int64),
        }
        self._relocations.append(row)
        self._pending_moves = row

    # ---- per quarter ------------------------------------------------------------------------
    def record_quarter(self) -> None:
        """Append this quarter's per-city row, class table and (if due) a snapshot."""
        m = self.model
        firms, talent = m.firms, m.talent
        scale = m.talent_scale
        city = m.cell_city
        n_c = 4
        alive_f = firms.alive_index()
        f_city = city[firms.cell[alive_f]]
        employees = (firms.workers[alive_f] + firms.workers_div[alive_f]) * scale
        f_size = fm.size_class(employees)
        row: dict[str, np.ndarray] = {
            "t": np.full(n_c, m.t),
            "firms": np.bincount(f_city, minlength=n_c),
        }
        for k, name in enumerate(SIZE_CLASSES):
            row[f"firms_{name}"] = np.bincount(f_city[f_size == k], minlength=n_c)
        for k, name in enumerate(SECTORS):
            row[f"firms_{name}"] = np.bincount(f_city[firms.sector[alive_f] == k], minlength=n_c)

        alive_t = talent.alive_index()
        home_city = city[talent.home[alive_t]]
        row["talent_agents"] = np.bincount(home_city, minlength=n_c)
        row["talent"] = row["talent_agents"] * scale
        employed = alive_t[talent.employer[alive_t] >= 0]
        job_city = city[m.job_cells(employed)]
        row["jobs"] = np.bincount(job_city, minlength=n_c) * scale
        row["unemployed"] = np.bincount(home_city[talent.employer[alive_t] < 0], minlength=n_c) * scale
        row["mean_commercial_rent"] = _weighted_city_mean(m.com_rent / 3.0, m.com_cap, city)
        row["mean_residential_rent"] = _weighted_city_mean(m.res_rent / 3.0, m.res_cap, city)
        row["mean_house_price"] = _weighted_city_mean(m.house_price, m.res_cap, city)
        wages = m.talent_wage(employed) * 4.0
        with np.errstate(invalid="ignore", divide="ignore"):
            row["mean_wage"] = np.bincount(job_city, weights=wages, minlength=n_c) / np.bincount(
                job_city, minlength=n_c
            )
        row["wage_index"] = m.wage * 4.0
        row["output"] = np.bincount(f_city, weights=firms.output[alive_f], minlength=n_c)
        row["rd_spending"] = np.bincount(f_city, weights=firms.rd_spend[alive_f], minlength=n_c)

        moves = self._pending_moves
        if moves and moves["t"].size and moves["t"][0] == m.t:
            whole = moves["kind"] == fm.MOVE_WHOLE
            cross = moves["from_city"] != moves["to_city"]
            row["relocations_out"] = np.bincount(moves["from_city"][whole & cross], minlength=n_c)
            row["relocations_in"] = np.bincount(moves["to_city"][whole & cross], minlength=n_c)
            row["relocations_within"] = np.bincount(moves["from_city"][whole & ~cross], minlength=n_c)
            row["divisions_out"] = np.bincount(moves["from_city"][~whole & cross], minlength=n_c)
            row["divisions_in"] = np.bincount(moves["to_city"][~whole & cross], minlength=n_c)
        else:
            for name in ("relocations_out", "relocations_in", "relocations_within", "divisions_out", "divisions_in"):
                row[name] = np.zeros(n_c, dtype=np.int64)
        employed_home = city[talent.home[employed]]
        crossing = (employed_home == 0) != (job_city == 0)
        row["cross_border_commuters"] = np.bincount(employed_home[crossing], minlength=n_c) * scale
        row["entries"] = m.flows["entries_by_city"]
        row["exits"] = m.flows["exits_by_city"]
        row["in_migrants"] = m.flows["in_migrants_by_city"] * scale
        row["out_migrants"] = m.flows["out_migrants_by_city"] * scale
        row["commercial_floor_m2"] = np.bincount(city, weights=m.com_cap, minlength=n_c)
        row["residential_floor_m2"] = np.bincount(city, weights=m.res_cap, minlength=n_c)
        com_use, res_use = m._floor_use()
        row["commercial_occupancy"] = np.bincount(city, weights=com_use, minlength=n_c) / row["commercial_floor_m2"]
        self._city_rows.append(row)

        self._class_rows.append(
            pd.DataFrame(
                {
                    "t": m.t,
                    "city_i": f_city,
                    "sector_i": firms.sector[alive_f],
                    "size_i": f_size,
                    "employees": employees,
                }
            )
            .groupby(["t", "city_i", "sector_i", "size_i"], as_index=False)
            .agg(firms=("employees", "size"), employees=("employees", "sum"))
        )
        if m.t % m.cfg.output.snapshot_every == 0 or m.t == m.cfg.quarters - 1:
            self._snapshots.append(self._snapshot())

    def _snapshot(self) -> pd.DataFrame:
        m = self.model
        firms, talent = m.firms, m.talent
        alive_f = firms.alive_index()
        alive_t = talent.alive_index()
        employed = alive_t[talent.employer[alive_t] >= 0]
        return pd.DataFrame(
            {
                "t": m.t,
                "cell": np.arange(m.n_cells),
                "commercial_rent": m.com_rent / 3.0,
                "residential_rent": m.res_rent / 3.0,
                "house_price": m.house_price,
                "firms": np.bincount(firms.cell[alive_f], minlength=m.n_cells),
                "jobs": np.bincount(m.job_cells(employed), minlength=m.n_cells) * m.talent_scale,
                "residents": np.bincount(talent.home[alive_t], minlength=m.n_cells) * m.talent_scale,
                "commercial_floor_m2": m.com_cap.copy(),
                "residential_floor_m2": m.res_cap.copy(),
            }
        )

    # ---- tables ---------------------------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        """All tables of the run so far, as tidy data frames."""
        m = self.model
        labels = m.labels
        codes = np.array(geodata.CITY_CODES)
        city = (
            pd.DataFrame({k: np.concatenate([r[k] for r in self._city_rows]) for k in self._city_rows[0]})
            if self._city_rows
            else pd.DataFrame()
        )
        if not city.empty:
            city.insert(0, "city", np.tile(codes, len(self._city_rows)))
            city.insert(0, "quarter", [labels[t] for t in city["t"]])
            city = city[list(CITY_COLUMNS)]
        classes = (
            pd.concat(self._class_rows, ignore_index=True)
            if self._class_rows
            else pd.DataFrame(columns=["t", "city_i", "sector_i", "size_i", "firms", "employees"])
        )
        classes = pd.DataFrame(
            {
                "quarter": [labels[t] for t in classes["t"]],
                "t": classes["t"].astype(int),
                "city": codes[classes["city_i"].astype(int)],
                "sector": np.array(SECTORS)[classes["sector_i"].astype(int)],
                "size_class": np.array(SIZE_CLASSES)[classes["size_i"].astype(int)],
                "firms": classes["firms"].astype(int),
                "employees": classes["employees"].astype(float),
            }
        )
        if self._relocations:
            rel = {k: np.concatenate([r[k] for r in self._relocations]) for k in self._relocations[0]}
        else:
            rel = {
                k: np.zeros(0, dtype=int)
                for k in (
                    "t",
                    "firm",
                    "kind",
                    "sector",
                    "employees",
                    "moved_employees",
                    "from_city",
                    "from_cell",
                    "to_city",
                    "to_cell",
                )
            }
        relocations = pd.DataFrame(
            {
                "quarter": pd.Series([labels[t] for t in rel["t"]], dtype=object),
                "t": rel["t"].astype(int),
                "firm": rel["firm"].astype(np.int64),
                "kind": np.array(fm.MOVE_KIND_NAMES)[rel["kind"].astype(int)],
                "sector": np.array(SECTORS)[rel["sector"].astype(int)],
                "employees": rel["employees"].astype(float),
                "size_class": np.array(SIZE_CLASSES)[fm.size_class(rel["employees"].astype(float))],
                "moved_employees": rel["moved_employees"].astype(float),
                "from_city": codes[rel["from_city"].astype(int)],
                "from_cell": rel["from_cell"].astype(np.int64),
                "to_city": codes[rel["to_city"].astype(int)],
                "to_cell": rel["to_cell"].astype(np.int64),
            }
        )
        snapshots = (
            pd.concat(self._snapshots, ignore_index=True)
            if self._snapshots
            else pd.DataFrame(columns=list(SNAPSHOT_COLUMNS))
        )
        if not snapshots.empty:
            snapshots.insert(0, "quarter", [labels[t] for t in snapshots["t"]])
            snapshots = snapshots[list(SNAPSHOT_COLUMNS)]
        return {
            "city_quarter": city,
            "firms_by_class": classes,
            "relocations": relocations,
            "snapshots": snapshots,
            "cells": cells_table(m),
        }


def _weighted_city_mean(values: np.ndarray, weight: np.ndarray, city: np.ndarray) -> np.ndarray:
    w = np.where(weight > 0, weight, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(city, weights=values * w, minlength=4) / np.bincount(city, weights=w, minlength=4)


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


def cells_table(model: CorridorModel) -> pd.DataFrame:
    """Static attributes of every cell."""
    cm = model.map
    place = np.array([""] + cm.place_names, dtype=object)[cm.place + 1]
    zone = np.array([""] + cm.special_zone_names, dtype=object)[cm.special_zone + 1]
    return pd.DataFrame(
        {
            "cell": np.arange(cm.n_cells),
            "city": np.array(geodata.CITY_CODES)[cm.city],
            "lon": cm.lon,
            "lat": cm.lat,
            "x_km": cm.x_km,
            "y_km": cm.y_km,
            "land_use": np.array(geography.LAND_USE_NAMES)[model.initial_land_use],
            "district": np.array(cm.district_names)[cm.district],
            "place": place,
            "special_zone": zone,
            "centrality": cm.centrality,
            "amenity": model.amenity,
        }
    )
