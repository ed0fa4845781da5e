"""Optional leader mode: one replica holds ``{namespace}:leader`` and only it fires jobs.

Renewed from a thread so a busy event loop cannot let the lease lapse unnoticed. Claims
still apply, so two replicas that both believe they lead during a hand-over cannot run
the same tick twice.
"""

from __future__ import annotations

import logging
import threading
import time

from .backend import Backend, BackendError

log = logging.getLogger("locked_scheduler.leader")


class LeaderElector:
    def __init__(self, backend: Backend, token: str, ttl_s: float) -> None:
        self._backend = backend
        self._token = token
        self._ttl_s = ttl_s
        # Step down a little before the server-side lease can expire.
        self._safety_s = ttl_s / 5
        self._valid_until = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    @property
    def is_leader(self) -> bool:
        return time.monotonic() < self._valid_until

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name="locked-scheduler-leader", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._valid_until:
            self._valid_until = 0.0
            try:
                self._backend.release_leader(self._token)
            except BackendError as error:
                log.warning("could not release leader lease: %s", error)

    def _run(self) -> None:
        while True:
            self._attempt()
            if self._stop.wait(self._ttl_s / 3):
                return

    def _attempt(self) -> None:
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
