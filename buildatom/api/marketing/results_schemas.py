"""Schemas of the marketing results (17), export and download (18)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from buildatom.api.fields import FiniteFloat, UtcDateTime
from buildatom.api.marketing.training_schemas import TRAINING_ID_EXAMPLE
from buildatom.services.marketing_exports import ExportFormat

EXPORT_KEY_EXAMPLE = (
    f"marketing-results/{TRAINING_ID_EXAMPLE}/marketing_results_20250801_100000.xlsx"
)


class ResultsQuerySchema(Schema):
    model_ids = fields.List(
        fields.Integer(validate=validate.Range(min=1)),
        validate=validate.Length(max=10_000),
        metadata={"example": [1, 2], "description": "Repeat to name several."},
    )
    brand = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"example": "heinz"}
    )
    region = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"example": "Northeast", "description": "Among the model's regions."},
    )


def _name_map(example: dict[str, float]) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=FiniteFloat(allow_none=True),
        allow_none=True,
        metadata={"example": example},
    )


class MarketingModelSchema(Schema):
    model_id = fields.Integer(metadata={"example": 1})
    model_type = fields.String(metadata={"example": "RIDGE"})
    combination_id = fields.String(metadata={"example": "heinz_US"})
    brand = fields.String(allow_none=True, metadata={"example": "heinz"})
    market = fields.List(fields.String(), metadata={"example": ["US"]})
    region = fields.List(
        fields.String(), metadata={"example": ["Northeast", "South", "West"]}
    )
    y_variable = fields.String(metadata={"example": "Revenue"})
    mape = FiniteFloat(allow_none=True, metadata={"example": 0.082})
    r_squared = FiniteFloat(allow_none=True, metadata={"example": 0.923})
    adjusted_r_squared = FiniteFloat(allow_none=True, metadata={"example": 0.918})
    aic = FiniteFloat(allow_none=True, metadata={"example": 1523.4})
    bic = FiniteFloat(allow_none=True, metadata={"example": 1578.9})
    nrmse_train = FiniteFloat(allow_none=True, metadata={"example": 0.061})
    nrmse_test = FiniteFloat(allow_none=True, metadata={"example": 0.074})
    coefficients = _name_map(
        {"intercept": 10000.0, "TV_Spend_transformed": 0.25, "Price": -1.5}
    )
    contributions = _name_map({"TV_Spend_transformed": 0.30, "intercept": 0.55})
    elasticities = _name_map({"TV_Spend": 0.25, "Digital_Spend": 0.35})
    roi = _name_map({"TV_Spend": 1.8, "Digital_Spend": 2.4})
    n_train = fields.Integer(metadata={"example": 249})
    n_test = fields.Integer(metadata={"example": 63})
    converged = fields.Boolean(
        allow_none=True,
        metadata={
            "example": True,
            "description": "False when the solver stopped at its iteration "
            "limit before the optimality conditions held.",
        },
    )
    created_at = UtcDateTime(metadata={"example": "2025-08-01T10:00:00.000Z"})
    training_id = fields.String(metadata={"example": TRAINING_ID_EXAMPLE})


class ExportQuerySchema(Schema):
    file_format = fields.String(
        data_key="format",
        load_default=ExportFormat.XLSX.value,
        validate=validate.OneOf([kind.value for kind in ExportFormat]),
        metadata={"example": "xlsx"},
    )


class MarketingExportSchema(Schema):
    status = fields.String(metadata={"example": "success"})
    file_key = fields.String(metadata={"example": EXPORT_KEY_EXAMPLE})
    download_url = fields.String(
        metadata={"example": f"/api/v1/marketing/download/{EXPORT_KEY_EXAMPLE}"}
    )
    format = fields.String(metadata={"example": "xlsx"})
    size = fields.Integer(metadata={"example": 18432})
    models = fields.Integer(metadata={"example": 24})
