"""Marketing endpoints against references written independently here:
a plain Python loop for the transform chain, numpy's lstsq for LINEAR, and
openpyxl reading the exported workbook."""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import openpyxl
import pytest
from flask.testing import FlaskClient

from tests.api.test_marketing_chain import (
    MEDIA,
    NON_SCALED,
    OTHER,
    TRANSFORM_BODY,
    list_keys,
    ok,
    post,
    prepare_run,
    raw_frame,
    read_parquet,
    train_run,
    transform_run,
)

X_COLUMNS = [f"{m}_transformed" for m in MEDIA] + OTHER + NON_SCALED
DEFAULT_LOGISTIC = [5.0, 0.5, 0.5]


@pytest.fixture
def transformed(demo: Any, client: FlaskClient) -> dict[str, Any]:
    return transform_run(client, prepare_run(client)["run_id"])


def looped_logistic_minmax(spend: list[float], k: float, r: float, m: float) -> list:
    adstocked: list[float] = []
    for value in spend:
        adstocked.append(value + (r * adstocked[-1] if adstocked else 0.0))
    peak = max(adstocked)
    curve = [
        1.0 / (1.0 + math.exp(-k * ((a / peak if peak else 0.0) - m)))
        for a in adstocked
    ]
    low, high = min(curve), max(curve)
    return [(c - low) / (high - low) if high > low else 0.0 for c in curve]


def test_transform_matches_plain_loop_per_region(
    demo: Any, transformed: dict[str, Any]
) -> None:
    key = list_keys(demo, transformed["transformed_data_key"])[0]
    stored = read_parquet(demo, key)
    combination = f"{stored['Brand'].iloc[0]}_{stored['Market'].iloc[0]}"
    raw = raw_frame(demo, combination)
    params = TRANSFORM_BODY["transformation_params"]

    for region, rows in raw.groupby("Region"):
        ordered = rows.sort_values("Date")
        output = stored[stored["Region"] == region].sort_values("Date")
        for media in MEDIA:
            k, r, m = params.get(media, DEFAULT_LOGISTIC)
            expected = looped_logistic_minmax(list(ordered[media]), k, r, m)
            assert output[f"{media}_transformed"].to_numpy() == pytest.approx(
                expected, rel=1e-9, abs=1e-12
            ), (region, media)


def test_unconstrained_linear_equals_numpy_lstsq(
    demo: Any, client: FlaskClient, transformed: dict[str, Any]
) -> None:
    body = train_run(
        client,
        transformed["transform_id"],
        model_types=["LINEAR"],
        y_variables=["Volume"],
        use_constraints=False,
        variable_constraints=[],
    )
    model = ok(client.get(f"/api/v1/marketing/results/{body['training_id']}"))[0]
    key = list_keys(demo, transformed["transformed_data_key"])[model_position(model)]
    frame = read_parquet(demo, key)
    dates = np.sort(frame["Date"].unique())
    train_rows = frame["Date"].isin(dates[: int(round(0.8 * len(dates), 9))])
    X = frame.loc[train_rows, X_COLUMNS].to_numpy(float)
    design = np.column_stack([X, np.ones(len(X))])
    y = frame.loc[train_rows, "Volume"].to_numpy(float)

    solution, *_ = np.linalg.lstsq(design, y, rcond=None)

    fitted = [model["coefficients"][c] for c in X_COLUMNS]
    fitted.append(model["coefficients"]["intercept"])
    assert fitted == pytest.approx(solution, rel=1e-6, abs=1e-6)


def model_position(model: dict[str, Any]) -> int:
    order = ["heinz_US", "heinz_CA", "kraft_US", "kraft_CA"]
    return order.index(model["combination_id"])


def test_exported_workbook_opens_in_openpyxl_with_every_model(
    demo: Any, client: FlaskClient, transformed: dict[str, Any]
) -> None:
    training = train_run(client, transformed["transform_id"])
    training_id = training["training_id"]
    post(client, "calculate-elasticity", {"run_id": training_id})
    export = ok(client.post(f"/api/v1/marketing/export/{training_id}?format=xlsx"))

    data = client.get(export["download_url"]).data
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)

    assert {"Summary", "Models", "Coefficients"} <= set(workbook.sheetnames)
    rows = list(workbook["Models"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    ids = sorted(row[header.index("model_id")] for row in body)
    assert ids == list(range(1, training["models_trained"] + 1))
