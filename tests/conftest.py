"""Session fixtures: real MongoDB-protocol and MinIO servers on free ports.

Both servers start once per test session with temporary data directories and
stop at the end. Each test gets its own database and buckets, so tests never
see each other's data. Fault tests that stop a server use ``private_servers``,
a pair of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pymongo import MongoClient
from pymongo.database import Database

from buildatom.app import create_app
from devservers.binaries import minio_server, mongo_server
from devservers.processes import LocalServer, free_port, s3_client


@dataclass
class Servers:
    """A running MongoDB-protocol server and a running MinIO."""

    mongo: LocalServer
    minio: LocalServer

    def stop(self) -> None:
        self.mongo.stop()
        self.minio.stop()


def start_servers(root: Path) -> Servers:
    mongo = LocalServer(mongo_server(), root / "mongo", free_port())
    minio = LocalServer(minio_server(), root / "minio", free_port(), free_port())
    mongo.start()
    try:
        minio.start()
    except Exception:
        mongo.stop()
        raise
    return Servers(mongo, minio)


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    running = start_servers(tmp_path_factory.mktemp("servers"))
    yield running
    running.stop()


@pytest.fixture
def private_servers(tmp_path: Path) -> Iterator[Servers]:
    """Servers of this test alone, free to be stopped and restarted."""
    running = start_servers(tmp_path / "servers")
    yield running
    running.stop()


@dataclass
class Stores:
    """Names of one test's database and buckets, with direct clients."""

    servers: Servers
    database_name: str
    data_bucket: str
    results_bucket: str
    mongo_client: MongoClient[Any]
    s3: Any

    @property
    def database(self) -> Database[Any]:
        return self.mongo_client[self.database_name]

    def app_config(self, **overrides: Any) -> dict[str, Any]:
        config = {
            "MONGODB_URI": self.servers.mongo.url,
            "MONGODB_DATABASE": self.database_name,
            "S3_ENDPOINT_URL": self.servers.minio.url,
            "DATA_BUCKET": self.data_bucket,
            "RESULTS_BUCKET": self.results_bucket,
            "TESTING": True,
        }
        config.update(overrides)
        return config


def make_stores(servers: Servers) -> Stores:
    suffix = uuid.uuid4().hex[:12]
    stores = Stores(
        servers=servers,
        database_name=f"test_{suffix}",
        data_bucket=f"data-{suffix}",
        results_bucket=f"results-{suffix}",
        mongo_client=MongoClient(servers.mongo.url, serverSelectionTimeoutMS=5000),
        s3=s3_client(servers.minio.url),
    )
    stores.s3.create_bucket(Bucket=stores.data_bucket)
    return stores


def drop_stores(stores: Stores) -> None:
    try:
        stores.mongo_client.drop_database(stores.database_name)
        for bucket in (stores.data_bucket, stores.results_bucket):
            empty_bucket(stores.s3, bucket)
    finally:
        stores.mongo_client.close()


def empty_bucket(s3: Any, bucket: str) -> None:
    try:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for page in pages:
            for item in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=item["Key"])
        s3.delete_bucket(Bucket=bucket)
    except s3.exceptions.NoSuchBucket:
        pass


@pytest.fixture
def stores(servers: Servers) -> Iterator[Stores]:
    made = make_stores(servers)
    yield made
    drop_stores(made)


@pytest.fixture
def app(stores: Stores) -> Flask:
    return create_app(stores.app_config())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def demo(stores: Stores) -> Stores:
    """The test's stores with the demo scopes and files loaded."""
    from migrations_seed.seed import load_demo_scopes

    load_demo_scopes(stores.database, stores.s3, stores.data_bucket)
    return stores
