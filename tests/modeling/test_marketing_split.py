"""Time-ordered train/test split over distinct dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from buildatom.modeling.marketing_models import MarketingModelError
from buildatom.modeling.marketing_split import time_ordered_split


@pytest.fixture
def dates() -> pd.Series:
    weeks = pd.date_range("2023-01-01", periods=10, freq="7D")
    stacked = pd.Series(np.tile(weeks, 3))
    return stacked.sample(frac=1.0, random_state=4).reset_index(drop=True)


def test_split_takes_earliest_share_of_distinct_dates(dates):
    train = time_ordered_split(dates, 0.8)

    cutoff = np.sort(dates.unique())[8]
    assert np.array_equal(train, (dates < cutoff).to_numpy())
    assert train.sum() == 24


def test_split_keeps_each_date_on_one_side(dates):
    train = time_ordered_split(dates, 0.55)

    sides = pd.Series(train).groupby(dates.to_numpy()).nunique()
    assert (sides == 1).all()
    assert dates[train].max() < dates[~train].min()


@pytest.mark.parametrize(
    ("share", "n_dates", "expected"),
    [(0.7, 10, 7), (0.75, 10, 7), (0.29, 100, 29), (0.999, 10, 9), (0.1, 10, 1)],
    ids=["0.7-of-10", "0.75-floors", "0.29-of-100", "near-one", "one-date"],
)
def test_split_floors_the_number_of_training_dates(share, n_dates, expected):
    dates = np.arange(n_dates)

    assert time_ordered_split(dates, share).sum() == expected


def test_split_accepts_text_dates_in_iso_order():
    dates = ["2024-02-01", "2024-01-01", "2024-03-01", "2024-01-01"]

    np.testing.assert_array_equal(
        time_ordered_split(dates, 0.5), [False, True, False, True]
    )


@pytest.mark.parametrize(
    ("dates", "share", "message"),
    [
        (np.arange(10), 0.0, r"train_test_split must be in \(0, 1\), got 0.0"),
        (np.arange(10), 1.0, r"train_test_split must be in \(0, 1\), got 1.0"),
        (np.arange(10), "0.8", r"train_test_split must be in \(0, 1\), got '0.8'"),
        (np.arange(10), 0.05, r"puts 0 date\(s\) in training; .* must be >= 0.1"),
        (np.zeros(5), 0.8, r"over 1 distinct date\(s\)"),
        (np.array([1.0, np.nan, 2.0]), 0.5, r"dates have 1 missing value\(s\)"),
    ],
    ids=["zero", "one", "text", "too-small", "single-date", "missing-date"],
)
def test_split_rejects(dates, share, message):
    with pytest.raises(MarketingModelError, match=message):
        time_ordered_split(dates, share)
