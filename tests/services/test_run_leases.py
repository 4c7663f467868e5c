"""Run leases on the real server: a run that expired cannot complete, and a
failed run keeps only its run document, for training and marketing alike."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from buildatom.errors import NotFound, RunLost
from buildatom.repositories.leased_runs import LeasedRuns
from buildatom.repositories.marketing import MarketingRepository
from buildatom.repositories.training_runs import TrainingRunRepository
from buildatom.services.run_leases import (
    complete_run,
    fail_run,
    stale_run_sweeps,
    start_run,
)


def training_with_a_result(database: Any, lease: timedelta) -> tuple[LeasedRuns, str]:
    repository = TrainingRunRepository(database)
    run_id = str(uuid.uuid4())
    repository.start({"run_id": run_id}, lease)
    repository.add_results([{"run_id": run_id, "position": 0, "models": []}])
    return repository, run_id


def marketing_with_a_model(database: Any, lease: timedelta) -> tuple[LeasedRuns, str]:
    repository = MarketingRepository(database)
    run_id = str(uuid.uuid4())
    repository.start({"run_id": run_id, "kind": "training"}, lease)
    repository.add_models([{"training_id": run_id, "model_id": 1}])
    return repository, run_id


RUN_KINDS = {
    "training": (training_with_a_result, "training_runs", "model_results"),
    "marketing": (marketing_with_a_model, "marketing_runs", "marketing_models"),
}


@pytest.mark.parametrize("kind", RUN_KINDS)
def test_expired_run_cannot_complete(stores: Any, kind: str) -> None:
    make, runs_name, records_name = RUN_KINDS[kind]
    repository, run_id = make(stores.database, timedelta(seconds=-1))

    expired = repository.expire_stale_runs()
    with pytest.raises(RunLost, match="expired before it could complete"):
        complete_run(repository, run_id, {"summary": {}})

    assert expired == [run_id]
    run = stores.database[runs_name].find_one({"_id": run_id})
    assert run["status"] == "failed"
    assert "lease expired" in run["error"]
    assert "lease_expires_at" not in run
    assert stores.database[records_name].count_documents({}) == 0


@pytest.mark.parametrize("kind", RUN_KINDS)
def test_renewed_run_completes_and_stops_renewing(stores: Any, kind: str) -> None:
    make, runs_name, records_name = RUN_KINDS[kind]
    repository, run_id = make(stores.database, timedelta(seconds=-1))

    renewed = repository.renew(run_id, timedelta(minutes=5))
    swept = repository.expire_stale_runs()
    complete_run(repository, run_id, {"summary": {"models": 1}})

    assert renewed and swept == []
    assert not repository.renew(run_id, timedelta(minutes=5))
    run = stores.database[runs_name].find_one({"_id": run_id})
    assert run["status"] == "completed"
    assert run["summary"] == {"models": 1}
    assert "lease_expires_at" not in run
    assert stores.database[records_name].count_documents({}) == 1


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (NotFound("file 'x.csv' not found"), "file 'x.csv' not found"),
        (KeyError(), "KeyError"),
    ],
    ids=["app-error", "other-error"],
)
def test_failed_run_keeps_the_reason_and_loses_its_records(
    stores: Any, error: BaseException, reason: str
) -> None:
    repository, run_id = training_with_a_result(stores.database, timedelta(minutes=5))

    given = fail_run(repository, run_id, error)

    assert given == reason
    run = stores.database.training_runs.find_one({"_id": run_id})
    assert (run["status"], run["error"]) == ("failed", reason)
    assert stores.database.model_results.count_documents({}) == 0


def test_starting_a_run_sweeps_each_run_collection_once_a_minute(stores: Any) -> None:
    stale_run_sweeps.reset()
    training, stale_training = training_with_a_result(stores.database, timedelta(0))
    marketing, stale_marketing = marketing_with_a_model(stores.database, timedelta(0))

    start_run(training, {"run_id": str(uuid.uuid4())}, timedelta(minutes=5))
    start_run(marketing, {"run_id": str(uuid.uuid4())}, timedelta(minutes=5))
    _, stale_later = marketing_with_a_model(stores.database, timedelta(0))
    start_run(marketing, {"run_id": str(uuid.uuid4())}, timedelta(minutes=5))

    def status(collection: str, run_id: str) -> str:
        return str(stores.database[collection].find_one({"_id": run_id})["status"])

    assert status("training_runs", stale_training) == "failed"
    assert status("marketing_runs", stale_marketing) == "failed"
    assert status("marketing_runs", stale_later) == "running"
