"""The API under real gunicorn: a worker killed mid-training, concurrent runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from devservers.processes import free_port
from migrations_seed.seed import load_demo_scopes
from tests.conftest import Servers, Stores, drop_stores, make_stores

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 3


class Gunicorn:
    """A gunicorn master serving wsgi:app against one test's stores."""

    def __init__(self, stores: Stores, workers: int, tmp: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "BUILDATOM_BIND": f"127.0.0.1:{self.port}",
            "BUILDATOM_WORKERS": str(workers),
            "BUILDATOM_THREADS": "4",
            "BUILDATOM_MONGODB_URI": stores.servers.mongo.url,
            "BUILDATOM_MONGODB_DATABASE": stores.database_name,
            "BUILDATOM_S3_ENDPOINT_URL": stores.servers.minio.url,
            "BUILDATOM_DATA_BUCKET": stores.data_bucket,
            "BUILDATOM_RESULTS_BUCKET": stores.results_bucket,
            "BUILDATOM_RUN_LEASE_SECONDS": str(LEASE_SECONDS),
            "BUILDATOM_TRAINING_SLOT_DIR": str(tmp / "slots"),
            "BUILDATOM_GUNICORN_LOG_LEVEL": "warning",
        }
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.log = open(tmp / "gunicorn.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(gunicorn), "--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=3).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError("gunicorn did not become healthy")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture
def served(
    private_servers: Servers, tmp_path: Path
) -> Iterator[tuple[Stores, Gunicorn]]:
    stores = make_stores(private_servers)
    load_demo_scopes(stores.database, stores.s3, stores.data_bucket)
    scope = stores.database.scopes.find_one({"_id": "scope_123"})
    copies = [
        {
            **combination,
            "combination_id": f"{combination['combination_id']}_{i}",
            "set_name": "Big",
        }
        for i in range(250)
        for combination in scope["combinations"][:12]
    ]
    stores.database.scopes.insert_one({"_id": "big", "combinations": copies})
    server = Gunicorn(stores, workers=2, tmp=tmp_path)
    yield stores, server
    server.stop()
    drop_stores(stores)


def body(set_name: str, x_variables: list[str]) -> dict[str, Any]:
    return {
        "scope_id": "big" if set_name == "Big" else "scope_123",
        "set_name": set_name,
        "x_variables": x_variables,
        "y_variable": "Volume",
        "price_column": "Price",
        "models_to_run": ["linear", "ridge"],
    }


def test_worker_killed_mid_training_never_leaves_completed_run(
    served: tuple[Stores, Gunicorn],
) -> None:
    stores, server = served
    outcome: dict[str, Any] = {}

    def train() -> None:
        try:
            outcome["response"] = requests.post(
                f"{server.url}/api/v1/train-models",
                json=body("Big", ["Price", "Promo"]),
                timeout=60,
            )
        except requests.RequestException as error:
            outcome["error"] = error

    caller = threading.Thread(target=train)
    caller.start()
    deadline = time.monotonic() + 20
    while stores.database.training_runs.count_documents({}) == 0:
        assert time.monotonic() < deadline, "training never started"
        time.sleep(0.02)
    for pid in server.workers():
        os.kill(pid, signal.SIGKILL)
    caller.join(60)

    assert "response" not in outcome or outcome["response"].status_code >= 500
    run = stores.database.training_runs.find_one({})
    assert run["status"] == "running"
    server.wait_healthy()
    first = requests.get(f"{server.url}/api/v1/model-results/detailed/{run['_id']}")
    time.sleep(LEASE_SECONDS + 0.5)
    later = requests.get(f"{server.url}/api/v1/model-results/detailed/{run['_id']}")
    export = requests.get(f"{server.url}/api/v1/model-results/export/{run['_id']}")

    assert first.status_code == 404
    assert later.status_code == 404
    assert "failed" in later.json()["message"]
    assert export.status_code == 404
    stored = stores.database.training_runs.find_one({"_id": run["_id"]})
    assert stored["status"] == "failed"
    assert stores.database.model_results.count_documents({"run_id": run["_id"]}) == 0


def test_concurrent_trainings_complete_alone_or_get_429(
    served: tuple[Stores, Gunicorn],
) -> None:
    stores, server = served
    variable_sets = [
        ["Price"],
        ["Price", "Promo"],
        ["Price", "Distribution"],
        ["Price", "Promo", "Distribution"],
    ] * 2

    def train(x_variables: list[str]) -> requests.Response:
        return requests.post(
            f"{server.url}/api/v1/train-models",
            json=body("Scope_1", x_variables),
            timeout=60,
        )

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(train, variable_sets))

    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 429}
    assert 200 in statuses
    for x_variables, response in zip(variable_sets, responses, strict=True):
        if response.status_code == 429:
            assert response.headers["Retry-After"]
            continue
        run_id = response.json()["summary"]["run_id"]
        run = stores.database.training_runs.find_one({"_id": run_id})
        assert run["status"] == "completed"
        assert run["x_variables"] == x_variables
        results = list(stores.database.model_results.find({"run_id": run_id}))
        assert len(results) == 12
        for result in results:
            for model in result["models"]:
                names = {pair["name"] for pair in model["coefficients"]}
                assert names == set(x_variables)
    print(f"8 concurrent trainings: statuses {statuses}")
