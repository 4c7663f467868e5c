"""Fitted transform parameters and statistics in the shape MongoDB stores them.

``transform_combination`` keys its record by variable and region names, which
come from users and the data; stored, each becomes a list of entries with the
name as a value (``{"variable": ..., "regions": [{"region": ..., ...}]}``),
and is turned back into the modeling layer's mapping to replay a chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from buildatom.services.numbers import finite

STATISTICS = ("mean", "std", "min", "max")


def stored_fitted_parameters(fitted: Mapping[str, Any]) -> dict[str, Any]:
    """``TransformedCombination.fitted_parameters`` with names as values."""
    return {
        "date_column": fitted["date_column"],
        "region_column": fitted["region_column"],
        "scaling": fitted["scaling"],
        "media": [
            {
                "variable": variable,
                "column": entry["column"],
                "transformation": entry["transformation"],
                "params": [float(value) for value in entry["params"]],
                "regions": _region_list(entry["regions"]),
            }
            for variable, entry in fitted["media"].items()
        ],
        "other_variables": [
            {"variable": variable, "regions": _region_list(regions)}
            for variable, regions in fitted["other_variables"].items()
        ],
        "non_scaled_variables": list(fitted["non_scaled_variables"]),
    }


def fitted_parameters(stored: Mapping[str, Any]) -> dict[str, Any]:
    """The modeling layer's mapping back from :func:`stored_fitted_parameters`."""
    return {
        "date_column": stored["date_column"],
        "region_column": stored["region_column"],
        "scaling": stored["scaling"],
        "media": {
            entry["variable"]: {
                "column": entry["column"],
                "transformation": entry["transformation"],
                "params": list(entry["params"]),
                "regions": _region_map(entry["regions"]),
            }
            for entry in stored["media"]
        },
        "other_variables": {
            entry["variable"]: _region_map(entry["regions"])
            for entry in stored["other_variables"]
        },
        "non_scaled_variables": list(stored["non_scaled_variables"]),
    }


def stored_statistics(
    statistics: Mapping[str, Mapping[str, Mapping[str, float]]],
) -> list[dict[str, Any]]:
    """Column -> region -> statistics as ``[{column, region, mean, ...}]``."""
    return [
        {
            "column": column,
            "region": region,
            **{name: finite(values[name]) for name in STATISTICS},
        }
        for column, regions in statistics.items()
        for region, values in regions.items()
    ]


def statistics_map(stored: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The API's ``{column: {region: {mean, std, min, max}}}`` from storage."""
    result: dict[str, dict[str, Any]] = {}
    for entry in stored:
        region_stats = {name: entry[name] for name in STATISTICS}
        result.setdefault(entry["column"], {})[entry["region"]] = region_stats
    return result


def _region_list(regions: Mapping[str, Mapping[str, float]]) -> list[dict[str, Any]]:
    return [
        {"region": region, **{key: float(value) for key, value in values.items()}}
        for region, values in regions.items()
    ]


def _region_map(regions: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    return {
        entry["region"]: {k: v for k, v in entry.items() if k != "region"}
        for entry in regions
    }
