"""BGT011 and runs that only overlap when they hang: a CronJob every 4 hours with no
activeDeadlineSeconds overlaps the next tick only with a run of 4 hours, most likely hung,
which BGT012 reports on the same CronJob (infra-deployments' 4-hourly submitter,
cloud-automation's 4-hourly read-only check). Said at info; a bounded run that can still
outlast the interval, or a job every 2 hours, stays a warning."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import findings

CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: check
spec:
  schedule: "{schedule}"
  jobTemplate:
    spec:
{deadline}      template:
        spec:
          restartPolicy: Never
          containers:
            - name: check
              image: check:1
"""


def _bgt011(tmp_path: Path, schedule: str, deadline: str = "") -> list:
    text = CRONJOB.format(schedule=schedule, deadline=deadline)
    return findings(tmp_path, {"k8s/check.yaml": text}, code="BGT011")


def test_every_four_hours_without_a_deadline_is_a_hung_run(tmp_path: Path) -> None:
    (found,) = _bgt011(tmp_path, "0 */4 * * *")
    assert found.severity == "info"
    assert "most likely hung" in found.message


@pytest.mark.parametrize(
    ("schedule", "deadline"),
    [
        ("0 */2 * * *", ""),  # a 2-hour run is slow, not necessarily hung
        ("0 */4 * * *", "      activeDeadlineSeconds: 20000\n"),  # bounded beyond 4 hours
    ],
)
def test_an_overlap_without_a_hang_stays_a_warning(
    tmp_path: Path, schedule: str, deadline: str
) -> None:
    (found,) = _bgt011(tmp_path, schedule, deadline)
    assert found.severity == "warning"
    assert "hung" not in found.message
