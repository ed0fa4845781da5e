"""Run-time jobs (JobSpec) in one event loop: store, validation, sharing, one-offs, CLI."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from async_helpers import asyncio_test

from locked_scheduler import JobSpec, JobSpecError, LockedScheduler, StoredJob, current_run
from locked_scheduler.cli import main as cli_main

NS = "dyn"


def replica(redis_server, name: str, runs: list, **options) -> LockedScheduler:
    options.setdefault("reconcile_interval", 0.5)
    options.setdefault("health_interval", 0.2)
    scheduler = LockedScheduler(redis_server.url, NS, replica_id=name, **options)

    @scheduler.task("collect-worker-metrics")
    async def collect_worker_metrics(worker_id: str) -> None:
        run = current_run()
        runs.append((run.job_id, run.tick_ms, run.replica_id, worker_id))

    @scheduler.task("send-report")
    def send_report() -> None:
        run = current_run()
        runs.append((run.job_id, run.tick_ms, run.replica_id, None))

    return scheduler


def metrics_spec(**overrides) -> JobSpec:
    options = {"kwargs": {"worker_id": "worker-123"}}
    options.update(overrides or {"seconds": 0.5})
    return JobSpec(
        id="metrics:worker-123", task="collect-worker-metrics", trigger="interval", **options
    )


def soon(seconds: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


PAST = datetime(2020, 1, 1, tzinfo=timezone.utc)


def bad(message: str, id: str = "x", task: str = "send-report", trigger: str = "interval", **more):
    return JobSpec(id=id, task=task, trigger=trigger, **more), message


BAD_SPECS = [
    bad("unknown trigger", trigger="weekly"),
    bad("invalid cron", trigger="cron", minute="61"),
    bad("unknown cron", trigger="cron", minutes="5"),
    bad("JSON", seconds=5, kwargs={"when": datetime.now()}),
    bad("change in JSON", seconds=5, args=[(1, 2)]),
    bad("limit is 200", id="x" * 201, seconds=5),
    bad("may only contain", id="has space", seconds=5),
    bad("unknown task", task="nobody-registered-this", seconds=5),
    bad("needs run_at", trigger="date"),
    bad("already past", trigger="date", run_at=PAST),
    bad("timezone-aware", trigger="date", run_at=datetime(2030, 1, 1)),
    bad("unknown interval", seconds=5, jitter=3),
    bad("static job", id="static-job", seconds=5),
]


@pytest.mark.parametrize(("spec", "message"), BAD_SPECS)
@asyncio_test
async def test_bad_specs_are_refused_and_nothing_is_written(redis_server, spec, message) -> None:
    scheduler = replica(redis_server, "a", [])
    scheduler.add_job(asyncio.sleep, "interval", seconds=60, args=[0], id="static-job")
    with pytest.raises(JobSpecError, match=message):
        await scheduler.schedule(spec)
    assert redis_server.client().keys("*") == []


@asyncio_test
async def test_specs_are_stored_as_plain_json_with_versions(redis_server) -> None:
    scheduler = replica(redis_server, "a", [])
    first = await scheduler.schedule(metrics_spec(seconds=300))
    second = await scheduler.schedule(metrics_spec(minutes=10))
    raw = redis_server.client().hget(f"{NS}:jobs", "metrics:worker-123")
    document = json.loads(raw)
    assert document["task"] == "collect-worker-metrics"
    assert document["kwargs"] == {"worker_id": "worker-123"}
    assert document["trigger"] == "interval" and document["trigger_args"] == {"minutes": 10}
    assert (first.version, second.version, document["version"]) == (1, 2, 2)
    assert document["created_at"] == first.created_at.isoformat()
    assert {"updated_at", "state", "paused"} <= set(document)


@asyncio_test
async def test_job_scheduled_on_one_replica_runs_once_per_tick_on_the_group(redis_server) -> None:
    runs: list = []
    # A long reconcile period: b can only learn of the changes through pub/sub.
    a = replica(redis_server, "a", runs, reconcile_interval=60)
    b = replica(redis_server, "b", runs, reconcile_interval=60)
    a.start()
    b.start()
    await asyncio.sleep(0.3)
    await a.schedule(metrics_spec())
    await asyncio.sleep(0.2)
    assert "metrics:worker-123" in b.status()["jobs"]  # pub/sub reached b at once
    await asyncio.sleep(2.0)
    assert await a.unschedule("metrics:worker-123")
    removed_at = datetime.now(timezone.utc).timestamp() * 1000
    await asyncio.sleep(1.0)
    await a.shutdown()
    await b.shutdown()

    ticks = [tick for _, tick, _, _ in runs]
    assert len(ticks) >= 3
    assert len(ticks) == len(set(ticks))
    assert {worker for *_, worker in runs} == {"worker-123"}
    assert not [tick for tick in ticks if tick > removed_at + 100]
    assert "metrics:worker-123" not in b.status()["jobs"]


@asyncio_test
async def test_periodic_reconcile_heals_a_missed_message(redis_server) -> None:
    runs: list = []
    a = replica(redis_server, "a", runs, reconcile_interval=0.5)
    a.start()
    await asyncio.sleep(0.2)
    # Written behind the replicas' backs: no change message is published.
    other = replica(redis_server, "writer", [])
    await other.schedule(metrics_spec(seconds=60))
    await other._dynamic.store.aclose()
    await asyncio.sleep(1.0)
    assert "metrics:worker-123" in a.status()["jobs"]
    redis_server.client().hdel(f"{NS}:jobs", "metrics:worker-123")
    await asyncio.sleep(1.0)
    assert "metrics:worker-123" not in a.status()["jobs"]
    await a.shutdown()


@asyncio_test
async def test_unknown_task_is_reported_not_crashed_on(redis_server, caplog) -> None:
    runs: list = []
    a = replica(redis_server, "a", runs)
    old_version = LockedScheduler(redis_server.url, NS, replica_id="old", reconcile_interval=0.5)
    a.start()
    old_version.start()
    with caplog.at_level(logging.ERROR, logger="locked_scheduler.dynamic"):
        await a.schedule(metrics_spec())
        await asyncio.sleep(0.5)
    status = old_version.status()
    assert status["status"] == "degraded"
    assert "unknown task" in status["dynamic_jobs"]["problems"]["metrics:worker-123"]
    assert any("unknown task" in r.getMessage() for r in caplog.records)
    listed = {job["id"]: job for job in old_version.list_jobs()}
    assert "unknown task" in listed["metrics:worker-123"]["problem"]
    await a.unschedule("metrics:worker-123")
    await asyncio.sleep(0.3)
    assert old_version.status()["status"] == "ok"
    await a.shutdown()
    await old_version.shutdown()


@asyncio_test
async def test_one_off_runs_once_and_is_marked_done(redis_server) -> None:
    runs: list = []
    a, b = replica(redis_server, "a", runs), replica(redis_server, "b", runs)
    a.start()
    b.start()
    run_at = soon(0.8).replace(microsecond=0) + timedelta(seconds=1)
    await b.schedule(
        JobSpec(id="report:2026-12-01", task="send-report", trigger="date", run_at=run_at)
    )
    await asyncio.sleep((run_at - datetime.now(timezone.utc)).total_seconds() + 1.0)
    await a.shutdown()
    await b.shutdown()
    assert [(job_id, tick) for job_id, tick, _, _ in runs] == [
        ("report:2026-12-01", round(run_at.timestamp() * 1000))
    ]
    stored = json.loads(redis_server.client().hget(f"{NS}:jobs", "report:2026-12-01"))
    assert stored["state"] == "done" and stored["last_outcome"] == "ran"


@asyncio_test
async def test_one_off_missed_while_all_replicas_were_down(redis_server) -> None:
    runs: list = []
    writer = replica(redis_server, "writer", runs, misfire_grace_time=1)
    await writer.schedule(
        JobSpec(
            id="late", task="send-report", trigger="date", run_at=soon(0.2), misfire_grace_time=1
        )
    )
    await writer._dynamic.store.aclose()
    await asyncio.sleep(1.5)  # nobody is running: its time and its grace pass
    a = replica(redis_server, "a", runs)
    a.start()
    await asyncio.sleep(0.5)
    await a.shutdown()
    assert runs == []
    stored = json.loads(redis_server.client().hget(f"{NS}:jobs", "late"))
    assert stored["state"] == "missed"


@asyncio_test
async def test_one_off_within_grace_runs_on_restart(redis_server) -> None:
    runs: list = []
    writer = replica(redis_server, "writer", runs)
    await writer.schedule(JobSpec(id="soon", task="send-report", trigger="date", run_at=soon(0.1)))
    await writer._dynamic.store.aclose()
    await asyncio.sleep(0.5)  # time passed while no replica ran, but within the 30 s grace
    a = replica(redis_server, "a", runs)
    a.start()
    await asyncio.sleep(0.8)
    await a.shutdown()
    assert [job_id for job_id, *_ in runs] == ["soon"]


@asyncio_test
async def test_pause_resume_and_list(redis_server) -> None:
    a = replica(redis_server, "a", [])
    a.add_job(asyncio.sleep, "cron", minute="*/5", args=[0], id="static-cleanup")
    a.start()
    await a.schedule(metrics_spec(minutes=5))
    listed = {job["id"]: job for job in a.list_jobs()}
    assert listed["static-cleanup"]["kind"] == "static"
    assert listed["static-cleanup"]["next_run_time"]
    assert listed["metrics:worker-123"]["kind"] == "dynamic"
    assert listed["metrics:worker-123"]["next_run_time"]
    await a.pause("metrics:worker-123")
    assert "metrics:worker-123" not in a.status()["jobs"]
    assert {job["id"]: job for job in a.list_jobs()}["metrics:worker-123"]["paused"] is True
    await a.resume("metrics:worker-123")
    assert "metrics:worker-123" in a.status()["jobs"]
    await a.shutdown()


@asyncio_test
async def test_cli_lists_pauses_resumes_and_removes(redis_server, capsys) -> None:
    a = replica(redis_server, "a", [])
    a.start()
    await a.schedule(metrics_spec(minutes=5))
    base = ["jobs", "--redis-url", redis_server.url, "--namespace", NS]

    async def cli(*args: str) -> int:
        return await asyncio.to_thread(cli_main, [*base, *args])

    assert await cli("list") == 0
    assert "metrics:worker-123" in capsys.readouterr().out
    assert await cli("pause", "metrics:worker-123") == 0
    await asyncio.sleep(0.3)
    assert "metrics:worker-123" not in a.status()["jobs"]  # the change reached the replica
    assert await cli("resume", "metrics:worker-123") == 0
    await asyncio.sleep(0.3)
    assert "metrics:worker-123" in a.status()["jobs"]
    assert await cli("list", "--json") == 0
    assert json.loads(capsys.readouterr().out.split("\n", 2)[-1])[0]["paused"] is False
    assert await cli("remove", "metrics:worker-123") == 0
    await asyncio.sleep(0.3)
    assert "metrics:worker-123" not in a.status()["jobs"]
    assert await cli("remove", "metrics:worker-123") == 1
    await a.shutdown()


@asyncio_test
async def test_run_time_jobs_work_without_redis_for_development() -> None:
    runs: list = []
    scheduler = LockedScheduler(None, NS, replica_id="dev", reconcile_interval=0.5)

    @scheduler.task("send-report")
    def send_report() -> None:
        runs.append(current_run().job_id)

    scheduler.start()
    await scheduler.schedule(
        JobSpec(id="dev-report", task="send-report", trigger="date", run_at=soon(0.3))
    )
    await asyncio.sleep(0.8)
    listed = {job["id"]: job for job in scheduler.list_jobs()}
    await scheduler.shutdown()
    assert runs == ["dev-report"]
    assert listed["dev-report"]["state"] == "done"


def test_cli_runs_as_a_module(redis_server) -> None:
    src = Path(__file__).resolve().parents[2] / "src"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")]),
    }
    redis_server.client().hset(f"{NS}:jobs", "m", StoredJob(metrics_spec()).to_json())
    result = subprocess.run(
        [sys.executable, "-m", "locked_scheduler", "jobs", "--redis-url", redis_server.url,
         "--namespace", NS, "list"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "metrics:worker-123" in result.stdout
    assert "collect-worker-metrics" in result.stdout
