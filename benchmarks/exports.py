"""Export benchmark: the CSV of a 100,000-row training run, saved and downloaded.

The run is made fast, not trained: one real training of a few combinations
through the API gives stored documents in the exact shape the app writes,
which are copied under a new run id (25,000 combinations × 4 models) straight
into MongoDB. Then ``GET /model-results/export/{run_id}?save_only=true`` is
timed with the worker's resident memory, and the saved file is streamed back.
"""

from __future__ import annotations

import copy
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks.harness import (
    BenchEnvironment,
    BenchError,
    BenchOptions,
    Report,
    Target,
    check_response,
    restart_api,
)
from benchmarks.resources import MIB, cpu_usage, peak_growth
from benchmarks.training import (
    WARMUP_SET,
    bench_combinations,
    seed_scope,
    train_through_api,
)
from buildatom.repositories.training_runs import result_id

logger = logging.getLogger(__name__)

TEMPLATE_COMBINATIONS = 20
INSERT_BATCH = 500
INSERT_THREADS = 2
TARGET_RSS_MIB = 50.0


def template_run(env: BenchEnvironment) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Train a few combinations through the API; return the stored documents."""
    seed_scope(env, bench_combinations(TEMPLATE_COMBINATIONS))
    _, body = train_through_api(env, WARMUP_SET)
    run_id = body["summary"]["run_id"]
    run = env.database["training_runs"].find_one({"_id": run_id})
    count = run["total_combinations"] if run else 0
    results = list(
        env.database["model_results"].find(
            {"_id": {"$in": [result_id(run_id, p) for p in range(count)]}}
        )
    )
    results.sort(key=lambda document: document["position"])
    if run is None or not results:
        raise BenchError(f"template run {run_id} was not stored")
    return run, results


def copied_id(combination_id: str, position: int) -> str:
    """A combination id made unique in the copied run."""
    return f"{combination_id}_{position:06d}"


def copied_result(
    run_id: str, templates: list[dict[str, Any]], position: int
) -> dict[str, Any]:
    """Result document ``position`` of the copied run, cycled from ``templates``.

    A shallow copy: the nested models are shared, and only encoded.
    """
    template = templates[position % len(templates)]
    document = {key: value for key, value in template.items() if key != "_id"}
    document.update(
        _id=result_id(run_id, position),
        run_id=run_id,
        position=position,
        combination_id=copied_id(template["combination_id"], position),
    )
    return document


def copied_run(
    run_id: str, template: dict[str, Any], results: list[dict[str, Any]], count: int
) -> dict[str, Any]:
    """The completed run document for ``count`` copied result documents."""
    best_by_id = {
        entry["combination_id"]: entry
        for entry in template["summary"]["best_model_by_mape"]
    }
    best, models = [], 0
    for position in range(count):
        source = results[position % len(results)]
        models += len(source["models"])
        entry = best_by_id.get(source["combination_id"])
        if entry is not None:
            combination_id = copied_id(source["combination_id"], position)
            best.append({**entry, "combination_id": combination_id})
    run = copy.deepcopy(template)
    run.update(
        _id=run_id,
        run_id=run_id,
        total_models_saved=models,
        total_combinations=count,
    )
    run["summary"].update(
        run_id=run_id, total_models_saved=models, best_model_by_mape=best
    )
    return run


def insert_run(env: BenchEnvironment, rows: int) -> tuple[str, str, int, float]:
    """Store a completed run of at least ``rows`` rows.

    Returns the template run's id, the new run's id, its rows and the
    seconds its insertion took.
    """
    template, results = template_run(env)
    combinations = -(-rows // len(results[0]["models"]))
    run_id = str(uuid.uuid4())
    collection = env.database["model_results"]

    def insert(start: int) -> None:
        stop = min(start + INSERT_BATCH, combinations)
        batch = [copied_result(run_id, results, p) for p in range(start, stop)]
        collection.insert_many(batch, ordered=False)

    started = time.perf_counter()
    with ThreadPoolExecutor(INSERT_THREADS) as pool:
        list(pool.map(insert, range(0, combinations, INSERT_BATCH)))
    run = copied_run(run_id, template, results, combinations)
    env.database["training_runs"].insert_one(run)
    seconds = time.perf_counter() - started
    logger.info("inserted %d result documents in %.1f s", combinations, seconds)
    return template["run_id"], run_id, run["total_models_saved"], seconds


def export(env: BenchEnvironment, run_id: str) -> Any:
    """Export a run to the results bucket only; return the JSON answer."""
    response = env.http.get(
        env.url(f"/model-results/export/{run_id}"),
        params={"save_only": "true"},
        timeout=900,
    )
    return check_response(response, f"export of run {run_id}")


def stream_download(env: BenchEnvironment, file_key: str) -> tuple[int, float]:
    """Stream a saved export back; return its bytes and seconds."""
    started = time.perf_counter()
    size = 0
    with env.http.get(
        env.url(f"/model-results/download/{file_key}"), stream=True, timeout=600
    ) as response:
        if response.status_code != 200:
            raise BenchError(f"download: HTTP {response.status_code}")
        for chunk in response.iter_content(256 * 1024):
            size += len(chunk)
    return size, time.perf_counter() - started


def run(env: BenchEnvironment, options: BenchOptions) -> Report:
    """Store a large run, export it through the API, download it; report."""
    report = Report(f"exports: a {options.export_rows:,}-row training run to CSV")
    template_id, run_id, rows, insert_seconds = insert_run(env, options.export_rows)
    restart_api(env, {})
    worker = env.worker_pid()
    saved = export(env, template_id)
    stream_download(env, saved["file_key"])

    logger.info("exporting run %s", run_id)
    with cpu_usage(env.server_pids()) as cpu, peak_growth(worker) as rss:
        started = time.perf_counter()
        saved = export(env, run_id)
        export_seconds = time.perf_counter() - started
    if saved["rows"] != rows:
        raise BenchError(f"export wrote {saved['rows']} rows, expected {rows}")
    with peak_growth(worker) as download_rss:
        size, download_seconds = stream_download(env, saved["file_key"])
    if size != saved["size"]:
        raise BenchError(f"downloaded {size} bytes, export says {saved['size']}")

    report.figure("run stored directly (documents x models)", f"{rows:,} rows")
    report.figure("  inserting it into MongoDB", f"{insert_seconds:.1f} s")
    report.figure("export wall time (save_only=true)", f"{export_seconds:.2f} s")
    report.figure("  rows per second", f"{rows / export_seconds:,.0f}")
    for name, seconds in cpu.items():
        report.figure(f"  CPU of {name} during it", f"{seconds:.2f} s")
    report.figure("  CSV size", f"{size / MIB:.1f} MiB ({size:,} bytes)")
    report.figure(
        "  worker RSS before / after / peak",
        f"{rss['before']:.0f} / {rss['after']:.0f} / {rss['peak']:.0f} MiB",
    )
    report.figure("  worker peak RSS growth", f"{rss['growth']:.1f} MiB")
    report.figure("download, streamed back", f"{download_seconds:.2f} s")
    report.figure("  throughput", f"{size / MIB / download_seconds:.1f} MiB/s")
    report.figure("  worker peak RSS growth", f"{download_rss['growth']:.1f} MiB")
    report.notes.append(
        "the worker was warmed up with an export and a download of a "
        f"{TEMPLATE_COMBINATIONS}-combination run before measuring"
    )
    report.targets.append(
        Target("worker RSS growth during export", rss["growth"], TARGET_RSS_MIB, "MiB")
    )
    return report
