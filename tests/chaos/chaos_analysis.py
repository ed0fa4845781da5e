"""Turn a chaos run's logs into the issue's assertions: duplicates, fences, overlap, coverage."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chaos_harness import ChaosRun

NEAR_RESTART_S = 1.0  # ticks this close to a non-persistent Redis restart are reported apart


@dataclass
class Run:
    job: str
    tick_ms: int
    fence: int | None
    replica: str
    pid: int
    start: float
    end: float | None  # None: killed before it finished


@dataclass
class ChaosReport:
    runs: list[Run]
    kills: int = 0
    dead_leases: int = 0
    redis_restarts: int = 0
    redis_pauses: int = 0
    partitions: int = 0
    far_replica_runs: int = 0  # runs by the replicas whose clocks are far off: must be 0
    duplicate_ticks: dict[str, list[int]] = field(default_factory=dict)
    duplicate_ticks_near_restart: dict[str, list[int]] = field(default_factory=dict)
    fence_regressions: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    overlaps: list[tuple[Run, Run]] = field(default_factory=list)
    overlaps_near_restart: list[tuple[Run, Run]] = field(default_factory=list)
    expected_ticks: int = 0
    ran_ticks: int = 0
    excluded_ticks: int = 0

    @property
    def coverage(self) -> float:
        return self.ran_ticks / self.expected_ticks if self.expected_ticks else 0.0

    def summary(self) -> str:
        def sizes(by_job: dict[str, list[Any]]) -> dict[str, int]:
            return {job: len(items) for job, items in by_job.items()}

        return (
            f"runs={len(self.runs)} kills={self.kills} dead_leases={self.dead_leases} "
            f"redis_restarts={self.redis_restarts} pauses={self.redis_pauses} "
            f"partitions={self.partitions} far_replica_runs={self.far_replica_runs} "
            f"duplicates={sizes(self.duplicate_ticks)} "
            f"duplicates_near_restart={sizes(self.duplicate_ticks_near_restart)} "
            f"fence_regressions={sizes(self.fence_regressions)} "
            f"overlaps={len(self.overlaps)} "
            f"overlaps_near_restart={len(self.overlaps_near_restart)} "
            f"coverage={self.ran_ticks}/{self.expected_ticks}={self.coverage:.1%} "
            f"excluded_ticks={self.excluded_ticks}"
        )


def analyse(chaos: ChaosRun) -> ChaosReport:
    runs = _runs(chaos)
    report = ChaosReport(
        runs,
        kills=len(chaos.kills),
        dead_leases=len(chaos.dead_leases),
        redis_restarts=len(chaos.outages),
        redis_pauses=len(chaos.pauses),
        partitions=len(chaos.partitions),
        far_replica_runs=sum(run.replica.startswith("far") for run in runs),
    )
    restarts = [up for _, up in chaos.outages]
    outages = chaos.outages

    def near_restart(seconds: float) -> bool:
        return any(abs(seconds - up) <= NEAR_RESTART_S for up in restarts)

    for job in sorted({run.job for run in runs}):
        job_runs = [run for run in runs if run.job == job]
        counted = Counter(run.tick_ms for run in job_runs)
        twice = sorted(tick for tick, n in counted.items() if n > 1)
        report.duplicate_ticks[job] = [t for t in twice if not near_restart(t / 1000)]
        report.duplicate_ticks_near_restart[job] = [t for t in twice if near_restart(t / 1000)]
        ordered = sorted(job_runs, key=lambda run: (run.tick_ms, run.start))
        report.fence_regressions[job] = [
            (a.fence, b.fence)
            for a, b in itertools.pairwise(ordered)
            if a.fence is not None and b.fence is not None and b.fence <= a.fence
        ]

    long_runs = sorted((run for run in runs if run.job == "long"), key=lambda run: run.start)
    for earlier, later in itertools.pairwise(long_runs):
        end = (
            earlier.end if earlier.end is not None else chaos.kills.get(earlier.pid, chaos.ended_at)
        )
        if later.start < end:
            touching = any(down - 1 <= later.start <= up + 1 for down, up in outages)
            (report.overlaps_near_restart if touching else report.overlaps).append((earlier, later))

    _coverage(chaos, runs, report)
    return report


def _runs(chaos: ChaosRun) -> list[Run]:
    starts: dict[tuple[int, str, int], dict[str, Any]] = {}
    ends: dict[tuple[int, str, int], float] = {}
    for record in chaos.records:
        key = (record["pid"], record["job"], record["tick_ms"])
        if record["event"] == "start":
            starts[key] = record
        else:
            ends[key] = record["t"]
    return [
        Run(r["job"], r["tick_ms"], r["fence"], r["replica"], r["pid"], r["t"], ends.get(key))
        for key, r in starts.items()
    ]


def _coverage(chaos: ChaosRun, runs: list[Run], report: ChaosReport) -> None:
    """Share of the short job's ticks that ran, outside Redis outages and dead leases."""
    config = chaos.config
    first = int(chaos.started_at + config.warmup_s) + 1
    last = int(chaos.ended_at) - 2  # the last ticks may still be running at the end
    dead_leases = [(since, until) for job, since, until in chaos.dead_leases if job == "tick"]
    # A claim that reached Redis but whose answer the partition swallowed holds the lease
    # of a run nobody started, until its ttl: those ticks are an outage too.
    lease_s = config.lease_ttl_s
    blocked = (
        [(down - 1, up + 1) for down, up in chaos.outages + chaos.pauses]
        + [(cut - 1, cut + lease_s + 1) for cut, _ in chaos.partitions]
        + dead_leases
    )
    ran = {run.tick_ms // 1000 for run in runs if run.job == "tick"}
    for second in range(first, last + 1):
        if any(lo <= second <= hi for lo, hi in blocked):
            report.excluded_ticks += 1
            continue
        report.expected_ticks += 1
        report.ran_ticks += second in ran
