"""Reading completed training runs (endpoints 8 and 9).

A completed run never changes, so its document and the pages computed from it
are kept in a per-process cache; runs in any other state are read afresh.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from buildatom.errors import NotFound
from buildatom.repositories.leased_runs import COMPLETED, RUNNING
from buildatom.repositories.training_runs import TrainingRunRepository
from buildatom.services.page_cache import completed_pages
from buildatom.services.training_documents import model_view

CACHED_PAGE_LIMIT = 100
_MODEL_PROJECTION = {"variable_statistics": 0}
_STATS_PROJECTION = {"models": 0}


class ResultsService:
    """Serves only runs whose status is ``completed``."""

    def __init__(self, runs: TrainingRunRepository) -> None:
        self._runs = runs

    def completed_run(self, run_id: str) -> dict[str, Any]:
        """Return the run document, or 404 when unknown or not completed."""
        key = (self._runs.namespace, "run", run_id)
        run: dict[str, Any] = completed_pages.get_or_compute(
            key, lambda: self._checked_run(run_id)
        )
        return run

    def _checked_run(self, run_id: str) -> dict[str, Any]:
        run = self._runs.find(run_id)
        if run is None:
            raise NotFound(f"training run {run_id!r} not found")
        if run["status"] == RUNNING and run["lease_expires_at"] < datetime.now(UTC):
            self._runs.expire_stale_runs()
            run = self._runs.find(run_id) or run
        if run["status"] != COMPLETED:
            raise NotFound(
                f"training run {run_id!r} is {run['status']}; results are "
                "readable once it is completed"
            )
        return run

    def detailed(
        self, run_id: str, include_folds: bool, limit: int, skip: int
    ) -> dict[str, Any]:
        """One page of model results, ``limit`` combinations at a time."""
        if limit > CACHED_PAGE_LIMIT:
            return self._detailed(run_id, include_folds, limit, skip)
        key = (self._runs.namespace, "detailed", run_id, include_folds, limit, skip)
        page: dict[str, Any] = completed_pages.get_or_compute(
            key, lambda: self._detailed(run_id, include_folds, limit, skip)
        )
        return page

    def variable_statistics(self, run_id: str, limit: int, skip: int) -> dict[str, Any]:
        """Per-combination mean, std (ddof 1), min and max of every variable."""
        if limit > CACHED_PAGE_LIMIT:
            return self._variable_statistics(run_id, limit, skip)
        key = (self._runs.namespace, "statistics", run_id, limit, skip)
        page: dict[str, Any] = completed_pages.get_or_compute(
            key, lambda: self._variable_statistics(run_id, limit, skip)
        )
        return page

    def _detailed(
        self, run_id: str, include_folds: bool, limit: int, skip: int
    ) -> dict[str, Any]:
        run = self.completed_run(run_id)
        results: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        positions = _page(run, limit, skip)
        documents = self._runs.iter_results(run_id, positions, _MODEL_PROJECTION)
        for document in documents:
            if document["status"] != "completed":
                failed.append(
                    {
                        "combination_id": document["combination_id"],
                        "error": document["error"],
                    }
                )
            results.extend(
                _model_row(document, model, include_folds)
                for model in document["models"]
            )
        return {
            "run_id": run_id,
            "total_models": run["total_models_saved"],
            "total_combinations": run["total_combinations"],
            "limit": limit,
            "skip": skip,
            "variable_averages": _as_map(run.get("variable_averages", [])),
            "results": results,
            "failed_combinations": failed,
        }

    def _variable_statistics(
        self, run_id: str, limit: int, skip: int
    ) -> dict[str, Any]:
        run = self.completed_run(run_id)
        combinations = []
        positions = _page(run, limit, skip)
        for document in self._runs.iter_results(run_id, positions, _STATS_PROJECTION):
            statistics = {
                stat["name"]: {key: stat[key] for key in ("mean", "std", "min", "max")}
                for stat in document["variable_statistics"]
            }
            combinations.append(
                {
                    "combination_id": document["combination_id"],
                    "identifiers": document["identifiers"],
                    "status": document["status"],
                    "variable_statistics": statistics,
                    "variable_averages": {
                        name: stat["mean"] for name, stat in statistics.items()
                    },
                }
            )
        return {
            "run_id": run_id,
            "total_combinations": run["total_combinations"],
            "limit": limit,
            "skip": skip,
            "combinations": combinations,
        }


def _model_row(
    document: dict[str, Any], model: dict[str, Any], include_folds: bool
) -> dict[str, Any]:
    view = model_view(model)
    row = {
        "_id": f"{document['combination_id']}/{model['model_name']}",
        "combination_id": document["combination_id"],
        "identifiers": document["identifiers"],
        "dropped_variables": document["dropped_variables"],
        **view,
        "coefficients": {"intercept": model["intercept"], **view["coefficients"]},
    }
    if include_folds:
        row["folds"] = model["folds"]
    return row


def _page(run: dict[str, Any], limit: int, skip: int) -> range:
    """Positions of one page of a run's combinations."""
    return range(skip, min(skip + limit, run["total_combinations"]))


def _as_map(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    return {pair["name"]: pair["value"] for pair in pairs}
