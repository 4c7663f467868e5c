"""Hands each view the services it needs, wired to this app's stores."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from buildatom.config import Settings
from buildatom.repositories.exports import ExportRepository
from buildatom.repositories.marketing import MarketingRepository
from buildatom.repositories.mongo import MongoStore
from buildatom.repositories.scopes import ScopeRepository
from buildatom.repositories.training_runs import TrainingRunRepository
from buildatom.services.admission import TrainingSlots
from buildatom.services.marketing_effects_service import MarketingEffectsService
from buildatom.services.marketing_exports import MarketingExportService
from buildatom.services.marketing_prepare import MarketingPrepareService
from buildatom.services.marketing_results import MarketingResultsService
from buildatom.services.marketing_runs import MarketingRuns
from buildatom.services.marketing_training import MarketingTrainingService
from buildatom.services.marketing_transform import MarketingTransformService
from buildatom.services.page_cache import PageCache
from buildatom.services.result_exports import ResultExportService
from buildatom.services.results import ResultsService
from buildatom.services.scopes import ScopeService
from buildatom.services.training import TrainingService
from buildatom.storage.object_store import ObjectStore

EXTENSION_KEY = "buildatom"


@dataclass
class Runtime:
    """The stores, settings and training slots one app instance owns."""

    settings: Settings
    mongo: MongoStore
    objects: ObjectStore
    slots: TrainingSlots
    scope_cache: PageCache | None = None


def runtime() -> Runtime:
    """The runtime of the app serving the current request."""
    value: Runtime = current_app.extensions[EXTENSION_KEY]
    return value


def scope_service(*, cached: bool = False) -> ScopeService:
    """A scope service bound to this app's MongoDB and data bucket.

    ``cached`` ones may answer from scopes read a few seconds ago (the scope
    endpoints); the others, used to train, always read the stores.
    """
    current = runtime()
    repository = ScopeRepository(current.mongo.database())
    return ScopeService(
        repository,
        current.objects,
        current.settings.data_bucket,
        current.scope_cache if cached else None,
    )


def training_slot() -> AbstractContextManager[int]:
    """Hold one of this instance's training slots (429 when all are busy)."""
    return runtime().slots.hold()


def training_service() -> TrainingService:
    """A training service writing runs to this app's MongoDB."""
    current = runtime()
    return TrainingService(
        scope_service(),
        TrainingRunRepository(current.mongo.database()),
        current.objects,
        current.settings.data_bucket,
        lease=timedelta(seconds=current.settings.run_lease_seconds),
    )


def results_service() -> ResultsService:
    """Reads completed training runs."""
    return ResultsService(TrainingRunRepository(runtime().mongo.database()))


def result_export_service() -> ResultExportService:
    """Writes and serves CSV exports in this app's results bucket."""
    current = runtime()
    database = current.mongo.database()
    return ResultExportService(
        TrainingRunRepository(database),
        ExportRepository(database),
        current.objects,
        current.settings.results_bucket,
    )


def marketing_runs() -> MarketingRuns:
    """The marketing run chain in this app's MongoDB and results bucket."""
    current = runtime()
    return MarketingRuns(
        MarketingRepository(current.mongo.database()),
        current.objects,
        current.settings.results_bucket,
    )


def marketing_prepare_service() -> MarketingPrepareService:
    """Prepares a set's files for marketing mix modeling (endpoint 13)."""
    return MarketingPrepareService(
        scope_service(), marketing_runs(), runtime().settings.data_bucket
    )


def marketing_transform_service() -> MarketingTransformService:
    """Transforms prepared data (endpoint 14)."""
    return MarketingTransformService(marketing_runs())


def marketing_training_service() -> MarketingTrainingService:
    """Trains marketing mix models (endpoint 15)."""
    return MarketingTrainingService(marketing_runs())


def marketing_effects_service() -> MarketingEffectsService:
    """Elasticities, contributions and ROI of trained models (endpoint 16)."""
    return MarketingEffectsService(marketing_runs())


def marketing_results_service() -> MarketingResultsService:
    """Reads marketing models (endpoint 17)."""
    return MarketingResultsService(marketing_runs())


def marketing_export_service() -> MarketingExportService:
    """Writes and serves marketing exports (endpoint 18)."""
    return MarketingExportService(
        marketing_runs(), ExportRepository(runtime().mongo.database())
    )
