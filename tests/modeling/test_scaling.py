"""Scaler fitting, application and the way back to raw units, against sklearn."""

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from buildatom.modeling.scaling import (
    ScalerParameters,
    Standardization,
    apply_scaler,
    coefficients_in_raw_units,
    fit_scaler,
)

RTOL = 1e-12

SKLEARN_SCALERS = {
    Standardization.MINMAX: MinMaxScaler,
    Standardization.STANDARD: StandardScaler,
}


@pytest.fixture
def features() -> np.ndarray:
    rng = np.random.default_rng(7)
    X = np.column_stack(
        [
            rng.uniform(2.0, 6.0, 50),
            rng.normal(1e4, 3e3, 50),
            np.full(50, 4.2),  # constant: scale must be 1
            rng.integers(0, 2, 50).astype(float),
        ]
    )
    return X


@pytest.mark.parametrize(
    "standardization",
    [Standardization.MINMAX, Standardization.STANDARD],
    ids=["minmax", "standard"],
)
def test_scaled_features_match_sklearn(features, standardization):
    reference = SKLEARN_SCALERS[standardization]().fit_transform(features)

    scaled = apply_scaler(features, fit_scaler(features, standardization))

    np.testing.assert_allclose(scaled, reference, rtol=RTOL, atol=1e-12)


def test_constant_feature_gets_unit_scale(features):
    for standardization in Standardization:
        parameters = fit_scaler(features, standardization)
        assert parameters.scale[2] == 1.0


def test_none_is_identity(features):
    parameters = fit_scaler(features, Standardization.NONE)

    np.testing.assert_array_equal(apply_scaler(features, parameters), features)


@pytest.mark.parametrize(
    "standardization",
    [Standardization.MINMAX, Standardization.STANDARD],
    ids=["minmax", "standard"],
)
def test_masked_fit_equals_fit_on_the_masked_rows(features, standardization):
    rng = np.random.default_rng(3)
    masks = rng.random((3, features.shape[0])) < 0.7
    stacked = np.broadcast_to(features, (3, *features.shape))

    batched = fit_scaler(stacked, standardization, masks)

    for i, mask in enumerate(masks):
        alone = fit_scaler(features[mask], standardization)
        np.testing.assert_allclose(batched.offset[i], alone.offset, rtol=RTOL)
        np.testing.assert_allclose(batched.scale[i], alone.scale, rtol=RTOL)


@pytest.mark.parametrize(
    "standardization",
    list(Standardization),
    ids=[member.value for member in Standardization],
)
def test_raw_unit_coefficients_equal_a_fit_on_raw_features(features, standardization):
    rng = np.random.default_rng(11)
    X = np.delete(features, 2, axis=1)
    y = X @ np.array([-3.0, 0.002, 5.0]) + rng.normal(0.0, 0.5, X.shape[0])
    parameters = fit_scaler(X, standardization)
    scaled_fit = LinearRegression().fit(apply_scaler(X, parameters), y)
    raw_fit = LinearRegression().fit(X, y)

    coefficients, intercept = coefficients_in_raw_units(
        scaled_fit.coef_, np.asarray(scaled_fit.intercept_), parameters
    )

    np.testing.assert_allclose(coefficients, raw_fit.coef_, rtol=1e-8)
    assert float(intercept) == pytest.approx(raw_fit.intercept_, rel=1e-8)


def test_raw_unit_conversion_preserves_predictions():
    parameters = ScalerParameters(np.array([1.0, -2.0]), np.array([4.0, 0.5]))
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]])
    w, b = np.array([2.0, -1.5]), np.array(0.7)

    coefficients, intercept = coefficients_in_raw_units(w, b, parameters)

    np.testing.assert_allclose(
        X @ coefficients + intercept, apply_scaler(X, parameters) @ w + b, rtol=RTOL
    )
