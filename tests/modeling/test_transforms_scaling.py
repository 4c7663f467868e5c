"""Per-region scalers against scikit-learn, constant columns and storage."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from buildatom.modeling.transforms import ScalingMethod, TransformParameterError
from buildatom.modeling.transforms_scaling import (
    ScalerParams,
    apply_scaler,
    fit_scaler,
)


@pytest.fixture
def column() -> np.ndarray:
    return np.random.default_rng(11).normal(40.0, 7.0, size=300)


@pytest.mark.parametrize(
    ("method", "reference"),
    [(ScalingMethod.MINMAX, MinMaxScaler), (ScalingMethod.STANDARD, StandardScaler)],
    ids=["minmax", "standard"],
)
def test_scaler_matches_scikit_learn(column, method, reference):
    expected = reference().fit_transform(column[:, None])[:, 0]

    scaled = apply_scaler(column, fit_scaler(column, method))

    np.testing.assert_allclose(scaled, expected, rtol=1e-12, atol=1e-12)


def test_standard_scaler_uses_population_std(column):
    params = fit_scaler(column, "standard")

    assert params.std == pytest.approx(np.std(column, ddof=0), rel=1e-14)


@pytest.mark.parametrize("method", ["minmax", "standard"], ids=str)
@pytest.mark.parametrize("value", [0.0, 0.1, 2500.0], ids=lambda v: f"value={v}")
def test_scaler_maps_constant_column_to_zero(method, value):
    constant = np.full(9, value)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scaled = apply_scaler(constant, fit_scaler(constant, method))

    assert np.array_equal(scaled, np.zeros(9))


def test_no_scaling_returns_copy(column):
    scaled = apply_scaler(column, fit_scaler(column, ScalingMethod.NONE))

    assert np.array_equal(scaled, column)
    assert scaled is not column


@pytest.mark.parametrize("method", list(ScalingMethod), ids=str)
def test_scaler_params_survive_json_exactly(column, method):
    params = fit_scaler(column, method)
    stored = json.loads(json.dumps(params.to_dict()))

    restored = ScalerParams.from_dict(method, stored)

    assert np.array_equal(apply_scaler(column, restored), apply_scaler(column, params))


def test_scaler_params_store_named_statistics(column):
    assert set(fit_scaler(column, "minmax").to_dict()) == {"min", "max"}
    assert set(fit_scaler(column, "standard").to_dict()) == {"mean", "std"}
    assert fit_scaler(column, "none").to_dict() == {}


def test_scaler_params_from_dict_requires_statistics():
    with pytest.raises(TransformParameterError, match=r"stored minmax scaler needs"):
        ScalerParams.from_dict("minmax", {"min": 0.0})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (np.array([]), r"values to scale must hold at least 1 value"),
        (np.array([1.0, np.inf]), r"values to scale must hold finite numbers"),
    ],
    ids=["empty", "infinite"],
)
def test_fit_scaler_rejects(values, message):
    with pytest.raises(TransformParameterError, match=message):
        fit_scaler(values, "minmax")
