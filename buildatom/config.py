"""Settings: defaults, ``BUILDATOM_*`` environment variables, explicit overrides.

Flask's ``from_prefixed_env`` parses values as JSON where it can, so a numeric
secret would arrive as an int; :class:`Settings` turns every value back into
the type it should have.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

DEFAULTS: dict[str, Any] = {
    "MONGODB_URI": "mongodb://127.0.0.1:27017",
    "MONGODB_DATABASE": "buildatom",
    "MONGODB_TIMEOUT_SECONDS": 2.0,
    "MONGODB_OPERATION_TIMEOUT_SECONDS": 5.0,
    "S3_ENDPOINT_URL": "http://127.0.0.1:9000",
    "S3_ACCESS_KEY": "minioadmin",
    "S3_SECRET_KEY": "minioadmin",
    "S3_REGION": "us-east-1",
    "S3_CONNECT_TIMEOUT_SECONDS": 2.0,
    "S3_READ_TIMEOUT_SECONDS": 6.0,
    "S3_MAX_ATTEMPTS": 2,
    "DATA_BUCKET": "dataformodel",
    "RESULTS_BUCKET": "results",
    "API_KEYS": "",
    "LOG_LEVEL": "INFO",
    "MAX_BODY_BYTES": 1024 * 1024,
    "MAX_CONCURRENT_TRAININGS": 0,
    "TRAINING_SLOT_DIR": "",
    "RUN_LEASE_SECONDS": 600.0,
    "SCOPE_CACHE_SECONDS": 2.0,
}


@dataclass(frozen=True)
class Settings:
    """Typed view of the configuration keys Build Atom reads."""

    mongodb_uri: str
    mongodb_database: str
    mongodb_timeout_seconds: float
    mongodb_operation_timeout_seconds: float
    s3_endpoint_url: str
    s3_access_key: str
    s3_secret_key: str
    s3_region: str
    s3_connect_timeout_seconds: float
    s3_read_timeout_seconds: float
    s3_max_attempts: int
    data_bucket: str
    results_bucket: str
    api_keys: tuple[str, ...]
    log_level: str
    max_body_bytes: int
    max_concurrent_trainings: int
    training_slot_dir: str
    run_lease_seconds: float
    scope_cache_seconds: float

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> Settings:
        """Build settings from a Flask config (upper-case keys)."""
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = config.get(field.name.upper(), DEFAULTS.get(field.name.upper()))
            values[field.name] = _coerce(field.name, raw, str(field.type))
        return cls(**values)


def _coerce(name: str, raw: Any, annotation: str) -> Any:
    if annotation == "int":
        try:
            return int(raw)
        except (TypeError, ValueError):
            message = f"BUILDATOM_{name.upper()} must be a whole number, got {raw!r}"
            raise ValueError(message) from None
    if annotation == "float":
        try:
            return float(raw)
        except (TypeError, ValueError):
            message = f"BUILDATOM_{name.upper()} must be a number, got {raw!r}"
            raise ValueError(message) from None
    if annotation.startswith("tuple"):
        if isinstance(raw, list | tuple):
            items = [str(item) for item in raw]
        else:
            items = str(raw or "").split(",")
        return tuple(item.strip() for item in items if item.strip())
    return "" if raw is None else str(raw)
