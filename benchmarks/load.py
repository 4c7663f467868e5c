"""Read load: 50 clients for 30 s on scope and result reads, from a second
process on loopback, next to the same load on a route that touches no store.

The ratio of the two throughputs shows what the stores cost per request under
the same gunicorn settings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from benchmarks.harness import (
    ROOT,
    BenchEnvironment,
    BenchOptions,
    Report,
    Target,
    check_response,
    restart_api,
)
from migrations_seed.seed import load_demo_scopes

CLIENTS = 50
WORKERS = (os.cpu_count() or 1) + 1
READ_SECONDS = 30.0
BARE_SECONDS = 15.0
P99_LIMIT_MS = 250.0


def run(env: BenchEnvironment, options: BenchOptions) -> Report:
    """Seed the demo data, train once, then load reads and the bare route.

    gunicorn runs with the production worker count (cores + 1), not the one
    worker the other benchmarks use to measure memory.
    """
    restart_api(env, {"WORKERS": str(WORKERS)})
    load_demo_scopes(env.database, env.s3, env.data_bucket)
    run_id = _train_once(env)
    reads = [
        env.url("/scopes?limit=10"),
        env.url("/scopes/scope_123"),
        env.url("/scopes/scope_123/sets"),
        env.url("/scopes/scope_123/sets/Scope_1"),
        env.url(f"/model-results/detailed/{run_id}?limit=2"),
        env.url(f"/model-results/variable-stats/{run_id}?limit=4"),
        env.url("/model-results/list-exports?limit=5"),
    ]
    loaded = _load(reads, READ_SECONDS)
    # Fresh workers for the bare run too: the reads bring the workers near
    # max_requests, and their restarts would otherwise land in the bare run.
    restart_api(env, {"WORKERS": str(WORKERS)})
    bare = _load([env.url("/")], BARE_SECONDS)

    report = Report(
        f"Read load: {CLIENTS} clients, {READ_SECONDS:.0f} s, {WORKERS} workers"
    )
    for label, stats in (("scope and result reads", loaded), ("bare /api/v1/", bare)):
        report.figure(
            label,
            f"{stats['throughput']:.0f} req/s, p50 {stats['p50_ms']:.1f} ms, "
            f"p95 {stats['p95_ms']:.1f} ms, p99 {stats['p99_ms']:.1f} ms, "
            f"errors {stats['errors']}/{stats['requests']}",
        )
    ratio = loaded["throughput"] / bare["throughput"] if bare["throughput"] else 0.0
    report.figure("reads / bare throughput", f"{ratio:.2f}")
    report.notes.append(f"read statuses: {loaded['statuses']}")
    cache = os.environ.get("BUILDATOM_SCOPE_CACHE_SECONDS", "2 (the default)")
    report.notes.append(f"scope endpoints answer from each worker's cache: {cache} s")
    report.targets.append(
        Target("read error rate", loaded["error_rate"] * 100, 0.0, "%")
    )
    report.targets.append(Target("read p99", loaded["p99_ms"], P99_LIMIT_MS, "ms"))
    return report


def _train_once(env: BenchEnvironment) -> str:
    body = {
        "scope_id": "scope_123",
        "set_name": "Scope_1",
        "x_variables": ["Price", "Distribution", "Promo"],
        "y_variable": "Volume",
        "price_column": "Price",
        "standardization": "minmax",
    }
    response = env.http.post(env.url("/train-models"), json=body, timeout=120)
    answer: dict[str, Any] = check_response(response, "training for the load run")
    return str(answer["summary"]["run_id"])


def _load(urls: list[str], seconds: float) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.loadgen",
        "--clients",
        str(CLIENTS),
        "--seconds",
        str(seconds),
        *urls,
    ]
    result = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    stats: dict[str, Any] = json.loads(result.stdout)
    return stats
