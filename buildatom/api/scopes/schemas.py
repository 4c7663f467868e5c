"""Schemas of the scope endpoints (3 to 6)."""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, fields, post_dump, validate

from buildatom.api.fields import UtcDateTime


class PaginationQuerySchema(Schema):
    limit = fields.Integer(
        load_default=10,
        validate=validate.Range(min=1, max=100),
        metadata={"example": 20, "description": "Maximum number of scopes (1-100)."},
    )
    skip = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0),
        metadata={"example": 0, "description": "Number of scopes to skip."},
    )


class CombinationSchema(Schema):
    """A combination; its identifier fields (channel, brand, ...) follow."""

    class Meta:
        # Identifier fields (channel, brand, ...) vary by scope.
        unknown = INCLUDE

    combination_id = fields.String(
        required=True, metadata={"example": "walmart_heinz_large"}
    )
    set_name = fields.String(allow_none=True, metadata={"example": "Scope_1"})
    file_key = fields.String(
        allow_none=True, metadata={"example": "sales/walmart_heinz_large.csv"}
    )
    record_count = fields.Integer(allow_none=True, metadata={"example": 156})
    channel = fields.String(metadata={"example": "walmart"})
    brand = fields.String(metadata={"example": "heinz"})
    ppg = fields.String(metadata={"example": "large"})

    @post_dump(pass_original=True)
    def add_identifiers(
        self, data: dict[str, Any], original: Any, **kwargs: Any
    ) -> dict[str, Any]:
        identifiers = dict(original.identifiers)
        return {**data, **identifiers}


class ScopeSchema(Schema):
    scope_id = fields.String(required=True, metadata={"example": "scope_123"})
    scope_name = fields.String(
        allow_none=True, metadata={"example": "Sales Analysis Scope"}
    )
    description = fields.String(
        allow_none=True, metadata={"example": "Q4 2024 sales data scope"}
    )
    created_at = UtcDateTime(
        allow_none=True, metadata={"example": "2025-01-15T10:00:00.000Z"}
    )
    combinations = fields.List(fields.Nested(CombinationSchema), required=True)


class ScopeSetSchema(Schema):
    scope_id = fields.String(required=True, metadata={"example": "scope_123"})
    scope_name = fields.String(
        allow_none=True, metadata={"example": "Sales Analysis Scope"}
    )
    set_name = fields.String(required=True, metadata={"example": "Scope_1"})
    columns = fields.List(
        fields.String(),
        required=True,
        metadata={"example": ["Date", "Channel", "Brand", "PPG", "Price", "Volume"]},
    )
    total_combinations = fields.Integer(required=True, metadata={"example": 12})
    combinations = fields.List(fields.Nested(CombinationSchema), required=True)
