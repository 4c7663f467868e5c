"""Calculate-elasticity (endpoint 16): effects of trained marketing models.

For each chosen model of a completed training run, on all rows of its
combination: media elasticities by the 1 % replay of the stored transform
chain, contributions as shares of the summed prediction (intercept included)
and ROI per media in y units per unit of raw spend. Everything is computed
before anything is written; the results are stored on the model documents.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from buildatom.errors import NotFound
from buildatom.modeling.marketing_effects import (
    media_elasticity,
    media_roi,
    variable_contributions,
)
from buildatom.services.marketing_fitted import fitted_parameters
from buildatom.services.marketing_runs import (
    READ_WORKERS,
    TRAINING,
    TRANSFORM,
    MarketingRuns,
)
from buildatom.services.numbers import finite
from buildatom.storage.parquet_objects import read_parquet

logger = logging.getLogger(__name__)

SPEND_CHANGE = 0.01


@dataclass(frozen=True)
class ElasticityRequest:
    """A validated ``POST /marketing/calculate-elasticity`` body."""

    run_id: str
    model_ids: list[int] | None = None
    include_contributions: bool = True


class MarketingEffectsService:
    """Runs endpoint 16 end to end."""

    def __init__(self, runs: MarketingRuns) -> None:
        self._runs = runs

    def calculate(self, request: ElasticityRequest) -> dict[str, Any]:
        """Compute and store the effects of the chosen models."""
        started = time.perf_counter()
        training = self._runs.completed(request.run_id, TRAINING)
        models = self._runs.repository.models(request.run_id, request.model_ids)
        _check_found(request, models)
        inputs = combination_inputs(self._runs, training["transform_id"], models)

        effects = {
            model["model_id"]: model_effects(
                model, *inputs[model["position"]], request.include_contributions
            )
            for model in models
        }
        for model_id, stored in effects.items():
            self._runs.repository.set_model_effects(request.run_id, model_id, stored)
        logger.info(
            "effects of %d models of training %s stored in %.2f s",
            len(effects),
            request.run_id,
            time.perf_counter() - started,
        )
        return {
            "status": "success",
            "models_updated": len(effects),
            "elasticity_summary": _summary(effects, "elasticities", "variable"),
            "contribution_summary": _summary(effects, "contributions", "name")
            if request.include_contributions
            else {},
            "roi_summary": _summary(effects, "roi", "variable"),
        }


def combination_inputs(
    runs: MarketingRuns, transform_id: str, models: Sequence[Mapping[str, Any]]
) -> dict[int, tuple[pd.DataFrame, dict[str, Any]]]:
    """Transformed rows and fitted chain of each combination the models use,
    keyed by the combination's position in the set."""
    transform = runs.completed(transform_id, TRANSFORM)
    needed = {model["position"] for model in models}
    records = [r for r in transform["combinations"] if r["position"] in needed]

    def load(record: Mapping[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
        stored = runs.repository.parameters(transform_id, record["position"])
        if stored is None:
            raise NotFound(
                f"transform {transform_id!r} has no fitted parameters for "
                f"combination {record['combination_id']!r}"
            )
        frame = read_parquet(runs.objects, runs.bucket, record["data_key"])
        return frame, fitted_parameters(stored["fitted_parameters"])

    with ThreadPoolExecutor(READ_WORKERS, thread_name_prefix="effects") as pool:
        loaded = list(pool.map(load, records))
    return {
        record["position"]: inputs
        for record, inputs in zip(records, loaded, strict=True)
    }


def model_effects(
    model: Mapping[str, Any],
    frame: pd.DataFrame,
    fitted: Mapping[str, Any],
    include_contributions: bool,
) -> dict[str, Any]:
    """Elasticities, ROI and (optionally) contributions of one stored model."""
    coefficients = {c["name"]: c["value"] or 0.0 for c in model["coefficients"]}
    intercept = model["intercept"] or 0.0
    elasticities = media_elasticity(
        frame, fitted, coefficients, intercept, SPEND_CHANGE
    )
    roi = media_roi(frame, fitted, coefficients)
    effects: dict[str, Any] = {
        "elasticities": [
            {"variable": name, "value": finite(value)}
            for name, value in elasticities.items()
        ],
        "roi": [
            {"variable": name, "value": finite(value)} for name, value in roi.items()
        ],
    }
    if include_contributions:
        shares = variable_contributions(frame, coefficients, intercept)
        effects["contributions"] = [
            {"name": name, "value": finite(value)} for name, value in shares.items()
        ]
    return effects


def _check_found(
    request: ElasticityRequest, models: Sequence[Mapping[str, Any]]
) -> None:
    if request.model_ids is None:
        return
    missing = sorted(set(request.model_ids) - {m["model_id"] for m in models})
    if missing:
        raise NotFound(
            f"training run {request.run_id!r} has no model(s) {missing}; its ids "
            "run from 1 to the models_trained it answered",
            errors={"json": {"model_ids": [f"unknown model ids {missing}"]}},
        )


def _summary(
    effects: Mapping[int, Mapping[str, Any]], field: str, key: str
) -> dict[str, dict[str, float | None]]:
    return {
        str(model_id): {entry[key]: entry["value"] for entry in stored[field]}
        for model_id, stored in effects.items()
    }
