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


async def wait_until(predicate: Callable[[], Any], timeout: float, what: str = "") -> None:
    """Poll ``predicate`` until it is true; fail after ``timeout`` s (generous: CI is busy)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"not true after {timeout} s: {what or predicate}")
        await asyncio.sleep(0.02)
