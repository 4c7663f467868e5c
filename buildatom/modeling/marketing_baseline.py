"""Naive baseline fit: projected (proximal) gradient descent.

What a user would write by hand to respect sign constraints; kept only so a
benchmark can compare its speed and objective with ``fit_marketing_model``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from buildatom.modeling.marketing_models import (
    SQUARED_LOSS_MODELS,
    FittedModel,
    MarketingModelError,
    MarketingModelType,
    as_bounds,
    as_design,
    objective_value,
    parse_model_type,
    resolve_model_config,
)


def projected_gradient_descent(
    X: ArrayLike,
    y: ArrayLike,
    model_type: MarketingModelType | str,
    lower: ArrayLike | None = None,
    upper: ArrayLike | None = None,
    learning_rate: float = 0.01,
    iterations: int = 1000,
    config: Mapping[str, object] | None = None,
) -> FittedModel:
    """Naive baseline: full-batch gradient steps projected onto the bounds.

    Starts from ``w = clip(0)``, ``b = 0``. Each step moves along the gradient
    of the smooth part of the objective per row (for LINEAR and RIDGE, whose
    objectives are sums, the objective divided by ``n``, so one learning
    rate suits every type) and clips ``w`` to the bounds; the intercept is
    stepped and never clipped. LASSO and ELASTIC_NET take a proximal step
    (ISTA): soft-threshold by ``learning_rate * alpha * l1_ratio``, then clip,
    which is the exact proximal map of the L1 term plus the box. Only for
    comparing speed and objective with ``fit_marketing_model``; stops early
    when the iterate stops being finite.
    """
    model = parse_model_type(model_type)
    settings = resolve_model_config(model, config)
    design, target = as_design(X, y)
    low, high = as_bounds(lower, upper, design.shape[1])
    if not (math.isfinite(learning_rate) and learning_rate > 0.0):
        raise MarketingModelError(
            f"constraint_learning_rate must be > 0, got {learning_rate!r}"
        )
    if iterations < 1:
        raise MarketingModelError(
            f"constraint_iterations must be >= 1, got {iterations!r}"
        )

    n_samples = target.size
    coef = np.clip(np.zeros(design.shape[1]), low, high)
    intercept = 0.0
    ridge_part = settings.alpha * (1.0 - settings.l1_ratio)
    threshold = learning_rate * settings.alpha * settings.l1_ratio
    done = 0
    while done < iterations:
        done += 1
        residual = design @ coef + intercept - target
        if model in SQUARED_LOSS_MODELS:
            gradient = 2.0 * (design.T @ residual + settings.alpha * coef)
            gradient /= n_samples
            intercept_gradient = 2.0 * float(residual.mean())
        else:
            gradient = design.T @ residual / n_samples + ridge_part * coef
            intercept_gradient = float(residual.mean())

        moved = coef - learning_rate * gradient
        moved = np.sign(moved) * np.maximum(np.abs(moved) - threshold, 0.0)
        coef = np.clip(moved, low, high)
        if settings.fit_intercept:
            intercept -= learning_rate * intercept_gradient
        if not (np.isfinite(coef).all() and math.isfinite(intercept)):
            break

    value = objective_value(design, target, coef, intercept, model, config)
    return FittedModel(coef, intercept, value, done, converged=False)
