"""This replica's clock against the coordination store's (Redis ``TIME``), RTT-corrected.

Every replica compares ticks with its own clock, but the claim script compares deadlines
with the server's: the offset translates one into the other, and tells when this replica's
clock is too far off to take part at all (``max_clock_skew``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ClockOffset:
    """``server - local`` in seconds, from the latest sample precise enough to trust."""

    max_rtt_s: float  # a sample is off by at most rtt / 2; slower answers are ignored
    offset_s: float | None = None
    rtt_s: float | None = None
    measured_at: float | None = None  # local clock

    def observe(self, sent_s: float, received_s: float, server_s: float) -> None:
        """A server timestamp taken between ``sent_s`` and ``received_s`` (local clock)."""
        rtt_s = received_s - sent_s
        if rtt_s < 0 or rtt_s > self.max_rtt_s:
            return
        # The server read its clock somewhere in the round trip; the middle is the best
        # guess and is wrong by at most half the round trip.
        self.offset_s = server_s - (sent_s + received_s) / 2
        self.rtt_s = rtt_s
        self.measured_at = received_s

    def to_server(self, local_s: float) -> float:
        """A local instant on the server's clock (unchanged while nothing was measured)."""
        return local_s + (self.offset_s or 0.0)

    def as_dict(self) -> dict[str, float | None]:
        return {
            "clock_offset_s": None if self.offset_s is None else round(self.offset_s, 6),
            "clock_offset_rtt_s": None if self.rtt_s is None else round(self.rtt_s, 6),
        }
