"""APScheduler executor that hands each due tick to the claim-and-run logic.

APScheduler passes the *scheduled* run times to executors; that scheduled time (not the
wall clock at submission) is the tick every replica agrees on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apscheduler.executors.base import BaseExecutor

SubmitTick = Callable[[Any, datetime], "asyncio.Task[str]"]


class ClaimingExecutor(BaseExecutor):
    def __init__(self, submit_tick: SubmitTick) -> None:
        super().__init__()
        self._submit_tick = submit_tick

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        # coalesce=True leaves one run time; the latest is the tick to claim.
        task = self._submit_tick(job, run_times[-1])
        task.add_done_callback(lambda done: self._finished(job.id, done))

    def _finished(self, job_id: str, task: asyncio.Task[str]) -> None:
        error = None if task.cancelled() else task.exception()
        if error is None:
            self._run_job_success(job_id, [])
        else:
            self._run_job_error(job_id, error, error.__traceback__)
