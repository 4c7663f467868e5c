"""What every benchmark runs against: real servers, a fresh store, gunicorn.

:func:`bench_environment` starts a MongoDB-protocol server and MinIO on free
ports in a temporary directory (the ``devservers`` tooling the tests use), a
fresh database and buckets, and the API in a real gunicorn process with one
worker, and stops all of them on the way out, errors included.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from pymongo import MongoClient
from pymongo.database import Database

from benchmarks.resources import child_pids
from devservers.binaries import minio_server, mongo_server
from devservers.processes import (
    LocalServer,
    free_port,
    s3_client,
    stop_process,
)

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
API_PREFIX = "/api/v1"
START_TIMEOUT_SECONDS = 60.0


class BenchError(RuntimeError):
    """The benchmark could not run (a server, the API or a request failed)."""


@dataclass(frozen=True)
class BenchOptions:
    """Sizes the benchmarks run at (command-line options)."""

    combinations: int = 1000
    baseline_sample: int = 200
    export_rows: int = 100_000


@dataclass(frozen=True)
class Target:
    """A figure with a limit it should stay within."""

    name: str
    measured: float
    limit: float
    unit: str
    higher_is_better: bool = False

    @property
    def met(self) -> bool:
        """Whether the measured value is on the right side of the limit."""
        if self.higher_is_better:
            return self.measured >= self.limit
        return self.measured <= self.limit


@dataclass
class Report:
    """What a benchmark hands back: labelled figures, notes and targets."""

    title: str
    figures: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def figure(self, label: str, value: str) -> None:
        """Add one labelled, already formatted figure."""
        self.figures.append((label, value))


@dataclass
class BenchEnvironment:
    """Running servers, the API's address and direct clients to its stores."""

    root: Path
    mongo: LocalServer
    minio: LocalServer
    database_name: str
    data_bucket: str
    results_bucket: str
    mongo_client: MongoClient[Any]
    s3: Any
    gunicorn: subprocess.Popen[bytes] | None = None
    base_url: str = ""
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def database(self) -> Database[Any]:
        """The fresh database the API serves."""
        return self.mongo_client[self.database_name]

    def url(self, path: str) -> str:
        """Absolute URL of an API route given from after ``/api/v1``."""
        return f"{self.base_url}{API_PREFIX}{path}"

    def server_pids(self) -> dict[str, int]:
        """Pids of the API worker and both servers, by role."""
        pids = {"API worker": self.worker_pid()}
        for role, server in (("MongoDB", self.mongo), ("MinIO", self.minio)):
            if server.pid is not None:
                pids[f"{role} ({server.binary.flavour})"] = server.pid
        return pids

    def worker_pid(self) -> int:
        """The pid of gunicorn's (single) worker: the master's child."""
        if self.gunicorn is None:
            raise BenchError("gunicorn is not running")
        children = child_pids(self.gunicorn.pid)
        if len(children) != 1:
            raise BenchError(f"expected one gunicorn worker, found {children}")
        return children[0]


def app_environment(
    env: BenchEnvironment, port: int, settings: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The ``BUILDATOM_*`` variables that point gunicorn at the bench stores.

    ``settings`` adds or overrides variables, named without the prefix.
    """
    return {
        **os.environ,
        "BUILDATOM_BIND": f"127.0.0.1:{port}",
        "BUILDATOM_WORKERS": "1",
        "BUILDATOM_MONGODB_URI": env.mongo.url,
        "BUILDATOM_MONGODB_DATABASE": env.database_name,
        "BUILDATOM_S3_ENDPOINT_URL": env.minio.url,
        "BUILDATOM_DATA_BUCKET": env.data_bucket,
        "BUILDATOM_RESULTS_BUCKET": env.results_bucket,
        "BUILDATOM_LOG_LEVEL": "WARNING",
        "BUILDATOM_GUNICORN_LOG_LEVEL": "warning",
        **{f"BUILDATOM_{name}": value for name, value in (settings or {}).items()},
    }


@contextmanager
def bench_environment() -> Iterator[BenchEnvironment]:
    """Servers, fresh stores and a one-worker gunicorn; all stopped on exit."""
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        mongo = LocalServer(mongo_server(), root / "mongo", free_port())
        minio = LocalServer(minio_server(), root / "minio", free_port(), free_port())
        for server in (mongo, minio):
            logger.info("starting %s", server.binary.flavour)
            server.start()
            stack.callback(server.stop)

        suffix = uuid.uuid4().hex[:8]
        client: MongoClient[Any] = MongoClient(
            mongo.url, serverSelectionTimeoutMS=5000, tz_aware=True
        )
        stack.callback(client.close)
        env = BenchEnvironment(
            root=root,
            mongo=mongo,
            minio=minio,
            database_name=f"bench_{suffix}",
            data_bucket=f"bench-data-{suffix}",
            results_bucket=f"bench-results-{suffix}",
            mongo_client=client,
            s3=s3_client(minio.url, pool_connections=32),
        )
        env.s3.create_bucket(Bucket=env.data_bucket)
        stack.callback(env.http.close)
        stack.callback(stop_api, env)
        start_api(env)
        yield env


def start_api(env: BenchEnvironment, settings: Mapping[str, str] | None = None) -> None:
    """Serve the API with gunicorn (one worker) on a free port; wait for health.

    ``settings`` are ``BUILDATOM_*`` variables, named without the prefix, on
    top of those that point at the bench stores.
    """
    port = free_port()
    log_path = env.root / "gunicorn.log"
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--config",
        "gunicorn.conf.py",
        "wsgi:app",
    ]
    with open(log_path, "ab") as log:
        env.gunicorn = subprocess.Popen(
            command,
            cwd=ROOT,
            env=app_environment(env, port, settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    env.base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(env, log_path)
    except BaseException:
        stop_api(env)
        raise
    workers = child_pids(env.gunicorn.pid)
    logger.info("gunicorn serving on %s (workers %s)", env.base_url, workers)


def stop_api(env: BenchEnvironment) -> None:
    """Stop gunicorn if it runs."""
    if env.gunicorn is not None:
        stop_process(env.gunicorn, 30.0)
        env.gunicorn = None


def restart_api(env: BenchEnvironment, settings: Mapping[str, str]) -> None:
    """Serve the API again with other ``BUILDATOM_*`` settings."""
    stop_api(env)
    start_api(env, settings)


def _wait_healthy(env: BenchEnvironment, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    assert env.gunicorn is not None
    while time.monotonic() < deadline:
        if env.gunicorn.poll() is not None:
            break
        try:
            response = env.http.get(env.url("/health"), timeout=2)
            if response.status_code == 200 and child_pids(env.gunicorn.pid):
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    tail = log_path.read_text(errors="replace")[-2000:]
    raise BenchError(f"the API did not become healthy; gunicorn log tail:\n{tail}")


def check_response(response: requests.Response, what: str) -> Any:
    """The JSON body of a 200 answer; anything else is a :class:`BenchError`."""
    if response.status_code != 200:
        raise BenchError(f"{what}: HTTP {response.status_code}: {response.text[:1000]}")
    return response.json()
