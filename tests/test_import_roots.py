"""Targets imported against another import root (code run with a package as sys.path[0])."""

from __future__ import annotations

from pathlib import Path

from helpers import findings, records

from check_background_tasks.import_roots import ImportRoots

SCHEDULER = """\
from apscheduler.schedulers.background import BackgroundScheduler

from utilities.cache import cache_maintenance

scheduler = BackgroundScheduler()
scheduler.add_job(cache_maintenance, "interval", hours=24, id="cache_cleanup")
"""

# mediasync/ is a package and also where the launcher runs main.py from.
MEDIASYNC = {
    "mediasync/__init__.py": "",
    "mediasync/app/__init__.py": "",
    "mediasync/app/scheduler.py": SCHEDULER,
    "mediasync/utilities/__init__.py": "",
    # No job keyword: the prefilter skips it; the target pass must read it.
    "mediasync/utilities/cache.py": "def cache_maintenance():\n    ...\n",
}


def test_target_resolves_under_the_package_that_is_the_import_root(tmp_path: Path) -> None:
    [record] = records(tmp_path, MEDIASYNC)
    assert record["target"] == "mediasync.utilities.cache.cache_maintenance"
    [finding] = findings(tmp_path, {}, code="BGT020")
    assert "not defined" not in finding.message
    assert "cache_maintenance takes no distributed lock" in finding.message


def test_a_lock_in_the_rebased_target_is_seen(tmp_path: Path) -> None:
    locked = "def cache_maintenance():\n    with redis.lock('cache'):\n        ...\n"
    files = {**MEDIASYNC, "mediasync/utilities/cache.py": locked}
    assert findings(tmp_path, files, code="BGT020") == []


def test_ambiguous_roots_stay_unresolved(tmp_path: Path) -> None:
    """Two other packages both hold a `utilities.cache` defining the function: no guess."""
    files = {
        "svc/__init__.py": "",
        "svc/scheduler.py": SCHEDULER,
        "one/__init__.py": "",
        "one/utilities/__init__.py": "",
        "one/utilities/cache.py": "def cache_maintenance():\n    ...\n",
        "two/__init__.py": "",
        "two/utilities/__init__.py": "",
        "two/utilities/cache.py": "def cache_maintenance():\n    ...\n",
    }
    [record] = records(tmp_path, files)
    assert record["target"] == "utilities.cache.cache_maintenance"
    [finding] = findings(tmp_path, {}, code="BGT020")
    assert "not defined in the scanned code" in finding.message


def test_a_module_that_lacks_the_function_is_no_match(tmp_path: Path) -> None:
    files = {**MEDIASYNC, "mediasync/utilities/cache.py": "def other():\n    ...\n"}
    [record] = records(tmp_path, files)
    assert record["target"] == "utilities.cache.cache_maintenance"


def test_roots_prefer_the_importers_own_ancestors() -> None:
    roots = ImportRoots({"a.utilities.cache", "b.utilities.cache", "b.app.scheduler"})
    assert roots.modules_for("utilities.cache", "b.app.scheduler") == ["b.utilities.cache"]
    assert roots.modules_for("utilities.cache", "c.main") == [
        "a.utilities.cache",
        "b.utilities.cache",
    ]
    assert list(roots.rebased("utilities.cache.f", "b.app.scheduler")) == ["b.utilities.cache.f"]


def test_a_known_head_is_never_rebased() -> None:
    """`b.missing.f`: `b` is ours, so the path is ours too, just not defined."""
    roots = ImportRoots({"b", "x.b.missing"})
    assert list(roots.rebased("b.missing.f", None)) == []


def test_a_package_reexport_under_another_root_is_followed(tmp_path: Path) -> None:
    """`from subtitles.wanted import f`, where `wanted/__init__.py` re-exports it from
    `.series`: neither file mentions a job, both are read."""
    files = {
        "bazarr/__init__.py": "",
        "bazarr/app/__init__.py": "",
        "bazarr/app/scheduler.py": SCHEDULER.replace("utilities.cache", "subtitles.wanted"),
        "bazarr/subtitles/__init__.py": "",
        "bazarr/subtitles/wanted/__init__.py": "from .series import cache_maintenance\n",
        "bazarr/subtitles/wanted/series.py": "def cache_maintenance():\n    ...\n",
    }
    [record] = records(tmp_path, files)
    assert record["target"] == "bazarr.subtitles.wanted.series.cache_maintenance"
