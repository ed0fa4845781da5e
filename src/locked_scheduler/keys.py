"""Redis key names; one place so the layout documented in the README stays true."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    namespace: str

    def claim(self, job_id: str, tick_ms: int) -> str:
        return f"{self.namespace}:claim:{job_id}:{tick_ms}"

    def fence(self, job_id: str) -> str:
        return f"{self.namespace}:fence:{job_id}"

    def running(self, job_id: str) -> str:
        return f"{self.namespace}:running:{job_id}"

    def leader(self) -> str:
        return f"{self.namespace}:leader"

    def state(self) -> str:
        """Hash: job id -> JSON of the job's latest run across the cluster."""
        return f"{self.namespace}:state"
