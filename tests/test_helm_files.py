"""What extraction keeps of Helm inputs (extract/helm_files.py) and BGT900 for templates."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from helpers import findings

from check_background_tasks.discover import is_candidate_name
from check_background_tasks.extract import extract, might_matter
from check_background_tasks.extract.helm_files import (
    ARGO_APPLICATION,
    FLUX_HELM_RELEASE,
    HELM_CHART,
    HELM_TEMPLATE,
    HELM_VALUES,
    HELMFILE,
    role,
)
from check_background_tasks.model import FileFacts


def facts(path: str, text: str) -> FileFacts:
    return extract(path, textwrap.dedent(text).lstrip("\n").encode())


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("chart/templates/cron.yaml", "name: {{ .Values.x }}", HELM_TEMPLATE),
        ("chart/templates/_helpers.tpl", '{{ define "x" }}{{ end }}', HELM_TEMPLATE),
        ("chart/templates/sub/plain.yaml", "kind: CronJob", HELM_TEMPLATE),
        ("chart/templates/configmap.yaml", "kind: ConfigMap\ndata: {}", None),
        ("docs/notes.tpl", "{{ define }}", None),  # not under templates/
        ("chart/Chart.yaml", "name: x", HELM_CHART),
        ("chart/values.yaml", "a: 1", HELM_VALUES),
        ("chart/values-prod.yaml", "a: 1", HELM_VALUES),
        ("ci/sandbox-values.yaml", "a: 1", HELM_VALUES),
        ("deploy/values/prod.yaml", "a: 1", HELM_VALUES),
        ("helmfile.yaml", "releases: []", HELMFILE),
        ("helmfile.d/apps.yaml", "releases: []", HELMFILE),
        (
            "envs/prod/release.yaml",
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease",
            "release",
        ),
        ("argo/app.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Application", "release"),
        (".github/workflows/ci.yaml", "on: push\njobs: {}", None),
        ("config/settings.yaml", "values: 1", None),
    ],
)
def test_roles_by_name_and_bytes(path: str, text: str, expected: str | None) -> None:
    assert role(path, text.encode()) == expected
    assert might_matter(path, text.encode()) is (
        expected is not None or b"CronJob" in text.encode()
    )


def test_tpl_files_are_candidates() -> None:
    assert is_candidate_name("_helpers.tpl")


def test_template_text_is_kept_for_rendering() -> None:
    found = facts("c/templates/_helpers.tpl", '{{ define "x" }}a: 1{{ end }}')
    assert [m.kind for m in found.manifests] == [HELM_TEMPLATE]
    assert found.manifests[0].doc == {"text": '{{ define "x" }}a: 1{{ end }}'}
    # a .yaml template is also read alone, as before
    found = facts(
        "c/templates/cron.yaml",
        """
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: "{{ .Values.name }}"}
        spec: {schedule: "@daily"}
        """,
    )
    assert [m.kind for m in found.manifests] == ["CronJob", HELM_TEMPLATE]
    assert len(found.jobs) == 1


def test_values_are_plain_data_with_positions() -> None:
    found = facts(
        "c/values.yaml",
        """
        cron:
          enabled: true
          jobs:
            - name: a
        """,
    )
    (manifest,) = [m for m in found.manifests if m.kind == HELM_VALUES]
    assert manifest.doc == {"cron": {"enabled": True, "jobs": [{"name": "a"}]}}
    assert manifest.positions[("cron", "jobs", 0)] == (4, 7)


def test_chart_helmfile_and_releases() -> None:
    chart = facts("c/Chart.yaml", "apiVersion: v2\nname: app\nversion: 1.0.0\n")
    assert [(m.kind, m.doc["name"]) for m in chart.manifests] == [(HELM_CHART, "app")]
    helmfile = facts(
        "helmfile.yaml",
        """
        releases:
          - name: app
            chart: ./c
            values: [{{ .Environment.Name }}.yaml]
        """,
    )
    assert [m.kind for m in helmfile.manifests] == [HELMFILE]
    both = facts(
        "deploy/apps.yaml",
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: a}
        ---
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: b}
        ---
        apiVersion: app.k8s.io/v1beta1
        kind: Application
        metadata: {name: not-argo}
        """,
    )
    assert [m.kind for m in both.manifests] == [ARGO_APPLICATION, FLUX_HELM_RELEASE]


# ---------------------------------------------------------------------------- BGT900

# A valid template (Helm writes one branch) that is not YAML read alone: both branches
# of the inline `if` stay in the text.
INLINE_BRANCHES = """
    apiVersion: batch/v1
    kind: CronJob
    metadata:
      name: x
    spec:
      schedule: "* * * * *"
      suspend: {{ if .Values.off }}[true]{{ else }}{x: 1}{{ end }}
    """


def test_a_template_read_alone_is_at_most_an_info_note(tmp_path: Path) -> None:
    source = textwrap.dedent(INLINE_BRANCHES).lstrip("\n").encode()
    facts = extract("chart/templates/cron.yaml", source)
    assert [(p.severity, p.line) for p in facts.problems] == [("info", 7)]  # `suspend:`
    assert "not analysed alone" in facts.problems[0].message
    # the chart's render reads it with its values: nothing is left to report
    assert findings(tmp_path, {"chart/templates/cron.yaml": INLINE_BRANCHES}, code="BGT900") == []


def test_a_template_that_cannot_hold_a_job_is_not_reported(tmp_path: Path) -> None:
    text = INLINE_BRANCHES.replace("kind: CronJob", "kind: ConfigMap").replace("batch/v1", "v1")
    text = "# the Deployment reads this ConfigMap\n" + text  # read (keywords), not a job
    found = findings(tmp_path, {"chart/templates/cm.yaml": textwrap.dedent(text)}, code="BGT900")
    assert found == []


def test_a_broken_manifest_outside_templates_is_still_an_error(tmp_path: Path) -> None:
    found = findings(tmp_path, {"deploy/cron.yaml": INLINE_BRANCHES}, code="BGT900")
    assert [f.severity for f in found] == ["error"]


def test_a_values_file_pyyaml_rejects_is_an_info_note(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        {"chart/values.yaml": "jobs:\n  - kind: CronJob\n   bad: indent\n"},
        code="BGT900",
    )
    assert [f.severity for f in found] == ["info"]
    assert "Helm values not read" in found[0].message
