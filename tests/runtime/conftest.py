from __future__ import annotations

import sys
from pathlib import Path

# Let the suite run from a plain checkout too (CI installs the package with pip -e).
_SRC = Path(__file__).resolve().parents[2] / "src"
if str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from redis_server_process import redis_server  # noqa: E402, F401  (the fixture)
