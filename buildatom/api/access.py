"""API keys: when ``BUILDATOM_API_KEYS`` is set, every route but health and the
docs needs ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.

Keys are compared in constant time and never logged. The OpenAPI document
declares both schemes so the Swagger UI's Authorize button works.
"""

from __future__ import annotations

import hmac

from flask import Flask, request
from flask_smorest import Api

from buildatom.errors import Unauthorized

OPEN_PATHS = ("/api/v1/health", "/openapi.json", "/docs")
SCHEMES = {
    "BearerAuth": {"type": "http", "scheme": "bearer"},
    "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
}


def init_api_keys(app: Flask, api: Api, keys: tuple[str, ...]) -> None:
    """Declare the security schemes and, when keys are set, require one."""
    for name, scheme in SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
    if not keys:
        return
    api.spec.options["security"] = [{name: []} for name in SCHEMES]
    encoded = [key.encode() for key in keys]

    @app.before_request
    def require_api_key() -> None:
        if request.path.startswith(OPEN_PATHS) or request.method == "OPTIONS":
            return
        offered = _offered_key()
        if offered is None:
            raise Unauthorized(
                "an API key is required: send 'Authorization: Bearer <key>' "
                "or 'X-API-Key: <key>'",
                headers={"WWW-Authenticate": 'Bearer realm="buildatom"'},
            )
        matches = [hmac.compare_digest(offered.encode(), key) for key in encoded]
        if not any(matches):
            raise Unauthorized(
                "the API key is not valid",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )


def _offered_key() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    key = request.headers.get("X-API-Key", "").strip()
    return key or None
