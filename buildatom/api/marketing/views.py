"""Endpoints 13 to 18: marketing mix modeling, from prepared data to exports."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from buildatom.api.dependencies import (
    marketing_effects_service,
    marketing_export_service,
    marketing_prepare_service,
    marketing_results_service,
    marketing_training_service,
    marketing_transform_service,
    training_slot,
)
from buildatom.api.errors import RUN_LOST, SLOTS_BUSY
from buildatom.api.marketing.results_schemas import (
    ExportQuerySchema,
    MarketingExportSchema,
    MarketingModelSchema,
    ResultsQuerySchema,
)
from buildatom.api.marketing.schemas import (
    PrepareDataRequestSchema,
    PrepareDataResponseSchema,
    TransformVariablesRequestSchema,
    TransformVariablesResponseSchema,
)
from buildatom.api.marketing.training_schemas import (
    ElasticityRequestSchema,
    ElasticityResponseSchema,
    TrainMarketingModelsRequestSchema,
    TrainMarketingModelsResponseSchema,
)
from buildatom.api.streaming import attachment, file_response
from buildatom.services.marketing_effects_service import ElasticityRequest
from buildatom.services.marketing_exports import ExportFormat
from buildatom.services.marketing_prepare import PrepareRequest
from buildatom.services.marketing_training import MarketingTrainingRequest
from buildatom.services.marketing_transform import TransformRequest

blp = Blueprint("marketing", __name__, description="Marketing mix modeling")


@blp.route("/marketing/prepare-data", methods=["POST"])
@blp.arguments(PrepareDataRequestSchema)
@blp.response(200, PrepareDataResponseSchema)
@blp.alt_response(409, description=RUN_LOST)
def prepare_data(request: PrepareRequest) -> dict[str, Any]:
    """Filter a set's files by fiscal year, drop zero columns, store Parquet."""
    return marketing_prepare_service().prepare(request)


@blp.route("/marketing/transform-variables", methods=["POST"])
@blp.arguments(TransformVariablesRequestSchema)
@blp.response(200, TransformVariablesResponseSchema)
@blp.alt_response(409, description=RUN_LOST)
def transform_variables(request: TransformRequest) -> dict[str, Any]:
    """Apply adstock, saturation and scaling per combination and region."""
    return marketing_transform_service().transform(request)


@blp.route("/marketing/train-models", methods=["POST"])
@blp.arguments(TrainMarketingModelsRequestSchema)
@blp.response(200, TrainMarketingModelsResponseSchema)
@blp.alt_response(409, description=RUN_LOST)
@blp.alt_response(429, description=SLOTS_BUSY)
def train_marketing_models(request: MarketingTrainingRequest) -> dict[str, Any]:
    """Train sign-constrained models per combination, y variable and type."""
    with training_slot():
        return marketing_training_service().train(request)


@blp.route("/marketing/calculate-elasticity", methods=["POST"])
@blp.arguments(ElasticityRequestSchema)
@blp.response(200, ElasticityResponseSchema)
def calculate_elasticity(request: ElasticityRequest) -> dict[str, Any]:
    """Compute and store media elasticities, contributions and ROI."""
    return marketing_effects_service().calculate(request)


@blp.route("/marketing/results/<run_id>")
@blp.arguments(ResultsQuerySchema, location="query")
@blp.response(200, MarketingModelSchema(many=True))
def get_marketing_results(query: dict[str, Any], run_id: str) -> list[dict[str, Any]]:
    """Get a training run's models, optionally filtered by id, brand or region."""
    return marketing_results_service().results(
        run_id, query.get("model_ids"), query.get("brand"), query.get("region")
    )


@blp.route("/marketing/export/<training_id>", methods=["POST"])
@blp.arguments(ExportQuerySchema, location="query")
@blp.response(200, MarketingExportSchema)
def export_marketing_results(query: dict[str, Any], training_id: str) -> dict[str, Any]:
    """Write a training run's models to Excel or CSV under marketing-results/."""
    file_format = ExportFormat(query["file_format"])
    return marketing_export_service().export(training_id, file_format).answer()


@blp.route("/marketing/download/<path:file_path>")
@blp.doc(responses={"200": file_response(ExportFormat.XLSX.content_type)})
def download_marketing_export(file_path: str) -> Response:
    """Download an Excel or CSV export that this API saved."""
    stream, content_type = marketing_export_service().open_download(file_path)
    response = Response(stream.chunks, content_type=content_type)
    response.headers.update(
        attachment(stream.info.key.rsplit("/", 1)[-1], stream.info.size)
    )
    return response
