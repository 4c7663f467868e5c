"""Scopes as the API presents them, read from MongoDB and the data bucket."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from buildatom.errors import NotFound
from buildatom.repositories.scopes import ScopeRepository
from buildatom.services.page_cache import PageCache
from buildatom.storage.object_store import ObjectStore

_COMBINATION_FIELDS = ("combination_id", "set_name", "file_key", "record_count")


@dataclass(frozen=True)
class Combination:
    """One product/channel/brand combination and the CSV file holding its rows.

    ``identifiers`` are the combination's other string fields (``channel``,
    ``brand``, ``ppg``, ``market``, ...), carried into every result row.
    """

    combination_id: str
    set_name: str | None
    file_key: str | None
    record_count: int | None
    identifiers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Combination:
        identifiers = {
            name: value
            for name, value in document.items()
            if name not in _COMBINATION_FIELDS and isinstance(value, str)
        }
        count = document.get("record_count")
        return cls(
            combination_id=str(document.get("combination_id", "")),
            set_name=_optional_str(document.get("set_name")),
            file_key=_optional_str(document.get("file_key")),
            record_count=count if isinstance(count, int) else None,
            identifiers=identifiers,
        )


@dataclass(frozen=True)
class Scope:
    """A scope document, with ``scope_id`` falling back to ``_id``."""

    scope_id: str
    scope_name: str | None
    description: str | None
    created_at: datetime | None
    combinations: list[Combination]

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Scope:
        raw = document.get("combinations")
        entries = raw if isinstance(raw, list) else []
        created = document.get("created_at")
        return cls(
            scope_id=str(document.get("scope_id") or document["_id"]),
            scope_name=_optional_str(document.get("scope_name")),
            description=_optional_str(document.get("description")),
            created_at=created if isinstance(created, datetime) else None,
            combinations=[
                Combination.from_document(entry)
                for entry in entries
                if isinstance(entry, Mapping)
            ],
        )

    def set_names(self) -> list[str]:
        """Set names in order of first appearance."""
        names = (c.set_name for c in self.combinations if c.set_name)
        return list(dict.fromkeys(names))

    def combinations_in(self, set_name: str) -> list[Combination]:
        """The combinations of one set, in document order."""
        return [c for c in self.combinations if c.set_name == set_name]


@dataclass(frozen=True)
class ScopeSet:
    """One set of a scope with the columns of its data files."""

    scope: Scope
    set_name: str
    columns: list[str]
    combinations: list[Combination]


class ScopeService:
    """Look-ups behind the scope endpoints (3 to 6) and the training inputs."""

    def __init__(
        self,
        repository: ScopeRepository,
        objects: ObjectStore,
        data_bucket: str,
        cache: PageCache | None = None,
    ) -> None:
        """``cache``, when given, keeps scopes and file headers for a few
        seconds; training reads without one, so it always sees the latest."""
        self._repository = repository
        self._objects = objects
        self._data_bucket = data_bucket
        self._cache = cache

    def get_scope(self, reference: str) -> Scope:
        """Return the scope or raise :class:`NotFound` naming ``reference``."""
        scope: Scope | None = self._cached(("scope", reference), self._find, reference)
        if scope is None:
            raise NotFound(
                f"scope {reference!r} not found (looked up by _id and scope_id)"
            )
        return scope

    def list_scopes(self, limit: int, skip: int) -> list[Scope]:
        """Return one page of scopes."""
        scopes: list[Scope] = self._cached(
            ("list", limit, skip), self._list, limit, skip
        )
        return scopes

    def count_scopes(self) -> int:
        """Return how many scopes exist."""
        count: int = self._cached(("count",), self._repository.count)
        return count

    def list_sets(self, reference: str) -> list[str]:
        """Return the set names of a scope."""
        return self.get_scope(reference).set_names()

    def get_set(self, reference: str, set_name: str) -> ScopeSet:
        """Return a set with the header of its first combination's file."""
        scope = self.get_scope(reference)
        combinations = scope.combinations_in(set_name)
        if not combinations:
            raise NotFound(
                f"set {set_name!r} not found in scope {scope.scope_id!r}; "
                f"its sets are {scope.set_names()}"
            )
        first_file = next((c.file_key for c in combinations if c.file_key), None)
        columns: list[str] = (
            self._cached(("header", first_file), self._header, first_file)
            if first_file
            else []
        )
        return ScopeSet(scope, set_name, columns, combinations)

    def _find(self, reference: str) -> Scope | None:
        document = self._repository.find(reference)
        return Scope.from_document(document) if document is not None else None

    def _list(self, limit: int, skip: int) -> list[Scope]:
        documents = self._repository.list(limit=limit, skip=skip)
        return [Scope.from_document(document) for document in documents]

    def _header(self, file_key: str) -> list[str]:
        return self._objects.read_csv_header(self._data_bucket, file_key)

    def _cached(self, key: Hashable, read: Callable[..., Any], *args: Any) -> Any:
        """``read(*args)``, kept in the cache unless it found nothing."""
        if self._cache is None:
            return read(*args)
        value = self._cache.get_or_compute(key, lambda: read(*args))
        if value is None:
            self._cache.forget(key)
        return value


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
