"""Load the demo scopes into MongoDB and the data bucket, writing what differs.

Seeding plays the upstream system's role, so unlike the API it may create the
data bucket and write the ``scopes`` collection. Loading twice changes nothing.

    python -m migrations_seed.seed [--if-empty] [--verbose]
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from bson.codec_options import CodecOptions
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import PyMongoError

from buildatom.config import DEFAULTS, Settings
from migrations_seed.demo_data import DemoScope, demo_scopes

logger = logging.getLogger(__name__)

S3Client = Any
"""A boto3 S3 client (boto3 is used without per-service type stubs)."""

SCOPES_COLLECTION = "scopes"
_NOT_FOUND_CODES = frozenset({"404", "NoSuchBucket", "NoSuchKey", "NotFound"})


@dataclass(frozen=True)
class SeedReport:
    """What one load wrote and what it found already in place."""

    scopes_written: int
    scopes_unchanged: int
    files_written: int
    files_unchanged: int

    def summary(self) -> str:
        """Return the counts as one line."""
        return (
            f"scopes: {self.scopes_written} written, {self.scopes_unchanged} "
            f"unchanged; files: {self.files_written} written, "
            f"{self.files_unchanged} unchanged"
        )


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _ensure_bucket(s3_client: S3Client, bucket: str) -> None:
    try:
        s3_client.head_bucket(Bucket=bucket)
        return
    except ClientError as error:
        if _error_code(error) not in _NOT_FOUND_CODES:
            raise

    options: dict[str, Any] = {"Bucket": bucket}
    region = s3_client.meta.region_name
    if region and region != "us-east-1":
        options["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3_client.create_bucket(**options)
    except ClientError as error:
        if _error_code(error) != "BucketAlreadyOwnedByYou":
            raise
    logger.info("created data bucket %s", bucket)


def _put_if_changed(s3_client: S3Client, bucket: str, key: str, body: bytes) -> bool:
    """Write ``body`` unless the stored object's ETag is already its MD5."""
    digest = hashlib.md5(body, usedforsecurity=False).hexdigest()
    try:
        head = s3_client.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if _error_code(error) not in _NOT_FOUND_CODES:
            raise
    else:
        if str(head.get("ETag", "")).strip('"') == digest:
            return False

    s3_client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/csv")
    logger.info("wrote s3://%s/%s (%d bytes)", bucket, key, len(body))
    return True


def _replace_if_changed(database: Database[Any], scope: DemoScope) -> bool:
    """Upsert the scope document unless the stored one already equals it."""
    options: CodecOptions[Any] = CodecOptions(tz_aware=True, tzinfo=UTC)
    scopes = database.get_collection(SCOPES_COLLECTION, codec_options=options)
    document = scope.document
    if scopes.find_one({"_id": document["_id"]}) == document:
        return False

    scopes.replace_one({"_id": document["_id"]}, document, upsert=True)
    logger.info("wrote scope %s", document["_id"])
    return True


def load_demo_scopes(
    database: Database[Any], s3_client: S3Client, data_bucket: str
) -> SeedReport:
    """Write the demo scopes' files, then their documents, where they differ.

    Files go first, so a scope document never names a file that is not there.

    Parameters
    ----------
    database : pymongo.database.Database
        Database holding the ``scopes`` collection.
    s3_client : boto3 S3 client
        Client of the S3 server holding the data bucket.
    data_bucket : str
        Bucket for the CSV files; created when missing.

    Returns
    -------
    SeedReport
        How many scope documents and files were written or already equal.
    """
    scopes = demo_scopes()
    _ensure_bucket(s3_client, data_bucket)

    files = [item for scope in scopes for item in scope.files.items()]
    files_written = sum(
        _put_if_changed(s3_client, data_bucket, key, body) for key, body in files
    )
    scopes_written = sum(_replace_if_changed(database, scope) for scope in scopes)

    return SeedReport(
        scopes_written=scopes_written,
        scopes_unchanged=len(scopes) - scopes_written,
        files_written=files_written,
        files_unchanged=len(files) - files_written,
    )


def _settings_from_environment() -> Settings:
    """The API's own settings (defaults plus ``BUILDATOM_*`` variables)."""
    config = dict(DEFAULTS)
    for name in DEFAULTS:
        value = os.environ.get(f"BUILDATOM_{name}")
        if value is not None:
            config[name] = value
    return Settings.from_mapping(config)


def _s3_client(settings: Settings) -> S3Client:
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        aws_access_key_id=settings.s3_access_key,
        aws_secret_access_key=settings.s3_secret_key,
        region_name=settings.s3_region,
        config=Config(
            s3={"addressing_style": "path"},
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3},
        ),
    )


def _has_scopes(database: Database[Any]) -> bool:
    return database[SCOPES_COLLECTION].find_one({}, {"_id": 1}) is not None


def _parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m migrations_seed.seed",
        description="Load the demo scopes and their CSV files.",
    )
    parser.add_argument(
        "--if-empty",
        action="store_true",
        help="load only when the scopes collection holds no document",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log each write")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Load the demo scopes into the servers named by ``BUILDATOM_*`` settings."""
    args = _parse_arguments(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    settings = _settings_from_environment()
    database_name = settings.mongodb_database
    bucket = settings.data_bucket

    client: MongoClient[dict[str, Any]] = MongoClient(
        settings.mongodb_uri, serverSelectionTimeoutMS=5000
    )
    try:
        database = client[database_name]
        if args.if_empty and _has_scopes(database):
            print(f"{SCOPES_COLLECTION} in {database_name} is not empty; not loaded")
            return 0
        s3_client = _s3_client(settings)
        report = load_demo_scopes(database, s3_client, bucket)
    except PyMongoError as error:
        print(f"seeding failed: MongoDB: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"seeding failed: S3: {error}", file=sys.stderr)
        return 1
    finally:
        client.close()

    print(f"demo scopes into {database_name}, s3://{bucket}: {report.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
