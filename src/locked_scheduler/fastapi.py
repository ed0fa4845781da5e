"""``health_router(scheduler)``: ``GET /health/scheduler`` for FastAPI (extra ``[fastapi]``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

if TYPE_CHECKING:
    from .scheduler import LockedScheduler


def health_router(
    scheduler: LockedScheduler,
    path: str = "/health/scheduler",
    degraded_status_code: int = 200,
) -> APIRouter:
    """Serve ``scheduler.status()``. ``stopped`` answers 503.

    ``degraded`` (Redis unreachable) answers 200 by default: a liveness probe that fails on
    a Redis outage would restart every replica at once and fix nothing. Pass
    ``degraded_status_code=503`` for a readiness probe or an alerting check.
    """
    router = APIRouter()

    @router.get(path)
    async def scheduler_health() -> Any:  # async: read the scheduler on its own loop
        body = scheduler.status()
        code = {"ok": 200, "degraded": degraded_status_code}.get(body["status"], 503)
        return JSONResponse(body, status_code=code)

    return router
