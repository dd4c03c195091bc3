"""The model's implied relocation elasticities, measured on its own choice probabilities.

    python run.py mode=elasticity                       # 10 seeds, a 10% sample, after one year
    python run.py mode=elasticity elasticity.seeds=20

For each seed the model runs ``elasticity.quarters`` quarters; then, on the state it reached
(nothing is changed: the perturbed quantities live in copies), it computes:

* **firms** — for every Shenzhen firm, the logit probability that a review sends it (the whole
  firm) to another city, with Shenzhen's lease rents as they are and 1% higher; per size class,
  the yearly share of Shenzhen firms that leave (review probability × move probability × 4) and
  its change per 1% rise in Shenzhen rent (in percentage points and as an elasticity); and, for
  all Shenzhen firms, the same per 1% rise in Shenzhen's wage per unit skill;
* **talent** — for every talent living in Shenzhen, the quarterly probability of leaving
  Shenzhen (leaving the region, or a home review choosing a home elsewhere) with Shenzhen's
  residential rents (so house prices, which capitalise them) as they are and 1% higher; the
  yearly share and its change per 1% rise in Shenzhen house prices.

Written: ``elasticity.csv`` and ``elasticity.md`` (mean and 90% band over seeds).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor_abm.agents import firms as fm
from corridor_abm.app.sample import SampleParams, write_result_table
from corridor_abm.model.config import Config
from corridor_abm.model.params import param
from corridor_abm.model.rng import replicate_seeds
from corridor_abm.model.runio import begin_run, mark_complete, provenance
from corridor_abm.model.state import SIZE_CLASSES, SZ, State

log = logging.getLogger("corridor.elasticity")

RISE = 0.01
"""The rise of Shenzhen's rents the derivatives are taken over (1%)."""


@dataclass
class ElasticityParams(SampleParams):
    """The elasticity measurement (``python run.py mode=elasticity``; run control)."""

    quarters: int = param(4, "quarters", "Quarters simulated before measuring", lo=1, hi=400, source="run setting")
    draws: int = param(
        4,
        "draws",
        "Candidate draws per chooser (the probabilities average over them)",
        lo=1,
        hi=100,
        source="run setting",
    )


def _sz_rent_lease(lease: Any, s: State, factor: float) -> Any:
    """A copy of a lease market whose Shenzhen rents are ``factor`` × (clearing rents scale with
    background spending)."""
    out = object.__new__(type(lease))
    out.__dict__.update(lease.__dict__)
    out.background = np.where(s.cells.city == SZ, lease.background * factor, lease.background)
    return out


def firm_leave_probabilities(s: State, cfg: Config, rng: np.random.Generator, draws: int) -> dict[str, np.ndarray]:
    """Per Shenzhen firm: P(a review moves the whole firm out of Shenzhen), at today's rents and
    wages, at 1% higher Shenzhen rents, and at 1% higher Shenzhen wages per unit skill (mean over
    candidate draws). Nothing in ``s`` changes."""
    from corridor_abm.model.processes import location
    from corridor_abm.model.processes.markets import LeaseMarket

    firms = s.firms
    alive = firms.alive_index()
    idx = alive[(s.cells.city[firms.cell[alive]] == SZ) & (firms.workers[alive] > 0)]
    lease = LeaseMarket(s, cfg)
    dearer = _sz_rent_lease(lease, s, 1.0 + RISE)
    rent = np.where(s.cells.city == SZ, s.cells.com_rent * (1.0 + RISE), s.cells.com_rent)
    s_dear = dataclasses.replace(s, cells=dataclasses.replace(s.cells, com_rent=rent))
    wage = np.where(np.arange(s.cities.wage.size) == SZ, s.cities.wage * (1.0 + RISE), s.cities.wage)
    s_wage = dataclasses.replace(s, cities=dataclasses.replace(s.cities, wage=wage))
    base, high, high_wage = np.zeros(idx.size), np.zeros(idx.size), np.zeros(idx.size)
    k = cfg.location.candidates
    for _ in range(draws):
        cand = location.candidate_sites(s, rng, s.cells.city[firms.cell[idx]], k)
        out_of_sz = (cand >= 0) & (s.cells.city[np.maximum(cand, 0)] != SZ)
        for state, market, acc in ((s, lease, base), (s_dear, dearer, high), (s_wage, lease, high_wage)):
            p = location.choice_probabilities(
                location.move_values(state, cfg, market, idx, cand), cfg.location.taste_sd
            )
            acc += (p[:, 1 : k + 1] * out_of_sz).sum(axis=1) / draws
    size = fm.size_class((firms.workers[idx] + firms.workers_div[idx]) * s.talent_scale)
    return {"base": base, "high": high, "high_wage": high_wage, "size": size}


def talent_leave_probabilities(s: State, cfg: Config, rng: np.random.Generator, draws: int) -> dict[str, np.ndarray]:
    """Per talent living in Shenzhen: P(leaving Shenzhen in a quarter) — leaving the region, or
    a home review choosing a home in another city — at today's and 1% higher Shenzhen rents."""
    from corridor_abm.model import views
    from corridor_abm.model.processes import migration

    tp, talent = cfg.talent, s.talent
    alive = talent.alive_index()
    idx = alive[s.cells.city[np.maximum(talent.home[alive], 0)] == SZ]
    res = np.where(s.cells.city == SZ, s.cells.res_rent * (1.0 + RISE), s.cells.res_rent)
    s_dear = dataclasses.replace(s, cells=dataclasses.replace(s.cells, res_rent=res))
    out = {}
    for name, state in (("base", s), ("high", s_dear)):
        unemployed = talent.employer[idx] < 0
        p0 = np.where(unemployed, tp.unemployed_exit_rate, tp.outflow_rate)
        unhappy = views.current_utility(state, cfg, idx) < views.reservation_now(state, cfg, idx)
        leave_region = 1.0 - (1.0 - p0) * np.where(unhappy, 1.0 - tp.dissatisfied_exit_rate, 1.0)
        move = np.zeros(idx.size)
        for _ in range(draws):
            cand, util, _, _, _ = migration.home_options(state, cfg, idx, rng, allow_stay=True)
            z = np.where(np.isfinite(util), util / max(tp.taste_sd, 1e-9), -np.inf)
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            away = (cand >= 0) & (s.cells.city[np.maximum(cand, 0)] != SZ)
            move += (p * away).sum(axis=1) / draws
        out[name] = leave_region + (1.0 - leave_region) * tp.home_review_share * move
    return out


def _run(task: tuple[Config, int]) -> dict[str, Any]:
    """One seed: run, then measure (runs in a worker process)."""
    from corridor_abm.calibration.evaluate import released_models
    from corridor_abm.model.corridor import CorridorModel

    cfg, draws = task
    logging.getLogger("MESA").setLevel(logging.WARNING)
    with released_models():
        model = CorridorModel(cfg)
        model.run()
        rng = np.random.default_rng(cfg.seed)
        firm = firm_leave_probabilities(model.state, model.cfg, rng, draws)
        talent = talent_leave_probabilities(model.state, model.cfg, rng, draws)
    review = cfg.location.review_probability
    rows = {}
    for k, name in (*enumerate(SIZE_CLASSES), (-1, "all")):
        m = firm["size"] == k if k >= 0 else np.ones(firm["size"].size, dtype=bool)
        if not m.any():
            continue
        base = 4 * review * float(firm["base"][m].mean())
        high = 4 * review * float(firm["high"][m].mean())
        rows[f"firms_{name}"] = (base, high, int(m.sum()))
    if "firms_all" in rows:  # the same firms and base share as "all", against 1% higher Shenzhen wages
        base_all, _, n_all = rows["firms_all"]
        rows["firms_wage"] = (base_all, 4 * review * float(firm["high_wage"].mean()), n_all)
    base = 1.0 - (1.0 - float(talent["base"].mean())) ** 4
    high = 1.0 - (1.0 - float(talent["high"].mean())) ** 4
    rows["talent"] = (base, high, int(talent["base"].size))
    return rows


def elasticity_table(settings: Any, workers: int) -> pd.DataFrame:
    """Yearly leaving shares and their response to a 1% rise, per group, over seeds."""
    from corridor_abm.calibration.evaluate import run_parallel
    from corridor_abm.calibration.spec import apply_values
    from corridor_abm.model.config import only_model

    ep = settings.elasticity
    seeds = replicate_seeds(settings.seed, ep.seeds)
    base = apply_values(only_model(settings), ep.sample())
    tasks = [(apply_values(base, {"seed": int(seed)}, check=False), ep.draws) for seed in seeds]
    results = run_parallel(_run, tasks, workers)
    rows = []
    for group in [*(f"firms_{c}" for c in (*SIZE_CLASSES, "all")), "firms_wage", "talent"]:
        got = [r[group] for r in results if group in r]
        if not got:
            continue
        base_share = np.array([g[0] for g in got])
        high_share = np.array([g[1] for g in got])
        points = (high_share - base_share) * 100.0  # percentage points per 1% rise
        # a seed where no one in the group would leave has no elasticity (not −100)
        with np.errstate(divide="ignore", invalid="ignore"):
            elasticity = np.where(base_share > 0, (high_share / base_share - 1.0) / RISE, np.nan)
        what = {"firms_wage": "Shenzhen wages", "talent": "Shenzhen house prices"}.get(group, "Shenzhen rent")
        for stat, values in (
            ("yearly share leaving", base_share),
            ("points per 1% rise", points),
            ("elasticity", elasticity),
        ):
            finite = values[np.isfinite(values)]
            lo, hi = np.quantile(finite, [0.05, 0.95]) if finite.size else (np.nan, np.nan)
            rows.append(
                {
                    "group": group,
                    "driver": what,
                    "statistic": stat,
                    "mean": float(finite.mean()) if finite.size else np.nan,
                    "p05": float(lo),
                    "p95": float(hi),
                    "seeds": int(finite.size),
                    "choosers": int(np.mean([g[2] for g in got])),
                }
            )
    return pd.DataFrame(rows)


def elasticity_markdown(table: pd.DataFrame) -> str:
    """The table as Markdown."""
    names = {
        "firms_small": "Shenzhen firms, small (< 100)",
        "firms_medium": "Shenzhen firms, medium (100–999)",
        "firms_large": "Shenzhen firms, large (≥ 1,000)",
        "firms_all": "Shenzhen firms, all",
        "firms_wage": "Shenzhen firms, all",
        "talent": "talent living in Shenzhen",
    }
    lines = [
        "| who | driver (+1%) | share leaving Shenzhen per year | change, percentage points | elasticity |",
        "|---|---|---|---|---|",
    ]
    n_seeds = int(table["seeds"].max())
    for group, sub in table.groupby("group", sort=False):
        cell = {}
        for r in sub.itertuples():
            if r.statistic == "yearly share leaving":
                cell[r.statistic] = f"{r.mean:.2%} [{r.p05:.2%}, {r.p95:.2%}]"
            elif r.statistic == "points per 1% rise":
                cell[r.statistic] = f"{r.mean:+.3f} [{r.p05:+.3f}, {r.p95:+.3f}]"
            elif np.isfinite(r.mean):
                cell[r.statistic] = f"{r.mean:+.2f} [{r.p05:+.2f}, {r.p95:+.2f}]"
                if r.seeds < n_seeds:  # seeds where no one in the group would leave have none
                    cell[r.statistic] += f" ({r.seeds} of {n_seeds} seeds)"
            else:
                cell[r.statistic] = "— (no one leaves)"
        lines.append(
            f"| {names.get(group, group)} | {sub['driver'].iloc[0]} | {cell['yearly share leaving']} | "
            f"{cell['points per 1% rise']} | {cell['elasticity']} |"
        )
    lines.append("")
    lines.append("Mean over seeds with a 90% band; firms: whole-firm moves to another city of the corridor.")
    return "\n".join(lines) + "\n"


def elasticity_mode(settings: Any, out_dir: Path) -> None:
    """``python run.py mode=elasticity``: the implied elasticities into ``out_dir``."""
    start = time.perf_counter()
    out_dir = begin_run(out_dir)
    table = elasticity_table(settings, settings.workers)
    files = write_result_table(out_dir, "elasticity", table, elasticity_markdown(table))
    mark_complete(out_dir, provenance("elasticity", settings, time.perf_counter() - start), files)
    log.info("elasticity -> %s", out_dir)
