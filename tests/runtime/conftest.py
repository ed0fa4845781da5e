from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Let the suite run from a plain checkout too (CI installs the package with pip -e).
_SRC = Path(__file__).resolve().parents[2] / "src"
if str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from redis_server_process import RedisServer  # noqa: E402


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh redis-server per test; ``kill()`` / ``restart()`` simulate outages."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
