"""Property-based run over every operation in /openapi.json (schemathesis).

Bounded and seeded: each operation gets a fixed number of generated requests,
valid and schema-invalid, against the live app on the real servers with the
demo data loaded. Checks: no 5xx, responses conform to their documented
schemas and status codes, and schema-invalid requests are rejected. Training
endpoints, which do real work per request, get a smaller pass.

Hypothesis drives schemathesis' strategies directly (schemathesis' own pytest
plugin does not load under pytest 9).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from buildatom.app import create_app
from migrations_seed.seed import load_demo_scopes
from tests.conftest import Servers, drop_stores, make_stores

TRAINING = re.compile(
    r"train-models|prepare-data|transform-variables|calculate-elasticity|/export/"
)
READ_EXAMPLES = 25
TRAINING_EXAMPLES = 6
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    negative_data_rejection,
    status_code_conformance,
]


@pytest.fixture(scope="module")
def fuzz_app(servers: Servers) -> Iterator[Flask]:
    stores = make_stores(servers)
    load_demo_scopes(stores.database, stores.s3, stores.data_bucket)
    yield create_app(stores.app_config())
    drop_stores(stores)


def operations(app: Flask) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def run_operation(operation: Any, mode: GenerationMode, examples: int) -> int:
    calls = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case: Any) -> None:
        nonlocal calls
        calls += 1
        case.call_and_validate(checks=CHECKS)

    try:
        exercise()
    except Unsatisfiable:
        # Free-text path parameters have no schema-invalid values; operations
        # with only those cannot be fuzzed negatively.
        assert mode is GenerationMode.NEGATIVE
        assert not operation.query and not list(operation.body)
    return calls


@pytest.mark.parametrize(
    "mode",
    [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    ids=["valid", "invalid"],
)
def test_every_operation_holds_under_generated_input(
    fuzz_app: Flask, mode: GenerationMode
) -> None:
    tried: dict[str, int] = {}
    for operation in operations(fuzz_app):
        training = bool(TRAINING.search(operation.path))
        examples = TRAINING_EXAMPLES if training else READ_EXAMPLES
        tried[operation.label] = run_operation(operation, mode, examples)

    assert len(tried) >= 12
    print(
        f"schemathesis {mode.value}: {len(tried)} operations, "
        f"{sum(tried.values())} requests: {tried}"
    )
