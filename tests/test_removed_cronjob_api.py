"""A CronJob in an API version no supported cluster serves (batch/v1beta1, removed in
Kubernetes 1.25) cannot be applied as written (uc-cdis/cloud-automation's 2020 manifest):
what it lacks is said at info with the reason, not as a failed build, when nothing
deploys it; when an overlay does, the warning stands and says to move the version too."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import findings

CRONJOB = """\
apiVersion: {api}
kind: CronJob
metadata:
  name: scan
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: scan
              image: scan:1
"""


@pytest.mark.parametrize("code", ["BGT011", "BGT012"])
def test_a_removed_api_version_is_said_at_info(tmp_path: Path, code: str) -> None:
    files = {"k8s/scan.yaml": CRONJOB.format(api="batch/v1beta1")}
    (found,) = findings(tmp_path, files, code=code)
    assert found.severity == "info"
    assert "batch/v1beta1 is served by no Kubernetes since 1.25" in found.message


@pytest.mark.parametrize("code", ["BGT011", "BGT012"])
def test_batch_v1_is_judged_as_deployed(tmp_path: Path, code: str) -> None:
    files = {"k8s/scan.yaml": CRONJOB.format(api="batch/v1")}
    (found,) = findings(tmp_path, files, code=code)
    assert found.severity == "warning"
    assert "1.25" not in found.message


@pytest.mark.parametrize("code", ["BGT011", "BGT012"])
def test_an_overlay_that_deploys_it_keeps_the_warning(tmp_path: Path, code: str) -> None:
    # a kustomize overlay deploys the old manifest (thoth, operate-first): the team applies
    # it somewhere, so the gap stands, and the message says to move the API version too
    files = {
        "job/base/cronjob.yaml": CRONJOB.format(api="batch/v1beta1"),
        "job/base/kustomization.yaml": "resources: [cronjob.yaml]\n",
        "job/overlays/prod/kustomization.yaml": "resources: [../../base]\n",
    }
    (found,) = findings(tmp_path, files, code=code)
    assert found.severity == "warning"
    assert "move it from batch/v1beta1 to batch/v1 as well" in found.message
