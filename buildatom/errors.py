"""Domain errors raised below the web layer and mapped to HTTP in one place.

Each error carries the HTTP status it becomes, a message naming what arrived
and what is allowed, and optionally per-field details.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class AppError(Exception):
    """Base of every error the API answers on purpose."""

    status_code = 500

    def __init__(
        self,
        message: str,
        errors: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = dict(errors) if errors else None
        self.headers = dict(headers) if headers else {}


class BadRequest(AppError):
    """The request cannot be read at all (a body that is not JSON)."""

    status_code = 400


class Unauthorized(AppError):
    """Missing or wrong API key."""

    status_code = 401


class NotFound(AppError):
    """An unknown scope, set, run, model or file."""

    status_code = 404


class InvalidInput(AppError):
    """A field's value is not acceptable, or names a column the data lacks."""

    status_code = 422


class RunLost(AppError):
    """A run was failed by lease expiry while its worker was still on it."""

    status_code = 409


class TooManyRequests(AppError):
    """Every training slot of this instance is busy; retry later."""

    status_code = 429


class StoreUnavailable(AppError):
    """MongoDB or the S3 store cannot be reached or timed out."""

    status_code = 503

    def __init__(self, store: str, detail: str) -> None:
        super().__init__(f"{store} is unavailable: {detail}")
        self.store = store
