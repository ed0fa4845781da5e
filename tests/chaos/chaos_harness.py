"""Drive replica processes through kills, skew, Redis pauses, restarts and a partition.

Faults, all real: SIGKILL of replicas (then a restart), SIGSTOP/SIGCONT of redis-server (a
pause), SIGKILL of redis-server without persistence (a restart that loses every key), a
TCP proxy in front of one replica that drops all of its traffic (a partition), and two
replicas whose clocks are far off (they must claim nothing).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from tcp_proxy import TcpProxy

REPO = Path(__file__).resolve().parents[2]
REPLICA_SCRIPT = Path(__file__).resolve().parent / "chaos_replica.py"


@dataclass
class ChaosConfig:
    duration_s: float = 30.0
    replicas: int = 4
    max_skew_ms: float = 450.0
    kill_every_s: tuple[float, float] = (2.0, 4.0)  # random pause between SIGKILLs
    restart_after_s: tuple[float, float] = (0.3, 1.5)
    redis_outage_at_s: float | None = 14.0  # one Redis SIGKILL + restart (None: none)
    redis_outage_s: float = 1.5
    redis_pauses_at_s: tuple[float, ...] = (8.0,)  # SIGSTOP ... SIGCONT of redis-server
    redis_pause_s: float = 2.5
    partitions_at_s: tuple[float, ...] = (20.0,)  # replica r0's proxy drops everything
    partition_s: float = 3.0
    far_skews_s: tuple[float, ...] = (-90.0, 90.0)  # extra replicas this far off: claim nothing
    warmup_s: float = 3.0  # replicas import and start; ticks before this are not counted
    lease_ttl_s: float = 2.0
    mode: str = "locked"  # or "naive"
    seed: int = int(os.environ.get("CHAOS_SEED", "4"))  # vary it to explore other schedules


@dataclass
class Replica:
    name: str
    skew_ms: float
    process: subprocess.Popen[bytes] | None = None


@dataclass
class ChaosRun:
    config: ChaosConfig
    records: list[dict[str, Any]] = field(default_factory=list)
    kills: dict[int, float] = field(default_factory=dict)  # pid -> SIGKILL time
    outages: list[tuple[float, float]] = field(default_factory=list)  # Redis down..up
    pauses: list[tuple[float, float]] = field(default_factory=list)  # Redis stopped..resumed
    partitions: list[tuple[float, float]] = field(default_factory=list)  # r0 cut..healed
    # Running leases a SIGKILLed replica still held: (job, from, until). By design nobody
    # may run that job until the lease expires, so those ticks are an outage, not a miss.
    dead_leases: list[tuple[str, float, float]] = field(default_factory=list)
    started_at: float = 0.0
    ended_at: float = 0.0
    log_dir: str = ""


FAR = "far"  # name prefix of the replicas whose clocks are far off


def run_chaos(config: ChaosConfig, redis_server: Any, log_dir: str | None = None) -> ChaosRun:
    rng = random.Random(config.seed)
    run = ChaosRun(config, log_dir=log_dir or tempfile.mkdtemp(prefix="chaos-"))
    replicas = [
        Replica(f"r{n}", rng.uniform(0, config.max_skew_ms)) for n in range(config.replicas)
    ]
    # r0 reaches Redis through a proxy, so it alone can be partitioned.
    proxy = TcpProxy(redis_server.port) if config.partitions_at_s else None
    urls = {replica.name: redis_server.url for replica in replicas}
    if proxy is not None:
        urls["r0"] = proxy.url
    for n, skew_s in enumerate(config.far_skews_s):
        far = Replica(f"{FAR}{n}", skew_s * 1000)
        urls[far.name] = redis_server.url
        replicas.append(far)
    events = sorted(
        [(at, "pause") for at in config.redis_pauses_at_s]
        + [(at, "partition") for at in (config.partitions_at_s if proxy else ())]
    )
    run.started_at = time.time()
    for replica in replicas:
        if replica.process is None:
            _spawn(replica, urls[replica.name], run)
    next_kill = run.started_at + config.warmup_s + rng.uniform(*config.kill_every_s)
    restarts: list[tuple[float, Replica]] = []
    outage_at = (
        None if config.redis_outage_at_s is None else run.started_at + config.redis_outage_at_s
    )
    deadline = run.started_at + config.duration_s
    try:
        while (now := time.time()) < deadline:
            if events and now >= run.started_at + events[0][0]:
                _, kind = events.pop(0)
                if kind == "pause":
                    redis_server.pause()
                    down_at = time.time()
                    try:
                        time.sleep(config.redis_pause_s)
                    finally:
                        redis_server.resume()
                    run.pauses.append((down_at, time.time()))
                else:
                    assert proxy is not None
                    proxy.partition()
                    cut_at = time.time()
                    try:
                        time.sleep(config.partition_s)
                    finally:
                        proxy.heal()
                    run.partitions.append((cut_at, time.time()))
            if outage_at is not None and now >= outage_at:
                redis_server.kill()
                down_at = time.time()
                time.sleep(config.redis_outage_s)
                redis_server.start()
                run.outages.append((down_at, time.time()))
                outage_at = None
            alive = [r for r in replicas if r.process is not None and not r.name.startswith(FAR)]
            if now >= next_kill and len(alive) >= 2:
                victim = rng.choice(alive)
                victim.process.send_signal(signal.SIGKILL)
                run.kills[victim.process.pid] = time.time()
                victim.process.wait()
                run.dead_leases += _leases_held_by(victim.name, redis_server, config.lease_ttl_s)
                victim.process = None
                victim.skew_ms = rng.uniform(0, config.max_skew_ms)
                restarts.append((time.time() + rng.uniform(*config.restart_after_s), victim))
                next_kill = time.time() + rng.uniform(*config.kill_every_s)
            for due, replica in list(restarts):
                if time.time() >= due:
                    restarts.remove((due, replica))
                    _spawn(replica, urls[replica.name], run)
            time.sleep(0.05)
    finally:
        run.ended_at = time.time()
        for replica in replicas:
            if replica.process is not None:
                replica.process.kill()
                replica.process.wait()
        if proxy is not None:
            proxy.close()
    run.records = _read_records(run.log_dir)
    return run


def _leases_held_by(
    replica: str, redis_server: Any, lease_ttl_s: float
) -> list[tuple[str, float, float]]:
    """The leases a killed replica still holds, each from the tick it was taken for (a
    replica killed between its claim and its run's first line took that tick with it:
    by design nobody may run it) until the lease expires."""
    client = redis.Redis.from_url(redis_server.url, decode_responses=True, socket_timeout=1)
    held = []
    try:
        for key in client.scan_iter("chaos:running:*"):
            token, ttl_ms = client.get(key), client.pttl(key)
            if token and token.startswith(f"{replica}:") and ttl_ms > 0:
                until = time.time() + ttl_ms / 1000
                # taken (or last renewed) lease_ttl_s before it expires; its tick is at
                # most a second earlier (the claim deadline of a 1 s job)
                held.append((key.rsplit(":", 1)[1], until - lease_ttl_s - 1, until))
    except redis.RedisError:
        pass  # Redis is down: the outage window covers these ticks anyway
    finally:
        client.close()
    return held


def _spawn(replica: Replica, redis_url: str, run: ChaosRun) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), *filter(None, [env.get("PYTHONPATH")])])
    output = open(Path(run.log_dir) / f"{replica.name}.out", "ab")  # noqa: SIM115
    replica.process = subprocess.Popen(
        [
            sys.executable,
            str(REPLICA_SCRIPT),
            "--redis-url", redis_url,
            "--replica", replica.name,
            "--skew-ms", f"{replica.skew_ms:.1f}",
            "--log", str(Path(run.log_dir) / f"{replica.name}.jsonl"),
            "--mode", run.config.mode,
            "--lease-ttl", str(run.config.lease_ttl_s),
        ],
        stdout=output,
        stderr=subprocess.STDOUT,
        env=env,
    )  # fmt: skip
    output.close()


def _read_records(log_dir: str) -> list[dict[str, Any]]:
    records = []
    for path in sorted(Path(log_dir).glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                records.append(json.loads(line))
    return records
