"""The issue's chaos proof: 4 replicas (clocks skewed up to 450 ms) plus two 90 s off (one
behind, one ahead), SIGKILLs, a Redis pause, a Redis restart, a partition of one replica.

The same harness with the naive release-in-finally lock must fail the no-duplicate check,
which shows the check can tell the designs apart.
"""

from __future__ import annotations

import pytest
from chaos_analysis import ChaosReport, analyse
from chaos_harness import ChaosConfig, run_chaos

pytestmark = pytest.mark.chaos


def assert_no_duplicate_ticks(report: ChaosReport) -> None:
    duplicates = {job: ticks for job, ticks in report.duplicate_ticks.items() if ticks}
    assert not duplicates, f"ticks started more than once: {duplicates}"


def test_locked_scheduler_survives_chaos(redis_server, tmp_path) -> None:
    # 60 s: about 40 ticks are judged, so 95 % coverage allows two misses. At 30 s only 10
    # to 14 were, and a single missed tick failed the run: 9/10, three times in about
    # twenty full runs, each with six kills and two dead leases. Not reproduced on demand
    # (five 30 s runs alone: 100 %); the likeliest cause is a tick every live replica
    # claimed after its deadline while killed ones restarted on two cores, which the
    # deadline makes a skip by design. No run ever started a tick twice.
    chaos = run_chaos(ChaosConfig(duration_s=60.0), redis_server, str(tmp_path))
    report = analyse(chaos)
    print(report.summary())
    print("near the Redis restart (reported, not asserted):",
          report.duplicate_ticks_near_restart, len(report.overlaps_near_restart))  # fmt: skip
    assert chaos.kills, "the harness should have killed replicas"
    assert chaos.outages, "the harness should have restarted Redis"
    assert chaos.pauses and chaos.partitions, "the harness should have paused and cut"
    assert report.far_replica_runs == 0, "a replica 90 s off ran ticks"
    assert_no_duplicate_ticks(report)
    assert not any(report.fence_regressions.values()), report.fence_regressions
    assert not report.overlaps, f"the 1.5 s job overlapped itself: {report.overlaps}"
    assert report.coverage >= 0.95, report.summary()


def test_naive_lock_fails_the_duplicate_check(redis_server, tmp_path) -> None:
    config = ChaosConfig(
        duration_s=10.0,
        redis_outage_at_s=None,
        redis_pauses_at_s=(),
        partitions_at_s=(),
        far_skews_s=(),
        mode="naive",
    )
    report = analyse(run_chaos(config, redis_server, str(tmp_path)))
    print(report.summary())
    with pytest.raises(AssertionError, match="more than once"):
        assert_no_duplicate_ticks(report)
