"""Schemas of the model-result endpoints (8 to 12)."""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, fields, post_dump, validate

from buildatom.api.fields import FiniteFloat, UtcDateTime
from buildatom.api.training.schemas import (
    FailedCombinationSchema,
    FoldResultSchema,
    ModelResultSchema,
)

RUN_ID_EXAMPLE = "0b7e6d1c-2f55-4a43-9a0e-3c1d7f7f9a10"


class ResultsPageQuerySchema(Schema):
    limit = fields.Integer(
        load_default=100,
        validate=validate.Range(min=1, max=1000),
        metadata={
            "example": 100,
            "description": "Combinations per page (1-1000); each brings all its "
            "models.",
        },
    )
    skip = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0),
        metadata={"example": 0, "description": "Combinations to skip."},
    )


class DetailedQuerySchema(ResultsPageQuerySchema):
    include_folds = fields.Boolean(
        load_default=False,
        metadata={"example": False, "description": "Add each fold's metrics."},
    )


class ExportQuerySchema(Schema):
    include_folds = fields.Boolean(
        load_default=False,
        metadata={"example": False, "description": "One row per fold."},
    )
    save_only = fields.Boolean(
        load_default=False,
        metadata={
            "example": True,
            "description": "Only save to MinIO and answer JSON, no download.",
        },
    )


class ListExportsQuerySchema(Schema):
    run_id = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"example": RUN_ID_EXAMPLE},
    )
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=200),
        metadata={"example": 50},
    )


def _with_identifiers(data: dict[str, Any], original: dict[str, Any]) -> dict[str, Any]:
    return {**data, **original.get("identifiers", {})}


class DetailedModelSchema(ModelResultSchema):
    """One model of one combination; the combination's identifiers follow."""

    class Meta:
        # Identifier fields (channel, brand, ...) vary by scope.
        unknown = INCLUDE

    _id = fields.String(metadata={"example": "walmart_heinz_large/ridge"})
    combination_id = fields.String(metadata={"example": "walmart_heinz_large"})
    folds = fields.List(fields.Nested(FoldResultSchema))

    @post_dump(pass_original=True)
    def add_identifiers(
        self, data: dict[str, Any], original: dict[str, Any], **kwargs: Any
    ) -> dict[str, Any]:
        return _with_identifiers(data, original)


class DetailedResultsSchema(Schema):
    run_id = fields.String(metadata={"example": RUN_ID_EXAMPLE})
    total_models = fields.Integer(metadata={"example": 48})
    total_combinations = fields.Integer(metadata={"example": 12})
    limit = fields.Integer(metadata={"example": 100})
    skip = fields.Integer(metadata={"example": 0})
    variable_averages = fields.Dict(
        keys=fields.String(),
        values=FiniteFloat(allow_none=True),
        metadata={"example": {"Price": 5.23, "Volume": 10000.5}},
    )
    results = fields.List(fields.Nested(DetailedModelSchema))
    failed_combinations = fields.List(fields.Nested(FailedCombinationSchema))


class StatisticsSchema(Schema):
    mean = FiniteFloat(allow_none=True, metadata={"example": 5.23})
    std = FiniteFloat(allow_none=True, metadata={"example": 1.2})
    min = FiniteFloat(allow_none=True, metadata={"example": 2.5})
    max = FiniteFloat(allow_none=True, metadata={"example": 8.9})


class CombinationStatisticsSchema(Schema):
    class Meta:
        # Identifier fields (channel, brand, ...) vary by scope.
        unknown = INCLUDE

    combination_id = fields.String(metadata={"example": "walmart_heinz_large"})
    status = fields.String(metadata={"example": "completed"})
    variable_statistics = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(StatisticsSchema),
        metadata={
            "example": {"Price": {"mean": 5.23, "std": 1.2, "min": 2.5, "max": 8.9}}
        },
    )
    variable_averages = fields.Dict(
        keys=fields.String(),
        values=FiniteFloat(allow_none=True),
        metadata={"example": {"Price": 5.23, "Volume": 10000.5}},
    )

    @post_dump(pass_original=True)
    def add_identifiers(
        self, data: dict[str, Any], original: dict[str, Any], **kwargs: Any
    ) -> dict[str, Any]:
        return _with_identifiers(data, original)


class VariableStatisticsSchema(Schema):
    run_id = fields.String(metadata={"example": RUN_ID_EXAMPLE})
    total_combinations = fields.Integer(metadata={"example": 12})
    limit = fields.Integer(metadata={"example": 100})
    skip = fields.Integer(metadata={"example": 0})
    combinations = fields.List(fields.Nested(CombinationStatisticsSchema))


class SavedExportSchema(Schema):
    status = fields.String(metadata={"example": "success"})
    message = fields.String(metadata={"example": "CSV saved to MinIO"})
    minio_bucket = fields.String(metadata={"example": "results"})
    file_key = fields.String(
        metadata={
            "example": f"csv-exports/{RUN_ID_EXAMPLE}/model_results_20250801_100000.csv"
        }
    )
    download_url = fields.String(
        metadata={
            "example": f"/api/v1/model-results/download/csv-exports/"
            f"{RUN_ID_EXAMPLE}/model_results_20250801_100000.csv"
        }
    )
    rows = fields.Integer(metadata={"example": 48})
    size = fields.Integer(metadata={"example": 524288})


class ExportMetadataSchema(Schema):
    run_id = fields.String(metadata={"example": RUN_ID_EXAMPLE})
    rows = fields.Integer(metadata={"example": 48})
    include_folds = fields.Boolean(metadata={"example": False})


class ExportEntrySchema(Schema):
    file_key = fields.String(
        metadata={"example": f"csv-exports/{RUN_ID_EXAMPLE}/model_results.csv"}
    )
    size = fields.Integer(metadata={"example": 524288})
    last_modified = UtcDateTime(metadata={"example": "2025-08-01T10:00:00.000Z"})
    download_url = fields.String(
        metadata={
            "example": "/api/v1/model-results/download/csv-exports/"
            f"{RUN_ID_EXAMPLE}/model_results.csv"
        }
    )
    metadata = fields.Nested(ExportMetadataSchema)


class ExportListSchema(Schema):
    total = fields.Integer(metadata={"example": 15})
    exports = fields.List(fields.Nested(ExportEntrySchema))
