"""BGT021 (unsafe): a thrown-away task is kept in a module-level set until it is done."""

from __future__ import annotations

import textwrap

from fixing import analyse, codes_left, fix

from check_background_tasks.fix import apply
from check_background_tasks.model import Finding, Location

SOURCE = """\
\"\"\"Sign-ups.\"\"\"

import asyncio
import logging

log = logging.getLogger(__name__)


async def send_welcome(user):
    pass


async def signup(user):
    asyncio.create_task(send_welcome(user))  # fire and forget
    return user


async def later(user):
    pending = asyncio.ensure_future(send_welcome(user))
    return user
"""

AFTER = """\
\"\"\"Sign-ups.\"\"\"

import asyncio
import logging

_background_tasks: set[asyncio.Task] = set()

log = logging.getLogger(__name__)


async def send_welcome(user):
    pass


async def signup(user):
    task = asyncio.create_task(send_welcome(user))  # fire and forget
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)
    return user


async def later(user):
    pending = asyncio.ensure_future(send_welcome(user))
    _background_tasks.add(pending)
    pending.add_done_callback(_background_tasks.discard)
    return user
"""


def test_unsafe_fix_keeps_every_task_with_one_declaration(tmp_path):
    run = fix(tmp_path, {"app/signup.py": SOURCE}, unsafe=True, codes=("BGT021",))
    assert (tmp_path / "app/signup.py").read_text() == AFTER
    assert run.fixed == {"BGT021": 2}
    assert "BGT021" not in codes_left(tmp_path)
    compile(AFTER, "after.py", "exec")
    assert not fix(tmp_path, unsafe=True, codes=("BGT021",)).edits  # idempotent


def test_without_unsafe_fixes_nothing_changes_and_the_fix_is_counted(tmp_path):
    run = fix(tmp_path, {"app/signup.py": SOURCE}, codes=("BGT021",))
    assert (tmp_path / "app/signup.py").read_text() == SOURCE
    assert not run.edits
    assert run.unsafe_available == 2
    assert "--unsafe-fixes" in run.summary()


def test_asyncio_imported_when_the_module_only_imports_names_from_it(tmp_path):
    source = textwrap.dedent(
        """\
        from asyncio import get_running_loop


        async def go(coro):
            get_running_loop().create_task(coro)
        """
    )
    fix(tmp_path, {"app/go.py": source}, unsafe=True, codes=("BGT021",))
    text = (tmp_path / "app/go.py").read_text()
    assert text.startswith(
        "from asyncio import get_running_loop\nimport asyncio\n\n"
        "_background_tasks: set[asyncio.Task] = set()\n"
    ), text
    assert "BGT021" not in codes_left(tmp_path)


def test_a_name_in_use_is_not_shadowed(tmp_path):
    source = textwrap.dedent(
        """\
        import asyncio


        async def run(task):
            asyncio.create_task(task())
            return task
        """
    )
    fix(tmp_path, {"app/run.py": source}, unsafe=True, codes=("BGT021",))
    text = (tmp_path / "app/run.py").read_text()
    assert "    _task = asyncio.create_task(task())\n" in text
    assert "    return task\n" in text


def test_inside_a_task_group_nothing_is_done(tmp_path):
    source = textwrap.dedent(
        """\
        import asyncio


        async def run(coro):
            async with asyncio.TaskGroup() as tg:
                tg.create_task(coro)
        """
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app/run.py").write_text(source)
    found, _project = analyse(tmp_path)
    assert not [f for f in found if f.code == "BGT021"]  # the rule agrees
    # even if asked to: the statement is in a TaskGroup
    finding = Finding("BGT021", "dangling-task", "warning", "m", Location("app/run.py", 6, 9))
    run = apply([finding], mode="fix", unsafe=True, root=tmp_path)
    assert not run.edits
    assert "TaskGroup" in run.skipped[0].reason
    assert (tmp_path / "app/run.py").read_text() == source


def test_a_threadsafe_future_is_not_put_in_the_task_set(tmp_path):
    source = textwrap.dedent(
        """\
        import asyncio


        def submit(coro, loop):
            asyncio.run_coroutine_threadsafe(coro, loop)
        """
    )
    run = fix(tmp_path, {"app/submit.py": source}, unsafe=True, codes=("BGT021",))
    assert (tmp_path / "app/submit.py").read_text() == source
    assert [s.code for s in run.skipped] == ["BGT021"]
    assert "run_coroutine_threadsafe" in run.skipped[0].reason
