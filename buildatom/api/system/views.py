"""Endpoints 1 and 2: health and API information."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from buildatom import __version__
from buildatom.api.dependencies import runtime
from buildatom.api.system.schemas import ApiInfoSchema, HealthSchema
from buildatom.services.health import check_health

API_NAME = "Build Atom API"
blp = Blueprint("system", __name__, description="Health and API information")

_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@blp.route("/health")
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="A store is unreachable")
def health() -> tuple[dict[str, Any], int]:
    """Report whether the API, MongoDB and MinIO are reachable."""
    current = runtime()
    report = check_health(current.mongo, current.objects)
    body = {
        "status": "healthy" if report.healthy else "unhealthy",
        "timestamp": report.timestamp,
        "services": {
            name: {"status": state.status, "error": state.error}
            if state.error
            else {"status": state.status}
            for name, state in report.services.items()
        },
        "version": __version__,
        "api": API_NAME,
    }
    return body, 200 if report.healthy else 503


@blp.route("/")
@blp.response(200, ApiInfoSchema)
def api_info() -> dict[str, Any]:
    """Describe the API and list its endpoints."""
    return {
        "message": f"Welcome to {API_NAME}",
        "version": __version__,
        "documentation": "/docs",
        "endpoints": _api_routes(),
    }


def _api_routes() -> dict[str, str]:
    routes: dict[str, str] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or "." not in rule.endpoint:
            continue
        view_name = rule.endpoint.rsplit(".", 1)[1]
        routes.setdefault(view_name, _CONVERTER.sub(r"{\1}", rule.rule))
    return dict(sorted(routes.items()))
