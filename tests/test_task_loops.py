"""asyncio tasks whose coroutine loops forever with a sleep are inventory `loop`s
(link_loops.promote_task_loops), and still judged as the tasks they are."""

from __future__ import annotations

from helpers import findings, records

APP = {
    "app/__init__.py": "",
    "app/main.py": """
        import asyncio

        from fastapi import FastAPI

        app = FastAPI()
        tasks = set()


        async def poll():
            while True:
                await refresh()
                await asyncio.sleep(60)


        async def drain():
            while True:
                item = await queue.get()  # waits for work: no sleep, not a schedule


        async def once():
            await refresh()


        @app.on_event("startup")
        async def startup():
            asyncio.create_task(poll())
            task = asyncio.create_task(drain())
            tasks.add(task)
            kept = asyncio.create_task(once())
            tasks.add(kept)
        """,
}


def test_a_forever_loop_task_is_a_loop_and_other_tasks_stay_tasks(tmp_path):
    found = {r["target"]: r for r in records(tmp_path, APP)}
    assert found["app.main.poll"]["kind"] == "loop"
    assert found["app.main.poll"]["started_as"] == "create_task"
    assert found["app.main.drain"]["kind"] == "create_task"  # near miss: no sleep
    assert found["app.main.once"]["kind"] == "create_task"  # near miss: no loop


def test_task_rules_still_judge_the_loop_as_a_task(tmp_path):
    dangling = findings(tmp_path, APP, code="BGT021")
    assert [f.location.line for f in dangling] == [27]  # the thrown-away poll() task
    replica = findings(tmp_path, APP, code="BGT022")
    assert [f.message.split(" ")[0] for f in replica] == ["Task"]
