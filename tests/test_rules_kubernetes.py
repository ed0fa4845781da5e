"""BGT010-BGT012 (Kubernetes CronJobs) and BGT024 (scaled scheduler processes).

CronJobs judged as deployed (environments, policies, run-time caps): test_rules_cronjobs.py.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from helpers import findings

from check_background_tasks import checker
from check_background_tasks.config import Config, from_table
from check_background_tasks.extract.procfile import extract_app_json, extract_procfile
from check_background_tasks.link import link
from check_background_tasks.rules import RULES
from check_background_tasks.rules.kubernetes_rules import scheduler_processes

# ------------------------------------------------------------------------ manifests

BAD_CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: cleanup-expired
  namespace: prod
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: cleanup
              image: app:1
              command: ["python", "-m", "app.jobs.cleanup"]
"""

SAFE_CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: cleanup-expired
  namespace: prod
spec:
  schedule: "*/5 * * * *"
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 300
  jobTemplate:
    spec:
      activeDeadlineSeconds: 600
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: cleanup
              image: app:1
              command: ["python", "-m", "app.jobs.cleanup"]
              resources:
                limits: {cpu: 500m, memory: 256Mi}
"""

HELM_CRONJOB = """\
{{- $fullName := include "app.fullname" . }}
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {{ $fullName }}-cleanup
spec:
  schedule: {{ .Values.cleanup.schedule | quote }}
  concurrencyPolicy: {{ .Values.cleanup.concurrencyPolicy }}
  startingDeadlineSeconds: {{ .Values.cleanup.startingDeadlineSeconds }}
  jobTemplate:
    spec:
      activeDeadlineSeconds: {{ .Values.cleanup.activeDeadlineSeconds }}
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: cleanup
              image: "{{ .Values.image }}"
              command: ["python", "-m", "app.jobs.cleanup"]
              {{- with .Values.cleanup.resources }}
              resources:
                {{- toYaml . | nindent 16 }}
              {{- end }}
"""


def cron(**changes: str) -> str:
    """SAFE_CRONJOB with some lines replaced ({old line: new line}, '' deletes)."""
    text = SAFE_CRONJOB
    for old, new in changes.items():
        old_line = old.replace("__", " ")
        assert old_line in text, old_line
        text = text.replace(old_line + "\n", new + "\n" if new else "")
    return text


def run(tmp_path: Path, files: dict[str, str], code: str, config: Config | None = None):
    return findings(tmp_path, files, config=config, code=code)


# --------------------------------------------------------------------------- BGT010


def enabled_codes(table: dict) -> set[str]:
    return {rule.code for rule in checker.selected_rules(from_table(table))}


def test_bgt010_is_off_by_default_and_on_by_setting_or_selection() -> None:
    assert RULES["BGT010"].default is False
    assert "BGT010" not in enabled_codes({})
    assert "BGT010" in enabled_codes({"allow-kubernetes-cronjobs": False})
    assert "BGT010" in enabled_codes({"extend-select": ["BGT010"]})
    assert "BGT010" not in enabled_codes({"allow-kubernetes-cronjobs": False, "ignore": ["BGT010"]})


def test_bgt010_fires_for_each_cronjob_when_cronjobs_are_not_allowed(tmp_path: Path) -> None:
    config = from_table({"allow-kubernetes-cronjobs": False})
    files = {"k8s/a.yaml": SAFE_CRONJOB, "k8s/b.yaml": BAD_CRONJOB.replace("cleanup-exp", "x")}
    found = run(tmp_path, files, "BGT010", config)
    assert [(f.location.file, f.location.line) for f in found] == [
        ("k8s/a.yaml", 1),
        ("k8s/b.yaml", 1),
    ]
    message = found[0].message
    assert message.startswith("CronJob 'cleanup-expired' runs `python -m app.jobs.cleanup`")
    assert "locked_scheduler" in message and "allow-kubernetes-cronjobs = true" in message
    assert found[0].severity == "warning"


def test_bgt010_selected_explicitly(tmp_path: Path) -> None:
    found = run(tmp_path, {"k8s/a.yaml": SAFE_CRONJOB}, "BGT010", Config(extend_select=["BGT010"]))
    assert len(found) == 1 and "deselect BGT010" in found[0].message


def test_bgt010_silent_by_default_and_without_cronjobs(tmp_path: Path) -> None:
    assert not run(tmp_path / "a", {"k8s/a.yaml": SAFE_CRONJOB}, "BGT010", Config())
    config = from_table({"allow-kubernetes-cronjobs": False})
    text = deployment('["celery", "-A", "app", "beat"]', replicas=1)
    assert not run(tmp_path / "b", {"k8s/d.yaml": text}, "BGT010", config)


def test_bgt010_templated_cronjob_still_counts(tmp_path: Path) -> None:
    config = from_table({"allow-kubernetes-cronjobs": False})
    found = run(tmp_path, {"chart/templates/cron.yaml": HELM_CRONJOB}, "BGT010", config)
    assert len(found) == 1 and found[0].location.line == 2


# --------------------------------------------------------------------------- BGT011


def test_bgt011_missing_policy(tmp_path: Path) -> None:
    found = run(tmp_path, {"k8s/cron.yaml": BAD_CRONJOB}, "BGT011")
    assert len(found) == 1
    f = found[0]
    assert (f.location.file, f.location.line, f.location.column) == ("k8s/cron.yaml", 1, 1)
    assert f.message == (
        "CronJob 'cleanup-expired' has no concurrencyPolicy, so it defaults to Allow: a run "
        "that takes longer than 5 minutes overlaps the next one and both work on the same "
        "data; set concurrencyPolicy: Forbid (or Replace)"
    )
    assert f.severity == "warning"


def test_bgt011_allow_is_reported(tmp_path: Path) -> None:
    text = cron(**{"  concurrencyPolicy:__Forbid": "  concurrencyPolicy: Allow"})
    found = run(tmp_path, {"k8s/cron.yaml": text}, "BGT011")
    assert len(found) == 1 and "has concurrencyPolicy: Allow" in found[0].message


def test_bgt011_invalid_value_is_reported(tmp_path: Path) -> None:
    text = cron(**{"  concurrencyPolicy:__Forbid": "  concurrencyPolicy: forbid"})
    found = run(tmp_path, {"k8s/cron.yaml": text}, "BGT011")
    assert len(found) == 1 and "'forbid', which is not Allow, Forbid or Replace" in found[0].message


@pytest.mark.parametrize("policy", ["Forbid", "Replace"])
def test_bgt011_safe_policies(tmp_path: Path, policy: str) -> None:
    text = cron(**{"  concurrencyPolicy:__Forbid": f"  concurrencyPolicy: {policy}"})
    assert not run(tmp_path, {"k8s/cron.yaml": text}, "BGT011")


def test_bgt011_templated_policy_is_unknown_not_missing(tmp_path: Path) -> None:
    assert not run(tmp_path, {"chart/templates/cron.yaml": HELM_CRONJOB}, "BGT011")


INJECTED_SPEC = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: injected
spec:
  schedule: "0 0 * * *"
  {{- toYaml .Values.cronSpec | nindent 2 }}
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: main
              image: app:1
"""


def test_bgt011_spec_injected_by_template_is_unknown(tmp_path: Path) -> None:
    assert not run(tmp_path, {"chart/templates/cron.yaml": INJECTED_SPEC}, "BGT011")


def test_bgt011_spec_injected_before_the_first_key_is_unknown(tmp_path: Path) -> None:
    text = INJECTED_SPEC.replace('  schedule: "0 0 * * *"\n', "").replace(
        "  jobTemplate:", '  schedule: "0 0 * * *"\n  jobTemplate:'
    )
    assert text.index("toYaml") < text.index("schedule")
    assert not run(tmp_path, {"chart/templates/cron.yaml": text}, "BGT011")


def test_bgt011_suspended_cronjob_never_overlaps(tmp_path: Path) -> None:
    text = BAD_CRONJOB.replace("spec:\n  schedule", "spec:\n  suspend: true\n  schedule", 1)
    assert not run(tmp_path, {"k8s/cron.yaml": text}, "BGT011")


def test_bgt011_ignore_annotation_and_noqa(tmp_path: Path) -> None:
    annotated = BAD_CRONJOB.replace(
        "  namespace: prod\n",
        '  namespace: prod\n  annotations:\n    check-background-tasks.io/ignore: "BGT011"\n',
    )
    assert not run(tmp_path, {"k8s/a.yaml": annotated}, "BGT011")
    assert run(tmp_path, {"k8s/a.yaml": annotated}, "BGT012")  # only the named code
    noqa = BAD_CRONJOB.replace("kind: CronJob", "kind: CronJob  # noqa: BGT011")
    assert not run(tmp_path, {"k8s/b.yaml": noqa}, "BGT011")


def test_bgt011_every_cronjob_of_a_multi_document_file(tmp_path: Path) -> None:
    text = BAD_CRONJOB + "---\n" + BAD_CRONJOB.replace("cleanup-expired", "other")
    found = run(tmp_path, {"k8s/cron.yaml": text}, "BGT011")
    assert [f.location.line for f in found] == [1, 18]


def test_crd_named_cronjob_is_not_a_kubernetes_cronjob(tmp_path: Path) -> None:
    text = BAD_CRONJOB.replace("batch/v1", "stable.example.com/v1")
    for code in ("BGT011", "BGT012"):
        assert not run(tmp_path, {"k8s/crd.yaml": text}, code)


# --------------------------------------------------------------------------- BGT012


def test_bgt012_lists_everything_missing_in_one_message(tmp_path: Path) -> None:
    found = run(tmp_path, {"k8s/cron.yaml": BAD_CRONJOB}, "BGT012")
    assert len(found) == 1
    f = found[0]
    assert f.location.line == 1 and f.severity == "warning"
    assert f.message.startswith(
        "CronJob 'cleanup-expired' has no activeDeadlineSeconds, resources.limits (container "
        "'cleanup') or startingDeadlineSeconds: "
    )
    # no policy: Allow, so hung runs pile up
    assert "a hung run is never stopped, and every tick starts another one" in f.message
    assert "however late" in f.message and f.message.endswith("set them")


def test_bgt012_safe(tmp_path: Path) -> None:
    assert not run(tmp_path, {"k8s/cron.yaml": SAFE_CRONJOB}, "BGT012")


@pytest.mark.parametrize(
    ("removed", "named"),
    [
        ("  startingDeadlineSeconds:__300", "startingDeadlineSeconds"),
        ("      activeDeadlineSeconds:__600", "activeDeadlineSeconds"),
    ],
)
def test_bgt012_one_missing_deadline(tmp_path: Path, removed: str, named: str) -> None:
    found = run(tmp_path, {"k8s/cron.yaml": cron(**{removed: ""})}, "BGT012")
    assert len(found) == 1
    assert f"has no {named}:" in found[0].message and found[0].message.endswith("set it")


def test_bgt012_missing_limits_names_the_containers(tmp_path: Path) -> None:
    text = SAFE_CRONJOB + textwrap.indent(
        textwrap.dedent(
            """\
            - name: sidecar
              image: proxy:1
            - name: exporter
              image: exporter:1
              resources:
                requests: {cpu: 10m}
            """
        ),
        " " * 12,
    )
    found = run(tmp_path, {"k8s/cron.yaml": text}, "BGT012")
    assert len(found) == 1
    assert "has no resources.limits (containers 'sidecar', 'exporter'):" in found[0].message
    assert "starve" in found[0].message


def test_bgt012_pod_level_active_deadline_counts(tmp_path: Path) -> None:
    text = cron(**{"      activeDeadlineSeconds:__600": ""}).replace(
        "          restartPolicy: Never\n",
        "          restartPolicy: Never\n          activeDeadlineSeconds: 600\n",
    )
    assert not run(tmp_path, {"k8s/cron.yaml": text}, "BGT012")


def test_bgt012_templated_values_are_unknown_not_missing(tmp_path: Path) -> None:
    assert not run(tmp_path, {"chart/templates/cron.yaml": HELM_CRONJOB}, "BGT012")


def test_bgt012_templated_part_silent_missing_part_reported(tmp_path: Path) -> None:
    text = HELM_CRONJOB.replace(
        "      activeDeadlineSeconds: {{ .Values.cleanup.activeDeadlineSeconds }}\n", ""
    )
    found = run(tmp_path, {"chart/templates/cron.yaml": text}, "BGT012")
    assert len(found) == 1
    assert "has no activeDeadlineSeconds:" in found[0].message
    assert "startingDeadlineSeconds" not in found[0].message
    assert "resources.limits" not in found[0].message


def test_bgt012_suspended_needs_no_starting_deadline(tmp_path: Path) -> None:
    text = cron(**{"  startingDeadlineSeconds:__300": "  suspend: true"})
    assert not run(tmp_path, {"k8s/cron.yaml": text}, "BGT012")


def test_bgt012_ignore_annotation(tmp_path: Path) -> None:
    annotated = BAD_CRONJOB.replace(
        "  namespace: prod\n",
        "  namespace: prod\n  annotations:\n"
        '    check-background-tasks.io/ignore: "BGT011, BGT012"\n',
    )
    assert not run(tmp_path, {"k8s/a.yaml": annotated}, "BGT012")
    assert not run(tmp_path, {"k8s/a.yaml": annotated}, "BGT011")


# --------------------------------------------------------------------------- BGT024

DEPLOYMENT = """\
apiVersion: apps/v1
kind: {kind}
metadata:
  name: scheduler
  namespace: prod
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: scheduler}}
  template:
    metadata:
      labels: {{app: scheduler}}
    spec:
      containers:
        - name: main
          image: app:1
          command: {command}
"""


def deployment(command: str, replicas: object = 2, kind: str = "Deployment") -> str:
    return DEPLOYMENT.format(kind=kind, replicas=replicas, command=command)


HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: scheduler-hpa
  namespace: prod
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: scheduler
  minReplicas: 1
  maxReplicas: {max}
"""

SCALED_OBJECT = """\
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: scheduler-keda
spec:
  scaleTargetRef:
    name: scheduler
  maxReplicaCount: 5
  triggers:
    - type: redis
      metadata: {listName: default}
"""

BEAT_COMMANDS = {
    "celery worker -B": '["celery", "-A", "app.worker", "worker", "-B", "--loglevel=info"]',
    "celery worker --beat": '["celery", "-A", "app.worker", "worker", "--beat"]',
    "celery worker -EB cluster": '["celery", "-A", "app", "worker", "-EB", "-l", "info"]',
    "celery beat": '["celery", "-A", "app.worker", "beat", "--loglevel=info"]',
    "celery --app=x beat": '["celery", "--app=app.worker", "beat"]',
    "python -m celery": '["python", "-m", "celery", "-A", "app", "beat"]',
    "sh -c wrapper": '["sh", "-c", "cd /srv && exec celery -A app worker -B -c 4"]',
    "command + args": '["/bin/bash", "-lc"]\n          args: ["celery -A app beat"]',
    "taskiq scheduler": '["taskiq", "scheduler", "app.tasks:scheduler"]',
    "huey_consumer": '["huey_consumer", "app.huey", "-w", "4"]',
    "huey_consumer.py": '["huey_consumer.py", "app.tasks.huey", "-k", "thread"]',
    "manage.py run_huey": '["python", "manage.py", "run_huey"]',
}


@pytest.mark.parametrize("command", list(BEAT_COMMANDS.values()), ids=list(BEAT_COMMANDS))
def test_bgt024_each_process_manager_in_a_scaled_deployment(tmp_path: Path, command: str) -> None:
    found = run(tmp_path, {"k8s/scheduler.yaml": deployment(command)}, "BGT024")
    assert len(found) == 1
    f = found[0]
    assert (f.location.file, f.location.line) == ("k8s/scheduler.yaml", 1)
    assert f.message.startswith("Deployment 'scheduler' runs ")
    assert "with replicas: 2: every replica sends every periodic task" in f.message
    assert f.severity == "error"


def test_bgt024_message_for_embedded_beat(tmp_path: Path) -> None:
    command = BEAT_COMMANDS["celery worker -B"]
    found = run(tmp_path, {"k8s/scheduler.yaml": deployment(command)}, "BGT024")
    assert found[0].message == (
        "Deployment 'scheduler' runs Celery beat (embedded in the worker by -B) with replicas: 2: "
        "every replica sends every periodic task, so each one runs several times; drop -B from "
        "the scaled workers and run `celery beat` in exactly one process (its own Deployment "
        "with replicas: 1), or use a lock-based scheduler such as RedBeat"
    )


@pytest.mark.parametrize(
    ("command", "label"),
    [
        (BEAT_COMMANDS["celery beat"], "Celery beat with"),
        (BEAT_COMMANDS["taskiq scheduler"], "the taskiq scheduler with"),
        (BEAT_COMMANDS["huey_consumer"], "a huey consumer with periodic tasks enabled with"),
    ],
)
def test_bgt024_labels(tmp_path: Path, command: str, label: str) -> None:
    found = run(tmp_path, {"k8s/scheduler.yaml": deployment(command)}, "BGT024")
    assert f"runs {label} replicas: 2" in found[0].message


def test_bgt024_statefulset(tmp_path: Path) -> None:
    text = deployment(BEAT_COMMANDS["celery beat"], replicas=3, kind="StatefulSet")
    found = run(tmp_path, {"k8s/beat.yaml": text}, "BGT024")
    assert len(found) == 1 and found[0].message.startswith("StatefulSet 'scheduler' runs Celery")
    assert "replicas: 3" in found[0].message


def test_bgt024_daemonset_runs_one_per_node(tmp_path: Path) -> None:
    text = deployment(BEAT_COMMANDS["celery beat"], kind="DaemonSet").replace("  replicas: 2\n", "")
    found = run(tmp_path, {"k8s/beat.yaml": text}, "BGT024")
    assert len(found) == 1
    assert "DaemonSet 'scheduler' runs Celery beat on every node" in found[0].message


def test_bgt024_hpa_in_another_file(tmp_path: Path) -> None:
    files = {
        "k8s/deploy.yaml": deployment(BEAT_COMMANDS["celery worker -B"], replicas=1),
        "k8s/autoscaling/hpa.yaml": HPA.format(max=6),
    }
    found = run(tmp_path, files, "BGT024")
    assert len(found) == 1
    f = found[0]
    assert f.location.file == "k8s/deploy.yaml"
    assert "scaled by HorizontalPodAutoscaler 'scheduler-hpa' (up to 6 replicas)" in f.message
    assert [(r.file, r.line) for r in f.related] == [("k8s/autoscaling/hpa.yaml", 1)]


def test_bgt024_keda_scaled_object(tmp_path: Path) -> None:
    files = {
        "k8s/deploy.yaml": deployment(BEAT_COMMANDS["taskiq scheduler"], replicas=1),
        "k8s/keda.yaml": SCALED_OBJECT,
    }
    found = run(tmp_path, files, "BGT024")
    assert len(found) == 1
    assert "scaled by ScaledObject 'scheduler-keda' (up to 5 replicas)" in found[0].message


def test_bgt024_hpa_that_never_scales_past_one_is_fine(tmp_path: Path) -> None:
    files = {
        "k8s/deploy.yaml": deployment(BEAT_COMMANDS["celery beat"], replicas=1),
        "k8s/hpa.yaml": HPA.format(max=1),
    }
    assert not run(tmp_path, files, "BGT024")


def test_bgt024_hpa_in_another_namespace_does_not_count(tmp_path: Path) -> None:
    files = {
        "k8s/deploy.yaml": deployment(BEAT_COMMANDS["celery beat"], replicas=1),
        "k8s/hpa.yaml": HPA.format(max=4).replace("namespace: prod", "namespace: staging"),
    }
    assert not run(tmp_path, files, "BGT024")


COMPOSE = """\
services:
  beat:
    image: app:1
    command: {command}
{scaling}
  redis:
    image: redis:7
"""


@pytest.mark.parametrize(
    ("scaling", "how"),
    [
        ("    deploy:\n      replicas: 2", "with 2 replicas"),
        ("    scale: 3", "with 3 replicas"),
        ("    deploy:\n      mode: global", "in global mode (one container per node)"),
    ],
    ids=["deploy.replicas", "scale", "global"],
)
def test_bgt024_compose(tmp_path: Path, scaling: str, how: str) -> None:
    text = COMPOSE.format(command="celery -A app.worker beat --loglevel=info", scaling=scaling)
    found = run(tmp_path, {"docker-compose.yml": text}, "BGT024")
    assert len(found) == 1
    f = found[0]
    assert (f.location.file, f.location.line, f.location.column) == ("docker-compose.yml", 2, 3)
    assert f.message.startswith(f"docker-compose service 'beat' runs Celery beat {how}:")
    assert "its own service with 1 replica" in f.message


def test_bgt024_compose_sh_c_wrapper_and_list_command(tmp_path: Path) -> None:
    text = COMPOSE.format(
        command='["sh", "-c", "python manage.py migrate && celery -A app worker -B"]',
        scaling="    deploy:\n      replicas: 2",
    )
    assert len(run(tmp_path, {"compose.yaml": text}, "BGT024")) == 1


@pytest.mark.parametrize(
    "scaling",
    ["    deploy:\n      replicas: 1", "    deploy:\n      replicas: ${BEAT_REPLICAS:-2}", ""],
    ids=["one", "interpolated", "default"],
)
def test_bgt024_compose_single_or_unknown_is_silent(tmp_path: Path, scaling: str) -> None:
    text = COMPOSE.format(command="celery -A app.worker beat", scaling=scaling)
    assert not run(tmp_path, {"docker-compose.yml": text}, "BGT024")


PROCFILE = """\
web: uvicorn app.main:app --host 0.0.0.0 --port $PORT
worker: celery -A app.worker worker -B --loglevel=info
"""
APP_JSON = (
    '{\n  "formation": {\n    "web": {"quantity": 2},\n    "worker": {"quantity": 3}\n  }\n}\n'
)


def _procfile_project(procfile: str, app_json: str | None):
    facts = [extract_procfile("Procfile", procfile.encode())]
    if app_json is not None:
        facts.append(extract_app_json("app.json", app_json.encode()))
    config = Config(select=["BGT024"])
    project = link(facts, config)
    return checker.run(project, config).findings


def test_bgt024_procfile_scaled_by_app_json_formation() -> None:
    found = _procfile_project(PROCFILE, APP_JSON)
    assert len(found) == 1
    f = found[0]
    assert (f.location.file, f.location.line) == ("Procfile", 2)
    assert f.message.startswith(
        "Procfile process type 'worker' runs Celery beat (embedded in the worker by -B) with 3 "
        "dynos (app.json formation): every dyno sends every periodic task"
    )
    assert [(r.file, r.line) for r in f.related] == [("app.json", 4)]


def test_bgt024_procfile_single_dyno_is_fine() -> None:
    assert not _procfile_project(PROCFILE, APP_JSON.replace('"quantity": 3', '"quantity": 1'))


def test_bgt024_procfile_without_formation_is_silent() -> None:
    # A Procfile alone says nothing about how many dynos run: unknown, not reported.
    assert not _procfile_project(PROCFILE, None)


def test_bgt024_procfile_and_app_json_through_the_pipeline(tmp_path: Path) -> None:
    found = run(tmp_path, {"Procfile": PROCFILE, "app.json": APP_JSON}, "BGT024")
    assert [(f.location.file, f.location.line) for f in found] == [("Procfile", 2)]
    assert "with 3 dynos (app.json formation)" in found[0].message
    assert [(r.file, r.line) for r in found[0].related] == [("app.json", 4)]


def test_bgt024_procfile_alone_through_the_pipeline_is_silent(tmp_path: Path) -> None:
    assert not run(tmp_path, {"Procfile": PROCFILE}, "BGT024")


# negatives


def test_bgt024_beat_with_one_replica_is_fine(tmp_path: Path) -> None:
    text = deployment(BEAT_COMMANDS["celery beat"], replicas=1)
    assert not run(tmp_path, {"k8s/beat.yaml": text}, "BGT024")


def test_bgt024_default_replicas_is_one(tmp_path: Path) -> None:
    text = deployment(BEAT_COMMANDS["celery worker -B"]).replace("  replicas: 2\n", "")
    assert not run(tmp_path, {"k8s/beat.yaml": text}, "BGT024")


def test_bgt024_worker_without_beat_scaled_to_ten_is_fine(tmp_path: Path) -> None:
    command = '["celery", "-A", "app.worker", "worker", "-Q", "beat", "-c", "4"]'
    files = {
        "k8s/worker.yaml": deployment(command, replicas=10),
        "k8s/hpa.yaml": HPA.format(max=20),
    }
    assert not run(tmp_path, files, "BGT024")


@pytest.mark.parametrize(
    "command",
    [
        '["huey_consumer", "app.huey", "-n", "-w", "8"]',
        '["huey_consumer.py", "app.huey", "--no-periodic"]',
        '["python", "manage.py", "run_huey", "-n"]',
        '["python", "-m", "huey.bin.huey_consumer", "app.huey", "-k", "thread", "-vn"]',
    ],
)
def test_bgt024_huey_without_periodic_is_fine(tmp_path: Path, command: str) -> None:
    assert not run(tmp_path, {"k8s/huey.yaml": deployment(command, replicas=6)}, "BGT024")


def test_bgt024_templated_replicas_are_unknown(tmp_path: Path) -> None:
    text = deployment(BEAT_COMMANDS["celery beat"], replicas="{{ .Values.beat.replicas }}")
    assert not run(tmp_path, {"chart/templates/beat.yaml": text}, "BGT024")


def test_bgt024_lock_based_scheduler_is_fine(tmp_path: Path) -> None:
    command = '["celery", "-A", "app", "beat", "-S", "redbeat.RedBeatScheduler"]'
    assert not run(tmp_path, {"k8s/beat.yaml": deployment(command, replicas=2)}, "BGT024")


def test_bgt024_other_programs_are_fine(tmp_path: Path) -> None:
    command = '["taskiq", "worker", "app.tasks:broker"]'
    assert not run(tmp_path, {"k8s/w.yaml": deployment(command, replicas=5)}, "BGT024")
    command = '["gunicorn", "app.main:app", "-w", "4"]'
    assert not run(tmp_path, {"k8s/web.yaml": deployment(command, replicas=5)}, "BGT024")


def test_bgt024_sidecar_container_counts(tmp_path: Path) -> None:
    text = deployment('["gunicorn", "app.main:app"]', replicas=3) + (
        "        - name: beat\n"
        "          image: app:1\n"
        '          command: ["celery", "-A", "app", "beat"]\n'
    )
    found = run(tmp_path, {"k8s/app.yaml": text}, "BGT024")
    assert len(found) == 1 and "runs Celery beat with replicas: 3" in found[0].message


def test_bgt024_ignore_annotation_and_noqa(tmp_path: Path) -> None:
    text = deployment(BEAT_COMMANDS["celery beat"]).replace(
        "  namespace: prod\n",
        '  namespace: prod\n  annotations:\n    check-background-tasks.io/ignore: "BGT024"\n',
    )
    assert not run(tmp_path, {"k8s/a.yaml": text}, "BGT024")
    noqa = deployment(BEAT_COMMANDS["celery beat"]).replace(
        "kind: Deployment", "kind: Deployment  # noqa: BGT024"
    )
    assert not run(tmp_path, {"k8s/b.yaml": noqa}, "BGT024")
    compose = COMPOSE.format(command="celery -A app beat", scaling="    scale: 2").replace(
        "  beat:", "  beat:  # noqa: BGT024"
    )
    assert not run(tmp_path, {"docker-compose.yml": compose}, "BGT024")


# ----------------------------------------------------------------- command parsing


@pytest.mark.parametrize(
    ("command", "family"),
    [
        ("celery -A proj worker -B", "celery"),
        ("celery worker -A proj -B", "celery"),  # Celery 3/4 order
        ("celery -A proj worker -E -B -l info", "celery"),
        ("celery -A proj worker -BE", "celery"),
        ("celery --app proj beat", "celery"),
        ("celery -b redis://r:6379/0 -A proj beat", "celery"),
        ("python3 -m celery --app=proj beat --loglevel=INFO", "celery"),
        ("/usr/local/bin/celery -A proj beat", "celery"),
        ("exec celery -A proj beat", "celery"),
        ("FOO=1 poetry run celery -A proj beat", "celery"),
        ("dumb-init -- /docker-entrypoint.sh celery -A proj beat", "celery"),
        ("newrelic-admin run-program celery -A proj worker --beat", "celery"),
        ("sh -c 'celery -A proj worker -B'", "celery"),
        ('bash -ec "./wait-for db:5432; celery -A proj beat"', "celery"),
        ("celery -A proj worker & celery -A proj beat & wait", "celery"),
        ("celerybeat", "celery"),
        ("celeryd -B", "celery"),
        ("python manage.py celery beat", "celery"),
        ("taskiq scheduler app.tasks:scheduler", "taskiq"),
        ("python -m taskiq scheduler app.tasks:scheduler --skip-first-run", "taskiq"),
        ("huey_consumer app.huey", "huey"),
        ("huey_consumer.py app.huey -w 4 -k greenlet", "huey"),
        ("python -m huey.bin.huey_consumer app.huey", "huey"),
        ("./manage.py run_huey", "huey"),
        ("django-admin run_huey --settings=app.settings", "huey"),
    ],
)
def test_scheduler_processes_found(command: str, family: str) -> None:
    assert [p.family for p in scheduler_processes(command)] == [family]


@pytest.mark.parametrize(
    "command",
    [
        "",
        "celery -A proj worker",
        "celery -A proj worker -Q beat,default",
        "celery -A proj worker -lB",  # -l takes the value "B"
        "celery -A celery worker",
        "celery -A proj flower",
        "celery -A proj beat -S redbeat.RedBeatScheduler",
        "celery -A proj beat --scheduler=redbeat.schedulers.RedBeatScheduler",
        "celery -A proj worker -B --scheduler redbeat.RedBeatScheduler",
        "taskiq worker app:broker",
        "huey_consumer app.huey -n",
        "huey_consumer app.huey --no-periodic",
        "huey_consumer app.huey -vn",
        "python manage.py run_huey -n",
        "python manage.py runserver",
        "uvicorn app.main:app --port $PORT",
        "echo 'scheduler is elsewhere'",
    ],
)
def test_scheduler_processes_not_found(command: str) -> None:
    assert scheduler_processes(command) == []


def test_scheduler_processes_survive_bad_quoting() -> None:
    assert [p.family for p in scheduler_processes("celery -A proj beat '")] == ["celery"]
    deep = "sh -c " + "'sh -c " * 50 + "celery beat"
    scheduler_processes(deep)  # terminates, whatever it finds
