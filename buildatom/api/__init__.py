"""Web layer: one flask-smorest blueprint per endpoint group, schemas beside it."""

from __future__ import annotations

from flask_smorest import Api

from buildatom.api.marketing.views import blp as marketing_blueprint
from buildatom.api.results.views import blp as results_blueprint
from buildatom.api.scopes.views import blp as scopes_blueprint
from buildatom.api.system.views import blp as system_blueprint
from buildatom.api.training.views import blp as training_blueprint

API_PREFIX = "/api/v1"


def register_blueprints(api: Api) -> None:
    """Mount every endpoint group under ``/api/v1``."""
    for blueprint in (
        system_blueprint,
        scopes_blueprint,
        training_blueprint,
        results_blueprint,
        marketing_blueprint,
    ):
        api.register_blueprint(blueprint, url_prefix=API_PREFIX)
