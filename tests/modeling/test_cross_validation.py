"""Cross-validated scores and final fits against scikit-learn pipelines."""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.optimize import lsq_linear
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge
from sklearn.metrics import mean_absolute_percentage_error, r2_score
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from buildatom.modeling.cross_validation import evaluate_many, evaluate_models
from buildatom.modeling.design import DataError, build_design_matrix
from buildatom.modeling.fold_batch import fold_assignment
from buildatom.modeling.regression import ModelConfigError, model_spec
from buildatom.modeling.scaling import Standardization

K_FOLDS = 5
METRIC_RTOL = 1e-6
CLOSED_FORM_RTOL = 1e-6
ITERATIVE_RTOL = 1e-4

MODELS = {
    "linear": ({}, LinearRegression()),
    "ridge": ({"alpha": 0.5}, Ridge(alpha=0.5)),
    "lasso": (
        {"alpha": 0.05},
        Lasso(alpha=0.05, tol=1e-10, max_iter=100_000),
    ),
    "elastic_net": (
        {"alpha": 0.05, "l1_ratio": 0.4},
        ElasticNet(alpha=0.05, l1_ratio=0.4, tol=1e-10, max_iter=100_000),
    ),
}
SCALERS = {
    Standardization.NONE: None,
    Standardization.MINMAX: MinMaxScaler,
    Standardization.STANDARD: StandardScaler,
}


def combination_frame(n: int, seed: int) -> pd.DataFrame:
    """Rows of one combination; ``Region=north`` only in the last rows, so a
    training fold sees that indicator as an all-zero column."""
    rng = np.random.default_rng(seed)
    region = rng.choice(["east", "west"], n).astype(object)
    region[-6:] = "north"
    frame = pd.DataFrame(
        {
            "Channel": "walmart",
            "Region": region,
            "Price": rng.uniform(2.0, 6.0, n),
            "Distribution": rng.uniform(40.0, 100.0, n),
            "Promo": rng.integers(0, 2, n).astype(float),
        }
    )
    frame["Volume"] = (
        900.0
        - 70.0 * frame["Price"]
        + 3.0 * frame["Distribution"]
        + 40.0 * frame["Promo"]
        + 25.0 * (frame["Region"] == "west")
        + rng.normal(0.0, 30.0, n)
    )
    frame.loc[3, "Volume"] = 0.0  # MAPE skips it
    return frame


X_VARIABLES = ["Channel", "Region", "Price", "Distribution", "Promo"]


@pytest.fixture
def design():
    return build_design_matrix(combination_frame(47, seed=1), X_VARIABLES, "Volume")


def pipeline(model, standardization: Standardization) -> Pipeline:
    scaler = SCALERS[standardization]
    return Pipeline(
        [("scale", scaler() if scaler else "passthrough"), ("model", model)]
    )


def nonzero_mape(estimator, X, y) -> float:
    nonzero = y != 0
    return mean_absolute_percentage_error(y[nonzero], estimator.predict(X[nonzero]))


def r2(estimator, X, y) -> float:
    return r2_score(y, estimator.predict(X))


def raw_units(fitted: Pipeline) -> tuple[np.ndarray, float]:
    """Map a fitted pipeline's coefficients back to raw feature units."""
    model, scaler = fitted["model"], fitted["scale"]
    coefficients, intercept = model.coef_, float(model.intercept_)
    if isinstance(scaler, MinMaxScaler):  # x_scaled = x·scale_ + min_
        return coefficients * scaler.scale_, intercept + coefficients @ scaler.min_
    if isinstance(scaler, StandardScaler):  # x_scaled = (x - mean_) / scale_
        raw = coefficients / scaler.scale_
        return raw, intercept - raw @ scaler.mean_
    return coefficients, intercept


def assert_close(actual, expected, rtol):
    scale = np.abs(np.asarray(expected)).max()
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize(
    ("n_rows", "k_folds"),
    [(10, 3), (47, 5), (20, 20), (7, 2)],
    ids=["10-rows-3-folds", "47-rows-5-folds", "one-row-folds", "7-rows-2-folds"],
)
def test_fold_assignment_is_sklearn_kfold(n_rows, k_folds):
    expected = np.empty(n_rows, dtype=int)
    for fold, (_, test) in enumerate(KFold(k_folds).split(np.zeros(n_rows))):
        expected[test] = fold

    np.testing.assert_array_equal(fold_assignment(n_rows, k_folds), expected)


@pytest.mark.parametrize(
    "standardization", list(SCALERS), ids=[member.value for member in SCALERS]
)
@pytest.mark.parametrize("name", list(MODELS), ids=list(MODELS))
def test_fold_scores_match_sklearn_cross_validate(design, name, standardization):
    config, model = MODELS[name]
    reference = cross_validate(
        pipeline(model, standardization),
        design.X,
        design.y,
        cv=KFold(K_FOLDS),
        scoring={"mape": nonzero_mape, "r2": r2},
        return_train_score=True,
    )

    (evaluation,) = evaluate_models(
        design, [model_spec(name, config)], standardization, K_FOLDS, "Price"
    )

    folds = evaluation.folds
    for ours, theirs in [
        ("mape_test", "test_mape"),
        ("r2_test", "test_r2"),
        ("mape_train", "train_mape"),
        ("r2_train", "train_r2"),
    ]:
        per_fold = [getattr(fold, ours) for fold in folds]
        np.testing.assert_allclose(per_fold, reference[theirs], rtol=METRIC_RTOL)
        assert getattr(evaluation, ours) == pytest.approx(
            np.mean(reference[theirs]), rel=METRIC_RTOL
        )
    assert [fold.n_test for fold in folds] == [10, 10, 9, 9, 9]


@pytest.mark.parametrize(
    "standardization", list(SCALERS), ids=[member.value for member in SCALERS]
)
@pytest.mark.parametrize("name", list(MODELS), ids=list(MODELS))
def test_final_fit_matches_pipeline_mapped_to_raw_units(design, name, standardization):
    config, model = MODELS[name]
    fitted = pipeline(model, standardization).fit(design.X, design.y)
    raw, intercept = raw_units(fitted)
    rtol = CLOSED_FORM_RTOL if name in ("linear", "ridge") else ITERATIVE_RTOL

    (evaluation,) = evaluate_models(
        design, [model_spec(name, config)], standardization, K_FOLDS, "Price"
    )

    names = design.feature_names
    assert list(evaluation.coefficients) == names
    assert_close(list(evaluation.scaled_coefficients.values()), fitted[-1].coef_, rtol)
    assert_close(list(evaluation.coefficients.values()), raw, rtol)
    assert evaluation.intercept == pytest.approx(intercept, rel=rtol)
    ours = design.X @ np.array(list(evaluation.coefficients.values()))
    assert_close(ours + evaluation.intercept, fitted.predict(design.X), 1e-8)

    price = names.index("Price")
    elasticity = raw[price] * design.X[:, price].mean() / design.y.mean()
    assert evaluation.price_elasticity == pytest.approx(elasticity, rel=rtol)


def test_information_criteria_of_linear_fit_match_statsmodels(design):
    result = sm.OLS(design.y, sm.add_constant(design.X)).fit()
    constant = design.n_rows * (1.0 + math.log(2.0 * math.pi))

    (evaluation,) = evaluate_models(
        design, [model_spec("linear")], Standardization.MINMAX, K_FOLDS, None
    )

    assert evaluation.aic == pytest.approx(result.aic - constant, rel=1e-9)
    assert evaluation.bic == pytest.approx(result.bic - constant, rel=1e-9)
    assert evaluation.n_rows == design.n_rows


def test_without_intercept_matches_sklearn(design):
    model = Ridge(alpha=0.5, fit_intercept=False)
    fitted = pipeline(model, Standardization.MINMAX).fit(design.X, design.y)
    spec = model_spec("ridge", {"alpha": 0.5, "fit_intercept": False})

    (evaluation,) = evaluate_models(
        design, [spec], Standardization.MINMAX, K_FOLDS, None
    )

    assert_close(list(evaluation.scaled_coefficients.values()), fitted[-1].coef_, 1e-6)
    rss = ((design.y - fitted.predict(design.X)) ** 2).sum()
    n, k = design.n_rows, design.n_features  # no intercept: k = p
    assert evaluation.aic == pytest.approx(n * math.log(rss / n) + 2 * k, rel=1e-9)


def bounded_ridge_reference(X, y, alpha, raw_lower, raw_upper):
    """Minmax-scale, then bounded least squares on ``[Xc; √α I] w ≈ [yc; 0]``."""
    scaler = MinMaxScaler().fit(X)
    Xs = scaler.transform(X)
    spread = 1.0 / scaler.scale_
    centred = Xs - Xs.mean(axis=0)
    A = np.vstack([centred, math.sqrt(alpha) * np.eye(X.shape[1])])
    b = np.concatenate([y - y.mean(), np.zeros(X.shape[1])])
    bounds = (raw_lower * spread, raw_upper * spread)
    w = lsq_linear(A, b, bounds=bounds, method="bvls", tol=1e-14).x
    intercept = y.mean() - Xs.mean(axis=0) @ w
    return w, lambda Z: scaler.transform(Z) @ w + intercept


def test_constrained_ridge_matches_bounded_least_squares(design):
    bounds = {"Price": [-40.0, None], "Distribution": [None, 2.0], "Promo": [45, 60]}
    spec = model_spec("custom_constrained_ridge", {"alpha": 0.3, "bounds": bounds})
    names = design.feature_names
    lower = np.array([bounds.get(n, [None, None])[0] for n in names], dtype=float)
    upper = np.array([bounds.get(n, [None, None])[1] for n in names], dtype=float)
    lower, upper = np.nan_to_num(lower, nan=-np.inf), np.nan_to_num(upper, nan=np.inf)

    (evaluation,) = evaluate_models(
        design, [spec], Standardization.MINMAX, K_FOLDS, "Price"
    )

    for fold, (train, test) in zip(
        evaluation.folds, KFold(K_FOLDS).split(design.X), strict=True
    ):
        _, predict = bounded_ridge_reference(
            design.X[train], design.y[train], 0.3, lower, upper
        )
        expected = r2_score(design.y[test], predict(design.X[test]))
        assert fold.r2_test == pytest.approx(expected, rel=METRIC_RTOL)
    w, _ = bounded_ridge_reference(design.X, design.y, 0.3, lower, upper)
    assert_close(list(evaluation.scaled_coefficients.values()), w, CLOSED_FORM_RTOL)

    raw = np.array(list(evaluation.coefficients.values()))
    assert np.all(raw >= lower) and np.all(raw <= upper)
    assert raw[names.index("Price")] == -40.0
    assert raw[names.index("Distribution")] == 2.0


def test_price_elasticity_is_nan_without_a_price_feature(design):
    frame = combination_frame(30, seed=2)
    frame["Price"] = 4.99  # constant, so dropped
    no_price = build_design_matrix(frame, X_VARIABLES, "Volume")
    specs = [model_spec("ridge")]

    (dropped,) = evaluate_models(no_price, specs, Standardization.NONE, 3, "Price")
    (absent,) = evaluate_models(design, specs, Standardization.NONE, 3, None)

    assert "Price" in no_price.dropped_variables
    assert math.isnan(dropped.price_elasticity) and math.isnan(absent.price_elasticity)


def test_evaluate_many_equals_evaluate_models_per_design():
    designs = [
        build_design_matrix(combination_frame(n, seed), variables, "Volume")
        for n, seed, variables in [
            (40, 1, X_VARIABLES),
            (47, 2, X_VARIABLES),
            (52, 3, ["Price", "Promo"]),
            (38, 4, X_VARIABLES),
            (200, 5, ["Price", "Distribution"]),
        ]
    ]
    specs = [
        model_spec("linear"),
        model_spec("ridge", {"alpha": 0.2}),
        model_spec("lasso", {"alpha": 0.5}),
        model_spec("elastic_net", {"alpha": 0.1}),
        model_spec("custom_constrained_ridge", {"bounds": {"Price": [-50, None]}}),
    ]

    together = evaluate_many(designs, specs, Standardization.STANDARD, 4, "Price")

    for design, evaluations in zip(designs, together, strict=True):
        alone = evaluate_models(design, specs, Standardization.STANDARD, 4, "Price")
        for ours, reference in zip(evaluations, alone, strict=True):
            assert ours.model_name == reference.model_name
            assert ours.n_rows == design.n_rows
            np.testing.assert_allclose(
                [ours.mape_test, ours.r2_test, ours.aic, ours.intercept],
                [
                    reference.mape_test,
                    reference.r2_test,
                    reference.aic,
                    reference.intercept,
                ],
                rtol=1e-9,
            )
            assert_close(
                list(ours.coefficients.values()),
                list(reference.coefficients.values()),
                1e-9,
            )


def test_fewer_rows_than_folds_raises(design):
    frame = combination_frame(8, seed=3).iloc[:4]
    small = build_design_matrix(frame, ["Price"], "Volume")

    with pytest.raises(DataError, match="4 rows, fewer than k_folds=5"):
        evaluate_models(small, [model_spec("linear")], Standardization.NONE, 5, None)


@pytest.mark.parametrize("k_folds", [1, 2.5, True], ids=["one", "fraction", "bool"])
def test_bad_fold_count_raises(design, k_folds):
    with pytest.raises(ModelConfigError, match="k_folds must be a whole number >= 2"):
        evaluate_models(
            design, [model_spec("linear")], Standardization.NONE, k_folds, None
        )


def test_bound_on_unknown_feature_raises(design):
    spec = model_spec("custom_constrained_ridge", {"bounds": {"Shelf": [0, 1]}})

    with pytest.raises(ModelConfigError, match="bounds key 'Shelf' is not a feature"):
        evaluate_models(design, [spec], Standardization.NONE, K_FOLDS, None)
