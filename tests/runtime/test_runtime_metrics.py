"""``LockedScheduler(metrics=...)`` (extra ``[metrics]``), against the real
``prometheus_client`` and a real redis-server."""

from __future__ import annotations

import sys

import pytest
from async_helpers import asyncio_test, wait_until
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

from locked_scheduler import LockedScheduler
from locked_scheduler.metrics import Metrics


@asyncio_test
async def test_runs_claims_and_clock_offset_are_measured(redis_server) -> None:
    registry = CollectorRegistry()
    scheduler = LockedScheduler(
        redis_server.url, "metrics", replica_id="r", metrics=Metrics(registry=registry)
    )

    @scheduler.job("interval", seconds=0.5, id="measured")
    async def measured() -> None:
        return None

    def sample(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    scheduler.start()
    try:
        await wait_until(
            lambda: (
                (sample("locked_scheduler_runs_total", job="measured", outcome="ran") or 0) >= 2
            ),
            20,
            "two runs counted",
        )
    finally:
        await scheduler.shutdown()
    assert (sample("locked_scheduler_run_duration_seconds_count", job="measured") or 0) >= 2
    last = sample("locked_scheduler_last_success_timestamp_seconds", job="measured")
    assert last is not None and last > 1.7e9
    assert (sample("locked_scheduler_claim_latency_seconds_count") or 0) >= 2
    offset = sample("locked_scheduler_clock_offset_seconds")
    assert offset is not None and abs(offset) < 1.0
    # what a Prometheus server scrapes
    assert b'locked_scheduler_runs_total{job="measured",outcome="ran"}' in generate_latest(registry)


def test_two_schedulers_of_one_process_share_the_default_metrics() -> None:
    # prometheus_client's registry refuses a second metric of the same name: a process
    # with two schedulers (a test suite, a worker with two namespaces) must not crash.
    first = LockedScheduler(None, "a", metrics=True)
    second = LockedScheduler(None, "b", metrics=True)
    assert first.status()["backend"] == second.status()["backend"] == "memory"
    assert Metrics.default() is Metrics.default()
    assert REGISTRY.get_sample_value("locked_scheduler_clock_offset_seconds") is not None


def test_without_prometheus_client_metrics_name_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # import fails
    with pytest.raises(ImportError, match=r"check-background-tasks\[metrics\]"):
        Metrics()
    assert LockedScheduler(None).status()["backend"] == "memory"  # no metrics: no import
