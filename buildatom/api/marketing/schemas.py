"""Schemas of prepare-data (13) and transform-variables (14)."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from buildatom.api.fields import FiniteFloat
from buildatom.modeling.transforms import (
    MediaTransform,
    ScalingMethod,
    TransformationType,
    TransformParameterError,
)
from buildatom.services.marketing_prepare import PrepareRequest
from buildatom.services.marketing_transform import TransformRequest

RUN_ID_EXAMPLE = "3f6c2a8e-5b1d-4f7a-9c2e-8d4b6a1f0e93"
TRANSFORM_ID_EXAMPLE = "7a1e9c44-0d2b-4b8e-a6f3-2c5d9e8b1f07"
NAME = validate.Length(min=1, max=200)


def unique(errors: dict[str, Any], field: str, values: list[Any]) -> None:
    """Record an error for ``field`` when ``values`` repeats an entry."""
    repeated = sorted({v for v in values if values.count(v) > 1}, key=str)
    if repeated:
        errors.setdefault(field, []).append(f"repeated entries: {repeated}")


class MarketingFailedCombinationSchema(Schema):
    combination_id = fields.String(metadata={"example": "kraft_CA"})
    error = fields.String(
        metadata={
            "example": "file 'marketing/kraft_CA.csv' not found in the data bucket"
        }
    )


class PrepareDataRequestSchema(Schema):
    scope_id = fields.String(
        required=True, validate=NAME, metadata={"example": "marketing_scope_123"}
    )
    set_name = fields.String(
        required=True, validate=NAME, metadata={"example": "MMM_Set_1"}
    )
    fiscal_years = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1900, max=2200)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=200),
        metadata={
            "example": [2023, 2024],
            "description": "Keep the rows of these fiscal years; all rows when absent.",
        },
    )
    remove_zero_columns = fields.Boolean(
        load_default=False,
        metadata={
            "example": True,
            "description": "Drop numeric columns that are 0 on every kept row of "
            "the set.",
        },
    )
    date_column = fields.String(
        load_default=None,
        validate=NAME,
        metadata={"example": "Date", "description": "Default: Date, date, Week, week."},
    )
    region_column = fields.String(
        load_default=None,
        validate=NAME,
        metadata={"example": "Region", "description": "Default: Region, region."},
    )
    fiscal_year_column = fields.String(
        load_default=None,
        validate=NAME,
        metadata={
            "example": "Fiscal_Year",
            "description": "Default: Fiscal_Year, fiscal_year; else the calendar "
            "year of the date.",
        },
    )

    @validates_schema
    def check_years(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        unique(errors, "fiscal_years", data.get("fiscal_years") or [])
        if errors:
            raise ValidationError(errors)

    @post_load
    def make_request(self, data: dict[str, Any], **kwargs: Any) -> PrepareRequest:
        return PrepareRequest(**data)


class PrepareDataResponseSchema(Schema):
    run_id = fields.String(metadata={"example": RUN_ID_EXAMPLE})
    status = fields.String(metadata={"example": "success"})
    rows = fields.Integer(
        metadata={
            "example": 1248,
            "description": "Kept rows, summed over combinations.",
        }
    )
    columns = fields.Integer(
        metadata={"example": 52, "description": "Columns, summed over combinations."}
    )
    prepared_data_key = fields.String(
        metadata={"example": f"marketing-prepared/{RUN_ID_EXAMPLE}/"}
    )
    fiscal_years_included = fields.List(
        fields.Integer(), allow_none=True, metadata={"example": [2023, 2024]}
    )
    columns_removed = fields.List(
        fields.String(), allow_none=True, metadata={"example": None}
    )
    combinations_prepared = fields.Integer(metadata={"example": 4})
    failed_combinations = fields.List(fields.Nested(MarketingFailedCombinationSchema))


class TransformVariablesRequestSchema(Schema):
    run_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"example": RUN_ID_EXAMPLE, "description": "A prepare-data run_id."},
    )
    media_variables = fields.List(
        fields.String(validate=NAME),
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"example": ["TV_Spend", "Digital_Spend", "Print_Spend"]},
    )
    other_variables = fields.List(
        fields.String(validate=NAME),
        load_default=list,
        validate=validate.Length(max=200),
        metadata={"example": ["Price", "Distribution"]},
    )
    non_scaled_variables = fields.List(
        fields.String(validate=NAME),
        load_default=list,
        validate=validate.Length(max=200),
        metadata={"example": ["Holiday_Flag"]},
    )
    transformation_type = fields.String(
        load_default=TransformationType.ADSTOCK.value,
        validate=validate.OneOf([kind.value for kind in TransformationType]),
        metadata={"example": "logistic"},
    )
    standardization_method = fields.String(
        load_default=ScalingMethod.NONE.value,
        validate=validate.OneOf([method.value for method in ScalingMethod]),
        metadata={"example": "minmax"},
    )
    transformation_params = fields.Dict(
        keys=fields.String(validate=NAME),
        values=fields.List(fields.Float(), validate=validate.Length(max=10)),
        load_default=dict,
        metadata={
            "example": {"TV_Spend": [0.8, 0.3, 0.5], "Digital_Spend": [0.9, 0.2, 0.4]},
            "description": "Per media variable: adstock [carryover], logistic "
            "[growth_rate, carryover, midpoint], power [exponent, carryover].",
        },
    )

    @validates_schema
    def check_variables(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        roles = ("media_variables", "other_variables", "non_scaled_variables")
        seen: dict[str, str] = {}
        for role in roles:
            names = data.get(role, [])
            unique(errors, role, names)
            for name in names:
                if seen.setdefault(name, role) != role:
                    errors.setdefault(role, []).append(
                        f"{name!r} is also in {seen[name]}"
                    )
        if errors:
            raise ValidationError(errors)

    @validates_schema
    def check_params(self, data: dict[str, Any], **kwargs: Any) -> None:
        kind = data.get("transformation_type", TransformationType.ADSTOCK.value)
        media = data.get("media_variables", [])
        errors: dict[str, list[str]] = {}
        for variable, params in data.get("transformation_params", {}).items():
            if variable not in media:
                errors[variable] = [f"{variable!r} is not among media_variables"]
                continue
            try:
                MediaTransform.from_params(kind, params, variable)
            except TransformParameterError as error:
                errors[variable] = [str(error)]
        if errors:
            raise ValidationError({"transformation_params": errors})

    @post_load
    def make_request(self, data: dict[str, Any], **kwargs: Any) -> TransformRequest:
        return TransformRequest(
            **{
                **data,
                "transformation_type": TransformationType(data["transformation_type"]),
                "standardization_method": ScalingMethod(data["standardization_method"]),
            }
        )


class RegionStatisticsSchema(Schema):
    mean = FiniteFloat(allow_none=True, metadata={"example": 0.5})
    std = FiniteFloat(allow_none=True, metadata={"example": 0.2})
    min = FiniteFloat(allow_none=True, metadata={"example": 0.1})
    max = FiniteFloat(allow_none=True, metadata={"example": 0.9})


class TransformVariablesResponseSchema(Schema):
    transform_id = fields.String(metadata={"example": TRANSFORM_ID_EXAMPLE})
    status = fields.String(metadata={"example": "success"})
    transformed_data_key = fields.String(
        metadata={"example": f"marketing-transformed/{TRANSFORM_ID_EXAMPLE}/"}
    )
    variable_statistics = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(
            keys=fields.String(),
            values=fields.Dict(
                keys=fields.String(), values=fields.Nested(RegionStatisticsSchema)
            ),
        ),
        metadata={
            "example": {
                "heinz_US": {
                    "TV_Spend_transformed": {
                        "Northeast": {"mean": 0.5, "std": 0.2, "min": 0.1, "max": 0.9}
                    }
                }
            },
            "description": "combination -> column -> region -> statistics of the "
            "transformed, scaled column (std with ddof 1).",
        },
    )
    regions_processed = fields.List(
        fields.String(), metadata={"example": ["Northeast", "South", "West"]}
    )
    media_variables_transformed = fields.List(
        fields.String(), metadata={"example": ["TV_Spend", "Digital_Spend"]}
    )
