import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _in_tmp_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reported paths are relative to the current directory: make that the test's tmp dir."""
    monkeypatch.chdir(tmp_path)
    os.environ.pop("GITHUB_ACTIONS", None)
