"""``LockedScheduler(metrics=...)`` (extra ``[metrics]``), against a recording stand-in for
``prometheus_client`` (the test environment does not install the extra)."""

from __future__ import annotations

import sys
import types
from collections import defaultdict
from typing import ClassVar

import pytest
from async_helpers import asyncio_test, wait_until

from locked_scheduler import LockedScheduler
from locked_scheduler.metrics import Metrics


class _Metric:
    values: ClassVar[dict[tuple[str, tuple], list[float]]] = defaultdict(list)

    def __init__(self, name: str, documentation: str, labelnames=(), **options) -> None:
        self.name = name
        self._labels: tuple = ()

    def labels(self, **labels: str) -> _Metric:
        child = _Metric(self.name, "")
        child._labels = tuple(sorted(labels.items()))
        return child

    def _record(self, value: float) -> None:
        _Metric.values[(self.name, self._labels)].append(value)

    inc = lambda self, amount=1.0: self._record(amount)  # noqa: E731
    observe = set = _record


@pytest.fixture
def fake_prometheus(monkeypatch):
    _Metric.values.clear()
    module = types.ModuleType("prometheus_client")
    module.Counter = module.Histogram = module.Gauge = _Metric  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "prometheus_client", module)
    return _Metric.values


@asyncio_test
async def test_runs_claims_and_clock_offset_are_measured(redis_server, fake_prometheus) -> None:
    scheduler = LockedScheduler(redis_server.url, "metrics", replica_id="r", metrics=True)

    @scheduler.job("interval", seconds=0.5, id="measured")
    async def measured() -> None:
        return None

    scheduler.start()
    try:
        ran = ("locked_scheduler_runs_total", (("job", "measured"), ("outcome", "ran")))
        await wait_until(lambda: len(fake_prometheus[ran]) >= 2, 20, "two runs counted")
    finally:
        await scheduler.shutdown()
    duration = ("locked_scheduler_run_duration_seconds", (("job", "measured"),))
    success = ("locked_scheduler_last_success_timestamp_seconds", (("job", "measured"),))
    assert fake_prometheus[duration] and all(d >= 0 for d in fake_prometheus[duration])
    assert fake_prometheus[success][-1] > 1.7e9
    assert fake_prometheus[("locked_scheduler_claim_latency_seconds", ())]
    assert abs(fake_prometheus[("locked_scheduler_clock_offset_seconds", ())][-1]) < 1.0


def test_without_prometheus_client_metrics_name_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # import fails
    with pytest.raises(ImportError, match=r"check-background-tasks\[metrics\]"):
        Metrics()
    assert LockedScheduler(None).status()["backend"] == "memory"  # no metrics: no import
