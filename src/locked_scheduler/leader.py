"""Optional leader mode: one replica holds ``{namespace}:leader`` and only it fires jobs.

Renewed from a thread so a busy event loop cannot let the lease lapse unnoticed. Claims
still apply, so two replicas that both believe they lead during a hand-over cannot run
the same tick twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from .backend import Backend, BackendError
from .renewer import RenewalThread

log = logging.getLogger("locked_scheduler.leader")


class LeaderElector(RenewalThread):
    def __init__(self, backend: Backend, token: str, ttl_s: float) -> None:
        super().__init__(ttl_s / 3, "locked-scheduler-leader", immediately=True)
        self._backend = backend
        self._token = token
        self._ttl_s = ttl_s
        # Step down a little before the server-side lease can expire.
        self._safety_s = ttl_s / 5
        self._valid_until = 0.0
        self.last_error: str | None = None
        # Called (on this thread) whenever this replica becomes the leader: the ticks that
        # fell while nobody led are the new leader's to catch up.
        self.on_acquired: Callable[[], None] | None = None

    @property
    def is_leader(self) -> bool:
        return time.monotonic() < self._valid_until

    def stop(self) -> None:
        super().stop()
        if self._valid_until:
            self._valid_until = 0.0
            try:
                self._backend.release_leader(self._token)
            except BackendError as error:
                log.warning("could not release leader lease: %s", error)

    def _renew_all(self) -> None:
        started = time.monotonic()
        was_leader = self.is_leader
        try:
            held = self._backend.hold_leader(self._token, round(self._ttl_s * 1000))
        except BackendError as error:
            self.last_error = str(error)
            return  # keep leading until the safety deadline passes, then stop by itself
        self.last_error = None
        self._valid_until = started + self._ttl_s - self._safety_s if held else 0.0
        if held != was_leader:
            log.info("leadership %s", "acquired" if held else "lost")
        if held and not was_leader and self.on_acquired is not None:
            try:
                self.on_acquired()
            except Exception:  # the scheduler's loop may be closing
                log.exception("catch-up after acquiring leadership failed")
