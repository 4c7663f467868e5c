"""What a training run stores per combination, and what it answers.

Result documents keep coefficients as name/value pairs, so no user-supplied
name becomes a MongoDB field name; :func:`model_view` turns them back into the
maps the API shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from buildatom.modeling.cross_validation import ModelEvaluation
from buildatom.modeling.design import DesignMatrix
from buildatom.repositories.training_runs import result_id
from buildatom.services.numbers import finite, pairs
from buildatom.services.scopes import Combination


class Outcome:
    """Totals and response rows gathered chunk by chunk."""

    def __init__(self) -> None:
        self.responses: list[dict[str, Any]] = []
        self.models_saved = 0
        self.best: list[dict[str, Any]] = []
        self.failed: list[dict[str, Any]] = []
        self.coefficient_names: dict[str, None] = {}
        self.identifier_names: dict[str, None] = {}
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def add(self, documents: Sequence[dict[str, Any]]) -> None:
        """Count in a chunk's result documents."""
        for document in documents:
            self.responses.append(_response_row(document))
            self.identifier_names.update(dict.fromkeys(document["identifiers"]))
            if document["status"] == "failed":
                self.failed.append(
                    {
                        "combination_id": document["combination_id"],
                        "error": document["error"],
                    }
                )
                continue
            self.models_saved += len(document["models"])
            for model in document["models"]:
                self.coefficient_names.update(
                    dict.fromkeys(c["name"] for c in model["coefficients"])
                )
            best = _best_model(document)
            if best is not None:
                self.best.append(best)
            for stat in document["variable_statistics"]:
                self.sums[stat["name"]] = self.sums.get(stat["name"], 0.0) + stat["sum"]
                self.counts[stat["name"]] = (
                    self.counts.get(stat["name"], 0) + stat["count"]
                )

    def totals(self) -> dict[str, Any]:
        """The run-wide totals stored on the run document."""
        averages = [
            {"name": name, "value": finite(self.sums[name] / self.counts[name])}
            for name in self.sums
            if self.counts[name]
        ]
        return {
            "coefficient_names": list(self.coefficient_names),
            "identifier_names": list(self.identifier_names),
            "variable_averages": averages,
            "total_models_saved": self.models_saved,
            "total_combinations": len(self.responses),
        }


def _base_document(
    run_id: str, position: int, combination: Combination
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "_id": result_id(run_id, position),
        "position": position,
        "combination_id": combination.combination_id,
        "identifiers": combination.identifiers,
        "file_key": combination.file_key,
    }


def failed_document(
    run_id: str, position: int, combination: Combination, error: str | None
) -> dict[str, Any]:
    """The stored result of a combination that could not be fitted."""
    return {
        **_base_document(run_id, position, combination),
        "status": "failed",
        "error": error,
        "dropped_variables": [],
        "variable_statistics": [],
        "models": [],
    }


def result_document(
    run_id: str,
    position: int,
    combination: Combination,
    design: DesignMatrix,
    models: Sequence[ModelEvaluation],
    statistics: list[dict[str, Any]],
) -> dict[str, Any]:
    """The stored result of a fitted combination: its models and statistics."""
    return {
        **_base_document(run_id, position, combination),
        "status": "completed",
        "error": None,
        "n_rows": design.n_rows,
        "dropped_variables": design.dropped_variables,
        "variable_statistics": statistics,
        "models": [_model_document(model) for model in models],
    }


def _model_document(model: ModelEvaluation) -> dict[str, Any]:
    return {
        "model_name": model.model_name.value,
        "mape_test": finite(model.mape_test),
        "r2_test": finite(model.r2_test),
        "mape_train": finite(model.mape_train),
        "r2_train": finite(model.r2_train),
        "aic": finite(model.aic),
        "bic": finite(model.bic),
        "price_elasticity": finite(model.price_elasticity),
        "intercept": finite(model.intercept),
        "n_rows": model.n_rows,
        "converged": model.converged,
        "coefficients": pairs(model.coefficients),
        "scaled_coefficients": pairs(model.scaled_coefficients),
        "folds": [
            {
                "fold": fold.fold + 1,
                "n_train": fold.n_train,
                "n_test": fold.n_test,
                "mape_train": finite(fold.mape_train),
                "r2_train": finite(fold.r2_train),
                "mape_test": finite(fold.mape_test),
                "r2_test": finite(fold.r2_test),
            }
            for fold in model.folds
        ],
    }


def _best_model(document: dict[str, Any]) -> dict[str, Any] | None:
    scored = [m for m in document["models"] if m["mape_test"] is not None]
    if not scored:
        return None
    best = min(scored, key=lambda m: m["mape_test"])
    return {
        "combination_id": document["combination_id"],
        "model": best["model_name"],
        "mape_test": best["mape_test"],
    }


def _response_row(document: dict[str, Any]) -> dict[str, Any]:
    row = {
        "combination_id": document["combination_id"],
        "identifiers": document["identifiers"],
        "status": document["status"],
        "dropped_variables": document["dropped_variables"],
        "model_results": [
            {**model_view(m), "dropped_variables": document["dropped_variables"]}
            for m in document["models"]
        ],
    }
    if document["error"]:
        row["error"] = document["error"]
    return row


def model_view(model: dict[str, Any]) -> dict[str, Any]:
    """A stored model document as the API shows it (coefficients as a map)."""
    view = {key: value for key, value in model.items() if key != "folds"}
    view["coefficients"] = {c["name"]: c["value"] for c in model["coefficients"]}
    view["scaled_coefficients"] = {
        c["name"]: c["value"] for c in model["scaled_coefficients"]
    }
    return view


def best_by_combination(summary: dict[str, Any]) -> dict[str, Any]:
    """The stored best-model list as the API's map keyed by combination id."""
    return {
        best["combination_id"]: {"model": best["model"], "mape_test": best["mape_test"]}
        for best in summary["best_model_by_mape"]
    }


def run_summary(run_id: str, outcome: Outcome, duration: float) -> dict[str, Any]:
    """The summary stored on a completed run (best models as a list)."""
    return {
        "run_id": run_id,
        "total_models_saved": outcome.models_saved,
        "best_model_by_mape": outcome.best,
        "failed_combinations": outcome.failed,
        "duration_seconds": round(duration, 3),
    }
