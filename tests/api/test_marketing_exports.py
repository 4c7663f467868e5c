"""POST /marketing/export and GET /marketing/download (endpoint 18)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from typing import Any
from xml.etree import ElementTree

import pytest
from flask.testing import FlaskClient

from tests.api.test_marketing_chain import (
    API,
    TRANSFORM_BODY,
    add_scope,
    effects_run,
    ok,
    post,
    prepare_run,
    raw_frame,
    train_run,
    transform_run,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEETS = [
    "Summary",
    "Models",
    "Coefficients",
    "Contributions",
    "Elasticities & ROI",
    "Transform parameters",
]
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@pytest.fixture
def training_id(demo: Any, client: FlaskClient) -> str:
    prepared = prepare_run(client)
    transformed = transform_run(client, prepared["run_id"])
    training: str = train_run(client, transformed["transform_id"])["training_id"]
    effects_run(client, training)
    return training


def export(client: FlaskClient, training_id: str, query: str = "") -> dict[str, Any]:
    return ok(client.post(f"{API}/export/{training_id}{query}"))


def sheet_names(workbook: zipfile.ZipFile) -> list[str]:
    root = ElementTree.fromstring(workbook.read("xl/workbook.xml"))
    return [sheet.get("name", "") for sheet in root.iter(f"{MAIN}sheet")]


def shared_strings(workbook: zipfile.ZipFile) -> list[str]:
    root = ElementTree.fromstring(workbook.read("xl/sharedStrings.xml"))
    return [
        "".join(t.text or "" for t in item.iter(f"{MAIN}t"))
        for item in root.iter(f"{MAIN}si")
    ]


def test_export_xlsx_has_named_sheets_and_chart(
    demo: Any, client: FlaskClient, training_id: str
) -> None:
    body = export(client, training_id)

    assert body["status"] == "success"
    assert body["format"] == "xlsx"
    assert re.fullmatch(
        rf"marketing-results/{training_id}/marketing_results_\d{{8}}_\d{{6}}\.xlsx",
        body["file_key"],
    )
    assert body["download_url"] == f"{API}/download/{body['file_key']}"
    stored = demo.s3.get_object(Bucket=demo.results_bucket, Key=body["file_key"])
    assert stored["ContentType"] == XLSX
    workbook = zipfile.ZipFile(io.BytesIO(stored["Body"].read()))
    assert sheet_names(workbook) == SHEETS
    assert any(name.startswith("xl/charts/chart") for name in workbook.namelist())
    chart = workbook.read("xl/charts/chart1.xml").decode()
    assert "<c:barChart>" in chart
    strings = shared_strings(workbook)
    assert "TV_Spend_transformed" in strings and "heinz_US" in strings
    record = demo.database.exports.find_one({"file_key": body["file_key"]})
    assert (record["kind"], record["run_id"]) == ("marketing", training_id)


def test_export_csv_has_one_row_per_model(
    demo: Any, client: FlaskClient, training_id: str
) -> None:
    body = export(client, training_id, "?format=csv")

    assert body["file_key"].endswith(".csv")
    models = ok(client.get(f"{API}/results/{training_id}"))
    stored = demo.s3.get_object(Bucket=demo.results_bucket, Key=body["file_key"])
    rows = list(csv.DictReader(io.StringIO(stored["Body"].read().decode())))
    assert len(rows) == 24
    for row, model in zip(rows, models, strict=True):
        assert int(row["model_id"]) == model["model_id"]
        assert row["training_id"] == training_id
        assert row["model_type"] == model["model_type"]
        assert float(row["mape"]) == model["mape"]
        assert float(row["coef_Price"]) == model["coefficients"]["Price"]
        assert float(row["elasticity_TV_Spend"]) == model["elasticities"]["TV_Spend"]
        assert float(row["roi_TV_Spend"]) == model["roi"]["TV_Spend"]
        assert (
            float(row["contribution_intercept"])
            == (model["contributions"]["intercept"])
        )


def test_export_escapes_formula_like_text(demo: Any, client: FlaskClient) -> None:
    add_scope(
        demo,
        "formula_scope",
        {"=HYPERLINK(evil)": raw_frame(demo, "heinz_US")},
        brand="@SUM(A1)",
    )
    prepared = ok(
        post(client, "prepare-data", {"scope_id": "formula_scope", "set_name": "S"})
    )
    transformed = ok(
        post(
            client,
            "transform-variables",
            {**TRANSFORM_BODY, "run_id": prepared["run_id"]},
        )
    )
    training = train_run(client, transformed["transform_id"])["training_id"]

    csv_body = export(client, training, "?format=csv")
    xlsx_body = export(client, training)

    text = (
        demo.s3.get_object(Bucket=demo.results_bucket, Key=csv_body["file_key"])["Body"]
        .read()
        .decode()
    )
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["combination_id"] == "'=HYPERLINK(evil)"
    assert row["brand"] == "'@SUM(A1)"
    data = demo.s3.get_object(Bucket=demo.results_bucket, Key=xlsx_body["file_key"])[
        "Body"
    ].read()
    workbook = zipfile.ZipFile(io.BytesIO(data))
    assert "'=HYPERLINK(evil)" in shared_strings(workbook)
    for name in workbook.namelist():
        if name.startswith("xl/worksheets/"):
            assert b"<f>" not in workbook.read(name)


@pytest.mark.parametrize(
    ("query", "file_format", "content_type"),
    [("", "xlsx", XLSX), ("?format=csv", "csv", "text/csv")],
    ids=["xlsx", "csv"],
)
def test_download_serves_recorded_export(
    demo: Any,
    client: FlaskClient,
    training_id: str,
    query: str,
    file_format: str,
    content_type: str,
) -> None:
    body = export(client, training_id, query)

    response = client.get(body["download_url"])

    assert response.status_code == 200
    assert response.content_type.startswith(content_type)
    assert "attachment" in response.headers["Content-Disposition"]
    saved = demo.s3.get_object(Bucket=demo.results_bucket, Key=body["file_key"])
    assert response.get_data() == saved["Body"].read()
    assert body["format"] == file_format


def test_download_unrecorded_key_answers_404(
    demo: Any, client: FlaskClient, training_id: str
) -> None:
    key = f"marketing-results/{training_id}/planted.xlsx"
    demo.s3.put_object(Bucket=demo.results_bucket, Key=key, Body=b"secret")

    response = client.get(f"{API}/download/{key}")

    assert response.status_code == 404
    assert b"secret" not in response.data


def test_download_refuses_model_result_exports(
    client: FlaskClient, training_id: str
) -> None:
    body = export(client, training_id)
    other = body["file_key"].replace("marketing-results/", "csv-exports/")

    response = client.get(f"{API}/download/{other}")

    assert response.status_code in {400, 404}


@pytest.mark.parametrize(
    "path",
    [
        "marketing-results/../csv-exports/x.csv",
        "marketing-results/%2e%2e/%2e%2e/etc/passwd",
        "marketing-results/%252e%252e/secret.xlsx",
        "marketing-results\\..\\secret.xlsx",
        "/etc/passwd",
        "csv-exports/x.csv",
        "marketing-prepared/x/00000_heinz_US.parquet",
        "s3:/results/marketing-results/x.xlsx",
        "marketing-results/x.xlsx%23.png",
    ],
    ids=[
        "dotdot",
        "encoded-dotdot",
        "double-encoded",
        "backslash",
        "absolute",
        "other-prefix",
        "prepared-data",
        "scheme",
        "fragment",
    ],
)
def test_download_refuses_paths_outside_marketing_results(
    client: FlaskClient, path: str
) -> None:
    response = client.get(f"{API}/download/{path}")

    assert response.status_code in {400, 404}
    assert response.get_json()["code"] == response.status_code


@pytest.mark.parametrize("query", ["?format=pdf", "?format="], ids=["pdf", "empty"])
def test_export_unknown_format_answers_422(
    client: FlaskClient, training_id: str, query: str
) -> None:
    response = client.post(f"{API}/export/{training_id}{query}")

    assert response.status_code == 422
    assert "format" in response.get_json()["errors"]["query"]
