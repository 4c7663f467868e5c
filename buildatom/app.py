"""Application factory: settings, logging, stores, error handlers, blueprints."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from buildatom import __version__
from buildatom.api import register_blueprints
from buildatom.api.access import init_api_keys
from buildatom.api.dependencies import EXTENSION_KEY, Runtime
from buildatom.api.errors import BuildAtomApi, init_error_handlers
from buildatom.config import DEFAULTS, Settings
from buildatom.errors import StoreUnavailable
from buildatom.log_config import configure_logging, init_request_ids
from buildatom.repositories.mongo import MongoStore
from buildatom.services.admission import TrainingSlots
from buildatom.services.page_cache import PageCache
from buildatom.storage.object_store import ObjectStore
from migrations_seed.migrations import ensure_indexes

logger = logging.getLogger(__name__)

OPENAPI_SETTINGS: dict[str, Any] = {
    "API_TITLE": "Build Atom API",
    "API_VERSION": __version__,
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/",
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app.

    Settings come from :data:`~buildatom.config.DEFAULTS`, then ``BUILDATOM_*``
    environment variables, then ``config``. The app starts even when MongoDB or
    MinIO is down; start-up migrations then run on first contact.
    """
    app = Flask(__name__)
    # "//" in a download path is refused as it stands, never redirected.
    app.url_map.merge_slashes = False
    app.config.update(DEFAULTS)
    app.config.update(OPENAPI_SETTINGS)
    app.config.from_prefixed_env("BUILDATOM")
    if config:
        app.config.update(config)
    settings = Settings.from_mapping(app.config)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    configure_logging(settings.log_level)

    app.extensions[EXTENSION_KEY] = _build_runtime(settings)
    init_request_ids(app)
    api = BuildAtomApi(app)
    init_error_handlers(app)
    init_api_keys(app, api, settings.api_keys)
    register_blueprints(api)
    _prepare_stores(app.extensions[EXTENSION_KEY])
    return app


def _build_runtime(settings: Settings) -> Runtime:
    mongo = MongoStore(
        settings.mongodb_uri,
        settings.mongodb_database,
        timeout_seconds=settings.mongodb_timeout_seconds,
        operation_timeout_seconds=settings.mongodb_operation_timeout_seconds,
        on_first_connect=ensure_indexes,
    )
    objects = ObjectStore(
        settings.s3_endpoint_url,
        settings.s3_access_key,
        settings.s3_secret_key,
        settings.s3_region,
        connect_timeout=settings.s3_connect_timeout_seconds,
        read_timeout=settings.s3_read_timeout_seconds,
        max_attempts=settings.s3_max_attempts,
    )
    slots = TrainingSlots(settings.max_concurrent_trainings, settings.training_slot_dir)
    scope_cache = (
        PageCache(ttl_seconds=settings.scope_cache_seconds)
        if settings.scope_cache_seconds > 0
        else None
    )
    return Runtime(settings, mongo, objects, slots, scope_cache)


def _prepare_stores(runtime: Runtime) -> None:
    """Create indexes and the results bucket now if the stores are up."""
    runtime.mongo.prepare()
    try:
        runtime.objects.ensure_bucket(runtime.settings.results_bucket)
    except StoreUnavailable as error:
        logger.warning("results bucket not checked yet: %s", error.message)
