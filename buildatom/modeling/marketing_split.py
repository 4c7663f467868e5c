"""Time-ordered train/test split of a combination's rows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from buildatom.modeling.marketing_models import MarketingModelError


def time_ordered_split(dates: ArrayLike, train_share: float) -> NDArray[np.bool_]:
    """Training mask: rows on the earliest ``train_share`` of the distinct dates.

    With ``D`` distinct dates, the first ``floor(train_share * D)`` of them in
    ascending order are training dates (the product is rounded to 9 decimals
    first, so 0.7 * 10 gives 7); all rows on a training date are training
    rows, the rest test rows.

    Raises
    ------
    MarketingModelError
        ``train_share`` not in (0, 1), a missing date, or a share that leaves
        no date on one side.
    """
    if not (isinstance(train_share, int | float) and 0.0 < train_share < 1.0):
        raise MarketingModelError(
            f"train_test_split must be in (0, 1), got {train_share!r}"
        )
    codes, distinct = pd.factorize(pd.Series(np.asarray(dates)), sort=True)
    if (codes < 0).any():
        raise MarketingModelError(
            f"dates have {int((codes < 0).sum())} missing value(s)"
        )

    n_dates = len(distinct)
    n_train = math.floor(round(train_share * n_dates, 9))
    if not 1 <= n_train <= n_dates - 1:
        raise MarketingModelError(
            f"train_test_split {train_share!r} over {n_dates} distinct date(s) "
            f"puts {n_train} date(s) in training; at least 1 date is needed on "
            f"each side, so it must be >= {1 / max(n_dates, 1):.4g} and the "
            f"data must hold at least 2 distinct dates"
        )
    mask: NDArray[np.bool_] = codes < n_train
    return mask
