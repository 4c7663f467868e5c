"""Schemas of train-models (15) and calculate-elasticity (16)."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from buildatom.api.fields import FiniteFloat
from buildatom.api.marketing.schemas import (
    NAME,
    TRANSFORM_ID_EXAMPLE,
    MarketingFailedCombinationSchema,
    unique,
)
from buildatom.modeling.marketing_models import (
    ConstraintType,
    MarketingModelError,
    MarketingModelType,
    resolve_model_config,
)
from buildatom.services.marketing_effects_service import ElasticityRequest
from buildatom.services.marketing_training import MarketingTrainingRequest

TRAINING_ID_EXAMPLE = "c4d8e2f1-6a3b-4c9d-8e7f-1a2b3c4d5e6f"
MODEL_TYPES = [kind.value for kind in MarketingModelType]
DEFAULT_MODEL_TYPES = ["RIDGE", "LASSO", "LINEAR"]
EFFECTS_EXAMPLE = {"1": {"TV_Spend": 0.25, "Digital_Spend": 0.35}}


class VariableConstraintSchema(Schema):
    variable_name = fields.String(
        required=True,
        validate=NAME,
        metadata={
            "example": "TV_Spend_transformed",
            "description": "A model variable; a raw media name means its "
            "transformed column.",
        },
    )
    constraint_type = fields.String(
        required=True,
        validate=validate.OneOf([kind.value for kind in ConstraintType]),
        metadata={"example": "positive"},
    )


class TrainMarketingModelsRequestSchema(Schema):
    run_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"example": TRANSFORM_ID_EXAMPLE, "description": "A transform_id."},
    )
    model_types = fields.List(
        fields.String(validate=validate.OneOf(MODEL_TYPES)),
        load_default=lambda: list(DEFAULT_MODEL_TYPES),
        validate=validate.Length(min=1, max=len(MODEL_TYPES)),
        metadata={"example": ["RIDGE", "LASSO", "LINEAR"]},
    )
    y_variables = fields.List(
        fields.String(validate=NAME),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"example": ["Revenue", "Volume"]},
    )
    train_test_split = fields.Float(
        load_default=0.8,
        validate=validate.Range(min=0, max=1, min_inclusive=False, max_inclusive=False),
        metadata={
            "example": 0.8,
            "description": "Share of the distinct dates, earliest first, used "
            "for training.",
        },
    )
    use_constraints = fields.Boolean(load_default=False, metadata={"example": True})
    variable_constraints = fields.List(
        fields.Nested(VariableConstraintSchema),
        load_default=list,
        validate=validate.Length(max=500),
        metadata={
            "example": [
                {
                    "variable_name": "TV_Spend_transformed",
                    "constraint_type": "positive",
                },
                {"variable_name": "Price", "constraint_type": "negative"},
            ]
        },
    )
    constraint_learning_rate = fields.Float(
        load_default=0.01,
        validate=validate.Range(min=0, max=10, min_inclusive=False),
        metadata={
            "example": 0.01,
            "description": "Accepted for compatibility; the exact solver needs "
            "no step size.",
        },
    )
    constraint_iterations = fields.Integer(
        load_default=1000,
        strict=True,
        validate=validate.Range(min=1, max=1_000_000),
        metadata={
            "example": 1000,
            "description": "Accepted for compatibility; the exact solver needs "
            "no iteration budget.",
        },
    )
    model_configs = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        load_default=dict,
        metadata={
            "example": {"RIDGE": {"alpha": 0.5}, "LASSO": {"alpha": 0.01}},
            "description": "Per model type: alpha, l1_ratio, fit_intercept, "
            "max_iter, tol, as scikit-learn names them.",
        },
    )

    @pre_load
    def upper_case_model_types(self, data: Any, **kwargs: Any) -> Any:
        """``ridge`` and ``RIDGE`` name the same model type."""
        if not isinstance(data, dict):
            return data
        types, configs = data.get("model_types"), data.get("model_configs")
        if isinstance(types, list):
            data = {**data, "model_types": [_upper(t) for t in types]}
        if isinstance(configs, dict):
            data = {**data, "model_configs": {_upper(k): v for k, v in configs.items()}}
        return data

    @validates_schema
    def check_lists(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        unique(errors, "model_types", data.get("model_types", []))
        unique(errors, "y_variables", data.get("y_variables", []))
        names = [c["variable_name"] for c in data.get("variable_constraints", [])]
        unique(errors, "variable_constraints", names)
        if errors:
            raise ValidationError(errors)

    @validates_schema
    def check_model_configs(self, data: dict[str, Any], **kwargs: Any) -> None:
        chosen = data.get("model_types", [])
        errors: dict[str, list[str]] = {}
        for name, config in data.get("model_configs", {}).items():
            if name not in chosen:
                errors[name] = [f"{name!r} is not in model_types {chosen}"]
                continue
            try:
                resolve_model_config(name, config)
            except MarketingModelError as error:
                errors[name] = [str(error)]
        if errors:
            raise ValidationError({"model_configs": errors})

    @post_load
    def make_request(
        self, data: dict[str, Any], **kwargs: Any
    ) -> MarketingTrainingRequest:
        return MarketingTrainingRequest(
            **{
                **data,
                "model_types": [MarketingModelType(t) for t in data["model_types"]],
                "variable_constraints": {
                    c["variable_name"]: ConstraintType(c["constraint_type"])
                    for c in data["variable_constraints"]
                },
            }
        )


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class MarketingTrainingSummarySchema(Schema):
    combinations_processed = fields.Integer(metadata={"example": 4})
    model_types = fields.List(
        fields.String(), metadata={"example": ["RIDGE", "LASSO", "LINEAR"]}
    )
    y_variables = fields.List(fields.String(), metadata={"example": ["Revenue"]})
    constraints_applied = fields.Boolean(metadata={"example": True})
    total_constraints = fields.Integer(metadata={"example": 2})
    failed_combinations = fields.List(fields.Nested(MarketingFailedCombinationSchema))


class BestModelsSchema(Schema):
    by_mape = fields.Integer(allow_none=True, metadata={"example": 5})
    by_r2 = fields.Integer(allow_none=True, metadata={"example": 3})
    by_aic = fields.Integer(allow_none=True, metadata={"example": 5})


class TrainedModelSchema(Schema):
    model_id = fields.Integer(metadata={"example": 1})
    combination_id = fields.String(metadata={"example": "heinz_US"})
    y_variable = fields.String(metadata={"example": "Revenue"})
    model_type = fields.String(metadata={"example": "RIDGE"})
    mape = FiniteFloat(allow_none=True, metadata={"example": 0.082})
    r_squared = FiniteFloat(allow_none=True, metadata={"example": 0.923})


class TrainMarketingModelsResponseSchema(Schema):
    training_id = fields.String(metadata={"example": TRAINING_ID_EXAMPLE})
    status = fields.String(metadata={"example": "success"})
    models_trained = fields.Integer(metadata={"example": 24})
    summary = fields.Nested(MarketingTrainingSummarySchema)
    best_models = fields.Nested(BestModelsSchema)
    execution_time_seconds = fields.Float(metadata={"example": 0.31})
    models = fields.List(fields.Nested(TrainedModelSchema))


class ElasticityRequestSchema(Schema):
    run_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"example": TRAINING_ID_EXAMPLE, "description": "A training_id."},
    )
    model_ids = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=100_000),
        metadata={"example": [1, 2, 3], "description": "Default: every model."},
    )
    include_contributions = fields.Boolean(
        load_default=True, metadata={"example": True}
    )

    @validates_schema
    def check_ids(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        unique(errors, "model_ids", data.get("model_ids") or [])
        if errors:
            raise ValidationError(errors)

    @post_load
    def make_request(self, data: dict[str, Any], **kwargs: Any) -> ElasticityRequest:
        return ElasticityRequest(**data)


def _effects_map(example: dict[str, Any], description: str) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=FiniteFloat(allow_none=True)),
        metadata={"example": example, "description": description},
    )


class ElasticityResponseSchema(Schema):
    status = fields.String(metadata={"example": "success"})
    models_updated = fields.Integer(metadata={"example": 3})
    elasticity_summary = _effects_map(
        EFFECTS_EXAMPLE, "model id -> raw media -> elasticity (1 % spend change)"
    )
    contribution_summary = _effects_map(
        {"1": {"TV_Spend_transformed": 0.30, "Price": -0.20, "intercept": 0.9}},
        "model id -> model column -> share of the summed prediction",
    )
    roi_summary = _effects_map(
        {"1": {"TV_Spend": 1.8, "Digital_Spend": 2.4}},
        "model id -> raw media -> y units per unit of raw spend",
    )
