"""The demo scopes: scope documents and CSV files, generated without I/O.

Everything is drawn from fixed seeds and written with four decimals, so two
calls, on any machine with the same numpy, give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrations_seed.demo_marketing import (
    MarketingParameters,
    MediaParameters,
    marketing_document,
    marketing_files,
    marketing_parameters,
)
from migrations_seed.demo_sales import (
    SalesParameters,
    sales_document,
    sales_files,
    sales_parameters,
    true_price_elasticity,
)

__all__ = [
    "DemoScope",
    "MarketingParameters",
    "MediaParameters",
    "SalesParameters",
    "demo_scopes",
    "marketing_parameters",
    "sales_parameters",
    "true_price_elasticity",
]


@dataclass(frozen=True)
class DemoScope:
    """One scope as an upstream system would leave it.

    Attributes
    ----------
    document : dict
        The ``scopes`` document, ``created_at`` a timezone-aware UTC datetime.
    files : dict of str to bytes
        CSV bytes keyed by their object key in the data bucket; the keys are
        exactly the ``file_key`` values of the document's combinations.
    """

    document: dict[str, Any]
    files: dict[str, bytes]


def demo_scopes() -> list[DemoScope]:
    """Return the sales scope, then the marketing scope, built afresh."""
    return [
        DemoScope(document=sales_document(), files=sales_files()),
        DemoScope(document=marketing_document(), files=marketing_files()),
    ]
