"""helmfile `values.yaml.gotmpl` files (deploy/helmfile_values.py): rendered as helmfile
renders them, with what the repository does not state (environment name and values,
environment variables) unknown (cds-snc/notification-manifests: the notify-jobs CronJobs
live in `overrides/notify/jobs.yaml.gotmpl`). Each construct has a positive case and a near
miss.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import findings, records

CHART = {
    "charts/jobs/Chart.yaml": "apiVersion: v2\nname: jobs\nversion: 1.0.0\n",
    "charts/jobs/values.yaml": "cronJobs: []\n",
    "charts/jobs/templates/cronjob.yaml": """\
        {{- range .Values.cronJobs }}
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: {{ .name }}
          annotations:
            owner: {{ $.Values.owner | quote }}
        spec:
          schedule: {{ .schedule | quote }}
          concurrencyPolicy: Forbid
          jobTemplate:
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers:
                    - name: task
                      image: jobs:1
                      resources:
                        limits: {cpu: 100m, memory: 128Mi}
        ---
        {{- end }}
        """,
    "helmfile.yaml.gotmpl": """\
        environments:
          staging:
            values:
              - ./staging.env
        ---
        releases:
          - name: jobs
            namespace: {{ .Environment.Name }}
            chart: ./charts/jobs
            values:
              - ./overrides/jobs.yaml.gotmpl
        """,
}

JOBS_VALUES = """\
    owner: "{{ requiredEnv "OWNER" }}"
    cronJobs:
      - name: report
        schedule: "*/10 * * * *"
    """


def test_a_gotmpl_values_file_is_rendered_for_its_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the helmfile names its chart relative to itself
    files = {**CHART, "overrides/jobs.yaml.gotmpl": JOBS_VALUES}
    (job,) = [r for r in records(tmp_path, files) if r["kind"] == "k8s_cronjob"]
    assert job["name"] == "report"
    assert job["schedule"] == "*/10 * * * *"
    assert (job["file"], job["line"]) == ("overrides/jobs.yaml.gotmpl", 3)
    found = findings(tmp_path, files, code="BGT012")
    assert len(found) == 1 and "no activeDeadlineSeconds" in found[0].message


def test_a_gotmpl_values_file_the_evaluator_cannot_run_is_unknown_not_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = JOBS_VALUES + "{{ if .Values.unclosed }}\n"
    files = {**CHART, "overrides/jobs.yaml.gotmpl": broken}
    jobs = [r for r in records(tmp_path, files) if r["kind"] == "k8s_cronjob"]
    assert jobs == []  # the list of jobs is unknown: nothing is claimed about it
    assert findings(tmp_path, files, code="BGT012") == []


def test_a_plain_values_file_beside_a_gotmpl_one_is_read_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the helmfile names its chart relative to itself
    files = {**CHART, "overrides/jobs.yaml.gotmpl": "owner: ops\n"}
    files["helmfile.yaml.gotmpl"] = files["helmfile.yaml.gotmpl"].replace(
        "- ./overrides/jobs.yaml.gotmpl",
        "- ./overrides/jobs.yaml.gotmpl\n              - ./overrides/values-jobs.yaml",
    )
    files["overrides/values-jobs.yaml"] = 'cronJobs:\n  - name: plain\n    schedule: "0 * * * *"\n'
    (job,) = [r for r in records(tmp_path, files) if r["kind"] == "k8s_cronjob"]
    assert job["name"] == "plain"
