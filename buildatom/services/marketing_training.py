"""Train-models (endpoint 15): sign-constrained regressions per combination.

For every combination × y variable × model type of a completed transform, one
model on the rows of all regions, split by time. The least-squares summary is
built once per (combination, y, intercept setting) and every model type is
solved from it exactly within the sign bounds. Models are inserted while the
training run is ``running`` and readable once it is ``completed``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from threadpoolctl import threadpool_limits

from buildatom.errors import InvalidInput
from buildatom.modeling.marketing_models import (
    ConstraintType,
    MarketingModelError,
    MarketingModelType,
    sign_constraint_bounds,
)
from buildatom.modeling.transforms_combination import transformed_column
from buildatom.services.marketing_fits import (
    FitSettings,
    FittedMarketingModel,
    fit_combination,
)
from buildatom.services.marketing_runs import (
    READ_WORKERS,
    TRAINING,
    TRANSFORM,
    MarketingRuns,
)
from buildatom.services.marketing_transform import model_columns
from buildatom.services.numbers import finite
from buildatom.services.run_leases import complete_run
from buildatom.storage.parquet_objects import read_parquet

logger = logging.getLogger(__name__)

BRAND_COLUMNS = ("Brand", "brand")
MARKET_COLUMNS = ("Market", "market")
IDENTITY_COLUMNS = (*BRAND_COLUMNS, *MARKET_COLUMNS)


@dataclass(frozen=True)
class MarketingTrainingRequest:
    """A validated ``POST /marketing/train-models`` body."""

    run_id: str
    model_types: list[MarketingModelType]
    y_variables: list[str]
    train_test_split: float = 0.8
    use_constraints: bool = False
    variable_constraints: dict[str, ConstraintType] | None = None
    constraint_learning_rate: float = 0.01
    constraint_iterations: int = 1000
    model_configs: dict[str, dict[str, Any]] | None = None


class MarketingTrainingService:
    """Runs endpoint 15 end to end."""

    def __init__(self, runs: MarketingRuns) -> None:
        self._runs = runs

    def train(self, request: MarketingTrainingRequest) -> dict[str, Any]:
        """Fit every model of the request and record the training run."""
        started = time.perf_counter()
        transform = self._runs.completed(request.run_id, TRANSFORM)
        records = transform["combinations"]
        x_columns = model_columns(transform)
        constraints = resolve_constraints(request, transform, x_columns)
        _check_targets(request.y_variables, records, transform, x_columns)
        lower, upper = sign_constraint_bounds(x_columns, constraints)
        settings = FitSettings(
            x_columns,
            request.y_variables,
            request.model_types,
            request.train_test_split,
            lower,
            upper,
            request.model_configs or {},
        )

        training_id = str(uuid.uuid4())
        frames = self._read_frames(records, transform, settings)
        documents, failed = _fit_all(training_id, transform, records, frames, settings)

        best = best_models(documents)
        summary = {
            "combinations_processed": len(records) - len(failed),
            "model_types": [kind.value for kind in request.model_types],
            "y_variables": list(request.y_variables),
            "constraints_applied": bool(request.use_constraints and constraints),
            "total_constraints": len(constraints),
            "failed_combinations": failed,
        }
        self._store(training_id, transform, request, constraints, documents, summary)
        seconds = time.perf_counter() - started
        logger.info(
            "training %s completed: %d models, %d failed combinations in %.2f s",
            training_id,
            len(documents),
            len(failed),
            seconds,
        )
        return {
            "training_id": training_id,
            "status": "success",
            "models_trained": len(documents),
            "summary": summary,
            "best_models": best,
            "execution_time_seconds": round(seconds, 4),
            "models": [_brief(document) for document in documents],
        }

    def _read_frames(
        self,
        records: Sequence[dict[str, Any]],
        transform: Mapping[str, Any],
        settings: FitSettings,
    ) -> list[pd.DataFrame]:
        """Each combination's transformed rows, only the columns training uses."""
        objects, bucket = self._runs.objects, self._runs.bucket
        wanted = [
            *settings.x_columns,
            *settings.y_variables,
            *(c for c in (transform["date_column"], transform["region_column"]) if c),
            *IDENTITY_COLUMNS,
        ]

        def read(record: Mapping[str, Any]) -> pd.DataFrame:
            present = [c for c in dict.fromkeys(wanted) if c in record["columns"]]
            return read_parquet(objects, bucket, record["data_key"], present)

        with ThreadPoolExecutor(READ_WORKERS, thread_name_prefix="train") as pool:
            return list(pool.map(read, records))

    def _store(
        self,
        training_id: str,
        transform: dict[str, Any],
        request: MarketingTrainingRequest,
        constraints: Mapping[str, ConstraintType],
        documents: list[dict[str, Any]],
        summary: dict[str, Any],
    ) -> None:
        run = {
            "transform_id": request.run_id,
            "prepare_run_id": transform["prepare_run_id"],
            "scope_id": transform["scope_id"],
            "set_name": transform["set_name"],
            "model_types": summary["model_types"],
            "y_variables": summary["y_variables"],
            "train_test_split": request.train_test_split,
            "use_constraints": request.use_constraints,
            "variable_constraints": [
                {"variable": name, "constraint_type": kind.value}
                for name, kind in constraints.items()
            ],
            "constraint_learning_rate": request.constraint_learning_rate,
            "constraint_iterations": request.constraint_iterations,
            "model_configs": [
                {"model_type": name, **config}
                for name, config in (request.model_configs or {}).items()
            ],
        }
        # The run document and its models go in side by side: models are
        # invisible until the run completes, and a failure of either is
        # cleaned up once both have finished.
        with ThreadPoolExecutor(2, thread_name_prefix="store") as pool:
            started = pool.submit(self._runs.start, training_id, TRAINING, run)
            inserted = pool.submit(self._runs.repository.add_models, documents)
            wait([started, inserted])
        try:
            started.result()
            inserted.result()
            complete_run(
                self._runs.repository,
                training_id,
                {"summary": summary, "best_models": best_models(documents)},
            )
        except BaseException as error:
            self._runs.abandon(training_id, error, [])
            raise


def _fit_all(
    training_id: str,
    transform: Mapping[str, Any],
    records: Sequence[dict[str, Any]],
    frames: Sequence[pd.DataFrame],
    settings: FitSettings,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Model documents with ids 1..N in combination order, and the failures.

    BLAS runs single-threaded here: the factorisations are tall and thin
    (rows × a few columns), where extra BLAS threads only contend, most of
    all next to the other requests of a gunicorn worker.
    """
    created = datetime.now(UTC)
    documents: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    with threadpool_limits(limits=1, user_api="blas"):
        for record, frame in zip(records, frames, strict=True):
            try:
                fits = fit_combination(
                    frame,
                    transform["date_column"],
                    transform["region_column"],
                    settings,
                )
            except MarketingModelError as error:
                failed.append(
                    {"combination_id": record["combination_id"], "error": str(error)}
                )
                continue
            for fit in fits:
                documents.append(
                    _model_document(
                        training_id,
                        len(documents) + 1,
                        transform["region_column"],
                        record,
                        frame,
                        fit,
                        created,
                    )
                )
    if not documents:
        raise InvalidInput(
            f"no model could be trained: {failed}",
            errors={"json": {"run_id": [f"every combination failed: {failed}"]}},
        )
    return documents, failed


def resolve_constraints(
    request: MarketingTrainingRequest,
    transform: Mapping[str, Any],
    x_columns: Sequence[str],
) -> dict[str, ConstraintType]:
    """Constraints keyed by model column; a raw media name means its
    transformed column. Empty unless ``use_constraints``; 422 for a name the
    transform lacks, checked either way."""
    aliases = {name: transformed_column(name) for name in transform["media_variables"]}
    resolved: dict[str, ConstraintType] = {}
    errors: list[str] = []
    for name, kind in (request.variable_constraints or {}).items():
        column = name if name in x_columns else aliases.get(name)
        if column is None:
            errors.append(
                f"{name!r} is not a variable of transform {request.run_id!r}; "
                f"its model variables are {list(x_columns)}"
            )
        elif resolved.get(column, kind) is not kind:
            errors.append(f"{name!r} is constrained both positive and negative")
        else:
            resolved[column] = kind
    if errors:
        raise InvalidInput(
            "variable_constraints: " + "; ".join(errors),
            errors={"json": {"variable_constraints": errors}},
        )
    return resolved if request.use_constraints else {}


def _check_targets(
    y_variables: Sequence[str],
    records: Sequence[dict[str, Any]],
    transform: Mapping[str, Any],
    x_columns: Sequence[str],
) -> None:
    roles = {transform["date_column"], transform["region_column"]}
    errors: list[str] = []
    for name in y_variables:
        lacking = [r["combination_id"] for r in records if name not in r["columns"]]
        if name in x_columns or name in transform["media_variables"]:
            errors.append(f"{name!r} is a model variable of the transform")
        elif name in roles:
            errors.append(f"{name!r} is the date or region column")
        elif lacking:
            errors.append(f"{name!r} is not a column of the data of {lacking}")
    if errors:
        raise InvalidInput(
            "y_variables: " + "; ".join(errors),
            errors={"json": {"y_variables": errors}},
        )


def _model_document(
    training_id: str,
    model_id: int,
    region_column: str | None,
    record: dict[str, Any],
    frame: pd.DataFrame,
    fit: FittedMarketingModel,
    created: datetime,
) -> dict[str, Any]:
    identifiers = record["identifiers"]
    return {
        "_id": f"{training_id}:{model_id}",
        "training_id": training_id,
        "model_id": model_id,
        "position": record["position"],
        "combination_id": record["combination_id"],
        "identifiers": identifiers,
        "brand": identifiers.get("brand") or _single_value(frame, BRAND_COLUMNS),
        "market": [identifiers["market"]]
        if "market" in identifiers
        else _values(frame, MARKET_COLUMNS),
        "region": list(record["regions"]) if region_column else [],
        "y_variable": fit.y_variable,
        "model_type": fit.model_type.value,
        **{name: finite(value) for name, value in fit.scores.items()},
        "intercept": finite(fit.intercept),
        "coefficients": [
            {"name": name, "value": finite(value)}
            for name, value in fit.coefficients.items()
        ],
        "n_train": fit.n_train,
        "n_test": fit.n_test,
        "objective_value": finite(fit.objective_value),
        "solver_converged": fit.converged,
        "config": {
            "alpha": fit.config.alpha,
            "l1_ratio": fit.config.l1_ratio,
            "fit_intercept": fit.config.fit_intercept,
        },
        "contributions": None,
        "elasticities": None,
        "roi": None,
        "created_at": created,
    }


def _single_value(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    values = _values(frame, names)
    return values[0] if len(values) == 1 else None


def _values(frame: pd.DataFrame, names: Sequence[str]) -> list[str]:
    column = next((name for name in names if name in frame.columns), None)
    if column is None:
        return []
    return sorted(str(value) for value in frame[column].dropna().unique())


def best_models(documents: Sequence[Mapping[str, Any]]) -> dict[str, int | None]:
    """Model ids with the lowest mape, the highest r_squared, the lowest aic."""

    def pick(metric: str, sign: float) -> int | None:
        scored = [d for d in documents if d.get(metric) is not None]
        if not scored:
            return None
        return int(min(scored, key=lambda d: sign * d[metric])["model_id"])

    return {
        "by_mape": pick("mape", 1.0),
        "by_r2": pick("r_squared", -1.0),
        "by_aic": pick("aic", 1.0),
    }


def _brief(document: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: document[key]
        for key in (
            "model_id",
            "combination_id",
            "y_variable",
            "model_type",
            "mape",
            "r_squared",
        )
    }
