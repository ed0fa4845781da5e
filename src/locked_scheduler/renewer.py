"""A daemon thread that renews something in Redis at a fixed period until stopped.

A thread, not a coroutine: blocking code on the app's event loop must not starve the
renewals (leader mode, running leases).
"""

from __future__ import annotations

import threading


class RenewalThread:
    def __init__(self, period_s: float, name: str, immediately: bool) -> None:
        self._period_s = period_s
        self._name = name
        self._immediately = immediately  # renew once at start, before the first wait
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _renew_all(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        if self._immediately:
            self._renew_all()
        while not self._stop.wait(self._period_s):
            self._renew_all()
