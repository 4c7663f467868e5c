"""Prepare-data (endpoint 13): filter a set's files by fiscal year, store Parquet.

Every combination file of the set is read concurrently, its date column
parsed, its rows kept when their fiscal year is requested, and (on request)
the numeric columns that are zero on every kept row of the set dropped. Each
combination's rows become one Parquet object under
``marketing-prepared/{run_id}/``; the run is readable once all are written.
"""

from __future__ import annotations

import io
import logging
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from buildatom.errors import InvalidInput, NotFound
from buildatom.services.marketing_runs import (
    PREPARE,
    READ_WORKERS,
    MarketingRuns,
    object_name,
)
from buildatom.services.scopes import Combination, ScopeService

logger = logging.getLogger(__name__)

PREPARED_PREFIX = "marketing-prepared/"
DATE_CANDIDATES = ("Date", "date", "Week", "week")
REGION_CANDIDATES = ("Region", "region")
FISCAL_YEAR_CANDIDATES = ("Fiscal_Year", "fiscal_year")


@dataclass(frozen=True)
class PrepareRequest:
    """A validated ``POST /marketing/prepare-data`` body."""

    scope_id: str
    set_name: str
    fiscal_years: list[int] | None = None
    remove_zero_columns: bool = False
    date_column: str | None = None
    region_column: str | None = None
    fiscal_year_column: str | None = None


@dataclass(frozen=True)
class ColumnRoles:
    """Which column holds the date, the region and the fiscal year, if any."""

    date: str | None
    region: str | None
    fiscal_year: str | None


@dataclass
class _Prepared:
    """One combination's kept rows, or why it could not be used."""

    position: int
    combination: Combination
    frame: pd.DataFrame | None = None
    years: list[int] | None = None
    available_years: list[int] | None = None
    error: str | None = None


class MarketingPrepareService:
    """Runs endpoint 13 end to end."""

    def __init__(
        self, scopes: ScopeService, runs: MarketingRuns, data_bucket: str
    ) -> None:
        self._scopes = scopes
        self._runs = runs
        self._data_bucket = data_bucket

    def prepare(self, request: PrepareRequest) -> dict[str, Any]:
        """Filter and store every combination of the set; record the run."""
        started = time.perf_counter()
        scope_set = self._scopes.get_set(request.scope_id, request.set_name)
        roles = resolve_roles(scope_set.columns, request)

        with ThreadPoolExecutor(READ_WORKERS, thread_name_prefix="prepare") as pool:
            prepared = list(
                pool.map(
                    lambda item: self._load(item[0], item[1], roles, request),
                    enumerate(scope_set.combinations),
                )
            )
        usable = _usable(prepared, request)
        removed = _zero_columns(usable, roles) if request.remove_zero_columns else []
        for item in usable:
            assert item.frame is not None
            item.frame = item.frame.drop(columns=removed)

        run_id = str(uuid.uuid4())
        years = sorted({y for item in usable for y in item.years or []})
        summary = _summary(run_id, usable, prepared, years, removed)
        self._store(run_id, scope_set.scope.scope_id, request, roles, usable, summary)
        logger.info(
            "prepare run %s completed: %d combinations, %d rows in %.2f s",
            run_id,
            len(usable),
            summary["rows"],
            time.perf_counter() - started,
        )
        return {**summary, "status": "success"}

    def _load(
        self,
        position: int,
        combination: Combination,
        roles: ColumnRoles,
        request: PrepareRequest,
    ) -> _Prepared:
        item = _Prepared(position, combination)
        if not combination.file_key:
            item.error = "combination has no file_key"
            return item
        try:
            data = self._runs.objects.read_bytes(
                self._data_bucket, combination.file_key
            )
            frame = pd.read_csv(io.BytesIO(data))
        except NotFound:
            item.error = f"file {combination.file_key!r} not found in the data bucket"
            return item
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
            item.error = f"file {combination.file_key!r} is not readable CSV: {error}"
            return item
        try:
            item.frame, item.years, item.available_years = filter_fiscal_years(
                frame, roles, request.fiscal_years
            )
        except ValueError as error:
            item.error = f"file {combination.file_key!r}: {error}"
            item.frame = None
            return item
        if item.frame.empty:
            item.error = f"no rows in fiscal years {request.fiscal_years}"
            item.frame = None
        return item

    def _store(
        self,
        run_id: str,
        scope_id: str,
        request: PrepareRequest,
        roles: ColumnRoles,
        usable: Sequence[_Prepared],
        summary: dict[str, Any],
    ) -> None:
        document = {
            "scope_id": scope_id,
            "set_name": request.set_name,
            "fiscal_years": request.fiscal_years,
            "remove_zero_columns": request.remove_zero_columns,
            "date_column": roles.date,
            "region_column": roles.region,
            "fiscal_year_column": roles.fiscal_year,
        }
        frames: dict[str, pd.DataFrame] = {}
        records = []
        for item in usable:
            assert item.frame is not None
            name = object_name(item.position, item.combination.combination_id)
            key = f"{PREPARED_PREFIX}{run_id}/{name}"
            frames[key] = item.frame
            records.append(_record(item, key))
        self._runs.record_with_frames(
            run_id, PREPARE, document, frames, {**summary, "combinations": records}
        )


def resolve_roles(columns: Sequence[str], request: PrepareRequest) -> ColumnRoles:
    """The date, region and fiscal-year columns, from overrides or known names."""
    available = set(columns)
    errors: dict[str, list[str]] = {}
    chosen: dict[str, str | None] = {}
    for field, override, candidates in (
        ("date_column", request.date_column, DATE_CANDIDATES),
        ("region_column", request.region_column, REGION_CANDIDATES),
        ("fiscal_year_column", request.fiscal_year_column, FISCAL_YEAR_CANDIDATES),
    ):
        if override is not None and override not in available:
            errors[field] = [f"{override!r} is not a column of the set's data"]
        chosen[field] = override or next(
            (name for name in candidates if name in available), None
        )
    if errors:
        raise InvalidInput(
            f"{sorted(errors)} name columns the set's data lacks; its columns are "
            f"{list(columns)}",
            errors={"json": errors},
        )
    roles = ColumnRoles(
        chosen["date_column"], chosen["region_column"], chosen["fiscal_year_column"]
    )
    if request.fiscal_years is not None and not (roles.fiscal_year or roles.date):
        raise InvalidInput(
            "fiscal_years needs a fiscal-year column (Fiscal_Year, fiscal_year or "
            "fiscal_year_column) or a date column (Date, date, Week, week or "
            f"date_column); the set's columns are {list(columns)}",
            errors={"json": {"fiscal_years": ["no fiscal-year or date column"]}},
        )
    return roles


def filter_fiscal_years(
    frame: pd.DataFrame, roles: ColumnRoles, fiscal_years: Sequence[int] | None
) -> tuple[pd.DataFrame, list[int] | None, list[int] | None]:
    """Parse the date column and keep the rows of the requested fiscal years.

    Returns the kept rows, their distinct fiscal years and those of all rows
    (both None when the data has neither a fiscal-year nor a date column).
    Raises ``ValueError`` when a role column is missing or unreadable.
    """
    for column in (roles.date, roles.region, roles.fiscal_year):
        if column is not None and column not in frame.columns:
            raise ValueError(f"lacks column {column!r}")
    frame = frame.copy()
    if roles.date is not None and not pd.api.types.is_numeric_dtype(frame[roles.date]):
        try:
            frame[roles.date] = pd.to_datetime(frame[roles.date])
        except (ValueError, TypeError, OverflowError) as error:
            raise ValueError(
                f"date column {roles.date!r} holds non-dates: {error}"
            ) from error

    years = _fiscal_years(frame, roles)
    if years is None:
        return frame, None, None
    available = sorted(int(year) for year in years.unique())
    if fiscal_years is None:
        return frame, available, available
    keep = years.isin(list(fiscal_years)).to_numpy()
    kept = sorted(int(year) for year in years[keep].unique())
    return frame.loc[keep].reset_index(drop=True), kept, available


def _fiscal_years(frame: pd.DataFrame, roles: ColumnRoles) -> pd.Series | None:
    if roles.fiscal_year is not None:
        values = pd.to_numeric(frame[roles.fiscal_year], errors="coerce")
        if values.isna().any() or (values % 1 != 0).any():
            raise ValueError(
                f"fiscal-year column {roles.fiscal_year!r} holds values that are "
                "not whole years"
            )
        return values.astype("int64")
    if roles.date is not None:
        dates = frame[roles.date]
        if not pd.api.types.is_datetime64_any_dtype(dates):
            raise ValueError(
                f"date column {roles.date!r} holds numbers, not dates, so it "
                "gives no fiscal year"
            )
        if dates.isna().any():
            raise ValueError(f"date column {roles.date!r} has missing dates")
        return dates.dt.year.astype("int64")
    return None


def _usable(prepared: Sequence[_Prepared], request: PrepareRequest) -> list[_Prepared]:
    """The combinations with rows left, or 422 when there are none."""
    usable = [item for item in prepared if item.frame is not None]
    if usable:
        return usable
    if request.fiscal_years is not None and all(
        (p.error or "").startswith("no rows") for p in prepared
    ):
        held = sorted({y for p in prepared for y in p.available_years or []})
        raise InvalidInput(
            f"no rows left: the set's data has no rows in fiscal years "
            f"{request.fiscal_years}; it holds fiscal years {held}",
            errors={"json": {"fiscal_years": [f"no rows in {request.fiscal_years}"]}},
        )
    reasons = {p.combination.combination_id: p.error for p in prepared}
    raise InvalidInput(
        f"no combination of set {request.set_name!r} could be prepared: {reasons}",
        errors={"json": {"set_name": [f"no usable combination: {reasons}"]}},
    )


def _zero_columns(usable: Sequence[_Prepared], roles: ColumnRoles) -> list[str]:
    """Numeric columns that are 0 on every kept row of every combination."""
    protected = {roles.date, roles.region, roles.fiscal_year}
    verdict: dict[str, bool] = {}
    for item in usable:
        assert item.frame is not None
        for name in item.frame.columns:
            column = item.frame[name]
            numeric = pd.api.types.is_numeric_dtype(
                column
            ) and not pd.api.types.is_bool_dtype(column)
            zero = numeric and name not in protected and bool((column == 0).all())
            verdict[name] = verdict.get(name, True) and zero
    return [name for name, all_zero in verdict.items() if all_zero]


def _record(item: _Prepared, key: str) -> dict[str, Any]:
    assert item.frame is not None
    return {
        "position": item.position,
        "combination_id": item.combination.combination_id,
        "identifiers": item.combination.identifiers,
        "data_key": key,
        "rows": len(item.frame),
        "columns": [str(name) for name in item.frame.columns],
    }


def _summary(
    run_id: str,
    usable: Sequence[_Prepared],
    prepared: Sequence[_Prepared],
    years: list[int],
    removed: list[str],
) -> dict[str, Any]:
    frames = [item.frame for item in usable if item.frame is not None]
    return {
        "run_id": run_id,
        "rows": sum(len(frame) for frame in frames),
        "columns": sum(len(frame.columns) for frame in frames),
        "prepared_data_key": f"{PREPARED_PREFIX}{run_id}/",
        "fiscal_years_included": years or None,
        "columns_removed": removed or None,
        "combinations_prepared": len(frames),
        "failed_combinations": [
            {"combination_id": p.combination.combination_id, "error": p.error}
            for p in prepared
            if p.frame is None
        ],
    }
