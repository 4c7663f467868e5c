"""Marshmallow fields shared by several endpoint groups."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from marshmallow import fields


class UtcDateTime(fields.DateTime):
    """ISO 8601 in UTC with milliseconds and ``Z``: ``2025-08-01T10:00:00.000Z``."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            return super()._serialize(value, attr, obj, **kwargs)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        text = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        return text[:-3] + "Z"


class FiniteFloat(fields.Float):
    """A float that is ``null`` whenever it is not finite (NaN, ±Infinity)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        number = float(value)
        return number if math.isfinite(number) else None
