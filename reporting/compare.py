"""Compare scenarios against a baseline: paired differences with bands, maps, flows, summaries.

``python run.py mode=compare 'runs=[DIR_A,DIR_B,...]'`` (or ``python -m corridor_abm.app.compare DIR_A DIR_B
--out OUT``) takes single runs, replicate sets (``replicates=N``) or sweep directories
(hydra multiruns, whose jobs are grouped by scenario and by the swept parameters other than the
seed, seeds becoming replicates). The run whose scenario is ``baseline`` (else the first) is
the baseline. Every other run must have been run with the baseline's seeds (the same ``seed``
and ``replicates``), horizon, start, population and calibrated set, so that each of its
replicates has a twin in the baseline with the same random numbers: differences are computed
pair by pair, then averaged, with a 90% band over pairs. Runs that cannot be paired are
refused with a message naming the run and the mismatch; so are a run given twice, two runs of
the same configuration (every difference would be zero), a run that is incomplete or damaged
(a table whose checksum differs from its provenance's: rerun it), and an output folder that is
one of the compared runs or holds another finished output (nothing is written then).

Writes into the output directory:

* ``figures/city_series.png`` — city time series of key variables, mean and 90% band per run;
* ``figures/difference_from_baseline.png`` — paired difference from the baseline with its band;
* ``figures/maps_change.png`` — change in commercial rent and firm density against the baseline
  at the last quarter;
* ``figures/relocation_flows.png`` — whole-firm moves between cities by size class, and
  divisions (mean per replicate; scenarios shown with their difference from the baseline);
* ``figures/summary_<scenario>.png`` — one page per scenario;
* ``compare_summary.parquet`` / ``.csv`` — final-year paired differences with bands;
* ``provenance.json`` — what was compared, written last.

Nothing here touches simulation state: it reads finished runs' tables.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402

from corridor_abm.model import geodata  # noqa: E402
from corridor_abm.model.params import ConfigError  # noqa: E402
from corridor_abm.model.runio import (  # noqa: E402
    SCHEMA_VERSION,
    begin_run,
    check_writable,
    comparable_config,
    mark_complete,
    provenance,
    recorded_provenance,
    run_status,
    write_parquet,
)
from corridor_abm.model.state import SIZE_CLASSES  # noqa: E402
from corridor_abm.reporting.collect import is_multirun_dir, run_dirs_of, sweep_jobs  # noqa: E402
from corridor_abm.reporting.maps import plot_cell_field  # noqa: E402
from corridor_abm.reporting.plots import SERIES, YEAR_AXIS, quarter_axis  # noqa: E402
from corridor_abm.reporting.style import DEFAULT_DPI, DIVERGING_CMAP, city_style, figure_path, run_styles, save_figure  # noqa: E402

log = logging.getLogger("corridor")

CITIES: tuple[str, ...] = tuple(geodata.CITY_CODES)
CORRIDOR = "ALL"
"""City code of corridor totals in the compare table (additive variables only)."""

PAIRING_KEYS: tuple[str, ...] = ("quarters", "start", "n_firms", "n_talent", "population_share", "calibrated_set")
"""Config keys every compared run must share with the baseline (besides its seeds)."""

KEY_SERIES: list[tuple[str, str, float]] = [
    ("firms", "firms (count)", 1.0),
    ("talent", "skilled residents (millions)", 1e-6),
    ("mean_commercial_rent", "commercial rent (¥/m²/month)", 1.0),
    ("mean_house_price", "house price (¥ thousand/m²)", 1e-3),
    ("innovations", "innovations (per yr)", 4.0),
    ("relocations_out", "firms moving out to other cities (firms/yr)", 4.0),
]
"""(column, label, multiplier) of the compare time series; flows are annualised."""

SUMMARY_INDICATORS: tuple[str, ...] = (
    "firms",
    "talent",
    "jobs",
    "mean_commercial_rent",
    "mean_house_price",
    "entries",
    "innovations",
    "output",
)
"""Indicators of the one-page summary (final-year % difference from the baseline)."""

PERCENT_VARIABLES: frozenset[str] = frozenset(
    {"mean_commercial_rent", "mean_residential_rent", "mean_house_price", "mean_wage", "wage_index"}
)
"""Variables whose difference from the baseline is shown in percent (prices)."""

NON_ADDITIVE: frozenset[str] = PERCENT_VARIABLES | {"commercial_occupancy", "t"}
"""Variables that are not summed into corridor totals."""

SMOOTHED: frozenset[str] = frozenset({"innovations", "relocations_out", "entries"})
"""Flow variables smoothed over four quarters in the time-series figures."""

BAND = (0.05, 0.95)


class CompareError(ConfigError):
    """Runs that cannot be compared (missing, incomplete, or not paired with the baseline)."""


@dataclass
class RunSet:
    """One compared run: a scenario with one or more replicates, keyed by seed.

    Attributes:
        label: Unique name in figures and tables (scenario, plus swept parameters for sweeps).
        scenario_name: The runs' ``scenario_name``.
        source: The path the user gave.
        runs: Seed → directory of a complete single run.
        provenance: Seed → that run's provenance.
    """

    label: str
    scenario_name: str
    source: Path
    runs: dict[int, Path] = field(default_factory=dict)
    provenance: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def seeds(self) -> list[int]:
        """Seeds of the replicates, sorted."""
        return sorted(self.runs)

    @property
    def config(self) -> dict[str, Any]:
        """Config of the first replicate (they differ only in their seed)."""
        return self.provenance[self.seeds[0]]["config"]


# --------------------------------------------------------------------------------------------
# finding and checking the runs


def _add_run(run_set: RunSet, run_dir: Path) -> None:
    status = run_status(run_dir)
    if not status.complete:
        raise CompareError(
            f"{run_dir} (part of {run_set.source}) is not a complete run: {status.reason}. Finish or repair it by "
            "rerunning the same command (it reruns what is missing or damaged), or leave it out."
        )
    prov = status.recorded
    seed = int(prov["seed"])
    if seed in run_set.runs:
        raise CompareError(
            f"{run_set.source}: two runs of '{run_set.label}' have the same seed {seed} "
            f"({run_set.runs[seed]} and {run_dir}); each replicate needs its own seed."
        )
    run_set.runs[seed] = Path(run_dir)
    run_set.provenance[seed] = prov


def _run_set_from_dir(path: Path, prov: dict[str, Any]) -> RunSet:
    if prov.get("kind") not in ("run", "replicates"):
        raise CompareError(f"{path} is the output of a {prov.get('kind')}, not a run; pass run directories.")
    run_set = RunSet(label=prov.get("scenario", path.name), scenario_name=prov.get("scenario", ""), source=path)
    for _, run_dir in run_dirs_of(path, prov):
        _add_run(run_set, run_dir)
    return run_set


def _shown_value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _run_sets_from_sweep(path: Path) -> list[RunSet]:
    found = sweep_jobs(path)
    if not found.jobs or found.skipped:
        what = (
            f"has unfinished or damaged jobs ({'; '.join(f'{j.name}: {r}' for j, r in found.skipped)})"
            if found.skipped
            else "holds no complete job"
        )
        raise CompareError(
            f"{path} is a sweep that {what}; finish it by rerunning the same sweep with "
            f"hydra.sweep.dir={path} (complete jobs are skipped), or compare single runs."
        )
    for job, reason in found.stale:
        log.warning("compare: left out %s: %s", job, reason)
    groups: dict[str, RunSet] = {}
    for job, prov in found.jobs.items():
        labels = found.labels(job)
        swept = ", ".join(f"{k}={_shown_value(v)}" for k, v in labels.items())
        label = prov.get("scenario", "") + (f" [{swept}]" if swept else "")
        run_set = groups.setdefault(label, RunSet(label=label, scenario_name=prov.get("scenario", ""), source=path))
        for _, run_dir in run_dirs_of(job, prov):
            _add_run(run_set, run_dir)
    return list(groups.values())


def load_run_sets(paths: list[str | Path]) -> list[RunSet]:
    """Resolve the given paths into run sets (single runs, replicate sets, sweep groups).

    Args:
        paths: Run, replicate-set or sweep directories.

    Returns:
        The run sets in the order given, with unique labels.

    Raises:
        CompareError: if a path is missing, incomplete or damaged, given twice, or fewer than two
            runs result.
    """
    if not paths:
        raise CompareError(
            "runs is empty: pass two or more run directories, e.g. "
            "python run.py mode=compare 'runs=[outputs/runs/baseline/A,outputs/runs/s2_land_exhaustion/B]'."
        )
    sets: list[RunSet] = []
    for raw in paths:
        path = Path(str(raw))
        if not path.exists():
            raise CompareError(f"{path}: no such run directory.")
        if not path.is_dir():
            raise CompareError(f"{path} is a file, not a run directory.")
        status = run_status(path)
        if status.complete:
            sets.append(_run_set_from_dir(path, status.recorded))
        elif status.recorded is None and is_multirun_dir(path):
            sets.extend(_run_sets_from_sweep(path))
        else:
            raise CompareError(
                f"{path} is not a complete run: {status.reason}. Finish or repair it by rerunning the same command "
                "(it reruns what is missing or damaged), or leave it out."
            )
    if len(sets) < 2:
        raise CompareError(
            f"compare needs at least two runs (a baseline and a scenario); got one: {sets[0].label} ({sets[0].source})."
        )
    owner: dict[Path, RunSet] = {}
    for run_set in sets:
        for run_dir in run_set.runs.values():
            key = run_dir.resolve()
            if key in owner:
                raise CompareError(
                    f"{run_dir} is given twice (in {owner[key].source} and {run_set.source}); every difference "
                    "would be zero. Pass each run once."
                )
            owner[key] = run_set
    seen: dict[str, int] = {}
    for run_set in sets:
        if run_set.label in seen:
            run_set.label = f"{run_set.label} ({run_set.source.name})"
        while run_set.label in seen:
            run_set.label += "'"
        seen[run_set.label] = 1
    return sets


def choose_baseline(sets: list[RunSet]) -> RunSet:
    """The run set whose scenario is 'baseline' (the first such), else the first one."""
    return next((s for s in sets if s.scenario_name == "baseline"), sets[0])


def check_pairing(sets: list[RunSet], baseline: RunSet) -> None:
    """Refuse runs that cannot be paired with the baseline.

    Raises:
        CompareError: naming the run and the mismatch (schema version, seeds, horizon, start,
            population or map).
    """
    base_prov = baseline.provenance[baseline.seeds[0]]
    base_schema = base_prov.get("schema_version")
    if base_schema != SCHEMA_VERSION:
        raise CompareError(
            f"baseline {baseline.label} ({baseline.source}) has table schema version {base_schema}; this code "
            f"reads version {SCHEMA_VERSION}. Rerun it with the current code."
        )
    base_cfg = baseline.config
    for run_set in sets:
        for seed, prov in run_set.provenance.items():
            where = f"{run_set.label} ({run_set.runs[seed]})"
            if prov.get("schema_version") != base_schema:
                raise CompareError(
                    f"{where} has table schema version {prov.get('schema_version')}, the baseline "
                    f"{baseline.label} has {base_schema}: the tables do not match. Rerun it with the current code."
                )
            cfg = prov.get("config", {})
            for key in PAIRING_KEYS:
                if cfg.get(key) != base_cfg.get(key):
                    raise CompareError(
                        f"{where} was run with {key}={cfg.get(key)}, the baseline {baseline.label} "
                        f"({baseline.source}) with {key}={base_cfg.get(key)}: differences would not be paired. "
                        f"Run both with the same {key}."
                    )
            if cfg.get("map") != base_cfg.get("map"):
                raise CompareError(
                    f"{where} uses a different map (map.*) from the baseline {baseline.label}: cells cannot be compared."
                )
        if run_set is not baseline and comparable_config(run_set.config) == comparable_config(base_cfg):
            raise CompareError(
                f"{run_set.label} ({run_set.source}) and the baseline {baseline.label} ({baseline.source}) are runs of "
                "the same configuration: every difference would be zero. Compare runs that differ."
            )
        if run_set.seeds != baseline.seeds:
            raise CompareError(
                f"{run_set.label} ({run_set.source}) was run with seeds {_seed_text(run_set.seeds)}, the baseline "
                f"{baseline.label} ({baseline.source}) with seeds {_seed_text(baseline.seeds)}: differences would "
                "not be paired. Run both with the same seed= and replicates= (replicate seeds are spawned from "
                "the master seed)."
            )


def _seed_text(seeds: list[int]) -> str:
    shown = ", ".join(str(s) for s in seeds[:4])
    return f"[{shown}{', ...' if len(seeds) > 4 else ''}] ({len(seeds)} in all)"


# --------------------------------------------------------------------------------------------
# tables


def load_city_quarter(sets: list[RunSet]) -> pd.DataFrame:
    """Every run's ``city_quarter`` table, stacked, with ``label`` and ``seed`` columns."""
    return load_table(sets, "city_quarter")


def load_table(sets: list[RunSet], name: str) -> pd.DataFrame:
    """Every run's table ``name`` (e.g. ``relocations``), stacked, with ``label`` and ``seed`` columns."""
    frames = []
    for run_set in sets:
        for seed, run_dir in run_set.runs.items():
            frame = pd.read_parquet(run_dir / "tables" / f"{name}.parquet")
            frame.insert(0, "seed", seed)
            frame.insert(0, "label", run_set.label)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def variables_of(city: pd.DataFrame) -> list[str]:
    """Numeric variables of a stacked ``city_quarter`` table."""
    return [
        c
        for c in city.columns
        if c not in ("label", "seed", "quarter", "t", "city") and pd.api.types.is_numeric_dtype(city[c])
    ]


def smooth_flows(city: pd.DataFrame, columns: frozenset[str] = SMOOTHED, window: int = 4) -> pd.DataFrame:
    """Trailing mean of flow columns over ``window`` quarters, per run and city (a copy)."""
    out = city.sort_values(["label", "seed", "city", "t"]).copy()
    for col in columns & set(out.columns):
        out[col] = out.groupby(["label", "seed", "city"])[col].transform(
            lambda s: s.rolling(window, min_periods=1).mean()
        )
    return out


def band(frame: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    """Mean, 5% and 95% quantiles and count of ``value`` within groups of ``keys``."""
    grouped = frame.groupby(keys, sort=True)[value]
    out = grouped.agg(["mean", "count"]).rename(columns={"count": "n"})
    out["p05"] = grouped.quantile(BAND[0])
    out["p95"] = grouped.quantile(BAND[1])
    return out.reset_index()[[*keys, "mean", "p05", "p95", "n"]]


def paired_differences(city: pd.DataFrame, baseline: str, variables: list[str]) -> pd.DataFrame:
    """Scenario minus baseline for every seed, quarter, city and variable (long format).

    Args:
        city: Stacked ``city_quarter`` tables (``load_city_quarter``).
        baseline: Label of the baseline.
        variables: Variables to difference.

    Returns:
        Columns ``label, seed, quarter, t, city, variable, scenario, baseline, diff, pct``
        (``pct`` = 100 × diff / baseline, NaN where the baseline is 0).
    """
    long = city.melt(id_vars=["label", "seed", "quarter", "t", "city"], value_vars=variables, var_name="variable")
    base = long[long["label"] == baseline].drop(columns="label").rename(columns={"value": "baseline"})
    other = long[long["label"] != baseline].rename(columns={"value": "scenario"})
    merged = other.merge(base, on=["seed", "quarter", "t", "city", "variable"], how="inner", validate="many_to_one")
    merged["diff"] = merged["scenario"] - merged["baseline"]
    denom = merged["baseline"].where(merged["baseline"] != 0)
    merged["pct"] = 100.0 * merged["diff"] / denom
    return merged


def with_corridor_totals(city: pd.DataFrame) -> pd.DataFrame:
    """Add rows of city ``ALL``: corridor sums of the additive variables (others left empty)."""
    additive = [v for v in variables_of(city) if v not in NON_ADDITIVE]
    totals = city.groupby(["label", "seed", "quarter", "t"], as_index=False)[additive].sum()
    totals["city"] = CORRIDOR
    return pd.concat([city, totals], ignore_index=True)


def final_year_summary(city: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Final-year (last four quarters) paired differences from the baseline, with 90% bands.

    Args:
        city: Stacked ``city_quarter`` tables.
        baseline: Label of the baseline.

    Returns:
        One row per scenario, city (and ``ALL`` for additive variables) and variable: see the
        README, "compare_summary".
    """
    last_t = int(city["t"].max())
    year = city[city["t"] > last_t - 4]
    period = f"{year['quarter'].iloc[year['t'].argmin()]}–{year['quarter'].iloc[year['t'].argmax()]}"
    year = with_corridor_totals(year)
    variables = variables_of(year)
    means = year.groupby(["label", "seed", "city"], as_index=False)[variables].mean(numeric_only=True)
    means["quarter"], means["t"] = period, last_t
    diffs = paired_differences(means, baseline, variables).dropna(subset=["scenario", "baseline"])
    grouped = diffs.groupby(["label", "city", "variable"], sort=False)
    out = grouped.agg(
        n_pairs=("diff", "size"),
        baseline_mean=("baseline", "mean"),
        scenario_mean=("scenario", "mean"),
        diff_mean=("diff", "mean"),
        diff_p05=("diff", lambda s: s.quantile(BAND[0])),
        diff_p95=("diff", lambda s: s.quantile(BAND[1])),
        pct_mean=("pct", "mean"),
        pct_p05=("pct", lambda s: s.quantile(BAND[0])),
        pct_p95=("pct", lambda s: s.quantile(BAND[1])),
    ).reset_index()
    out = out.rename(columns={"label": "scenario"})
    out.insert(1, "baseline", baseline)
    out.insert(4, "period", period)
    return out


def flow_counts(relocations: pd.DataFrame, kind: str, size_class: str | None = None) -> np.ndarray:
    """4×4 moves between cities (rows: from, columns: to) of one kind and size class."""
    rows = relocations[relocations["kind"] == kind]
    if size_class is not None:
        rows = rows[rows["size_class"] == size_class]
    m = pd.crosstab(rows["from_city"], rows["to_city"]).reindex(index=list(CITIES), columns=list(CITIES), fill_value=0)
    return m.to_numpy(dtype=float)


SITE_KINDS = ("plant", "R&D centre", "both")


def second_sites_leaving(sites: pd.DataFrame, where: str) -> pd.Series:
    """Rows of ``establishments`` that set up a second site outside ``where``: opened in another
    city by a firm headquartered in ``where``, or moved out of ``where`` to another city."""
    return sites["event"].isin(["open", "relocate"]) & (sites["from_city"] == where) & (sites["to_city"] != where)


def net_second_sites(sites: pd.DataFrame, base: str, label: str, where: str = "SZ") -> dict[str, pd.DataFrame]:
    """Second sites leaving a city net of those entering it, per seed, in two paired runs.

    A second site leaves ``where`` when a firm headquartered there opens it in another city or
    when it is moved out of ``where``; it enters when it is moved into ``where`` from another
    city (closures are not counted). Counts are over the whole run.

    Args:
        sites: Rows of ``establishments.parquet`` of both runs, with ``label`` and ``seed``.
        base: Label of the baseline run.
        label: Label of the scenario run.
        where: City code.

    Returns:
        Per kind (``plant``, ``R&D centre`` and ``both``), a frame indexed by seed with the
        columns ``out_<run>``, ``in_<run>`` and ``net_<run>`` for ``run`` in (``base``,
        ``label``) — counts of second sites per run — and ``diff``, the paired change of the net
        count (scenario minus baseline).
    """
    s = sites[sites["label"].isin([base, label])]
    leave = second_sites_leaving(s, where)
    enter = (s["event"] == "relocate") & (s["from_city"] != where) & (s["to_city"] == where)
    seeds = s.groupby(["label", "seed"]).size().unstack("label").index
    result = {}
    for kind in SITE_KINDS:
        k = s["kind"] == kind if kind != "both" else np.ones(len(s), dtype=bool)
        out, enter_ = (
            s[m & k]
            .groupby(["seed", "label"])
            .size()
            .unstack("label")
            .reindex(index=seeds, columns=[base, label])
            .fillna(0.0)
            for m in (leave, enter)
        )
        net = out - enter_
        frame = pd.DataFrame(index=seeds)
        for run in (base, label):
            frame[f"out_{run}"], frame[f"in_{run}"], frame[f"net_{run}"] = out[run], enter_[run], net[run]
        frame["diff"] = net[label] - net[base]
        result[kind] = frame
    return result


FLOW_PANELS: list[tuple[str, str, str | None]] = [
    *[(f"{s} firms", "whole firm", s) for s in SIZE_CLASSES],
    ("divisions", "division", None),
]


def mean_flows(run_set: RunSet) -> dict[str, np.ndarray]:
    """Mean over replicates of the flow matrices of each panel (whole-firm moves by size, divisions)."""
    sums = {name: np.zeros((4, 4)) for name, _, _ in FLOW_PANELS}
    sums["all firms"] = np.zeros((4, 4))
    for run_dir in run_set.runs.values():
        relocations = pd.read_parquet(run_dir / "tables" / "relocations.parquet")
        for name, kind, size in FLOW_PANELS:
            sums[name] += flow_counts(relocations, kind, size)
        sums["all firms"] += flow_counts(relocations, "whole firm")
    return {name: m / len(run_set.runs) for name, m in sums.items()}


@dataclass
class CellChange:
    """Per-cell change against the baseline at the last quarter, averaged over pairs."""

    quarter: str
    rent_pct: np.ndarray
    firms_per_km2: np.ndarray


def last_snapshot(run_dir: Path) -> pd.DataFrame:
    """Cells at the last snapshot of a run, sorted by cell."""
    snaps = pd.read_parquet(run_dir / "tables" / "snapshots.parquet")
    return snaps[snaps["t"] == snaps["t"].max()].sort_values("cell").reset_index(drop=True)


def cell_changes(run_set: RunSet, baseline: RunSet, cell_area_km2: float) -> CellChange:
    """Mean over seed pairs of the % change in commercial rent and the change in firms per km²."""
    rent, firms = [], []
    quarter = ""
    for seed in baseline.seeds:
        base = last_snapshot(baseline.runs[seed])
        scen = last_snapshot(run_set.runs[seed])
        if len(base) != len(scen) or base["t"].iloc[0] != scen["t"].iloc[0]:
            raise CompareError(
                f"{run_set.label} ({run_set.runs[seed]}) and the baseline have different snapshots; "
                "their maps cannot be compared."
            )
        quarter = str(base["quarter"].iloc[0])
        b_rent = base["commercial_rent"].to_numpy(dtype=float)
        s_rent = scen["commercial_rent"].to_numpy(dtype=float)
        both = (b_rent > 0) & (s_rent > 0)  # cells with floor space (and a rent) in both runs
        rent.append(np.where(both, 100.0 * (s_rent / np.where(both, b_rent, 1.0) - 1.0), np.nan))
        firms.append((scen["firms"].to_numpy(dtype=float) - base["firms"].to_numpy(dtype=float)) / cell_area_km2)
    stacked = np.array(rent)
    counts = np.isfinite(stacked).sum(axis=0)
    rent_pct = np.where(counts > 0, np.nansum(stacked, axis=0) / np.maximum(counts, 1), np.nan)
    return CellChange(quarter, rent_pct, np.mean(firms, axis=0))


def draw_change(cmap: Any, values: np.ndarray, title: str, label: str, ax: plt.Axes) -> None:
    """A diverging map of a change, its colour scale clipped at the 99th percentile of the non-zero
    |change| so that a few extreme cells do not wash out the rest."""
    finite = np.abs(values[np.isfinite(values) & (values != 0)])
    if finite.size == 0:
        values, limit = np.zeros_like(values), 0.0
    else:
        limit = float(np.percentile(finite, 99))
    clipped = finite.size > 0 and limit > 0 and bool((finite > limit).any())
    shown = np.clip(values, -limit, limit) if clipped else values
    plot_cell_field(
        cmap, shown, title, label + (f" (clipped at ±{limit:.3g})" if clipped else ""), ax=ax, diverging=True
    )


def corridor_map(config: dict[str, Any]) -> Any:
    """The corridor map of a run's configuration (rebuilt from its ``map`` parameters)."""
    from omegaconf import OmegaConf

    from corridor_abm.model.geography import MapParams, build_map

    params = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(MapParams), config.get("map", {})))
    return build_map(params)


# --------------------------------------------------------------------------------------------
# figures


def _save(fig: plt.Figure, path: Path, dpi: int = DEFAULT_DPI) -> Path:
    """Save a figure atomically (temporary name, then rename; format by suffix) and close it."""
    return save_figure(fig, path, dpi, close=True)


def slug(label: str) -> str:
    """A file-name-safe version of a run label."""
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", label).strip("_") or "run"


def _colours(labels: list[str]) -> dict[str, dict[str, Any]]:
    """Colour and line style of each run (Okabe–Ito colours, distinct line styles)."""
    return run_styles(labels)


def plot_band_grid(
    frame: pd.DataFrame,
    series: list[tuple[str, str, float]],
    colour_by: str,
    colours: dict[str, Any],
    title: str,
    zero_line: bool = False,
) -> plt.Figure:
    """Rows of variables × columns of cities; a mean line and a 90% band per group.

    Args:
        frame: Columns ``variable, city, quarter, t, <colour_by>, mean, p05, p95``.
        series: (variable, label, multiplier) rows to draw.
        colour_by: Column naming the line of each group.
        colours: Style of each group (``color`` and ``linestyle``, :func:`reporting.style.run_styles`).
        title: Figure title.
        zero_line: Draw y = 0 (for differences).

    Returns:
        The figure.
    """
    fig, axes = plt.subplots(len(series), len(CITIES), figsize=(4.2 * len(CITIES), 2.6 * len(series)), squeeze=False)
    for i, (var, label, mult) in enumerate(series):
        for j, city in enumerate(CITIES):
            ax = axes[i, j]
            rows = frame[(frame["variable"] == var) & (frame["city"] == city)]
            for group, style in colours.items():
                g = rows[rows[colour_by] == group].sort_values("t")
                if g.empty:
                    continue
                x = quarter_axis(g["quarter"])
                ax.plot(x, g["mean"] * mult, lw=1.5, label=group, **style)
                ax.fill_between(x, g["p05"] * mult, g["p95"] * mult, color=style["color"], alpha=0.15, lw=0)
            if zero_line:
                ax.axhline(0.0, color="black", lw=0.7, ls="--")
            if i == 0:
                ax.set_title(geodata.CITY_NAMES[city], fontsize=10)
            if j == 0:
                ax.set_ylabel(label, fontsize=8)
            if i == len(series) - 1:
                ax.set_xlabel(YEAR_AXIS, fontsize=8)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=7)
            ax.ticklabel_format(axis="x", useOffset=False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if handles:
        fig.legend(
            handles,
            labels,
            loc="upper center",
            ncol=min(len(labels), 4),
            fontsize=8,
            handlelength=3.5,
            frameon=False,
            bbox_to_anchor=(0.5, 0.985),
        )
    fig.suptitle(title, fontsize=12, y=0.995)
    fig.tight_layout(rect=(0, 0, 1, 0.965))
    return fig


def _diff_series(series: list[tuple[str, str, float]]) -> list[tuple[str, str, float]]:
    return [
        (
            var,
            f"{label.split(' (')[0]}: % vs baseline" if var in PERCENT_VARIABLES else f"{label}: vs baseline",
            1.0 if var in PERCENT_VARIABLES else mult,
        )
        for var, label, mult in series
    ]


def difference_bands(diffs: pd.DataFrame) -> pd.DataFrame:
    """Band over seed pairs of the difference (percent for prices) per label, quarter, city, variable."""
    diffs = diffs.copy()
    diffs["shown"] = np.where(diffs["variable"].isin(PERCENT_VARIABLES), diffs["pct"], diffs["diff"])
    return band(diffs, ["label", "variable", "city", "quarter", "t"], "shown")


def plot_flows(sets: list[RunSet], flows: dict[str, dict[str, np.ndarray]], baseline: str) -> plt.Figure:
    """Flow matrices per run (rows) and panel (columns): counts; scenarios coloured by their difference."""
    names = [name for name, _, _ in FLOW_PANELS]
    fig, axes = plt.subplots(len(sets), len(names), figsize=(4.0 * len(names), 3.6 * len(sets)), squeeze=False)
    for i, run_set in enumerate(sets):
        for j, name in enumerate(names):
            ax = axes[i, j]
            m = flows[run_set.label][name]
            off = ~np.eye(4, dtype=bool)
            if run_set.label == baseline:
                shown = np.where(off, m, np.nan)
                ax.imshow(shown, cmap="Blues")
                texts = [[f"{m[a, b]:,.1f}" for b in range(4)] for a in range(4)]
            else:
                d = m - flows[baseline][name]
                vmax = float(np.abs(d[off]).max()) or 1.0
                ax.imshow(np.where(off, d, np.nan), cmap=DIVERGING_CMAP, norm=TwoSlopeNorm(0.0, -vmax, vmax))
                texts = [[f"{m[a, b]:,.1f}\n({d[a, b]:+,.1f})" for b in range(4)] for a in range(4)]
            for a in range(4):
                for b in range(4):
                    ax.text(
                        b,
                        a,
                        texts[a][b],
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="grey" if a == b else "black",
                        bbox=dict(fc="white", ec="none", alpha=0.6, pad=0.5),
                    )
            ax.set_xticks(range(4), CITIES)
            ax.set_yticks(range(4), CITIES)
            ax.set_xlabel("to (city)", fontsize=8)
            ax.set_ylabel(f"{run_set.label}\nfrom (city)" if j == 0 else "from (city)", fontsize=8)
            if i == 0:
                ax.set_title(name, fontsize=10)
    fig.suptitle(
        "Relocations between cities over the whole run, mean per replicate "
        "(firms; scenarios: count and difference from the baseline in brackets; dark = fewer, light = more)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def plot_map_changes(changes: dict[str, CellChange], cmap: Any) -> plt.Figure:
    """Rows of scenarios: % change in commercial rent and change in firms per km² vs the baseline."""
    fig, axes = plt.subplots(len(changes), 2, figsize=(15, 6.0 * len(changes)), squeeze=False)
    for i, (label, change) in enumerate(changes.items()):
        draw_change(
            cmap,
            change.rent_pct,
            f"{label}: commercial rent, % vs baseline, {change.quarter}",
            "% difference",
            axes[i, 0],
        )
        draw_change(
            cmap,
            change.firms_per_km2,
            f"{label}: firms per km², difference from baseline, {change.quarter}",
            "firms/km²",
            axes[i, 1],
        )
    fig.tight_layout()
    return fig


def plot_scenario_summary(
    label: str,
    baseline: str,
    summary: pd.DataFrame,
    diff_bands: pd.DataFrame,
    change: CellChange,
    flow_diff: np.ndarray,
    cmap: Any,
    n_pairs: int,
) -> plt.Figure:
    """One page for a scenario: final-year differences, difference paths, maps and flows."""
    fig, axes = plt.subplots(2, 3, figsize=(21, 12.5))
    ax = axes[0, 0]
    rows = summary[(summary["scenario"] == label) & summary["variable"].isin(SUMMARY_INDICATORS)]
    indicators = [v for v in SUMMARY_INDICATORS if v in set(rows["variable"])]
    for k, city in enumerate(CITIES):
        r = rows[rows["city"] == city].set_index("variable").reindex(indicators)
        y = np.arange(len(indicators)) + (k - 1.5) * 0.18
        mean = r["pct_mean"].to_numpy(dtype=float)
        err = np.vstack([mean - r["pct_p05"].to_numpy(dtype=float), r["pct_p95"].to_numpy(dtype=float) - mean])
        ax.errorbar(
            mean,
            y,
            xerr=np.nan_to_num(np.abs(err)),
            ms=4,
            label=geodata.CITY_NAMES[city],
            capsize=2,
            elinewidth=1,
            **{**city_style(city, markers=True), "linestyle": "none"},  # points, not a line across indicators
        )
    ax.axvline(0.0, color="black", lw=0.7)
    ax.set_yticks(range(len(indicators)), indicators, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("% difference from the baseline, final year (mean and 90% band over pairs)", fontsize=8)
    ax.legend(fontsize=7, frameon=False)
    ax.grid(alpha=0.3)
    ax.set_title("final-year indicators", fontsize=10)
    for ax, var, ylabel in (
        (axes[0, 1], "firms", "firms: difference from baseline"),
        (axes[0, 2], "mean_commercial_rent", "commercial rent: % difference from baseline"),
    ):
        d = diff_bands[(diff_bands["label"] == label) & (diff_bands["variable"] == var)]
        for city in CITIES:
            g = d[d["city"] == city].sort_values("t")
            x = quarter_axis(g["quarter"])
            ax.plot(x, g["mean"], lw=1.5, label=geodata.CITY_NAMES[city], **city_style(city))
            ax.fill_between(x, g["p05"], g["p95"], color=city_style(city)["color"], alpha=0.15, lw=0)
        ax.axhline(0.0, color="black", lw=0.7, ls="--")
        ax.ticklabel_format(axis="x", useOffset=False)
        ax.set_title(ylabel, fontsize=10)
        ax.set_ylabel("firms" if var == "firms" else "% difference", fontsize=8)
        ax.set_xlabel(YEAR_AXIS, fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, frameon=False)
    draw_change(cmap, change.rent_pct, f"commercial rent, % vs baseline, {change.quarter}", "% difference", axes[1, 0])
    draw_change(cmap, change.firms_per_km2, f"firms per km², difference, {change.quarter}", "firms/km²", axes[1, 1])
    ax = axes[1, 2]
    off = ~np.eye(4, dtype=bool)
    vmax = float(np.abs(flow_diff[off]).max()) or 1.0
    ax.imshow(np.where(off, flow_diff, np.nan), cmap=DIVERGING_CMAP, norm=TwoSlopeNorm(0.0, -vmax, vmax))
    for a in range(4):
        for b in range(4):
            ax.text(
                b,
                a,
                f"{flow_diff[a, b]:+,.1f}",
                ha="center",
                va="center",
                fontsize=9,
                color="grey" if a == b else "black",
                bbox=dict(fc="white", ec="none", alpha=0.6, pad=0.5),
            )
    ax.set_xticks(range(4), CITIES)
    ax.set_yticks(range(4), CITIES)
    ax.set_xlabel("to (city)")
    ax.set_ylabel("from (city)")
    ax.set_title("whole-firm moves over the run: difference from baseline (mean per replicate)", fontsize=10)
    fig.suptitle(f"{label} vs {baseline}: {n_pairs} paired replicate(s)", fontsize=14)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig


def plot_replicate_summary(
    summary: pd.DataFrame, plots_dir: Path, title: str = "", fmt: str = "png", dpi: int = DEFAULT_DPI
) -> list[Path]:
    """Plots of a replicate set: the city time series, mean and 90% band over replicates.

    Args:
        summary: The ``summary_city_quarter`` table of :func:`app.experiments.summarise_replicates`.
        plots_dir: Output folder (created if needed).
        title: Figure title (scenario and number of replicates).
        fmt: File format: png, svg or pdf.
        dpi: Resolution of raster output.

    Returns:
        Paths of the files written.
    """
    paths = []
    fig, axes = plt.subplots(3, 3, figsize=(14, 10), sharex=True)
    for ax, (var, label, mult) in zip(axes.ravel(), SERIES):
        rows = summary[summary["variable"] == var]
        for city in CITIES:
            g = rows[rows["city"] == city].sort_values("t")
            x = quarter_axis(g["quarter"])
            ax.plot(x, g["mean"] * mult, lw=1.5, label=geodata.CITY_NAMES[city], **city_style(city))
            ax.fill_between(x, g["p05"] * mult, g["p95"] * mult, color=city_style(city)["color"], alpha=0.15, lw=0)
        ax.set_title(label, fontsize=9)
        ax.set_ylabel(label, fontsize=7)
        ax.grid(alpha=0.3)
        ax.ticklabel_format(axis="x", useOffset=False)
        if var in ("mean_commercial_rent", "mean_house_price", "mean_wage", "output"):
            ax.set_yscale("log")
    for ax in axes[-1]:
        ax.set_xlabel(YEAR_AXIS)
    axes[0, 0].legend(fontsize=8, frameon=False, handlelength=3)
    fig.suptitle(f"{title}: city time series, mean and 90% band over replicates", fontsize=12)
    fig.tight_layout()
    paths.append(_save(fig, figure_path(plots_dir, "city_series", fmt), dpi=dpi))
    return paths


# --------------------------------------------------------------------------------------------
# the comparison


def compare_runs(paths: list[str | Path], out_dir: Path, fmt: str = "png", dpi: int = DEFAULT_DPI) -> dict[str, Any]:
    """Compare runs against the baseline and write figures, the summary table and provenance.

    Args:
        paths: Run, replicate-set or sweep directories (the baseline among them).
        out_dir: Output directory.
        fmt: Figure format: png, svg or pdf (``output.format``).
        dpi: Resolution of raster figures (``output.dpi``).

    Returns:
        The provenance written (labels, seeds, files).

    Raises:
        CompareError: for runs that are missing, incomplete or not paired with the baseline.
    """
    sets = check_compare(paths, out_dir)
    try:
        return _compare(sets, Path(out_dir), fmt, dpi)
    except (OSError, ValueError) as err:  # a table that became unreadable after it was checked
        if isinstance(err, CompareError):
            raise
        raise CompareError(f"a compared run could not be read: {str(err).splitlines()[0]}; rerun it.") from None


def check_compare(paths: list[str | Path], out_dir: Path) -> list[RunSet]:
    """Check everything a comparison needs before anything is written.

    The runs must be complete, undamaged and paired with the baseline; the output folder must be
    writable, must not be (or lie inside) a compared run, must not be a sweep folder, and may
    hold only a comparison of the same runs.

    Args:
        paths: Run, replicate-set or sweep directories (the baseline among them).
        out_dir: Output directory.

    Returns:
        The run sets, the baseline first.

    Raises:
        CompareError: naming the run or folder and the problem.
    """
    sets = load_run_sets(paths)
    baseline = choose_baseline(sets)
    check_pairing(sets, baseline)
    out = Path(out_dir)
    try:
        check_writable(out)
    except ConfigError as err:
        raise CompareError(str(err)) from None
    resolved = out.resolve()
    for run_set in sets:
        for run_dir in [run_set.source, *run_set.runs.values()]:
            inside = run_dir.resolve()
            if resolved == inside or inside in resolved.parents:
                raise CompareError(
                    f"--out {out} is inside the compared run {run_dir}: the comparison would overwrite it. "
                    "Choose another output folder."
                )
    if is_multirun_dir(out):
        raise CompareError(f"--out {out} is a sweep folder; choose another output folder.")
    held = recorded_provenance(out)
    if held and held.get("status") == "complete":
        inputs = sorted(str(Path(str(p)).resolve()) for p in paths)
        if held.get("kind") != "compare":
            raise CompareError(
                f"--out {out} holds a finished {held.get('kind', 'output')}; it is left as it is. "
                "Choose another output folder."
            )
        if sorted(held.get("inputs", [])) != inputs:
            raise CompareError(
                f"--out {out} holds a comparison of other runs; it is left as it is. Choose another output folder, "
                "or delete it to replace it."
            )
    return [baseline] + [s for s in sets if s is not baseline]


def _compare(sets: list[RunSet], out_dir: Path, fmt: str = "png", dpi: int = DEFAULT_DPI) -> dict[str, Any]:
    """Draw and write a comparison of checked run sets (the baseline first) into ``out_dir``."""
    baseline = sets[0]
    scenarios = sets[1:]
    out_dir = begin_run(Path(out_dir))
    figures = out_dir / "figures"
    log.info("compare: baseline %s; %s", baseline.label, ", ".join(s.label for s in scenarios))

    city = load_city_quarter(sets)
    variables = variables_of(city)
    smoothed = smooth_flows(city)
    colours = _colours([s.label for s in sets])
    written: list[Path] = []

    levels = band(
        smoothed.melt(
            id_vars=["label", "seed", "quarter", "t", "city"],
            value_vars=[v for v, _, _ in KEY_SERIES],
            var_name="variable",
        ),
        ["label", "variable", "city", "quarter", "t"],
        "value",
    )
    n = len(baseline.seeds)
    written.append(
        _save(
            plot_band_grid(
                levels,
                KEY_SERIES,
                "label",
                colours,
                f"City time series: mean and 90% band over {n} replicate(s) per run",
            ),
            figure_path(figures, "city_series", fmt),
            dpi,
        )
    )
    diffs = paired_differences(smoothed, baseline.label, [v for v, _, _ in KEY_SERIES])
    diff_bands = difference_bands(diffs)
    written.append(
        _save(
            plot_band_grid(
                diff_bands,
                _diff_series(KEY_SERIES),
                "label",
                {s.label: colours[s.label] for s in scenarios},
                f"Difference from {baseline.label}: mean and 90% band over {n} paired replicate(s)",
                zero_line=True,
            ),
            figure_path(figures, "difference_from_baseline", fmt),
            dpi,
        )
    )

    summary = final_year_summary(city, baseline.label)
    write_parquet(summary, out_dir / "compare_summary.parquet")
    tmp = out_dir / "compare_summary.csv.tmp"
    summary.to_csv(tmp, index=False)
    tmp.replace(out_dir / "compare_summary.csv")

    cmap = corridor_map(baseline.config)
    changes = {s.label: cell_changes(s, baseline, cmap.cell_area_km2) for s in scenarios}
    written.append(_save(plot_map_changes(changes, cmap), figure_path(figures, "maps_change", fmt), dpi))
    flows = {s.label: mean_flows(s) for s in sets}
    written.append(_save(plot_flows(sets, flows, baseline.label), figure_path(figures, "relocation_flows", fmt), dpi))
    page_bands = difference_bands(paired_differences(city, baseline.label, ["firms", "mean_commercial_rent"]))
    for s in scenarios:
        fig = plot_scenario_summary(
            s.label,
            baseline.label,
            summary,
            page_bands,
            changes[s.label],
            flows[s.label]["all firms"] - flows[baseline.label]["all firms"],
            cmap,
            n,
        )
        written.append(_save(fig, figure_path(figures, f"summary_{slug(s.label)}", fmt), dpi))

    prov = provenance(
        "compare",
        baseline=baseline.label,
        runs=[
            {
                "label": s.label,
                "scenario": s.scenario_name,
                "source": str(s.source),
                "seeds": s.seeds,
                "run_dirs": [str(s.runs[k]) for k in s.seeds],
            }
            for s in sets
        ],
        inputs=sorted({str(s.source.resolve()) for s in sets}),
        variables=variables,
        figures=[str(p.relative_to(out_dir)) for p in written],
        tables=["compare_summary.parquet", "compare_summary.csv"],
    )
    prov = mark_complete(out_dir, prov, [out_dir / "compare_summary.parquet", out_dir / "compare_summary.csv"])
    log.info("compare: %d figures and compare_summary -> %s", len(written), out_dir)
    return prov
