"""Find or build the MongoDB-protocol and S3 server binaries.

A real ``mongod`` / ``minio`` named by ``BUILDATOM_MONGOD_BIN`` /
``BUILDATOM_MINIO_BIN`` or found on ``PATH`` wins. Otherwise FerretDB (SQLite
backend) and MinIO are built once with the Go toolchain into a cache outside
the repository and reused from there.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

FERRETDB_MODULE = "github.com/FerretDB/FerretDB"
FERRETDB_VERSION = "v1.24.2"
MINIO_MODULE = "github.com/minio/minio"
MINIO_VERSION = "v0.0.0-20260212201848-7aac2a2c5b7c"


class ServerBuildError(RuntimeError):
    """A server binary could not be found or built."""


@dataclass(frozen=True)
class ServerBinary:
    """An executable and the flavour of server it runs."""

    path: Path
    flavour: str  # "mongod", "ferretdb" or "minio"


def cache_dir() -> Path:
    """Where built binaries live: ``$BUILDATOM_SERVER_CACHE`` or ~/.cache."""
    configured = os.environ.get("BUILDATOM_SERVER_CACHE")
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "buildatom" / "servers"


def mongo_server() -> ServerBinary:
    """Return a MongoDB-protocol server: real mongod if present, else FerretDB."""
    named = os.environ.get("BUILDATOM_MONGOD_BIN")
    if named:
        return ServerBinary(_existing(named, "BUILDATOM_MONGOD_BIN"), "mongod")
    found = shutil.which("mongod")
    if found:
        return ServerBinary(Path(found), "mongod")
    return ServerBinary(_build_ferretdb(), "ferretdb")


def minio_server() -> ServerBinary:
    """Return a MinIO server: one named or on PATH, else the cached build."""
    named = os.environ.get("BUILDATOM_MINIO_BIN")
    if named:
        return ServerBinary(_existing(named, "BUILDATOM_MINIO_BIN"), "minio")
    found = shutil.which("minio")
    if found:
        return ServerBinary(Path(found), "minio")
    return ServerBinary(_build_minio(), "minio")


def _existing(path: str, variable: str) -> Path:
    candidate = Path(path)
    if not (candidate.is_file() and os.access(candidate, os.X_OK)):
        raise ServerBuildError(f"{variable}={path!r} is not an executable file")
    return candidate


def _build_ferretdb() -> Path:
    target = cache_dir() / f"ferretdb-{FERRETDB_VERSION}" / "ferretdb"
    with _build_lock():
        if target.exists():
            return target
        source = _go(
            ["mod", "download", "-json", f"{FERRETDB_MODULE}@{FERRETDB_VERSION}"]
        )
        module_dir = Path(_json_field(source, "Dir"))
        with tempfile.TemporaryDirectory(prefix="ferretdb-src-") as work:
            tree = Path(work) / "src"
            shutil.copytree(module_dir, tree)
            _make_writable(tree)
            # The module zip lacks the version file that FerretDB's own release
            # tooling generates; without it the binary refuses to start.
            version_file = tree / "build" / "version" / "version.txt"
            version_file.write_text(FERRETDB_VERSION + "\n")
            partial = target.with_suffix(".partial")
            partial.parent.mkdir(parents=True, exist_ok=True)
            _go(["build", "-o", str(partial), "./cmd/ferretdb"], cwd=tree)
            partial.rename(target)
    return target


def _build_minio() -> Path:
    target_dir = cache_dir() / f"minio-{MINIO_VERSION}"
    target = target_dir / "minio"
    with _build_lock():
        if target.exists():
            return target
        staging = target_dir.with_name(target_dir.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        with tempfile.TemporaryDirectory(prefix="minio-build-") as work:
            _go(
                ["install", f"{MINIO_MODULE}@{MINIO_VERSION}"],
                cwd=Path(work),
                extra_env={"GOBIN": str(staging)},
            )
        shutil.rmtree(target_dir, ignore_errors=True)
        staging.rename(target_dir)
    return target


@contextmanager
def _build_lock() -> Iterator[None]:
    """Serialise builds across processes (pytest-xdist, make in parallel)."""
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _go(
    args: list[str],
    cwd: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> str:
    go = shutil.which("go")
    if go is None:
        raise ServerBuildError(
            "the Go toolchain is needed to build FerretDB and MinIO; "
            "install Go or set BUILDATOM_MONGOD_BIN / BUILDATOM_MINIO_BIN"
        )
    env = {**os.environ, "CGO_ENABLED": "0", **(extra_env or {})}
    result = subprocess.run(
        [go, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise ServerBuildError(
            f"`go {' '.join(args)}` failed ({result.returncode}):\n{result.stderr}"
        )
    return result.stdout


def _json_field(document: str, field: str) -> str:
    value = json.loads(document).get(field)
    if not isinstance(value, str):
        raise ServerBuildError(f"`go mod download` gave no {field}: {document}")
    return value


def _make_writable(tree: Path) -> None:
    for path in [tree, *tree.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
