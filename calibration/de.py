"""Differential evolution on the unit cube, checkpointed every generation so it can resume.

The algorithm is scipy's ``differential_evolution`` default strategy (``best1bin``) with
deferred updating, written out so that its whole state can be saved after every generation:

* initial population: a Latin hypercube (``scipy.stats.qmc``), optionally with a given
  starting point as its first member;
* each generation, for every member i: mutant = best + F·(x_r1 − x_r2) with r1 ≠ r2 ≠ i and F
  drawn uniformly from [0.5, 1) per generation (dithering); binomial crossover with rate 0.7
  (at least one coordinate from the mutant); coordinates outside [0, 1] are redrawn uniformly;
* all trial vectors of a generation are evaluated together (in parallel), then each replaces
  its parent if it is no worse (greedy selection).

The checkpoint (JSON, written under a temporary name and renamed) holds the population, its
losses, the generation, the evaluation count, the random generator's state, the per-generation
history and every evaluation. Resuming from it continues exactly as an uninterrupted run
would (the objective is deterministic under common random numbers). A checkpoint whose
``fingerprint`` (the search's settings) differs is not resumed.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc

from corridor_abm.model.runio import json_default

log = logging.getLogger("corridor.calibration")

MUTATION = (0.5, 1.0)
"""Range of the dithered differential weight F (scipy's default)."""
RECOMBINATION = 0.7
"""Crossover probability (scipy's default)."""
CHECKPOINT_VERSION = 1


@dataclass
class DEState:
    """Everything a differential-evolution search needs to continue.

    Attributes:
        population: (P, D) unit-cube points.
        energies: (P,) losses of the population.
        generation: Generations completed (0 after the initial population).
        evaluations: Loss evaluations so far (initial population included).
        rng_state: State of the search's random generator.
        history: One record per generation: generation, evaluations, best and mean loss.
        log: One record per evaluation: generation, member, unit coordinates, loss.
        fingerprint: Settings of the search (a resumed search must match them).
    """

    population: np.ndarray
    energies: np.ndarray
    generation: int
    evaluations: int
    rng_state: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    fingerprint: dict[str, Any] = field(default_factory=dict)

    @property
    def best_index(self) -> int:
        """Index of the best member."""
        return int(np.argmin(self.energies))

    @property
    def best(self) -> np.ndarray:
        """The best point so far (unit cube)."""
        return self.population[self.best_index].copy()

    @property
    def best_energy(self) -> float:
        """Its loss."""
        return float(self.energies[self.best_index])

    def to_json(self) -> dict[str, Any]:
        """The state as JSON-ready data (floats round-trip exactly)."""
        return {
            "version": CHECKPOINT_VERSION,
            "fingerprint": self.fingerprint,
            "generation": self.generation,
            "evaluations": self.evaluations,
            "population": self.population.tolist(),
            "energies": [float(e) for e in self.energies],
            "rng_state": self.rng_state,
            "history": self.history,
            "log": self.log,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DEState:
        """Inverse of :meth:`to_json`."""
        return cls(
            population=np.array(data["population"], dtype=float),
            energies=np.array(data["energies"], dtype=float),
            generation=int(data["generation"]),
            evaluations=int(data["evaluations"]),
            rng_state=data["rng_state"],
            history=list(data["history"]),
            log=list(data["log"]),
            fingerprint=dict(data["fingerprint"]),
        )


def normalise(obj: Any) -> Any:
    """``obj`` as it reads back from JSON (for comparing fingerprints)."""
    return json.loads(json.dumps(obj, default=json_default))


def save_checkpoint(state: DEState, path: Path) -> None:
    """Write the checkpoint atomically (temporary name, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state.to_json(), default=json_default))
    os.replace(tmp, path)


def load_checkpoint(path: Path, fingerprint: dict[str, Any]) -> DEState | None:
    """The saved state if ``path`` holds a checkpoint of a search with the same settings."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        log.warning("checkpoint %s is unreadable; starting afresh", path)
        return None
    if data.get("version") != CHECKPOINT_VERSION or data.get("fingerprint") != normalise(fingerprint):
        log.warning("checkpoint %s belongs to a search with other settings; starting afresh", path)
        return None
    return DEState.from_json(data)


def _generator(state: dict[str, Any]) -> np.random.Generator:
    rng = np.random.Generator(np.random.PCG64())
    rng.bit_generator.state = state
    return rng


def _record(state: DEState, members: np.ndarray, points: np.ndarray, energies: np.ndarray) -> None:
    for i, x, e in zip(members, points, energies):
        state.log.append(
            {"generation": state.generation, "member": int(i), "unit": [float(v) for v in x], "loss": float(e)}
        )
    state.history.append(
        {
            "generation": state.generation,
            "evaluations": state.evaluations,
            "best": float(np.min(state.energies)),
            "mean": float(np.mean(state.energies[np.isfinite(state.energies)])),
        }
    )


def minimise(
    objective: Callable[[np.ndarray], np.ndarray],
    dim: int,
    population: int,
    generations: int,
    seed: int,
    checkpoint: Path | None = None,
    fingerprint: dict[str, Any] | None = None,
    x0: np.ndarray | None = None,
    resume: bool = True,
    on_generation: Callable[[DEState], None] | None = None,
) -> tuple[DEState, int]:
    """Minimise ``objective`` over the unit cube by differential evolution.

    Args:
        objective: Loss of a batch of points: (n, dim) array → (n,) array (may run in parallel).
        dim: Dimension.
        population: Population size (at least 4).
        generations: Generations to reach (a resumed search continues up to this many).
        seed: Seed of the search's own random generator (initial design, mutation, crossover).
        checkpoint: File to save the state to after every generation (and resume from).
        fingerprint: Settings that must match for a checkpoint to be resumed.
        x0: A starting point (unit cube) to include in the initial population.
        resume: Resume from ``checkpoint`` if it matches.
        on_generation: Called with the state after every generation (and the initial one).

    Returns:
        The final state and the number of evaluations made in this call.
    """
    if population < 4:
        raise ValueError("differential evolution needs a population of at least 4")
    fingerprint = normalise(dict(fingerprint or {}, dim=dim, population=population, seed=seed))
    state = load_checkpoint(checkpoint, fingerprint) if (checkpoint is not None and resume) else None
    made = 0
    if state is not None:
        log.info(
            "resuming from %s: generation %d, %d evaluations, best loss %.4g",
            checkpoint,
            state.generation,
            state.evaluations,
            state.best_energy,
        )
        rng = _generator(state.rng_state)
    else:
        rng = np.random.default_rng(seed)
        pop = qmc.LatinHypercube(d=dim, rng=rng).random(population)
        if x0 is not None:
            pop[0] = np.clip(np.asarray(x0, dtype=float), 0.0, 1.0)
        energies = np.asarray(objective(pop), dtype=float)
        made += population
        state = DEState(pop, energies, 0, population, rng.bit_generator.state, fingerprint=fingerprint)
        _record(state, np.arange(population), pop, energies)
        if checkpoint is not None:
            save_checkpoint(state, checkpoint)
        if on_generation is not None:
            on_generation(state)
    while state.generation < generations:
        pop = state.population
        f = rng.uniform(*MUTATION)
        best = state.best_index
        trials = np.empty_like(pop)
        for i in range(population):
            r1, r2 = rng.choice(np.delete(np.arange(population), i), 2, replace=False)
            mutant = pop[best] + f * (pop[r1] - pop[r2])
            cross = rng.random(dim) < RECOMBINATION
            cross[rng.integers(dim)] = True
            trial = np.where(cross, mutant, pop[i])
            outside = (trial < 0.0) | (trial > 1.0)
            trial[outside] = rng.random(int(outside.sum()))
            trials[i] = trial
        energies = np.asarray(objective(trials), dtype=float)
        made += population
        better = energies <= state.energies
        state.population = np.where(better[:, None], trials, pop)
        state.energies = np.where(better, energies, state.energies)
        state.generation += 1
        state.evaluations += population
        state.rng_state = rng.bit_generator.state
        _record(state, np.arange(population), trials, energies)
        log.info(
            "generation %d: %d evaluations, best loss %.4g", state.generation, state.evaluations, state.best_energy
        )
        if checkpoint is not None:
            save_checkpoint(state, checkpoint)
        if on_generation is not None:
            on_generation(state)
    return state, made
