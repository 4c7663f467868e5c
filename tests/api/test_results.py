"""Endpoints 8 to 12: results, statistics, CSV exports, downloads, listing."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient

from buildatom.api.dependencies import runtime, scope_service
from buildatom.app import create_app
from buildatom.errors import StoreUnavailable
from buildatom.modeling.regression import model_spec
from buildatom.modeling.scaling import Standardization
from buildatom.repositories.training_runs import TrainingRunRepository
from buildatom.services.training import TrainingRequest, TrainingService

BODY = {
    "scope_id": "scope_123",
    "set_name": "Scope_1",
    "x_variables": ["Channel", "Price", "Distribution", "Promo"],
    "y_variable": "Volume",
    "price_column": "Price",
    "standardization": "standard",
    "k_folds": 4,
    "models_to_run": ["linear", "ridge"],
}


@pytest.fixture
def run(demo: Any, client: FlaskClient) -> dict[str, Any]:
    response = client.post("/api/v1/train-models", json=BODY)
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def models_by_id(run: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (r["combination_id"], m["model_name"]): m
        for r in run["combination_results"]
        for m in r["model_results"]
    }


def test_detailed_results_repeat_training_numbers(
    client: FlaskClient, run: dict[str, Any]
) -> None:
    run_id = run["summary"]["run_id"]

    body = client.get(f"/api/v1/model-results/detailed/{run_id}").get_json()

    assert body["run_id"] == run_id
    assert body["total_models"] == 24
    assert body["total_combinations"] == 12
    trained = models_by_id(run)
    assert len(body["results"]) == 24
    for result in body["results"]:
        model = trained[(result["combination_id"], result["model_name"])]
        assert result["mape_test"] == model["mape_test"]
        assert result["coefficients"] == {
            "intercept": model["intercept"],
            **model["coefficients"],
        }
        assert "folds" not in result
        assert result["channel"] == result["combination_id"].split("_")[0]


def test_detailed_results_folds_and_averages(
    demo: Any, client: FlaskClient, run: dict[str, Any]
) -> None:
    run_id = run["summary"]["run_id"]

    body = client.get(
        f"/api/v1/model-results/detailed/{run_id}?include_folds=true"
    ).get_json()

    for result in body["results"]:
        folds = result["folds"]
        assert [f["fold"] for f in folds] == [1, 2, 3, 4]
        assert sum(f["n_test"] for f in folds) == 156
        mean_test = sum(f["mape_test"] for f in folds) / 4
        assert result["mape_test"] == pytest.approx(mean_test, rel=1e-12)
    frames = [
        pd.read_csv(
            io.BytesIO(
                demo.s3.get_object(Bucket=demo.data_bucket, Key=key)["Body"].read()
            )
        )
        for key in (
            c["file_key"]
            for c in demo.database.scopes.find_one({"_id": "scope_123"})["combinations"]
            if c["set_name"] == "Scope_1"
        )
    ]
    stacked = pd.concat(frames)
    assert body["variable_averages"]["Price"] == pytest.approx(
        stacked["Price"].mean(), rel=1e-12
    )
    assert body["variable_averages"]["Volume"] == pytest.approx(
        stacked["Volume"].mean(), rel=1e-12
    )


def test_detailed_results_page_by_combination(
    client: FlaskClient, run: dict[str, Any]
) -> None:
    run_id = run["summary"]["run_id"]
    url = f"/api/v1/model-results/detailed/{run_id}"

    pages = [client.get(f"{url}?limit=5&skip={skip}").get_json() for skip in (0, 5, 10)]

    combos = [r["combination_id"] for page in pages for r in page["results"]][::2]
    assert combos == [r["combination_id"] for r in run["combination_results"]]
    assert [len(page["results"]) for page in pages] == [10, 10, 4]


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=1001", "skip=-1", "include_folds=maybe"],
    ids=["limit-zero", "limit-over", "skip-negative", "folds-not-bool"],
)
def test_detailed_results_bad_query_answers_422(
    client: FlaskClient, run: dict[str, Any], query: str
) -> None:
    run_id = run["summary"]["run_id"]

    response = client.get(f"/api/v1/model-results/detailed/{run_id}?{query}")

    assert response.status_code == 422
    assert query.split("=")[0] in response.get_json()["errors"]["query"]


@pytest.mark.parametrize(
    "path",
    ["detailed", "variable-stats", "export"],
    ids=["detailed", "variable-stats", "export"],
)
def test_unknown_run_answers_404(client: FlaskClient, path: str) -> None:
    run_id = str(uuid.uuid4())

    response = client.get(f"/api/v1/model-results/{path}/{run_id}")

    assert response.status_code == 404
    assert run_id in response.get_json()["message"]


def test_variable_stats_match_pandas(
    demo: Any, client: FlaskClient, run: dict[str, Any]
) -> None:
    run_id = run["summary"]["run_id"]

    body = client.get(f"/api/v1/model-results/variable-stats/{run_id}").get_json()

    assert body["total_combinations"] == 12
    first = body["combinations"][0]
    key = f"sales/{first['combination_id']}.csv"
    frame = pd.read_csv(demo.s3.get_object(Bucket=demo.data_bucket, Key=key)["Body"])
    for name in ("Price", "Distribution", "Promo", "Volume"):
        stats = first["variable_statistics"][name]
        assert stats["mean"] == pytest.approx(frame[name].mean(), rel=1e-12)
        assert stats["std"] == pytest.approx(frame[name].std(ddof=1), rel=1e-12)
        assert stats["min"] == frame[name].min()
        assert stats["max"] == frame[name].max()
        assert first["variable_averages"][name] == stats["mean"]
    assert "Channel" not in first["variable_statistics"]
    assert first["brand"] in {"heinz", "kraft"}


class FailingAfterFirstInsert(TrainingRunRepository):
    """The real repository, with MongoDB 'lost' after the first bulk insert."""

    inserts = 0

    def add_results(self, results: Any) -> None:
        if self.inserts == 1:
            raise StoreUnavailable("MongoDB", "connection lost mid-run (injected)")
        self.inserts += 1
        super().add_results(results)


def test_run_failing_midway_leaves_nothing_readable(
    demo: Any, app: Flask, client: FlaskClient
) -> None:
    with app.test_request_context():
        database = runtime().mongo.database()
        service = TrainingService(
            scope_service(),
            FailingAfterFirstInsert(database),
            runtime().objects,
            demo.data_bucket,
            chunk_size=3,
        )
        request = TrainingRequest(
            scope_id="scope_123",
            set_name="Scope_1",
            x_variables=["Price"],
            y_variable="Volume",
            price_column="Price",
            standardization=Standardization.NONE,
            k_folds=3,
            specs=[model_spec("linear")],
            model_configs=[],
        )
        with pytest.raises(StoreUnavailable, match="mid-run"):
            service.train(request)

    run = demo.database.training_runs.find_one({})
    assert run["status"] == "failed"
    assert "mid-run" in run["error"]
    assert demo.database.model_results.count_documents({}) == 0
    for path in ("detailed", "variable-stats", "export"):
        response = client.get(f"/api/v1/model-results/{path}/{run['_id']}")
        assert response.status_code == 404
        assert "failed" in response.get_json()["message"]


def test_running_run_is_invisible_then_expires(demo: Any, client: FlaskClient) -> None:
    repository = TrainingRunRepository(demo.database)
    run_id = str(uuid.uuid4())
    repository.start({"run_id": run_id}, timedelta(seconds=60))
    repository.add_results([{"run_id": run_id, "position": 0, "models": []}])

    response = client.get(f"/api/v1/model-results/detailed/{run_id}")
    early = repository.expire_stale_runs(datetime.now(UTC))
    expired = repository.expire_stale_runs(datetime.now(UTC) + timedelta(seconds=61))

    assert response.status_code == 404
    assert "running" in response.get_json()["message"]
    assert early == []
    assert expired == [run_id]
    assert demo.database.training_runs.find_one({"_id": run_id})["status"] == "failed"
    assert demo.database.model_results.count_documents({"run_id": run_id}) == 0


def read_csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_export_save_only_writes_recorded_csv(
    demo: Any, client: FlaskClient, run: dict[str, Any]
) -> None:
    run_id = run["summary"]["run_id"]

    response = client.get(f"/api/v1/model-results/export/{run_id}?save_only=true")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "success"
    assert body["minio_bucket"] == demo.results_bucket
    assert re.fullmatch(
        rf"csv-exports/{run_id}/model_results_\d{{8}}_\d{{6}}\.csv", body["file_key"]
    )
    assert body["download_url"] == "/api/v1/model-results/download/" + body["file_key"]
    stored = demo.s3.get_object(Bucket=demo.results_bucket, Key=body["file_key"])
    assert stored["ContentType"] == "text/csv"
    rows = read_csv_rows(stored["Body"].read().decode())
    assert len(rows) == 24
    trained = models_by_id(run)
    for row in rows:
        model = trained[(row["combination_id"], row["model_name"])]
        assert row["run_id"] == run_id
        assert float(row["mape_test"]) == model["mape_test"]
        assert float(row["price_elasticity"]) == model["price_elasticity"]
        assert float(row["intercept"]) == model["intercept"]
        assert float(row["coef_Price"]) == model["coefficients"]["Price"]
    record = demo.database.exports.find_one({"file_key": body["file_key"]})
    assert record["run_id"] == run_id
    assert record["rows"] == 24


def test_export_streams_csv_and_saves_it(
    demo: Any, client: FlaskClient, run: dict[str, Any]
) -> None:
    run_id = run["summary"]["run_id"]

    response = client.get(f"/api/v1/model-results/export/{run_id}?include_folds=true")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv_rows(response.get_data(as_text=True))
    assert len(rows) == 24 * 4
    assert [row["fold"] for row in rows[:4]] == ["1", "2", "3", "4"]
    key = response.headers["X-File-Key"]
    saved = demo.s3.get_object(Bucket=demo.results_bucket, Key=key)["Body"].read()
    assert saved == response.get_data()


def test_export_of_a_run_stored_after_a_long_history(demo: Any) -> None:
    # Other results are stored first. FerretDB scans for every query, so the
    # export's first batch crosses them all: it must get longer than the
    # (here 0.5 s) operation timeout, and must not read a document at a time.
    fold = {"fold": 1, "n_train": 40, "mape_test": 0.1, "r2_test": 0.9}
    model = {"model_name": "ridge", "folds": [fold] * 5, "mape_test": 0.1}
    filler = {"status": "completed", "models": [model] * 4}
    demo.database.model_results.insert_many(
        [
            {**filler, "_id": f"old:{p}", "run_id": "old", "position": p}
            for p in range(2000)
        ]
    )
    client = create_app(
        demo.app_config(MONGODB_OPERATION_TIMEOUT_SECONDS=0.5)
    ).test_client()
    run = client.post("/api/v1/train-models", json=BODY).get_json()
    run_id = run["summary"]["run_id"]

    response = client.get(f"/api/v1/model-results/export/{run_id}?include_folds=true")

    assert response.status_code == 200, response.get_data(as_text=True)
    rows = read_csv_rows(response.get_data(as_text=True))
    assert len(rows) == 24 * 4
    order = [row["combination_id"] for row in rows[::8]]
    assert order == [r["combination_id"] for r in run["combination_results"]]


def test_expired_running_run_reads_as_failed(demo: Any, client: FlaskClient) -> None:
    repository = TrainingRunRepository(demo.database)
    run_id = str(uuid.uuid4())
    repository.start({"run_id": run_id}, timedelta(seconds=-1))

    response = client.get(f"/api/v1/model-results/variable-stats/{run_id}")

    assert response.status_code == 404
    assert "failed" in response.get_json()["message"]
    assert demo.database.training_runs.find_one({"_id": run_id})["status"] == "failed"


def test_download_serves_recorded_export(
    client: FlaskClient, run: dict[str, Any]
) -> None:
    run_id = run["summary"]["run_id"]
    saved = client.get(f"/api/v1/model-results/export/{run_id}?save_only=true")
    url = saved.get_json()["download_url"]

    response = client.get(url)

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert len(read_csv_rows(response.get_data(as_text=True))) == 24


def test_download_unrecorded_key_answers_404(
    demo: Any, client: FlaskClient, run: dict[str, Any]
) -> None:
    key = f"csv-exports/{run['summary']['run_id']}/planted.csv"
    demo.s3.put_object(Bucket=demo.results_bucket, Key=key, Body=b"secret")

    response = client.get(f"/api/v1/model-results/download/{key}")

    assert response.status_code == 404
    assert b"secret" not in response.data


@pytest.mark.parametrize(
    "path",
    [
        "csv-exports/../marketing-results/x.csv",
        "csv-exports/%2e%2e/%2e%2e/etc/passwd",
        "csv-exports/%252e%252e/secret.csv",
        "csv-exports\\..\\secret.csv",
        "/etc/passwd",
        "marketing-results/x.xlsx",
        "dataformodel/sales/walmart_heinz_large.csv",
        "s3:/results/csv-exports/x.csv",
        "csv-exports/x.csv%23.png",
    ],
    ids=[
        "dotdot",
        "encoded-dotdot",
        "double-encoded",
        "backslash",
        "absolute",
        "other-prefix",
        "data-bucket",
        "scheme",
        "fragment",
    ],
)
def test_download_refuses_paths_outside_exports(client: FlaskClient, path: str) -> None:
    response = client.get(f"/api/v1/model-results/download/{path}")

    assert response.status_code in {400, 404}
    assert response.get_json()["code"] == response.status_code


def test_list_exports_filters_and_orders_newest_first(
    client: FlaskClient, run: dict[str, Any]
) -> None:
    run_id = run["summary"]["run_id"]
    keys = [
        client.get(f"/api/v1/model-results/export/{run_id}?save_only=true").get_json()[
            "file_key"
        ]
        for _ in range(3)
    ]

    body = client.get(f"/api/v1/model-results/list-exports?run_id={run_id}").get_json()
    other = client.get(f"/api/v1/model-results/list-exports?run_id={uuid.uuid4()}")
    limited = client.get("/api/v1/model-results/list-exports?limit=2").get_json()

    assert body["total"] == 3
    assert [e["file_key"] for e in body["exports"]] == keys[::-1]
    entry = body["exports"][0]
    assert entry["size"] > 0
    assert entry["download_url"].endswith(entry["file_key"])
    assert entry["metadata"]["run_id"] == run_id
    assert other.get_json() == {"total": 0, "exports": []}
    assert len(limited["exports"]) == 2


@pytest.mark.parametrize("limit", ["0", "201", "x"], ids=["zero", "over", "text"])
def test_list_exports_bad_limit_answers_422(client: FlaskClient, limit: str) -> None:
    response = client.get(f"/api/v1/model-results/list-exports?limit={limit}")

    assert response.status_code == 422
    assert "limit" in response.get_json()["errors"]["query"]


def test_export_escapes_formula_cells(demo: Any, client: FlaskClient) -> None:
    scope = demo.database.scopes.find_one({"_id": "scope_123"})
    combinations = [
        {**c, "channel": '=HYPERLINK("http://x")', "brand": "+cmd", "ppg": "-1+1"}
        for c in scope["combinations"]
        if c["set_name"] == "Scope_1"
    ][:3]
    demo.database.scopes.insert_one({"_id": "formulas", "combinations": combinations})
    body = {**BODY, "scope_id": "formulas", "x_variables": ["Price", "Promo"]}
    run_id = client.post("/api/v1/train-models", json=body).get_json()["summary"][
        "run_id"
    ]

    response = client.get(f"/api/v1/model-results/export/{run_id}")

    rows = read_csv_rows(response.get_data(as_text=True))
    assert rows[0]["channel"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["brand"] == "'+cmd"
    assert rows[0]["ppg"] == "'-1+1"
    assert float(rows[0]["coef_Price"]) < 0
