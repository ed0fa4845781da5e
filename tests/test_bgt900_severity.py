"""BGT900's severity says what a file that cannot be read hides (round-4 audit N1, W4).

A YAML document that could declare a job (a CronJob, a command starting a scheduler
process) is an error: its jobs are missing from the inventory. A workload read only for
process counts is a note; so is anything under a test-data directory. A Jinja/Django
template is another program's input, not broken YAML, and an application's `templates/`
folder is no Helm chart.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import findings, project_of, records

from check_background_tasks.scheduler_commands import may_start_scheduler

# A `gen3 roll`-style template: a bare placeholder line that a shell script replaces.
CRONJOB = """
    apiVersion: batch/v1
    kind: CronJob
    metadata:
      name: sync
    spec:
      schedule: "*/10 * * * *"
      jobTemplate:
        spec:
          template:
            spec:
              restartPolicy: Never
              containers:
              - name: sync
                MYTOOL_SYNC_IMAGE
                command: ["python", "-m", "app.sync"]
    """

DEPLOYMENT = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      replicas: 2
      template:
        spec:
          containers:
          - name: web
            MYTOOL_WEB_IMAGE
            COMMAND
    """


def severities(tmp_path: Path, files: dict[str, str | bytes]) -> dict[str, str]:
    return {f.location.file: f.severity for f in findings(tmp_path, files, code="BGT900")}


def only(tmp_path: Path, files: dict[str, str | bytes]):
    [finding] = findings(tmp_path, files, code="BGT900")
    return finding


# ----------------------------------------------------------- what the document declares


def test_a_broken_cronjob_stays_an_error_and_its_job_is_missing(tmp_path: Path) -> None:
    finding = only(tmp_path, {"k8s/sync-cronjob.yaml": CRONJOB})
    assert finding.severity == "error"
    assert finding.message == (
        "Cannot analyse this file: YAML error at line 16: could not find expected ':'"
    )
    assert records(tmp_path, {}) == []  # the job is really missing from the inventory


def test_a_broken_deployment_is_a_note_about_process_counts(tmp_path: Path) -> None:
    finding = only(tmp_path, {"k8s/web-deploy.yaml": DEPLOYMENT})
    assert finding.severity == "info"
    assert "this Deployment declares no job" in finding.message
    assert "replicas and process counts" in finding.message
    assert finding.message.startswith("Cannot analyse this file: YAML error at line 13:")


def test_each_document_of_a_stream_is_judged_alone(tmp_path: Path) -> None:
    text = DEPLOYMENT.rstrip(" ") + "    ---\n" + CRONJOB
    found = findings(tmp_path, {"k8s/all.yaml": text}, code="BGT900")
    assert [(f.severity, f.location.line) for f in found] == [("info", 13), ("error", 30)]


BEAT_FLOW = """
    kind: Deployment
    metadata: {name: beat}
    spec:
      replicas: 1
      template:
        spec:
          containers:
          - name: beat
            GEN3_BEAT_IMAGE
            command: ["celery", "-A", "app.worker", "beat", "--loglevel=info"]
    """

WORKER_BLOCK = """
    kind: Deployment
    metadata: {name: worker}
    spec:
      template:
        spec:
          containers:
          - name: celery
            image: celery:5
            GEN3_WORKER_IMAGE
            command:
            - celery
            - -A
            - app
            args:
            - worker
            - FLAG
    """


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        (BEAT_FLOW, "error"),
        (BEAT_FLOW.replace('"beat", ', '"worker", '), "info"),
        (WORKER_BLOCK.replace("FLAG", "-B"), "error"),
        (WORKER_BLOCK.replace("FLAG", "--beat"), "error"),
        (WORKER_BLOCK.replace("FLAG", "--concurrency=4"), "info"),
        # RedBeat keeps one schedule with a lock: BGT024 does not count it, nor do we
        (BEAT_FLOW.replace('"--loglevel=info"', '"-S", "redbeat.RedBeatScheduler"'), "info"),
    ],
    ids=["beat", "worker", "worker-B", "worker--beat", "worker-no-beat", "redbeat"],
)
def test_a_workload_that_starts_celery_beat_is_an_error(
    tmp_path: Path, text: str, severity: str
) -> None:
    assert severities(tmp_path, {"k8s/celery.yaml": text}) == {"k8s/celery.yaml": severity}


@pytest.mark.parametrize(
    ("command", "severity"),
    [
        ('["taskiq", "scheduler", "app.tasks:scheduler"]', "error"),
        ('["taskiq", "worker", "app.tasks:broker"]', "info"),
        ('["python", "manage.py", "run_huey"]', "error"),
        ('["python", "manage.py", "run_huey", "--no-periodic"]', "info"),
        ('["huey_consumer", "app.huey"]', "error"),
        ('["sh", "-c", "python manage.py migrate && celery -A app beat"]', "error"),
        ('["sh", "-c", "python manage.py migrate && gunicorn app.wsgi"]', "info"),
    ],
)
def test_the_scheduler_processes_bgt024_reads(tmp_path: Path, command: str, severity: str) -> None:
    text = BEAT_FLOW.replace('["celery", "-A", "app.worker", "beat", "--loglevel=info"]', command)
    assert severities(tmp_path, {"k8s/sched.yaml": text}) == {"k8s/sched.yaml": severity}


def test_a_compose_file_is_judged_by_its_commands(tmp_path: Path) -> None:
    compose = """
        services:
          beat:
            image: app
            command: celery -A proj beat
          web:
            image: app
            ports: [8000
        """
    assert severities(tmp_path, {"docker-compose.yml": compose}) == {"docker-compose.yml": "error"}
    web_only = compose.replace("celery -A proj beat", "gunicorn proj.wsgi")
    finding = only(tmp_path / "web", {"docker-compose.yml": web_only})
    assert finding.severity == "info" and "this docker-compose file declares no job" in (
        finding.message
    )


def test_a_broken_kustomization_stays_an_error(tmp_path: Path) -> None:
    # it decides what its bases deploy (a CronJob's patches), even without naming one
    text = "resources:\n- deployment.yaml\npatches:\n  - path: patch.yaml\n   bad: indent\n"
    assert severities(tmp_path, {"overlay/kustomization.yaml": text}) == {
        "overlay/kustomization.yaml": "error"
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('command: ["celery", "-A", "app", "beat"]', True),
        ("command:\n- celery\n- -A\n- app\nargs:\n- worker\n- -B\n", True),
        ("args: [taskiq, scheduler, app.sched:scheduler]", True),
        ("command: python manage.py run_huey", True),
        ("command: python manage.py run_huey -n", False),
        # a block scalar script: one command a line
        ("args:\n- |\n  python manage.py migrate\n  celery -A app beat\n", True),
        ("args:\n- |\n  python manage.py migrate\n  celery -A app worker\n", False),
        # a container *named* celery, and a -B that is another key's value
        ("- name: celery\n  command: [celery, -A, app, worker]\n  env:\n  - value: -B\n", False),
        ("# celery beat runs in the scheduler Deployment\nkind: Deployment\n", False),
        ("metadata:\n  name: celery-beat\n", False),
    ],
)
def test_may_start_scheduler(text: str, expected: bool) -> None:
    assert may_start_scheduler(text) is expected


# ---------------------------------------------------------------------------- test data


@pytest.mark.parametrize(
    "path",
    ["gen3/lib/testData/bogus.yaml", "tests/data/bogus.yaml", "spec/Fixtures/bogus.yaml"],
)
def test_a_file_under_test_data_is_a_note(tmp_path: Path, path: str) -> None:
    finding = only(tmp_path, {path: "kind: CronJob\nmetadata: name: broken\n"})
    assert finding.severity == "info"
    assert "test data, which no deployment reads" in finding.message


@pytest.mark.parametrize("path", ["data/bogus.yaml", "latest/bogus.yaml", "contest/bogus.yaml"])
def test_a_test_like_name_is_not_test_data(tmp_path: Path, path: str) -> None:
    assert severities(tmp_path, {path: "kind: CronJob\nmetadata: name: broken\n"}) == {
        path: "error"
    }


def test_a_python_syntax_error_is_an_error_outside_test_data_only(tmp_path: Path) -> None:
    broken = "import asyncio\nasyncio.create_task(x)\ndef broken(:\n"
    assert severities(tmp_path, {"app/jobs.py": broken, "tests/data/bad_syntax.py": broken}) == {
        "app/jobs.py": "error",
        "tests/data/bad_syntax.py": "info",
    }


# ------------------------------------------------------------------------ Jinja templates

JINJA_CRONJOB = """
    apiVersion: batch/v1
    kind: CronJob
    metadata:
      name: "{{ id }}"
      labels:
    {% if userid %}
        app.userid: "{{ userid }}"
    {% endif %}
    spec:
      schedule: "{{ schedule }}"
    """


def test_a_jinja_cronjob_is_a_note_not_broken_yaml(tmp_path: Path) -> None:
    finding = only(tmp_path, {"chart/app-templates/crawl_cron_job.yaml": JINJA_CRONJOB})
    assert finding.severity == "info"
    assert finding.message.startswith(
        "Cannot analyse this file: a Jinja/Django template (`{% if userid %}` at line 7)"
    )
    assert "its CronJob is not in the inventory" in finding.message


def test_a_jinja_template_that_renders_no_job_is_silent(tmp_path: Path) -> None:
    text = JINJA_CRONJOB.replace("batch/v1", "apps/v1").replace("CronJob", "Deployment")
    assert findings(tmp_path, {"app-templates/crawler.yaml": text}, code="BGT900") == []


def test_template_actions_without_block_tags_are_not_jinja(tmp_path: Path) -> None:
    # `{{ }}` alone is how Helm and kustomize-less templates write values: still YAML's
    text = JINJA_CRONJOB.replace("{% if userid %}\n", "").replace("{% endif %}\n", "")
    text = text.replace("  labels:\n", "  labels:\n   bad: indent\n")
    assert severities(tmp_path, {"deploy/cron.yaml": text}) == {"deploy/cron.yaml": "error"}


# ------------------------------------------------- an application's templates/ (W4)

DJANGO_YAML_TPL = """
    {% load tags %}
    ---
    title: {{ title | as_json }}
    {% include 'notes/hooks/user.tpl' %}
    """
DJANGO_JSON_TPL = """
    {% comment %}Teams card{% endcomment %}
    {"text": "{{ user.get_full_name|default:user.username }}"}
    """


def test_django_templates_are_no_helm_chart(tmp_path: Path) -> None:
    files = {
        "app/templates/notes/hooks/approved.tpl": DJANGO_YAML_TPL,
        "app/templates/notes/teams/approved.tpl": DJANGO_JSON_TPL,
    }
    assert findings(tmp_path, files, code="BGT900") == []
    assert project_of(tmp_path / "p", files).rendered_files == set()


HELM_CRONJOB = """
    apiVersion: batch/v1
    kind: CronJob
    metadata:
      name: {{ .Release.Name }}-report
    spec:
      schedule: {{ .Values.schedule | quote }}
      jobTemplate:
        spec:
          template:
            spec:
              restartPolicy: Never
              containers:
                - name: report
                  image: app:1
                  command: ["python", "-m", "app.report"]
    """


def test_helm_templates_without_chart_yaml_are_still_a_chart(tmp_path: Path) -> None:
    # near miss: a Helm template beside the Django ones is rendered, they are left alone
    files = {
        "deploy/templates/cron.yaml": HELM_CRONJOB,
        "deploy/values.yaml": "schedule: '0 3 * * *'\n",
        "deploy/templates/notes/approved.tpl": DJANGO_YAML_TPL,
        "deploy/templates/notes/teams.tpl": DJANGO_JSON_TPL,
    }
    project = project_of(tmp_path, files)
    assert project.rendered_files == {"deploy/templates/cron.yaml"}
    [job] = [linked.job for linked in project.jobs]
    assert job.schedule is not None and job.schedule.text == "0 3 * * *"  # from values.yaml
    assert findings(tmp_path / "again", files, code="BGT900") == []


def test_a_tpl_inside_a_chart_is_helm(tmp_path: Path) -> None:
    # near miss: beside a Chart.yaml, `templates/_helpers.tpl` is Helm's, and is rendered
    files = {
        "chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
        "chart/values.yaml": "schedule: '0 3 * * *'\n",
        "chart/templates/cron.yaml": HELM_CRONJOB.replace(
            "{{ .Release.Name }}-report", '{{ include "app.name" . }}'
        ),
        "chart/templates/_helpers.tpl": (
            '{{- define "app.name" -}}{{ .Chart.Name }}-report{{- end -}}\n'
        ),
    }
    assert [r["name"] for r in records(tmp_path, files)] == ["app-report"]
    assert findings(tmp_path / "again", files, code="BGT900") == []


def test_a_jinja_yaml_under_an_app_templates_dir_is_no_helm_template(tmp_path: Path) -> None:
    # read as a Helm template (a `templates/` directory, `{{ }}`) until its tags say Jinja
    found = findings(tmp_path, {"app/templates/k8s/cron.yaml": JINJA_CRONJOB}, code="BGT900")
    assert [f.severity for f in found] == ["info"]
    assert found[0].message.startswith("Cannot analyse this file: a Jinja/Django template")
    page = JINJA_CRONJOB.replace("batch/v1", "apps/v1").replace("CronJob", "Deployment")
    page = page.replace("{% if userid %}", "{% include 'labels.yaml' %}\n{% if userid %}")
    assert findings(tmp_path / "p", {"app/templates/k8s/web.yaml": page}, code="BGT900") == []


def test_test_data_is_judged_below_what_was_scanned(tmp_path: Path, capsys, monkeypatch) -> None:
    # `check tests/proj`: the project is not test data because its checkout sits in a
    # directory named tests; the same file is test data when `tests/` is part of the scan
    from test_cli import run_cli, write

    write(tmp_path, {"tests/proj/k8s/broken.yaml": "kind: CronJob\nmetadata: name: broken\n"})
    monkeypatch.chdir(tmp_path)
    args = ["--no-cache", "--format", "json", "--fail-on", "info", "--select", "BGT900"]
    _code, out, _err = run_cli(["check", "tests/proj", *args], capsys)
    assert [f["severity"] for f in json.loads(out)] == ["error"]
    monkeypatch.chdir(tmp_path / "tests")
    _code, out, _err = run_cli(["check", "../tests/proj", *args], capsys)
    assert [f["severity"] for f in json.loads(out)] == ["error"]
    monkeypatch.chdir(tmp_path)
    _code, out, _err = run_cli(["check", ".", *args], capsys)
    assert [f["severity"] for f in json.loads(out)] == ["info"]
