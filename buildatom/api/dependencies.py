"""Hands each view the services it needs, wired to this app's stores."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from buildatom.config import Settings
from buildatom.repositories.mongo import MongoStore
from buildatom.repositories.scopes import ScopeRepository
from buildatom.services.scopes import ScopeService
from buildatom.storage.object_store import ObjectStore

EXTENSION_KEY = "buildatom"


@dataclass
class Runtime:
    """The stores and settings one app instance owns."""

    settings: Settings
    mongo: MongoStore
    objects: ObjectStore


def runtime() -> Runtime:
    """The runtime of the app serving the current request."""
    value: Runtime = current_app.extensions[EXTENSION_KEY]
    return value


def scope_service() -> ScopeService:
    """A scope service bound to this app's MongoDB and data bucket."""
    current = runtime()
    repository = ScopeRepository(current.mongo.database())
    return ScopeService(repository, current.objects, current.settings.data_bucket)
