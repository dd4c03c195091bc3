"""What a run records: tidy per-city tables, event logs and spatial snapshots.

The recorder reads the state and never changes it: processes write what happened into
``state.flows`` and ``state.events`` (:mod:`model.state`), and the record phase copies them out
with the quarter's aggregates. Column meanings and units are in :mod:`model.tables` (and in the
README's schema section, generated from them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from corridor_abm.agents import firms as fm
from corridor_abm.agents import talent as tm
from corridor_abm.agents.vc import EXIT_NAMES, STAGE_NAMES
from corridor_abm.model import border, geodata, geography, views
from corridor_abm.model.state import N_CITIES, SECTORS, SIZE_CLASSES, State
from corridor_abm.model.tables import (
    CITY_COLUMNS,
    DEAL_COLUMNS,
    ENTRY_COLUMNS,
    ESTABLISHMENT_COLUMNS,
    EXIT_COLUMNS,
    FUND_COLUMNS,
    GOVERNMENT_COLUMNS,
    SNAPSHOT_COLUMNS,
    TIMELINE_COLUMNS,
)


class Recorder:
    """Collects the run's tables quarter by quarter.

    Args:
        labels: Quarter labels ('YYYYQn') of the run, by quarter index.
        snapshot_every: A spatial snapshot every this many quarters (and in the last quarter).
    """

    def __init__(self, labels: list[str], snapshot_every: int) -> None:
        self.labels = labels
        self.snapshot_every = int(snapshot_every)
        self._city_rows: list[dict[str, np.ndarray]] = []
        self._class_rows: list[pd.DataFrame] = []
        self._relocations: list[dict[str, np.ndarray]] = []
        self._establishments: list[dict[str, np.ndarray]] = []
        self._snapshots: list[pd.DataFrame] = []
        self._entries: list[dict[str, np.ndarray]] = []
        self._deals: list[tuple] = []
        self._exits: list[dict[str, np.ndarray]] = []
        self._government: list[dict[str, float]] = []
        self.timeline: list[tuple[int, str, float]] = []
        """(quarter, key, value) of every point of the run's parameter paths (set by the model)."""

    def _record_government(self, s: State) -> None:
        for gov in s.governments:
            row: dict[str, float] = {"t": s.t, "city_i": gov.city, "opening_reserves": gov.opening_reserves}
            row.update({f"revenue_{k}": v for k, v in gov.revenue.items()})
            row.update({f"spend_{k}": v for k, v in gov.spending.items()})
            row.update(
                {
                    "reserves": gov.reserves,
                    "trend_revenue": gov.trend_revenue,
                    "credit_limit": gov.credit_limit,
                    "shortfall": gov.shortfall,
                    "land_multiplier": gov.land_multiplier,
                    "subsidy_factor": gov.subsidy_factor,
                    "talent_subsidy_per_quarter": float(s.cities.talent_subsidy[gov.city]),
                    "hospital_beds_per_10k": gov.hospital_beds,
                    "students_per_teacher": gov.students_per_teacher,
                }
            )
            self._government.append(row)

    # ---- per quarter ------------------------------------------------------------------------
    def record_quarter(self, s: State) -> None:
        """Append this quarter's per-city row, class table, events and (if due) a snapshot."""
        firms, talent, cells = s.firms, s.talent, s.cells
        scale = s.talent_scale
        city = cells.city
        n_c = N_CITIES
        alive_f = firms.alive_index()
        f_city = city[firms.cell[alive_f]]
        employees = (firms.workers[alive_f] + firms.workers_div[alive_f]) * scale
        f_size = fm.size_class(employees)
        row: dict[str, np.ndarray] = {
            "t": np.full(n_c, s.t),
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
        row["talent_hk_origin"] = np.bincount(home_city[talent.origin[alive_t] == tm.ORIGIN_HK], minlength=n_c) * scale
        employed = alive_t[talent.employer[alive_t] >= 0]
        job_city = city[views.job_cells(s, employed)]
        row["jobs"] = np.bincount(job_city, minlength=n_c) * scale
        row["unemployed"] = np.bincount(home_city[talent.employer[alive_t] < 0], minlength=n_c) * scale
        row["mean_commercial_rent"] = views.weighted_city_mean(cells.com_rent / 3.0, cells.com_cap, city)
        row["mean_residential_rent"] = views.weighted_city_mean(cells.res_rent / 3.0, cells.res_cap, city)
        row["mean_house_price"] = views.weighted_city_mean(cells.house_price, cells.res_cap, city)
        wages = s.cities.wage[job_city] * talent.skill[employed] * 4.0  # views.talent_wage, job cells known
        with np.errstate(invalid="ignore", divide="ignore"):
            row["mean_wage"] = np.bincount(job_city, weights=wages, minlength=n_c) / np.bincount(
                job_city, minlength=n_c
            )
        row["wage_index"] = s.cities.wage * 4.0
        row["output"] = np.bincount(f_city, weights=firms.output[alive_f], minlength=n_c)
        row["rd_spending"] = np.bincount(f_city, weights=firms.rd_spend[alive_f], minlength=n_c)

        self._relocations.extend(s.events.relocations)
        self._establishments.extend(s.events.establishments)
        moves = s.events.relocations[-1] if s.events.relocations else None
        if moves is not None and moves["t"].size:
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
        # the commuting matrix, home city by job city (agents); the border's commuters are its
        # cells across the HK–mainland border
        employed_home = city[talent.home[employed]]
        commuting = np.bincount(employed_home * n_c + job_city, minlength=n_c * n_c).reshape(n_c, n_c)
        across = border.crosses(np.arange(n_c)[:, None], np.arange(n_c)[None, :])
        row["cross_border_commuters"] = np.where(across, commuting, 0).sum(axis=1) * scale
        for j, code in enumerate(geodata.CITY_CODES):
            row[f"residents_working_in_{code.lower()}"] = commuting[:, j] * scale
        row["entries"] = s.flows.entries
        row["exits"] = s.flows.exits
        row["in_migrants"] = s.flows.in_migrants * scale
        row["in_migrants_hk_origin"] = s.flows.in_migrants_hk * scale
        row["out_migrants"] = s.flows.out_migrants * scale
        row["returned_migrants"] = s.flows.returned * scale
        row["commercial_floor_m2"] = np.bincount(city, weights=cells.com_cap, minlength=n_c)
        row["residential_floor_m2"] = np.bincount(city, weights=cells.res_cap, minlength=n_c)
        com_use = views.commercial_use(s)
        row["commercial_occupancy"] = np.bincount(city, weights=com_use, minlength=n_c) / row["commercial_floor_m2"]
        row["innovations"] = np.bincount(f_city, weights=firms.innovations[alive_f], minlength=n_c)
        row["innovating_firms"] = np.bincount(f_city[firms.innovations[alive_f] > 0], minlength=n_c)
        born_now = alive_f[firms.born[alive_f] == s.t]
        from_hk = born_now[firms.founder_origin[born_now] == tm.ORIGIN_HK]
        row["startups_hk_founders"] = np.bincount(city[firms.cell[from_hk]], minlength=n_c)
        self._entries.extend(s.events.entries)
        self._exits.extend(s.events.exits)
        deals = s.events.deals
        self._deals.extend(deals)
        d_city = np.array([d[5] for d in deals], dtype=np.int64)
        d_amount = np.array([d[7] for d in deals], dtype=float)
        d_cross = np.array([d[8] for d in deals], dtype=bool)
        row["vc_deals"] = np.bincount(d_city, minlength=n_c)
        row["vc_amount"] = np.bincount(d_city, weights=d_amount, minlength=n_c)
        row["vc_cross_border_deals"] = np.bincount(d_city[d_cross], minlength=n_c)
        row["vc_cross_border_amount"] = np.bincount(d_city[d_cross], weights=d_amount[d_cross], minlength=n_c)
        self._record_government(s)
        govs = s.governments
        row["gov_revenue"] = np.array([g.total_revenue for g in govs])
        row["gov_spending"] = np.array([g.total_spending for g in govs])
        row["gov_reserves"] = np.array([g.reserves for g in govs])
        self._city_rows.append(row)

        self._class_rows.append(
            pd.DataFrame(
                {
                    "t": s.t,
                    "city_i": f_city,
                    "sector_i": firms.sector[alive_f],
                    "size_i": f_size,
                    "employees": employees,
                }
            )
            .groupby(["t", "city_i", "sector_i", "size_i"], as_index=False)
            .agg(firms=("employees", "size"), employees=("employees", "sum"))
        )
        if s.t % self.snapshot_every == 0 or s.t == len(self.labels) - 1:
            self._snapshots.append(self._snapshot(s))

    @staticmethod
    def _snapshot(s: State) -> pd.DataFrame:
        firms, talent, cells = s.firms, s.talent, s.cells
        alive_f = firms.alive_index()
        alive_t = talent.alive_index()
        employed = alive_t[talent.employer[alive_t] >= 0]
        return pd.DataFrame(
            {
                "t": s.t,
                "cell": np.arange(s.n_cells),
                "commercial_rent": cells.com_rent / 3.0,
                "residential_rent": cells.res_rent / 3.0,
                "house_price": cells.house_price,
                "firms": np.bincount(firms.cell[alive_f], minlength=s.n_cells),
                "jobs": np.bincount(views.job_cells(s, employed), minlength=s.n_cells) * s.talent_scale,
                "residents": np.bincount(talent.home[alive_t], minlength=s.n_cells) * s.talent_scale,
                "commercial_floor_m2": cells.com_cap.copy(),
                "residential_floor_m2": cells.res_cap.copy(),
            }
        )

    # ---- tables ---------------------------------------------------------------------------
    def tables(self, s: State) -> dict[str, pd.DataFrame]:
        """All tables of the run so far, as tidy data frames."""
        labels = self.labels
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
            "establishments": self._establishments_table(),
            "snapshots": snapshots,
            "cells": cells_table(s),
            "entries": self._entries_table(),
            "vc_deals": self._deals_table(),
            "vc_exits": self._exits_table(),
            "government": self._government_table(),
            "vc_funds": funds_table(s),
            "timeline": self._timeline_table(),
        }

    def _timeline_table(self) -> pd.DataFrame:
        from corridor_abm.model.timeline import quarter_label

        rows = [{"quarter": quarter_label(t), "t": t, "key": key, "value": value} for t, key, value in self.timeline]
        return pd.DataFrame(rows, columns=list(TIMELINE_COLUMNS)).astype({"t": "int64", "value": "float64"})

    def _label(self, t: np.ndarray) -> pd.Series:
        labels = self.labels
        return pd.Series([labels[int(x)] for x in t], dtype=object)

    def _establishments_table(self) -> pd.DataFrame:
        from corridor_abm.agents.firms import KIND_NAMES
        from corridor_abm.model.processes.location import EVENT_NAMES

        keys = (
            "t",
            "firm",
            "event",
            "kind",
            "sector",
            "employees",
            "site_employees",
            "from_city",
            "from_cell",
            "to_city",
            "to_cell",
        )
        e = {
            k: np.concatenate([r[k] for r in self._establishments]) if self._establishments else np.zeros(0, dtype=int)
            for k in keys
        }
        codes = np.array(geodata.CITY_CODES)
        return pd.DataFrame(
            {
                "quarter": self._label(e["t"]),
                "t": e["t"].astype(int),
                "firm": e["firm"].astype(np.int64),
                "event": np.array(EVENT_NAMES)[e["event"].astype(int)],
                "kind": np.array(KIND_NAMES)[e["kind"].astype(int)],
                "sector": np.array(SECTORS)[e["sector"].astype(int)],
                "employees": e["employees"].astype(float),
                "size_class": np.array(SIZE_CLASSES)[fm.size_class(e["employees"].astype(float))],
                "site_employees": e["site_employees"].astype(float),
                "from_city": codes[e["from_city"].astype(int)],
                "from_cell": e["from_cell"].astype(np.int64),
                "to_city": codes[e["to_city"].astype(int)],
                "to_cell": e["to_cell"].astype(np.int64),
            }
        )[list(ESTABLISHMENT_COLUMNS)]

    def _entries_table(self) -> pd.DataFrame:
        keys = ("t", "firm", "kind", "sector", "city", "cell", "founder_origin", "parent", "incubator_grant")
        e = {
            k: np.concatenate([r[k] for r in self._entries]) if self._entries else np.zeros(0, dtype=int) for k in keys
        }
        codes = np.array(geodata.CITY_CODES)
        origin_names = np.array(tm.ORIGIN_NAMES)
        return pd.DataFrame(
            {
                "quarter": self._label(e["t"]),
                "t": e["t"].astype(int),
                "firm": e["firm"].astype(np.int64),
                "kind": np.array(["startup", "spinoff", "university spin-off"])[e["kind"].astype(int)],
                "sector": np.array(SECTORS)[e["sector"].astype(int)],
                "city": codes[e["city"].astype(int)],
                "cell": e["cell"].astype(np.int64),
                "founder_origin": origin_names[e["founder_origin"].astype(int)],
                "parent": e["parent"].astype(np.int64),
                "incubator_grant": e["incubator_grant"].astype(float),
            }
        )[list(ENTRY_COLUMNS)]

    def _deals_table(self) -> pd.DataFrame:
        d = self._deals
        col = list(zip(*d)) if d else [[] for _ in range(9)]
        codes = np.array(geodata.CITY_CODES)
        return pd.DataFrame(
            {
                "quarter": self._label(np.array(col[0], dtype=int)),
                "t": np.array(col[0], dtype=int),
                "fund": np.array(col[1], dtype=np.int64),
                "fund_city": codes[np.array(col[2], dtype=int)],
                "guidance": np.array(col[3], dtype=bool),
                "firm": np.array(col[4], dtype=np.int64),
                "firm_city": codes[np.array(col[5], dtype=int)],
                "stage": np.array(STAGE_NAMES)[np.array(col[6], dtype=int)],
                "amount": np.array(col[7], dtype=float),
                "cross_border": np.array(col[8], dtype=bool),
            }
        )[list(DEAL_COLUMNS)]

    def _exits_table(self) -> pd.DataFrame:
        keys = ("t", "firm", "firm_city", "kind", "value")
        e = {k: np.concatenate([r[k] for r in self._exits]) if self._exits else np.zeros(0, dtype=int) for k in keys}
        return pd.DataFrame(
            {
                "quarter": self._label(e["t"]),
                "t": e["t"].astype(int),
                "firm": e["firm"].astype(np.int64),
                "firm_city": np.array(geodata.CITY_CODES)[e["firm_city"].astype(int)],
                "kind": np.array(EXIT_NAMES)[e["kind"].astype(int)],
                "value": e["value"].astype(float),
            }
        )[list(EXIT_COLUMNS)]

    def _government_table(self) -> pd.DataFrame:
        frame = pd.DataFrame(self._government)
        if frame.empty:
            return pd.DataFrame(columns=list(GOVERNMENT_COLUMNS))
        frame.insert(0, "city", np.array(geodata.CITY_CODES)[frame.pop("city_i").astype(int)])
        frame.insert(0, "quarter", self._label(frame["t"].to_numpy()))
        return frame[list(GOVERNMENT_COLUMNS)]


def funds_table(s: State) -> pd.DataFrame:
    """One row per fund (private and guidance) at the end of the run."""
    book = s.capital.stakes
    live = book.alive_index()
    live_cost = np.bincount(book.fund[live], weights=book.cost[live]) if live.size else np.zeros(0)
    rows = []
    for f in s.capital.funds + s.capital.guidance_funds:
        rows.append(
            {
                "fund": f.unique_id,
                "manager": f.manager,
                "city": geodata.CITY_CODES[f.home_city],
                "guidance": f.is_guidance,
                "vintage": f.vintage,
                "committed": f.committed,
                "invested": f.invested,
                "proceeds": f.proceeds,
                "fees": f.fees,
                "distributions": f.distributions,
                "cash": f.cash,
                "live_stakes_cost": float(live_cost[f.unique_id]) if f.unique_id < live_cost.size else 0.0,
                "active": f.active,
            }
        )
    return pd.DataFrame(rows, columns=list(FUND_COLUMNS))


def cells_table(s: State) -> pd.DataFrame:
    """Attributes of every cell (land use of 2018, amenity at the end of the run)."""
    cm = s.map
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
            "land_use": np.array(geography.LAND_USE_NAMES)[cm.land_use],
            "district": np.array(cm.district_names)[cm.district],
            "place": place,
            "special_zone": zone,
            "centrality": cm.centrality,
            "amenity": s.cells.amenity,
        }
    )
