"""BGT030 and the "never" date of a suspended CronJob (govuk-helm-charts: `schedule: "0 0
31 2 *" # to be run manually` beside `suspend: true`): both switch the job off on purpose, so
the impossible date is no finding; without `suspend` it still is.
"""

from __future__ import annotations

from pathlib import Path

from helpers import findings

CRONJOB = """\
    apiVersion: batch/v1
    kind: CronJob
    metadata:
      name: report
    spec:
      schedule: "0 0 31 2 *"
      suspend: {suspend}
      concurrencyPolicy: Forbid
      jobTemplate:
        spec:
          activeDeadlineSeconds: 600
          template:
            spec:
              restartPolicy: Never
              containers:
                - name: report
                  image: report:1
                  resources:
                    limits: {{cpu: 100m, memory: 128Mi}}
    """


def test_a_suspended_cronjob_dated_february_31_is_no_finding(tmp_path: Path) -> None:
    files = {"k8s/report.yaml": CRONJOB.format(suspend="true")}
    assert findings(tmp_path, files, code="BGT030") == []


def test_a_running_cronjob_dated_february_31_is_still_reported(tmp_path: Path) -> None:
    files = {"k8s/report.yaml": CRONJOB.format(suspend="false")}
    (found,) = findings(tmp_path, files, code="BGT030")
    assert "day 31 never occurs in February" in found.message
