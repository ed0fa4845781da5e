"""BGT011: `concurrencyPolicy: Forbid` by a one-line YAML text edit, never a re-dump."""

from __future__ import annotations

from fixing import codes_left, fix

from check_background_tasks.fix import apply
from check_background_tasks.model import Finding, Location

JOB = """\
          containers:
            - name: sync
              image: app:1
              command: ["python", "-m", "app.sync"]
          restartPolicy: Never
"""

COMMENTED = (
    """\
# The nightly sync. Do not reorder keys: a reviewer diffs this file.
defaults: &defaults
  image: app:1   # pinned
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: sync  # the name the dashboards use
  labels: {team: data, "quoted": 'yes'}
spec:
  # every five minutes
  schedule: '*/5 * * * *'   # UTC
  jobTemplate:
    spec:
      template:
        spec:
"""
    + JOB
)


def test_inserted_after_schedule_and_nothing_else_changes(tmp_path):
    run = fix(tmp_path, {"deploy/cronjob.yaml": COMMENTED}, codes=("BGT011",))
    after = (tmp_path / "deploy/cronjob.yaml").read_text()
    lines = COMMENTED.splitlines(keepends=True)
    at = lines.index("  schedule: '*/5 * * * *'   # UTC\n") + 1
    assert after == "".join([*lines[:at], "  concurrencyPolicy: Forbid\n", *lines[at:]])
    assert run.fixed == {"BGT011": 1}
    assert "BGT011" not in codes_left(tmp_path)
    assert not fix(tmp_path, codes=("BGT011",)).edits  # idempotent


def test_allow_becomes_forbid_in_place(tmp_path):
    source = (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: sync\nspec:\n"
        '  concurrencyPolicy: "Allow"  # was fine once\n  schedule: "*/5 * * * *"\n'
        "  jobTemplate:\n    spec:\n      template:\n        spec:\n" + JOB
    )
    fix(tmp_path, {"cronjob.yaml": source}, codes=("BGT011",))
    after = (tmp_path / "cronjob.yaml").read_text()
    assert after == source.replace('"Allow"  # was', '"Forbid"  # was')
    assert "BGT011" not in codes_left(tmp_path)


def test_every_cronjob_of_a_list_and_of_several_documents(tmp_path):
    one = (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: NAME\nspec:\n"
        '  schedule: "*/5 * * * *"\n  jobTemplate:\n    spec:\n      template:\n'
        "        spec:\n" + JOB.replace("app.sync", "app.NAME")
    )
    source = one.replace("NAME", "a") + "---\n" + one.replace("NAME", "b")
    run = fix(tmp_path, {"jobs.yaml": source}, codes=("BGT011",))
    after = (tmp_path / "jobs.yaml").read_text()
    assert after.count('  schedule: "*/5 * * * *"\n  concurrencyPolicy: Forbid\n') == 2
    assert run.fixed == {"BGT011": 2}


def test_kustomize_overlay_patch_is_fixed_where_it_sets_the_policy(tmp_path):
    files = {
        "base/kustomization.yaml": "resources:\n  - cronjob.yaml\n",
        "base/cronjob.yaml": (
            "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: sync\nspec:\n"
            '  schedule: "*/5 * * * *"\n  concurrencyPolicy: Forbid\n  jobTemplate:\n'
            "    spec:\n      template:\n        spec:\n" + JOB
        ),
        "overlays/prod/kustomization.yaml": (
            "resources:\n  - ../../base\npatchesStrategicMerge:\n  - patch.yaml\n"
        ),
        "overlays/prod/patch.yaml": (
            "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: sync\nspec:\n"
            "  concurrencyPolicy: Allow\n"
        ),
    }
    run = fix(tmp_path, files, codes=("BGT011",))
    assert run.written == ["overlays/prod/patch.yaml"]
    assert (
        (tmp_path / "overlays/prod/patch.yaml")
        .read_text()
        .endswith("spec:\n  concurrencyPolicy: Forbid\n")
    )
    assert "BGT011" not in codes_left(tmp_path)


def test_json_patch_value_in_an_overlay_becomes_forbid(tmp_path):
    files = {
        "base/kustomization.yaml": "resources:\n  - cronjob.yaml\n",
        "base/cronjob.yaml": (
            "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: sync\nspec:\n"
            '  schedule: "*/5 * * * *"\n  concurrencyPolicy: Forbid\n  jobTemplate:\n'
            "    spec:\n      template:\n        spec:\n" + JOB
        ),
        "prod/kustomization.yaml": (
            "resources:\n  - ../base\npatches:\n  - target:\n      kind: CronJob\n"
            "      name: sync\n    patch: |-\n      - op: replace\n"
            "        path: /spec/concurrencyPolicy\n        value: Allow\n"
            "      - op: replace\n        path: /spec/suspend\n        value: false\n"
        ),
    }
    run = fix(tmp_path, files, codes=("BGT011",))
    assert run.written == ["prod/kustomization.yaml"]
    assert (tmp_path / "prod/kustomization.yaml").read_text() == files[
        "prod/kustomization.yaml"
    ].replace("value: Allow", "value: Forbid")
    assert "BGT011" not in codes_left(tmp_path)


HELM_TEMPLATE = (
    "{{- if .Values.sync.enabled -}}\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n"
    '  name: {{ .Release.Name }}-sync\n  labels:\n    {{- include "app.labels" . | nindent 4 }}\n'
    "spec:\n  schedule: {{ .Values.schedule | quote }}\n  jobTemplate:\n    spec:\n"
    "      template:\n        spec:\n" + JOB + "{{- end }}\n"
)
HELM_FILES = {
    "chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
    "chart/values.yaml": 'schedule: "*/5 * * * *"\nsync:\n  enabled: true\n',
}


def test_helm_template_with_a_plain_spec_gets_the_line(tmp_path):
    files = {**HELM_FILES, "chart/templates/cronjob.yaml": HELM_TEMPLATE}
    run = fix(tmp_path, files, codes=("BGT011",))
    assert run.fixed == {"BGT011": 1}
    assert (tmp_path / "chart/templates/cronjob.yaml").read_text() == HELM_TEMPLATE.replace(
        "| quote }}\n", "| quote }}\n  concurrencyPolicy: Forbid\n"
    )
    assert "BGT011" not in codes_left(tmp_path)


def test_helm_values_entry_that_sets_allow_becomes_forbid(tmp_path):
    template = HELM_TEMPLATE.replace(
        "  jobTemplate:\n", "  concurrencyPolicy: {{ .Values.sync.policy }}\n  jobTemplate:\n"
    )
    values = 'schedule: "*/5 * * * *"\nsync:\n  enabled: true\n  policy: Allow  # why not\n'
    files = {**HELM_FILES, "chart/values.yaml": values, "chart/templates/cronjob.yaml": template}
    run = fix(tmp_path, files, codes=("BGT011",))
    assert run.written == ["chart/values.yaml"]
    assert (tmp_path / "chart/values.yaml").read_text() == values.replace("Allow", "Forbid")
    assert (tmp_path / "chart/templates/cronjob.yaml").read_text() == template
    assert "BGT011" not in codes_left(tmp_path)


def test_helm_template_whose_spec_keys_come_from_values_is_skipped_with_a_note(tmp_path):
    template = HELM_TEMPLATE.replace(
        "  jobTemplate:\n",
        "  {{- with .Values.extraSpec }}\n  {{- toYaml . | nindent 2 }}\n  {{- end }}\n"
        "  jobTemplate:\n",
    )
    files = {**HELM_FILES, "chart/templates/cronjob.yaml": template}
    run = fix(tmp_path, files, codes=("BGT011",))
    assert (tmp_path / "chart/templates/cronjob.yaml").read_text() == template
    assert not run.edits
    assert [s.code for s in run.skipped] == ["BGT011"]
    assert "template action" in run.skipped[0].reason


def test_spec_that_is_an_alias_is_not_edited(tmp_path):
    job = "".join("    " + line for line in JOB.splitlines(keepends=True))
    source = (
        "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: batch/v1\n    kind: CronJob\n"
        "    metadata: {name: a}\n    spec: &spec\n      schedule: '*/5 * * * *'\n"
        "      jobTemplate:\n        spec:\n          template:\n            spec:\n"
        + job
        + "  - apiVersion: batch/v1\n    kind: CronJob\n    metadata: {name: b}\n    spec: *spec\n"
    )
    (tmp_path / "cronjob.yaml").write_text(source)
    line = source.splitlines().index("    metadata: {name: b}")
    finding = Finding("BGT011", "p", "warning", "m", Location("cronjob.yaml", line, 3))
    run = apply([finding], mode="fix", root=tmp_path)
    assert (tmp_path / "cronjob.yaml").read_text() == source
    assert len(run.skipped) == 1 and "alias" in run.skipped[0].reason
