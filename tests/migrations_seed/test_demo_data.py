"""Pure tests of the demo scopes: shapes, determinism and the true parameters."""

import hashlib
import io
import re
from datetime import UTC, date, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy.signal import lfilter

from migrations_seed.demo_data import (
    demo_scopes,
    marketing_parameters,
    sales_parameters,
    true_price_elasticity,
)
from migrations_seed.demo_marketing import geometric_adstock, logistic_saturation

SALES_COLUMNS = [
    "Date", "Channel", "Brand", "PPG", "Price", "Distribution", "Promo",
    "Volume", "Revenue",
]  # fmt: skip
MARKETING_COLUMNS = [
    "Date", "Region", "Brand", "Market", "TV_Spend", "Digital_Spend",
    "Print_Spend", "Price", "Distribution", "Holiday_Flag", "Fiscal_Year",
    "Revenue", "Volume",
]  # fmt: skip
MEDIA = ["TV_Spend", "Digital_Spend", "Print_Spend"]
# SHA-256 over every (key, bytes) pair in key order; a change here means the
# demo data, and every example computed from it, has changed.
DEMO_DIGEST = "9f4d143716ba3ee0eee07027d4e7a08b94d0c64e821bc3407959f2d21e50871f"

SCOPES = {scope.document["_id"]: scope for scope in demo_scopes()}
SALES = SCOPES["scope_123"]
MARKETING = SCOPES["marketing_scope_123"]
SALES_IDS = [c["combination_id"] for c in SALES.document["combinations"]]
MARKETING_IDS = [c["combination_id"] for c in MARKETING.document["combinations"]]


def _frame(scope, combination_id):
    combination = next(
        c
        for c in scope.document["combinations"]
        if c["combination_id"] == combination_id
    )
    return combination, pd.read_csv(io.BytesIO(scope.files[combination["file_key"]]))


def test_demo_scopes_identical_bytes_on_two_calls():
    first, second = demo_scopes(), demo_scopes()

    assert [s.document for s in first] == [s.document for s in second]
    assert [s.files for s in first] == [s.files for s in second]


def test_demo_scopes_match_pinned_digest():
    digest = hashlib.sha256()
    for scope in demo_scopes():
        for key in sorted(scope.files):
            digest.update(key.encode())
            digest.update(scope.files[key])

    assert digest.hexdigest() == DEMO_DIGEST


@pytest.mark.parametrize(
    ("scope_id", "scope_name", "sets"),
    [
        (
            "scope_123",
            "Sales Analysis Scope",
            {"Scope_1": 12, "Scope_2": 4, "Scope_3": 4},
        ),
        ("marketing_scope_123", "Marketing Mix Scope", {"MMM_Set_1": 4}),
    ],
    ids=["sales", "marketing"],
)
def test_scope_document_has_contract_shape(scope_id, scope_name, sets):
    document = SCOPES[scope_id].document
    combinations = document["combinations"]
    ids = [c["combination_id"] for c in combinations]

    assert document["_id"] == document["scope_id"] == scope_id
    assert document["scope_name"] == scope_name
    assert document["description"]
    assert document["created_at"].utcoffset() == timedelta(0)
    assert document["created_at"].tzinfo is UTC
    assert {s: [c["set_name"] for c in combinations].count(s) for s in sets} == sets
    assert len(combinations) == sum(sets.values())
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids)
    for combination in combinations:
        identifiers = dict(combination)
        assert isinstance(identifiers.pop("record_count"), int)
        assert {"combination_id", "set_name", "file_key"} <= identifiers.keys()
        assert all(isinstance(value, str) for value in identifiers.values())


@pytest.mark.parametrize("scope_id", list(SCOPES), ids=list(SCOPES))
def test_scope_files_are_the_combinations_file_keys(scope_id):
    scope = SCOPES[scope_id]
    keys = [c["file_key"] for c in scope.document["combinations"]]

    assert sorted(keys) == sorted(scope.files)
    for combination in scope.document["combinations"]:
        _, frame = _frame(scope, combination["combination_id"])
        assert combination["record_count"] == len(frame)


@pytest.mark.parametrize("combination_id", SALES_IDS, ids=SALES_IDS)
def test_sales_file_columns_rows_and_identifiers(combination_id):
    combination, frame = _frame(SALES, combination_id)
    channel, brand, ppg = combination_id.split("_")
    weeks = [date(2022, 1, 3) + timedelta(weeks=i) for i in range(156)]

    assert list(frame.columns) == SALES_COLUMNS
    assert combination["file_key"] == f"sales/{channel}_{brand}_{ppg}.csv"
    assert (combination["channel"], combination["brand"]) == (channel, brand)
    assert combination["ppg"] == ppg
    assert frame["Date"].tolist() == [week.isoformat() for week in weeks]
    assert set(frame["Channel"]) == {channel}
    assert set(frame["Brand"]) == {brand}
    assert set(frame["PPG"]) == {ppg}


@pytest.mark.parametrize("combination_id", SALES_IDS, ids=SALES_IDS)
def test_sales_values_positive_and_in_range(combination_id):
    _, frame = _frame(SALES, combination_id)

    assert (frame["Price"] > 0).all()
    assert (frame["Volume"] > 0).all()
    assert frame["Distribution"].between(0, 1, inclusive="right").all()
    assert set(frame["Promo"]) == {0, 1}
    np.testing.assert_allclose(
        frame["Revenue"], frame["Price"] * frame["Volume"], rtol=0, atol=1e-4
    )


@pytest.mark.parametrize("combination_id", SALES_IDS, ids=SALES_IDS)
def test_sales_volume_follows_documented_equation(combination_id):
    _, frame = _frame(SALES, combination_id)
    p = sales_parameters(combination_id)
    week = np.arange(len(frame))

    expected = (
        p.intercept
        + p.price * frame["Price"]
        + p.distribution * frame["Distribution"]
        + p.promo * frame["Promo"]
        + p.season_amplitude * np.sin(2 * np.pi * week / 52 + p.season_phase)
    )
    residual = frame["Volume"] - expected
    elasticity = p.price * frame["Price"].mean() / expected.mean()

    assert residual.std() == pytest.approx(p.noise_sd, rel=0.25)
    assert abs(residual.mean()) < 4 * p.noise_sd / np.sqrt(len(frame))
    assert true_price_elasticity(combination_id) == pytest.approx(elasticity, 1e-9)
    assert true_price_elasticity(combination_id) < 0


@pytest.mark.parametrize("combination_id", SALES_IDS, ids=SALES_IDS)
def test_sales_least_squares_recovers_price_elasticity(combination_id):
    _, frame = _frame(SALES, combination_id)
    X = np.column_stack(
        [np.ones(len(frame)), frame[["Price", "Distribution", "Promo"]]]
    )

    coefficients, *_ = np.linalg.lstsq(X, frame["Volume"], rcond=None)
    estimate = coefficients[1] * frame["Price"].mean() / frame["Volume"].mean()

    truth = true_price_elasticity(combination_id)
    assert estimate == pytest.approx(truth, rel=0.10)


@pytest.mark.parametrize("combination_id", MARKETING_IDS, ids=MARKETING_IDS)
def test_marketing_file_columns_rows_and_fiscal_years(combination_id):
    combination, frame = _frame(MARKETING, combination_id)
    weeks = [date(2023, 1, 2) + timedelta(weeks=i) for i in range(104)]
    dates = pd.to_datetime(frame["Date"])

    assert list(frame.columns) == MARKETING_COLUMNS
    assert len(frame) == 312
    assert combination["file_key"] == f"marketing/{combination_id}.csv"
    assert combination_id == f"{combination['brand']}_{combination['market']}"
    assert set(frame["Brand"]) == {combination["brand"]}
    assert set(frame["Market"]) == {combination["market"]}
    assert sorted(frame["Date"].unique()) == [week.isoformat() for week in weeks]
    assert frame["Region"].tolist() == ["Northeast", "South", "West"] * 104
    assert set(frame["Fiscal_Year"]) == {2023, 2024}
    assert (frame["Fiscal_Year"] == dates.dt.year).all()


@pytest.mark.parametrize("combination_id", MARKETING_IDS, ids=MARKETING_IDS)
def test_marketing_values_positive_and_flighted(combination_id):
    _, frame = _frame(MARKETING, combination_id)

    assert (frame["Price"] > 0).all()
    assert (frame["Volume"] > 0).all()
    assert frame["Distribution"].between(0, 1, inclusive="right").all()
    assert set(frame["Holiday_Flag"]) == {0, 1}
    np.testing.assert_allclose(
        frame["Revenue"], frame["Price"] * frame["Volume"], rtol=0, atol=1e-4
    )
    for _, region in frame.groupby("Region"):
        for media in MEDIA:
            assert (region[media] >= 0).all()
            assert (region[media] == 0).any(), f"{media} never off air"
            assert (region[media] > 0).any(), f"{media} never on air"


@pytest.mark.parametrize("combination_id", MARKETING_IDS, ids=MARKETING_IDS)
def test_marketing_volume_follows_documented_equation(combination_id):
    _, frame = _frame(MARKETING, combination_id)
    p = marketing_parameters(combination_id)
    residuals = []

    for region, rows in frame.groupby("Region"):
        expected = (
            p.base_by_region[region]
            + p.price * rows["Price"]
            + p.distribution * rows["Distribution"]
            + p.holiday * rows["Holiday_Flag"]
        )
        for name, media in p.media.items():
            adstock = lfilter([1.0], [1.0, -media.carryover], rows[name])
            share = adstock / adstock.max()
            saturation = 1 / (1 + np.exp(-media.growth_rate * (share - media.midpoint)))
            expected = expected + media.beta * saturation
        residuals.append(rows["Volume"] - expected)
    residual = pd.concat(residuals)

    assert residual.std() == pytest.approx(p.noise_sd, rel=0.2)
    assert abs(residual.mean()) < 4 * p.noise_sd / np.sqrt(len(frame))
    assert p.price < 0
    assert all(media.beta > 0 for media in p.media.values())
    assert p.transformation_params().keys() == set(MEDIA)


@pytest.mark.parametrize(
    ("lookup", "combination_id", "message"),
    [
        (sales_parameters, "walmart_heinz_huge", "unknown sales combination_id"),
        (true_price_elasticity, "heinz_US", "unknown sales combination_id"),
        (marketing_parameters, "heinz_MX", "unknown marketing combination_id"),
    ],
    ids=["sales-parameters", "elasticity", "marketing-parameters"],
)
def test_parameter_lookup_unknown_id_raises(lookup, combination_id, message):
    with pytest.raises(KeyError, match=message):
        lookup(combination_id)


@pytest.mark.parametrize("carryover", [0.0, 0.3, 0.9], ids=["r0", "r0.3", "r0.9"])
def test_geometric_adstock_equals_linear_filter(carryover):
    spend = np.random.default_rng(0).uniform(0, 100, 50) * (np.arange(50) % 4 > 0)

    np.testing.assert_allclose(
        geometric_adstock(spend, carryover),
        lfilter([1.0], [1.0, -carryover], spend),
        rtol=1e-12,
    )


def test_logistic_saturation_half_at_midpoint_and_defined_for_zero_spend():
    adstock = np.array([0.0, 2.0, 4.0])

    saturation = logistic_saturation(adstock, growth_rate=5.0, midpoint=0.5)
    flat = logistic_saturation(np.zeros(3), growth_rate=5.0, midpoint=0.5)

    assert saturation[1] == pytest.approx(0.5, abs=1e-15)
    assert np.all(np.diff(saturation) > 0)
    np.testing.assert_allclose(flat, 1 / (1 + np.exp(2.5)), rtol=1e-15)
