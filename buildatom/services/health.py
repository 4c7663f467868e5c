"""Health of the two stores, probed concurrently so the answer stays fast."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from buildatom.errors import AppError
from buildatom.repositories.mongo import MongoStore
from buildatom.storage.object_store import ObjectStore

_probes = ThreadPoolExecutor(max_workers=2, thread_name_prefix="health")


@dataclass(frozen=True)
class ServiceStatus:
    """``connected`` or ``disconnected``, with the reason when disconnected."""

    status: str
    error: str | None = None


@dataclass(frozen=True)
class HealthReport:
    """What ``GET /health`` answers."""

    timestamp: datetime
    services: dict[str, ServiceStatus]

    @property
    def healthy(self) -> bool:
        return all(s.status == "connected" for s in self.services.values())


def check_health(mongo: MongoStore, objects: ObjectStore) -> HealthReport:
    """Ping MongoDB and MinIO at the same time; each probe fails within ~2 s."""
    mongo_probe = _probes.submit(_probe, mongo.ping)
    minio_probe = _probes.submit(_probe, objects.ping)
    return HealthReport(
        timestamp=datetime.now(UTC),
        services={"mongodb": mongo_probe.result(), "minio": minio_probe.result()},
    )


def _probe(ping: Callable[[], None]) -> ServiceStatus:
    try:
        ping()
    except AppError as error:
        return ServiceStatus("disconnected", error.message)
    return ServiceStatus("connected")
