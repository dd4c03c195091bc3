"""The corridor model: a Mesa model of firms, talent, venture funds and city governments on the
map of the Shenzhen–Dongguan–Huizhou–Hong Kong corridor.

Read :meth:`CorridorModel.step` first: it runs the phases of :data:`PHASES` in order, each a
function of the state (:mod:`model.state`), the configuration and its own random stream. Each
phase lives in one process module of :mod:`model.processes`; the 2018 state is built in
:mod:`model.setup`, and the scenario's levers are switched on in one place, :mod:`model.levers`.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import sys
import time
import weakref
from collections.abc import Callable
from typing import Any, NamedTuple

import mesa

from corridor_abm.model import levers, setup
from corridor_abm.model.config import Config, only_model, quarter_labels, timeline_of
from corridor_abm.model.params import validate
from corridor_abm.model.processes import (
    entry_exit,
    government,
    innovation,
    labour,
    location,
    markets,
    migration,
    production,
    venture,
)
from corridor_abm.model.recorder import Recorder
from corridor_abm.model.rng import RandomStreams

logging.getLogger("MESA").setLevel(logging.WARNING)


class _IdCounters(weakref.WeakKeyDictionary):
    """Mesa 3.3 numbers each model's agents from a class-level ``defaultdict`` keyed by the
    model (``mesa.Agent._ids``), which keeps every model ever built alive — with its map,
    travel matrices and populations — so memory grows run after run in one process (sweeps
    with the basic launcher, replicate sets with one worker, calibration). The same counters,
    held by weak reference: a model's counter goes when the model goes."""

    def __getitem__(self, model: Any) -> Any:
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = itertools.count(1)
            self[model] = counter
            return counter


def release_models_from_mesa() -> None:
    """Replace ``mesa.Agent._ids`` by :class:`_IdCounters` (idempotent; models already
    registered keep their counters)."""
    if not isinstance(mesa.Agent._ids, _IdCounters):
        counters = _IdCounters()
        for model, counter in list(mesa.Agent._ids.items()):
            counters[model] = counter
        mesa.Agent._ids = counters


release_models_from_mesa()


def reuse_freed_memory() -> None:
    """Serve large arrays from the heap and keep freed memory for reuse (glibc ``mallopt``).

    A quarter creates and drops hundreds of arrays of millions of entries. By default glibc
    maps each large block afresh and unmaps it when freed, so the kernel zeroes new pages for
    every array: in the 1:1 corridor a fifth of the CPU time was system time (page faults).
    With mmap off and no trimming, freed blocks are reused; peak memory is unchanged (measured:
    3.51 and 3.59 GB over four quarters of ``scale=full``). Does nothing off glibc.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-4, 0)  # M_MMAP_MAX: no block gets its own mapping
        libc.mallopt(-1, 2**31 - 1)  # M_TRIM_THRESHOLD: keep freed memory (up to 2 GB at the top)
    except (OSError, AttributeError):  # not glibc
        return


reuse_freed_memory()


class Phase(NamedTuple):
    """One phase of a quarter: its name, the function that runs it and the random streams it
    draws from (each re-derived every quarter from the master seed, :mod:`model.rng`)."""

    name: str
    run: Callable[..., None]
    streams: tuple[str, ...] = ()


PHASES: tuple[Phase, ...] = (
    Phase("governments", government.government_phase),
    Phase("innovation", innovation.innovate, ("innovation",)),
    Phase("productivity", production.update_productivity, ("productivity",)),
    Phase("production", production.produce),
    Phase("taxes_and_subsidies", government.taxes_and_subsidies),
    Phase("labour_market", labour.labour_market, ("labour",)),
    Phase("migration_and_housing", migration.migration_and_housing, ("migration", "housing", "returns")),
    Phase("markets", markets.clear_markets),
    Phase("location", location.review_locations, ("location",)),
    Phase("exit_and_entry", entry_exit.exit_and_entry, ("exit", "entry")),
    Phase("venture_capital", venture.venture_phase, ("venture",)),
    Phase("budgets", government.recurrent_budget),
)
"""The phases of a quarter, in order (the record phase follows them)."""


class CorridorModel(mesa.Model):
    """Firms, talent and floor-space markets of the Shenzhen–Dongguan–Huizhou–Hong Kong corridor.

    Args:
        cfg: A configuration; it is validated before anything is built. Run control that a
            subclass of :class:`~model.config.Config` may carry is dropped.
        snapshot_every: Record a spatial snapshot every this many quarters (and the last).
        structural: Keys of lever groups to treat as structure: the 2018 state is built with
            ``cfg``'s own values of them (calibration's free parameters), not the reference's.

    Attributes:
        cfg: The configuration in force this quarter (the scenario's levers, and the values
            of its paths at the current quarter, :mod:`model.timeline`).
        scenario_cfg: The configuration as given (with its paths).
        timeline: The run's parameter paths.
        reference: The configuration the 2018 state was built under (the scenario's levers at
            their reference values, :func:`model.levers.reference_config`).
        state: Everything that changes during the run (:class:`~model.state.State`).
        recorder: Per-quarter tables and event logs.
        labels: Quarter labels of the run.
        phase_seconds: Wall time per phase, summed over quarters.
    """

    def __init__(self, cfg: Config, snapshot_every: int = 4, structural: tuple[str, ...] = ()) -> None:
        cfg = only_model(validate(cfg))
        self.timeline = timeline_of(cfg)
        self.scenario_cfg = cfg
        # the configuration in force in 2018Q1: the 2018 state never sees a later path value
        cfg = self.timeline.config_at(0)
        self.cfg = cfg
        self.reference = levers.reference_config(cfg, structural)
        self.streams = RandomStreams(cfg.seed)
        super().__init__(rng=self.streams.get("mesa"))
        self.labels = quarter_labels(cfg.start, cfg.quarters)
        self.phase_seconds: dict[str, float] = {}
        self.recorder = Recorder(self.labels, snapshot_every)
        self.recorder.timeline = self.timeline.events()

        # the 2018 state, with every reference level, is built under the reference levers ...
        self.state = setup.build_state(self, self.reference, self.streams)
        # ... and the scenario's levers switch on at the first quarter
        levers.switch_on(self.state, self.reference, cfg)

    @property
    def t(self) -> int:
        """Index of the current quarter (0 = the first simulated quarter)."""
        return self.state.t

    def step(self) -> None:
        """Advance one quarter. The order of a quarter, written once:

        1. **Governments** apply their adaptive rules, bring new land and talent housing to
           market (paying for it, selling land), build parks, spend on services and guidance
           funds, and set the quarter's subsidy rates (levers L1–L8).
        2. **Innovation**: last quarter's R&D, talent skill and the knowledge field yield
           innovations; innovators gain productivity. Then productivity drifts and takes shocks.
        3. **Production**: agglomeration from employment; output, wages, rent, R&D, goods
           border costs and tax; governments collect taxes and pay subsidies; profit goes to cash.
        4. **Labour market**: firms set their target workforce, shed or post vacancies;
           unemployed and some employed talent search and are matched.
        5. **Migration and housing**: departures, arrivals (if the region beats the outside
           option) who take the vacancies left, city wages respond to the vacancies still open,
           and home choice for movers (wage − housing − commute + home value).
        6. **Markets**: commercial and residential rents move with excess demand against floor
           space; house prices follow rents and expected growth.
        7. **Location**: reviewing firms stay, move, or (big firms) move a division.
        8. **Exit and entry**: loss-making firms exit; talent found start-ups and spin-offs
           (incubator grants).
        9. **Venture capital**: fees, exits and write-offs, fund life cycles, new deals.
        10. **Budgets**: each government's fiscal rule sets its recurrent spending (public
            services, transfers, infrastructure) from trend revenue, what the levers took and
            the gap between its reserves and their target.
        11. **Record** the quarter's tables.
        """
        s = self.state
        self._follow_timeline()
        s.open_quarter()
        for name, run in self.phases():
            start = time.perf_counter()
            run()
            self.phase_seconds[name] = self.phase_seconds.get(name, 0.0) + time.perf_counter() - start
        markets.advance_economy(s, self.cfg)
        s.close_quarter()
        if s.t >= self.cfg.quarters:
            self.running = False

    def _follow_timeline(self) -> None:
        """Put the configuration of the current quarter in force; where a path changed a lever,
        switch it as :func:`model.levers.switch_on` does at the first quarter."""
        new = self.timeline.config_at(self.state.t)
        if new is not self.cfg:
            levers.switch_on(self.state, self.cfg, new)
            self.cfg = new

    def phases(self) -> list[tuple[str, Callable[[], None]]]:
        """The phases of a quarter in the order :meth:`step` runs them (named for the timers)."""
        s, cfg = self.state, self.cfg

        def bind(phase: Phase) -> Callable[[], None]:
            return lambda: phase.run(s, cfg, *(self.streams.get(name, s.t) for name in phase.streams))

        return [(p.name, bind(p)) for p in PHASES] + [("record", lambda: self.recorder.record_quarter(s))]

    def tables(self) -> dict:
        """Every table of the run so far (:meth:`model.recorder.Recorder.tables`)."""
        return self.recorder.tables(self.state)

    def run(self, quarters: int | None = None, progress: bool = False) -> None:
        """Step through the configured horizon (or ``quarters`` more quarters).

        Args:
            quarters: How many quarters to run (default: to the end of the horizon).
            progress: Show a progress bar with the time left on stderr.
        """
        n = self.cfg.quarters - self.t if quarters is None else quarters
        bar = None
        if progress:
            from tqdm import tqdm

            # no monitor thread: it would outlive the bar, and a process with a second thread
            # must not fork (reporting.plots.plot_run forks a plotting helper only without one)
            tqdm.monitor_interval = 0
            bar = tqdm(total=n, desc=f"{self.cfg.scenario_name} seed {self.cfg.seed}", unit="quarter", leave=False)
        for _ in range(n):
            self.step()
            if bar is not None:
                bar.set_postfix_str(self.labels[self.t - 1], refresh=False)
                bar.update(1)
        if bar is not None:
            bar.close()
