"""Design matrix rules: constant drops, one-hot encoding, missing rows, errors."""

import numpy as np
import pandas as pd
import pytest

from buildatom.modeling.design import (
    DataError,
    build_design_matrices,
    build_design_matrix,
)


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 24
    return pd.DataFrame(
        {
            "Channel": "walmart",
            "Region": rng.choice(["west", "east", "north"], n),
            "Price": rng.uniform(2.0, 6.0, n),
            "Distribution": rng.uniform(50.0, 100.0, n),
            "Pack": 12,
            "Promo": rng.integers(0, 2, n).astype(bool),
            "Volume": rng.uniform(100.0, 900.0, n),
        }
    )


def test_numeric_and_one_hot_features_match_pandas_dummies(frame):
    x_variables = ["Channel", "Region", "Price", "Pack", "Promo"]

    design = build_design_matrix(frame, x_variables, "Volume")

    reference = pd.get_dummies(
        frame[["Price", "Promo", "Region"]], columns=["Region"], drop_first=True
    )
    reference.columns = [name.replace("Region_", "Region=") for name in reference]
    reference = reference[["Region=north", "Region=west", "Price", "Promo"]]
    assert design.feature_names == list(reference.columns)
    np.testing.assert_array_equal(design.X, reference.to_numpy(dtype=float))
    np.testing.assert_array_equal(design.y, frame["Volume"].to_numpy())


def test_constant_columns_are_dropped_whatever_their_type(frame):
    design = build_design_matrix(frame, ["Channel", "Price", "Pack"], "Volume")

    assert design.dropped_variables == ["Channel", "Pack"]
    assert design.feature_names == ["Price"]
    assert design.source_columns == ["Price"]
    assert design.x_variables == ["Channel", "Price", "Pack"]


def test_source_columns_name_the_x_variable_of_each_feature(frame):
    design = build_design_matrix(frame, ["Region", "Price"], "Volume")

    assert design.source_columns == ["Region", "Region", "Price"]


def test_rows_with_missing_or_infinite_values_are_dropped(frame):
    frame.loc[[1, 4], "Price"] = np.nan
    frame.loc[7, "Region"] = None
    frame.loc[9, "Volume"] = np.inf

    design = build_design_matrix(frame, ["Region", "Price"], "Volume")

    assert design.n_rows == len(frame) - 4
    assert design.dropped_rows == 4
    assert np.isfinite(design.X).all() and np.isfinite(design.y).all()


def test_nullable_integer_column_is_numeric(frame):
    frame["Stores"] = pd.array([3, None] + [5, 6] * 11, dtype="Int64")

    design = build_design_matrix(frame, ["Stores"], "Volume")

    assert design.feature_names == ["Stores"]
    assert design.n_rows == len(frame) - 1


def test_constant_after_dropping_missing_rows_is_dropped(frame):
    frame["Stores"] = [np.nan] + [7.0] * (len(frame) - 1)

    design = build_design_matrix(frame, ["Stores", "Price"], "Volume")

    assert design.dropped_variables == ["Stores"]


@pytest.mark.parametrize(
    ("change", "x_variables", "y_variable", "message"),
    [
        (None, ["Price", "Shelf"], "Volume", r"\['Shelf'\] not in the data"),
        (None, ["Price"], "Region", "'Region' must be numeric"),
        ("zero_y", ["Price"], "Volume", "all-zero target"),
        ("few_rows", ["Price"], "Volume", "1 complete rows remain"),
        (None, ["Channel", "Pack"], "Volume", "no features left"),
        (None, ["Price", "Volume"], "Volume", "also one of the x_variables"),
        (None, ["Price", "Price"], "Volume", r"\['Price'\] more than once"),
    ],
    ids=[
        "missing-column",
        "text-target",
        "all-zero-target",
        "too-few-rows",
        "no-features",
        "target-among-x",
        "repeated-x",
    ],
)
def test_bad_data_raises_data_error(frame, change, x_variables, y_variable, message):
    if change == "zero_y":
        frame["Volume"] = 0.0
    if change == "few_rows":
        frame.loc[1:, "Price"] = np.nan

    with pytest.raises(DataError, match=message):
        build_design_matrix(frame, x_variables, y_variable)


def test_min_rows_is_enforced(frame):
    with pytest.raises(DataError, match="at least 30 are needed"):
        build_design_matrix(frame, ["Price"], "Volume", min_rows=30)


def test_many_groups_equal_one_frame_per_group(frame):
    frame.loc[3, "Price"] = np.nan
    groups = [np.arange(0, 10), np.arange(10, 24), np.array([5])]
    x_variables = ["Channel", "Region", "Price", "Promo"]

    designs = build_design_matrices(frame, groups, x_variables, "Volume")

    for rows, design in zip(groups[:2], designs[:2], strict=True):
        alone = build_design_matrix(frame.iloc[rows], x_variables, "Volume")
        assert design.feature_names == alone.feature_names
        assert design.dropped_variables == alone.dropped_variables
        np.testing.assert_array_equal(design.X, alone.X)
        np.testing.assert_array_equal(design.y, alone.y)
    assert isinstance(designs[2], DataError)


def test_one_hot_uses_levels_present_in_the_group():
    frame = pd.DataFrame(
        {
            "Region": ["a", "b", "c", "c", "b", "c"],
            "Volume": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )

    (design,) = build_design_matrices(frame, [[1, 2, 3, 4]], ["Region"], "Volume")

    assert design.feature_names == ["Region=c"]
    np.testing.assert_array_equal(design.X[:, 0], [0.0, 1.0, 1.0, 0.0])
