"""Numbers and names as MongoDB and JSON can hold them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def finite(value: Any) -> float | None:
    """``float(value)``, or ``None`` when it is NaN or infinite."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def pairs(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A name-to-number map as ``[{"name", "value"}]`` (names stay values)."""
    return [{"name": name, "value": finite(value)} for name, value in values.items()]
