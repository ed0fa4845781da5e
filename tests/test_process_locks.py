"""Locks BGT020 sees one step away: in a helper the job calls, in a lock wrapper, in the
database, and in a leader election that gates the scheduler. Each with a near miss."""

from __future__ import annotations

from pathlib import Path

from helpers import findings, records

SCHEDULER = """
    from apscheduler.schedulers.background import BackgroundScheduler

    from app.jobs import cleanup

    scheduler = BackgroundScheduler()
    scheduler.add_job(cleanup, "interval", minutes=5, id="cleanup")
    """


def tree(jobs: str, **more: str) -> dict[str, str]:
    return {"app/__init__.py": "", "app/jobs.py": jobs, "app/scheduler.py": SCHEDULER, **more}


def bgt020(tmp_path: Path, files: dict[str, str]) -> list:
    return findings(tmp_path, files, code="BGT020")


def record(tmp_path: Path, files: dict[str, str]) -> dict:
    return next(r for r in records(tmp_path, files) if r["name"] == "cleanup")


# --------------------------------------------------------- a helper one call deep

HELPER_WITH_LOCK = """
    import redis

    client = redis.Redis()


    def exclusive_cleanup():
        with client.lock("cleanup", timeout=600, blocking=False):
            pass
    """
HELPER_WITHOUT_LOCK = """
    def exclusive_cleanup():
        pass
    """
JOB_CALLING_HELPER = """
    from app.helpers import exclusive_cleanup


    def cleanup():
        exclusive_cleanup()
    """


def test_a_lock_in_the_helper_the_job_calls_counts(tmp_path: Path) -> None:
    files = tree(JOB_CALLING_HELPER, **{"app/helpers.py": HELPER_WITH_LOCK})
    assert bgt020(tmp_path, files) == []
    got = record(tmp_path / "inv", files)
    assert got["locked"] is True and got["lock_key"] == "cleanup"
    assert "exclusive_cleanup" in got["lock_via"]


def test_a_helper_without_a_lock_does_not_count(tmp_path: Path) -> None:
    files = tree(JOB_CALLING_HELPER, **{"app/helpers.py": HELPER_WITHOUT_LOCK})
    assert len(bgt020(tmp_path, files)) == 1


# ------------------------------------------------------------------ lock wrappers


def test_a_job_that_runs_its_work_through_run_with_lock(tmp_path: Path) -> None:
    jobs = """
        from app.adapters import ProcessLockAdapters


        def work():
            pass


        def cleanup():
            ProcessLockAdapters.run_with_lock(work, "cleanup")
        """
    adapters = (
        "class ProcessLockAdapters:\n    @staticmethod\n    def run_with_lock(f, name): ...\n"
    )
    assert bgt020(tmp_path, tree(jobs, **{"app/adapters.py": adapters})) == []


def test_reading_a_lock_is_not_taking_it(tmp_path: Path) -> None:
    jobs = """
        from app.adapters import ProcessLockAdapters


        def cleanup():
            if ProcessLockAdapters.get_process_lock("cleanup"):
                return
        """
    adapters = "class ProcessLockAdapters:\n    @staticmethod\n    def get_process_lock(n): ...\n"
    assert len(bgt020(tmp_path, tree(jobs, **{"app/adapters.py": adapters}))) == 1


def test_the_job_itself_is_a_lock_wrapper(tmp_path: Path) -> None:
    scheduler = SCHEDULER.replace("import cleanup", "import cleanup, run_with_lock").replace(
        "add_job(cleanup,", "add_job(run_with_lock, args=(cleanup,),"
    )
    jobs = "def cleanup():\n    pass\n\n\ndef run_with_lock(func):\n    func()\n"
    files = {"app/__init__.py": "", "app/jobs.py": jobs, "app/scheduler.py": scheduler}
    assert bgt020(tmp_path, files) == []


# ------------------------------------------------------------- database locks


def test_postgres_advisory_lock_in_sql(tmp_path: Path) -> None:
    jobs = """
        from sqlalchemy import text

        from app.db import engine


        def cleanup():
            with engine.begin() as conn:
                if conn.execute(text("SELECT pg_try_advisory_lock(42)")).scalar():
                    pass
        """
    assert bgt020(tmp_path, tree(jobs)) == []


def test_plain_sql_is_no_lock(tmp_path: Path) -> None:
    jobs = """
        from sqlalchemy import text

        from app.db import engine


        def cleanup():
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM sessions WHERE expired"))
        """
    assert len(bgt020(tmp_path, tree(jobs))) == 1


def test_select_for_update_rows(tmp_path: Path) -> None:
    jobs = """
        from app.models import Invoice


        def cleanup():
            for invoice in Invoice.objects.select_for_update(skip_locked=True).filter(due=True):
                invoice.send()
        """
    assert bgt020(tmp_path, tree(jobs)) == []


def test_a_process_local_lock_wrapper_does_not_count(tmp_path: Path) -> None:
    jobs = """
        import threading

        guard = threading.Lock()


        def cleanup():
            with guard:
                pass
        """
    assert len(bgt020(tmp_path, tree(jobs))) == 1


# ------------------------------------------------------------- leader election

LEADER_MAIN = """
    from app.locks import take_leadership
    from app.scheduler import scheduler


    def run():
        if take_leadership():
            scheduler.start()
        else:
            scheduler.start(paused=True)


    run()
    """


def test_a_scheduler_started_paused_where_another_process_leads(tmp_path: Path) -> None:
    files = tree("def cleanup():\n    pass\n", **{"app/main.py": LEADER_MAIN})
    assert bgt020(tmp_path, files) == []
    assert findings(tmp_path / "again", files, code="BGT023") == []
    got = record(tmp_path / "inv", files)
    assert got["locked"] is True and "leader election" in got["lock_via"]


def test_started_paused_then_resumed_everywhere_is_no_election(tmp_path: Path) -> None:
    main = """
        from app.scheduler import scheduler


        def run():
            scheduler.start(paused=True)
            scheduler.resume()


        run()
        """
    files = tree("def cleanup():\n    pass\n", **{"app/main.py": main})
    assert len(bgt020(tmp_path, files)) == 1


def test_a_scheduler_started_only_by_the_leader(tmp_path: Path) -> None:
    main = """
        from app.election import is_leader
        from app.scheduler import scheduler

        if is_leader():
            scheduler.start()
        """
    files = tree("def cleanup():\n    pass\n", **{"app/main.py": main})
    assert bgt020(tmp_path, files) == []


def test_a_scheduler_started_under_a_feature_flag_is_not_elected(tmp_path: Path) -> None:
    main = """
        from app.settings import SCHEDULER_ENABLED
        from app.scheduler import scheduler

        if SCHEDULER_ENABLED:
            scheduler.start()
        """
    files = tree("def cleanup():\n    pass\n", **{"app/main.py": main})
    assert len(bgt020(tmp_path, files)) == 1


def test_a_scheduler_started_by_whoever_takes_a_redis_lock(tmp_path: Path) -> None:
    main = """
        import redis

        from app.scheduler import scheduler

        leader = redis.Redis().lock("scheduler-leader", timeout=60)
        if leader.acquire(blocking=False):
            scheduler.start()
        """
    files = tree("def cleanup():\n    pass\n", **{"app/main.py": main})
    assert bgt020(tmp_path, files) == []


def test_a_threading_lock_elects_nobody(tmp_path: Path) -> None:
    main = """
        import threading

        from app.scheduler import scheduler

        once = threading.Lock()
        if once.acquire(blocking=False):
            scheduler.start()
        """
    files = tree("def cleanup():\n    pass\n", **{"app/main.py": main})
    assert len(bgt020(tmp_path, files)) == 1


def test_a_job_that_returns_unless_this_process_leads(tmp_path: Path) -> None:
    jobs = """
        from app.election import is_leader


        def cleanup():
            if not is_leader():
                return
            print("cleaning")
        """
    assert bgt020(tmp_path, tree(jobs)) == []


def test_a_job_that_returns_when_disabled_is_not_elected(tmp_path: Path) -> None:
    jobs = """
        from app.settings import enabled


        def cleanup():
            if not enabled():
                return
            print("cleaning")
        """
    assert len(bgt020(tmp_path, tree(jobs))) == 1


def test_a_helper_whose_bytes_take_no_lock_is_not_parsed(tmp_path: Path, monkeypatch) -> None:
    from check_background_tasks import engine

    parsed: list[str] = []
    real = engine._extract_safely

    def counting(task, source):  # type: ignore[no-untyped-def]
        parsed.append(task.display)
        return real(task, source)

    monkeypatch.setattr(engine, "_extract_safely", counting)
    files = tree(JOB_CALLING_HELPER, **{"app/helpers.py": HELPER_WITHOUT_LOCK})
    assert len(bgt020(tmp_path, files)) == 1
    assert not any(path.endswith("app/helpers.py") for path in parsed)
    parsed.clear()
    assert (
        bgt020(
            tmp_path / "locked", tree(JOB_CALLING_HELPER, **{"app/helpers.py": HELPER_WITH_LOCK})
        )
        == []
    )
    assert any(path.endswith("app/helpers.py") for path in parsed)
