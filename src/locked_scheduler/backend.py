"""The coordination contract shared by the Redis backend and the in-process one."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class BackendError(Exception):
    """The coordination store could not answer (Redis down, timeout, protocol error)."""


class ClaimStatus(enum.Enum):
    WON = "won"  # this replica owns the tick and holds the running lease
    TAKEN = "taken"  # another replica already claimed the tick
    OVERLAP = "overlap"  # tick claimed here, but an earlier run still holds the lease
    LATE = "late"  # the claim reached the server after its deadline and did nothing


@dataclass(frozen=True)
class ClaimResult:
    status: ClaimStatus
    fence: int | None  # the job's fence after this claim (the current one when not won)
    server_ms: int | None = None  # the server's clock when the claim executed


class Backend(Protocol):
    """Claims and leases. Async methods run on the app's loop; sync ones in threads."""

    name: str

    async def claim(
        self,
        job_id: str,
        tick_ms: int,
        token: str,
        claim_ttl_ms: int,
        lease_ttl_ms: int,
        not_after_ms: int,
    ) -> ClaimResult:
        """Claim the tick and take the running lease in one round trip.

        ``not_after_ms`` is on the server's clock: a claim that executes later (it waited
        in a paused server or a slow network after the client gave up) changes nothing.
        """

    async def release(self, job_id: str, token: str) -> bool:
        """Delete the running lease if ``token`` still owns it."""

    async def ping(self) -> None: ...

    async def server_time(self) -> float:
        """The server's clock, epoch seconds."""

    async def record_run(self, job_id: str, run: dict) -> None:
        """Merge one finished run into the job's cluster-wide state (latest tick wins)."""

    async def job_states(self) -> dict[str, dict]:
        """Every job's cluster-wide state."""

    async def persists(self) -> bool | None:
        """Whether the store survives a restart (None: cannot tell)."""

    async def claimed(self, job_id: str, tick_ms: int) -> bool:
        """Whether some replica claimed this tick (and the claim has not expired)."""

    def renew(self, job_id: str, token: str, lease_ttl_ms: int) -> bool:
        """Extend the running lease if ``token`` still owns it (watchdog thread)."""

    def release_running(self, job_id: str, token: str) -> bool:
        """``release`` from a thread (a sync job's thread that outlived shutdown)."""

    def hold_leader(self, token: str, ttl_ms: int) -> bool:
        """Acquire the leader lease, or extend it if ``token`` owns it (leader thread)."""

    def release_leader(self, token: str) -> None: ...

    async def aclose(self) -> None: ...

    def close(self) -> None: ...
