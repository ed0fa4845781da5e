"""A replica process for the run-time job tests: registers tasks, logs every run."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from locked_scheduler import LockedScheduler, current_run

NAMESPACE = "dynp"


def build(redis_url: str, replica: str, log_path: str, reconcile_s: float) -> LockedScheduler:
    scheduler = LockedScheduler(
        redis_url, NAMESPACE, replica_id=replica, reconcile_interval=reconcile_s, lease_ttl=3
    )
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    @scheduler.task("record")
    async def record(**kwargs: object) -> None:
        run = current_run()
        line = {"job": run.job_id, "tick_ms": run.tick_ms, "replica": run.replica_id,
                "fence": run.fence, "t": time.time(), "kwargs": kwargs}  # fmt: skip
        os.write(fd, (json.dumps(line) + "\n").encode())  # unbuffered: survives SIGKILL

    return scheduler


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--replica", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--reconcile", type=float, default=1.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(created).3f %(name)s %(message)s")
    scheduler = build(args.redis_url, args.replica, args.log, args.reconcile)
    scheduler.start()
    await asyncio.sleep(0.3)
    Path(args.log + ".ready").touch()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
