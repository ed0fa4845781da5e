"""BGT030 and the "never" date of a suspended CronJob (govuk-helm-charts: `schedule: "0 0
31 2 *" # to be run manually` beside `suspend: true`): both switch the job off on purpose, so
the impossible date is no finding. Without `suspend` the date alone is the usual idiom of a
CronJob run only by hand (gen3-helm: "we never want this to actually trigger itself"): one
info, and nothing about overlapping or piling runs, since no tick ever starts one. The same
date in an in-app scheduler is a mistake, reported as an error.
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


def test_an_unsuspended_cronjob_dated_february_31_is_run_by_hand(tmp_path: Path) -> None:
    files = {"k8s/report.yaml": CRONJOB.format(suspend="false")}
    (found,) = findings(tmp_path, files, code="BGT030")
    assert found.severity == "info"
    assert "day 31 never occurs in February" in found.message
    assert "kubectl create job --from=cronjob/report" in found.message
    assert "suspend: true" in found.message


BARE = """\
    apiVersion: batch/v1
    kind: CronJob
    metadata:
      name: backfill
    spec:
      schedule: "{schedule}"
      jobTemplate:
        spec:
          template:
            spec:
              restartPolicy: Never
              containers:
                - name: backfill
                  image: backfill:1
    """


def test_a_date_that_never_comes_starts_no_overlapping_or_piling_runs(tmp_path: Path) -> None:
    files = {"k8s/backfill.yaml": BARE.format(schedule="0 0 30 2 *")}
    assert findings(tmp_path, files, code="BGT011") == []
    assert findings(tmp_path, files, code="BGT012") == []


def test_a_date_that_comes_keeps_its_findings(tmp_path: Path) -> None:
    # near miss: the last day of February's neighbour exists (March 1st): judged as usual
    files = {"k8s/backfill.yaml": BARE.format(schedule="0 0 28 2 *")}
    assert [f.severity for f in findings(tmp_path, files, code="BGT011")] == ["info"]
    assert [f.severity for f in findings(tmp_path, files, code="BGT012")] == ["warning"]
    assert findings(tmp_path, files, code="BGT030") == []


def test_an_impossible_date_in_an_app_scheduler_is_an_error(tmp_path: Path) -> None:
    files = {
        "app/jobs.py": """\
            from apscheduler.schedulers.background import BackgroundScheduler


            def report():
                pass


            scheduler = BackgroundScheduler()
            scheduler.add_job(report, "cron", month=2, day=30, id="report")
            """
    }
    (found,) = findings(tmp_path, files, code="BGT030")
    assert found.severity == "error" and "never occurs in February" in found.message


def test_a_written_weekday_range_makes_february_30_fire_every_day(tmp_path: Path) -> None:
    # `0 0 30 2 0-6`: under cron's OR of two written day fields, every day of February
    # (robfig/cron, which Kubernetes uses, and cronsim agree): no never-date
    files = {"k8s/backfill.yaml": BARE.format(schedule="0 0 30 2 0-6")}
    assert findings(tmp_path, files, code="BGT030") == []
    assert len(findings(tmp_path, files, code="BGT012")) == 1
