"""The full chaos run (the CI test is its 30-second variant); see bench/README-runtime.md.

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600.0)
    parser.add_argument("--replicas", type=int, default=4)
    parser.add_argument("--max-skew-ms", type=float, default=450.0)
    parser.add_argument("--redis-outage-at", type=float, default=None,
                        help="seconds after start (default: the middle of the run)")  # fmt: skip
    parser.add_argument("--mode", choices=("locked", "naive"), default="locked")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    config = ChaosConfig(
        duration_s=args.duration,
        replicas=args.replicas,
        max_skew_ms=args.max_skew_ms,
        redis_outage_at_s=args.redis_outage_at or args.duration / 2,
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
            ("coverage below 95 %", report.coverage < 0.95),
        )
        if failed
    ]
    print("FAILED: " + ", ".join(failures) if failures else "all assertions hold")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
