"""Argo CD Applications another chart renders (app-of-apps, deploy/helm_apps.py) are
environments of the charts they name, as a plain Application file is (govuk-helm-charts:
`app-config` ranges over `govukApplications` and hands each app's `cronTasks` to
`charts/generic-govuk-app` in `helm.values`). Expected objects are worked out by hand from
the templates and values (there is no helm binary here).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import findings, write_tree

from check_background_tasks.config import Config
from check_background_tasks.deploy.helm import render_helm
from check_background_tasks.engine import scan

APP_CHART = {
    "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
    "charts/app/values.yaml": "cronTasks: []\n",
    "charts/app/templates/cron-task.yaml": """\
        {{- range .Values.cronTasks }}
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: {{ $.Release.Name }}-{{ .name }}
        spec:
          schedule: {{ .schedule | quote }}
          jobTemplate:
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers:
                    - name: task
                      image: app:1
                      resources:
                        limits: {cpu: 100m, memory: 128Mi}
        ---
        {{- end }}
        """,
}

APPS_CHART = {
    "charts/apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 1.0.0\n",
    "charts/apps/values.yaml": "env: base\napplications: []\n",
    "charts/apps/values-production.yaml": """\
        env: production
        applications:
          - name: orders
            helmValues:
              cronTasks:
                - name: sync
                  schedule: "*/5 * * * *"
        """,
    "charts/apps/templates/applications.yaml": """\
        {{- range .Values.applications }}
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata:
          name: {{ .name }}
        spec:
          source:
            repoURL: https://example.com/charts.git
            path: {{ .chartPath | default "charts/app" }}
            helm:
              values: |
                environment: {{ $.Values.env }}
                {{- with .helmValues }}
                {{- toYaml . | nindent 8 }}
                {{- end }}
          destination:
            namespace: {{ .name }}
        ---
        {{- end }}
        """,
}


def test_an_application_a_chart_renders_is_an_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {**APP_CHART, **APPS_CHART})
    monkeypatch.chdir(tmp_path)
    result = render_helm(scan(["."], Config(), jobs=1).project.facts)
    cronjobs = [o for o in result.objects if o.kind == "CronJob"]
    assert len(cronjobs) == 1
    (obj,) = cronjobs
    assert obj.doc["metadata"]["name"] == "orders-sync"  # releaseName: the Application's
    assert obj.doc["spec"]["schedule"] == "*/5 * * * *"
    assert obj.environment == "Application orders of charts/apps with values-production.yaml"
    # the schedule is reported where the generating chart's values file wrote it
    where = obj.positions[("spec", "schedule")]
    assert (where.file, where.line) == ("charts/apps/values-production.yaml", 7)


def test_the_missing_deadline_of_a_generated_cronjob_is_found(tmp_path: Path) -> None:
    found = findings(tmp_path, {**APP_CHART, **APPS_CHART}, code="BGT012")
    assert len(found) == 1
    assert "CronJob 'orders-sync'" in found[0].message
    assert "Application orders of charts/apps with values-production.yaml" in found[0].message


def test_an_application_template_that_names_no_chart_here_adds_nothing(tmp_path: Path) -> None:
    apps = dict(APPS_CHART)
    apps["charts/apps/values-production.yaml"] = apps["charts/apps/values-production.yaml"].replace(
        "- name: orders\n", "- name: orders\n    chartPath: charts/elsewhere\n"
    )
    assert findings(tmp_path, {**APP_CHART, **apps}, code="BGT012") == []


def test_a_chart_whose_applications_name_itself_does_not_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps = dict(APPS_CHART)
    apps["charts/apps/values-production.yaml"] = apps["charts/apps/values-production.yaml"].replace(
        "- name: orders\n", "- name: orders\n    chartPath: charts/apps\n"
    )
    write_tree(tmp_path, {**APP_CHART, **apps})
    monkeypatch.chdir(tmp_path)
    result = render_helm(scan(["."], Config(), jobs=1).project.facts)
    assert [o for o in result.objects if o.kind == "CronJob"] == []
