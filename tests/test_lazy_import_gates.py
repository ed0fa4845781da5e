"""A scheduler started at module level, in a module loaded only by an import inside a
function (deploy/switches.py import nodes, extract/import_sites.py): the start inherits
the gating of that function (MaxKB: `def post_scheduler_handler(): from common import job`
called only `if os.environ.get('ENABLE_SCHEDULER') == '1'`).

Each construct has a positive case and a near miss.
"""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import findings

from check_background_tasks.extract.import_scan import import_statements
from check_background_tasks.extract.import_sites import import_sites

SCHEDULER = """
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler()
    scheduler.start()
    """

JOB = """
    from common.job.scheduler import scheduler


    def clean():
        pass


    scheduler.add_job(clean, "interval", minutes=5, id="clean")
    """

# the package __init__ imports the job module relatively; the web entry imports the
# package only inside a function, which runs only under a configuration switch
PACKAGE = "from .clean_job import *\n"

WSGI_GATED = """
    import os


    def post_scheduler_handler():
        from common import job


    if os.environ.get("ENABLE_SCHEDULER") == "1":
        post_scheduler_handler()
    """


def maxkb_tree(wsgi: str, **more: str) -> dict[str, str]:
    """Like MaxKB: `apps/` is a package, the code imports `common.job` (run from apps/)."""
    return {
        "apps/__init__.py": "",
        "apps/common/__init__.py": "",
        "apps/common/job/__init__.py": PACKAGE,
        "apps/common/job/scheduler.py": SCHEDULER,
        "apps/common/job/clean_job.py": JOB,
        "apps/maxkb/__init__.py": "",
        "apps/maxkb/wsgi.py": wsgi,
        "Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "-w", "4", "maxkb.wsgi"]\n',
        **more,
    }


def test_a_lazy_import_under_a_switch_is_info_naming_the_switch(tmp_path: Path) -> None:
    found = findings(tmp_path, maxkb_tree(WSGI_GATED), code="BGT023")
    assert len(found) == 1 and found[0].severity == "info"
    message = found[0].message
    assert "imported only where `ENABLE_SCHEDULER` is `1`" in message
    assert "apps/maxkb/wsgi.py:9" in message
    assert "each web or Celery worker" not in message


def test_a_lazy_import_called_without_the_switch_keeps_the_warning(tmp_path: Path) -> None:
    wsgi = WSGI_GATED.replace('if os.environ.get("ENABLE_SCHEDULER") == "1":\n', "if True:\n")
    found = findings(tmp_path, maxkb_tree(wsgi), code="BGT023")
    assert len(found) == 1 and found[0].severity == "warning"


def test_a_top_level_import_elsewhere_keeps_the_warning(tmp_path: Path) -> None:
    files = maxkb_tree(WSGI_GATED, **{"apps/maxkb/urls.py": "from common import job\n"})
    found = findings(tmp_path, files, code="BGT023")
    assert len(found) == 1 and found[0].severity == "warning"


def test_a_lazy_import_in_a_function_nothing_calls_is_no_import_time_start(
    tmp_path: Path,
) -> None:
    wsgi = """
        def post_scheduler_handler():
            from common import job
        """
    assert findings(tmp_path, maxkb_tree(wsgi), code="BGT023") == []


def test_a_module_nothing_imports_is_an_entry_and_warns(tmp_path: Path) -> None:
    files = {
        "svc/__init__.py": "",
        "svc/clock.py": SCHEDULER,
        "Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "-w", "4", "svc.web:app"]\n',
    }
    found = findings(tmp_path, files, code="BGT023")
    assert len(found) == 1 and found[0].severity == "warning"


# ------------------------------------------------------------------ extraction


def test_import_sites_list_only_modules_imported_somewhere_indented() -> None:
    source = b"import os\nfrom a import b\n\ndef f():\n    import a.c\n    from a import b\n"
    statements = import_statements(source, "m", False)
    assert statements[2] == (5, True, ["a.c"])
    nodes: dict[str, ast.AST] = {"f": ast.parse(source).body[2]}
    sites = import_sites(statements, nodes, lambda scope, line: None)
    assert "os" not in sites  # imported at the top only
    assert sites["a.c"] == [("f", None)]
    assert sites["a"] == [("<module>", None), ("f", None)]  # at the top too: loads at import


def test_modules_that_import_each_other_at_the_top_do_not_loop(tmp_path: Path) -> None:
    job = JOB + "from common.job import other\n"
    files = maxkb_tree(
        WSGI_GATED,
        **{
            "apps/common/job/clean_job.py": job,
            "apps/common/job/other.py": "from common.job import clean_job\n",
        },
    )
    found = findings(tmp_path, files, code="BGT023")
    assert len(found) == 1 and found[0].severity == "info"


def test_the_importer_search_finds_import_lines_only() -> None:
    from check_background_tasks.deploy.switches import import_pattern

    found = import_pattern("apps.common.job.<import>")
    assert found is not None
    name, pattern = found
    assert name == b"job"
    for line in (
        b"from common import job\n",
        b"    from common.job.scheduler import scheduler\n",
        b"import apps.common.job as j\n",
        b"from common import (\n    event,\n    job,\n)\n",
    ):
        assert pattern.search(line), line
    for line in (b"job.run()\n", b"from common import jobs\n", b"# import job\n"):
        assert not pattern.search(line), line
    assert import_pattern("apps.common.job.run") is None  # a function: its callers, by calls
