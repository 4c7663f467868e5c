"""Endpoints 3 to 6: scopes, their sets and the columns of a set."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask_smorest import Blueprint

from buildatom.api.dependencies import scope_service
from buildatom.api.scopes.schemas import (
    PaginationQuerySchema,
    ScopeSchema,
    ScopeSetSchema,
)
from buildatom.services.scopes import Scope

blp = Blueprint("scopes", __name__, description="Scopes written by the upstream system")

SET_NAMES_RESPONSE = {
    "description": "Set names in order of first appearance",
    "content": {
        "application/json": {
            "schema": {
                "type": "array",
                "items": {"type": "string"},
                "example": ["Scope_1", "Scope_2", "Scope_3"],
            }
        }
    },
}


@blp.route("/scopes")
@blp.arguments(PaginationQuerySchema, location="query")
@blp.response(200, ScopeSchema(many=True))
def list_scopes(page: dict[str, int]) -> tuple[list[Scope], int, dict[str, str]]:
    """List scopes with their combinations, ``limit`` at a time."""
    service = scope_service(cached=True)
    scopes = service.list_scopes(limit=page["limit"], skip=page["skip"])
    return scopes, 200, {"X-Total-Count": str(service.count_scopes())}


@blp.route("/scopes/<scope_id>")
@blp.response(200, ScopeSchema)
def get_scope(scope_id: str) -> Scope:
    """Get a scope and its combinations by ``_id`` or ``scope_id``."""
    return scope_service(cached=True).get_scope(scope_id)


@blp.route("/scopes/<scope_id>/sets")
@blp.doc(responses={"200": SET_NAMES_RESPONSE})
def list_scope_sets(scope_id: str) -> Response:
    """List the set names of a scope."""
    return jsonify(scope_service(cached=True).list_sets(scope_id))


@blp.route("/scopes/<scope_id>/sets/<set_name>")
@blp.response(200, ScopeSetSchema)
def get_scope_set(scope_id: str, set_name: str) -> dict[str, Any]:
    """Get one set's combinations and the columns of its data files."""
    scope_set = scope_service(cached=True).get_set(scope_id, set_name)
    return {
        "scope_id": scope_set.scope.scope_id,
        "scope_name": scope_set.scope.scope_name,
        "set_name": scope_set.set_name,
        "columns": scope_set.columns,
        "total_combinations": len(scope_set.combinations),
        "combinations": scope_set.combinations,
    }
