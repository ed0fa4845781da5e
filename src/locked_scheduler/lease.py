"""Watchdog thread that keeps running leases alive while their jobs run.

A thread, not a coroutine: a job that blocks the event loop must not starve the renewals,
or its lease would expire mid-run and another replica could start an overlapping run.

Two rules keep a lease from outliving its protection:

* A lease is given up *locally* before it can expire on the server: when it has not been
  renewed for ``LOCAL_VALIDITY`` of its ttl, the job is told (and an async job cancelled)
  while the server still holds the lease for the rest of the ttl.
* A lease is never released while its job can still run. A sync job's thread cannot be
  stopped, so after ``shutdown()`` gave up waiting, the watchdog keeps renewing the lease
  until the thread ends and only then releases it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from .backend import Backend, BackendError
from .renewer import RenewalThread

log = logging.getLogger("locked_scheduler.lease")

# Renew four times per ttl; give up locally at three quarters of it. One failed renewal
# is survived; the last quarter of the ttl is the time a cancelled job has to stop before
# another replica may take the lease.
RENEWALS_PER_TTL = 4
LOCAL_VALIDITY = 0.75


@dataclass(eq=False)
class Lease:
    job_id: str
    token: str
    ttl_ms: int
    on_lost: Callable[[str], None]  # called once, with a reason
    # When the lease was last known good: the moment the claim or renewal that set its
    # expiry was *sent*, so the server's expiry is never earlier than renewed_at + ttl.
    renewed_at: float = field(default_factory=time.monotonic)
    lost: bool = False
    _lose_guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def local_deadline(self) -> float:
        """Monotonic time after which this replica must treat the lease as gone."""
        return self.renewed_at + self.ttl_ms / 1000 * LOCAL_VALIDITY

    def lose(self, reason: str) -> bool:
        """Mark lost and call ``on_lost`` once (from whichever thread sees it first)."""
        with self._lose_guard:
            if self.lost:
                return False
            self.lost = True
        log.warning("running lease lost job=%s reason=%s", self.job_id, reason)
        try:
            self.on_lost(reason)
        except Exception:
            log.exception("lease-lost callback failed job=%s", self.job_id)
        return True


class LeaseKeeper(RenewalThread):
    def __init__(self, backend: Backend, ttl_s: float) -> None:
        super().__init__(
            ttl_s / RENEWALS_PER_TTL, "locked-scheduler-lease-watchdog", immediately=False
        )
        self._backend = backend
        self._leases: set[Lease] = set()
        self._guard = threading.Lock()
        self._then: Callable[[], None] | None = None  # set by shutdown(): run when idle

    def add(self, lease: Lease) -> None:
        with self._guard:
            self._leases.add(lease)

    def remove(self, lease: Lease) -> None:
        with self._guard:
            self._leases.discard(lease)

    def keep_until_done(self, lease: Lease, thread_result: Future) -> None:
        """Renew ``lease`` until the sync job's thread ends, then release it."""
        self.add(lease)
        thread_result.add_done_callback(lambda _: self._thread_ended(lease))

    def _thread_ended(self, lease: Lease) -> None:
        self.remove(lease)
        if not lease.lost:
            try:
                self._backend.release_running(lease.job_id, lease.token)
            except BackendError as error:
                log.warning("could not release running lease job=%s: %s", lease.job_id, error)
        self._finish_if_idle()

    def shutdown(self, then: Callable[[], None]) -> None:
        """Stop once no lease is left (sync jobs may still run), then call ``then``."""
        with self._guard:
            self._then = then
        self._finish_if_idle()

    def _finish_if_idle(self) -> None:
        with self._guard:
            then = self._then if not self._leases else None
            if then is not None:
                self._then = None
        if then is not None:
            self._stop.set()  # not joined: this may run on a job's own thread
            then()

    def _renew_all(self) -> None:
        with self._guard:
            leases = list(self._leases)
        for lease in leases:
            self._renew(lease)

    def _renew(self, lease: Lease) -> None:
        if lease.lost:
            return
        started = time.monotonic()
        if started >= lease.local_deadline:
            lease.lose("lease not renewed in time; given up before it expires on the server")
            return
        try:
            still_ours = self._backend.renew(lease.job_id, lease.token, lease.ttl_ms)
        except BackendError as error:
            if time.monotonic() >= lease.local_deadline:
                lease.lose(f"lease could not be renewed in time: {error}")
            return
        if still_ours:
            lease.renewed_at = started
        else:
            lease.lose("lease is gone or owned by another replica")
