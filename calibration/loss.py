"""The method-of-simulated-moments loss.

For fitted targets k with target value t_k and R replicate simulations m_rk of the same
parameter vector (common random numbers: the same R seeds for every vector),

    L(θ) = Σ_k w_k (m̄_k(θ) − t_k)²,     m̄_k = (1/R) Σ_r m_rk,     w_k = 1 / (σ_k² + s_k² / R),

on each target's comparison scale (``identity``, or ``log`` for levels and ratios). σ_k is the
target's own uncertainty, read from its band as a 90% interval (half-width = 1.645 σ); s_k is the
standard deviation of the moment across seeds, estimated once at the starting point and then
held fixed, so the weights do not reward a parameter vector for being noisy. L is exactly zero
when every simulated moment equals its target. A moment a run cannot produce (NaN in every
replicate) adds :data:`MISSING_PENALTY`, as a miss of 10 σ would.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from corridor_abm.calibration.spec import Target

MISSING_PENALTY = 100.0
"""Loss added for a target whose moment is missing in every replicate (a 10 σ miss)."""


def to_scale(values: np.ndarray, targets: Sequence[Target]) -> np.ndarray:
    """Transform simulated values (…, K) to each target's comparison scale."""
    values = np.asarray(values, dtype=float)
    out = np.empty_like(values)
    for k, t in enumerate(targets):
        out[..., k] = t.to_scale(values[..., k])
    return out


def simulation_sd(values: np.ndarray, targets: Sequence[Target]) -> np.ndarray:
    """Standard deviation of each moment across replicates (rows), on the comparison scale.

    Args:
        values: (R, K) simulated values.
        targets: The K targets.

    Returns:
        K standard deviations (0 where fewer than two replicates have the moment).
    """
    scaled = to_scale(values, targets)
    sd = np.zeros(len(targets))
    for k in range(len(targets)):
        col = scaled[:, k][np.isfinite(scaled[:, k])]
        sd[k] = float(np.std(col, ddof=1)) if col.size >= 2 else 0.0
    return sd


def weights(targets: Sequence[Target], sim_sd: np.ndarray | None = None, replicates: int = 1) -> np.ndarray:
    """Inverse-variance weights ``1 / (σ_target² + s_sim² / R)``.

    Args:
        targets: The targets.
        sim_sd: Standard deviation of each simulated moment across seeds (comparison scale);
            None ignores simulation noise.
        replicates: Replicates R averaged per evaluation (the noise of their mean is s² / R).

    Returns:
        One weight per target.
    """
    var = np.array([t.sigma**2 for t in targets], dtype=float)
    if sim_sd is not None:
        var = var + np.nan_to_num(np.asarray(sim_sd, dtype=float)) ** 2 / max(int(replicates), 1)
    if np.any(var <= 0):
        bad = [t.name for t, v in zip(targets, var) if v <= 0]
        raise ValueError(f"targets without uncertainty cannot be weighted: {', '.join(bad)}")
    return 1.0 / var


def mean_moments(values: np.ndarray, targets: Sequence[Target]) -> np.ndarray:
    """Mean over replicates (axis −2) on the comparison scale, ignoring missing replicates."""
    scaled = to_scale(values, targets)
    finite = np.isfinite(scaled)
    count = finite.sum(axis=-2)
    # deviations from a reference replicate, so that equal replicates average exactly to their value
    ref = np.take(scaled, 0, axis=-2)
    ref = np.where(np.isfinite(ref), ref, np.nanmax(np.where(finite, scaled, -np.inf), axis=-2))
    dev = np.where(finite, scaled - np.expand_dims(ref, -2), 0.0).sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, ref + dev / np.maximum(count, 1), np.nan)


def loss_terms(values: np.ndarray, targets: Sequence[Target], w: np.ndarray) -> np.ndarray:
    """Each target's contribution ``w_k (m̄_k − t_k)²`` (MISSING_PENALTY where missing).

    Args:
        values: (R, K) simulated values of one parameter vector, or (K,) for one replicate.
        targets: The K targets.
        w: Their weights.

    Returns:
        K contributions.
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    m = mean_moments(values, targets)
    t = np.array([float(tg.to_scale(tg.value)) for tg in targets])
    terms = np.asarray(w) * (m - t) ** 2
    return np.where(np.isfinite(terms), terms, MISSING_PENALTY)


def msm_loss(values: np.ndarray, targets: Sequence[Target], w: np.ndarray) -> float:
    """The MSM loss of one parameter vector (see the module docstring).

    Args:
        values: (R, K) simulated values (replicates × targets), natural units.
        targets: The K fitted targets.
        w: Their weights (:func:`weights`).

    Returns:
        The loss: zero when every simulated moment equals its target, positive otherwise.
    """
    return float(np.sum(loss_terms(values, targets, w)))


def z_scores(values: np.ndarray, targets: Sequence[Target], w: np.ndarray) -> np.ndarray:
    """Signed distance of the replicate mean from each target in weighted σ units."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    m = mean_moments(values, targets)
    t = np.array([float(tg.to_scale(tg.value)) for tg in targets])
    return (m - t) * np.sqrt(np.asarray(w))
