"""Procfiles and Heroku app.json formations (extract/procfile.py)."""

from __future__ import annotations

from pathlib import Path

from check_background_tasks.extract.procfile import (
    app_json_might_matter,
    extract_app_json,
    extract_procfile,
)

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "sample-service"


def test_fixture_procfile() -> None:
    facts = extract_procfile("Procfile", (SAMPLE / "Procfile").read_bytes())
    assert facts.problems == []
    got = [(w.kind, w.name, w.command, w.replicas, w.line, w.column) for w in facts.workloads]
    assert got == [
        ("Procfile", "web", "uvicorn app.main:app --host 0.0.0.0 --port $PORT", None, 1, 1),
        ("Procfile", "worker", "celery -A app.worker worker -B --loglevel=info", None, 2, 1),
    ]
    assert facts.workloads[1].extra == {"replicas_source": "unknown"}


def test_comments_blank_lines_crlf_bom_and_suppressions() -> None:
    data = (
        "\ufeff# processes\r\n"
        "\r\n"
        "web: gunicorn app.wsgi\r\n"
        "beat:celery -A app beat   # noqa: BGT024\r\n"
        "clock: python clock.py # bgt: ignore[bgt024]\r\n"
        "release: ./migrate.sh#not-a-comment-for-us\r\n"
    ).encode()
    facts = extract_procfile("Procfile", data)
    assert facts.problems == []
    assert [(w.name, w.command, w.line) for w in facts.workloads] == [
        ("web", "gunicorn app.wsgi", 3),
        ("beat", "celery -A app beat", 4),
        ("clock", "python clock.py", 5),
        ("release", "./migrate.sh#not-a-comment-for-us", 6),
    ]
    assert [(s.line, s.codes) for s in facts.suppressions] == [
        (4, frozenset({"BGT024"})),
        (5, frozenset({"BGT024"})),
    ]


def test_malformed_line_is_a_problem_and_the_rest_is_kept() -> None:
    facts = extract_procfile("Procfile.dev", b"this is not a process\nworker: rq worker\n")
    assert [w.name for w in facts.workloads] == ["worker"]
    [problem] = facts.problems
    assert (problem.line, problem.message) == (1, "Procfile line 1 is not 'type: command'")


def test_non_utf8_procfile() -> None:
    facts = extract_procfile("Procfile", "web: echo caf\u00e9\n".encode("latin-1"))
    assert facts.workloads[0].command == "echo café"


def test_app_json_formation() -> None:
    data = b"""{
  "name": "sample",
  "formation": {
    "web": {"quantity": 2, "size": "standard-1x"},
    "worker": {"quantity": 3},
    "clock": {}
  }
}
"""
    assert app_json_might_matter(data)
    facts = extract_app_json("app.json", data)
    got = [(w.kind, w.name, w.replicas, w.line) for w in facts.workloads]
    assert got == [
        ("heroku_formation", "web", 2, 4),
        ("heroku_formation", "worker", 3, 5),
        ("heroku_formation", "clock", 1, 6),
    ]
    assert facts.workloads[0].extra["size"] == "standard-1x"


def test_app_json_without_formation_or_broken() -> None:
    assert not app_json_might_matter(b'{"name": "x"}')
    assert extract_app_json("app.json", b'{"name": "x"}').workloads == []
    facts = extract_app_json("app.json", b'{"formation": {"web": \n')
    assert facts.workloads == []
    assert facts.problems[0].message.startswith("JSON error at line 2: ")


def test_hostile_lines_are_linear() -> None:
    data = ("web:" + " " * 200_000 + "x\n" + "beat: a" + " \t" * 100_000 + "#noqa:\n").encode()
    facts = extract_procfile("Procfile", data)
    assert [w.command for w in facts.workloads] == ["x", "a"]
