"""One JSON error shape for every failure, with the request id in the body.

flask-smorest's shape ``{"code", "status", "message", "errors"}`` is kept and
``request_id`` added. Domain errors map by their ``status_code``; anything
unexpected is logged once with its traceback and answered as a bare 500.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask
from flask_smorest import Api
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException, InternalServerError

from buildatom.errors import AppError
from buildatom.log_config import current_request_id

# Descriptions of the extra answers of the endpoints that start runs.
RUN_LOST = "The run's lease passed before it completed"
SLOTS_BUSY = "Every training slot is busy; see Retry-After"

logger = logging.getLogger(__name__)

ErrorResponse = tuple[dict[str, Any], int, dict[str, str]]


class ErrorResponseSchema(Schema):
    """The body of every error response."""

    code = fields.Integer(metadata={"example": 404})
    status = fields.String(metadata={"example": "Not Found"})
    message = fields.String(metadata={"example": "scope 'nope' not found"})
    errors = fields.Dict(
        metadata={"example": {"query": {"limit": ["Must be between 1 and 100."]}}}
    )
    request_id = fields.String(metadata={"example": "9f0c2d1e6b7a4c8e"})


class BuildAtomApi(Api):  # type: ignore[misc]
    """flask-smorest's Api with request ids and logging in its error handler."""

    ERROR_SCHEMA = ErrorResponseSchema

    def handle_http_exception(self, error: HTTPException) -> ErrorResponse:
        if isinstance(error, InternalServerError):
            cause = error.original_exception or error
            logger.error("unhandled error", exc_info=cause)
            return _payload(500, "Internal error; quote the request id."), 500, {}
        payload, status, headers = super().handle_http_exception(error)
        if "errors" in payload and "message" not in payload:
            payload["message"] = "invalid request: " + _summarise(payload["errors"])
        payload.setdefault("message", error.description or payload["status"])
        payload["request_id"] = current_request_id()
        return payload, status, headers


def init_error_handlers(app: Flask) -> None:
    """Register the handler that turns :class:`AppError` into JSON."""

    @app.errorhandler(AppError)
    def handle_app_error(error: AppError) -> ErrorResponse:
        if error.status_code >= 500:
            logger.warning(
                "%s answered %d: %s",
                type(error).__name__,
                error.status_code,
                error.message,
            )
        payload = _payload(error.status_code, error.message)
        if error.errors:
            payload["errors"] = error.errors
        return payload, error.status_code, error.headers


def _summarise(errors: Any, path: str = "") -> str:
    """Flatten webargs' nested error dict into ``json.k_folds: message; ...``."""
    if isinstance(errors, dict):
        parts = [
            _summarise(value, f"{path}.{key}" if path else str(key))
            for key, value in errors.items()
        ]
        return "; ".join(parts)
    if isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        return f"{path}: {' '.join(errors)}"
    if isinstance(errors, list):
        return "; ".join(_summarise(item, path) for item in errors)
    return f"{path}: {errors}"


def _payload(status: int, message: str) -> dict[str, Any]:
    return {
        "code": status,
        "status": HTTPStatus(status).phrase,
        "message": message,
        "request_id": current_request_id(),
    }
