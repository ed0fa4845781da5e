"""BGT011/BGT012 judge CronJobs as they run: the policy in force, what already caps a run,
whether runs can overlap at all, and rendered objects with their environments."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import findings, write_tree
from test_rules_kubernetes import BAD_CRONJOB, SAFE_CRONJOB, cron

from check_background_tasks import checker
from check_background_tasks.config import Config
from check_background_tasks.deploy.objects import apply_renders
from check_background_tasks.deploy.rendered import Rendered, RenderResult
from check_background_tasks.engine import scan
from check_background_tasks.model import Finding, Location


def run(tmp_path: Path, files: dict[str, str], code: str) -> list[Finding]:
    return findings(tmp_path, files, code=code)


def one(found: list[Finding]) -> Finding:
    assert len(found) == 1, [f.message for f in found]
    return found[0]


# ---------------------------------------------------------------- BGT012: hung runs


def test_forbid_without_deadline_says_later_runs_are_skipped(tmp_path: Path) -> None:
    text = cron(**{"      activeDeadlineSeconds:__600": ""})
    found = one(run(tmp_path, {"k8s/cron.yaml": text}, "BGT012"))
    assert "has no activeDeadlineSeconds:" in found.message
    assert "Forbid then skips every later run" in found.message
    assert found.severity == "warning"


def test_replace_policy_ends_a_hung_run_at_the_next_tick(tmp_path: Path) -> None:
    # ../shared/cases/replace-policy-message: Replace stops the run still going
    text = cron(
        **{
            "  concurrencyPolicy:__Forbid": "  concurrencyPolicy: Replace",
            "      activeDeadlineSeconds:__600": "",
        }
    )
    assert not run(tmp_path, {"k8s/cron.yaml": text}, "BGT012")
    # ... but Replace does not stand in for limits
    found = one(
        run(
            tmp_path,
            {
                "k8s/b.yaml": text.replace("              resources:\n", "").replace(
                    "                limits: {cpu: 500m, memory: 256Mi}\n", ""
                )
            },
            "BGT012",
        )
    )
    assert "never stopped" not in found.message and "resources.limits" in found.message


def test_no_message_claims_a_run_is_never_started_again(tmp_path: Path) -> None:
    # the CronJob controller still starts the latest missed run after 100 misses
    found = one(run(tmp_path, {"k8s/cron.yaml": BAD_CRONJOB}, "BGT012"))
    assert "100" not in found.message and "not at all" not in found.message
    assert "never ends" not in found.message


@pytest.mark.parametrize(
    ("container_extra", "capped"),
    [
        (
            "              livenessProbe:\n"
            "                tcpSocket: {port: 80}\n"
            "                initialDelaySeconds: 7200\n"
            "                failureThreshold: 1\n",
            True,
        ),
        ("              readinessProbe:\n                tcpSocket: {port: 80}\n", False),
    ],
)
def test_a_liveness_probe_caps_the_run_time(
    tmp_path: Path, container_extra: str, capped: bool
) -> None:
    # ../shared/cases/liveness-capped-cronjob: "give this job 2 hours to finish"
    text = cron(**{"      activeDeadlineSeconds:__600": ""}) + container_extra
    found = run(tmp_path, {"k8s/cron.yaml": text}, "BGT012")
    assert bool(found) is not capped


@pytest.mark.parametrize(
    ("command", "capped"),
    [
        ('["timeout", "3600", "python", "-m", "app.jobs.cleanup"]', True),
        ('["sh", "-c", "timeout 3600 python -m app.jobs.cleanup"]', True),
        ('["python", "-m", "app.jobs.timeout"]', False),
    ],
)
def test_a_timeout_command_caps_the_run_time(tmp_path: Path, command: str, capped: bool) -> None:
    text = cron(
        **{
            "      activeDeadlineSeconds:__600": "",
            '              command:__["python",__"-m",__"app.jobs.cleanup"]': (
                f"              command: {command}"
            ),
        }
    )
    assert bool(run(tmp_path, {"k8s/cron.yaml": text}, "BGT012")) is not capped


def test_only_a_late_start_at_stake_is_info(tmp_path: Path) -> None:
    text = cron(**{"  startingDeadlineSeconds:__300": ""})
    found = one(run(tmp_path, {"k8s/cron.yaml": text}, "BGT012"))
    assert found.severity == "info"
    assert "has no startingDeadlineSeconds: a run that could not start on time" in found.message


def test_suspended_cronjob_is_not_judged(tmp_path: Path) -> None:
    text = BAD_CRONJOB.replace("spec:\n  schedule", "spec:\n  suspend: true\n  schedule", 1)
    for code in ("BGT011", "BGT012"):
        assert not run(tmp_path, {"k8s/cron.yaml": text}, code)


# ------------------------------------------------------- BGT011: can runs overlap at all?


def test_deadline_shorter_than_the_interval_rules_out_overlap(tmp_path: Path) -> None:
    base = cron(**{"  concurrencyPolicy:__Forbid": ""})  # runs every 5 minutes
    assert not run(
        tmp_path / "a",
        {"k8s/cron.yaml": base.replace("activeDeadlineSeconds: 600", "activeDeadlineSeconds: 240")},
        "BGT011",
    )
    found = one(run(tmp_path / "b", {"k8s/cron.yaml": base}, "BGT011"))  # 600 s > 5 minutes
    assert "takes longer than 5 minutes" in found.message and found.severity == "warning"


def test_daily_job_overlap_is_info(tmp_path: Path) -> None:
    text = BAD_CRONJOB.replace('"*/5 * * * *"', '"0 3 * * *"')
    found = one(run(tmp_path, {"k8s/cron.yaml": text}, "BGT011"))
    assert found.severity == "info" and "takes longer than 1 day" in found.message


# -------------------------------------------------- rendered objects and environments


def _rendered(tmp_path: Path, objects: list[Rendered], owned: set[str]) -> list[Finding]:
    """Scan a tree, then stand rendered objects in for the files they own."""
    config = Config(select=["ALL"])
    project = scan([str(tmp_path)], config, jobs=1).project
    apply_renders(project, RenderResult(objects=objects, owned=owned))
    return checker.run(project, config).findings


def _cronjob_doc(policy: str | None, deadline: int | None) -> dict:
    spec: dict = {"schedule": "*/5 * * * *", "startingDeadlineSeconds": 60}
    if policy:
        spec["concurrencyPolicy"] = policy
    job_spec: dict = {
        "template": {
            "spec": {
                "containers": [{"name": "c", "image": "x", "resources": {"limits": {"cpu": 1}}}]
            }
        }
    }
    if deadline:
        job_spec["activeDeadlineSeconds"] = deadline
    spec["jobTemplate"] = {"spec": job_spec}
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "sync"}, "spec": spec}


def test_gap_inherited_from_the_base_is_reported_once_at_the_base(tmp_path: Path) -> None:
    write_tree(tmp_path, {"base/cronjob.yaml": SAFE_CRONJOB, "overlays/x.yaml": SAFE_CRONJOB})
    base = Location("base/cronjob.yaml", 1, 1)
    objects = [
        Rendered("CronJob", _cronjob_doc(None, 600), {}, base, env, ("base/cronjob.yaml",))
        for env in ("overlays/prod", "overlays/staging")
    ]
    found = [f for f in _rendered(tmp_path, objects, {"base/cronjob.yaml"}) if f.code == "BGT011"]
    finding = one(found)
    assert finding.location == base
    assert finding.message.endswith("(deployed in environments overlays/prod, overlays/staging)")


def test_allow_set_by_a_patch_is_reported_at_the_patch(tmp_path: Path) -> None:
    write_tree(tmp_path, {"base/cronjob.yaml": SAFE_CRONJOB, "overlays/dev/patch.yaml": ""})
    base = Location("base/cronjob.yaml", 1, 1)
    patch = Location("overlays/dev/patch.yaml", 5, 3)
    policy = ("spec", "concurrencyPolicy")
    allow = Rendered("CronJob", _cronjob_doc("Allow", 600), {policy: patch}, base, "overlays/dev")
    forbid = Rendered("CronJob", _cronjob_doc("Forbid", 600), {}, base, "overlays/prod")
    owned = {"base/cronjob.yaml", "overlays/dev/patch.yaml"}
    found = [f for f in _rendered(tmp_path, [allow, forbid], owned) if f.code == "BGT011"]
    finding = one(found)
    assert finding.location == patch
    assert "has concurrencyPolicy: Allow" in finding.message
    assert finding.message.endswith("(deployed in environment overlays/dev)")


def test_an_owned_patch_is_not_linted_as_a_cronjob_of_its_own(tmp_path: Path) -> None:
    patch_text = (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: sync}\nspec: {suspend: false}\n"
    )
    write_tree(
        tmp_path, {"base/cronjob.yaml": SAFE_CRONJOB, "overlays/prod/cronjob.yaml": patch_text}
    )
    assert run(tmp_path, {}, "BGT011")  # read alone, the patch lacks a policy
    base = Location("base/cronjob.yaml", 1, 1)
    rendered = Rendered("CronJob", _cronjob_doc("Forbid", 600), {}, base, "overlays/prod")
    owned = {"base/cronjob.yaml", "overlays/prod/cronjob.yaml"}
    found = _rendered(tmp_path, [rendered], owned)
    assert not [f for f in found if f.code in ("BGT011", "BGT012")]


def test_copies_in_different_environments_are_not_duplicates(tmp_path: Path) -> None:
    write_tree(tmp_path, {"base/cronjob.yaml": SAFE_CRONJOB, "base/other.yaml": SAFE_CRONJOB})
    first, second = Location("base/cronjob.yaml", 1, 1), Location("base/other.yaml", 1, 1)
    doc = _cronjob_doc("Forbid", 240)
    across = [
        Rendered("CronJob", doc, {}, first, "overlays/prod"),
        Rendered("CronJob", doc, {}, second, "overlays/staging"),
    ]
    owned = {"base/cronjob.yaml", "base/other.yaml"}
    assert not [f for f in _rendered(tmp_path, across, owned) if f.code == "BGT002"]
    within = [
        Rendered("CronJob", doc, {}, first, "overlays/prod"),
        Rendered("CronJob", doc, {}, second, "overlays/prod"),
    ]
    found = one([f for f in _rendered(tmp_path, within, owned) if f.code == "BGT002"])
    assert found.location == second
    assert "CronJob 'sync' (environment overlays/prod) is already defined" in found.message


# ------------------------------------------------------------ LimitRange defaults

NO_LIMITS = SAFE_CRONJOB.replace("              resources:\n", "").replace(
    "                limits: {cpu: 500m, memory: 256Mi}\n", ""
)
LIMIT_RANGE = """\
apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
{namespace}spec:
  limits:
    - type: Container
      default: {{memory: 512Mi}}
"""


def test_limit_range_with_defaults_in_the_namespace_counts(tmp_path: Path) -> None:
    assert run(tmp_path / "a", {"k8s/cron.yaml": NO_LIMITS}, "BGT012")  # namespace prod
    elsewhere = {
        "k8s/cron.yaml": NO_LIMITS,
        "cluster/prod/limits.yaml": LIMIT_RANGE.format(namespace="  namespace: prod\n"),
    }
    assert not run(tmp_path / "b", elsewhere, "BGT012")
    other = {
        "k8s/cron.yaml": NO_LIMITS,
        "cluster/dev/limits.yaml": LIMIT_RANGE.format(namespace="  namespace: dev\n"),
    }
    assert run(tmp_path / "c", other, "BGT012")
    requests_only = LIMIT_RANGE.format(namespace="  namespace: prod\n").replace(
        "default:", "defaultRequest:"
    )
    assert run(tmp_path / "d", {"k8s/cron.yaml": NO_LIMITS, "l.yaml": requests_only}, "BGT012")


def test_limit_range_in_the_same_overlay_counts(tmp_path: Path) -> None:
    cronjob = NO_LIMITS.replace("  namespace: prod\n", "")
    files = {
        "base/cronjob.yaml": cronjob,
        "base/kustomization.yaml": "resources: [cronjob.yaml]\n",
        "overlays/prod/kustomization.yaml": (
            "namespace: shop\nresources: [../../base, limits.yaml]\n"
        ),
        "overlays/prod/limits.yaml": LIMIT_RANGE.format(namespace=""),
        "overlays/dev/kustomization.yaml": "namespace: shop-dev\nresources: [../../base]\n",
    }
    found = one(run(tmp_path, files, "BGT012"))
    assert found.location.file == "base/cronjob.yaml"
    assert found.message.endswith("(deployed in environment overlays/dev)")


def test_twice_a_day_overlap_is_info_hourly_is_a_warning(tmp_path: Path) -> None:
    twice = BAD_CRONJOB.replace('"*/5 * * * *"', '"0 */12 * * *"')
    assert one(run(tmp_path / "a", {"k8s/cron.yaml": twice}, "BGT011")).severity == "info"
    hourly = BAD_CRONJOB.replace('"*/5 * * * *"', '"0 * * * *"')
    assert one(run(tmp_path / "b", {"k8s/cron.yaml": hourly}, "BGT011")).severity == "warning"


def test_one_template_named_per_release_is_one_claim(tmp_path: Path) -> None:
    write_tree(tmp_path, {"chart/templates/cron.yaml": SAFE_CRONJOB})
    template = Location("chart/templates/cron.yaml", 1, 1)
    objects = []
    for release in ("production", "staging"):
        doc = _cronjob_doc(None, 600)
        doc["metadata"]["name"] = f"{release}-sync"
        objects.append(Rendered("CronJob", doc, {}, template, f"release {release}"))
    found = [f for f in _rendered(tmp_path, objects, {"chart/templates/cron.yaml"})]
    finding = one([f for f in found if f.code == "BGT011"])
    assert finding.message.startswith("CronJob 'production-sync' / 'staging-sync' has no")
    assert finding.message.endswith(
        "(deployed in environments release production, release staging)"
    )


def test_replace_ends_a_hung_run_only_as_soon_as_the_next_tick(tmp_path: Path) -> None:
    # a weekly backup under Replace: a hung dump runs for a week, with nothing to alert on
    text = cron(
        **{
            "  concurrencyPolicy:__Forbid": "  concurrencyPolicy: Replace",
            "      activeDeadlineSeconds:__600": "",
        }
    ).replace('"*/5 * * * *"', '"0 3 * * 0"')
    found = one(run(tmp_path, {"k8s/cron.yaml": text}, "BGT012"))
    assert "a hung run goes on until the next tick replaces it, 7 days later" in found.message
    assert found.severity == "warning"


def test_init_containers_need_limits_too(tmp_path: Path) -> None:
    text = SAFE_CRONJOB.replace(
        "          restartPolicy: Never\n",
        "          restartPolicy: Never\n"
        "          initContainers:\n"
        "            - name: fetch\n"
        "              image: curl:1\n",
    )
    found = one(run(tmp_path, {"k8s/cron.yaml": text}, "BGT012"))
    assert "has no resources.limits (init container 'fetch'):" in found.message


def test_a_monthly_gap_is_measured_over_february(tmp_path: Path) -> None:
    text = BAD_CRONJOB.replace('"*/5 * * * *"', '"0 5 3 * *"')
    found = one(run(tmp_path, {"k8s/cron.yaml": text}, "BGT011"))
    assert "takes longer than 29 days" in found.message  # Feb 3 to Mar 3, 2024


def test_a_gap_of_a_range_template_is_reported_once_at_the_template(tmp_path: Path) -> None:
    # each instance of `{{ range .Values.jobs }}` is reported at its values entry, but a
    # field the template itself lacks is the template's to add: one finding, there
    write_tree(tmp_path, {"chart/templates/jobs.yaml": "", "chart/values.yaml": ""})
    template = Location("chart/templates/jobs.yaml", 3, 1)
    kind, policy = ("kind",), ("spec", "concurrencyPolicy")
    objects = []
    for i, name in enumerate(("sync", "report", "cleanup", "export")):
        doc = _cronjob_doc("Forbid", None)
        doc["metadata"]["name"] = name
        entry = Location("chart/values.yaml", 10 + 2 * i, 5)
        objects.append(Rendered("CronJob", doc, {kind: template}, entry, "chart"))
    owned = {"chart/templates/jobs.yaml"}
    finding = one([f for f in _rendered(tmp_path, objects, owned) if f.code == "BGT012"])
    assert finding.location == template
    assert finding.message.startswith("CronJob 'cleanup' / 'export' / 'report' and 1 more has")
    # a value one entry sets is still reported at that entry (the entry that makes it)
    doc = _cronjob_doc("Allow", None)
    policy_at = Location("chart/values.yaml", 11, 7)
    odd = Rendered(
        "CronJob",
        doc,
        {kind: template, policy: policy_at},
        Location("chart/values.yaml", 10, 5),
        "chart",
    )
    allow = one([f for f in _rendered(tmp_path, [odd], owned) if f.code == "BGT011"])
    assert allow.location == Location("chart/values.yaml", 10, 5)


def test_copies_of_one_cronjob_with_one_gap_are_one_finding(tmp_path: Path) -> None:
    # a manifest copied per cluster, or a generated snapshot of a base (Kargo rings)
    no_deadline = cron(**{"      activeDeadlineSeconds:__600": ""})
    files = {f"clusters/c{i}/cleanup.yaml": no_deadline for i in (1, 2, 3)}
    finding = one(run(tmp_path, files, "BGT012"))
    assert finding.location.file == "clusters/c1/cleanup.yaml"
    assert [r.file for r in finding.related] == [
        "clusters/c2/cleanup.yaml",
        "clusters/c3/cleanup.yaml",
    ]
    assert "the same in 2 other copies: clusters/c2/cleanup.yaml:1, clusters/c3/" in (
        finding.message
    )
    # a copy with another gap is its own claim
    files["clusters/c3/cleanup.yaml"] = BAD_CRONJOB
    assert len(run(tmp_path / "b", files, "BGT012")) == 2


SERVICE_CRON = """\
apiVersion: batch/v1{noqa}
kind: CronJob
metadata:
  name: cleanup
spec:
  schedule: '*/5 * * * *'
  jobTemplate:
    spec:
      activeDeadlineSeconds: 100
      template:
        spec:
          containers:
            - name: c
              image: {service}
              command: [python, -m, {service}.cleanup]
"""


def two_services(noqa: str = "") -> dict[str, str]:
    return {
        "services/billing/k8s/cron.yaml": SERVICE_CRON.format(service="billing", noqa=noqa),
        "services/search/k8s/cron.yaml": SERVICE_CRON.format(service="search", noqa=""),
    }


def test_two_unrelated_cronjobs_of_one_name_are_not_copies(tmp_path):
    # Same name and gap, but other images and commands: two CronJobs, not one copied.
    found = findings(tmp_path, two_services(), code="BGT012")
    assert sorted(f.location.file for f in found) == [
        "services/billing/k8s/cron.yaml",
        "services/search/k8s/cron.yaml",
    ]


def test_a_suppression_on_one_cronjob_keeps_the_other_cronjobs_finding(tmp_path):
    found = findings(tmp_path, two_services(noqa="  # noqa: BGT012"), code="BGT012")
    assert [f.location.file for f in found] == ["services/search/k8s/cron.yaml"]
