"""Exact solver for batches of small l1-penalised, box-constrained quadratics.

Each problem is ``minimise ½·wᵀHw − cᵀw + λ₁‖w‖₁`` subject to
``lower ≤ w ≤ upper``, with ``H`` symmetric positive semi-definite.
Cyclic coordinate descent runs on all problems at once; as soon as the
pattern of zero, bound and free coefficients settles, the free coefficients
are solved for exactly and the result is kept if it meets the
Karush-Kuhn-Tucker (KKT) optimality conditions.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
PatternArray = NDArray[np.int8]

_FREE_POSITIVE, _FREE_NEGATIVE, _ZERO, _AT_LOWER, _AT_UPPER = range(5)
_KKT_RELATIVE_TOLERANCE = 1e-9


class BatchSolution(NamedTuple):
    """Minimisers of a batch, with how each was reached.

    ``exact`` marks the problems whose active-set solution met the KKT
    conditions; ``converged`` those that also count as solved by the sweep
    test (``exact`` or no coefficient moving more than ``tol·max|w|``).
    """

    coef: FloatArray
    exact: BoolArray
    converged: BoolArray


def minimize_penalized_quadratic(
    hessian: FloatArray,
    linear: FloatArray,
    l1_penalty: ArrayLike,
    lower: FloatArray | None = None,
    upper: FloatArray | None = None,
    *,
    max_sweeps: int = 1000,
    tol: float = 1e-4,
) -> BatchSolution:
    """Minimise ``½·wᵀHw − cᵀw + λ₁‖w‖₁`` subject to ``lower ≤ w ≤ upper``.

    Parameters
    ----------
    hessian : ndarray of shape (b, p, p)
        Symmetric positive semi-definite ``H`` of each of ``b`` problems.
    linear : ndarray of shape (b, p)
        Linear terms ``c``.
    l1_penalty : float or array_like of shape (b,)
        ``λ₁ ≥ 0``.
    lower, upper : ndarray of shape (b, p), optional
        Bounds on ``w``; ``±inf`` (the default) for none. ``lower ≤ upper``.
    max_sweeps : int, default 1000
        Most coordinate-descent sweeps; problems unsolved after them are
        returned as they stand, marked not ``converged``.
    tol : float, default 1e-4
        A problem whose exact active-set solution fails the KKT check is
        accepted once no coefficient moves by more than
        ``tol · max|w|`` in a sweep (scikit-learn's first stopping test).

    Returns
    -------
    BatchSolution
        The minimiser of each problem, shape (b, p), every bound holding
        exactly, and per problem whether it is exact and converged.

    Notes
    -----
    A sweep sets each coordinate to its exact one-dimensional minimiser
    ``w_j = clip(S(c_j − Σ_{k≠j} H_jk w_k, λ₁) / H_jj, lower_j, upper_j)``
    with ``S(z, λ) = sign(z)·max(|z| − λ, 0)``. Once the pattern of zero,
    bound and free coefficients repeats, the free block ``F`` is solved
    directly, ``H_FF w_F = c_F − λ₁ sign(w_F) − H_FB w_B``, and accepted when
    ``r = c − Hw`` meets the KKT conditions: ``r_F = λ₁ sign(w_F)``,
    ``|r_j| ≤ λ₁`` at zero, ``r_j ≤ λ₁ s⁺`` at a lower bound and
    ``r_j ≥ λ₁ s⁻`` at an upper one (``s⁺``, ``s⁻`` the largest and smallest
    subgradients of ``|w_j|`` there), all to a relative 1e-9.
    """
    n_problems, n_features = linear.shape
    penalty = np.broadcast_to(np.asarray(l1_penalty, dtype=np.float64), (n_problems,))
    low = np.full((n_problems, n_features), -np.inf) if lower is None else lower
    high = np.full((n_problems, n_features), np.inf) if upper is None else upper

    solution = np.clip(np.zeros((n_problems, n_features)), low, high)
    certified = np.zeros(n_problems, dtype=bool)
    converged = np.zeros(n_problems, dtype=bool)
    pending = np.arange(n_problems)
    H, c, lam, lo, hi = hessian, linear, penalty.copy(), low, high
    w = solution.copy()
    previous = np.full(w.shape, -1, dtype=np.int8)
    last_failed = previous.copy()

    for _ in range(max_sweeps):
        change = _coordinate_sweep(H, c, lam, lo, hi, w)
        pattern = _coefficient_pattern(w, lam, lo, hi)
        settled = (pattern == previous).all(axis=1)
        retry = (pattern != last_failed).any(axis=1)
        stationary = change <= tol * np.abs(w).max(axis=1)

        candidates = np.flatnonzero((settled & retry) | stationary)
        solved = np.zeros(pending.size, dtype=bool)
        if candidates.size:
            exact, optimal = _active_set_solution(
                H[candidates],
                c[candidates],
                lam[candidates],
                lo[candidates],
                hi[candidates],
                pattern[candidates],
            )
            accepted = candidates[optimal]
            w[accepted] = np.clip(exact[optimal], lo[accepted], hi[accepted])
            solved[accepted] = True
            rejected = candidates[~optimal]
            last_failed[rejected] = pattern[rejected]
        finished = solved | stationary
        previous = pattern

        if finished.any():
            solution[pending[finished]] = w[finished]
            certified[pending[solved]] = True
            converged[pending[finished]] = True
            keep = ~finished
            pending, w, H, c = pending[keep], w[keep], H[keep], c[keep]
            lam, lo, hi = lam[keep], lo[keep], hi[keep]
            previous, last_failed = previous[keep], last_failed[keep]
        if pending.size == 0:
            break
    solution[pending] = w
    return BatchSolution(solution, certified, converged)


def _coordinate_sweep(
    H: FloatArray,
    c: FloatArray,
    penalty: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    w: FloatArray,
) -> FloatArray:
    """One cyclic pass over the coordinates, in place; largest move per problem."""
    diagonal = np.diagonal(H, axis1=1, axis2=2)
    curved = diagonal > 0.0
    safe_diagonal = np.where(curved, diagonal, 1.0)
    change = np.zeros(w.shape[0])

    for j in range(w.shape[1]):
        old = w[:, j].copy()
        z = c[:, j] - np.einsum("bk,bk->b", H[:, j, :], w) + diagonal[:, j] * old
        shrunk = np.sign(z) * np.maximum(np.abs(z) - penalty, 0.0)
        new = np.where(curved[:, j], shrunk / safe_diagonal[:, j], 0.0)
        new = np.clip(new, lower[:, j], upper[:, j])
        w[:, j] = new
        np.maximum(change, np.abs(new - old), out=change)
    return change


def _coefficient_pattern(
    w: FloatArray, penalty: FloatArray, lower: FloatArray, upper: FloatArray
) -> PatternArray:
    """Code each coefficient as free (by sign), zero, at lower or at upper."""
    sign_matters = penalty[:, None] > 0.0
    pattern = np.where(sign_matters & (w < 0.0), _FREE_NEGATIVE, _FREE_POSITIVE)
    pattern = np.where(sign_matters & (w == 0.0), _ZERO, pattern)
    pattern = np.where(w == lower, _AT_LOWER, pattern)
    pattern = np.where(w == upper, _AT_UPPER, pattern)
    return pattern.astype(np.int8)


def _active_set_solution(
    H: FloatArray,
    c: FloatArray,
    penalty: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    pattern: PatternArray,
) -> tuple[FloatArray, BoolArray]:
    """Solve for the free coefficients given the pattern; check the KKT conditions."""
    free = pattern <= _FREE_NEGATIVE
    sign = np.where(pattern == _FREE_NEGATIVE, -1.0, 1.0) * free
    lam = penalty[:, None]
    fixed = np.where(pattern == _AT_LOWER, lower, 0.0)
    fixed = np.where(pattern == _AT_UPPER, upper, fixed)

    rhs = c - lam * sign - np.einsum("bij,bj->bi", H, fixed)
    system = np.where(free[:, :, None] & free[:, None, :], H, 0.0)
    system += np.eye(H.shape[1]) * (~free)[:, :, None]
    w = solve_linear_systems(system, np.where(free, rhs, fixed))

    residual = c - np.einsum("bij,bj->bi", H, w)
    magnitude = np.abs(c).max(axis=1) + np.abs(H).max(axis=(1, 2)) * np.abs(w).max(
        axis=1
    )
    slack = (_KKT_RELATIVE_TOLERANCE * (magnitude + penalty))[:, None]
    lower_subgradient = np.where(lower >= 0.0, 1.0, -1.0)
    upper_subgradient = np.where(upper <= 0.0, -1.0, 1.0)

    free_ok = (
        (w >= lower)
        & (w <= upper)
        & ((lam == 0.0) | (w * sign >= 0.0))
        & (np.abs(residual - lam * sign) <= slack)
    )
    optimal = np.asarray(np.where(free, free_ok, True), dtype=np.bool_)
    optimal &= (pattern != _ZERO) | (np.abs(residual) <= lam + slack)
    pinned = lower == upper
    optimal &= (
        (pattern != _AT_LOWER) | pinned | (residual <= lam * lower_subgradient + slack)
    )
    optimal &= (
        (pattern != _AT_UPPER) | pinned | (residual >= lam * upper_subgradient - slack)
    )
    accepted = optimal.all(axis=1) & np.isfinite(w).all(axis=1)
    return w, np.asarray(accepted, dtype=np.bool_)


def solve_linear_systems(system: FloatArray, rhs: FloatArray) -> FloatArray:
    """Solve ``A x = b`` for each of a batch of square systems.

    Parameters
    ----------
    system : ndarray of shape (b, p, p)
    rhs : ndarray of shape (b, p)

    Returns
    -------
    ndarray of shape (b, p)
        ``A⁻¹ b``; if any system is singular, ``A⁺ b`` with the pseudo-inverse
        for the whole batch (the minimum-norm least-squares solution).
    """
    try:
        solution = np.linalg.solve(system, rhs[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        solution = np.einsum("bij,bj->bi", np.linalg.pinv(system), rhs)
    return np.asarray(solution, dtype=np.float64)
