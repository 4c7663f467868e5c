"""CSV exports of training runs (endpoints 10 to 12).

The CSV is written row by row from a MongoDB cursor into a spooled temporary
file (memory up to a few MiB, disk beyond), uploaded to the results bucket,
and only then recorded; downloads serve recorded keys alone, so a failed
export leaves nothing that can be read.
"""

from __future__ import annotations

import codecs
import csv
import logging
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from buildatom.errors import AppError, NotFound
from buildatom.repositories.exports import ExportRepository
from buildatom.repositories.training_runs import TrainingRunRepository
from buildatom.services.download_paths import validated_download_key
from buildatom.services.results import ResultsService
from buildatom.storage.object_store import ObjectStore, ObjectStream

logger = logging.getLogger(__name__)

EXPORT_KIND = "model-results"
EXPORT_PREFIX = "csv-exports/"
DOWNLOAD_ROUTE = "/api/v1/model-results/download/"
SPOOL_BYTES = 4 * 1024 * 1024
CHUNK_BYTES = 256 * 1024
METRIC_COLUMNS = (
    "mape_test",
    "r2_test",
    "mape_train",
    "r2_train",
    "aic",
    "bic",
    "price_elasticity",
    "intercept",
    "n_rows",
    "converged",
)
FOLD_COLUMNS = ("fold", "n_train", "n_test")
FOLD_METRICS = ("mape_test", "r2_test", "mape_train", "r2_train")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_EXPORT_PROJECTION = {"variable_statistics": 0}


@dataclass
class SavedExport:
    """An export written to the results bucket and recorded."""

    bucket: str
    file_key: str
    size: int
    rows: int
    content: IO[bytes]

    @property
    def download_url(self) -> str:
        return DOWNLOAD_ROUTE + self.file_key

    def chunks(self) -> Iterator[bytes]:
        """The CSV bytes from the local copy, then the copy is closed."""
        try:
            self.content.seek(0)
            while chunk := self.content.read(CHUNK_BYTES):
                yield chunk
        finally:
            self.content.close()


class ResultExportService:
    """Writes, lists and serves model-result CSV exports."""

    def __init__(
        self,
        runs: TrainingRunRepository,
        exports: ExportRepository,
        objects: ObjectStore,
        results_bucket: str,
    ) -> None:
        self._runs = runs
        self._exports = exports
        self._objects = objects
        self._bucket = results_bucket

    def export(self, run_id: str, include_folds: bool) -> SavedExport:
        """Write the run's CSV to the results bucket and record it."""
        run = ResultsService(self._runs).completed_run(run_id)
        columns = _columns(run, include_folds)
        # Not a `with` block: on success the open spool moves into SavedExport,
        # which streams it back and closes it.
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b")  # noqa: SIM115
        try:
            rows = self._write_csv(spool, run, columns, include_folds)
            size = spool.tell()
            spool.seek(0)
            key = self._free_key(run_id)
            self._objects.upload(self._bucket, key, spool, "text/csv")
            self._record(key, run_id, size, rows, include_folds)
        except BaseException:
            spool.close()
            raise
        logger.info("export %s written: %d rows, %d bytes", key, rows, size)
        return SavedExport(self._bucket, key, size, rows, spool)

    def list_exports(self, run_id: str | None, limit: int) -> dict[str, Any]:
        """Recorded exports, newest first."""
        records = self._exports.list(EXPORT_KIND, run_id, limit)
        return {
            "total": self._exports.count(EXPORT_KIND, run_id),
            "exports": [
                {
                    "file_key": record["file_key"],
                    "size": record["size"],
                    "last_modified": record["created_at"],
                    "download_url": DOWNLOAD_ROUTE + record["file_key"],
                    "metadata": {
                        "run_id": record["run_id"],
                        "rows": record["rows"],
                        "include_folds": record["include_folds"],
                    },
                }
                for record in records
            ],
        }

    def open_download(self, file_path: str) -> ObjectStream:
        """Stream a recorded export; anything else is refused or not found."""
        key = validated_download_key(file_path, EXPORT_PREFIX)
        record = self._exports.find(EXPORT_KIND, key)
        if record is None:
            raise NotFound(f"no export {key!r} was recorded by this API")
        return self._objects.open_stream(record["bucket"], key)

    def _write_csv(
        self,
        target: IO[bytes],
        run: dict[str, Any],
        columns: list[str],
        include_folds: bool,
    ) -> int:
        text = codecs.getwriter("utf-8")(target)
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow([spreadsheet_safe(c) for c in columns])
        rows = 0
        identifier_names = run.get("identifier_names", [])
        coefficient_names = run.get("coefficient_names", [])
        documents = self._runs.scan_results(
            run["run_id"], run["total_combinations"], _EXPORT_PROJECTION
        )
        for document in documents:
            for model in document["models"]:
                for row in _model_rows(
                    run["run_id"],
                    document,
                    model,
                    identifier_names,
                    coefficient_names,
                    include_folds,
                ):
                    writer.writerow(row)
                    rows += 1
        text.flush()
        return rows

    def _free_key(self, run_id: str) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
        key = f"{EXPORT_PREFIX}{run_id}/model_results_{stamp}.csv"
        attempt = 1
        while self._exports.find(EXPORT_KIND, key) is not None:
            attempt += 1
            key = f"{EXPORT_PREFIX}{run_id}/model_results_{stamp}_{attempt}.csv"
        return key

    def _record(
        self, key: str, run_id: str, size: int, rows: int, include_folds: bool
    ) -> None:
        try:
            self._exports.record(
                EXPORT_KIND,
                {
                    "file_key": key,
                    "bucket": self._bucket,
                    "run_id": run_id,
                    "size": size,
                    "rows": rows,
                    "include_folds": include_folds,
                    "content_type": "text/csv",
                },
            )
        except AppError:
            self._discard(key)
            raise

    def _discard(self, key: str) -> None:
        try:
            self._objects.delete(self._bucket, key)
        except AppError as error:
            logger.warning("unrecorded export %s left behind: %s", key, error.message)


def spreadsheet_safe(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _columns(run: dict[str, Any], include_folds: bool) -> list[str]:
    folds = list(FOLD_COLUMNS) if include_folds else []
    return [
        "run_id",
        "combination_id",
        *run.get("identifier_names", []),
        "model_name",
        *folds,
        *METRIC_COLUMNS,
        *(f"coef_{name}" for name in run.get("coefficient_names", [])),
    ]


def _model_rows(
    run_id: str,
    document: dict[str, Any],
    model: dict[str, Any],
    identifier_names: Sequence[str],
    coefficient_names: Sequence[str],
    include_folds: bool,
) -> Iterator[list[Any]]:
    identifiers = document["identifiers"]
    lead = [
        run_id,
        spreadsheet_safe(document["combination_id"]),
        *(spreadsheet_safe(identifiers.get(name, "")) for name in identifier_names),
        model["model_name"],
    ]
    coefficients = {c["name"]: c["value"] for c in model["coefficients"]}
    tail = [_cell(coefficients.get(name)) for name in coefficient_names]
    # Runs stored before a column existed (``converged``) leave it empty.
    if not include_folds:
        yield [*lead, *(_cell(model.get(c)) for c in METRIC_COLUMNS), *tail]
        return
    for fold in model["folds"]:
        metrics = {**model, **{k: fold[k] for k in FOLD_METRICS}}
        fold_cells = [fold[c] for c in FOLD_COLUMNS]
        cells = [_cell(metrics.get(c)) for c in METRIC_COLUMNS]
        yield [*lead, *fold_cells, *cells, *tail]


def _cell(value: Any) -> Any:
    return "" if value is None else value
