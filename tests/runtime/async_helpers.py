"""Run ``async def`` tests on one fresh event loop each (no pytest-asyncio needed)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

TIMEOUT_S = 60  # a hung test fails with a traceback instead of stalling CI


def asyncio_test(func: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(asyncio.wait_for(func(*args, **kwargs), TIMEOUT_S))

    return run
