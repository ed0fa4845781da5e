"""Watchdog thread that keeps running leases alive while their jobs run.

A thread, not a coroutine: a job that blocks the event loop must not starve the renewals,
or its lease would expire mid-run and another replica could start an overlapping run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .backend import Backend, BackendError
from .renewer import RenewalThread

log = logging.getLogger("locked_scheduler.lease")


@dataclass(eq=False)
class Lease:
    job_id: str
    token: str
    ttl_ms: int
    on_lost: Callable[[str], None]  # called once, from the watchdog thread, with a reason
    renewed_at: float = field(default_factory=time.monotonic)  # when the lease was last known good
    lost: bool = False


class LeaseKeeper(RenewalThread):
    def __init__(self, backend: Backend, period_s: float) -> None:
        super().__init__(period_s, "locked-scheduler-lease-watchdog", immediately=False)
        self._backend = backend
        self._leases: set[Lease] = set()
        self._guard = threading.Lock()

    def add(self, lease: Lease) -> None:
        with self._guard:
            self._leases.add(lease)

    def remove(self, lease: Lease) -> None:
        with self._guard:
            self._leases.discard(lease)

    def _renew_all(self) -> None:
        with self._guard:
            leases = list(self._leases)
        for lease in leases:
            self._renew(lease)

    def _renew(self, lease: Lease) -> None:
        if lease.lost:
            return
        started = time.monotonic()
        try:
            still_ours = self._backend.renew(lease.job_id, lease.token, lease.ttl_ms)
        except BackendError as error:
            # Keep trying until the lease must have expired on the server side.
            if started - lease.renewed_at >= lease.ttl_ms / 1000:
                self._lose(lease, f"lease not renewed for its whole ttl: {error}")
            return
        if still_ours:
            lease.renewed_at = started
        else:
            self._lose(lease, "lease is gone or owned by another replica")

    def _lose(self, lease: Lease, reason: str) -> None:
        lease.lost = True
        log.warning("running lease lost job=%s reason=%s", lease.job_id, reason)
        try:
            lease.on_lost(reason)
        except Exception:
            log.exception("lease-lost callback failed job=%s", lease.job_id)
