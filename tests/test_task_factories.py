"""Task factories (issue 21, link_factories.py): a project function that starts a task and
returns it without keeping it; every call that throws the result away is a dangling task
(BGT021), with the chain in the message. A factory that keeps its task makes its calls safe,
and a call is only reported when what it calls is certain."""

from __future__ import annotations

from helpers import findings, records

CORESYS = """\
import asyncio
from typing import Coroutine


class CoreSys:
    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()

    def create_task(self, coroutine: Coroutine, *, eager_start: bool | None = None) -> asyncio.Task:
        return self.loop.create_task(coroutine, eager_start=eager_start)


class CoreSysAttributes:
    coresys: CoreSys

    def sys_create_task(self, coroutine: Coroutine) -> asyncio.Task:
        return self.coresys.create_task(coroutine)
"""

BACKUPS = """\
from app.coresys import CoreSysAttributes


class Backups(CoreSysAttributes):
    async def reload(self) -> None:
        ...

    def on_change(self) -> None:
        self.sys_create_task(self.reload())

    def keeps(self) -> None:
        self._reload = self.sys_create_task(self.reload())

    async def waits(self) -> None:
        await self.sys_create_task(self.reload())
"""


def test_method_factory_two_levels_across_files(tmp_path):
    files = {"app/__init__.py": "", "app/coresys.py": CORESYS, "app/backups.py": BACKUPS}
    found = findings(tmp_path, files, code="BGT021")
    assert [(f.location.file, f.location.line) for f in found] == [("app/backups.py", 9)]
    assert found[0].message.startswith(
        "`self.sys_create_task(...)` → `CoreSys.create_task` → `loop.create_task`: nothing"
        " keeps the task (`CoreSys.create_task` at app/coresys.py:9 returns it unstored"
    )
    tasks = [r for r in records(tmp_path / "again", files) if r["kind"] == "create_task"]
    assert [(r["line"], r["target"], r["discarded"]) for r in tasks] == [
        (9, "app.backups.Backups.reload", True),
        (12, "app.backups.Backups.reload", False),
    ]  # the factory's own start (`loop.create_task(coroutine)`) is listed at its calls


def test_function_factory_wrapping_the_coroutine(tmp_path):
    found = findings(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/utils.py": """
                import asyncio

                async def safe_wrapper(coro):
                    try:
                        return await coro
                    except Exception:
                        pass

                def safe_ensure_future(coro, *args, **kwargs):
                    return asyncio.ensure_future(safe_wrapper(coro), *args, **kwargs)
                """,
            "bot/tracker.py": """
                import asyncio
                from bot.utils import safe_ensure_future

                class Tracker:
                    async def poll(self): ...

                    def start(self):
                        safe_ensure_future(self.poll())
                        self._task = safe_ensure_future(self.poll())
                        tasks = [safe_ensure_future(self.poll()) for _ in range(3)]
                        return tasks
                """,
        },
        code="BGT021",
    )
    assert [(f.location.file, f.location.line) for f in found] == [("bot/tracker.py", 9)]
    assert found[0].message.startswith("`safe_ensure_future(...)` → `asyncio.ensure_future`:")


def test_factory_that_keeps_its_task_makes_calls_safe(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/runner.py": """
            import asyncio

            class Runner:
                def __init__(self):
                    self._tasks = set()

                def spawn(self, coro):
                    task = asyncio.create_task(coro)
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                    return task

                def in_group(self, coro):
                    return self._group.create_task(coro)

            runner = Runner()
            """,
        "app/main.py": """
            from app.runner import runner

            async def work(): ...

            def handler():
                runner.spawn(work())
            """,
    }
    assert findings(tmp_path, files, code="BGT021") == []


def test_module_singleton_and_constructor_typed_attribute(tmp_path):
    found = findings(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/runner.py": """
                import asyncio

                class Runner:
                    def create_task(self, coro):
                        return asyncio.create_task(coro)

                runner = Runner()
                """,
            "app/main.py": """
                from app.runner import Runner, runner

                async def work(): ...

                def handler():
                    runner.create_task(work())

                class Service:
                    def __init__(self):
                        self.tasks = Runner()

                    def go(self):
                        self.tasks.create_task(work())
                """,
        },
        code="BGT021",
    )
    assert [f.location.line for f in found] == [7, 14]
    assert found[0].message.startswith("`create_task(...)` → `asyncio.create_task`")
    assert found[1].message.startswith(
        "`self.tasks.create_task(...)` → `asyncio.create_task`: nothing keeps the task"
        " (`Runner.create_task` at app/runner.py:5"
    )


def test_three_levels(tmp_path):
    found = findings(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/a.py": """
                import asyncio

                def start(coro):
                    return asyncio.create_task(coro)
                """,
            "app/b.py": """
                from app.a import start

                def _create_task(job, name=None):   # named like one: its file is read
                    return start(job)
                """,
            "app/c.py": """
                import asyncio
                from app import b

                def fire(coroutine):
                    return b._create_task(coroutine, name="x")

                async def work(): ...

                def go():
                    fire(work())
                    kept = asyncio.create_task(work())
                    return kept
                """,
        },
        code="BGT021",
    )
    assert [(f.location.file, f.location.line) for f in found] == [("app/c.py", 11)]
    assert "`fire(...)` → `_create_task` → `start` → `asyncio.create_task`" in found[0].message


def test_ensure_future_of_a_parameter_needs_a_coroutine_made_at_the_call(tmp_path):
    found = findings(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/a.py": """
                import asyncio

                def schedule(fut):
                    return asyncio.ensure_future(fut)

                async def work(): ...

                def go(existing):
                    schedule(existing)   # maybe a future someone else holds
                    schedule(work())
                """,
        },
        code="BGT021",
    )
    assert [f.location.line for f in found] == [11]


def test_uncertain_dispatch_is_not_reported(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/base.py": """
            import asyncio
            from somelib import Mixin

            class Base:
                def create_task(self, coro):
                    return asyncio.create_task(coro)

                async def work(self): ...

                def go(self):
                    self.create_task(self.work())   # a Keeping instance runs its own

            class Keeping(Base):
                def create_task(self, coro):   # overrides with a keeper
                    task = asyncio.create_task(coro)
                    self.tasks.append(task)
                    return task

            class Foreign(Mixin, Base):   # Mixin may define create_task first
                def go_too(self):
                    self.create_task(self.work())
            """,
    }
    assert findings(tmp_path, files, code="BGT021") == []


def test_factory_result_kept_only_in_a_dying_local(tmp_path):
    found = findings(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/a.py": """
                import asyncio

                def spawn_task(coro):
                    return asyncio.create_task(coro)

                async def work(): ...

                def go():
                    task = spawn_task(work())
                    task.add_done_callback(print)
                """,
        },
        code="BGT021",
    )
    assert [f.location.line for f in found] == [10]
    assert "is kept only in the local `task`, which dies when `go` returns" in found[0].message


def test_attribute_type_from_annotation_and_disagreeing_assignments(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/tracker.py": """
            import asyncio

            class Tracker:
                def process_update(self, update):
                    return asyncio.ensure_future(self._process(update))

                async def _process(self, update): ...
            """,
        "app/exchange.py": """
            import asyncio
            from app.tracker import Tracker

            class Exchange:
                def __init__(self, other):
                    self._tracker: Tracker = self._make_tracker()   # declared
                    self._maybe = Tracker()
                    self._other = other                             # not known

                def _make_tracker(self) -> Tracker:
                    return Tracker()

                def on_message(self, update):
                    self._tracker.process_update(update)

                def on_other(self, update):
                    self._other.process_update(update)
                    self._maybe.process_update(update)

                def swap(self, value):
                    self._maybe = value   # another object may be there: unknown

                def start(self):   # (a task start of its own: the file is read)
                    self._pinger = asyncio.ensure_future(self._ping())
            """,
    }
    found = findings(tmp_path, files, code="BGT021")
    assert [(f.location.file, f.location.line) for f in found] == [("app/exchange.py", 15)]
    assert found[0].message.startswith(
        "`self._tracker.process_update(...)` → `asyncio.ensure_future`"
    )


def test_configured_task_factory(tmp_path):
    from check_background_tasks.config import Config

    files = {
        "app/__init__.py": "",
        "app/utils.py": """
            def spawn(coro):
                return REGISTRY.start(coro)   # nothing here says it is a task
            """,
        "app/views.py": """
            from app.utils import spawn

            async def notify(): ...

            def handler():
                spawn(notify())
                kept = spawn(notify())
                return kept
            """,
    }
    assert findings(tmp_path, files, code="BGT021") == []
    config = Config(select=["ALL"], task_factories=["app.utils.spawn"])
    found = findings(tmp_path / "configured", files, config=config, code="BGT021")
    assert [(f.location.file.rpartition("app/")[2], f.location.line) for f in found] == [
        ("views.py", 7)
    ]
    assert found[0].message.startswith(
        "`spawn(...)` → `task-factories (configuration)`: nothing keeps the task"
    )
