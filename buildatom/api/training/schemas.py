"""Schemas of ``POST /train-models`` (endpoint 7)."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    post_dump,
    validate,
    validates_schema,
)

from buildatom.api.fields import FiniteFloat
from buildatom.modeling.regression import ModelConfigError, ModelName, model_spec
from buildatom.modeling.scaling import Standardization

MODEL_NAMES = [name.value for name in ModelName]
DEFAULT_MODELS = ["linear", "ridge", "lasso", "elastic_net"]


class TrainModelsRequestSchema(Schema):
    scope_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"example": "scope_123"},
    )
    set_name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"example": "Scope_1"},
    )
    x_variables = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)),
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"example": ["Channel", "Brand", "PPG", "Price"]},
    )
    y_variable = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"example": "Volume"},
    )
    price_column = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"example": "Price", "description": "One of x_variables."},
    )
    standardization = fields.String(
        load_default=Standardization.NONE.value,
        validate=validate.OneOf([s.value for s in Standardization]),
        metadata={"example": "minmax"},
    )
    k_folds = fields.Integer(
        load_default=5,
        strict=True,
        validate=validate.Range(min=2, max=20),
        metadata={"example": 5},
    )
    models_to_run = fields.List(
        fields.String(validate=validate.OneOf(MODEL_NAMES)),
        load_default=lambda: list(DEFAULT_MODELS),
        validate=validate.Length(min=1, max=len(MODEL_NAMES)),
        metadata={"example": ["ridge", "lasso", "linear", "elastic_net"]},
    )
    custom_model_configs = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        load_default=dict,
        metadata={
            "example": {"ridge": {"alpha": 0.1}, "lasso": {"alpha": 0.01}},
            "description": "Options per model, as scikit-learn names them; "
            "custom_constrained_ridge takes bounds: {variable: [low, high]}.",
        },
    )

    @validates_schema
    def check_consistency(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        x_variables = data.get("x_variables", [])
        _unique(errors, "x_variables", x_variables)
        _unique(errors, "models_to_run", data.get("models_to_run", []))
        price = data.get("price_column")
        if price is not None and price not in x_variables:
            errors.setdefault("price_column", []).append(
                f"{price!r} must be one of x_variables {x_variables}"
            )
        y_variable = data.get("y_variable")
        if y_variable in x_variables:
            errors.setdefault("y_variable", []).append(
                f"{y_variable!r} cannot also be an x variable"
            )
        if errors:
            raise ValidationError(errors)

    @validates_schema
    def check_model_configs(self, data: dict[str, Any], **kwargs: Any) -> None:
        configs = data.get("custom_model_configs", {})
        chosen = data.get("models_to_run", [])
        errors: dict[str, list[str]] = {}
        for name, config in configs.items():
            if name not in MODEL_NAMES:
                errors[name] = [f"unknown model; allowed: {MODEL_NAMES}"]
            elif name not in chosen:
                errors[name] = [f"{name!r} is not in models_to_run {chosen}"]
            else:
                try:
                    spec = model_spec(name, config)
                except ModelConfigError as error:
                    errors[name] = [str(error)]
                    continue
                unknown = sorted(set(spec.bounds) - set(data.get("x_variables", [])))
                if unknown:
                    errors[name] = [
                        f"bounds name variables not in x_variables: {unknown}"
                    ]
        if errors:
            raise ValidationError({"custom_model_configs": errors})


def _unique(errors: dict[str, list[str]], field: str, values: list[str]) -> None:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        errors.setdefault(field, []).append(f"repeated entries: {repeated}")


class FoldResultSchema(Schema):
    fold = fields.Integer(metadata={"example": 1})
    n_train = fields.Integer(metadata={"example": 124})
    n_test = fields.Integer(metadata={"example": 32})
    mape_train = FiniteFloat(allow_none=True, metadata={"example": 0.041})
    r2_train = FiniteFloat(allow_none=True, metadata={"example": 0.91})
    mape_test = FiniteFloat(allow_none=True, metadata={"example": 0.048})
    r2_test = FiniteFloat(allow_none=True, metadata={"example": 0.88})


class ModelResultSchema(Schema):
    model_name = fields.String(metadata={"example": "ridge"})
    mape_test = FiniteFloat(allow_none=True, metadata={"example": 0.123})
    r2_test = FiniteFloat(allow_none=True, metadata={"example": 0.876})
    mape_train = FiniteFloat(allow_none=True, metadata={"example": 0.101})
    r2_train = FiniteFloat(allow_none=True, metadata={"example": 0.902})
    aic = FiniteFloat(allow_none=True, metadata={"example": 1523.4})
    bic = FiniteFloat(allow_none=True, metadata={"example": 1535.6})
    price_elasticity = FiniteFloat(allow_none=True, metadata={"example": -1.23})
    intercept = FiniteFloat(allow_none=True, metadata={"example": 1000.0})
    coefficients = fields.Dict(
        keys=fields.String(),
        values=FiniteFloat(allow_none=True),
        metadata={"example": {"Price": -210.5, "Promo": 80.2}},
    )
    scaled_coefficients = fields.Dict(
        keys=fields.String(),
        values=FiniteFloat(allow_none=True),
        metadata={"example": {"Price": -150.3, "Promo": 80.2}},
    )
    n_rows = fields.Integer(metadata={"example": 156})
    converged = fields.Boolean(
        metadata={
            "example": True,
            "description": "False when a lasso or elastic net stopped at "
            "max_iter on a fold or the final fit; raise max_iter.",
        }
    )
    dropped_variables = fields.List(
        fields.String(), metadata={"example": ["Channel", "Brand", "PPG"]}
    )


class CombinationResultSchema(Schema):
    """One combination's outcome; its identifiers (channel, ...) follow."""

    class Meta:
        # Identifier fields (channel, brand, ...) vary by scope.
        unknown = INCLUDE

    combination_id = fields.String(metadata={"example": "walmart_heinz_large"})
    status = fields.String(
        metadata={"example": "completed", "enum": ["completed", "failed"]}
    )
    error = fields.String(
        metadata={"example": "file 'sales/x.csv' lacks columns ['Price']"}
    )
    dropped_variables = fields.List(
        fields.String(), metadata={"example": ["Channel", "Brand", "PPG"]}
    )
    model_results = fields.List(fields.Nested(ModelResultSchema))

    @post_dump(pass_original=True)
    def add_identifiers(
        self, data: dict[str, Any], original: dict[str, Any], **kwargs: Any
    ) -> dict[str, Any]:
        return {**data, **original.get("identifiers", {})}


class BestModelSchema(Schema):
    model = fields.String(metadata={"example": "ridge"})
    mape_test = FiniteFloat(allow_none=True, metadata={"example": 0.123})


class FailedCombinationSchema(Schema):
    combination_id = fields.String(metadata={"example": "walmart_heinz_small"})
    error = fields.String(metadata={"example": "all-zero target 'Volume'"})


class TrainingSummarySchema(Schema):
    run_id = fields.String(metadata={"example": "0b7e6d1c-2f55-4a43-9a0e-3c1d7f7f9a10"})
    total_models_saved = fields.Integer(metadata={"example": 48})
    best_model_by_mape = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(BestModelSchema),
        metadata={
            "example": {"walmart_heinz_large": {"model": "ridge", "mape_test": 0.123}}
        },
    )
    failed_combinations = fields.List(fields.Nested(FailedCombinationSchema))
    duration_seconds = fields.Float(metadata={"example": 1.92})


class TrainModelsResponseSchema(Schema):
    scope_id = fields.String(metadata={"example": "scope_123"})
    set_name = fields.String(metadata={"example": "Scope_1"})
    x_variables = fields.List(
        fields.String(), metadata={"example": ["Channel", "Brand", "PPG", "Price"]}
    )
    y_variable = fields.String(metadata={"example": "Volume"})
    total_combinations = fields.Integer(metadata={"example": 12})
    combination_results = fields.List(fields.Nested(CombinationResultSchema))
    summary = fields.Nested(TrainingSummarySchema)
