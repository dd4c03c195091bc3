"""Simulated moments: pure functions from a run's tables to the numbers the targets describe.

Every moment reads the output tables only (``city_quarter`` and ``vc_deals``; schemas in the
README) and a :class:`MomentContext` of the few configuration values it needs. None touches
simulation state.

Scale. A run with ``population_share`` s stands for a share s of the corridor's S&T workers and
innovative firms; the rest of the economy (residents, GDP, background demand) keeps its full
size, and firm sizes are realistic at any s. Moments are therefore either scale-free (shares,
ratios, growth, prices, R&D per GDP after rescaling) or counts of firms' activity divided by s
(venture deals and money, innovations, cross-border commuters: the whole corridor's figure).
Agent counts themselves (``firms``) are used only in shares and growth rates, because the number
of firm agents per real firm is a run setting (``n_firms`` / ``population_share``), not a
model result.

Windows. Each target names the simulated year(s) its moment covers (``model_year``). A moment is
NaN if the run does not cover every quarter of its window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from corridor_abm.model.config import Config, quarter_labels

if TYPE_CHECKING:
    from corridor_abm.calibration.spec import Target

CITIES: tuple[str, ...] = ("HK", "SZ", "DG", "HZ")
"""City codes in the model's fixed order."""

Tables = dict[str, pd.DataFrame]


@dataclass(frozen=True)
class MomentContext:
    """The configuration values moments need (everything else comes from the tables).

    Attributes:
        population_share: Share of the corridor the run's agents stand for.
        residents: 2018 residents per city (``economy.residents``).
        gdp: GDP per city in the first simulated year, ¥ per year (``economy.gdp``).
        nominal_growth: Nominal growth of the city's whole GDP, per year (per-resident growth and
            resident growth together, ``EconomyParams.expected_growth``).
        hightech_firms: Innovative firms per city in 2018 (``firms.hightech_firms``).
    """

    population_share: float
    residents: dict[str, float]
    gdp: dict[str, float]
    nominal_growth: dict[str, float]
    hightech_firms: dict[str, float]

    @classmethod
    def from_config(cls, cfg: Config) -> MomentContext:
        """The context of a configuration."""

        def per_city(values: Sequence[float]) -> dict[str, float]:
            return dict(zip(CITIES, (float(v) for v in values)))

        return cls(
            population_share=float(cfg.population_share),
            residents=per_city(cfg.economy.residents.as_list()),
            gdp=per_city(cfg.economy.gdp.as_list()),
            nominal_growth=per_city(cfg.economy.expected_growth()),
            hightech_firms=per_city(cfg.firms.hightech_firms.as_list()),
        )


def covered_years(start: str, quarters: int) -> set[int]:
    """Years whose four quarters a run from ``start`` of ``quarters`` quarters simulates."""
    labels = quarter_labels(start, quarters)
    years = pd.Series([int(q[:4]) for q in labels]).value_counts()
    return {int(y) for y, n in years.items() if n == 4}


def window_covered(target: Target, start: str, quarters: int) -> bool:
    """True if a run simulates every quarter of the target's window (and, for year-end growth,
    the year before)."""
    years = set(target.years)
    if target.moment == "hightech_firms_count":
        years |= {min(years) - 1}
    return years <= covered_years(start, quarters)


# ------------------------------------------------------------------------------------------
# helpers


def _years(frame: pd.DataFrame) -> pd.Series:
    return frame["quarter"].astype(str).str[:4].astype(int)


def _window(cq: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame | None:
    """Rows of ``city_quarter`` in ``years``, or None unless every quarter of them is there."""
    y = _years(cq)
    sub = cq[y.isin(list(years))]
    quarters = sub["quarter"].nunique()
    if quarters < 4 * len(years):
        return None
    return sub


def _pivot(sub: pd.DataFrame, column: str) -> pd.DataFrame:
    """Quarter × city table of a column (cities in the model's order)."""
    table = sub.pivot_table(index="t", columns="city", values=column, aggfunc="sum")
    return table.reindex(columns=list(CITIES)).fillna(0.0)


def _share(tables: Tables, city: str, years: Sequence[int], column: str) -> float:
    sub = _window(tables["city_quarter"], years)
    if sub is None:
        return float("nan")
    p = _pivot(sub, column)
    total = p.sum(axis=1)
    return float((p[city] / total.where(total > 0)).mean())


# ------------------------------------------------------------------------------------------
# moments: f(tables, context, city, years) -> float


def talent_share(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """The city's share of the corridor's talent (by home), mean over the window's quarters."""
    return _share(tables, city, years, "talent")


def firm_share(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """The city's share of the corridor's firms (by headquarters), mean over the quarters."""
    return _share(tables, city, years, "firms")


def output_share(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """The city's share of the output of all modelled firms over the window."""
    sub = _window(tables["city_quarter"], years)
    if sub is None:
        return float("nan")
    p = _pivot(sub, "output")
    total = float(p.to_numpy().sum())
    return float(p[city].sum()) / total if total > 0 else float("nan")


def st_workers_per_100(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """Skilled workers living in the city per 100 residents: mean talent / population_share /
    residents × 100."""
    sub = _window(tables["city_quarter"], years)
    if sub is None:
        return float("nan")
    talent = float(_pivot(sub, "talent")[city].mean())
    return 100.0 * talent / ctx.population_share / ctx.residents[city]


def hightech_firms_count(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """Innovative firms of the city at the end of the window's last year: the 2018 count
    (``firms.hightech_firms``) times the model's growth of the city's firm count over the
    window (last quarter of the year before the window to the window's last quarter)."""
    cq = tables["city_quarter"]
    first, last = min(years), max(years)
    rows = cq[cq["city"] == city]
    y = _years(rows)
    before = rows[y == first - 1]
    end = rows[y == last]
    if before["quarter"].nunique() < 4 or end["quarter"].nunique() < 4:
        return float("nan")
    f0 = float(before.loc[before["t"].idxmax(), "firms"])
    f1 = float(end.loc[end["t"].idxmax(), "firms"])
    return ctx.hightech_firms[city] * f1 / f0 if f0 > 0 else float("nan")


def house_price(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """The city's floor-weighted mean house price, mean over the quarters, ¥ per m²."""
    sub = _window(tables["city_quarter"], years)
    if sub is None:
        return float("nan")
    return float(_pivot(sub, "mean_house_price")[city].mean())


def house_price_ratio(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """The city's mean house price over Shenzhen's, mean over the quarters."""
    sub = _window(tables["city_quarter"], years)
    if sub is None:
        return float("nan")
    p = _pivot(sub, "mean_house_price")
    return float((p[city] / p["SZ"].where(p["SZ"] > 0)).mean())


def house_price_ordering(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """Share of the orderings HK > SZ, SZ > DG and DG > HZ of mean house prices that hold,
    over the window's quarters (1 = the documents' ranking throughout)."""
    sub = _window(tables["city_quarter"], years)
    if sub is None:
        return float("nan")
    p = _pivot(sub, "mean_house_price")
    held = (p["HK"] > p["SZ"]).astype(float) + (p["SZ"] > p["DG"]) + (p["DG"] > p["HZ"])
    return float(held.mean() / 3.0)


def _gdp_over(ctx: MomentContext, city: str, t: np.ndarray) -> float:
    """Background GDP of the city over quarters ``t``, as the model grows it (¥)."""
    g = ctx.nominal_growth[city]
    return float(np.sum(ctx.gdp[city] * np.power(1.0 + g, np.asarray(t, dtype=float) / 4.0) / 4.0))


def rd_intensity(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """R&D spending of the city's modelled firms over the city's GDP: R&D over the window /
    population_share / GDP over the same quarters (``economy.gdp`` grown with residents and income
    per resident, as the model's background economy)."""
    sub = _window(tables["city_quarter"], years)
    if sub is None:
        return float("nan")
    p = _pivot(sub, "rd_spending")
    return float(p[city].sum()) / ctx.population_share / _gdp_over(ctx, city, p.index.to_numpy())


def hk_share_external_vc(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """Hong Kong funds' share of the venture money the city's firms received from funds based
    in other cities over the window (NaN if there was none)."""
    if _window(tables["city_quarter"], years) is None:
        return float("nan")
    deals = tables["vc_deals"]
    y = _years(deals) if len(deals) else pd.Series([], dtype=int)
    d = deals[y.isin(list(years)).to_numpy() & (deals["firm_city"] == city).to_numpy()]
    external = d[d["fund_city"] != city]
    total = float(external["amount"].sum())
    if total <= 0:
        return float("nan")
    return float(external.loc[external["fund_city"] == "HK", "amount"].sum()) / total


def _per_year(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int], column: str) -> float:
    sub = _window(tables["city_quarter"], years)
    if sub is None:
        return float("nan")
    return float(_pivot(sub, column)[city].sum()) / ctx.population_share / len(years)


def vc_amount(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """Venture money invested in the city's firms per year, whole corridor (÷ population_share), ¥."""
    return _per_year(tables, ctx, city, years, "vc_amount")


def vc_deals(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """Venture deals in the city's firms per year, whole corridor."""
    return _per_year(tables, ctx, city, years, "vc_deals")


def innovations(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """Innovations of the city's firms per year, whole corridor."""
    return _per_year(tables, ctx, city, years, "innovations")


def daily_crossings(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """Daily HK–mainland crossings of skilled cross-border commuters, whole corridor:
    2 (out and back) × commuters summed over cities / population_share, mean over quarters."""
    sub = _window(tables["city_quarter"], years)
    if sub is None:
        return float("nan")
    commuters = _pivot(sub, "cross_border_commuters").sum(axis=1).mean()
    return 2.0 * float(commuters) / ctx.population_share


def _firms_by_class(tables: Tables, city: str, years: Sequence[int], classes: tuple[str, ...]) -> float:
    """Mean number of the city's firms of the size classes over the window's quarters."""
    fc = tables["firms_by_class"]
    sub = fc[(fc["city"] == city) & fc["size_class"].isin(classes) & _years(fc).isin(list(years))]
    quarters = sub["quarter"].nunique()
    return float(sub["firms"].sum()) / quarters if quarters else float("nan")


def _moves_out(
    tables: Tables, city: str, years: Sequence[int], classes: tuple[str, ...], kinds: tuple[str, ...]
) -> float:
    rel = tables["relocations"]
    m = (
        (rel["from_city"] == city)
        & (rel["to_city"] != city)
        & rel["size_class"].isin(classes)
        & rel["kind"].isin(kinds)
        & _years(rel).isin(list(years))
    )
    return float(m.sum())


def out_move_rate_small(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """Small firms (< 100 employees) that move their headquarters to another city of the corridor,
    per year, over the city's small firms."""
    if _window(tables["city_quarter"], years) is None:
        return float("nan")
    firms = _firms_by_class(tables, city, years, ("small",))
    return _moves_out(tables, city, years, ("small",), ("whole firm",)) / len(years) / firms if firms else float("nan")


def out_move_rate_above(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """Medium and large firms (≥ 100 employees) that move out to another city of the corridor,
    whole or a division, per year, over the city's medium and large firms (the "above-scale"
    firms of the statistics)."""
    if _window(tables["city_quarter"], years) is None:
        return float("nan")
    classes = ("medium", "large")
    firms = _firms_by_class(tables, city, years, classes)
    moves = _moves_out(tables, city, years, classes, ("whole firm", "division"))
    return moves / len(years) / firms if firms else float("nan")


def within_move_rate(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """Whole-firm moves between cells of the city, per year, over the city's firms."""
    sub = _window(tables["city_quarter"], years)
    if sub is None:
        return float("nan")
    moves = float(_pivot(sub, "relocations_within")[city].sum()) / len(years)
    firms = float(_pivot(sub, "firms")[city].mean())
    return moves / firms if firms else float("nan")


def out_move_share_dg(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """Dongguan's share of the city's whole-firm moves to Dongguan or Huizhou over the window."""
    rel = tables["relocations"]
    m = (rel["from_city"] == city) & rel["to_city"].isin(["DG", "HZ"]) & (rel["kind"] == "whole firm")
    m &= _years(rel).isin(list(years))
    n = float(m.sum())
    return float((rel.loc[m, "to_city"] == "DG").sum()) / n if n else float("nan")


def _yearly_growth(tables: Tables, city: str, years: Sequence[int], column: str) -> float:
    """Growth per year of a ``city_quarter`` column of the city from the window's first year to
    its last (mean of each year's quarters); NaN without the window or with one year."""
    sub = _window(tables["city_quarter"], years)
    if sub is None or len(years) < 2:
        return float("nan")
    rows = sub[sub["city"] == city]
    y = _years(rows)
    first = float(rows.loc[y == min(years), column].mean())
    last = float(rows.loc[y == max(years), column].mean())
    return (last / first) ** (1.0 / (max(years) - min(years))) - 1.0


def wage_growth(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """Growth of the city's wage per unit skill from the window's first year to its last (mean
    of each year's quarters), per year."""
    return _yearly_growth(tables, city, years, "wage_index")


def house_price_growth(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """Growth of the city's mean house price from the window's first year to its last (mean of
    each year's quarters), per year: how fast prices answer the growth of demand over supply
    (identifies ``market.housing_price_elasticity``)."""
    return _yearly_growth(tables, city, years, "mean_house_price")


def net_talent_inflow(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """Growth of the city's skilled workers per year over the window, whole corridor (persons):
    (last quarter − the quarter before the window) / years / population_share; the first
    simulated quarter stands in for the quarter before 2018Q1."""
    cq = tables["city_quarter"]
    rows = cq[cq["city"] == city]
    y = _years(rows)
    end = rows[y == max(years)]
    if _window(cq, years) is None or end["quarter"].nunique() < 4:
        return float("nan")
    before = rows[y == min(years) - 1]
    start = (
        float(before.loc[before["t"].idxmax(), "talent"])
        if len(before)
        else float(rows.loc[rows["t"].idxmin(), "talent"])
    )
    last = float(end.loc[end["t"].idxmax(), "talent"])
    return (last - start) / len(years) / ctx.population_share


def hk_share_arrivals(tables: Tables, ctx: MomentContext, city: str, years: Sequence[int]) -> float:
    """Share of Hong Kong origin among the talent arriving to live in the city over the window."""
    sub = _window(tables["city_quarter"], years)
    if sub is None:
        return float("nan")
    arrived = float(_pivot(sub, "in_migrants")[city].sum())
    return float(_pivot(sub, "in_migrants_hk_origin")[city].sum()) / arrived if arrived else float("nan")


MomentFunction = Callable[[Tables, MomentContext, str, Sequence[int]], float]

MOMENTS: dict[str, MomentFunction] = {
    f.__name__: f
    for f in (
        talent_share,
        firm_share,
        output_share,
        st_workers_per_100,
        hightech_firms_count,
        house_price,
        house_price_ratio,
        house_price_ordering,
        rd_intensity,
        hk_share_external_vc,
        vc_amount,
        vc_deals,
        innovations,
        daily_crossings,
        out_move_rate_small,
        out_move_rate_above,
        within_move_rate,
        out_move_share_dg,
        wage_growth,
        house_price_growth,
        net_talent_inflow,
        hk_share_arrivals,
    )
}
"""Moment functions by the name targets.csv uses."""


def compute_moments(tables: Tables, ctx: MomentContext, targets: Sequence[Target]) -> np.ndarray:
    """The simulated value of every target's moment (NaN where the run does not cover it).

    Args:
        tables: A run's tables (``RunResult.tables`` or read from disk).
        ctx: The run's :class:`MomentContext`.
        targets: Targets, in the order wanted.

    Returns:
        One value per target, in natural units.
    """
    return np.array([MOMENTS[t.moment](tables, ctx, t.city, t.years) for t in targets], dtype=float)


# ------------------------------------------------------------------------------------------
# outcomes of the sensitivity analysis (whole horizon)


def sz_firm_outflow(tables: Tables, ctx: MomentContext) -> float:
    """Whole-firm relocations out of Shenzhen over the horizon per 1,000 Shenzhen firms of the
    first quarter (scale-free)."""
    cq = tables["city_quarter"]
    sz = cq[cq["city"] == "SZ"].sort_values("t")
    first = float(sz["firms"].iloc[0])
    return 1000.0 * float(sz["relocations_out"].sum()) / first if first > 0 else float("nan")


def corridor_innovations(tables: Tables, ctx: MomentContext) -> float:
    """Innovations of all firms over the horizon, whole corridor (÷ population_share)."""
    return float(tables["city_quarter"]["innovations"].sum()) / ctx.population_share


def sz_house_price_end(tables: Tables, ctx: MomentContext) -> float:
    """Shenzhen's mean house price in the last simulated quarter, ¥ per m²."""
    cq = tables["city_quarter"]
    sz = cq[cq["city"] == "SZ"]
    return float(sz.loc[sz["t"].idxmax(), "mean_house_price"])


OUTCOMES: dict[str, Callable[[Tables, MomentContext], float]] = {
    "sz_firm_outflow": sz_firm_outflow,
    "corridor_innovations": corridor_innovations,
    "sz_house_price_end": sz_house_price_end,
}
"""Key outcomes of the sensitivity analysis."""

OUTCOME_LABELS: dict[str, str] = {
    "sz_firm_outflow": "Shenzhen firm outflow (relocations per 1,000 firms)",
    "corridor_innovations": "Corridor innovations (whole horizon)",
    "sz_house_price_end": "Shenzhen house price at the end (¥/m²)",
}


def compute_outcomes(tables: Tables, ctx: MomentContext) -> np.ndarray:
    """The sensitivity outcomes of a run, in :data:`OUTCOMES` order."""
    return np.array([f(tables, ctx) for f in OUTCOMES.values()], dtype=float)
