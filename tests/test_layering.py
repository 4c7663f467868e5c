"""The layer rule: each folder of buildatom/ imports only the layers below it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "buildatom"
DRIVERS = {"flask", "flask_smorest", "pymongo", "bson", "boto3", "botocore"}
FORBIDDEN: dict[str, set[str]] = {
    "modeling": DRIVERS
    | {"logging", "marshmallow", "werkzeug"}
    | {
        f"buildatom.{layer}" for layer in ("api", "services", "repositories", "storage")
    },
    "repositories": {
        "flask",
        "flask_smorest",
        "boto3",
        "botocore",
        "buildatom.api",
        "buildatom.services",
        "buildatom.storage",
    },
    "storage": {
        "flask",
        "flask_smorest",
        "pymongo",
        "bson",
        "buildatom.api",
        "buildatom.services",
        "buildatom.repositories",
    },
    "services": {"flask", "flask_smorest", "marshmallow", "buildatom.api"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def violations(layer: str) -> list[str]:
    found = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in imported_modules(path):
            for banned in FORBIDDEN[layer]:
                if name == banned or name.startswith(banned + "."):
                    found.append(f"{path.relative_to(PACKAGE)} imports {name}")
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN), ids=sorted(FORBIDDEN))
def test_layer_imports_only_downward(layer: str) -> None:
    assert violations(layer) == []


def test_layer_check_detects_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import pymongo\nfrom flask import Flask\n")

    assert {"pymongo", "flask"} <= imported_modules(bad)


def test_modeling_import_loads_no_driver() -> None:
    modules = sorted(
        f"buildatom.modeling.{path.stem}"
        for path in (PACKAGE / "modeling").glob("*.py")
        if path.stem != "__init__"
    )
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        check=True,
    )

    loaded = set(json.loads(result.stdout))
    assert modules
    assert loaded.isdisjoint(DRIVERS)
