"""The Lua claim / lease / leader scripts against a real redis-server."""

from __future__ import annotations

import pytest
from async_helpers import asyncio_test

from locked_scheduler.backend import BackendError, ClaimStatus
from locked_scheduler.lock import RedisBackend
from locked_scheduler.memory import MemoryBackend

TICK = 1_795_400_000_000
NEVER = 2**50  # a not-after deadline (ms) no test reaches


async def claim(
    backend, tick=TICK, token="a", claim_ttl_ms=60_000, lease_ttl_ms=5_000, not_after_ms=NEVER
):
    return await backend.claim("job", tick, token, claim_ttl_ms, lease_ttl_ms, not_after_ms)


@pytest.fixture(params=["redis", "memory"])
def backend(request, redis_server):
    if request.param == "memory":
        return MemoryBackend("ns")
    return RedisBackend(redis_server.url, "ns")


@asyncio_test
async def test_first_claim_wins_and_the_rest_lose(backend) -> None:
    won = await claim(backend, token="a")
    lost = await claim(backend, token="b")
    assert won.status is ClaimStatus.WON
    assert lost.status is ClaimStatus.TAKEN
    assert lost.fence == won.fence


@asyncio_test
async def test_next_tick_while_the_lease_is_held_is_an_overlap(backend) -> None:
    await claim(backend, tick=TICK, token="a")
    overlapping = await claim(backend, tick=TICK + 1000, token="b")
    assert overlapping.status is ClaimStatus.OVERLAP
    assert (await claim(backend, tick=TICK + 1000, token="c")).status is ClaimStatus.TAKEN


@asyncio_test
async def test_a_claim_past_its_server_side_deadline_changes_nothing(backend) -> None:
    now_ms = round(await backend.server_time() * 1000)
    late = await claim(backend, token="late", not_after_ms=now_ms - 1000)
    assert late.status is ClaimStatus.LATE
    assert late.server_ms >= now_ms - 1  # the memory backend truncates, we rounded
    # Nothing was taken: the tick and the running lease are still free.
    assert not await backend.claimed("job", TICK)
    assert not backend.renew("job", "late", 5000)
    won = await claim(backend, token="b", not_after_ms=now_ms + 60_000)
    assert won.status is ClaimStatus.WON


@asyncio_test
async def test_server_time_is_the_servers_clock(backend) -> None:
    import time

    assert abs(await backend.server_time() - time.time()) < 1.0


@asyncio_test
async def test_fence_increases_per_run(backend) -> None:
    fences = []
    for n in range(3):
        result = await claim(backend, tick=TICK + n * 1000, token=f"t{n}")
        fences.append(result.fence)
        assert await backend.release("job", f"t{n}")
    assert fences == sorted(fences)
    assert len(set(fences)) == 3


@asyncio_test
async def test_release_and_renew_only_for_the_owner(backend) -> None:
    await claim(backend, token="owner")
    assert not backend.renew("job", "intruder", 5000)
    assert not (await backend.release("job", "intruder"))
    assert backend.renew("job", "owner", 5000)
    assert await backend.release("job", "owner")
    assert not backend.renew("job", "owner", 5000)


def test_leader_lease_has_one_owner(backend) -> None:
    assert backend.hold_leader("a", 5000)
    assert backend.hold_leader("a", 5000)  # renewal
    assert not backend.hold_leader("b", 5000)
    backend.release_leader("a")
    assert backend.hold_leader("b", 5000)


@asyncio_test
async def test_claim_keys_and_ttls(redis_server) -> None:
    backend = RedisBackend(redis_server.url, "ns")
    await claim(backend, token="a", claim_ttl_ms=60_000, lease_ttl_ms=5_000)
    client = redis_server.client()
    assert client.get(f"ns:claim:job:{TICK}") == "a"
    assert 59_000 < client.pttl(f"ns:claim:job:{TICK}") <= 60_000
    assert client.get("ns:running:job") == "a"
    assert 4_000 < client.pttl("ns:running:job") <= 5_000
    assert client.pttl("ns:fence:job") == -1  # the fence never expires


@asyncio_test
async def test_claim_is_one_round_trip(redis_server) -> None:
    backend = RedisBackend(redis_server.url, "ns")
    await claim(backend, tick=TICK, token="warm-up")  # loads the script once
    client = redis_server.client()
    client.config_resetstat()
    await claim(backend, tick=TICK + 1000, token="b")
    calls = {name: value["calls"] for name, value in client.info("commandstats").items()}
    # GET/SET/INCR run inside the script; the client sent a single EVALSHA.
    assert calls["cmdstat_evalsha"] == 1
    assert not [name for name in calls if name.startswith(("cmdstat_eval|", "cmdstat_script"))]
    assert "cmdstat_eval" not in calls


@asyncio_test
async def test_fence_keeps_increasing_after_redis_lost_its_data(redis_server) -> None:
    backend = RedisBackend(redis_server.url, "ns")
    before = (await claim(backend, tick=TICK, token="a")).fence
    redis_server.restart()  # no persistence: counters and claims are gone
    with pytest.raises(BackendError):
        # The pooled connection died with the server; without retries this one call fails.
        await backend.ping()
    after = await backend.claim("job", TICK + 1000, "b", 60_000, 5_000, NEVER)
    assert after.status is ClaimStatus.WON
    assert after.fence > before


@asyncio_test
async def test_redis_down_is_a_backend_error_without_retries(redis_server) -> None:
    backend = RedisBackend(redis_server.url, "ns", timeout=0.5)
    redis_server.kill()
    with pytest.raises(BackendError):
        await claim(backend)
    with pytest.raises(BackendError):
        backend.renew("job", "a", 1000)
    assert backend._sync.get_retry()._retries == 0


@asyncio_test
async def test_job_state_keeps_the_latest_tick_and_counts_failures_in_a_row(backend) -> None:
    def run(tick_ms: int, outcome: str, **more) -> dict:
        return {"last_tick_ms": tick_ms, "last_outcome": outcome, "replica": "r", **more}

    await backend.record_run("job", run(TICK + 2000, "failed", last_error="x"))
    await backend.record_run("job", run(TICK + 3000, "failed", last_error="y"))
    state = (await backend.job_states())["job"]
    assert state["consecutive_failures"] == 2 and state["last_error"] == "y"
    # An older tick's run finishing late: its success counts, the latest tick stays.
    await backend.record_run("job", run(TICK + 1000, "ran", last_success_at="then"))
    state = (await backend.job_states())["job"]
    assert state["last_tick_ms"] == TICK + 3000 and state["last_outcome"] == "failed"
    assert state["consecutive_failures"] == 0 and state["last_success_at"] == "then"
