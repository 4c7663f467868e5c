"""Exact solvers for box-bounded least squares, with or without an L1 term.

They work on p x p summaries of a least-squares problem (a triangular factor
or a Gram matrix), so their cost does not grow with the number of rows.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import LinAlgError, cholesky, solve_triangular
from scipy.optimize import lsq_linear

FloatArray = NDArray[np.float64]

REFINE_AFTER_SWEEPS = 10
"""Coordinate-descent sweeps before the orthant refinement takes over."""

KKT_RELATIVE_TOLERANCE = 1e-9
"""Largest optimality-condition violation accepted, relative to the scale of
the gradient terms, when a box elastic-net solution is declared optimal."""

LOOSE_KKT_RELATIVE_TOLERANCE = 1e-6
"""The same, for a point where rounding stops further progress (a nearly
singular ``H``): optimal to working precision."""


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
        bounds are fixed at them, and those the algorithm leaves active are
        set exactly to their bound. Every bound holds exactly; ``converged``
        reports the optimality check of the result.

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
    active = solution.active_mask
    snapped = np.where(active < 0, lower[free], solution.x)
    snapped = np.where(active > 0, upper[free], snapped)
    coef[free] = np.clip(snapped, lower[free], upper[free])

    problem = _BoxElasticNet(
        system.T @ system, system.T @ rhs, 0.0, lower[free], upper[free]
    )
    return SolverResult(coef, int(solution.nit), problem.near_optimal(coef[free]))


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
    problem = _BoxElasticNet(hessian, linear, l1_penalty, lower, upper)
    return problem.violation(coef)


class _BoxElasticNet(NamedTuple):
    """``min 1/2 w^T H w - q^T w + lambda ||w||_1`` on ``l <= w <= u``."""

    hessian: FloatArray
    linear: FloatArray
    l1_penalty: float
    lower: FloatArray
    upper: FloatArray

    def value(self, coef: FloatArray) -> float:
        """The objective at ``coef``."""
        return float(
            0.5 * coef @ self.hessian @ coef
            - self.linear @ coef
            + self.l1_penalty * np.abs(coef).sum()
        )

    def violation(self, coef: FloatArray) -> float:
        """See :func:`box_elastic_net_kkt_violation`."""
        gradient = self.hessian @ coef - self.linear
        penalty = self.l1_penalty
        rightward = gradient + np.where(coef >= 0.0, penalty, -penalty)
        leftward = -gradient + np.where(coef <= 0.0, penalty, -penalty)
        violation = np.maximum(
            np.where(coef < self.upper, -rightward, 0.0),
            np.where(coef > self.lower, -leftward, 0.0),
        )
        return float(max(violation.max(initial=0.0), 0.0))

    def optimal(self, coef: FloatArray, tolerance: float) -> bool:
        """Whether ``coef`` meets the optimality conditions to ``tolerance``,
        relative to the scale of the gradient terms."""
        hessian, linear = self.hessian, self.linear
        magnitude = np.abs(hessian).max(initial=0.0) * np.abs(coef).max(initial=0.0)
        scale = max(np.abs(linear).max(initial=0.0), self.l1_penalty, magnitude)
        return self.violation(coef) <= tolerance * max(scale, 1e-300)

    def near_optimal(self, coef: FloatArray) -> bool:
        """Optimal to working precision (``LOOSE_KKT_RELATIVE_TOLERANCE``)."""
        return self.optimal(coef, LOOSE_KKT_RELATIVE_TOLERANCE)

    def pattern(self, coef: FloatArray) -> bytes:
        """Signs and active bounds of ``coef``, as a comparable key."""
        code = np.sign(coef).astype(np.int8)
        code[coef == self.lower] = -2
        code[coef == self.upper] = 2
        return code.tobytes()

    def polish(self, coef: FloatArray) -> FloatArray | None:
        """Solve exactly on the current sign and bound pattern, if it is
        optimal."""
        lower, upper = self.lower, self.upper
        free = (coef != 0.0) & (coef != lower) & (coef != upper)
        candidate = coef.copy()
        if free.any():
            signs = np.sign(coef[free])
            rhs = (
                self.linear[free]
                - self.hessian[np.ix_(free, ~free)] @ coef[~free]
                - self.l1_penalty * signs
            )
            try:
                solution = np.linalg.solve(self.hessian[np.ix_(free, free)], rhs)
            except np.linalg.LinAlgError:
                return None
            inside = (solution > lower[free]) & (solution < upper[free])
            if not (np.isfinite(solution).all() and inside.all()):
                return None
            if (np.sign(solution) != signs).any():
                return None
            candidate[free] = solution
        return candidate if self.optimal(candidate, KKT_RELATIVE_TOLERANCE) else None

    def descent_signs(self, coef: FloatArray) -> FloatArray:
        """Sign of each coefficient, or for one at zero the side it should
        leave to (0 when neither side lowers the objective or the box forbids
        it)."""
        gradient = self.hessian @ coef - self.linear
        rise = (gradient + self.l1_penalty < 0.0) & (self.upper > 0.0)
        fall = (gradient - self.l1_penalty > 0.0) & (self.lower < 0.0)
        leave = np.where(rise, 1.0, np.where(fall, -1.0, 0.0))
        return np.where(coef != 0.0, np.sign(coef), leave)

    def orthant_refine(self, coef: FloatArray, rounds: int = 50) -> SolverResult | None:
        """Finish exactly by bounded least squares within sign orthants.

        Within the orthant of a sign vector ``s`` the objective is the
        quadratic ``1/2 w^T H w - (q - lambda s)^T w``; with ``H_FF = R^T R``
        on the coefficients that may move, it is
        ``1/2 ||R w - R^-T (q - lambda s)||^2`` plus a constant, solved
        exactly by ``bounded_ridge_solve`` on the box intersected with the
        orthant. The current point lies in that orthant and ``s`` opens the
        side each zero coefficient should leave to, so each round lowers the
        objective until the optimality conditions hold. When rounding stops
        the progress first, the lowest point is returned, converged if it is
        :meth:`near_optimal`. None when a matrix is singular.
        """
        hessian, linear, lower, upper = (
            self.hessian,
            self.linear,
            self.lower,
            self.upper,
        )
        current = coef.copy()
        value = self.value(current)
        movable = np.diag(hessian) > 0.0
        for round_number in range(1, rounds + 1):
            signs = self.descent_signs(current)
            low = np.where(signs > 0, np.maximum(lower, 0.0), lower)
            high = np.where(signs < 0, np.minimum(upper, 0.0), upper)
            pinned = (signs == 0.0) | ~movable
            low = np.where(pinned, current, low)
            high = np.where(pinned, current, high)

            free = low != high
            candidate = np.where(free, 0.0, low)
            if free.any():
                rhs = linear[free] - self.l1_penalty * signs[free]
                rhs -= hessian[np.ix_(free, ~free)] @ candidate[~free]
                root = _cholesky_root(hessian[np.ix_(free, free)])
                if root is None:
                    return None
                target = solve_triangular(root, rhs, trans="T")
                step = bounded_ridge_solve(root, target, 0.0, low[free], high[free])
                candidate[free] = step.coef

            if self.optimal(candidate, KKT_RELATIVE_TOLERANCE):
                return SolverResult(candidate, round_number, True)
            new_value = self.value(candidate)
            if not new_value < value:
                break
            current, value = candidate, new_value
        return SolverResult(current, round_number, self.near_optimal(current))


def _cholesky_root(matrix: FloatArray) -> FloatArray | None:
    """Upper factor ``R`` of ``matrix = R^T R``; for a matrix singular to
    working precision, of ``matrix + delta I`` with ``delta`` a few rounding
    units of its diagonal (the result is then only accepted by the optimality
    check on the unperturbed problem). None if both fail."""
    try:
        return np.asarray(cholesky(matrix), dtype=np.float64)
    except LinAlgError:
        pass
    delta = 64 * np.finfo(np.float64).eps * max(float(np.diag(matrix).max()), 1e-300)
    try:
        shifted = matrix + delta * np.eye(len(matrix))
        return np.asarray(cholesky(shifted), dtype=np.float64)
    except LinAlgError:
        return None


def box_elastic_net_solve(
    hessian: FloatArray,
    linear: FloatArray,
    l1_penalty: float,
    lower: FloatArray,
    upper: FloatArray,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> SolverResult:
    """Minimise ``1/2 w^T H w - q^T w + lambda ||w||_1`` on ``l <= w <= u``.

    Cyclic coordinate descent: each coordinate moves to the minimiser of the
    objective along it, ``clip(S(q_j - sum_{k != j} H_jk w_k, lambda) / H_jj,
    l_j, u_j)`` with ``S`` the soft threshold. Because the penalty and the box
    are separable, clipping the one-dimensional minimiser is exact, so every
    iterate lies in the box. When the pattern of signs and active bounds
    stops changing, the free coordinates are solved exactly from the
    stationarity conditions and the result is accepted if it satisfies all
    optimality conditions (``box_elastic_net_kkt_violation``). When that
    pattern is still changing after ``REFINE_AFTER_SWEEPS`` sweeps (strongly
    correlated features slow coordinate descent down), the iterate is
    finished by exact bounded least squares within sign orthants, an active
    set method that ends at the optimum after finitely many rounds.

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
        ``iterations`` counts sweeps plus orthant rounds; ``converged`` is
        true when the optimality conditions hold.

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
    problem = _BoxElasticNet(hessian, linear, l1_penalty, lower, upper)
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

        pattern = problem.pattern(coef)
        settled = largest_step <= tol * max(1.0, float(np.abs(coef).max()))
        if pattern == previous or settled:
            polished = problem.polish(coef)
            if polished is not None:
                return SolverResult(polished, sweep, True)
        if sweep == REFINE_AFTER_SWEEPS or settled:
            refined = problem.orthant_refine(coef)
            if refined is not None and refined.converged:
                return SolverResult(refined.coef, sweep + refined.iterations, True)
            if refined is not None and problem.value(refined.coef) < problem.value(
                coef
            ):
                coef = refined.coef.copy()
                gradient = hessian @ coef - linear
        if settled:
            return SolverResult(coef, sweep, problem.near_optimal(coef))
        previous = pattern
    return SolverResult(coef, max_iter, False)
