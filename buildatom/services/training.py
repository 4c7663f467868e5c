"""Training runs (endpoint 7): read a set's files, fit every model, store the run.

Files are read concurrently with a bounded pool and parsed a chunk at a time
(:mod:`buildatom.services.combination_frames`); the models of many
combinations are fitted together by :func:`buildatom.modeling.cross_validation.
evaluate_many`; results are inserted in bulk while the run is ``running`` and
become readable when it flips to ``completed``. A combination whose data is
unusable fails alone; a store outage fails the whole run and removes it.
"""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from collections.abc import Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from buildatom.errors import InvalidInput, NotFound, RunLost
from buildatom.modeling.cross_validation import evaluate_many
from buildatom.modeling.design import (
    DataError,
    DesignMatrix,
    build_design_matrices,
)
from buildatom.modeling.regression import ModelSpec
from buildatom.modeling.scaling import Standardization
from buildatom.repositories.training_runs import TrainingRunRepository
from buildatom.services.combination_frames import (
    ParsedFiles,
    StackedFrames,
    parse_csv_files,
    stacked_statistics,
)
from buildatom.services.run_leases import complete_run, fail_run, start_run
from buildatom.services.scopes import Combination, ScopeService
from buildatom.services.training_documents import (
    Outcome,
    best_by_combination,
    failed_document,
    result_document,
    run_summary,
)
from buildatom.storage.object_store import ObjectStore

logger = logging.getLogger(__name__)

READ_WORKERS = 16
FIT_CHUNK = 250
RUN_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class TrainingRequest:
    """A validated ``POST /train-models`` body."""

    scope_id: str
    set_name: str
    x_variables: list[str]
    y_variable: str
    price_column: str
    standardization: Standardization
    k_folds: int
    specs: list[ModelSpec]
    model_configs: list[dict[str, Any]]


@dataclass
class _Loaded:
    """One combination's file, or why it could not be used."""

    position: int
    combination: Combination
    data: bytes | None = None
    error: str | None = None


@dataclass(frozen=True)
class _Chunk:
    """A chunk's combinations; ``parsed`` indexes those with ``data``."""

    loaded: list[_Loaded]
    with_data: list[_Loaded]
    parsed: ParsedFiles


def _parse_chunk(reads: Sequence[Future[_Loaded]], names: list[str]) -> _Chunk:
    loaded = [read.result() for read in reads]
    with_data = [item for item in loaded if item.data is not None]
    parsed = parse_csv_files([item.data or b"" for item in with_data], names)
    for index, error in parsed.errors.items():
        item = with_data[index]
        item.error = f"file {item.combination.file_key!r} {error}"
    return _Chunk(loaded, with_data, parsed)


class TrainingService:
    """Runs a training request end to end and answers endpoint 7's body."""

    def __init__(
        self,
        scopes: ScopeService,
        runs: TrainingRunRepository,
        objects: ObjectStore,
        data_bucket: str,
        chunk_size: int = FIT_CHUNK,
        lease: timedelta = RUN_LEASE,
    ) -> None:
        self._lease = lease
        self._chunk_size = chunk_size
        self._scopes = scopes
        self._runs = runs
        self._objects = objects
        self._data_bucket = data_bucket

    def train(self, request: TrainingRequest) -> dict[str, Any]:
        """Train every model on every combination of the set; store the run."""
        started = time.perf_counter()
        scope_set = self._scopes.get_set(request.scope_id, request.set_name)
        _check_columns(scope_set.columns, request)

        run_id = str(uuid.uuid4())
        start_run(
            self._runs,
            _run_document(run_id, scope_set.scope.scope_id, request),
            self._lease,
        )
        logger.info(
            "run %s started: %d combinations, models %s",
            run_id,
            len(scope_set.combinations),
            [s.name.value for s in request.specs],
        )
        try:
            outcome = self._train_all(run_id, scope_set.combinations, request)
            summary = run_summary(run_id, outcome, time.perf_counter() - started)
            complete_run(self._runs, run_id, {"summary": summary, **outcome.totals()})
        except BaseException as error:
            reason = fail_run(self._runs, run_id, error)
            logger.warning("run %s failed: %s", run_id, reason)
            raise
        logger.info(
            "run %s completed: %d models, %d failed combinations in %.2f s",
            run_id,
            summary["total_models_saved"],
            len(summary["failed_combinations"]),
            summary["duration_seconds"],
        )
        return {
            "scope_id": scope_set.scope.scope_id,
            "set_name": request.set_name,
            "x_variables": request.x_variables,
            "y_variable": request.y_variable,
            "total_combinations": len(scope_set.combinations),
            "combination_results": outcome.responses,
            "summary": {
                **summary,
                "best_model_by_mape": best_by_combination(summary),
            },
        }

    def _train_all(
        self, run_id: str, combinations: Sequence[Combination], request: TrainingRequest
    ) -> Outcome:
        # Each chunk's insert runs while the next chunk is read and fitted;
        # leaving the executor waits for it, so a failed run is cleaned up
        # only once nothing more can land. The lease is renewed per chunk.
        outcome = Outcome()
        loading = closing(self._load_in_chunks(combinations, request))
        inserter = ThreadPoolExecutor(1, thread_name_prefix="insert")
        with inserter, loading as chunks:
            inserting: Future[None] | None = None
            for chunk in chunks:
                if not self._runs.renew(run_id, self._lease):
                    raise RunLost(f"run {run_id} expired while it was training")
                documents = _fit_chunk(run_id, chunk, request)
                if inserting is not None:
                    inserting.result()
                inserting = inserter.submit(self._runs.add_results, documents)
                outcome.add(documents)
            if inserting is not None:
                inserting.result()
        return outcome

    def _load_in_chunks(
        self, combinations: Sequence[Combination], request: TrainingRequest
    ) -> Generator[_Chunk, None, None]:
        """Chunks of read and parsed files; the next chunk is read and parsed
        while one is used."""
        names = [*request.x_variables, request.y_variable]
        numbered = list(enumerate(combinations))
        size = self._chunk_size
        chunks = [
            numbered[start : start + size] for start in range(0, len(numbered), size)
        ]
        if not chunks:
            return
        readers = ThreadPoolExecutor(READ_WORKERS, thread_name_prefix="read")
        parser = ThreadPoolExecutor(1, thread_name_prefix="parse")

        def submit(chunk: list[tuple[int, Combination]]) -> Future[_Chunk]:
            reads = [readers.submit(self._load, *item) for item in chunk]
            return parser.submit(_parse_chunk, reads, names)

        try:
            pending = submit(chunks[0])
            for chunk in chunks[1:]:
                current, pending = pending, submit(chunk)
                yield current.result()
            yield pending.result()
        finally:
            readers.shutdown(wait=True, cancel_futures=True)
            parser.shutdown(wait=True, cancel_futures=True)

    def _load(self, position: int, combination: Combination) -> _Loaded:
        loaded = _Loaded(position, combination)
        if not combination.file_key:
            loaded.error = "combination has no file_key"
            return loaded
        try:
            loaded.data = self._objects.read_bytes(
                self._data_bucket, combination.file_key
            )
        except NotFound:
            loaded.error = f"file {combination.file_key!r} not found in the data bucket"
        return loaded


def _check_columns(columns: Sequence[str], request: TrainingRequest) -> None:
    available = set(columns)
    errors: dict[str, list[str]] = {}
    missing_x = [name for name in request.x_variables if name not in available]
    if missing_x:
        errors["x_variables"] = [f"not columns of the set's data: {missing_x}"]
    if request.y_variable not in available:
        errors["y_variable"] = [f"{request.y_variable!r} is not a column of the set"]
    if errors:
        missing = [
            *missing_x,
            *([] if "y_variable" not in errors else [request.y_variable]),
        ]
        raise InvalidInput(
            f"{missing} are not columns of the set's data; its columns are "
            f"{list(columns)}",
            errors={"json": errors},
        )


def _run_document(
    run_id: str, scope_id: str, request: TrainingRequest
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "scope_id": scope_id,
        "set_name": request.set_name,
        "x_variables": request.x_variables,
        "y_variable": request.y_variable,
        "price_column": request.price_column,
        "standardization": request.standardization.value,
        "k_folds": request.k_folds,
        "models_to_run": [spec.name.value for spec in request.specs],
        "model_configs": request.model_configs,
    }


def _fit_chunk(
    run_id: str, chunk: _Chunk, request: TrainingRequest
) -> list[dict[str, Any]]:
    names = [*request.x_variables, request.y_variable]
    prepared = [
        prepared
        for stack in chunk.parsed.stacks
        for prepared in zip(
            [chunk.with_data[index] for index in stack.files],
            _designs(stack.frames, request),
            stacked_statistics(stack.frames, names),
            strict=True,
        )
    ]
    fitted: list[tuple[_Loaded, DesignMatrix, list[dict[str, Any]]]] = []
    for loaded, design, stats in prepared:
        if isinstance(design, DataError):
            loaded.error = str(design)
        else:
            fitted.append((loaded, design, stats))

    evaluations = (
        evaluate_many(
            [design for _, design, _ in fitted],
            request.specs,
            request.standardization,
            request.k_folds,
            request.price_column,
        )
        if fitted
        else []
    )
    documents = {
        loaded.position: result_document(
            run_id, loaded.position, loaded.combination, design, models, stats
        )
        for (loaded, design, stats), models in zip(fitted, evaluations, strict=True)
    }
    for loaded in chunk.loaded:
        if loaded.position not in documents:
            documents[loaded.position] = failed_document(
                run_id, loaded.position, loaded.combination, loaded.error
            )
    return [documents[position] for position in sorted(documents)]


def _designs(
    stacked: StackedFrames, request: TrainingRequest
) -> list[DesignMatrix | DataError]:
    """Design matrices of many combinations, built from one stacked frame."""
    groups = [range(start, stop) for start, stop in itertools.pairwise(stacked.bounds)]
    try:
        return build_design_matrices(
            stacked.frame,
            groups,
            request.x_variables,
            request.y_variable,
            min_rows=request.k_folds,
        )
    except DataError as error:
        return [error] * len(stacked)
