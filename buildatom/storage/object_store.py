"""The S3 edge: one boto3 client, path-style, short timeouts, typed errors.

Network failures and server-side 5xx answers leave this module as
:class:`~buildatom.errors.StoreUnavailable`; a missing object or bucket as
:class:`~buildatom.errors.NotFound`.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from urllib.parse import quote

import boto3
import urllib3
from boto3.s3.transfer import TransferConfig
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError, ClientError

from buildatom.errors import NotFound, StoreUnavailable

logger = logging.getLogger(__name__)

STORE_NAME = "MinIO"
HEADER_CHUNK_BYTES = 64 * 1024
HEADER_LIMIT_BYTES = 1024 * 1024
SIGNED_GET_CONNECTIONS = 32
_MISSING_CODES = {"NoSuchKey", "NoSuchBucket", "404", "NotFound"}
# Uploads send one 8 MiB part at a time: boto3's default of ten parts in
# flight holds up to 80 MiB of a large export in the worker's memory.
_UPLOAD = TransferConfig(
    multipart_threshold=8 * 1024 * 1024,
    multipart_chunksize=8 * 1024 * 1024,
    use_threads=False,
)


@contextmanager
def s3_errors(what: str) -> Iterator[None]:
    """Translate boto3 failures while doing ``what`` (used in messages)."""
    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        metadata = error.response.get("ResponseMetadata", {})
        status = int(metadata.get("HTTPStatusCode", 0))
        if code in _MISSING_CODES or status == 404:
            raise NotFound(f"{what}: not found in object storage") from error
        if status >= 500 or status == 0:
            raise StoreUnavailable(STORE_NAME, f"{what}: {code or status}") from error
        raise
    except BotoCoreError as error:
        raise StoreUnavailable(STORE_NAME, f"{what}: {error}") from error


@dataclass(frozen=True)
class StoredObject:
    """What S3 reports about an object."""

    key: str
    size: int
    last_modified: datetime
    content_type: str


@dataclass
class ObjectStream:
    """An object's bytes, read in chunks as the caller iterates."""

    info: StoredObject
    chunks: Iterator[bytes]


class ObjectStore:
    """Reads and writes objects in the data and results buckets."""

    def __init__(
        self,
        endpoint_url: str,
        access_key: str,
        secret_key: str,
        region: str,
        connect_timeout: float = 2.0,
        read_timeout: float = 6.0,
        max_attempts: int = 2,
    ) -> None:
        self._client_args: dict[str, Any] = {
            "endpoint_url": endpoint_url,
            "aws_access_key_id": access_key,
            "aws_secret_access_key": secret_key,
            "region_name": region,
        }
        self._config = Config(
            s3={"addressing_style": "path"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            signature_version="s3v4",
        )
        self._probe_config = Config(
            s3={"addressing_style": "path"},
            connect_timeout=min(connect_timeout, 1.0),
            read_timeout=2.0,
            retries={"mode": "standard", "total_max_attempts": 1},
            signature_version="s3v4",
        )
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._buckets_ready: set[str] = set()

    @property
    def client(self) -> Any:
        """The shared boto3 S3 client (thread-safe, created on first use)."""
        return self._client("main", self._config)

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the S3 API answers quickly."""
        probe = self._client("probe", self._probe_config)
        with s3_errors("listing buckets"):
            probe.list_buckets()

    def ensure_bucket(self, bucket: str) -> None:
        """Create ``bucket`` if it does not exist (idempotent, cached)."""
        if bucket in self._buckets_ready:
            return
        with s3_errors(f"bucket {bucket!r}"):
            try:
                self.client.head_bucket(Bucket=bucket)
            except ClientError as error:
                status = error.response.get("ResponseMetadata", {}).get(
                    "HTTPStatusCode"
                )
                if status != 404:
                    raise
                self._create_bucket(bucket)
        self._buckets_ready.add(bucket)

    def read_csv_header(self, bucket: str, key: str) -> list[str]:
        """Return the column names of a CSV object from its first line only.

        Ranged GETs of 64 KiB are read until a line break appears (at most
        1 MiB), so a large file is never downloaded whole.
        """
        head = b""
        while b"\n" not in head and len(head) < HEADER_LIMIT_BYTES:
            chunk = self._read_range(bucket, key, len(head), HEADER_CHUNK_BYTES)
            if not chunk:
                break
            head += chunk
        first_line = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
        first_line = first_line.rstrip("\r")
        if not first_line:
            return []
        return next(csv.reader(io.StringIO(first_line)))

    def read_bytes(self, bucket: str, key: str) -> bytes:
        """Return a whole (small) object, such as one combination's CSV.

        A plain signed GET is tried first: boto3's own per-call work costs
        twice the CPU of the request itself, which dominates reading
        thousands of small files. Any other answer than 200, or any transport
        failure, is left to boto3, which retries and reports it as before.
        """
        data = self._signed_get(bucket, key)
        if data is not None:
            return data
        with s3_errors(f"object {key!r} in bucket {bucket!r}"):
            body = self.client.get_object(Bucket=bucket, Key=key)["Body"]
            try:
                return bytes(body.read())
            finally:
                body.close()

    def upload(
        self, bucket: str, key: str, source: IO[bytes], content_type: str
    ) -> StoredObject:
        """Write ``source`` to ``key`` (multipart for large files) and describe it.

        S3 makes the object visible only once the upload is complete, so a
        failed upload never leaves a partial object under ``key``.
        """
        self.ensure_bucket(bucket)
        with s3_errors(f"writing {key!r} to bucket {bucket!r}"):
            self.client.upload_fileobj(
                _KeptOpen(source),
                bucket,
                key,
                ExtraArgs={"ContentType": content_type},
                Config=_UPLOAD,
            )
        return self.describe(bucket, key)

    def describe(self, bucket: str, key: str) -> StoredObject:
        """Return size, modification time and content type of an object."""
        with s3_errors(f"object {key!r} in bucket {bucket!r}"):
            head = self.client.head_object(Bucket=bucket, Key=key)
        return StoredObject(
            key=key,
            size=int(head["ContentLength"]),
            last_modified=head["LastModified"],
            content_type=str(head.get("ContentType", "application/octet-stream")),
        )

    def open_stream(
        self, bucket: str, key: str, chunk_size: int = 256 * 1024
    ) -> ObjectStream:
        """Open an object for streaming to a client without loading it whole."""
        with s3_errors(f"object {key!r} in bucket {bucket!r}"):
            response = self.client.get_object(Bucket=bucket, Key=key)
        info = StoredObject(
            key=key,
            size=int(response["ContentLength"]),
            last_modified=response["LastModified"],
            content_type=str(response.get("ContentType", "application/octet-stream")),
        )
        return ObjectStream(info, _chunks(response["Body"], chunk_size, key))

    def delete(self, bucket: str, key: str) -> None:
        """Remove an object; removing a missing one is not an error."""
        with s3_errors(f"deleting {key!r} from bucket {bucket!r}"):
            self.client.delete_object(Bucket=bucket, Key=key)

    def _signed_get(self, bucket: str, key: str) -> bytes | None:
        """The object's bytes by one SigV4-signed GET, or None if not 200."""
        endpoint = str(self._client_args["endpoint_url"]).rstrip("/")
        url = f"{endpoint}/{bucket}/{quote(key, safe='/~')}"
        request = AWSRequest(method="GET", url=url)
        credentials = Credentials(
            self._client_args["aws_access_key_id"],
            self._client_args["aws_secret_access_key"],
        )
        S3SigV4Auth(credentials, "s3", self._client_args["region_name"]).add_auth(
            request
        )
        try:
            response = self._http_pool().request(
                "GET", url, headers=dict(request.headers.items())
            )
        except (urllib3.exceptions.HTTPError, OSError):
            return None
        return bytes(response.data) if response.status == 200 else None

    def _http_pool(self) -> urllib3.PoolManager:
        slot = f"http:{os.getpid()}"
        config: Any = self._config  # botocore sets the timeouts dynamically
        with self._lock:
            if slot not in self._clients:
                self._clients[slot] = urllib3.PoolManager(
                    maxsize=SIGNED_GET_CONNECTIONS,
                    retries=False,
                    timeout=urllib3.Timeout(
                        connect=config.connect_timeout, read=config.read_timeout
                    ),
                )
            pool: urllib3.PoolManager = self._clients[slot]
            return pool

    def _read_range(self, bucket: str, key: str, start: int, length: int) -> bytes:
        byte_range = f"bytes={start}-{start + length - 1}"
        with s3_errors(f"object {key!r} in bucket {bucket!r}"):
            try:
                response = self.client.get_object(
                    Bucket=bucket, Key=key, Range=byte_range
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "InvalidRange":
                    return b""
                raise
            body = response["Body"]
            try:
                return bytes(body.read())
            finally:
                body.close()

    def _create_bucket(self, bucket: str) -> None:
        try:
            self.client.create_bucket(Bucket=bucket)
            logger.info("created bucket %s", bucket)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise

    def _client(self, name: str, config: Config) -> Any:
        # Keyed by process id too: a client made before a fork is not reused.
        slot = f"{name}:{os.getpid()}"
        with self._lock:
            if slot not in self._clients:
                session = boto3.session.Session()
                self._clients[slot] = session.client(
                    "s3", config=config, **self._client_args
                )
            return self._clients[slot]


def _chunks(body: Any, chunk_size: int, key: str) -> Iterator[bytes]:
    try:
        with s3_errors(f"reading {key!r}"):
            yield from body.iter_chunks(chunk_size)
    finally:
        body.close()


class _KeptOpen:
    """A file view whose ``close`` does nothing: boto3's transfer manager
    closes what it uploads, and the caller may still stream the file back."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)

    def close(self) -> None:
        """Leave the underlying file open for its owner."""
