"""Optional Prometheus metrics: ``LockedScheduler(metrics=True)`` (extra ``[metrics]``).

``prometheus_client`` is imported only when metrics are asked for; without it the
scheduler works the same and ``metrics=True`` says which extra to install.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar


class Metrics:
    """Per replica: runs per job and outcome, run duration, claim latency, clock offset
    and the last success per job (the cluster-wide view is ``{ns}:state``)."""

    _default: ClassVar[Metrics | None] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def default(cls) -> Metrics:
        """The metrics on prometheus_client's default registry, made once per process: a
        registry refuses a second metric of the same name, and every scheduler of the
        process (its jobs are labels) shares them."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = cls()
            return cls._default

    def __init__(self, registry: Any = None) -> None:
        try:
            import prometheus_client as prom
        except ImportError as error:
            raise ImportError(
                "metrics need prometheus_client: pip install 'check-background-tasks[metrics]'"
            ) from error
        options: dict[str, Any] = {} if registry is None else {"registry": registry}
        self.runs = prom.Counter(
            "locked_scheduler_runs_total",
            "Ticks handled by this replica, by job and outcome (ran, skipped_claimed, ...)",
            ["job", "outcome"],
            **options,
        )
        self.run_duration = prom.Histogram(
            "locked_scheduler_run_duration_seconds",
            "Duration of the runs this replica executed",
            ["job"],
            **options,
        )
        self.claim_latency = prom.Histogram(
            "locked_scheduler_claim_latency_seconds",
            "Round trip of one claim to Redis",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
            **options,
        )
        self.clock_offset = prom.Gauge(
            "locked_scheduler_clock_offset_seconds",
            "Redis' clock minus this replica's, RTT-corrected",
            **options,
        )
        self.last_success = prom.Gauge(
            "locked_scheduler_last_success_timestamp_seconds",
            "When a run of the job last succeeded on this replica (epoch seconds)",
            ["job"],
            **options,
        )

    def tick(self, job_id: str, outcome: str, duration_s: float | None, now: float) -> None:
        self.runs.labels(job=job_id, outcome=outcome).inc()
        if duration_s is not None:
            self.run_duration.labels(job=job_id).observe(duration_s)
        if outcome == "ran":
            self.last_success.labels(job=job_id).set(now)

    def claimed(self, latency_s: float) -> None:
        self.claim_latency.observe(latency_s)

    def offset(self, offset_s: float | None) -> None:
        if offset_s is not None:
            self.clock_offset.set(offset_s)
