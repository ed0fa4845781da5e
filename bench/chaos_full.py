"""The full chaos run (the CI test is its 30-second variant); see bench/README-runtime.md.

Faults: SIGKILLed replicas, Redis pauses (SIGSTOP/SIGCONT), one Redis restart without
persistence, partitions of replica r0 (a TCP proxy dropping its traffic), and two extra
replicas 90 s behind and ahead (they must claim nothing).


    python bench/chaos_full.py --duration 600 --seed 7
    python bench/chaos_full.py --duration 60 --mode naive    # must report duplicates
Exit code 0 when every assertion of the issue holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "runtime"), str(ROOT / "tests" / "chaos")]

from chaos_analysis import analyse  # noqa: E402
from chaos_harness import ChaosConfig, run_chaos  # noqa: E402
from redis_server_process import RedisServer  # noqa: E402


def _spread(duration: float, count: int, phase: float) -> tuple[float, ...]:
    """``count`` instants across the run, offset by ``phase`` of a slot (events never meet)."""
    slot = duration / (count + 1) if count else 0.0
    return tuple(round(slot * (n + phase + 0.5), 1) for n in range(count))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600.0)
    parser.add_argument("--replicas", type=int, default=4)
    parser.add_argument("--max-skew-ms", type=float, default=450.0)
    parser.add_argument("--redis-outage-at", type=float, default=None,
                        help="seconds after start (default: the middle of the run)")  # fmt: skip
    parser.add_argument("--pauses", type=int, default=2, help="Redis pauses, spread out")
    parser.add_argument("--partitions", type=int, default=2, help="partitions of r0")
    parser.add_argument("--mode", choices=("locked", "naive"), default="locked")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    config = ChaosConfig(
        duration_s=args.duration,
        replicas=args.replicas,
        max_skew_ms=args.max_skew_ms,
        redis_outage_at_s=args.redis_outage_at or args.duration / 2,
        redis_pauses_at_s=_spread(args.duration, args.pauses, 0.2),
        partitions_at_s=_spread(args.duration, args.partitions, 0.3),
        far_skews_s=(-90.0, 90.0) if args.mode == "locked" else (),
        mode=args.mode,
        seed=args.seed,
    )
    server = RedisServer()
    server.start()
    try:
        chaos = run_chaos(config, server)
    finally:
        server.stop()
    report = analyse(chaos)
    print(report.summary())
    print(f"run logs: {chaos.log_dir}")
    failures = [
        name
        for name, failed in (
            ("duplicate ticks", any(report.duplicate_ticks.values())),
            ("fence regressions", any(report.fence_regressions.values())),
            ("long job overlapped", bool(report.overlaps)),
            ("a replica 90 s off ran ticks", report.far_replica_runs > 0),
            ("coverage below 95 %", report.coverage < 0.95),
        )
        if failed
    ]
    print("FAILED: " + ", ".join(failures) if failures else "all assertions hold")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
