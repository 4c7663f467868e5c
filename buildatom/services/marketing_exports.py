"""Marketing exports (the export endpoint and 18): write, record, serve.

An export is written into a spooled temporary file, uploaded under
``marketing-results/{training_id}/`` and only then recorded with kind
``marketing``; the download endpoint serves recorded keys alone, so a failed
export leaves nothing that can be read.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import IO, Any

from buildatom.errors import AppError, NotFound
from buildatom.repositories.exports import ExportRepository
from buildatom.services.download_paths import validated_download_key
from buildatom.services.marketing_effects_service import (
    combination_inputs,
    model_effects,
)
from buildatom.services.marketing_results import model_view
from buildatom.services.marketing_runs import TRAINING, TRANSFORM, MarketingRuns
from buildatom.services.marketing_workbook import (
    ExportContent,
    write_csv,
    write_workbook,
)
from buildatom.storage.object_store import ObjectStream

logger = logging.getLogger(__name__)

EXPORT_KIND = "marketing"
EXPORT_PREFIX = "marketing-results/"
DOWNLOAD_ROUTE = "/api/v1/marketing/download/"
SPOOL_BYTES = 4 * 1024 * 1024


class ExportFormat(StrEnum):
    """File formats of a marketing export."""

    XLSX = "xlsx"
    CSV = "csv"

    @property
    def content_type(self) -> str:
        """The MIME type the file is stored and served with."""
        if self is ExportFormat.XLSX:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return "text/csv"


_WRITERS: dict[ExportFormat, Callable[[IO[bytes], ExportContent], int]] = {
    ExportFormat.XLSX: write_workbook,
    ExportFormat.CSV: write_csv,
}


@dataclass(frozen=True)
class SavedMarketingExport:
    """An export written to the results bucket and recorded."""

    file_key: str
    size: int
    models: int
    file_format: ExportFormat

    @property
    def download_url(self) -> str:
        return DOWNLOAD_ROUTE + self.file_key

    def answer(self) -> dict[str, Any]:
        """The export endpoint's answer."""
        return {
            "status": "success",
            "file_key": self.file_key,
            "download_url": self.download_url,
            "format": self.file_format.value,
            "size": self.size,
            "models": self.models,
        }


class MarketingExportService:
    """Writes marketing exports and serves recorded ones."""

    def __init__(self, runs: MarketingRuns, exports: ExportRepository) -> None:
        self._runs = runs
        self._exports = exports

    def export(
        self, training_id: str, file_format: ExportFormat
    ) -> SavedMarketingExport:
        """Write the training run's export and record it."""
        content = self._content(training_id)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b") as spool:
            models = _WRITERS[file_format](spool, content)
            size = spool.tell()
            spool.seek(0)
            key = self._free_key(training_id, file_format)
            self._runs.objects.upload(
                self._runs.bucket, key, spool, file_format.content_type
            )
        self._record(key, training_id, size, models, file_format)
        logger.info(
            "marketing export %s written: %d models, %d bytes", key, models, size
        )
        return SavedMarketingExport(key, size, models, file_format)

    def open_download(self, file_path: str) -> tuple[ObjectStream, str]:
        """Stream a recorded export with its content type; refuse anything else."""
        key = validated_download_key(file_path, EXPORT_PREFIX)
        record = self._exports.find(EXPORT_KIND, key)
        if record is None:
            raise NotFound(f"no marketing export {key!r} was recorded by this API")
        stream = self._runs.objects.open_stream(record["bucket"], key)
        return stream, str(record["content_type"])

    def _content(self, training_id: str) -> ExportContent:
        run = self._runs.completed(training_id, TRAINING)
        stored = self._runs.repository.models(training_id)
        transform_id = run["transform_id"]
        transform = self._runs.completed(transform_id, TRANSFORM)
        best_id = run.get("best_models", {}).get("by_mape")
        best = next((m for m in stored if m["model_id"] == best_id), None)
        shares: dict[str, Any] = {}
        if best is not None and best.get("contributions") is not None:
            shares = {c["name"]: c["value"] for c in best["contributions"]}
        elif best is not None:
            frame, fitted = combination_inputs(self._runs, transform_id, [best])[
                best["position"]
            ]
            computed = model_effects(best, frame, fitted, include_contributions=True)
            shares = {c["name"]: c["value"] for c in computed["contributions"]}
        return ExportContent(
            run=run,
            models=[model_view(model) for model in stored],
            transform_records=self._parameters(transform_id, transform),
            best_model_id=best_id,
            best_contributions=shares,
        )

    def _parameters(
        self, transform_id: str, transform: dict[str, Any]
    ) -> list[dict[str, Any]]:
        found = (
            self._runs.repository.parameters(transform_id, record["position"])
            for record in transform["combinations"]
        )
        return [document for document in found if document is not None]

    def _free_key(self, training_id: str, file_format: ExportFormat) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
        stem = f"{EXPORT_PREFIX}{training_id}/marketing_results_{stamp}"
        key, attempt = f"{stem}.{file_format.value}", 1
        while self._exports.find(EXPORT_KIND, key) is not None:
            attempt += 1
            key = f"{stem}_{attempt}.{file_format.value}"
        return key

    def _record(
        self,
        key: str,
        training_id: str,
        size: int,
        models: int,
        file_format: ExportFormat,
    ) -> None:
        try:
            self._exports.record(
                EXPORT_KIND,
                {
                    "file_key": key,
                    "bucket": self._runs.bucket,
                    "run_id": training_id,
                    "size": size,
                    "rows": models,
                    "format": file_format.value,
                    "content_type": file_format.content_type,
                },
            )
        except AppError:
            try:
                self._runs.objects.delete(self._runs.bucket, key)
            except AppError as error:
                logger.warning(
                    "unrecorded export %s left behind: %s", key, error.message
                )
            raise
