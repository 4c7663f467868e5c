"""Endpoint 7: train models on every combination of a scope's set."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from buildatom.api.dependencies import training_service, training_slot
from buildatom.api.errors import RUN_LOST, SLOTS_BUSY
from buildatom.api.training.schemas import (
    TrainModelsRequestSchema,
    TrainModelsResponseSchema,
)
from buildatom.modeling.regression import model_spec
from buildatom.modeling.scaling import Standardization
from buildatom.services.training import TrainingRequest

blp = Blueprint("training", __name__, description="Train regression models")


@blp.route("/train-models", methods=["POST"])
@blp.arguments(TrainModelsRequestSchema)
@blp.response(200, TrainModelsResponseSchema)
@blp.alt_response(409, description=RUN_LOST)
@blp.alt_response(429, description=SLOTS_BUSY)
def train_models(body: dict[str, Any]) -> dict[str, Any]:
    """Train the chosen models on every combination of a set and store the run."""
    with training_slot():
        return training_service().train(_training_request(body))


def _training_request(body: dict[str, Any]) -> TrainingRequest:
    configs = body["custom_model_configs"]
    specs = [model_spec(name, configs.get(name)) for name in body["models_to_run"]]
    return TrainingRequest(
        scope_id=body["scope_id"],
        set_name=body["set_name"],
        x_variables=body["x_variables"],
        y_variable=body["y_variable"],
        price_column=body["price_column"],
        standardization=Standardization(body["standardization"]),
        k_folds=body["k_folds"],
        specs=specs,
        model_configs=[
            {"model": name, **_storable(config)} for name, config in configs.items()
        ],
    )


def _storable(config: dict[str, Any]) -> dict[str, Any]:
    """A model config with ``bounds`` as a list, so no variable is a field name."""
    stored = {key: value for key, value in config.items() if key != "bounds"}
    if "bounds" in config:
        stored["bounds"] = [
            {"variable": name, "low": bound[0], "high": bound[1]}
            for name, bound in config["bounds"].items()
        ]
    return stored
