"""Where a training request spends its time: phases, then a cProfile listing.

Serves the training benchmark's request in-process (``create_app`` and Flask's
test client against the same real servers) with timers around the service's
steps. Each phase reports wall time and the CPU time of the threads that ran
it (``time.thread_time``): file reads and inserts run on pool threads next to
the request thread, so wall times overlap and the CPU column is the one that
adds up. A last run under cProfile lists the request thread's hot functions.
"""

from __future__ import annotations

import cProfile
import functools
import io
import logging
import pstats
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from flask.testing import FlaskClient

from benchmarks.harness import (
    BenchEnvironment,
    BenchError,
    BenchOptions,
    Report,
)
from benchmarks.resources import cpu_usage
from benchmarks.training import (
    SET_NAME,
    WARMUP_SET,
    bench_combinations,
    scope_document,
    seed_scope,
    training_body,
)

logger = logging.getLogger(__name__)

TOP_FUNCTIONS = 20
TOTAL = "service total"


class PhaseClock:
    """Wall and thread-CPU seconds inside wrapped callables, per phase."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, phase: str, wall: float, cpu: float) -> None:
        with self._lock:
            self.wall[phase] = self.wall.get(phase, 0.0) + wall
            self.cpu[phase] = self.cpu.get(phase, 0.0) + cpu

    def timed(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` wrapped so that its calls count towards ``phase``."""

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(phase, time.perf_counter() - wall, time.thread_time() - cpu)

        return wrapper

    def timed_iterator(
        self, phase: str, function: Callable[..., Iterator[Any]]
    ) -> Callable[..., Iterator[Any]]:
        """A generator function wrapped so that time inside ``next`` counts."""

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            iterator = function(*args, **kwargs)
            try:
                while True:
                    wall, cpu = time.perf_counter(), time.thread_time()
                    try:
                        item = next(iterator)
                    except StopIteration:
                        return
                    finally:
                        self.add(
                            phase,
                            time.perf_counter() - wall,
                            time.thread_time() - cpu,
                        )
                    yield item
            finally:
                close = getattr(iterator, "close", None)
                if close is not None:
                    close()

        return wrapper


@contextmanager
def instrumented(clock: PhaseClock) -> Iterator[None]:
    """Wrap the training path's steps with timers; restore them on exit."""
    from buildatom.repositories.training_runs import TrainingRunRepository
    from buildatom.services import training
    from buildatom.services.scopes import ScopeService
    from buildatom.storage.object_store import ObjectStore

    service = training.TrainingService
    wrapped: list[tuple[Any, str, str, bool]] = [
        (service, "train", TOTAL, False),
        (ScopeService, "get_set", "scope + CSV header", False),
        (service, "_load", "read files (read threads)", False),
        (ObjectStore, "read_bytes", "  of which GET (read threads)", False),
        (training, "parse_csv_files", "parse files (parse thread)", False),
        (service, "_load_in_chunks", "waiting for reads and parses", True),
        (training, "_designs", "design matrices", False),
        (training, "stacked_statistics", "variable statistics", False),
        (training, "evaluate_many", "fit + score", False),
        (training, "_result_document", "result documents", False),
        (TrainingRunRepository, "add_results", "insert (insert thread)", False),
        (training._Outcome, "add", "response rows + totals", False),
        (TrainingRunRepository, "complete", "complete the run", False),
    ]
    with ExitStack() as stack:
        for owner, name, phase, generator in wrapped:
            original = owner.__dict__.get(name)
            if original is None:
                logger.warning("no %s.%s to time; phase %r skipped", owner, name, phase)
                continue
            timer = clock.timed_iterator if generator else clock.timed
            setattr(owner, name, timer(phase, original))
            stack.callback(setattr, owner, name, original)
        yield


def in_process_client(env: BenchEnvironment, combinations: int) -> FlaskClient:
    """A test client of an app on its own database (same servers and files)."""
    from buildatom.app import create_app

    database = f"{env.database_name}_inprocess"
    env.mongo_client[database]["scopes"].insert_one(
        scope_document(bench_combinations(combinations))
    )
    app = create_app(
        {
            "MONGODB_URI": env.mongo.url,
            "MONGODB_DATABASE": database,
            "S3_ENDPOINT_URL": env.minio.url,
            "DATA_BUCKET": env.data_bucket,
            "RESULTS_BUCKET": env.results_bucket,
            "LOG_LEVEL": "WARNING",
        }
    )
    return app.test_client()


def train(client: FlaskClient, set_name: str) -> float:
    """POST one training through the test client; return its seconds."""
    started = time.perf_counter()
    response = client.post("/api/v1/train-models", json=training_body(set_name))
    if response.status_code != 200:
        raise BenchError(f"training {set_name}: HTTP {response.status_code}")
    return time.perf_counter() - started


def profile_listing(client: FlaskClient) -> str:
    """The request thread's top functions by own time, under cProfile."""
    profiler = cProfile.Profile()
    profiler.enable()
    train(client, SET_NAME)
    profiler.disable()
    listing = io.StringIO()
    stats = pstats.Stats(profiler, stream=listing)
    stats.sort_stats("tottime").print_stats(TOP_FUNCTIONS)
    return listing.getvalue()


def run(env: BenchEnvironment, options: BenchOptions) -> Report:
    """Seed the training scope, time its phases, then profile it."""
    report = Report(f"training profile: {options.combinations} combinations")
    seed_scope(env, bench_combinations(options.combinations))
    client = in_process_client(env, options.combinations)
    train(client, WARMUP_SET)

    plain = train(client, SET_NAME)
    clock = PhaseClock()
    servers = {"MongoDB": env.mongo.pid or 0, "MinIO": env.minio.pid or 0}
    with instrumented(clock), cpu_usage(servers) as server_cpu:
        total = train(client, SET_NAME)

    report.figure("in-process request", f"{plain:.2f} s")
    report.figure("in-process request, with phase timers", f"{total:.2f} s")
    report.figure("phase", "wall s / CPU s")
    for phase, wall in clock.wall.items():
        if phase != TOTAL:
            report.figure(f"  {phase}", f"{wall:5.2f} / {clock.cpu[phase]:5.2f}")
    respond = total - clock.wall.get(TOTAL, 0.0)
    report.figure("  respond (schema dump + JSON, test client)", f"{respond:5.2f}")
    for name, seconds in server_cpu.items():
        report.figure(f"  CPU of {name}", f"{seconds:.2f} s")
    report.notes.append(
        "wall times of pool threads overlap the request thread's; CPU is "
        "each phase's own threads' CPU time"
    )
    report.notes.append("request thread under cProfile:\n" + profile_listing(client))
    return report
