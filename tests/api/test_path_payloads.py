"""Path-traversal and odd path payloads against every path parameter.

The payloads cover plain, percent-encoded and double-encoded ``..``, the
fragment and double-encoding shapes of the MLflow path-traversal CVEs
(CVE-2023-1177, CVE-2023-6909, CVE-2024-1483), backslashes, absolute and
scheme-prefixed paths, NUL bytes and overlong input. No answer may be a 5xx
and no answer may carry bytes the API did not export.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

SECRET = b"TOP-SECRET-BYTES-7f3a"
PAYLOADS = [
    "..",
    "../",
    "../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "%2e%2e/%2e%2e/etc/passwd",
    "%2e%2e%2f%2e%2e%2fsecret.csv",
    "..%252f..%252fsecret.csv",
    "%252e%252e%252fsecret.csv",
    "%25252e%25252e%25252fsecret.csv",
    "..%5c..%5csecret.csv",
    "%5c..%5csecret.csv",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "C:%5cWindows%5cwin.ini",
    "file:%2f%2f%2fetc%2fpasswd",
    "s3:%2f%2fresults%2fsecret.csv",
    "http:%2f%2fevil.example%2fx",
    "csv-exports/../secret.csv",
    "csv-exports/%2e%2e/secret.csv",
    "csv-exports/..%2fsecret.csv",
    "csv-exports/%252e%252e%252fsecret.csv",
    "csv-exports/x.csv%23/../../secret.csv",
    "csv-exports/x.csv%2523/..%252f..%252fsecret.csv",
    "csv-exports/x.csv%3fa=../secret.csv",
    "marketing-results/../csv-exports/secret.csv",
    "marketing-results/%2e%2e%2fsecret.csv",
    "csv-exports/./secret.csv",
    "csv-exports//secret.csv",
    "csv-exports/secret%00.csv",
    "%00",
    "~%2fsecret.csv",
    "csv-exports/..;/secret.csv",
    "%c0%ae%c0%ae/secret.csv",
    "%ef%bc%8e%ef%bc%8e/secret.csv",
    "csv-exports/secret.csv",
    "marketing-results/secret.xlsx",
    "csv-exports/" + "a" * 1500 + ".csv",
]
PARAMETER = re.compile(r"\{([^}]+)\}")


@pytest.fixture
def planted(demo: Any, client: FlaskClient) -> dict[str, Any]:
    body = {
        "scope_id": "scope_123",
        "set_name": "Scope_1",
        "x_variables": ["Price"],
        "y_variable": "Volume",
        "price_column": "Price",
        "models_to_run": ["linear"],
    }
    run_id = client.post("/api/v1/train-models", json=body).get_json()["summary"][
        "run_id"
    ]
    client.get(f"/api/v1/model-results/export/{run_id}?save_only=true")
    for bucket in (demo.data_bucket, demo.results_bucket):
        for key in (
            "secret.csv",
            "csv-exports/secret.csv",
            "marketing-results/secret.xlsx",
            "etc/passwd",
        ):
            demo.s3.put_object(Bucket=bucket, Key=key, Body=SECRET)
    return {"run_id": run_id}


def operations(client: FlaskClient) -> list[tuple[str, str, list[str]]]:
    spec = client.get("/openapi.json").get_json()
    found = []
    for path, item in spec["paths"].items():
        names = PARAMETER.findall(path)
        if not names:
            continue
        for method in item:
            if method in {"get", "post"}:
                found.append((method, path, names))
    return found


def test_path_payloads_never_5xx_nor_foreign_bytes(
    client: FlaskClient, planted: dict[str, Any]
) -> None:
    tried = 0
    statuses: dict[int, int] = {}
    for method, path, names in operations(client):
        for payload in PAYLOADS:
            url = path
            for name in names:
                url = url.replace("{" + name + "}", payload)
            response = client.open(url, method=method.upper(), json={})
            tried += 1
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code < 500, (url, response.status_code)
            assert SECRET not in response.data, url
            if "/download/" in path:
                assert response.status_code in {400, 404}, (url, response.status_code)

    downloads = [op for op in operations(client) if "/download/" in op[1]]
    assert len(PAYLOADS) >= 30
    assert downloads
    assert tried >= len(PAYLOADS) * 4
    print(f"path payloads tried: {tried}, statuses: {sorted(statuses.items())}")
