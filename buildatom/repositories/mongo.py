"""The MongoDB edge: a client per worker process and driver-error translation.

The client is created lazily and again after a fork, so gunicorn workers never
share sockets. Every driver failure that means "the store is not there" leaves
this module as :class:`~buildatom.errors.StoreUnavailable`.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import ConnectionFailure, ExecutionTimeout, PyMongoError

from buildatom.errors import StoreUnavailable

logger = logging.getLogger(__name__)

STORE_NAME = "MongoDB"
P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def mongo_errors() -> Iterator[None]:
    """Turn connection-level pymongo errors into :class:`StoreUnavailable`."""
    try:
        yield
    except (ConnectionFailure, ExecutionTimeout) as error:
        raise StoreUnavailable(STORE_NAME, _first_line(error)) from error


def translates_mongo_errors(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate a repository method so driver outages become domain errors."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with mongo_errors():
            return function(*args, **kwargs)

    return wrapper


class MongoStore:
    """Owns the per-process client and runs start-up migrations once.

    Parameters
    ----------
    uri, database_name
        Where to connect.
    timeout_seconds
        Server selection and connect timeout.
    operation_timeout_seconds
        Socket timeout for a single operation.
    on_first_connect
        Called with the database once per process, before it is first handed
        out (index creation); retried on the next use when it fails.
    """

    def __init__(
        self,
        uri: str,
        database_name: str,
        timeout_seconds: float = 2.0,
        operation_timeout_seconds: float = 5.0,
        on_first_connect: Callable[[Database[Any]], None] | None = None,
    ) -> None:
        self._uri = uri
        self._database_name = database_name
        self._timeout_ms = int(timeout_seconds * 1000)
        self._operation_timeout_ms = int(operation_timeout_seconds * 1000)
        self._on_first_connect = on_first_connect
        self._lock = threading.Lock()
        self._client: MongoClient[Any] | None = None
        self._pid: int | None = None
        self._prepared = on_first_connect is None

    def client(self) -> MongoClient[Any]:
        """Return this process's client, creating it after a fork."""
        with self._lock:
            if self._client is None or self._pid != os.getpid():
                self._client = MongoClient(
                    self._uri,
                    serverSelectionTimeoutMS=self._timeout_ms,
                    connectTimeoutMS=self._timeout_ms,
                    socketTimeoutMS=self._operation_timeout_ms,
                    heartbeatFrequencyMS=2000,
                    tz_aware=True,
                    connect=False,
                    appname="buildatom",
                )
                self._pid = os.getpid()
            return self._client

    def database(self) -> Database[Any]:
        """Return the database, running the start-up hook first if pending."""
        database = self.client()[self._database_name]
        if not self._prepared and self._on_first_connect is not None:
            with mongo_errors():
                self._on_first_connect(database)
            self._prepared = True
        return database

    def prepare(self) -> bool:
        """Run the start-up hook now; return False (and log) if MongoDB is down."""
        try:
            self.database()
        except StoreUnavailable as error:
            logger.warning("start-up migrations postponed: %s", error.message)
            return False
        return True

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless MongoDB answers a ping."""
        with mongo_errors():
            self.client().admin.command("ping")

    def close(self) -> None:
        """Close the client of this process, if any."""
        with self._lock:
            if self._client is not None and self._pid == os.getpid():
                self._client.close()
            self._client = None


def _first_line(error: PyMongoError) -> str:
    text = str(error) or type(error).__name__
    text = text.split(" (configured timeouts", 1)[0]
    return text.split(", Timeout:", 1)[0].split("\n", 1)[0][:200]
