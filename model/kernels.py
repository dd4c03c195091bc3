"""Cell-by-cell kernels without cell-by-cell matrices: a grid convolution plus the border block.

Agglomeration and knowledge spread over the map with weights that decay with travel time,
``w(i, j) = exp(−minutes(i, j) / τ)`` (the knowledge kernel also cut across the HK–mainland
border, :func:`model.border.knowledge_pass`). Held as dense n × n float32 matrices, each takes
68 MB at 2 km (4,119 cells) but 1.1 GB at 1 km (16,486 cells), and so does the travel-time
matrix. A truncated sparse kernel does not help: the weights fall to 10⁻³ only after 3½ hours
(agglomeration) or 5 hours (knowledge), beyond most of the corridor.

Travel time within one side of the border is distance × a speed per pair of cities
(:func:`model.geography.travel_minutes`): for a pair of cities it depends on the offset between
cells alone, so their part of ``kernel @ values`` is a convolution on the raster, done by FFT
(one per side when all of a side's speed-ups are equal, the default; else one per source city
and speed). Trips across the border go through the nearest land crossing and are not
translation-invariant: that block (Hong Kong cells × mainland cells, 1,101 × 15,385 at 1 km,
68 MB) is kept dense and used both ways (it is symmetric).

The result equals the dense product up to float32 rounding of the dense path (relative 10⁻⁶;
``tests/test_kernels.py``). ``map.dense_kernel_max_cells`` chooses: at 2 km the dense matrices
(bit-identical to earlier versions), at 1 km this grid kernel and travel times computed for the
pairs asked (:meth:`model.state.Travel.between`). ``scripts/benchmark.py --kernels`` times both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import fft

from corridor_abm.model.state import HK

if TYPE_CHECKING:
    from corridor_abm.model.geography import CorridorMap, TransportParams


class GridKernel:
    """``exp(−minutes / τ)`` between cells, applied as a grid convolution plus the border block.

    Args:
        cmap: The map.
        transport: Transport parameters (speeds, speed-ups, crossing time).
        tau: Decay time τ, minutes.
        cross_factor: Per mainland cell, the share of a cross-border weight that survives
            (knowledge friction), or None for 1.
    """

    def __init__(
        self, cmap: CorridorMap, transport: TransportParams, tau: float, cross_factor: np.ndarray | None = None
    ) -> None:
        from corridor_abm.model.geography import speedup_matrix, travel_minutes

        self.n = cmap.n_cells
        self.shape = (cmap.ny, cmap.nx)
        self.raster_index = cmap.raster_index
        city = cmap.city
        self.hk = np.flatnonzero(city == HK)
        self.mainland = np.flatnonzero(city != HK)
        ny, nx = self.shape
        self.padded = (fft.next_fast_len(2 * ny - 1, real=True), fft.next_fast_len(2 * nx - 1, real=True))
        # distances of every offset on the grid, with the half-cell floor of a trip within a cell
        dy = np.arange(-(ny - 1), ny, dtype=np.float32)[:, None] * np.float32(cmap.cell_km)
        dx = np.arange(-(nx - 1), nx, dtype=np.float32)[None, :] * np.float32(cmap.cell_km)
        dist = np.maximum(np.hypot(dx, dy), np.float32(0.5 * cmap.cell_km))
        per_km = ((60.0 * transport.detour_factor / transport.speed_kmh) / speedup_matrix(transport)).astype(np.float32)
        self.plans: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (source cells, target cells, kernel FFT)
        spectra: dict[float, np.ndarray] = {}

        def spectrum(rate: float) -> np.ndarray:
            if rate not in spectra:
                weights = np.exp(-(dist * np.float32(rate)) / np.float32(tau)).astype(np.float64)
                spectra[rate] = fft.rfft2(weights, s=self.padded)
            return spectra[rate]

        for side in ((HK,), (1, 2, 3)):
            rates = {(a, b): float(per_km[a, b]) for a in side for b in side}
            if len(set(rates.values())) == 1:
                cells = np.flatnonzero(np.isin(city, side))
                self.plans.append((cells, cells, spectrum(next(iter(rates.values())))))
                continue
            for b in side:
                for rate in sorted({rates[a, b] for a in side}):
                    targets = [a for a in side if rates[a, b] == rate]
                    self.plans.append(
                        (np.flatnonzero(city == b), np.flatnonzero(np.isin(city, targets)), spectrum(rate))
                    )
        # the border block: Hong Kong cells (rows) × mainland cells (columns), symmetric
        block = np.exp(
            -travel_minutes(cmap, transport, self.hk[:, None], self.mainland[None, :]) / np.float32(tau)
        ).astype(np.float32)
        if cross_factor is not None:
            block *= np.asarray(cross_factor, dtype=np.float32)[self.mainland][None, :]
        self.block = block

    @property
    def nbytes(self) -> int:
        """Memory held, bytes."""
        return int(self.block.nbytes + sum(p[2].nbytes for p in self.plans))

    def apply(self, values: np.ndarray) -> np.ndarray:
        """``kernel @ values`` for values per cell, (n,) or (n, k); float32 like the dense product."""
        v = np.asarray(values, dtype=np.float64)
        flat = v.ndim == 1
        if flat:
            v = v[:, None]
        out = np.zeros(v.shape)
        ny, nx = self.shape
        grid = np.zeros((ny * nx, v.shape[1]))
        for sources, targets, spectrum in self.plans:
            grid[:] = 0.0
            grid[self.raster_index[sources]] = v[sources]
            spread = fft.irfft2(
                fft.rfft2(grid.reshape(ny, nx, -1), s=self.padded, axes=(0, 1)) * spectrum[:, :, None],
                s=self.padded,
                axes=(0, 1),
            )[ny - 1 : 2 * ny - 1, nx - 1 : 2 * nx - 1]
            out[targets] += spread.reshape(ny * nx, -1)[self.raster_index[targets]]
        # the border block in float32, as the dense product (no float64 copy of the block)
        v32 = v.astype(np.float32)
        out[self.hk] += self.block @ v32[self.mainland]
        out[self.mainland] += self.block.T @ v32[self.hk]
        out = out.astype(np.float32)
        return out[:, 0] if flat else out


def apply(kernel: np.ndarray | GridKernel, values: np.ndarray) -> np.ndarray:
    """``kernel @ values`` for a dense matrix (exactly that product) or a :class:`GridKernel`."""
    if isinstance(kernel, GridKernel):
        return kernel.apply(values)
    return kernel @ values
