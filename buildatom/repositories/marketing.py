"""Marketing runs, fitted transform parameters and models (13 to 18).

Prepare, transform and training runs share ``marketing_runs``, told apart by
``kind``; a run goes ``running`` → ``completed`` or ``failed``, and its small
per-combination records are embedded in it when it completes. A transform's
fitted parameters (``marketing_transform_parameters``, one document per
combination, ``_id`` ``{transform_id}:{position}``) and a training run's
models (``marketing_models``) are inserted while the run is ``running`` and
read only once it is ``completed``. Documents are fetched by ``_id`` where
possible, the look-up every MongoDB-compatible server serves from its
primary key. User-supplied names (variables, regions, coefficients) are
always values in lists, never field names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.database import Database

from buildatom.repositories.leased_runs import Document, LeasedRuns
from buildatom.repositories.mongo import translates_mongo_errors


class MarketingRepository(LeasedRuns):
    """The ``marketing_runs``, ``marketing_transform_parameters`` and
    ``marketing_models`` collections."""

    def __init__(self, database: Database[Any]) -> None:
        super().__init__(database["marketing_runs"])
        self._parameters = database["marketing_transform_parameters"]
        self._models = database["marketing_models"]

    @translates_mongo_errors
    def add_parameters(
        self, transform_id: str, documents: Sequence[Mapping[str, Any]]
    ) -> None:
        """Insert the fitted parameters of a running transform, one document
        per combination (each with its ``position``)."""
        if documents:
            self._parameters.insert_many(
                [
                    {
                        **document,
                        "_id": parameters_id(transform_id, document["position"]),
                        "transform_id": transform_id,
                    }
                    for document in documents
                ],
                ordered=False,
            )

    @translates_mongo_errors
    def add_models(self, models: Sequence[Mapping[str, Any]]) -> None:
        """Insert model documents of a running training run."""
        if models:
            self._models.insert_many([dict(m) for m in models], ordered=False)

    def _discard(self, run_id: str) -> None:
        self._parameters.delete_many({"transform_id": run_id})
        self._models.delete_many({"training_id": run_id})

    @translates_mongo_errors
    def parameters(self, transform_id: str, position: int) -> Document | None:
        """The fitted parameters of one combination of a transform."""
        return self._parameters.find_one({"_id": parameters_id(transform_id, position)})

    @translates_mongo_errors
    def models(
        self,
        training_id: str,
        model_ids: Sequence[int] | None = None,
        brand: str | None = None,
        region: str | None = None,
    ) -> list[Document]:
        """A training run's models in id order, optionally filtered.

        ``region`` matches a model whose list of regions holds it.
        """
        query: Document = {"training_id": training_id}
        if model_ids is not None:
            query["model_id"] = {"$in": list(model_ids)}
        if brand is not None:
            query["brand"] = brand
        if region is not None:
            query["region"] = region
        cursor = self._models.find(query).sort([("model_id", ASCENDING)])
        return list(cursor)

    @translates_mongo_errors
    def set_model_effects(
        self, training_id: str, model_id: int, effects: Mapping[str, Any]
    ) -> None:
        """Store elasticities, contributions and ROI on one model document."""
        self._models.update_one(
            {"training_id": training_id, "model_id": model_id},
            {"$set": {**effects, "effects_updated_at": _now()}},
        )


def parameters_id(transform_id: str, position: int) -> str:
    """``_id`` of one combination's fitted parameters."""
    return f"{transform_id}:{position:05d}"


def _now() -> datetime:
    return datetime.now(UTC)
