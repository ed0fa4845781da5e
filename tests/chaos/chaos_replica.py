"""One replica process of the chaos test: runs the jobs, logs every run to a file.

The run log lives outside Redis (one append-only file per process, written with
unbuffered ``os.write`` so a SIGKILL loses nothing already started).

``--mode locked``: LockedScheduler. ``--mode naive``: plain APScheduler plus
``with_redis_lock`` (release in ``finally``), the recipe the issue shows to be wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import time
from datetime import datetime, timezone

TICK_JOB_S = 0.05  # the "1 s job": fires every second, runs briefly
LONG_JOB_S = 1.5  # fires every second, runs 1.5 s: must never overlap itself


class RunLog:
    def __init__(self, path: str, replica: str) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._replica = replica

    def write(self, event: str, job: str, tick_ms: int, fence: int | None) -> None:
        record = {
            "event": event,
            "job": job,
            "tick_ms": tick_ms,
            "fence": fence,
            "replica": self._replica,
            "pid": os.getpid(),
            "t": time.time(),  # real (unskewed) time, to compare across processes
        }
        os.write(self._fd, (json.dumps(record) + "\n").encode())


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--namespace", default="chaos")
    parser.add_argument("--replica", required=True)
    parser.add_argument("--skew-ms", type=float, default=0.0)
    parser.add_argument("--log", required=True)
    parser.add_argument("--mode", choices=("locked", "naive"), default="locked")
    parser.add_argument("--lease-ttl", type=float, default=2.0)
    return parser.parse_args()


async def run_locked(args: argparse.Namespace, clock, log: RunLog) -> None:
    from locked_scheduler import LockedScheduler, current_run

    scheduler = LockedScheduler(
        args.redis_url,
        args.namespace,
        replica_id=args.replica,
        clock=clock,
        lease_ttl=args.lease_ttl,
        redis_timeout=0.5,
        health_interval=0.5,
    )

    @scheduler.job("interval", seconds=1, id="tick")
    def tick_job() -> None:  # sync: runs in a thread
        run = current_run()
        log.write("start", "tick", run.tick_ms, run.fence)
        time.sleep(TICK_JOB_S)
        log.write("end", "tick", run.tick_ms, run.fence)

    @scheduler.job("interval", seconds=1, id="long")
    async def long_job() -> None:
        run = current_run()
        log.write("start", "long", run.tick_ms, run.fence)
        try:
            await asyncio.sleep(LONG_JOB_S)
        finally:  # also when cancelled because its lease could not be renewed
            log.write("end", "long", run.tick_ms, run.fence)

    scheduler.start()
    await asyncio.Event().wait()  # until SIGKILL


async def run_naive(args: argparse.Namespace, clock, log: RunLog) -> None:
    import redis.asyncio as aredis

    from locked_scheduler import with_redis_lock
    from locked_scheduler.aps import ClockedAsyncIOScheduler
    from locked_scheduler.clock import install_apscheduler_clock_hook
    from locked_scheduler.triggers import EPOCH

    install_apscheduler_clock_hook()
    client = aredis.Redis.from_url(args.redis_url)
    scheduler = ClockedAsyncIOScheduler(clock, timezone="UTC")

    def nearest_tick_ms() -> int:
        # The naive job never learns its scheduled time; its own clock is the best guess.
        return round(clock()) * 1000

    @with_redis_lock(f"{args.namespace}:naive:tick", timeout=30, client=client)
    async def tick_job() -> None:
        tick_ms = nearest_tick_ms()
        log.write("start", "tick", tick_ms, None)
        await asyncio.sleep(TICK_JOB_S)
        log.write("end", "tick", tick_ms, None)

    @with_redis_lock(f"{args.namespace}:naive:long", timeout=30, client=client)
    async def long_job() -> None:
        tick_ms = nearest_tick_ms()
        log.write("start", "long", tick_ms, None)
        await asyncio.sleep(LONG_JOB_S)
        log.write("end", "long", tick_ms, None)

    for job_id, func in (("tick", tick_job), ("long", long_job)):
        scheduler.add_job(
            func, "interval", seconds=1, start_date=EPOCH, id=job_id, misfire_grace_time=1
        )
    scheduler.start()
    await asyncio.Event().wait()


def main() -> None:
    args = parse_args()
    skew_s = args.skew_ms / 1000

    def clock() -> float:
        return time.time() + skew_s

    log = RunLog(args.log, args.replica)
    # The scheduler's own per-tick lines go to this process's .out file, for post-mortems.
    logging.basicConfig(level=logging.INFO, format="%(created).3f %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    print(f"{datetime.now(timezone.utc).isoformat()} replica {args.replica} skew {args.skew_ms} ms",
          flush=True)  # fmt: skip
    runner = run_locked if args.mode == "locked" else run_naive
    asyncio.run(runner(args, clock, log))


if __name__ == "__main__":
    main()
