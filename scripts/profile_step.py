"""Profile the model's quarter at one population size: by function (cProfile) or by line.

    python scripts/profile_step.py                       # 100k firms + 500k talent, cProfile, top 30
    python scripts/profile_step.py --talent 250000 --firms 25000 --quarters 10
    python scripts/profile_step.py --lines               # line by line (needs `pip install line_profiler`)
    python scripts/profile_step.py --floor               # what the random draws and powers cost

The model is built, runs one quarter unprofiled (so one-off work is not counted), then the
profiled quarters. ``--lines`` profiles the functions the quarter spent most in at the target
size (listed in ``HOT``); times are printed in milliseconds over all profiled quarters.

``--floor`` times the quarters unprofiled, then runs as many more counting every random number
the model's streams draw and every element of the transcendental functions it evaluates
(``np.power``, ``np.log``, ``np.exp``, ...; the step has no ``**`` on arrays), with the time each
call took, and compares them with the time one agent-step budget allows at the rate issue 13
asks (5 million agent-steps per second) and with one pass of a multiply over arrays as long as
the population. Draws and transcendental functions are work any implementation of the same
arithmetic must do, compiled or not; the report is by kind and by call site.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import logging
import os
import pstats
import sys
import time
import traceback
from pathlib import Path

import numpy as np

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOT = [
    ("corridor_abm.model.processes.venture", "_deals"),
    ("corridor_abm.model.processes.location", "move_values"),
    ("corridor_abm.model.processes.location", "_apply_moves"),
    ("corridor_abm.model.processes.migration", "choose_homes"),
    ("corridor_abm.model.processes.labour", "match"),
    ("corridor_abm.model.processes.production", "update_workforce"),
    ("corridor_abm.model.processes.production", "update_floor"),
]
"""(module, function) profiled line by line with ``--lines``."""

TRANSCENDENTAL = ("power", "log", "exp", "log1p", "expm1", "sqrt")
"""numpy functions whose elements ``--floor`` counts and times."""

TARGET_RATE = 5_000_000
"""Agent-steps per second issue 13 asks for at 100,000 firms and 500,000 talent."""


class _Tally:
    """Elements and seconds by key, switched on only while the counted quarters run."""

    def __init__(self) -> None:
        self.on = False
        self.elements: collections.Counter = collections.Counter()
        self.seconds: collections.Counter = collections.Counter()
        self.sites: collections.Counter = collections.Counter()

    def add(self, key: tuple, out: object, seconds: float, site: tuple | None = None) -> None:
        if self.on:
            n = int(np.size(out))
            self.elements[key] += n
            self.seconds[key] += seconds
            if site is not None:
                self.sites[key + site] += n


class _CountingGenerator:
    """A random generator that tallies every number it draws (and the time), by stream and kind."""

    def __init__(self, rng: np.random.Generator, stream: str, tally: _Tally) -> None:
        self._rng, self._stream, self._tally = rng, stream, tally

    def __getattr__(self, kind: str):
        method = getattr(self._rng, kind)
        if not callable(method):
            return method

        def counted(*args, **kwargs):
            start = time.perf_counter()
            out = method(*args, **kwargs)
            self._tally.add(("draw", self._stream, kind), out, time.perf_counter() - start)
            return out

        return counted


def _counted_function(name: str, tally: _Tally):
    """``np.<name>`` wrapped to tally its output elements, time and calling line."""
    function = getattr(np, name)

    def counted(*args, **kwargs):
        start = time.perf_counter()
        out = function(*args, **kwargs)
        seconds = time.perf_counter() - start
        caller = traceback.extract_stack(limit=2)[0]
        tally.add(("math", name), out, seconds, (Path(caller.filename).name, caller.lineno))
        return out

    return counted


def floor_report(model, quarters: int) -> dict[str, float]:
    """Print what a quarter's random draws and transcendental functions cost (see ``--floor``).

    Runs ``2 × quarters`` quarters of ``model``: timed, then counted (on one thread). Agents are
    counted as ``scripts/benchmark.py`` counts them: firms and talent alive in each timed quarter.

    Returns:
        Per quarter: ``quarter_s``, ``agents``, ``draws`` and ``draw_s`` (random numbers and
        their seconds), ``math`` and ``math_s`` (elements of transcendental functions), and
        ``pass_s`` (one multiply over ``agents`` float64).
    """
    steps, start = 0, time.perf_counter()
    for _ in range(quarters):
        steps += model.state.talent.count + model.state.firms.count
        model.step()
    quarter = (time.perf_counter() - start) / quarters
    agents = steps // quarters

    from corridor_abm.model import parallel

    tally = _Tally()
    get = model.streams.get
    model.streams.get = lambda name, quarter=-1: _CountingGenerator(get(name, quarter), name, tally)
    originals = {name: getattr(np, name) for name in TRANSCENDENTAL}
    threads = os.environ.get(parallel.ENV)
    # counted on one thread: the tally is not shared safely between threads, and each call's
    # time is then the time it held the one core
    os.environ[parallel.ENV] = "1"
    try:
        for name in TRANSCENDENTAL:
            setattr(np, name, _counted_function(name, tally))
        tally.on = True
        for _ in range(quarters):
            model.step()
    finally:
        tally.on = False
        for name, function in originals.items():
            setattr(np, name, function)
        del model.streams.get  # the class's method again
        if threads is None:
            del os.environ[parallel.ENV]
        else:
            os.environ[parallel.ENV] = threads

    a, b, c = np.ones(agents), np.ones(agents), np.empty(agents)
    passes = []
    for _ in range(21):
        t0 = time.perf_counter()
        np.multiply(a, b, out=c)
        passes.append(time.perf_counter() - t0)
    one_pass = float(np.median(passes))
    budget = agents / TARGET_RATE

    def ms(seconds: float) -> str:
        return f"{seconds / quarters * 1e3:,.1f}"

    print(f"\nper quarter, mean of {quarters} quarters (counted quarters follow the timed ones)\n")
    print("| what | elements | ms | ns per element |")
    print("|---|---:|---:|---:|")
    print(f"| the whole quarter (timed, not counted) | | {quarter * 1e3:,.1f} | |")
    totals = {}
    for group in ("draw", "math"):
        keys = sorted((k for k in tally.elements if k[0] == group), key=lambda k: -tally.seconds[k])
        n = sum(tally.elements[k] for k in keys)
        sec = sum(tally.seconds[k] for k in keys)
        totals[group] = sec / quarters
        label = "random numbers drawn" if group == "draw" else "transcendental functions"
        print(f"| **{label}** | {n / quarters:,.0f} | {ms(sec)} | {sec / max(n, 1) * 1e9:.1f} |")
        for k in keys[:8]:
            e, sec_k = tally.elements[k], tally.seconds[k]
            print(f"| {' '.join(k[1:])} | {e / quarters:,.0f} | {ms(sec_k)} | {sec_k / max(e, 1) * 1e9:.1f} |")
    print("\nelements of transcendental functions by calling line, per quarter:\n")
    for (_, name, file, line), e in tally.sites.most_common(10):
        print(f"- {file}:{line} {name}: {e / quarters:,.0f}")
    floor = totals["draw"] + totals["math"]
    print(
        f"\n{agents:,} agents at {TARGET_RATE:,} agent-steps/s leave {budget * 1e3:.1f} ms per quarter; "
        f"the draws take {totals['draw'] * 1e3:.1f} ms ({totals['draw'] / budget:.0%} of it), draws and "
        f"transcendental functions {floor * 1e3:.1f} ms ({floor / budget:.0%}); one multiply over "
        f"{agents:,} float64 takes {one_pass * 1e3:.2f} ms, so what the budget leaves after the draws "
        f"is {max(budget - totals['draw'], 0.0) / one_pass:.0f} such passes; the quarter took "
        f"{quarter * 1e3:,.1f} ms ({agents / quarter:,.0f} agent-steps/s)."
    )
    count = {g: sum(e for k, e in tally.elements.items() if k[0] == g) / quarters for g in ("draw", "math")}
    return {
        "quarter_s": quarter,
        "agents": agents,
        "draws": count["draw"],
        "draw_s": totals["draw"],
        "math": count["math"],
        "math_s": totals["math"],
        "pass_s": one_pass,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--talent", type=int, default=500_000)
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--quarters", type=int, default=5, help="quarters profiled (after one unprofiled)")
    parser.add_argument("--top", type=int, default=30, help="functions listed (cProfile)")
    parser.add_argument("--lines", action="store_true", help="line by line over the HOT functions")
    parser.add_argument("--floor", action="store_true", help="random draws and transcendental functions")
    args = parser.parse_args()
    if args.lines:
        try:
            from line_profiler import LineProfiler
        except ImportError:
            sys.exit("--lines needs line_profiler: pip install line_profiler")
    logging.getLogger("MESA").setLevel(logging.WARNING)
    import importlib

    from corridor_abm.app.settings import compose_config
    from corridor_abm.model.corridor import CorridorModel

    cfg = compose_config("baseline")
    cfg.n_talent, cfg.n_firms = args.talent, args.firms
    cfg.quarters = 2 * args.quarters + 1 if args.floor else args.quarters + 1
    model = CorridorModel(cfg)
    model.step()
    if args.floor:
        from scripts.benchmark import machine_summary

        print(machine_summary())
        print(f"{args.firms:,} firms, {args.talent:,} talent")
        floor_report(model, args.quarters)
        return
    if args.lines:
        profiler = LineProfiler()
        for module, name in HOT:
            profiler.add_function(getattr(importlib.import_module(module), name))
    else:
        profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.quarters):
        model.step()
    profiler.disable()
    print(f"{args.firms:,} firms, {args.talent:,} talent, {args.quarters} quarters profiled")
    if args.lines:
        profiler.print_stats(output_unit=1e-3, stripzeros=True)
    else:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
