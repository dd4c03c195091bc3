"""A vectorised population: many agents as columns of numpy arrays, held by one Mesa agent.

Firms and talent number in the hundreds of thousands to millions, so the model keeps them the
way Starsim keeps people: one array per state variable, indexed by agent. The population itself
is a :class:`mesa.Agent`, registered with the model like any other, so ``model.agents`` lists
it and ``step()`` calls its methods in the activation order the model states.

Agents are never deleted, only marked dead (``alive`` False), so an agent's index is a stable
identifier for event logs (a talent's ``uid`` survives :meth:`Population.compact`).
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np


class Population(mesa.Agent):
    """A growable table of agents, one numpy array per state variable.

    Subclasses declare ``SCHEMA``: ``{name: (dtype, fill value)}``. Each name becomes an
    attribute that is a view of length :attr:`n` on a larger buffer, so appending agents is
    amortised O(1) and in-place updates (``pop.cash += profit``) write through.

    Args:
        model: The Mesa model that owns the population.
        capacity: Initial buffer size.
    """

    SCHEMA: dict[str, tuple[Any, Any]] = {"alive": (np.bool_, False)}

    def __init__(self, model: mesa.Model, capacity: int = 1024) -> None:
        super().__init__(model)
        self.n = 0
        self._capacity = max(int(capacity), 16)
        self._buffers: dict[str, np.ndarray] = {
            name: np.full(self._capacity, fill, dtype=dtype) for name, (dtype, fill) in self.SCHEMA.items()
        }
        self._refresh_views()

    # -- storage -----------------------------------------------------------------------------
    def _refresh_views(self) -> None:
        for name, buf in self._buffers.items():
            setattr(self, name, buf[: self.n])

    def _grow(self, needed: int) -> None:
        new_cap = self._capacity
        while new_cap < needed:
            new_cap *= 2
        if new_cap == self._capacity:
            return
        for name, (dtype, fill) in self.SCHEMA.items():
            buf = np.full(new_cap, fill, dtype=dtype)
            buf[: self.n] = self._buffers[name][: self.n]
            self._buffers[name] = buf
        self._capacity = new_cap

    def add(self, count: int, **values: Any) -> np.ndarray:
        """Append ``count`` agents and set their state; unset fields take their fill value.

        Args:
            count: Number of agents to add.
            **values: Field name → scalar or array of length ``count``.

        Returns:
            Indices of the new agents.

        Raises:
            KeyError: if a field is not in the schema.
        """
        unknown = set(values) - set(self.SCHEMA)
        if unknown:
            raise KeyError(f"{type(self).__name__} has no fields {sorted(unknown)}")
        start = self.n
        self._grow(start + count)
        for name, (_, fill) in self.SCHEMA.items():
            self._buffers[name][start : start + count] = values.get(name, fill)
        self._buffers["alive"][start : start + count] = values.get("alive", True)
        self.n = start + count
        self._refresh_views()
        return np.arange(start, start + count)

    def compact(self) -> np.ndarray:
        """Drop dead agents from the arrays (only for populations nobody refers to by index).

        Returns:
            The old indices of the agents kept, in their new order.
        """
        keep = np.flatnonzero(self.alive)
        for name, buf in self._buffers.items():
            buf[: keep.size] = buf[keep]
            buf[keep.size : self.n] = self.SCHEMA[name][1]
        self.n = int(keep.size)
        self._refresh_views()
        return keep

    # -- queries -----------------------------------------------------------------------------
    @property
    def count(self) -> int:
        """Number of living agents."""
        return int(np.count_nonzero(self.alive))

    def alive_index(self) -> np.ndarray:
        """Indices of living agents."""
        return np.flatnonzero(self.alive)

    def nbytes(self) -> int:
        """Memory held by the buffers, bytes."""
        return int(sum(b.nbytes for b in self._buffers.values()))

    def step(self) -> None:  # pragma: no cover - the model calls named phases, not step()
        """Populations act through the model's named phases (see ``CorridorModel.step``)."""
