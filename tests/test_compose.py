"""compose.yaml describes the production shape (no Docker engine runs here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from buildatom.config import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return document


def test_compose_has_mongo_minio_and_api_images(compose: dict[str, Any]) -> None:
    services = compose["services"]

    assert services["mongo"]["image"] == "mongo:7"
    assert services["minio"]["image"].split(":")[0] == "minio/minio"
    assert services["api"]["build"] == "."
    assert (ROOT / "Dockerfile").is_file()


@pytest.mark.parametrize(
    ("service", "port"),
    [("mongo", "27017:27017"), ("minio", "9000:9000"), ("api", "8000:8000")],
    ids=["mongo", "minio", "api"],
)
def test_compose_publishes_ports(
    compose: dict[str, Any], service: str, port: str
) -> None:
    assert port in compose["services"][service]["ports"]


def test_compose_every_service_has_healthcheck(compose: dict[str, Any]) -> None:
    for name in ("mongo", "minio", "api"):
        assert compose["services"][name]["healthcheck"]["test"], name


CONTRACT_SETTINGS = {
    "MONGODB_URI",
    "MONGODB_DATABASE",
    "S3_ENDPOINT_URL",
    "S3_ACCESS_KEY",
    "S3_SECRET_KEY",
    "S3_REGION",
    "DATA_BUCKET",
    "RESULTS_BUCKET",
    "API_KEYS",
}


def test_compose_api_env_names_are_settings(compose: dict[str, Any]) -> None:
    environment = compose["services"]["api"]["environment"]
    names = set(environment) - {"BUILDATOM_BIND"}

    assert names <= {f"BUILDATOM_{key}" for key in DEFAULTS}
    assert {f"BUILDATOM_{key}" for key in CONTRACT_SETTINGS} <= names
    assert environment["BUILDATOM_MONGODB_URI"] == "mongodb://mongo:27017"
    assert environment["BUILDATOM_S3_ENDPOINT_URL"] == "http://minio:9000"


def test_compose_api_waits_for_healthy_stores(compose: dict[str, Any]) -> None:
    depends = compose["services"]["api"]["depends_on"]

    assert depends["mongo"]["condition"] == "service_healthy"
    assert depends["minio"]["condition"] == "service_healthy"


def test_compose_data_lives_in_volumes(compose: dict[str, Any]) -> None:
    assert set(compose["volumes"]) == {"mongo-data", "minio-data"}
    assert "mongo-data:/data/db" in compose["services"]["mongo"]["volumes"]
