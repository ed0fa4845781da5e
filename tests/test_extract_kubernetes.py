"""Kubernetes / Helm / docker-compose extraction (extract/kubernetes.py)."""

from __future__ import annotations

import json
import pickle
import textwrap
from pathlib import Path

import pytest

from check_background_tasks.extract.kubernetes import (
    TEMPLATED,
    apply_autoscalers,
    extract_yaml,
    yaml_might_matter,
    yaml_worth_loading,
)
from check_background_tasks.extract.yaml_text import preprocess_helm
from check_background_tasks.model import FileFacts, Workload

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "sample-service"


def facts_of(text: str, path: str = "deploy/x.yaml") -> FileFacts:
    return extract_yaml(path, textwrap.dedent(text).lstrip("\n").encode("utf-8"))


def fixture(relative: str) -> FileFacts:
    path = SAMPLE / relative
    return extract_yaml(f"fixtures/sample-service/{relative}", path.read_bytes())


CRONJOB = """
# the nightly cleanup
apiVersion: batch/v1
kind: CronJob
metadata:
  name: cleanup-expired
  namespace: prod
spec:
  schedule: "*/15 * * * *"
  timeZone: Europe/Berlin
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 300
  suspend: false
  jobTemplate:
    spec:
      activeDeadlineSeconds: 600
      template:
        spec:
          containers:
            - name: main
              image: app:1
              command: ["python", "-m"]
              args: ["app.jobs.cleanup", "--days", "30"]
              resources:
                limits: {cpu: 500m, memory: 256Mi}
"""


# ------------------------------------------------------------------------ prefilter


@pytest.mark.parametrize(
    "text",
    [
        b"kind: CronJob",
        b"kind: Deployment",
        b"kind: StatefulSet",
        b"kind: DaemonSet",
        b"kind: HorizontalPodAutoscaler",
        b"kind: ScaledObject",
        b"services:\n  web: {image: x}",
        b'{"services": {}}',
    ],
)
def test_prefilter_positive(text: bytes) -> None:
    assert yaml_might_matter(text)


@pytest.mark.parametrize(
    "text",
    [
        b"apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n",
        b"name: ci\non: [push]\njobs:\n  test: {runs-on: ubuntu-latest}\n",  # GitHub Actions
        b"cronjob: lowercase is not a kind\n",
        b"",
    ],
)
def test_prefilter_negative_never_parsed(text: bytes) -> None:
    assert not yaml_might_matter(text)
    assert extract_yaml("x.yaml", text) == FileFacts(path="x.yaml")


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: %s}
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: app
          command: [%s]
"""


@pytest.mark.parametrize(
    ("text", "loaded"),
    [
        (DEPLOYMENT % ("beat", '"celery", "-A", "proj", "beat"'), True),
        (DEPLOYMENT % ("sched", '"taskiq", "scheduler", "app:sched"'), True),
        (DEPLOYMENT % ("periodic", '"huey_consumer.py", "app.huey"'), True),
        # web servers count the copies of in-app schedulers (the process model)
        (DEPLOYMENT % ("web", '"gunicorn", "app:wsgi"'), True),
        ("services:\n  web: {image: x, command: gunicorn app}\n", True),
        ("services:\n  beat: {image: x, command: celery -A p beat}\n", True),
        ("kind: CronJob\n", True),
        ("kind: HorizontalPodAutoscaler\n", True),  # may scale a scheduler elsewhere
        ("kind: ScaledObject\n", True),
        # a kustomize JSON 6902 patch names no kind
        ("- op: replace\n  path: /spec/schedule\n  value: '0 1 * * *'\n", True),
        ("- name: replace\n  image: app\n", False),
        ("kind: ConfigMap\ndata: {a: b}\n", False),
    ],
)
def test_scan_loads_workloads_cronjobs_and_patches(text: str, loaded: bool) -> None:
    assert yaml_worth_loading(text.encode()) is loaded
    assert yaml_worth_loading(text.encode("utf-16")) is loaded


def test_prefilter_sees_through_utf16() -> None:
    data = "kind: CronJob\n".encode("utf-16")
    assert b"CronJob" not in data
    assert yaml_might_matter(data)


# --------------------------------------------------------------------------- CronJob


def test_cronjob_fields_and_position() -> None:
    facts = facts_of(CRONJOB)
    assert facts.problems == []
    [job] = facts.jobs
    assert job.kind == "k8s_cronjob"
    assert job.name == "cleanup-expired"
    assert job.target.how == "command"
    assert job.target.value == "python -m app.jobs.cleanup --days 30"
    assert (job.line, job.column) == (2, 1)  # the apiVersion line, after the comment
    assert job.periodic is True
    assert job.locked is None
    assert job.schedule is not None
    assert job.schedule.text == "*/15 * * * *"
    assert job.schedule.timezone == "Europe/Berlin"
    assert job.extra["namespace"] == "prod"
    assert job.extra["concurrency_policy"] == "Forbid"
    assert job.extra["starting_deadline_seconds"] == 300
    assert job.extra["active_deadline_seconds"] == 600
    assert job.extra["has_resource_limits"] is True
    assert job.extra["containers_without_limits"] == []
    assert job.extra["suspend"] is False
    assert job.extra["time_zone"] == "Europe/Berlin"
    assert job.extra["command_argv"] == ["python", "-m", "app.jobs.cleanup", "--days", "30"]
    assert job.extra["commands"] == ["python -m app.jobs.cleanup --days 30"]
    assert job.extra["image"] == "app:1"
    assert job.extra["templated"] == []
    assert job.extra["ignore"] == []
    assert job.extra["api_version"] == "batch/v1"


def test_cronjob_schedule_goes_through_schedules_module() -> None:
    from check_background_tasks import schedules

    try:
        expected = schedules.from_cron_string(
            "@hourly", dialect="kubernetes", timezone="Europe/Berlin"
        )
    except NotImplementedError:
        pytest.skip("schedules module not implemented yet")
    [job] = facts_of(CRONJOB.replace('"*/15 * * * *"', "'@hourly'")).jobs
    assert job.schedule == expected
    assert job.schedule is not None and job.schedule.cron == "0 * * * *"


def test_cronjob_missing_fields_are_none_not_templated() -> None:
    facts = facts_of(
        """
        apiVersion: batch/v1beta1
        kind: CronJob
        metadata:
          name: bare
        spec:
          schedule: "0 3 * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  containers:
                    - name: a
                      image: app
                      args: ["run"]
                      resources:
                        limits: {memory: 1Gi}
                    - name: b
                      image: sidecar
                      resources:
                        requests: {cpu: 1}
        """
    )
    [job] = facts.jobs
    extra = job.extra
    assert extra["api_version"] == "batch/v1beta1"
    assert extra["namespace"] is None
    assert extra["concurrency_policy"] is None
    assert extra["starting_deadline_seconds"] is None
    assert extra["active_deadline_seconds"] is None
    assert extra["suspend"] is None
    assert extra["has_resource_limits"] is False  # container b has no limits
    assert extra["containers_without_limits"] == ["b"]
    assert extra["templated"] == []
    # args only: the image's entrypoint is unknown; first container is the target
    assert job.target.value == "run"
    assert extra["commands"] == ["run", ""]


def test_cronjob_pod_level_active_deadline_counts() -> None:
    text = CRONJOB.replace("      activeDeadlineSeconds: 600\n", "").replace(
        "          containers:\n", "          activeDeadlineSeconds: 900\n          containers:\n"
    )
    [job] = facts_of(text).jobs
    assert job.extra["active_deadline_seconds"] == 900


def test_cronjob_without_command_has_empty_target() -> None:
    text = CRONJOB.replace('              command: ["python", "-m"]\n', "").replace(
        '              args: ["app.jobs.cleanup", "--days", "30"]\n', ""
    )
    [job] = facts_of(text).jobs
    assert job.target.value == ""
    assert job.extra["command_argv"] == []
    assert job.extra["image"] == "app:1"


def test_cronjob_shell_command_is_kept_as_written() -> None:
    text = CRONJOB.replace(
        '              command: ["python", "-m"]\n'
        '              args: ["app.jobs.cleanup", "--days", "30"]\n',
        '              command: ["/bin/sh", "-c", "python -m app.jobs.cleanup && echo done"]\n',
    )
    [job] = facts_of(text).jobs
    assert job.target.value == "/bin/sh -c 'python -m app.jobs.cleanup && echo done'"
    assert job.extra["command_argv"][2] == "python -m app.jobs.cleanup && echo done"


def test_multi_container_target_is_first_container() -> None:
    text = CRONJOB.replace(
        "              resources:\n",
        "              resources:\n",
    ).replace(
        "                limits: {cpu: 500m, memory: 256Mi}\n",
        "                limits: {cpu: 500m, memory: 256Mi}\n"
        "            - name: proxy\n"
        "              image: cloud-sql-proxy\n"
        '              command: ["/cloud-sql-proxy", "db"]\n'
        "              resources: {limits: {cpu: 100m}}\n",
    )
    [job] = facts_of(text).jobs
    assert job.target.value == "python -m app.jobs.cleanup --days 30"
    assert job.extra["commands"] == ["python -m app.jobs.cleanup --days 30", "/cloud-sql-proxy db"]
    assert job.extra["has_resource_limits"] is True


def test_crd_named_cronjob_in_another_group_is_skipped() -> None:
    facts = facts_of(
        """
        apiVersion: batch.tutorial.kubebuilder.io/v1
        kind: CronJob
        metadata: {name: cronjob-sample}
        spec:
          schedule: "*/1 * * * *"
        """
    )
    assert facts.jobs == [] and facts.problems == []


def test_cronjob_without_api_version_is_kept() -> None:
    [job] = facts_of("kind: CronJob\nmetadata: {name: x}\nspec: {schedule: '@daily'}\n").jobs
    assert job.name == "x" and job.extra["api_version"] is None


def test_configmap_mentioning_cronjob_is_not_a_job() -> None:
    facts = fixture("deploy/configmap.yaml")
    assert yaml_might_matter((SAMPLE / "deploy/configmap.yaml").read_bytes())
    assert facts.jobs == [] and facts.workloads == [] and facts.problems == []


def test_concurrency_policy_replace_and_allow_are_values() -> None:
    [job] = facts_of(CRONJOB.replace("Forbid", "Replace")).jobs
    assert job.extra["concurrency_policy"] == "Replace"
    [job] = facts_of(CRONJOB.replace("Forbid", "Allow")).jobs
    assert job.extra["concurrency_policy"] == "Allow"


# -------------------------------------------------------------- documents and lists


def test_multi_document_positions_and_other_kinds() -> None:
    text = (
        "---\n"
        + textwrap.dedent(CRONJOB).lstrip("\n")
        + "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc}\n"
        + "---\n"
        + textwrap.dedent(CRONJOB).lstrip("\n").replace("cleanup-expired", "second")
    )
    facts = extract_yaml("x.yaml", text.encode())
    assert [(j.name, j.line) for j in facts.jobs] == [("cleanup-expired", 3), ("second", 32)]
    assert text.splitlines()[31].startswith("apiVersion: batch/v1")


def test_one_broken_document_does_not_hide_the_others() -> None:
    text = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: [broken\n---\n" + textwrap.dedent(
        CRONJOB
    ).lstrip("\n")
    facts = extract_yaml("x.yaml", text.encode())
    assert [j.name for j in facts.jobs] == ["cleanup-expired"]
    assert facts.jobs[0].line == 6
    [problem] = facts.problems
    assert problem.message.startswith("YAML error at line ")
    assert "\n" not in problem.message


def test_kind_list_items() -> None:
    facts = facts_of(
        """
        apiVersion: v1
        kind: List
        items:
          - apiVersion: batch/v1
            kind: CronJob
            metadata: {name: a}
            spec: {schedule: "0 * * * *"}
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec: {replicas: 3}
          - apiVersion: batch/v1
            kind: CronJob
            metadata: {name: b}
            spec: {schedule: "5 * * * *"}
        """
    )
    assert [(j.name, j.line, j.column) for j in facts.jobs] == [("a", 4, 5), ("b", 12, 5)]
    assert [(w.name, w.replicas) for w in facts.workloads] == [("web", 3)]


def test_json_manifest_with_tabs() -> None:
    manifest = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "json-job"},
        "spec": {
            "schedule": "*/5 * * * *",
            "concurrencyPolicy": "Forbid",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {"containers": [{"name": "a", "command": ["python", "x.py"]}]}
                    }
                }
            },
        },
    }
    data = json.dumps(manifest, indent="\t").encode()
    facts = extract_yaml("cron.json", data)
    assert facts.problems == []
    [job] = facts.jobs
    assert (job.name, job.line, job.column) == ("json-job", 2, 2)
    assert job.target.value == "python x.py"
    assert job.extra["concurrency_policy"] == "Forbid"


def test_json_list_of_many_items_is_fast() -> None:
    item = json.loads(json.dumps({"apiVersion": "batch/v1", "kind": "CronJob"}))
    items = [
        dict(item, metadata={"name": f"c{i}"}, spec={"schedule": "@daily"}) for i in range(3000)
    ]
    data = json.dumps({"apiVersion": "v1", "kind": "List", "items": items}).encode()
    facts = extract_yaml("big.json", data)
    assert len(facts.jobs) == 3000 and facts.problems == []


# ------------------------------------------------------------------------------ Helm


def test_helm_fixture_templated_values_are_unknown_not_missing() -> None:
    facts = fixture("deploy/chart/templates/cronjob-refresh-cache.yaml")
    assert facts.problems == []
    [job] = facts.jobs
    assert job.name == "{{ $fullName }}-refresh-cache"
    assert job.line == 3  # the apiVersion line; template lines keep their numbers
    assert job.target.value == "python -m app.jobs.refresh_cache"
    assert job.schedule is not None
    assert job.schedule.resolved is False
    assert job.schedule.text == "{{ .Values.refreshCache.schedule | quote }}"
    assert job.schedule.cron is None
    extra = job.extra
    assert extra["concurrency_policy"] == TEMPLATED
    assert extra["starting_deadline_seconds"] == TEMPLATED
    assert extra["active_deadline_seconds"] == 600
    assert extra["has_resource_limits"] == TEMPLATED
    assert extra["namespace"] == TEMPLATED
    assert extra["image"] == "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
    assert extra["templated"] == [
        "concurrencyPolicy",
        "name",
        "namespace",
        "resources",
        "schedule",
        "startingDeadlineSeconds",
    ]


def test_helm_missing_field_stays_missing() -> None:
    facts = facts_of(
        """
        {{- if .Values.enabled }}
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: {{ .Release.Name }}-job
          labels:
            {{- include "x.labels" . | nindent 4 }}
        spec:
          schedule: "0 0 * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  containers:
                    - name: a
                      command: ["{{ .Values.cmd }}", "--flag"]
        {{- end }}
        """
    )
    [job] = facts.jobs
    assert job.extra["concurrency_policy"] is None  # absent, and nothing injected in spec
    assert job.extra["has_resource_limits"] is False
    assert job.schedule is not None and job.schedule.resolved is True
    assert job.target.value == "'{{ .Values.cmd }}' --flag"
    assert job.extra["templated"] == ["command", "name"]


def test_helm_block_injected_into_spec_makes_absent_fields_unknown() -> None:
    facts = facts_of(
        """
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: job
        spec:
          schedule: "0 0 * * *"
          {{- toYaml .Values.cronSpec | nindent 2 }}
          jobTemplate:
            spec:
              {{- with .Values.deadline }}
              activeDeadlineSeconds: {{ . }}
              {{- end }}
              template:
                spec:
                  containers:
                    {{- toYaml .Values.containers | nindent 20 }}
        """
    )
    [job] = facts.jobs
    assert job.extra["concurrency_policy"] == TEMPLATED
    assert job.extra["starting_deadline_seconds"] == TEMPLATED
    assert job.extra["active_deadline_seconds"] == TEMPLATED
    assert job.extra["has_resource_limits"] == TEMPLATED
    assert "containers" in job.extra["templated"]


def test_helm_if_else_api_version_and_resources_at_column_zero() -> None:
    facts = facts_of(
        """
        {{- if semverCompare ">=1.21-0" .Capabilities.KubeVersion.GitVersion }}
        apiVersion: batch/v1
        {{- else }}
        apiVersion: batch/v1beta1
        {{- end }}
        kind: CronJob
        metadata:
          name: legacy
        spec:
          schedule: {{ .Values.schedule }}
          concurrencyPolicy: Forbid
          jobTemplate:
            spec:
              template:
                spec:
                  containers:
                    - name: a
                      command:
                        {{- toYaml .Values.command | nindent 24 }}
                      resources:
        {{ toYaml .Values.resources | indent 24 }}
        """
    )
    assert facts.problems == []
    [job] = facts.jobs
    assert job.line == 2
    assert job.extra["api_version"] == "batch/v1"
    assert job.extra["concurrency_policy"] == "Forbid"
    assert job.extra["has_resource_limits"] == TEMPLATED
    assert job.schedule is not None and job.schedule.resolved is False


def test_helm_templated_api_version_is_accepted() -> None:
    [job] = facts_of(
        'apiVersion: {{ include "cronjob.apiVersion" . }}\nkind: CronJob\n'
        "metadata: {name: x}\nspec: {schedule: '@daily'}\n"
    ).jobs
    assert job.extra["api_version"] == '{{ include "cronjob.apiVersion" . }}'
    assert "apiVersion" not in job.extra["templated"]


def test_helm_preprocess_keeps_line_count() -> None:
    source = (SAMPLE / "deploy/chart/templates/cronjob-refresh-cache.yaml").read_text()
    helm = preprocess_helm(source)
    assert helm.text.count("\n") == source.count("\n")
    assert "{{" not in helm.text
    multi = preprocess_helm("a: 1\n{{/*\n a comment\n over lines */}}\nb: {{ .x }}\n")
    assert multi.text.split("\n") == ["a: 1", "", "", "", "b: __tpl1__", ""]


def test_helm_templated_replicas_and_hpa_in_chart() -> None:
    facts = facts_of(
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ include "svc.fullname" . }}-beat
        spec:
          {{- if not .Values.autoscaling.enabled }}
          replicas: {{ .Values.replicaCount }}
          {{- end }}
          template:
            spec:
              containers:
                - name: beat
                  command: ["celery", "-A", "app", "beat"]
        ---
        {{- if .Values.autoscaling.enabled }}
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata:
          name: {{ include "svc.fullname" . }}
        spec:
          scaleTargetRef:
            apiVersion: apps/v1
            kind: Deployment
            name: {{ include "svc.fullname" . }}-beat
          minReplicas: {{ .Values.autoscaling.minReplicas }}
          maxReplicas: {{ .Values.autoscaling.maxReplicas }}
        {{- end }}
        """
    )
    deployment, hpa = facts.workloads
    assert deployment.replicas is None
    assert deployment.extra["replicas_source"] == "templated"
    assert deployment.extra["templated"] == ["name", "replicas"]
    assert hpa.name == deployment.name == '{{ include "svc.fullname" . }}-beat'
    assert hpa.replicas is None and hpa.extra["max_replicas"] == TEMPLATED
    assert deployment.autoscaled is True  # same template text joins within the chart


# ---------------------------------------------------------------------- suppressions


def test_comment_suppressions_and_kind_line() -> None:
    facts = facts_of(
        """
        apiVersion: batch/v1  # bgt: ignore[bgt011, BGT012]
        kind: CronJob  # noqa: BGT010
        metadata:
          name: x  # noqa
        spec:
          schedule: "0 0 * * *"  # noqa: E501
        """
    )
    by_line: dict[int, set[str]] = {}
    for suppression in facts.suppressions:
        by_line.setdefault(suppression.line, set()).update(suppression.codes)
    assert by_line == {1: {"BGT011", "BGT012", "BGT010"}, 2: {"BGT010"}, 6: {"E501"}}


def test_ignore_annotation_goes_to_extra() -> None:
    text = CRONJOB.replace(
        "  namespace: prod\n",
        "  namespace: prod\n  annotations:\n"
        '    check-background-tasks.io/ignore: "bgt012, BGT011"\n',
    )
    [job] = facts_of(text).jobs
    assert job.extra["ignore"] == ["BGT011", "BGT012"]


# -------------------------------------------------------------------------- problems


def test_broken_yaml_is_a_problem_with_line() -> None:
    facts = facts_of(
        """
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: x
         bad: indentation
        """
    )
    assert facts.jobs == []
    [problem] = facts.problems
    assert problem.message == "YAML error at line 5: did not find expected key"
    assert (problem.line, problem.column) == (5, 2)


def test_python_tag_is_an_error_never_a_call(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n"
        f"  name: !!python/object/apply:os.system ['touch {marker}']\n"
        "spec: {schedule: '@daily'}\n"
    )
    facts = extract_yaml("x.yaml", text.encode())
    assert not marker.exists()
    assert facts.jobs == []
    [problem] = facts.problems
    assert problem.message == (
        "YAML error at line 4: unsafe tag !!python/object/apply:os.system (safe loader only)"
    )


def test_python_tag_via_tag_directive() -> None:
    text = (
        "%TAG !p! tag:yaml.org,2002:python/\n---\nkind: CronJob\n"
        "metadata: {name: !p!object/apply:os.system [id]}\n"
    )
    facts = extract_yaml("x.yaml", text.encode())
    assert facts.jobs == [] and len(facts.problems) == 1
    assert "unsafe tag" in facts.problems[0].message


def test_billion_laughs_is_bounded() -> None:
    lines = ["apiVersion: batch/v1", "kind: CronJob", "metadata: {name: lol}"]
    lines.append('l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]')
    for i in range(1, 40):
        lines.append(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]")
    lines.append("spec:")
    lines.append("  schedule: *l39")
    lines.append("  concurrencyPolicy: *l39")
    lines.append("  jobTemplate: {spec: {template: {spec: {containers: *l39}}}}")
    facts = extract_yaml("lol.yaml", "\n".join(lines).encode())
    [job] = facts.jobs
    assert job.name == "lol"
    # a value that expands past the budget is unknown (never read, never "missing")
    assert job.schedule is not None and not job.schedule.resolved
    assert job.extra["concurrency_policy"] == TEMPLATED
    [manifest] = facts.manifests
    assert "l39" not in manifest.doc  # only what an object's reading needs is converted


def test_recursive_alias_and_merge_loops_terminate() -> None:
    text = "apiVersion: batch/v1\nkind: CronJob\nspec: &s\n  <<: *s\n  jobTemplate: *s\n"
    facts = extract_yaml("x.yaml", text.encode())
    assert len(facts.jobs) == 1
    # two aliases to the node that holds them: without a guard, 2^depth conversions
    text = "apiVersion: batch/v1\nkind: CronJob\nspec: &s\n  a: *s\n  b: *s\n  c: *s\n"
    facts = extract_yaml("x.yaml", text.encode())
    assert facts.manifests[0].doc["spec"]["a"] == TEMPLATED


@pytest.mark.parametrize(
    "body",
    [
        "spec: " + "[" * 60000 + "]" * 60000,
        "- " * 60000 + "kind: CronJob",
        "spec: " + "{a: " * 40000 + "1" + "}" * 40000,
    ],
)
def test_deep_nesting_is_a_problem_not_a_crash(body: str) -> None:
    text = "kind: CronJob\n---\n" + body + "\nkind: CronJob\n"
    facts = extract_yaml("deep.yaml", text.encode())
    assert facts.problems
    assert all(p.message.startswith("YAML error at line ") for p in facts.problems)


def test_nul_character_is_a_problem() -> None:
    facts = extract_yaml("x.yaml", b"apiVersion: batch/v1\nkind: CronJob\x00\n")
    assert facts.jobs == []
    assert facts.problems[0].message == "YAML error at line 2: unacceptable character #x0000"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32", "latin-1"])
def test_encodings(encoding: str) -> None:
    text = (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: café\n"
        "spec:\n  schedule: '@daily'  # tâche\n"
    )
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    facts = extract_yaml("x.yaml", data)
    assert facts.problems == []
    assert [j.name for j in facts.jobs] == ["café"]


def test_crlf_line_endings() -> None:
    data = textwrap.dedent(CRONJOB).lstrip("\n").replace("\n", "\r\n").encode()
    [job] = extract_yaml("x.yaml", data).jobs
    assert job.line == 2 and job.extra["concurrency_policy"] == "Forbid"


def test_facts_are_picklable() -> None:
    facts = fixture("deploy/chart/templates/cronjob-refresh-cache.yaml")
    assert pickle.loads(pickle.dumps(facts)) == facts


# ------------------------------------------------------------------------- workloads


def test_fixture_celery_deployments_and_hpa() -> None:
    facts = fixture("deploy/celery.yaml")
    assert facts.problems == []
    beat, worker, hpa = facts.workloads
    assert (beat.kind, beat.name, beat.replicas, beat.autoscaled) == (
        "Deployment",
        "celery-beat",
        2,
        False,
    )
    assert beat.command == "celery -A app.worker worker -B --loglevel=info"
    assert (beat.line, beat.column) == (3, 1)
    assert beat.namespace == "sample"
    assert beat.extra["replicas_source"] == "explicit"
    # a Deployment without a scheduler command is still a workload; the rule decides
    assert worker.name == "celery-worker" and worker.autoscaled is True
    assert worker.extra["autoscalers"] == [
        {"kind": "HorizontalPodAutoscaler", "name": "celery-worker", "max_replicas": 10, "line": 51}
    ]
    assert (hpa.kind, hpa.name, hpa.replicas) == ("HorizontalPodAutoscaler", "celery-worker", 10)
    assert hpa.extra["target_kind"] == "Deployment"
    assert hpa.extra["min_replicas"] == 2


def test_replicas_default_statefulset_daemonset() -> None:
    facts = facts_of(
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: d}
        spec:
          template: {spec: {containers: [{name: a, command: [celery, beat]}]}}
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: s}
        spec:
          replicas: 3
          template: {spec: {containers: [{name: a, args: [taskiq, scheduler, x:s]}]}}
        ---
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: ds}
        spec:
          template: {spec: {containers: [{name: a, command: [huey_consumer, app.huey]}]}}
        """
    )
    assert [(w.kind, w.name, w.replicas, w.extra["replicas_source"]) for w in facts.workloads] == [
        ("Deployment", "d", 1, "default"),
        ("StatefulSet", "s", 3, "explicit"),
        ("DaemonSet", "ds", None, "per-node"),
    ]
    assert facts.workloads[1].command == "taskiq scheduler x:s"


def test_scaled_object_and_namespace_mismatch() -> None:
    facts = facts_of(
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: worker, namespace: a}
        spec: {replicas: 1}
        ---
        apiVersion: keda.sh/v1alpha1
        kind: ScaledObject
        metadata: {name: worker-scaler, namespace: b}
        spec:
          scaleTargetRef: {name: worker}
        """
    )
    deployment, scaled = facts.workloads
    assert scaled.kind == "ScaledObject" and scaled.name == "worker"
    assert scaled.extra["target_kind"] == "Deployment"
    assert (scaled.extra["min_replicas"], scaled.replicas) == (0, 100)
    assert deployment.autoscaled is False  # other namespace


def test_apply_autoscalers_across_files() -> None:
    deployment = Workload("Deployment", "beat", "celery beat", 1, 1, 1, namespace="prod")
    hpa = Workload(
        "HorizontalPodAutoscaler",
        "beat",
        "",
        4,
        9,
        1,
        autoscaled=True,
        extra={"target_kind": "Deployment", "scaler_name": "beat-hpa", "max_replicas": 4},
    )
    other = Workload(
        "HorizontalPodAutoscaler", "beat", "", 4, 9, 1, extra={"target_kind": "StatefulSet"}
    )
    apply_autoscalers([deployment, other])
    assert deployment.autoscaled is False
    apply_autoscalers([deployment, hpa, other])
    apply_autoscalers([deployment, hpa])  # idempotent
    assert deployment.autoscaled is True
    assert deployment.extra["autoscalers"] == [
        {"kind": "HorizontalPodAutoscaler", "name": "beat-hpa", "max_replicas": 4, "line": 9}
    ]


# --------------------------------------------------------------------------- compose


def test_fixture_compose() -> None:
    facts = fixture("docker-compose.yml")
    assert facts.problems == []
    got = [(w.kind, w.name, w.command, w.replicas, w.line, w.column) for w in facts.workloads]
    assert got == [
        ("compose", "web", "uvicorn app.main:app --host 0.0.0.0 --port 8000", 2, 8, 3),
        ("compose", "worker", "celery -A app.worker worker --loglevel=info", 3, 16, 3),
        ("compose", "beat", "celery -A app.worker beat --loglevel=info", 1, 22, 3),
        ("compose", "redis", "", 1, 26, 3),
    ]
    assert facts.workloads[2].extra["replicas_source"] == "default"
    assert facts.workloads[0].extra["image"] == "ghcr.io/example/sample-service:1.4.2"  # <<


def test_compose_scale_interpolation_and_global_mode() -> None:
    facts = facts_of(
        """
        services:
          a:
            image: app
            command: celery -A app beat
            scale: 2
          b:
            image: app
            entrypoint: ["celery"]
            command: ["-A", "app", "worker", "-B"]
            deploy:
              replicas: ${BEAT_REPLICAS:-2}
          c:
            image: app
            deploy: {mode: global}
        """
    )
    a, b, c = facts.workloads
    assert (a.replicas, a.extra["replicas_source"]) == (2, "explicit")
    assert b.command == "celery -A app worker -B"
    assert (b.replicas, b.extra["replicas_source"], b.extra["templated"]) == (
        None,
        "templated",
        ["replicas"],
    )
    assert (c.replicas, c.extra["replicas_source"]) == (None, "per-node")


def test_services_key_that_is_not_compose() -> None:
    facts = facts_of(
        """
        services:
          - postgres
          - redis
        other:
          services:
            web: {image: x}
        """
    )
    assert facts.workloads == [] and facts.problems == []


# ------------------------------------------------------------------- fixture summary


def test_fixture_cronjobs() -> None:
    [good] = fixture("deploy/cronjob-nightly-report.yaml").jobs
    assert good.name == "nightly-report"
    assert good.target.value == "python -m app.jobs.report"
    assert good.extra["concurrency_policy"] == "Forbid"
    assert good.extra["starting_deadline_seconds"] == 300
    assert good.extra["active_deadline_seconds"] == 1800
    assert good.extra["has_resource_limits"] is True
    assert (good.line, good.column) == (2, 1)

    [bad] = fixture("deploy/cronjob-cleanup.yaml").jobs
    assert bad.name == "cleanup-expired"
    assert bad.target.value == "python -m app.jobs.cleanup"
    assert bad.extra["concurrency_policy"] is None
    assert bad.extra["starting_deadline_seconds"] is None
    assert bad.extra["active_deadline_seconds"] is None
    assert bad.extra["has_resource_limits"] is False
    assert (bad.line, bad.column) == (3, 1)
    assert bad.schedule is not None and bad.schedule.text == "*/15 * * * *"


def test_non_manifest_yaml_files_of_the_fixture_are_skipped() -> None:
    for relative in ("deploy/chart/Chart.yaml", "deploy/chart/values.yaml"):
        assert not yaml_might_matter((SAMPLE / relative).read_bytes())


# ------------------------------------------------------------------------ properties


def test_random_text_never_raises() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=50, deadline=None, database=None)
    @hypothesis.given(
        st.lists(
            st.sampled_from(
                [
                    "kind: CronJob\n",
                    "apiVersion: batch/v1\n",
                    "---\n",
                    "spec:\n",
                    "  schedule: '* * * * *'\n",
                    "  jobTemplate: &a {spec: *a}\n",
                    "{{- if .x }}\n",
                    "  name: {{ .y }}\n",
                    "services:\n  a: {image: x, scale: q}\n",
                    "- ",
                    "[",
                    "]",
                    "{",
                    ": ",
                    "\t",
                    "\x00",
                    "!!python/name:os.system ",
                    "*missing\n",
                ]
            )
            | st.text(max_size=20),
            max_size=30,
        )
    )
    def check(parts: list[str]) -> None:
        facts = extract_yaml("x.yaml", "".join(parts).encode("utf-8", "surrogatepass"))
        assert isinstance(facts, FileFacts)

    check()


@pytest.mark.parametrize(
    "text",
    [
        "kind: CronJob\n" + "{{" * 200_000,
        "kind: CronJob\n" + "{{ x" * 100_000 + "}}",
        "kind: CronJob\nmetadata: {name: x}  # noqa: BGT011" + " " * 100_000 + "!\n",
        "kind: CronJob\n" + "# bgt: ignore[" * 50_000 + "\n",
        "kind: CronJob\n" + "#noqa:" * 50_000 + "\n",
    ],
)
def test_hostile_text_is_linear(text: str) -> None:
    # Speed is measured in bench/, not asserted here: this checks the text is survived.
    facts = extract_yaml("x.yaml", text.encode())
    assert facts.path == "x.yaml"


def test_stray_braces_do_not_swallow_lines() -> None:
    helm = preprocess_helm("a: '{{ not closed'\nb: 1\nc: {{ .x }}\n")
    assert helm.text == "a: '{{ not closed'\nb: 1\nc: __tpl0__\n"
    assert helm.originals == ["{{ .x }}"]
