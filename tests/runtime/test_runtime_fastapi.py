"""GET /health/scheduler in a FastAPI app whose lifespan runs the scheduler."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi import FastAPI
from fastapi.testclient import TestClient

from locked_scheduler import LockedScheduler
from locked_scheduler.fastapi import health_router


def app_with(scheduler: LockedScheduler, **router_options) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        scheduler.start()  # inside the server's running loop, as documented
        yield
        await scheduler.shutdown()

    app = FastAPI(lifespan=lifespan)
    app.include_router(health_router(scheduler, **router_options))
    return app


def test_health_is_ok_while_the_app_runs_and_503_once_stopped(redis_server) -> None:
    scheduler = LockedScheduler(redis_server.url, "api", health_interval=0.1)
    scheduler.add_job(asyncio.sleep, "interval", seconds=60, args=[0], id="probe")
    with TestClient(app_with(scheduler)) as client:
        response = client.get("/health/scheduler")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert body["jobs"]["probe"]["next_run_time"]
    stopped = TestClient(app_with(scheduler)).get("/health/scheduler")  # lifespan not run
    assert stopped.status_code == 503
    assert stopped.json()["status"] == "stopped"


def test_degraded_answers_200_unless_configured(redis_server) -> None:
    scheduler = LockedScheduler(redis_server.url, "api", health_interval=0.1, redis_timeout=0.3)
    with TestClient(app_with(scheduler)) as lenient:
        redis_server.kill()
        deadline = time.monotonic() + 5
        while lenient.get("/health/scheduler").json()["status"] != "degraded":
            assert time.monotonic() < deadline, "Redis outage not noticed"
            time.sleep(0.05)
        assert lenient.get("/health/scheduler").status_code == 200
    strict_scheduler = LockedScheduler(
        redis_server.url, "api", health_interval=0.1, redis_timeout=0.3
    )
    with TestClient(app_with(strict_scheduler, degraded_status_code=503)) as strict:
        deadline = time.monotonic() + 5
        while (response := strict.get("/health/scheduler")).json()["status"] != "degraded":
            assert time.monotonic() < deadline, "Redis outage not noticed"
            time.sleep(0.05)
        assert response.status_code == 503
