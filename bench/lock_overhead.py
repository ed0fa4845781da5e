"""Per-run coordination cost: LockedScheduler's claim + lease vs redis-py's Lock.

Both are measured in the same process against the same redis-server, interleaved in
rounds so that machine noise hits them alike. Prints microseconds per run and ratios, and
the number of requests each run sends to Redis (round trips).

    python bench/lock_overhead.py                 # starts a throw-away redis-server
    python bench/lock_overhead.py --redis-url redis://127.0.0.1:6379/15 --runs 5000
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import redis
import redis.asyncio as aredis

from locked_scheduler.lock import RedisBackend

CLAIM_TTL_MS = 60_000
LEASE_TTL_MS = 30_000


@contextmanager
def throwaway_redis():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="bench-redis-")
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.02)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


class Cases:
    """Each case performs one coordinated run's Redis work (no job body)."""

    def __init__(self, url: str) -> None:
        self.backend = RedisBackend(url, f"bench-{uuid.uuid4().hex[:6]}")
        self.client = aredis.Redis.from_url(url)
        self.tick = 1_000_000_000_000

    async def claim_and_release(self) -> None:
        self.tick += 1000
        token = uuid.uuid4().hex
        await self.backend.claim("job", self.tick, token, CLAIM_TTL_MS, LEASE_TTL_MS)
        await self.backend.release("job", token)

    async def claim_lost(self) -> None:
        # What every replica but the winner pays per tick.
        await self.backend.claim("job", self.tick, uuid.uuid4().hex, CLAIM_TTL_MS, LEASE_TTL_MS)

    async def redis_py_lock(self) -> None:
        lock = self.client.lock("bench-lock", timeout=LEASE_TTL_MS / 1000, blocking_timeout=0)
        await lock.acquire()
        await lock.release()


async def timed(case: Callable[[], Awaitable[None]], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await case()
        samples.append(time.perf_counter() - started)
    return samples


async def round_trips_per_run(case: Callable[[], Awaitable[None]], runs: int = 100) -> float:
    """Requests the client sends per run (server-side counters would include Lua's calls)."""
    connection_class = getattr(
        aredis.connection, "AbstractConnection", aredis.connection.Connection
    )
    original = connection_class.send_packed_command
    sent = 0

    async def counting(self, *args, **kwargs):
        nonlocal sent
        sent += 1
        return await original(self, *args, **kwargs)

    connection_class.send_packed_command = counting
    try:
        for _ in range(runs):
            await case()
    finally:
        connection_class.send_packed_command = original
    return sent / runs


async def bench(url: str, runs: int, rounds: int) -> None:
    cases = Cases(url)
    named = {
        "claim+lease+release (won)": cases.claim_and_release,
        "claim (lost: another replica won)": cases.claim_lost,
        "redis-py Lock acquire+release": cases.redis_py_lock,
    }
    for case in named.values():  # warm-up: connections, script cache
        await timed(case, 50)
    samples: dict[str, list[float]] = {name: [] for name in named}
    for _ in range(rounds):
        for name, case in named.items():
            samples[name] += await timed(case, runs // rounds)
    trips = {name: await round_trips_per_run(case) for name, case in named.items()}

    baseline = statistics.median(samples["redis-py Lock acquire+release"])
    print(f"python {sys.version.split()[0]}, redis-py {redis.__version__}, {runs} runs per case")
    print(f"{'case':38} {'median µs':>10} {'p99 µs':>9} {'trips/run':>9} {'vs Lock':>8}")
    for name, values in samples.items():
        values.sort()
        median = statistics.median(values)
        p99 = values[int(len(values) * 0.99) - 1]
        print(
            f"{name:38} {median * 1e6:10.1f} {p99 * 1e6:9.1f} {trips[name]:9.2f} "
            f"{median / baseline:7.2f}x"
        )
    await cases.backend.aclose()
    await cases.client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url")
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    if args.redis_url:
        asyncio.run(bench(args.redis_url, args.runs, args.rounds))
    else:
        with throwaway_redis() as url:
            asyncio.run(bench(url, args.runs, args.rounds))


if __name__ == "__main__":
    main()
