"""Marketing model results (endpoint 17): completed training runs, filtered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from buildatom.services.marketing_runs import TRAINING, MarketingRuns

METRICS = (
    "mape",
    "r_squared",
    "adjusted_r_squared",
    "aic",
    "bic",
    "nrmse_train",
    "nrmse_test",
)


class MarketingResultsService:
    """Reads the models of completed training runs."""

    def __init__(self, runs: MarketingRuns) -> None:
        self._runs = runs

    def results(
        self,
        training_id: str,
        model_ids: Sequence[int] | None = None,
        brand: str | None = None,
        region: str | None = None,
    ) -> list[dict[str, Any]]:
        """The run's models in id order; ``region`` matches any of a model's."""
        self._runs.completed(training_id, TRAINING)
        models = self._runs.repository.models(training_id, model_ids, brand, region)
        return [model_view(model) for model in models]


def model_view(model: Mapping[str, Any]) -> dict[str, Any]:
    """A stored model as the API and the exports show it (names as keys)."""
    return {
        "model_id": model["model_id"],
        "model_type": model["model_type"],
        "combination_id": model["combination_id"],
        "identifiers": model["identifiers"],
        "brand": model["brand"],
        "market": model["market"],
        "region": model["region"],
        "y_variable": model["y_variable"],
        **{metric: model[metric] for metric in METRICS},
        "coefficients": {
            "intercept": model["intercept"],
            **{c["name"]: c["value"] for c in model["coefficients"]},
        },
        "contributions": _as_map(model.get("contributions"), "name"),
        "elasticities": _as_map(model.get("elasticities"), "variable"),
        "roi": _as_map(model.get("roi"), "variable"),
        "n_train": model["n_train"],
        "n_test": model["n_test"],
        "converged": model.get("solver_converged"),
        "created_at": model["created_at"],
        "training_id": model["training_id"],
    }


def _as_map(entries: list[dict[str, Any]] | None, key: str) -> dict[str, Any] | None:
    if entries is None:
        return None
    return {entry[key]: entry["value"] for entry in entries}
