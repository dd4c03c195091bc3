"""Speed and memory benchmark: agent-steps per second and peak memory by population size.

    python scripts/benchmark.py                 # 10k, 100k and 1M talent (firms = talent / 10)
    python scripts/benchmark.py --sizes 10000 --quarters 4
    python scripts/benchmark.py --default-run   # also time the default 25k-firm, 250k-talent run
    python scripts/benchmark.py --sizes 10000 --target   # and issue 13's 100k firms + 500k talent

Each size runs in a fresh process (so peak memory is that run's own) with BLAS limited to one
thread. An agent-step is one agent (firm or talent) through one quarter. Set-up (map, travel
matrix, initial population, burn-in) is timed separately from the quarters.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine_summary() -> str:
    """One line naming what the figures were measured on: CPU model, cores, numpy and the SIMD
    extensions its dispatcher found (the same code ran 1.7–2.5 times slower on one two-core
    machine of this project than on another: README, Speed; a figure is read with its machine)."""
    import platform

    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:  # numpy's own record of the extensions it dispatches to (what np.show_runtime prints)
        from numpy._core._multiarray_umath import __cpu_features__ as features

        simd = ", ".join(name for name in ("X86_V2", "X86_V3", "X86_V4", "AVX2", "AVX512F") if features.get(name))
    except ImportError:
        simd = "unknown"
    return f"machine: {cpu}, {os.cpu_count()} cores, numpy {np.__version__} (SIMD found: {simd or 'none listed'})"


def _measure(n_talent: int, quarters: int, n_firms: int | None, population_share: float | None) -> dict:
    sys.path.insert(0, str(ROOT))
    import logging

    logging.getLogger("MESA").setLevel(logging.WARNING)
    from corridor_abm.app.settings import compose_config
    from corridor_abm.model.corridor import CorridorModel

    cfg = compose_config("baseline")  # what `python run.py` runs: the calibrated baseline
    cfg.n_talent = n_talent
    cfg.n_firms = n_firms if n_firms is not None else max(n_talent // 10, 40)
    if population_share is not None:
        cfg.population_share = population_share
    cfg.quarters = quarters
    t0 = time.perf_counter()
    model = CorridorModel(cfg)
    t1 = time.perf_counter()
    c1 = time.process_time()
    agent_steps = 0
    for _ in range(quarters):
        agent_steps += model.state.talent.count + model.state.firms.count
        model.step()
    t2 = time.perf_counter()
    cpu = time.process_time() - c1
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    phases = {name: round(1000 * sec / quarters, 1) for name, sec in model.phase_seconds.items()}
    return {
        "talent": n_talent,
        "firms": cfg.n_firms,
        "quarters": quarters,
        "setup_s": round(t1 - t0, 2),
        "run_s": round(t2 - t1, 2),
        "s_per_quarter": round((t2 - t1) / quarters, 3),
        "cpu_s_per_quarter": round(cpu / quarters, 3),
        "agent_steps_per_s": round(agent_steps / (t2 - t1)),
        "peak_memory_mb": round(peak_kb / 1024),
        "funds": len(model.state.capital.funds),
        "ms_per_quarter_by_phase": phases,
    }


def _docking(firms_sizes: list[int], limit_s: float) -> list[dict]:
    """The per-agent Mesa reference (model/reference.py) and the vectorised kernels side by side,
    in this process: the location review and the labour matching of one quarter, on twin models
    in the same state. Agent-steps: every living firm (each draws whether it reviews) plus every
    searcher. The reference stops after ``limit_s`` seconds per phase; its rate is then that of
    the agents it got through (stated in the table)."""
    sys.path.insert(0, str(ROOT))
    import logging

    import numpy as np

    logging.getLogger("MESA").setLevel(logging.WARNING)
    from corridor_abm.app.settings import compose_config
    from corridor_abm.model.corridor import CorridorModel
    from corridor_abm.model.processes import labour, location
    from corridor_abm.model.processes.production import update_workforce
    from corridor_abm.model.reference import ReferenceCorridor, TimeLimitReached
    from corridor_abm.model.rng import RandomStreams

    rows = []
    for n_firms in firms_sizes:
        over = [f"n_firms={n_firms}", f"n_talent={10 * n_firms}", f"population_share={min(1.0, n_firms / 25_000)}"]
        twins = []
        for _ in range(2):
            m = CorridorModel(compose_config("baseline", [*over, "quarters=4"]))
            m.step()
            update_workforce(m.state, m.cfg)
            twins.append(m)
        vec, ref = twins
        streams = RandomStreams(1)
        s = vec.state
        searchers = np.flatnonzero(s.talent.alive & (s.talent.employer < 0))
        vacancies = labour.workforce_targets(s, vec.cfg, streams.get("labour", 0))
        labour.workforce_targets(ref.state, ref.cfg, streams.get("labour", 0))
        firms_alive = s.firms.count
        t0 = time.perf_counter()
        location.review_locations(s, vec.cfg, streams.get("location", 0))
        labour.match(s, vec.cfg, searchers, vacancies.copy(), streams.get("match", 0), newcomers=False)
        vec_s = time.perf_counter() - t0
        vec_rate = (firms_alive + searchers.size) / vec_s

        t0 = time.perf_counter()
        reference = ReferenceCorridor(ref.state, ref.cfg)
        build_s = time.perf_counter() - t0
        by_index = {w.index: w for w in reference.talent_agents}
        done, spent, stopped = 0, 0.0, False
        for phase in ("location", "matching"):
            start = time.perf_counter()
            reference.deadline = start + limit_s
            try:
                if phase == "location":
                    reference.review_locations(streams.get("location", 0))
                    done += firms_alive
                else:
                    agents = [by_index[int(i)] for i in searchers]
                    start = time.perf_counter()
                    reference.deadline = start + limit_s
                    reference.match(streams.get("match", 0), agents, vacancies.copy())
                    done += searchers.size
            except TimeLimitReached as stop:
                # the firms' draws are cheap: count the reviewers that decided, scaled to all firms
                done += stop.decided if phase == "matching" else int(stop.decided / location_share(vec.cfg))
                stopped = True
            spent += time.perf_counter() - start
        ref_rate = done / spent
        rows.append(
            {
                "firms": n_firms,
                "talent": 10 * n_firms,
                "searchers": int(searchers.size),
                "vectorised_agent_steps_per_s": round(vec_rate),
                "reference_agent_steps_per_s": round(ref_rate),
                "ratio": round(vec_rate / ref_rate, 1),
                "reference_build_s": round(build_s, 2),
                "reference_stopped_at_limit": stopped,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
        del vec, ref, twins, reference, by_index, m
    return rows


def _kernels(cell_kms: list[float], repeats: int = 5) -> list[dict]:
    """The agglomeration kernel (τ = firms.agglomeration_minutes) applied to employment by
    sector, (n, 4) float32: the dense matrix against the grid convolution (model/kernels.py), and
    what a truncated sparse kernel would keep. The dense matrix is built in blocks of rows, so
    that it fits at 1 km (1.1 GB)."""
    sys.path.insert(0, str(ROOT))
    import numpy as np
    from scipy import sparse

    from corridor_abm.app.settings import compose_config
    from corridor_abm.model.geography import build_map, travel_minutes
    from corridor_abm.model.kernels import GridKernel

    rows = []
    for km in cell_kms:
        cfg = compose_config("baseline", [f"map.cell_km={km}"])
        tau = np.float32(cfg.firms.agglomeration_minutes)
        cmap = build_map(cfg.map)
        n = cmap.n_cells
        values = np.random.default_rng(0).random((n, 4)).astype(np.float32)
        t0 = time.perf_counter()
        grid = GridKernel(cmap, cfg.transport, float(tau))
        grid_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(repeats):
            by_grid = grid.apply(values)
        grid_apply = (time.perf_counter() - t0) / repeats
        t0 = time.perf_counter()
        dense = np.empty((n, n), dtype=np.float32)
        idx = np.arange(n)
        kept = {1e-3: 0, 1e-2: 0}
        for start in range(0, n, 2000):
            block = idx[start : start + 2000]
            dense[block] = np.exp(-travel_minutes(cmap, cfg.transport, block[:, None], idx[None, :]) / tau)
            for cut in kept:
                kept[cut] += int(np.count_nonzero(dense[block] >= cut))
        dense_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(repeats):
            by_dense = dense @ values
        dense_apply = (time.perf_counter() - t0) / repeats
        sparse_apply = None
        if n * n * kept[1e-3] / (n * n) * 12 < 2e9:  # CSR of float32 + int32 indices under 2 GB
            csr = sparse.csr_matrix(np.where(dense >= 1e-3, dense, 0.0))
            t0 = time.perf_counter()
            for _ in range(repeats):
                csr @ values
            sparse_apply = round(1000 * (time.perf_counter() - t0) / repeats, 2)
            del csr
        rows.append(
            {
                "cell_km": km,
                "cells": n,
                "dense_mb": round(dense.nbytes / 2**20),
                "grid_mb": round(grid.nbytes / 2**20),
                "dense_build_s": round(dense_build, 2),
                "grid_build_s": round(grid_build, 2),
                "dense_apply_ms": round(1000 * dense_apply, 2),
                "grid_apply_ms": round(1000 * grid_apply, 2),
                "sparse_1e-3_apply_ms": sparse_apply,
                "kept_at_1e-3": round(kept[1e-3] / n**2, 3),
                "kept_at_1e-2": round(kept[1e-2] / n**2, 3),
                "max_rel_diff": float(np.max(np.abs(by_grid - by_dense) / np.abs(by_dense))),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
        del dense, grid
    return rows


def location_share(cfg) -> float:
    """Share of firms that review their location in a quarter."""
    return cfg.location.review_probability


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--default-run", action="store_true", help="also time the default 80-quarter run")
    parser.add_argument(
        "--full", action="store_true", help="also time the 1:1 corridor (scale=full: 3.92M talent, 25,000 firms)"
    )
    parser.add_argument(
        "--target",
        action="store_true",
        help="also time issue 13's target size: 100,000 firms and 500,000 talent (5M agent-steps/s asked)",
    )
    parser.add_argument(
        "--docking",
        type=int,
        nargs="*",
        metavar="FIRMS",
        help="per-agent Mesa reference against the vectorised kernels at these firm counts "
        "(default 1000 10000 100000; talent = 10 x firms), in this process",
    )
    parser.add_argument(
        "--kernels",
        type=float,
        nargs="*",
        metavar="KM",
        help="dense against grid-convolution kernels at these cell sizes (default 2 1)",
    )
    parser.add_argument("--limit", type=float, default=60.0, help="seconds the reference may take per phase")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--firms", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.kernels is not None:
        rows = _kernels(args.kernels or [2.0, 1.0])
        print()
        print(
            "| cell | cells | dense MB | grid MB | dense build (s) | grid build (s) | dense apply (ms) | "
            "grid apply (ms) | sparse ≥1e-3 apply (ms) | pairs ≥1e-3 | pairs ≥1e-2 | max rel. diff |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            sp = r["sparse_1e-3_apply_ms"] if r["sparse_1e-3_apply_ms"] is not None else "—"
            print(
                f"| {r['cell_km']:g} km | {r['cells']:,} | {r['dense_mb']:,} | {r['grid_mb']} | {r['dense_build_s']} | "
                f"{r['grid_build_s']} | {r['dense_apply_ms']} | {r['grid_apply_ms']} | {sp} | "
                f"{r['kept_at_1e-3']:.0%} | {r['kept_at_1e-2']:.0%} | {r['max_rel_diff']:.1e} |"
            )
        return

    if args.docking is not None:
        rows = _docking(args.docking or [1_000, 10_000, 100_000], args.limit)
        print()
        print("| firms | talent | searchers | vectorised agent-steps/s | per-agent Mesa agent-steps/s | ratio | note |")
        print("|---:|---:|---:|---:|---:|---:|---|")
        for r in rows:
            note = f"reference stopped after {args.limit:g} s per phase" if r["reference_stopped_at_limit"] else ""
            print(
                f"| {r['firms']:,} | {r['talent']:,} | {r['searchers']:,} | {r['vectorised_agent_steps_per_s']:,} | "
                f"{r['reference_agent_steps_per_s']:,} | {r['ratio']}× | {note} |"
            )
        return

    if args.one is not None:
        print(json.dumps(_measure(args.one, args.quarters, args.firms, None)))
        return

    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    jobs = [(n, args.quarters, None) for n in args.sizes]
    if args.target:
        jobs.append((500_000, args.quarters, 100_000))
    if args.full:
        jobs.append((3_920_000, args.quarters, 25_000))
    if args.default_run:
        jobs.append((250_000, 80, 25_000))
    print(machine_summary())
    print(f"load average at start: {os.getloadavg()}", flush=True)
    rows = []
    for n, q, firms in jobs:
        cmd = [sys.executable, __file__, "--one", str(n), "--quarters", str(q)]
        if firms is not None:
            cmd += ["--firms", str(firms)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    print(f"load average at end: {os.getloadavg()}")
    print()
    print(
        "| talent | firms | quarters | set-up (s) | s per quarter | CPU s per quarter | agent-steps/s | "
        "peak memory (MB) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['talent']:,} | {r['firms']:,} | {r['quarters']} | {r['setup_s']} | {r['s_per_quarter']} | "
            f"{r['cpu_s_per_quarter']} | {r['agent_steps_per_s']:,} | {r['peak_memory_mb']:,} |"
        )
    if len(rows) >= 2:
        import math

        small = next((r for r in rows if r["talent"] == 100_000), rows[0])
        large = max(rows[: len(rows) - (1 if args.default_run else 0)], key=lambda r: r["talent"] + r["firms"])
        if large is not small:
            n1, n2 = small["talent"] + small["firms"], large["talent"] + large["firms"]
            exponent = math.log(large["cpu_s_per_quarter"] / small["cpu_s_per_quarter"]) / math.log(n2 / n1)
            print(f"\nCost exponent from {n1:,} to {n2:,} agents (CPU s per quarter ∝ agents^b): b = {exponent:.2f}")
    print()
    names = list(rows[0]["ms_per_quarter_by_phase"])
    print("Milliseconds per quarter by phase:")
    print()
    print("| talent | " + " | ".join(names) + " |")
    print("|---:|" + "---:|" * len(names))
    for r in rows:
        print(f"| {r['talent']:,} | " + " | ".join(str(r["ms_per_quarter_by_phase"][n]) for n in names) + " |")


if __name__ == "__main__":
    main()
