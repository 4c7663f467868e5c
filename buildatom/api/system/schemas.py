"""Schemas of the health and API-info endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields

from buildatom.api.fields import UtcDateTime


class ServiceStatusSchema(Schema):
    status = fields.String(
        required=True,
        metadata={"example": "connected", "enum": ["connected", "disconnected"]},
    )
    error = fields.String(
        metadata={
            "example": "MongoDB is unavailable: 127.0.0.1:27017: connection refused",
            "description": "Present only when the service is disconnected.",
        }
    )


class ServicesSchema(Schema):
    mongodb = fields.Nested(ServiceStatusSchema, required=True)
    minio = fields.Nested(ServiceStatusSchema, required=True)


class HealthSchema(Schema):
    status = fields.String(
        required=True,
        metadata={"example": "healthy", "enum": ["healthy", "unhealthy"]},
    )
    timestamp = UtcDateTime(
        required=True, metadata={"example": "2025-08-01T10:00:00.000Z"}
    )
    services = fields.Nested(
        ServicesSchema,
        required=True,
        metadata={
            "example": {
                "mongodb": {"status": "connected"},
                "minio": {"status": "connected"},
            }
        },
    )
    version = fields.String(required=True, metadata={"example": "1.0.0"})
    api = fields.String(required=True, metadata={"example": "Build Atom API"})


class ApiInfoSchema(Schema):
    message = fields.String(
        required=True, metadata={"example": "Welcome to Build Atom API"}
    )
    version = fields.String(required=True, metadata={"example": "1.0.0"})
    documentation = fields.String(required=True, metadata={"example": "/docs"})
    endpoints = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={
            "example": {
                "health": "/api/v1/health",
                "get_scope": "/api/v1/scopes/{scope_id}",
            },
            "description": "Every route of the API by view name.",
        },
    )
