"""Exact solvers for box-bounded least squares, with or without an L1 term.

They work on p x p summaries of a least-squares problem (a triangular factor
or a Gram matrix), so their cost does not grow with the number of rows.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import lsq_linear

FloatArray = NDArray[np.float64]

KKT_RELATIVE_TOLERANCE = 1e-9
"""Largest optimality-condition violation accepted, relative to the scale of
the gradient terms, when a box elastic-net solution is declared optimal."""


class SolverResult(NamedTuple):
    """Coefficients with the work done and whether optimality was reached."""

    coef: FloatArray
    iterations: int
    converged: bool


def bounded_ridge_solve(
    root: FloatArray,
    target: FloatArray,
    alpha: float,
    lower: FloatArray,
    upper: FloatArray,
) -> SolverResult:
    """Minimise ``||R w - d||^2 + alpha ||w||^2`` subject to ``l <= w <= u``.

    Parameters
    ----------
    root : ndarray, shape (m, p)
        ``R`` (for centred data, the triangular factor of ``X_c = Q R``).
    target : ndarray, shape (m,)
        ``d`` (``Q^T y_c``).
    alpha : float
        Ridge penalty, ``>= 0``.
    lower, upper : ndarray, shape (p,)
        Bounds, ``-inf``/``inf`` for none, ``lower <= upper``.

    Returns
    -------
    SolverResult
        The exact optimum, found by bounded-variable least squares on the
        system ``[R; sqrt(alpha) I] w = [d; 0]``; coefficients with equal
        bounds are fixed at them. Every bound holds exactly.

    References
    ----------
    Stark, P. B. and Parker, R. L. (1995), "Bounded-Variable Least-Squares:
    an Algorithm and Applications", Computational Statistics 10, 129-141.
    """
    n_features = root.shape[1]
    fixed = lower == upper
    free = ~fixed
    coef = np.where(fixed, lower, 0.0)
    if not free.any():
        return SolverResult(coef, 0, True)

    system = root[:, free]
    rhs = target - root[:, fixed] @ coef[fixed]
    if alpha > 0.0:
        width = int(free.sum())
        system = np.vstack([system, math.sqrt(alpha) * np.eye(width)])
        rhs = np.concatenate([rhs, np.zeros(width)])

    solution = lsq_linear(
        system,
        rhs,
        bounds=(lower[free], upper[free]),
        method="bvls",
        tol=1e-12,
        max_iter=max(100, 10 * n_features),
    )
    coef[free] = np.clip(solution.x, lower[free], upper[free])
    return SolverResult(coef, int(solution.nit), bool(solution.status > 0))


def box_elastic_net_kkt_violation(
    hessian: FloatArray,
    linear: FloatArray,
    l1_penalty: float,
    lower: FloatArray,
    upper: FloatArray,
    coef: FloatArray,
) -> float:
    """Largest violation of the optimality conditions of the box elastic net.

    For ``f(w) = 1/2 w^T H w - q^T w + lambda ||w||_1`` on ``l <= w <= u`` a
    point is optimal when no feasible direction decreases ``f``: with
    ``g = H w - q``, the derivative of ``f`` to the right,
    ``g_j + lambda`` (``w_j >= 0``) or ``g_j - lambda`` (``w_j < 0``), is
    ``>= 0`` where ``w_j < u_j``, and to the left, ``-g_j + lambda``
    (``w_j <= 0``) or ``-g_j - lambda`` (``w_j > 0``), is ``>= 0`` where
    ``w_j > l_j``. Returns 0 at the optimum.
    """
    gradient = hessian @ coef - linear
    rightward = gradient + np.where(coef >= 0.0, l1_penalty, -l1_penalty)
    leftward = -gradient + np.where(coef <= 0.0, l1_penalty, -l1_penalty)
    violation = np.maximum(
        np.where(coef < upper, -rightward, 0.0),
        np.where(coef > lower, -leftward, 0.0),
    )
    return float(max(violation.max(initial=0.0), 0.0))


def _kkt_scale(
    hessian: FloatArray, linear: FloatArray, l1_penalty: float, coef: FloatArray
) -> float:
    magnitude = np.abs(hessian).max(initial=0.0) * np.abs(coef).max(initial=0.0)
    return max(np.abs(linear).max(initial=0.0), l1_penalty, magnitude, 1e-300)


def _pattern(coef: FloatArray, lower: FloatArray, upper: FloatArray) -> bytes:
    code = np.sign(coef).astype(np.int8)
    code[coef == lower] = -2
    code[coef == upper] = 2
    return code.tobytes()


def _polish(
    hessian: FloatArray,
    linear: FloatArray,
    l1_penalty: float,
    lower: FloatArray,
    upper: FloatArray,
    coef: FloatArray,
) -> FloatArray | None:
    """Solve exactly on the current sign and bound pattern, if it is optimal."""
    free = (coef != 0.0) & (coef != lower) & (coef != upper)
    candidate = coef.copy()
    if free.any():
        signs = np.sign(coef[free])
        rhs = (
            linear[free]
            - hessian[np.ix_(free, ~free)] @ coef[~free]
            - l1_penalty * signs
        )
        try:
            solution = np.linalg.solve(hessian[np.ix_(free, free)], rhs)
        except np.linalg.LinAlgError:
            return None
        inside = (solution > lower[free]) & (solution < upper[free])
        if not (np.isfinite(solution).all() and inside.all()):
            return None
        if (np.sign(solution) != signs).any():
            return None
        candidate[free] = solution

    violation = box_elastic_net_kkt_violation(
        hessian, linear, l1_penalty, lower, upper, candidate
    )
    scale = _kkt_scale(hessian, linear, l1_penalty, candidate)
    return candidate if violation <= KKT_RELATIVE_TOLERANCE * scale else None


def box_elastic_net_solve(
    hessian: FloatArray,
    linear: FloatArray,
    l1_penalty: float,
    lower: FloatArray,
    upper: FloatArray,
    tol: float = 1e-10,
    max_iter: int = 10_000,
) -> SolverResult:
    """Minimise ``1/2 w^T H w - q^T w + lambda ||w||_1`` on ``l <= w <= u``.

    Cyclic coordinate descent: each coordinate moves to the minimiser of the
    objective along it, ``clip(S(q_j - sum_{k != j} H_jk w_k, lambda) / H_jj,
    l_j, u_j)`` with ``S`` the soft threshold. Because the penalty and the box
    are separable, clipping the one-dimensional minimiser is exact, so every
    iterate lies in the box. When the pattern of signs and active bounds
    stops changing, the free coordinates are solved exactly from the
    stationarity conditions and the result is accepted if it satisfies all
    optimality conditions (``box_elastic_net_kkt_violation``).

    Parameters
    ----------
    hessian : ndarray, shape (p, p)
        Positive semi-definite ``H`` (``X_c^T X_c / n + alpha (1 - l1_ratio) I``).
    linear : ndarray, shape (p,)
        ``q`` (``X_c^T y_c / n``).
    l1_penalty : float
        ``lambda`` (``alpha * l1_ratio``), ``>= 0``.
    lower, upper : ndarray, shape (p,)
        Bounds, ``-inf``/``inf`` for none, ``lower <= upper``.
    tol : float
        Sweeps stop when no coordinate moves more than ``tol * max(1, |w|)``.
    max_iter : int
        Most sweeps over all coordinates.

    Returns
    -------
    SolverResult
        ``iterations`` counts sweeps; ``converged`` is true when the
        optimality conditions hold.

    References
    ----------
    Friedman, J., Hastie, T. and Tibshirani, R. (2010), "Regularization Paths
    for Generalized Linear Models via Coordinate Descent", Journal of
    Statistical Software 33(1).
    """
    n_features = linear.size
    coef = np.clip(np.zeros(n_features), lower, upper)
    if n_features == 0:
        return SolverResult(coef, 0, True)
    gradient = hessian @ coef - linear
    diagonal = np.diag(hessian).tolist()
    low, high = lower.tolist(), upper.tolist()
    previous = b""

    for sweep in range(1, max_iter + 1):
        largest_step = 0.0
        for j in range(n_features):
            old = coef[j]
            if diagonal[j] > 0.0:
                pull = diagonal[j] * old - gradient[j]
                shrunk = max(abs(pull) - l1_penalty, 0.0)
                new = math.copysign(shrunk, pull) / diagonal[j]
            else:
                new = 0.0
            new = min(max(new, low[j]), high[j])
            if new != old:
                gradient += (new - old) * hessian[:, j]
                coef[j] = new
                largest_step = max(largest_step, abs(new - old))

        pattern = _pattern(coef, lower, upper)
        settled = largest_step <= tol * max(1.0, float(np.abs(coef).max()))
        if pattern == previous or settled:
            polished = _polish(hessian, linear, l1_penalty, lower, upper, coef)
            if polished is not None:
                return SolverResult(polished, sweep, True)
        if settled:
            violation = box_elastic_net_kkt_violation(
                hessian, linear, l1_penalty, lower, upper, coef
            )
            scale = _kkt_scale(hessian, linear, l1_penalty, coef)
            return SolverResult(coef, sweep, violation <= 1e-6 * scale)
        previous = pattern
    return SolverResult(coef, max_iter, False)
