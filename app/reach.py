"""Does every lever reach its channel? Each lever alone, against the baseline, on paired seeds.

    python run.py mode=reach                                   # every lever, 10 paired seeds
    python run.py mode=reach reach.seeds=20 hydra.run.dir=outputs/reach

For every lever of :data:`LEVERS` — each land lever, each subsidy, each of S5's frictions
separately, each transport speed-up, each government lever — the command runs the baseline and
the baseline with that lever alone changed, on the same seeds (common random numbers), for the
first year (``reach.quarters``), and measures the lever's *direct channel*: the quantity it acts
on first (floor space for land, R&D spending for the R&D subsidy, cross-border deals for the
capital friction, ...). It writes ``reach.csv`` and ``reach.md``: per lever, the mean paired
change of its channel, relative to the baseline, with a 90% band over seeds, the share of seeds
with the expected sign, and a verdict. A lever whose channel does not move is a defect. A lever
with a thin channel (``Lever.seeds_factor``) runs on a multiple of ``reach.seeds``, the first
of them the seeds every other lever runs on; the table says how many seeds each row used.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor_abm.app.sample import SampleParams, write_result_table
from corridor_abm.calibration.spec import Z90
from corridor_abm.model import geodata
from corridor_abm.model.config import Config
from corridor_abm.model.geography import park_mask
from corridor_abm.model.params import ConfigError, list_param, param
from corridor_abm.model.rng import replicate_seeds
from corridor_abm.model.runio import begin_run, mark_complete, provenance

log = logging.getLogger("corridor.reach")

Tables = dict[str, pd.DataFrame]


@dataclass
class ReachParams(SampleParams):
    """The lever-reach table (``python run.py mode=reach``; run control, not the model's)."""

    quarters: int = param(4, "quarters", "Quarters simulated (the first year)", lo=1, hi=400, source="run setting")
    levers: list[str] = list_param("names", "Levers to run (names of app.reach.LEVERS; empty: all)")

    def check(self, root: Any) -> None:
        """Every name in ``reach.levers`` is a lever of :data:`LEVERS`.

        Raises:
            ConfigError: naming the unknown levers and the allowed names.
        """
        names = [lever.name for lever in LEVERS]
        unknown = [n for n in self.levers if n not in names]
        if unknown:
            raise ConfigError(
                f"reach.levers: {', '.join(repr(n) for n in unknown)} not a lever; allowed: {', '.join(names)}."
            )


# --------------------------------------------------------------------------------------------
# channels: one number per run, from its tables


def _city_total(column: str, city: str, last_only: bool = False) -> Callable[[Tables], float]:
    def channel(t: Tables) -> float:
        cq = t["city_quarter"]
        if last_only:
            cq = cq[cq["t"] == cq["t"].max()]
        return float(cq.loc[cq["city"] == city, column].sum())

    return channel


def _corridor_total(column: str, last_only: bool = False) -> Callable[[Tables], float]:
    def channel(t: Tables) -> float:
        cq = t["city_quarter"]
        if last_only:
            cq = cq[cq["t"] == cq["t"].max()]
        return float(cq[column].sum())

    return channel


def _spending(lever: str, city: str) -> Callable[[Tables], float]:
    def channel(t: Tables) -> float:
        g = t["government"]
        return float(g.loc[g["city"] == city, f"spend_{lever}"].sum())

    return channel


def _government_last(column: str, city: str) -> Callable[[Tables], float]:
    def channel(t: Tables) -> float:
        g = t["government"]
        g = g[(g["city"] == city) & (g["t"] == g["t"].max())]
        return float(g[column].sum())

    return channel


def _moves(
    frm: str | tuple[str, ...], to: str | tuple[str, ...], kind: str | None = "whole firm"
) -> Callable[[Tables], float]:
    frm = (frm,) if isinstance(frm, str) else frm
    to = (to,) if isinstance(to, str) else to

    def channel(t: Tables) -> float:
        r = t["relocations"]
        # between cities only: a move inside Dongguan is not a Dongguan <-> Huizhou move
        m = r["from_city"].isin(frm) & r["to_city"].isin(to) & (r["from_city"] != r["to_city"])
        if kind is not None:
            m &= r["kind"] == kind
        return float(m.sum())

    return channel


def _commuters_between(a: str, b: str) -> Callable[[Tables], float]:
    """Skilled residents of either city working in the other, in the run's last quarter."""

    def channel(t: Tables) -> float:
        cq = t["city_quarter"]
        last = cq[cq["t"] == cq["t"].max()].set_index("city")
        return float(last.at[a, f"residents_working_in_{b.lower()}"] + last.at[b, f"residents_working_in_{a.lower()}"])

    return channel


def _mainland_hk_origin(t: Tables) -> float:
    """Talent of Hong Kong origin living in the three mainland cities at the end of the run."""
    cq = t["city_quarter"]
    cq = cq[(cq["t"] == cq["t"].max()) & (cq["city"] != "HK")]
    return float(cq["talent_hk_origin"].sum())


def _cross_border_moves(t: Tables) -> float:
    r = t["relocations"]
    return float(((r["from_city"] == "HK") != (r["to_city"] == "HK")).sum())


def _into_parks(t: Tables) -> float:
    """Whole-firm moves of Shenzhen firms into the designated parks in Dongguan and Huizhou
    (the cells the park rent subsidy pays for, found from the run's cells table)."""
    cells = t["cells"]
    city = cells["city"].map(geodata.CITY_CODES.index).to_numpy()
    protected = (cells["land_use"] == "protected").to_numpy()
    parks = cells["cell"].to_numpy()[park_mask(cells["x_km"].to_numpy(), cells["y_km"].to_numpy(), city, protected)]
    r = t["relocations"]
    into = (
        (r["from_city"] == "SZ")
        & r["to_city"].isin(("DG", "HZ"))
        & (r["kind"] == "whole firm")
        & r["to_cell"].isin(parks)
    )
    return float(into.sum())


def _floor(city: str | tuple[str, ...], kind: str = "commercial") -> Callable[[Tables], float]:
    cities = (city,) if isinstance(city, str) else city

    def channel(t: Tables) -> float:
        cq = t["city_quarter"]
        cq = cq[cq["t"] == cq["t"].max()]
        return float(cq.loc[cq["city"].isin(cities), f"{kind}_floor_m2"].sum())

    return channel


@dataclass(frozen=True)
class Lever:
    """One lever alone: its overrides, the channel it acts on first, the expected sign, the
    quarters it needs to act (None: ``reach.quarters``) and how many times ``reach.seeds`` paired
    seeds its channel needs (a thin channel: a few events a run in the sample)."""

    name: str
    overrides: tuple[str, ...]
    channel: str
    measure: Callable[[Tables], float]
    sign: int = 1
    quarters: int | None = None
    seeds_factor: int = 1


LEVERS: tuple[Lever, ...] = (
    Lever("land_sz", ("land.sz_supply=2",), "SZ commercial floor, end of year (m²)", _floor("SZ")),
    Lever("land_dg", ("land.dg_supply=2",), "DG commercial floor, end of year (m²)", _floor("DG")),
    Lever("land_hz", ("land.hz_supply=2",), "HZ commercial floor, end of year (m²)", _floor("HZ")),
    Lever("land_hk", ("land.hk_supply=2",), "HK commercial floor, end of year (m²)", _floor("HK")),
    Lever(
        "renewal_sz",
        ("land.renewal_share.sz=0.9",),
        "SZ land spending (¥; renewal costs more)",
        _spending("land", "SZ"),
    ),
    Lever(
        "talent_subsidy_sz",
        ("government.talent_subsidy.sz=77000",),
        "SZ talent, end of year (persons)",
        _city_total("talent", "SZ", last_only=True),
    ),
    Lever(
        "talent_housing_sz",
        ("government.talent_housing_m2.sz=4e6",),
        "SZ residential floor, end of year (m²)",
        _floor("SZ", "residential"),
    ),
    Lever(
        "startup_rent_subsidy_sz",
        ("government.startup_rent_subsidy.sz=0.3",),
        "SZ start-up rent subsidies paid (¥)",
        _spending("startup_rent_subsidy", "SZ"),
    ),
    Lever(
        "rd_subsidy_sz", ("government.rd_subsidy_rate.sz=0.1",), "SZ R&D spending (¥)", _city_total("rd_spending", "SZ")
    ),
    Lever(
        "services_sz",
        ("government.services_spending.sz=5e9",),
        "SZ hospital beds per 10k, end of year",
        _government_last("hospital_beds_per_10k", "SZ"),
    ),
    Lever(
        "incubators_sz",
        ("government.incubator_grant.sz=1e6",),
        "SZ incubator grants (¥)",
        _spending("incubators", "SZ"),
    ),
    Lever(
        "guidance_fund_sz",
        ("government.guidance_fund.sz=1e10",),
        "SZ venture money (¥)",
        _city_total("vc_amount", "SZ"),
    ),
    Lever(
        "park_floor",
        ("government.park_floor_m2=3e6",),
        "DG + HZ commercial floor, end of year (m²)",
        _floor(("DG", "HZ")),
    ),
    Lever(
        "park_rent_subsidy",
        ("government.park_floor_m2=1e6", "government.park_rent_subsidy=0.3"),
        "SZ firms moving into the DG and HZ parks (whole firms), first 3 years, against parks without subsidy",
        _into_parks,
        quarters=12,
    ),
    Lever(
        "capital_friction",
        ("border.capital_friction=0.15",),
        "cross-border venture deals",
        _corridor_total("vc_cross_border_deals"),
    ),
    Lever("knowledge_friction", ("border.knowledge_friction=0.2",), "SZ innovations", _city_total("innovations", "SZ")),
    Lever("goods_friction", ("border.goods_friction=0.007",), "SZ output (¥)", _city_total("output", "SZ")),
    Lever(
        "work_barrier_hk",
        ("border.work_barrier_hk=0.4",),
        "cross-border commuters, end of year",
        _corridor_total("cross_border_commuters", last_only=True),
    ),
    Lever(
        "work_barrier_mainland",
        ("border.work_barrier_mainland=0.05",),
        # the barrier is on Hong Kong talent taking mainland jobs. Hong Kong's residents who
        # cross to work are some 18 agents in the reach sample (too thin to measure); the Hong
        # Kong talent living on the mainland, who mostly work there, are a hundred times more
        "HK-origin talent living in SZ, DG and HZ, end of year",
        _mainland_hk_origin,
    ),
    Lever(
        "residence_barrier_hk",
        ("border.residence_barrier_hk=0.5",),
        "talent living in HK, end of year",
        _city_total("talent", "HK", last_only=True),
    ),
    Lever(
        "residence_barrier_mainland",
        ("border.residence_barrier_mainland=0.1",),
        "talent of HK origin living on the mainland, end of year",
        lambda t: sum(_city_total("talent_hk_origin", c, last_only=True)(t) for c in ("SZ", "DG", "HZ")),
    ),
    Lever(
        "firm_relocation_barrier",
        ("border.firm_relocation_barrier=2",),
        "firms moving across the border",
        _cross_border_moves,
    ),
    # The two thin rows (a channel that moves by a few tenths of a percent, or by a few firm
    # moves a run) take four times the seeds: on 20 paired seeds neither was shown, on 40 neither,
    # on 80 both (+0.6% [+0.1, +1.1] and +17.5% [+9.0, +25.9]; 2026-12-02, commit 55f7d20)
    Lever(
        "zone_friction_factor",
        ("border.zone_friction_factor=0.1",),
        "cross-border commuters, end of year",
        _corridor_total("cross_border_commuters", last_only=True),
        seeds_factor=4,
    ),
    Lever(
        "border_crossing_minutes",
        ("transport.border_crossing_minutes=15",),
        "cross-border commuters, end of year",
        _corridor_total("cross_border_commuters", last_only=True),
    ),
    Lever(
        "speedup_hk_sz",
        ("transport.speedup_hk_sz=1.5",),
        "cross-border commuters, end of year",
        _corridor_total("cross_border_commuters", last_only=True),
    ),
    # Whole-firm moves between two cities are few at the fitted churn (about 12 SZ → DG moves a
    # year in a 10% sample), so the speed-ups are measured over three years: over one year, 8
    # paired seeds gave SZ → DG −9.9% [−66%, +76%]; over three, +10.7% [−27%, +51%], 6 of 8
    # (2026-12-01, location.taste_sd 0.25, before the moving costs were indexed to wages)
    Lever(
        "speedup_sz_dg",
        ("transport.speedup_sz_dg=1.5",),
        "SZ → DG firm moves (whole firms), first 3 years",
        _moves("SZ", "DG"),
        quarters=12,
    ),
    Lever(
        "speedup_sz_hz",
        ("transport.speedup_sz_hz=1.5",),
        "SZ → HZ firm moves (whole firms), first 3 years",
        _moves("SZ", "HZ"),
        quarters=12,
        seeds_factor=4,
    ),
    # whole-firm moves between Dongguan and Huizhou number 0.4 a run over three years in a 10%
    # sample (2026-12-01), too few to measure; the link acts first on who commutes between them
    Lever(
        "speedup_dg_hz",
        ("transport.speedup_dg_hz=1.5",),
        "DG ↔ HZ commuters (skilled, living in one and working in the other), end of year",
        _commuters_between("DG", "HZ"),
    ),
    Lever("research", ("innovation.research_output=14000",), "corridor innovations", _corridor_total("innovations")),
    Lever(
        "land_rule",
        ("government.land_rule_outflow=0.005",),
        "SZ land multiplier after 6 quarters (the rule needs a year of history)",
        _government_last("land_multiplier", "SZ"),
        quarters=6,
    ),
)
"""Every lever, alone. A lever whose effect needs another (the park rent subsidy needs parks) is
compared against that other alone (see :data:`BASES`)."""

BASES: dict[str, tuple[str, ...]] = {"park_rent_subsidy": ("government.park_floor_m2=1e6",)}
"""Levers measured against a base other than the plain baseline: its overrides."""


# --------------------------------------------------------------------------------------------
# running


@dataclass(frozen=True)
class ReachTask:
    """One run: a lever's overrides (or none) on one seed."""

    config: Config
    measures: tuple[str, ...]


def run_reach_task(task: ReachTask) -> dict[str, float]:
    """Simulate and measure the named channels (runs in a worker process)."""
    from corridor_abm.calibration.evaluate import released_models
    from corridor_abm.model.simulate import simulate

    logging.getLogger("MESA").setLevel(logging.WARNING)
    with released_models():
        tables = simulate(task.config).tables
    by_name = {lever.name: lever for lever in LEVERS}
    return {name: by_name[name].measure(tables) for name in task.measures}


def _config(settings: Any, overrides: tuple[str, ...], seed: int, quarters: int | None = None) -> Config:
    """The run's configuration: the settings' model part with the reach sample and overrides."""
    from corridor_abm.calibration.spec import apply_values
    from corridor_abm.model.config import only_model

    values: dict[str, Any] = {**settings.reach.sample(), "seed": int(seed)}
    if quarters:
        values["quarters"] = quarters
    for item in overrides:
        key, value = item.split("=", 1)
        values[key] = float(value)
    return apply_values(only_model(settings), values)


def mean_interval(diff: np.ndarray) -> tuple[float, float]:
    """90% confidence interval of the mean of paired differences (normal approximation).

    Args:
        diff: Paired differences, one per seed (channel units).

    Returns:
        (low, high) in the units of ``diff``; the mean on both sides with a single seed.
    """
    mean = float(np.mean(diff))
    if diff.size < 2:
        return mean, mean
    half = Z90 * float(np.std(diff, ddof=1)) / np.sqrt(diff.size)
    return mean - half, mean + half


def channel_moves(diff: np.ndarray, sign: int) -> bool:
    """Whether the paired differences show the lever moving its channel the expected way.

    The mean's 90% confidence interval must lie on the expected side of zero. A rule on the
    share of seeds with the sign would instead ask that the effect beat the noise of a single
    run, so a real but small effect on a noisy channel (a few firm moves a year in a 10% sample)
    would be a "defect" at any number of seeds; with the mean's interval more seeds settle it.

    Args:
        diff: Paired differences, one per seed.
        sign: +1 or -1, the direction the lever should move its channel.
    """
    low, high = mean_interval(diff)
    return bool(low > 0) if sign > 0 else bool(high < 0)


def reach_table(settings: Any, workers: int) -> pd.DataFrame:
    """Run every selected lever and its base on paired seeds; one row per lever.

    Args:
        settings: The command's settings (``app.settings.Settings``): the calibrated baseline
            with the sample and seeds of ``reach.*``.
        workers: Parallel processes.

    Returns:
        The table: lever, overrides, channel, expected sign, paired seeds (``reach.seeds`` ×
        the lever's ``seeds_factor``), baseline mean, mean change, its relative size, the 90%
        interval of the mean and the 90% band over seeds, the share of seeds with the expected
        sign, and a verdict (:func:`channel_moves`).
    """
    from corridor_abm.calibration.evaluate import run_parallel

    rp = settings.reach
    chosen = [lever for lever in LEVERS if not rp.levers or lever.name in rp.levers]
    # a lever's seeds are the first rp.seeds × its factor of one spawned list, so every lever
    # shares its first seeds with every other and with its base
    n_seeds = {lever.name: rp.seeds * lever.seeds_factor for lever in chosen}
    seeds = replicate_seeds(settings.seed, max(n_seeds.values()))
    bases: dict[tuple[tuple[str, ...], int | None], list[str]] = {}
    for lever in chosen:
        bases.setdefault((BASES.get(lever.name, ()), lever.quarters), []).append(lever.name)
    tasks, keys = [], []
    for (base, quarters), names in bases.items():
        for k, seed in enumerate(seeds[: max(n_seeds[name] for name in names)]):
            measured = tuple(name for name in names if k < n_seeds[name])
            tasks.append(ReachTask(_config(settings, base, seed, quarters), measured))
            keys.append(("base", base, k))
    for lever in chosen:
        base = BASES.get(lever.name, ())
        for k, seed in enumerate(seeds[: n_seeds[lever.name]]):
            tasks.append(ReachTask(_config(settings, (*base, *lever.overrides), seed, lever.quarters), (lever.name,)))
            keys.append(("lever", lever.name, k))
    results = run_parallel(run_reach_task, tasks, workers)
    base_values: dict[tuple[str, int], float] = {}
    lever_values: dict[tuple[str, int], float] = {}
    for key, out in zip(keys, results):
        if key[0] == "base":
            for name, value in out.items():
                base_values[(name, key[2])] = value
        else:
            lever_values[(key[1], key[2])] = out[key[1]]
    rows = []
    for lever in chosen:
        n = n_seeds[lever.name]
        base = np.array([base_values[(lever.name, k)] for k in range(n)])
        scen = np.array([lever_values[(lever.name, k)] for k in range(n)])
        diff = scen - base
        # changes relative to the baseline's level; against a channel that is zero on the
        # baseline (no cross-border deals, say) the change is reported in its own units
        relative = abs(float(base.mean())) > 1e-9
        scale = abs(float(base.mean())) if relative else 1.0
        lo, hi = np.quantile(diff, [0.05, 0.95])
        ci_lo, ci_hi = mean_interval(diff)
        right = float(np.mean(np.sign(diff) == lever.sign))
        moved = channel_moves(diff, lever.sign)
        rows.append(
            {
                "lever": lever.name,
                "overrides": " ".join(lever.overrides),
                "channel": lever.channel,
                "expected_sign": "+" if lever.sign > 0 else "−",
                "seeds": n,
                "baseline_mean": float(base.mean()),
                "mean_change": float(diff.mean()),
                "relative": relative,
                "relative_change": float(diff.mean()) / scale,
                "band_low": float(lo) / scale,
                "band_high": float(hi) / scale,
                "mean_low": ci_lo / scale,
                "mean_high": ci_hi / scale,
                "seeds_with_sign": right,
                "verdict": "reaches its channel" if moved else "DEFECT: channel does not move",
            }
        )
    return pd.DataFrame(rows)


def reach_markdown(table: pd.DataFrame, quarters: int) -> str:
    """The table as Markdown (for the docs)."""
    lines = [
        "| lever | overrides | direct channel | sign | paired seeds | change | 90% interval of the mean | 90% band of the seeds | seeds with the sign | verdict |",
        "|---|---|---|---|---:|---:|---|---|---:|---|",
    ]
    for r in table.itertuples():
        fmt = (lambda x: f"{x:+.1%}") if r.relative else (lambda x: f"{x:+,.3g}")
        lines.append(
            f"| {r.lever} | `{r.overrides}` | {r.channel} | {r.expected_sign} | {r.seeds} | {fmt(r.relative_change)} | "
            f"[{fmt(r.mean_low)}, {fmt(r.mean_high)}] | [{fmt(r.band_low)}, {fmt(r.band_high)}] | "
            f"{r.seeds_with_sign:.0%} | {r.verdict} |"
        )
    lines.append("")
    lines.append(
        f"Each lever alone against the baseline, first {quarters} quarters unless its channel says otherwise; "
        "changes relative to the baseline mean. A lever reaches its channel when the 90% interval of the "
        "mean paired change lies on the expected side of zero; the band of the seeds shows how noisy a "
        "single run is."
    )
    return "\n".join(lines) + "\n"


def reach_mode(settings: Any, out_dir: Path) -> None:
    """``python run.py mode=reach``: the lever-reach table into ``out_dir``."""
    start = time.perf_counter()
    out_dir = begin_run(out_dir)
    table = reach_table(settings, settings.workers)
    files = write_result_table(out_dir, "reach", table, reach_markdown(table, settings.reach.quarters))
    defects = table[table["verdict"].str.startswith("DEFECT")]["lever"].tolist()
    mark_complete(
        out_dir,
        provenance("reach", settings, time.perf_counter() - start, levers=len(table), defects=defects),
        files,
    )
    log.info("reach: %d levers, %d defects -> %s", len(table), len(defects), out_dir)
