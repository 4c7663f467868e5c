"""Transform-variables (endpoint 14): media chains and scaling per region.

Reads a completed prepare run's Parquet objects, runs
:func:`~buildatom.modeling.transforms_combination.transform_combination` on
each combination, and only when every combination transformed cleanly
records the run: transformed Parquet under ``marketing-transformed/{id}/``
and every fitted parameter in MongoDB, so the chain can be replayed.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from buildatom.errors import InvalidInput
from buildatom.modeling.transforms import (
    MediaTransform,
    ScalingMethod,
    TransformationType,
    TransformParameterError,
)
from buildatom.modeling.transforms_combination import (
    TransformedCombination,
    build_media_transforms,
    transform_combination,
    transformed_column,
)
from buildatom.services.marketing_fitted import (
    statistics_map,
    stored_fitted_parameters,
    stored_statistics,
)
from buildatom.services.marketing_runs import (
    PREPARE,
    READ_WORKERS,
    TRANSFORM,
    MarketingRuns,
    object_name,
)
from buildatom.storage.parquet_objects import read_parquet

logger = logging.getLogger(__name__)

TRANSFORMED_PREFIX = "marketing-transformed/"


@dataclass(frozen=True)
class TransformRequest:
    """A validated ``POST /marketing/transform-variables`` body."""

    run_id: str
    media_variables: list[str]
    other_variables: list[str]
    non_scaled_variables: list[str]
    transformation_type: TransformationType
    standardization_method: ScalingMethod
    transformation_params: dict[str, list[float]]


class MarketingTransformService:
    """Runs endpoint 14 end to end."""

    def __init__(self, runs: MarketingRuns) -> None:
        self._runs = runs

    def transform(self, request: TransformRequest) -> dict[str, Any]:
        """Transform every combination of a prepare run; record the transform."""
        started = time.perf_counter()
        prepared = self._runs.completed(request.run_id, PREPARE)
        records = prepared["combinations"]
        media = _media_transforms(request)
        _check_columns(records, prepared, request)

        frames = self._read_frames(records)
        results = [
            _transform_one(record, frame, prepared, media, request)
            for record, frame in zip(records, frames, strict=True)
        ]

        transform_id = str(uuid.uuid4())
        answer = _answer(transform_id, records, results, request)
        self._store(transform_id, prepared, records, results, request, answer)
        logger.info(
            "transform %s completed: %d combinations, %d media in %.2f s",
            transform_id,
            len(records),
            len(request.media_variables),
            time.perf_counter() - started,
        )
        return answer

    def _read_frames(self, records: Sequence[dict[str, Any]]) -> list[pd.DataFrame]:
        objects, bucket = self._runs.objects, self._runs.bucket
        with ThreadPoolExecutor(READ_WORKERS, thread_name_prefix="transform") as pool:
            return list(
                pool.map(
                    lambda r: read_parquet(objects, bucket, r["data_key"]), records
                )
            )

    def _store(
        self,
        transform_id: str,
        prepared: dict[str, Any],
        records: Sequence[dict[str, Any]],
        results: Sequence[TransformedCombination],
        request: TransformRequest,
        answer: dict[str, Any],
    ) -> None:
        frames: dict[str, pd.DataFrame] = {}
        combinations, parameters = [], []
        for record, result in zip(records, results, strict=True):
            name = object_name(record["position"], record["combination_id"])
            key = f"{TRANSFORMED_PREFIX}{transform_id}/{name}"
            frames[key] = result.frame
            combinations.append(_record(record, result, key))
            parameters.append(_parameters(record, result))
        summary = {
            "regions_processed": answer["regions_processed"],
            "combinations": combinations,
        }
        self._runs.record_with_frames(
            transform_id,
            TRANSFORM,
            _run_document(prepared, request),
            frames,
            summary,
            parameters,
        )


def model_columns(run: Mapping[str, Any]) -> list[str]:
    """The x columns a transform gives a model: transformed media, other
    variables, then non-scaled variables."""
    return [
        *(transformed_column(name) for name in run["media_variables"]),
        *run["other_variables"],
        *run["non_scaled_variables"],
    ]


def _media_transforms(request: TransformRequest) -> dict[str, MediaTransform]:
    try:
        return build_media_transforms(
            request.media_variables,
            request.transformation_type,
            request.transformation_params,
        )
    except TransformParameterError as error:
        raise InvalidInput(
            str(error), errors={"json": {"transformation_params": [str(error)]}}
        ) from error


def _check_columns(
    records: Sequence[dict[str, Any]],
    prepared: dict[str, Any],
    request: TransformRequest,
) -> None:
    """422 when a variable is not a column of a combination, or a role column."""
    roles = {prepared["date_column"], prepared["region_column"]} - {None}
    removed = set(prepared.get("columns_removed") or [])
    errors: dict[str, list[str]] = {}
    for field in ("media_variables", "other_variables", "non_scaled_variables"):
        for variable in getattr(request, field):
            problem = _column_problem(variable, records, roles, removed)
            if problem:
                errors.setdefault(field, []).append(f"{variable!r} {problem}")
    for variable in request.media_variables:
        column = transformed_column(variable)
        if any(column in record["columns"] for record in records):
            errors.setdefault("media_variables", []).append(
                f"{variable!r} would overwrite the data's column {column!r}"
            )
    if errors:
        messages = "; ".join(m for field in errors.values() for m in field)
        raise InvalidInput(messages, errors={"json": errors})


def _column_problem(
    variable: str,
    records: Sequence[dict[str, Any]],
    roles: set[str],
    removed: set[str],
) -> str | None:
    if variable in roles:
        return "is the date or region column, not a model variable"
    if variable in removed:
        return "was removed by prepare-data as zero on every kept row"
    lacking = [r["combination_id"] for r in records if variable not in r["columns"]]
    if lacking:
        columns = records[0]["columns"] if records else []
        return (
            f"is not a column of the prepared data of {lacking}; its columns "
            f"are {columns}"
        )
    return None


def _transform_one(
    record: dict[str, Any],
    frame: pd.DataFrame,
    prepared: dict[str, Any],
    media: Mapping[str, MediaTransform],
    request: TransformRequest,
) -> TransformedCombination:
    try:
        return transform_combination(
            frame,
            prepared["date_column"],
            prepared["region_column"],
            media,
            request.other_variables,
            request.non_scaled_variables,
            request.standardization_method,
        )
    except TransformParameterError as error:
        message = f"combination {record['combination_id']!r}: {error}"
        raise InvalidInput(message, errors={"json": {"run_id": [message]}}) from error


def _run_document(
    prepared: dict[str, Any], request: TransformRequest
) -> dict[str, Any]:
    return {
        "prepare_run_id": request.run_id,
        "scope_id": prepared["scope_id"],
        "set_name": prepared["set_name"],
        "date_column": prepared["date_column"],
        "region_column": prepared["region_column"],
        "media_variables": request.media_variables,
        "other_variables": request.other_variables,
        "non_scaled_variables": request.non_scaled_variables,
        "transformation_type": request.transformation_type.value,
        "standardization_method": request.standardization_method.value,
        "transformation_params": [
            {"variable": name, "params": list(values)}
            for name, values in request.transformation_params.items()
        ],
    }


def _record(
    record: dict[str, Any], result: TransformedCombination, key: str
) -> dict[str, Any]:
    return {
        "position": record["position"],
        "combination_id": record["combination_id"],
        "identifiers": record["identifiers"],
        "data_key": key,
        "rows": len(result.frame),
        "columns": [str(name) for name in result.frame.columns],
        "regions": _regions(result),
    }


def _parameters(
    record: dict[str, Any], result: TransformedCombination
) -> dict[str, Any]:
    return {
        "position": record["position"],
        "combination_id": record["combination_id"],
        "fitted_parameters": stored_fitted_parameters(result.fitted_parameters),
        "variable_statistics": stored_statistics(result.variable_statistics),
    }


def _regions(result: TransformedCombination) -> list[str]:
    """Regions in the order they were processed (``all`` without a region
    column)."""
    seen: dict[str, None] = {}
    for regions in result.variable_statistics.values():
        seen.update(dict.fromkeys(regions))
    return list(seen)


def _answer(
    transform_id: str,
    records: Sequence[dict[str, Any]],
    results: Sequence[TransformedCombination],
    request: TransformRequest,
) -> dict[str, Any]:
    regions: dict[str, None] = {}
    statistics: dict[str, Any] = {}
    for record, result in zip(records, results, strict=True):
        regions.update(dict.fromkeys(_regions(result)))
        statistics[record["combination_id"]] = statistics_map(
            stored_statistics(result.variable_statistics)
        )
    return {
        "transform_id": transform_id,
        "status": "success",
        "transformed_data_key": f"{TRANSFORMED_PREFIX}{transform_id}/",
        "variable_statistics": statistics,
        "regions_processed": list(regions),
        "media_variables_transformed": list(request.media_variables),
    }
