"""Manifests as plain data with positions (extract/yaml_plain.py, FileFacts.manifests)."""

from __future__ import annotations

import pickle
import textwrap

from check_background_tasks.extract.kubernetes import extract_yaml
from check_background_tasks.model import OPEN, TEMPLATED, FileFacts


def facts_of(text: str, path: str = "deploy/x.yaml") -> FileFacts:
    return extract_yaml(path, textwrap.dedent(text).lstrip("\n").encode("utf-8"))


def test_cronjob_manifest_keeps_values_and_key_positions() -> None:
    facts = facts_of(
        """
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: sync
        spec:
          schedule: "0 1 * * *"
          startingDeadlineSeconds: 60
          suspend: false
          jobTemplate:
            spec:
              template:
                spec:
                  containers:
                    - name: c
                      args: [run, 5]
        """
    )
    [manifest] = facts.manifests
    assert manifest.kind == "CronJob"
    assert (manifest.line, manifest.column) == (1, 1)
    spec = manifest.doc["spec"]
    assert spec["schedule"] == "0 1 * * *"
    assert spec["startingDeadlineSeconds"] == 60
    assert spec["suspend"] is False
    containers = spec["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert containers == [{"name": "c", "args": ["run", 5]}]
    assert manifest.positions[("spec", "suspend")] == (8, 3)
    path = ("spec", "jobTemplate", "spec", "template", "spec", "containers", 0)
    assert manifest.positions[path] == (14, 15)  # an item starts at its node, after "- "
    assert manifest.positions[(*path, "name")] == (14, 15)


def test_merge_keys_are_resolved_own_keys_first() -> None:
    facts = facts_of(
        """
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: a}
        spec:
          <<: {schedule: "1 * * * *", suspend: true}
          schedule: "2 * * * *"
        """
    )
    spec = facts.manifests[0].doc["spec"]
    assert spec == {"schedule": "2 * * * *", "suspend": True}


def test_helm_leftovers_are_unknown_and_injected_mappings_open() -> None:
    facts = facts_of(
        """
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: {{ include "app.fullname" . }}-sync
        spec:
          schedule: {{ .Values.schedule | quote }}
          jobTemplate:
            spec:
              template:
                spec:
                  {{- toYaml .Values.podSpec | nindent 10 }}
                  containers:
                    - name: c
                      resources:
                        {{- toYaml .Values.resources | nindent 16 }}
        """,
        path="chart/templates/cron.yaml",
    )
    doc = facts.manifests[0].doc
    assert doc["metadata"]["name"] == '{{ include "app.fullname" . }}-sync'
    assert doc["spec"]["schedule"] == "{{ .Values.schedule | quote }}"
    pod = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod[OPEN] is True  # a key it lacks (activeDeadlineSeconds) is unknown
    assert pod["containers"][0]["resources"] == TEMPLATED
    assert OPEN not in doc["spec"]  # nothing injected there: a lacking key is missing


def test_kustomization_and_json_patch_files_become_manifests() -> None:
    kustomization = facts_of(
        """
        resources:
          - ../../base
        patches:
          - path: cronjob.yaml
        """,
        path="overlays/prod/kustomization.yaml",
    )
    [manifest] = kustomization.manifests
    assert manifest.kind == "Kustomization"
    assert manifest.doc == {"resources": ["../../base"], "patches": [{"path": "cronjob.yaml"}]}
    assert manifest.positions[("patches", 0, "path")] == (4, 5)
    patch = facts_of(
        """
        - op: replace
          path: /spec/schedule
          value: "0 3 * * *"
        """,
        path="overlays/prod/schedule-patch.yaml",
    )
    [manifest] = patch.manifests
    assert manifest.kind == "Json6902Patch"
    assert manifest.doc[0]["path"] == "/spec/schedule"
    # a file named like a kustomization but with a kind is read by its kind
    other = facts_of("kind: ConfigMap\ndata: {a: b}\n", path="x/kustomization.yaml")
    assert other.manifests == []


def test_only_object_keys_are_converted_and_manifests_pickle() -> None:
    facts = facts_of(
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        status: {replicas: 9}
        spec:
          replicas: 3
        """
    )
    [manifest] = facts.manifests
    assert set(manifest.doc) == {"apiVersion", "kind", "metadata", "spec"}
    again = pickle.loads(pickle.dumps(facts))
    assert again.manifests == facts.manifests


def test_workload_env_is_read_literally() -> None:
    facts = facts_of(
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          template:
            spec:
              containers:
                - name: app
                  command: [gunicorn, app:wsgi]
                  env:
                    - {name: WEB_CONCURRENCY, value: "4"}
                    - name: SECRET
                      valueFrom: {secretKeyRef: {name: s, key: k}}
        ---
        services:
          web:
            image: app
            environment:
              WEB_CONCURRENCY: 2
              OTHER: ${FROM_SHELL}
        """
    )
    deployment, web = facts.workloads
    assert deployment.extra["env"] == {"WEB_CONCURRENCY": "4"}
    assert web.extra["env"] == {"WEB_CONCURRENCY": "2"}


def test_redefined_anchor_is_valid_yaml() -> None:
    # YAML 1.2 (and go-yaml, which Helm and kubectl use): an alias names the latest node
    facts = facts_of(
        """
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: x}
        spec:
          a: &deadline 30
          startingDeadlineSeconds: &deadline 60
          b: *deadline
        """
    )
    assert facts.problems == []
    assert facts.manifests[0].doc["spec"]["b"] == 60


def test_inline_control_actions_write_nothing() -> None:
    facts = facts_of(
        """
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: "{{ .name }}"
        spec:
          schedule: "{{ .schedule }}"
          {{ if .timeZone }}timeZone: "{{ .timeZone }}"{{- end }}
        """,
        path="chart/templates/cron.yaml",
    )
    assert facts.problems == []
    assert facts.manifests[0].doc["spec"]["timeZone"] == "{{ .timeZone }}"


def test_ints_are_read_as_yaml_1_1_reads_them() -> None:
    facts = facts_of(
        """
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: x}
        spec:
          octal: 0644
          hex: 0x1F
          plain: 1_000
          sexagesimal: 1:30
          negative: -12
        """
    )
    spec = facts.manifests[0].doc["spec"]
    assert spec == {"octal": 420, "hex": 31, "plain": 1000, "sexagesimal": 90, "negative": -12}
