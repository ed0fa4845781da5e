from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for extra in (_ROOT / "src", _ROOT / "tests" / "runtime", Path(__file__).resolve().parent):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from redis_server_process import redis_server  # noqa: E402, F401  (the fixture)
