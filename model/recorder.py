"""What a run records: tidy per-city tables, the relocation log and spatial snapshots.

The recorder reads model state and never changes it. Column meanings and units are listed in
:data:`CITY_COLUMNS` (and in the README's schema section, generated from them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents import firms as fm
from agents.government import LEVERS, REVENUE_SOURCES
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
    "innovations": "innovations (patent-like events) of firms headquartered in the city this quarter",
    "innovating_firms": "firms of the city with at least one innovation this quarter",
    "startups_hk_founders": "start-ups and spin-offs founded in the city this quarter by talent of Hong Kong origin",
    "vc_deals": "venture deals in firms of the city this quarter (private funds and guidance co-investments)",
    "vc_amount": "venture money invested in firms of the city this quarter, ¥",
    "vc_cross_border_deals": "deals in firms of the city by funds on the other side of the HK–mainland border",
    "vc_cross_border_amount": "money of those cross-border deals, ¥",
    "gov_revenue": "government revenue this quarter, ¥ (see government.parquet)",
    "gov_spending": "government spending on the levers this quarter, ¥",
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

ENTRY_COLUMNS: dict[str, str] = {
    "quarter": "quarter label",
    "t": "quarter index",
    "firm": "firm index",
    "kind": "'startup' or 'spinoff'",
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
    **{f"spend_{k}": f"spending on {k.replace('_', ' ')}, ¥" for k in LEVERS},
    "reserves": "reserves at the end of the quarter, ¥",
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
        self._entries: list[dict[str, np.ndarray]] = []
        self._deals: list[tuple] = []
        self._deals_quarter: list[tuple] = []
        self._exits: list[dict[str, np.ndarray]] = []
        self._government: list[dict[str, float]] = []

    # ---- queries used by adaptive rules ----------------------------------------------------
    def recent_firm_losses(self, city: int, quarters: int) -> int:
        """Firms ``city`` lost in the last ``quarters`` quarters: whole firms that moved to
        another city plus firms that exited."""
        rows = self._city_rows[-quarters:]
        return int(sum(row["relocations_out"][city] + row["exits"][city] for row in rows))

    def last_government_revenue(self, city: int) -> float:
        """Revenue of a city's government in the last recorded quarter (0 before the first)."""
        rows = [r for r in self._government[-4:] if r["city_i"] == city]
        return (
            float(
                sum(
                    r[f"revenue_{k}"]
                    for k in ("profit_tax", "wage_tax", "land_sales", "incubator_repayments")
                    for r in rows[-1:]
                )
            )
            if rows
            else 0.0
        )

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

    def log_entries(self, new: np.ndarray) -> None:
        """Record new firms (start-ups and spin-offs) with their founders' origin."""
        m = self.model
        f = m.firms
        self._entries.append(
            {
                "t": np.full(new.size, m.t),
                "firm": new.astype(np.int64),
                "kind": (f.origin[new] == fm.ORIGIN_SPINOFF).astype(np.int8),
                "sector": f.sector[new].astype(np.int8),
                "city": m.cell_city[f.cell[new]].astype(np.int8),
                "cell": f.cell[new].astype(np.int64),
                "founder_origin": f.founder_origin[new].astype(np.int8),
                "parent": f.parent[new].astype(np.int64),
                "incubator_grant": f.grant_outstanding[new].astype(float),
            }
        )

    def log_vc_deal(self, fund, firm: int, stage: int, amount: float) -> None:
        """Record one venture deal."""
        m = self.model
        firm_city = int(m.cell_city[m.firms.cell[firm]])
        self._deals_quarter.append(
            (
                m.t,
                fund.unique_id,
                fund.home_city,
                fund.is_guidance,
                firm,
                firm_city,
                stage,
                amount,
                (firm_city == 0) != (fund.home_city == 0),
            )
        )

    def log_vc_exits(self, firm: np.ndarray, kind: np.ndarray, value: np.ndarray, cell: np.ndarray) -> None:
        """Record exits of portfolio firms (listings and acquisitions)."""
        m = self.model
        self._exits.append(
            {
                "t": np.full(firm.size, m.t),
                "firm": firm.astype(np.int64),
                "firm_city": m.cell_city[cell].astype(np.int8),
                "kind": kind.astype(np.int8),
                "value": value.astype(float),
            }
        )

    def _record_government(self) -> None:
        m = self.model
        for gov in m.governments:
            row: dict[str, float] = {"t": m.t, "city_i": gov.city, "opening_reserves": gov.opening_reserves}
            row.update({f"revenue_{k}": v for k, v in gov.revenue.items()})
            row.update({f"spend_{k}": v for k, v in gov.spending.items()})
            row.update(
                {
                    "reserves": gov.reserves,
                    "land_multiplier": gov.land_multiplier,
                    "subsidy_factor": gov.subsidy_factor,
                    "talent_subsidy_per_quarter": float(m.talent_subsidy_now[gov.city]),
                    "hospital_beds_per_10k": gov.hospital_beds,
                    "students_per_teacher": gov.students_per_teacher,
                }
            )
            self._government.append(row)

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
        row["innovations"] = np.bincount(f_city, weights=firms.innovations[alive_f], minlength=n_c)
        row["innovating_firms"] = np.bincount(f_city[firms.innovations[alive_f] > 0], minlength=n_c)
        born_now = alive_f[firms.born[alive_f] == m.t]
        from_hk = born_now[firms.founder_origin[born_now] == 2]
        row["startups_hk_founders"] = np.bincount(city[firms.cell[from_hk]], minlength=n_c)
        deals = self._deals_quarter
        self._deals.extend(deals)
        self._deals_quarter = []
        d_city = np.array([d[5] for d in deals], dtype=np.int64)
        d_amount = np.array([d[7] for d in deals], dtype=float)
        d_cross = np.array([d[8] for d in deals], dtype=bool)
        row["vc_deals"] = np.bincount(d_city, minlength=n_c)
        row["vc_amount"] = np.bincount(d_city, weights=d_amount, minlength=n_c)
        row["vc_cross_border_deals"] = np.bincount(d_city[d_cross], minlength=n_c)
        row["vc_cross_border_amount"] = np.bincount(d_city[d_cross], weights=d_amount[d_cross], minlength=n_c)
        self._record_government()
        govs = m.governments
        row["gov_revenue"] = np.array([g.total_revenue for g in govs])
        row["gov_spending"] = np.array([g.total_spending for g in govs])
        row["gov_reserves"] = np.array([g.reserves for g in govs])
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
            "entries": self._entries_table(),
            "vc_deals": self._deals_table(),
            "vc_exits": self._exits_table(),
            "government": self._government_table(),
            "vc_funds": funds_table(m),
        }

    def _label(self, t: np.ndarray) -> pd.Series:
        labels = self.model.labels
        return pd.Series([labels[int(x)] for x in t], dtype=object)

    def _entries_table(self) -> pd.DataFrame:
        keys = ("t", "firm", "kind", "sector", "city", "cell", "founder_origin", "parent", "incubator_grant")
        e = {
            k: np.concatenate([r[k] for r in self._entries]) if self._entries else np.zeros(0, dtype=int) for k in keys
        }
        codes = np.array(geodata.CITY_CODES)
        origin_names = np.array(["local", "mainland", "hong_kong", "overseas"])
        return pd.DataFrame(
            {
                "quarter": self._label(e["t"]),
                "t": e["t"].astype(int),
                "firm": e["firm"].astype(np.int64),
                "kind": np.array(["startup", "spinoff"])[e["kind"].astype(int)],
                "sector": np.array(SECTORS)[e["sector"].astype(int)],
                "city": codes[e["city"].astype(int)],
                "cell": e["cell"].astype(np.int64),
                "founder_origin": origin_names[e["founder_origin"].astype(int)],
                "parent": e["parent"].astype(np.int64),
                "incubator_grant": e["incubator_grant"].astype(float),
            }
        )[list(ENTRY_COLUMNS)]

    def _deals_table(self) -> pd.DataFrame:
        from agents.vc import STAGE_NAMES

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
        from agents.vc import EXIT_NAMES

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


def funds_table(model: CorridorModel) -> pd.DataFrame:
    """One row per fund (private and guidance) at the end of the run."""
    book = model.stakes
    live = book.alive_index()
    live_cost = np.bincount(book.fund[live], weights=book.cost[live]) if live.size else np.zeros(0)
    rows = []
    for f in model.funds + model.guidance_funds:
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


TABLE_SCHEMAS: dict[str, tuple[str, dict[str, str]]] = {
    "city_quarter": ("one row per city per quarter", CITY_COLUMNS),
    "firms_by_class": ("one row per quarter, city, sector and size class with firms", CLASS_COLUMNS),
    "relocations": ("the relocation event log, one row per move", RELOCATION_COLUMNS),
    "snapshots": ("one row per cell every `output.snapshot_every` quarters (and the last quarter)", SNAPSHOT_COLUMNS),
    "cells": ("one row per model cell: static attributes", CELL_COLUMNS),
    "entries": ("one row per new firm (start-up or spin-off)", ENTRY_COLUMNS),
    "vc_deals": ("one row per venture deal", DEAL_COLUMNS),
    "vc_exits": ("one row per exit of a portfolio firm", EXIT_COLUMNS),
    "government": ("one row per city government per quarter: revenue, spending by lever, reserves", GOVERNMENT_COLUMNS),
    "vc_funds": ("one row per fund at the end of the run", FUND_COLUMNS),
}
"""Every output table: (what a row is, columns and meanings)."""


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
