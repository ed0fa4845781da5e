"""In-process backend for ``redis_url=None``: one replica, same semantics, no Redis."""

from __future__ import annotations

import threading
import time

from .backend import ClaimResult, ClaimStatus
from .keys import Keys

_LATEST_TICK_FIELDS = {
    "last_tick",
    "last_tick_ms",
    "last_outcome",
    "replica",
    "fence",
    "duration_s",
}


class MemoryBackend:
    """Claims and leases in a dict with expiry times. Only safe for a single process."""

    name = "memory"

    def __init__(self, namespace: str = "locked_scheduler") -> None:
        self.keys = Keys(namespace)
        self._lock = threading.Lock()
        self._values: dict[str, tuple[str, float | None]] = {}
        self._states: dict[str, dict] = {}

    def _get(self, key: str) -> str | None:
        entry = self._values.get(key)
        if entry is None:
            return None
        value, expires_at = entry
        if expires_at is not None and expires_at <= time.monotonic():
            del self._values[key]
            return None
        return value

    def _set(self, key: str, value: str, ttl_ms: int | None = None) -> None:
        expires_at = None if ttl_ms is None else time.monotonic() + ttl_ms / 1000
        self._values[key] = (value, expires_at)

    def _purge_expired(self) -> None:
        now = time.monotonic()
        expired = [k for k, (_, exp) in self._values.items() if exp is not None and exp <= now]
        for key in expired:
            del self._values[key]

    async def claim(
        self,
        job_id: str,
        tick_ms: int,
        token: str,
        claim_ttl_ms: int,
        lease_ttl_ms: int,
        not_after_ms: int,
    ) -> ClaimResult:
        claim_key = self.keys.claim(job_id, tick_ms)
        fence_key = self.keys.fence(job_id)
        running_key = self.keys.running(job_id)
        with self._lock:
            now_ms = int(time.time() * 1000)
            self._purge_expired()  # claim keys would otherwise pile up
            fence = int(self._get(fence_key) or 0)
            if now_ms > not_after_ms:
                return ClaimResult(ClaimStatus.LATE, fence, now_ms)
            if self._get(claim_key) is not None:
                return ClaimResult(ClaimStatus.TAKEN, fence, now_ms)
            self._set(claim_key, token, claim_ttl_ms)
            if self._get(running_key) is not None:
                return ClaimResult(ClaimStatus.OVERLAP, fence, now_ms)
            self._set(running_key, token, lease_ttl_ms)
            fence = (fence or tick_ms) + 1
            self._set(fence_key, str(fence))
            return ClaimResult(ClaimStatus.WON, fence, now_ms)

    async def release(self, job_id: str, token: str) -> bool:
        return self._compare_and_delete(self.keys.running(job_id), token)

    async def ping(self) -> None:
        return None

    async def server_time(self) -> float:
        return time.time()

    async def record_run(self, job_id: str, run: dict) -> None:
        with self._lock:
            state = self._states.setdefault(job_id, {})
            failures = (
                0 if run["last_outcome"] == "ran" else state.get("consecutive_failures", 0) + 1
            )
            if state.get("last_tick_ms", 0) > run["last_tick_ms"]:
                run = {k: v for k, v in run.items() if k not in _LATEST_TICK_FIELDS}
            state.update(run, consecutive_failures=failures)

    async def job_states(self) -> dict[str, dict]:
        with self._lock:
            return {job_id: dict(state) for job_id, state in self._states.items()}

    async def persists(self) -> bool | None:
        return None  # one process by design; a restart forgetting everything is expected

    async def claimed(self, job_id: str, tick_ms: int) -> bool:
        with self._lock:
            return self._get(self.keys.claim(job_id, tick_ms)) is not None

    def renew(self, job_id: str, token: str, lease_ttl_ms: int) -> bool:
        key = self.keys.running(job_id)
        with self._lock:
            if self._get(key) != token:
                return False
            self._set(key, token, lease_ttl_ms)
            return True

    def release_running(self, job_id: str, token: str) -> bool:
        return self._compare_and_delete(self.keys.running(job_id), token)

    def hold_leader(self, token: str, ttl_ms: int) -> bool:
        key = self.keys.leader()
        with self._lock:
            owner = self._get(key)
            if owner not in (None, token):
                return False
            self._set(key, token, ttl_ms)
            return True

    def release_leader(self, token: str) -> None:
        self._compare_and_delete(self.keys.leader(), token)

    def _compare_and_delete(self, key: str, token: str) -> bool:
        with self._lock:
            if self._get(key) != token:
                return False
            del self._values[key]
            return True

    async def aclose(self) -> None:
        return None

    def close(self) -> None:
        return None
