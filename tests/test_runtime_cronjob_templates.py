"""A CronJob the application renders and creates at run time (browsertrix: a Jinja file
whose name and schedule are `{{ id }}` and `{{ schedule }}`, filled per request): its gaps
are said at info, since this file alone does not decide how it runs. A Helm-style file
(`{{ .Release.Name }}`, `{{ .Values.schedule }}`) is judged as deployed."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import findings

CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: "{name}"
spec:
  concurrencyPolicy: Forbid
  schedule: "{schedule}"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: rm
              image: rclone/rclone:1
              resources:
                limits: {{memory: 200Mi}}
"""


@pytest.mark.parametrize(
    ("name", "schedule"),
    [("{{ id }}", "{{ schedule }}"), ("{{ job.id|lower }}", "{{ when }}")],
)
def test_a_cronjob_filled_in_by_the_app_is_said_at_info(
    tmp_path: Path, name: str, schedule: str
) -> None:
    files = {"app-templates/delete_later.yaml": CRONJOB.format(name=name, schedule=schedule)}
    (found,) = findings(tmp_path, files, code="BGT012")
    assert found.severity == "info" and "filled in at run time" in found.message


@pytest.mark.parametrize(
    ("name", "schedule"),
    [
        ("{{ .Release.Name }}-cleanup", "{{ .Values.schedule }}"),
        ("{{ id }}", "0 3 * * *"),  # a fixed schedule: runs as written
    ],
)
def test_helm_placeholders_or_a_fixed_schedule_are_judged(
    tmp_path: Path, name: str, schedule: str
) -> None:
    files = {"deploy/cleanup.yaml": CRONJOB.format(name=name, schedule=schedule)}
    (found,) = findings(tmp_path, files, code="BGT012")
    assert found.severity == "warning" and "run time" not in found.message
