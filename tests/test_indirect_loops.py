"""Tasks and loops declared indirectly (issue 21): dangling-task forms (BGT021) and
home-made schedulers beyond a direct create_task (BGT022): repeat_every, thread loops.

Mirrors ../shared/cases/dangling-task-forms and replica-loops-beyond-first-call.
"""

from __future__ import annotations

from helpers import findings, records

SEND = """\
import asyncio


async def send_step() -> None:
    await asyncio.sleep(1)
"""


def test_loop_reached_through_an_attribute_of_a_call(tmp_path):
    found = findings(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/steps.py": SEND,
            "app/callbacks.py": """
                from app.context import context_var
                from app.steps import send_step

                def on_event_start():
                    context_var.get().loop.create_task(send_step())

                def kept():
                    STARTED.append(context_var.get().loop.create_task(send_step()))
                """,
        },
        code="BGT021",
    )
    assert [(f.location.file, f.location.line) for f in found] == [("app/callbacks.py", 6)]


def test_other_attribute_of_a_call_is_no_loop(tmp_path):
    assert not records(
        tmp_path,
        {
            "app.py": """
                def on_event_start(send_step):
                    context_var.get().runner.create_task(send_step())
                """,
        },
    )


LOCAL_ONLY = """\
import asyncio

from app.steps import send_step


def _log_exc(task):
    print(task.exception())


def store_in_background():
    task = asyncio.create_task(send_step())
    task.add_done_callback(_log_exc)


async def never_used():
    _task = asyncio.create_task(send_step())  # the local silences nothing
"""


def test_task_kept_only_in_a_dying_local(tmp_path):
    found = findings(
        tmp_path,
        {"app/__init__.py": "", "app/steps.py": SEND, "app/jobs.py": LOCAL_ONLY},
        code="BGT021",
    )
    assert [f.location.line for f in found] == [11, 16]
    assert "kept only in the local `task`, which dies when `store_in_background` returns" in (
        found[0].message
    )


KEPT_LOCALS = """\
import asyncio
import contextlib
from functools import partial

from app.steps import send_step

BACKGROUND = set()
CURRENT = None


def into_a_set():
    task = asyncio.create_task(send_step())
    BACKGROUND.add(task)
    task.add_done_callback(BACKGROUND.discard)


async def awaited():
    task = asyncio.create_task(send_step())
    await task


def returned():
    task = asyncio.create_task(send_step())
    return task


def handed_to_its_callback():
    task = asyncio.create_task(send_step())
    task.add_done_callback(partial(BACKGROUND.discard, task))


def declared_global():
    global CURRENT
    CURRENT = asyncio.create_task(send_step())


def read_by_a_closure():
    task = asyncio.create_task(send_step())

    def cancel():
        task.cancel()

    return cancel


@contextlib.asynccontextmanager
async def lifespan(app):
    task = asyncio.create_task(send_step())
    task.add_done_callback(print)
    yield  # the generator's frame, and the local, live until shutdown
"""


def test_locals_that_keep_their_task(tmp_path):
    found = findings(
        tmp_path,
        {"app/__init__.py": "", "app/steps.py": SEND, "app/jobs.py": KEPT_LOCALS},
        code="BGT021",
    )
    assert found == []


def test_dropped_run_coroutine_threadsafe_future(tmp_path):
    found = findings(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/steps.py": SEND,
            "app/bridge.py": """
                import asyncio

                from app.steps import send_step

                def from_thread(loop):
                    asyncio.run_coroutine_threadsafe(send_step(), loop)

                def waits(loop):
                    future = asyncio.run_coroutine_threadsafe(send_step(), loop)
                    return future.result(timeout=5)
                """,
        },
        code="BGT021",
    )
    assert [f.location.line for f in found] == [7]
    assert found[0].message.startswith(
        "The future of `asyncio.run_coroutine_threadsafe(app.steps.send_step...)` is dropped"
    )


# --- repeat_every ------------------------------------------------------------------

RUNNER = """\
import asyncio
from functools import wraps


def repeat_every(*, minutes: float, max_repetitions=None):
    def decorator(func):
        @wraps(func)
        async def wrapped() -> None:
            async def loop() -> None:
                repetitions = 0
                while max_repetitions is None or repetitions < max_repetitions:
                    await func()
                    repetitions += 1
                    await asyncio.sleep(minutes * 60)

            asyncio.ensure_future(loop())

        return wrapped

    return decorator
"""

MAIN = """\
import contextlib

from fastapi import FastAPI

from app.runner import repeat_every


@repeat_every(minutes=5)
async def post_group_webhooks() -> None:
    ...


@repeat_every(minutes=1)
async def never_started() -> None:
    ...


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI):
    await post_group_webhooks()
    yield


app = FastAPI(lifespan=lifespan)
"""


def test_local_repeat_every_started_from_the_lifespan(tmp_path):
    files = {"app/__init__.py": "", "app/runner.py": RUNNER, "app/main.py": MAIN}
    found = findings(tmp_path, files, code="BGT022")
    assert [(f.location.file, f.location.line) for f in found] == [("app/main.py", 8)]
    assert "repeats every 300 s (`@repeat_every`)" in found[0].message
    assert "started by the start-up code `app.main.lifespan`" in found[0].message
    repeats = [r for r in records(tmp_path / "again", files) if r["kind"] == "repeat_every"]
    assert [(r["target"], r["interval_seconds"], r.get("started_by")) for r in repeats] == [
        ("app.main.post_group_webhooks", 300.0, "app.main.lifespan"),
        ("app.main.never_started", 60.0, None),
    ]


def test_fastapi_utils_repeat_every_as_a_startup_hook(tmp_path):
    found = findings(
        tmp_path,
        {
            "main.py": """
                from fastapi import FastAPI
                from fastapi_utils.tasks import repeat_every

                app = FastAPI()

                @app.on_event("startup")
                @repeat_every(seconds=60 * 60)
                def remove_expired_tokens_task() -> None:
                    ...
                """
        },
        code="BGT022",
    )
    assert len(found) == 1
    assert "repeats every 3600 s" in found[0].message and "is itself a start-up hook" in (
        found[0].message
    )


def test_a_decorator_that_does_not_repeat_is_no_job(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/cache.py": """
            import asyncio
            from functools import wraps

            def cached(*, seconds):
                def decorator(func):
                    @wraps(func)
                    async def wrapped():
                        asyncio.ensure_future(func())   # starts once, no loop
                        await asyncio.sleep(seconds)
                    return wrapped
                return decorator

            def polled(*, seconds):
                def decorator(func):
                    async def wrapped():
                        async def loop():
                            while True:
                                await asyncio.sleep(seconds)   # never calls func
                        asyncio.ensure_future(loop())
                    return wrapped
                return decorator
            """,
        "app/main.py": """
            from app.cache import cached, polled

            @cached(seconds=5)
            async def rates():
                ...

            @polled(seconds=5)
            async def other():
                ...

            async def lifespan(app):
                await rates()
                await other()
                yield
            """,
    }
    assert [r for r in records(tmp_path, files) if r["kind"] == "repeat_every"] == []


# --- threads over forever-loops ------------------------------------------------------

CONSUMER = """\
import threading
import time
from collections import deque

queue: deque = deque()


def consume_queue(queue: deque) -> None:
    while True:
        try:
            queue.popleft()()
        except IndexError:
            pass
        time.sleep(0.1)


def run_once() -> None:
    queue.clear()


worker = threading.Thread(target=consume_queue, args=(queue,))
worker.daemon = True
worker.start()   # at import

threading.Thread(target=run_once).start()   # not a loop: not a background job
never_started = threading.Thread(target=consume_queue, args=(queue,))
"""


def test_thread_loop_started_at_import(tmp_path):
    files = {"app/__init__.py": "", "app/consumer.py": CONSUMER}
    found = findings(tmp_path, files, code="BGT022")
    assert [(f.location.line, f.message.split(":")[0]) for f in found] == [
        (
            21,
            "Thread `app.consumer.consume_queue` loops forever with a sleep and is started at"
            " module level (at import, in every process that imports it)",
        )
    ]
    loops = [(r["kind"], r["line"]) for r in records(tmp_path / "again", files)]
    assert loops == [("loop", 21)]


def test_thread_loop_of_a_script_main_is_listed_not_reported(tmp_path):
    files = {
        "worker.py": CONSUMER.replace("worker = ", 'if __name__ == "__main__":\n    worker = ')
        .replace("worker.daemon", "    worker.daemon")
        .replace("worker.start()", "    worker.start()")
    }
    assert findings(tmp_path, files, code="BGT022") == []
    assert [r["kind"] for r in records(tmp_path / "again", files)] == ["loop"]


def test_repeat_every_started_by_a_start_method_with_a_module_interval(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/runner.py": RUNNER,
        "app/service.py": """
            from app.runner import repeat_every

            MINUTES_HOUR = 60

            class SchedulerService:
                @staticmethod
                async def start():
                    await run_hourly()

            @repeat_every(minutes=MINUTES_HOUR)
            def run_hourly():
                ...
            """,
    }
    found = findings(tmp_path, files, code="BGT022")
    assert [f.message.split(":")[0] for f in found] == [
        "`app.service.run_hourly` repeats every 3600 s (`@repeat_every`) and is started by the"
        " start-up code `app.service.SchedulerService.start`"
    ]


def test_future_kept_only_for_its_done_callback_says_no_more_than_is_true(tmp_path):
    # ragflow's channel: the callback logs the exception, but keeps nothing alive
    found = findings(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/steps.py": SEND,
            "app/bridge.py": """
                import asyncio

                from app.steps import send_step

                def log(future):
                    future.result()

                def from_thread(loop):
                    future = asyncio.run_coroutine_threadsafe(send_step(), loop)
                    future.add_done_callback(log)
                """,
        },
        code="BGT021",
    )
    [finding] = found
    assert "is kept only in the local `future`" in finding.message
    assert "exception is never seen" not in finding.message
