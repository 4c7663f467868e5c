"""Endpoints 8 to 12: results, variable statistics and CSV exports of a run."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from buildatom.api.dependencies import result_export_service, results_service
from buildatom.api.results.schemas import (
    DetailedQuerySchema,
    DetailedResultsSchema,
    ExportListSchema,
    ExportQuerySchema,
    ListExportsQuerySchema,
    ResultsPageQuerySchema,
    SavedExportSchema,
    VariableStatisticsSchema,
)
from buildatom.api.streaming import attachment, file_response

blp = Blueprint("results", __name__, description="Training results and exports")


@blp.route("/model-results/detailed/<run_id>")
@blp.arguments(DetailedQuerySchema, location="query")
@blp.response(200, DetailedResultsSchema)
def get_detailed_results(query: dict[str, Any], run_id: str) -> dict[str, Any]:
    """Get a completed run's model results, a page of combinations at a time."""
    return results_service().detailed(
        run_id, query["include_folds"], query["limit"], query["skip"]
    )


@blp.route("/model-results/variable-stats/<run_id>")
@blp.arguments(ResultsPageQuerySchema, location="query")
@blp.response(200, VariableStatisticsSchema)
def get_variable_stats(query: dict[str, Any], run_id: str) -> dict[str, Any]:
    """Get mean, std, min and max of every variable per combination of a run."""
    return results_service().variable_statistics(run_id, query["limit"], query["skip"])


@blp.route("/model-results/export/<run_id>")
@blp.arguments(ExportQuerySchema, location="query")
@blp.response(200, SavedExportSchema)
@blp.doc(responses={"200": file_response("text/csv")})
def export_model_results(query: dict[str, Any], run_id: str) -> Any:
    """Export a run's results as CSV to MinIO, and download it unless save_only."""
    saved = result_export_service().export(run_id, query["include_folds"])
    if not query["save_only"]:
        filename = saved.file_key.rsplit("/", 1)[-1]
        response = Response(saved.chunks(), mimetype="text/csv")
        response.headers.update(attachment(filename, saved.size))
        response.headers["X-File-Key"] = saved.file_key
        return response
    saved.content.close()
    return {
        "status": "success",
        "message": "CSV saved to MinIO",
        "minio_bucket": saved.bucket,
        "file_key": saved.file_key,
        "download_url": saved.download_url,
        "rows": saved.rows,
        "size": saved.size,
    }


@blp.route("/model-results/download/<path:file_path>")
@blp.doc(responses={"200": file_response("text/csv")})
def download_model_results(file_path: str) -> Response:
    """Download a CSV export that this API saved under csv-exports/."""
    stream = result_export_service().open_download(file_path)
    filename = stream.info.key.rsplit("/", 1)[-1]
    response = Response(stream.chunks, mimetype="text/csv")
    response.headers.update(attachment(filename, stream.info.size))
    return response


@blp.route("/model-results/list-exports")
@blp.arguments(ListExportsQuerySchema, location="query")
@blp.response(200, ExportListSchema)
def list_exports(query: dict[str, Any]) -> dict[str, Any]:
    """List CSV exports, newest first, optionally for one run."""
    return result_export_service().list_exports(query.get("run_id"), query["limit"])
