"""Data frames stored as Parquet objects in the results bucket.

A frame (one combination's rows: a few MiB at most) is encoded in memory and
written by a single PUT, which S3 makes visible only once complete, so a
failed write never leaves a partial object; reading downloads the object and
parses it with pyarrow.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence

import pandas as pd
import pyarrow as pa

from buildatom.errors import AppError
from buildatom.storage.object_store import ObjectStore, s3_errors

logger = logging.getLogger(__name__)

PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet"


class UnreadableParquet(AppError):
    """An object that should hold Parquet does not parse as Parquet."""

    status_code = 500


def write_parquet(
    objects: ObjectStore, bucket: str, key: str, frame: pd.DataFrame
) -> int:
    """Write ``frame`` (without its index) as one Parquet object at ``key``;
    return its size in bytes."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow", index=False)
    body = buffer.getvalue()

    objects.ensure_bucket(bucket)
    with s3_errors(f"writing {key!r} to bucket {bucket!r}"):
        objects.client.put_object(
            Bucket=bucket, Key=key, Body=body, ContentType=PARQUET_CONTENT_TYPE
        )
    logger.debug("parquet %s written: %d rows, %d bytes", key, len(frame), len(body))
    return len(body)


def read_parquet(
    objects: ObjectStore,
    bucket: str,
    key: str,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Download the Parquet object at ``key`` as a data frame (only
    ``columns``, in that order, when given)."""
    data = objects.read_bytes(bucket, key)
    try:
        return pd.read_parquet(
            io.BytesIO(data),
            engine="pyarrow",
            columns=None if columns is None else list(columns),
        )
    except (pa.ArrowException, OSError, ValueError) as error:
        raise UnreadableParquet(
            f"object {key!r} in bucket {bucket!r} is not readable Parquet: {error}"
        ) from error
