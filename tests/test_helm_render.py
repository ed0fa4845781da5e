"""Helm charts rendered per environment (deploy/helm.py) on the small charts of
tests/data/helm/. Expected objects are worked out by hand from each chart's templates and
values (there is no helm binary here); see tests/test_gotemplate.py for the template
semantics each relies on."""

from __future__ import annotations

import shutil
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from check_background_tasks.config import Config
from check_background_tasks.deploy.helm import render_helm
from check_background_tasks.deploy.rendered import Rendered, RenderResult
from check_background_tasks.engine import scan
from check_background_tasks.extract.manifest_objects import interpret
from check_background_tasks.model import Location, Manifest, RawJob, Workload

DATA = Path(__file__).parent / "data" / "helm"


def render_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> RenderResult:
    tree = tmp_path / name
    shutil.copytree(DATA / name, tree)
    monkeypatch.chdir(tree)
    facts = scan(["."], Config(), jobs=1).project.facts
    return render_helm(facts)


def reading(obj: Rendered) -> Any:
    """The object as the rules read it (one CronJob or workload)."""
    (item,) = interpret(Manifest(obj.kind, obj.doc, {}, obj.origin.line, obj.origin.column))
    return item


def cronjobs(result: RenderResult) -> list[tuple[Rendered, RawJob]]:
    out = []
    for obj in result.objects:
        item = reading(obj)
        if isinstance(item, RawJob):
            out.append((obj, item))
    return sorted(out, key=lambda pair: (pair[0].environment, pair[1].name or ""))


def test_limits_emitted_by_an_include_are_present(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = render_tree(tmp_path, monkeypatch, "include-limits")
    ((obj, job),) = cronjobs(result)
    assert job.extra["has_resource_limits"] is True
    assert job.extra["active_deadline_seconds"] == 600
    assert job.extra["image"] == "registry/app:1.0"
    assert obj.environment == "."
    # the limits were written by values.yaml (through toYaml in the helper)
    limits = (
        "spec",
        "jobTemplate",
        "spec",
        "template",
        "spec",
        "containers",
        0,
        "resources",
        "limits",
    )
    assert obj.positions[limits] == Location("values.yaml", 3, 3)
    # the container's first key comes from the helper's line 2
    assert obj.positions[(*limits[:-2], "name")] == Location("templates/_helpers.tpl", 2, 3)
    assert obj.origin == Location("templates/cronjob.yaml", 1, 1)
    assert result.owned == {"templates/cronjob.yaml", "templates/_helpers.tpl"}
    assert result.notes == []


def test_unknown_release_name_stays_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ((_obj, job),) = cronjobs(render_tree(tmp_path, monkeypatch, "include-limits"))
    assert job.name == "{{ .Release.Name }}-cleanup"
    assert "name" in job.extra["templated"]


def test_gate_off_in_values_on_in_an_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = render_tree(tmp_path, monkeypatch, "gates")
    found = cronjobs(result)
    # values.yaml alone: report.enabled false, so nothing; values-prod.yaml turns it on
    assert [(o.environment, j.name) for o, j in found] == [(". with values-prod.yaml", "report")]
    obj, job = found[0]
    assert job.schedule is not None and job.schedule.cron == "0 3 * * *"
    # the schedule was resolved from values.yaml, and is reported at its key there
    assert obj.positions[("spec", "schedule")] == Location("values.yaml", 3, 3)
    assert result.owned == {"templates/report.yaml"}


def test_gate_off_everywhere_yields_nothing_and_owns_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "gates"
    shutil.copytree(DATA / "gates", tree)
    (tree / "values-prod.yaml").unlink()
    monkeypatch.chdir(tree)
    result = render_helm(scan(["."], Config(), jobs=1).project.facts)
    assert result.objects == []
    assert result.owned == {"templates/report.yaml"}  # its standalone CronJob is dropped


def test_range_over_values_one_object_per_element_at_its_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = render_tree(tmp_path, monkeypatch, "range-values")
    found = cronjobs(result)
    assert [(j.name, j.schedule.cron if j.schedule else None) for _o, j in found] == [
        ("task-purge", "0 4 * * *"),
        ("task-sync", "*/5 * * * *"),
    ]
    purge, sync = found[0][0], found[1][0]
    assert sync.origin == Location("values.yaml", 4, 5)  # `- name: sync`
    assert purge.origin == Location("values.yaml", 6, 5)
    assert found[0][1].extra["active_deadline_seconds"] == 60
    assert found[1][1].extra["active_deadline_seconds"] == 900  # the default
    deadline = ("spec", "jobTemplate", "spec", "activeDeadlineSeconds")
    assert purge.positions[deadline] == Location("values.yaml", 8, 5)
    assert sync.positions[deadline] == Location("values.yaml", 2, 3)  # defaults.deadline


def test_subchart_values_conditions_and_globals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = render_tree(tmp_path, monkeypatch, "umbrella")
    workloads = [reading(o) for o in result.objects]
    assert all(isinstance(w, Workload) for w in workloads)
    # beat is turned off by its dependency condition; worker gets the parent's section
    # over its own values.yaml, and the parent's globals
    assert [(w.name, w.replicas, w.command, w.extra["image"]) for w in workloads] == [
        ("worker", 3, "celery worker", "registry/platform:2")
    ]
    obj = result.objects[0]
    assert obj.environment == "."
    assert obj.positions[("spec", "replicas")] == Location("values.yaml", 4, 3)
    assert "charts/beat/templates/deployment.yaml" in result.owned  # deployed nowhere


def test_helmfile_argo_and_flux_releases_are_environments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = render_tree(tmp_path, monkeypatch, "overrides")
    found = {o.environment.split(" ")[0]: (o, j) for o, j in cronjobs(result)}
    assert sorted(found) == [
        "deploy/argo-app.yaml:1",
        "envs/prod/release.yaml:1",
        "helmfile.yaml:2",
    ]

    obj, job = found["helmfile.yaml:2"]
    # values files in order, then inline values, then `set` (the last word)
    assert job.name == "nightly-staging-nightly"
    assert job.extra["namespace"] == "staging"
    assert job.schedule is not None and job.schedule.cron == "30 1 * * *"
    assert job.extra["suspend"] is True
    assert job.extra["active_deadline_seconds"] == 1200
    assert obj.positions[("spec", "suspend")] == Location("deploy/staging-values.yaml", 2, 1)

    obj, job = found["deploy/argo-app.yaml:1"]
    assert (job.name, job.extra["namespace"]) == ("nightly-qa-nightly", "qa")
    assert job.schedule is not None and job.schedule.cron == "15 2 * * *"
    assert job.extra["active_deadline_seconds"] == 300
    deadline = ("spec", "jobTemplate", "spec", "activeDeadlineSeconds")
    assert obj.positions[deadline] == Location("deploy/argo-app.yaml", 13, 1)  # in `values: |`

    obj, job = found["envs/prod/release.yaml:1"]
    assert (job.name, job.extra["namespace"]) == ("nightly-nightly", "prod")
    assert job.extra["active_deadline_seconds"] == 3600
    # valuesFrom may set anything the chart leaves out: the schedule stays as the chart
    # writes it, keys nobody states are unknown, never missing
    assert job.schedule is not None and job.schedule.cron == "0 0 * * *"


def test_a_hostile_template_ends_as_not_analysed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = time.monotonic()
    result = render_tree(tmp_path, monkeypatch, "hostile")
    assert time.monotonic() - started < 30
    assert [j.name for _o, j in cronjobs(result)] == ["hostile-fine"]
    notes = {file: problem for file, problem in result.notes}
    assert sorted(notes) == ["templates/forever.yaml", "templates/recursive.yaml"]
    assert all(
        p.severity == "info" and p.message.startswith("not analysed:") for p in notes.values()
    )
    # their standalone reading stays; the helper partial and the good file are owned
    assert result.owned == {"templates/fine.yaml", "templates/_loop.tpl"}


# ------------------------------------------------------------------- shared cases


def test_case_helm_include_unknown_renders_limits_and_deadlines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """../shared/cases/helm-include-unknown: no BGT012. Rendered, both CronJobs have what
    BGT012 asks for: the limits come from the include, b's deadline from the pod spec."""
    result = render_tree(tmp_path, monkeypatch, "cases/helm-include-unknown")
    found = {j.name: j for _o, j in cronjobs(result)}
    assert sorted(found) == ["a", "b"]
    for job in found.values():
        assert job.extra["has_resource_limits"] is True
        assert job.extra["starting_deadline_seconds"] == 300
    assert found["a"].extra["active_deadline_seconds"] == 600
    assert found["b"].extra["active_deadline_seconds"] == 1800
    assert result.owned == {
        "templates/cronjob-a.yaml",
        "templates/cronjob-b.yaml",
        "templates/_job.tpl",
    }


def test_case_valid_template_not_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """../shared/cases/valid-template-not-unreadable: no BGT900 at error or warning. The
    template renders (values.yaml has no cronTasks: nothing), and the values file that
    re-defines an anchor is read."""
    result = render_tree(tmp_path, monkeypatch, "cases/valid-template-not-unreadable")
    assert result.objects == []
    assert result.notes == []
    assert result.owned == {"templates/cron-task.yaml"}
    facts = scan(["."], Config(), jobs=1).project.facts
    assert [p for f in facts for p in f.problems if p.severity != "info"] == []


def test_a_release_names_a_chart_by_path_or_by_name() -> None:
    from check_background_tasks.deploy.helm_charts import Chart, _names_chart

    chart = Chart("deploy/app", {"name": "web"}, "deploy/app/Chart.yaml")
    assert _names_chart(chart, "deploy/app", by_name=False)
    assert _names_chart(chart, "./deploy/app/", by_name=False)
    assert _names_chart(chart, "app", by_name=False)  # a repository root above the scan
    assert not _names_chart(chart, "web", by_name=False)  # a Git path, not a chart name
    assert _names_chart(chart, "web", by_name=True)  # a chart repository's chart
    assert _names_chart(chart, "bitnami/web", by_name=True)
    assert not _names_chart(chart, "./other", by_name=True)
    assert not _names_chart(chart, "{{ .Values.chart }}", by_name=True)


# ------------------------------------------------------------ in-memory small charts


def facts_of(files: dict[str, str]) -> list:
    from check_background_tasks.extract import extract

    return [
        extract(path, textwrap.dedent(text).lstrip("\n").encode()) for path, text in files.items()
    ]


CRON = """
    {{- if .Values.on }}
    ---
    {{- /* Helm splits at every line starting with ---, so this leaves ---apiVersion */}}
    {{- end -}}
    apiVersion: batch/v1
    kind: CronJob
    metadata:
      name: {{ .Values.name | default "job" }}
    spec:
      schedule: {{ .Values.schedule | quote }}
      jobTemplate:
        spec:
          template:
            spec:
              containers:
                - name: x
                  image: x
    """


def test_a_document_separator_glued_to_the_next_line_is_split_as_helm_does() -> None:
    result = render_helm(
        facts_of(
            {
                "c/Chart.yaml": "name: c\nversion: 1.0.0\n",
                "c/values.yaml": 'on: true\nschedule: "@daily"\n',
                "c/templates/cron.yaml": CRON,
            }
        )
    )
    ((obj, job),) = cronjobs(result)
    assert job.name == "job"
    assert obj.origin == Location("c/templates/cron.yaml", 5, 1)  # the apiVersion line


def test_values_layers_null_removes_set_paths_and_types() -> None:
    from check_background_tasks.deploy.helm_values import set_layer, set_path, typed_set_value

    assert set_path(r"a.b\.c[1].d") == ["a", "b.c", 1, "d"]
    assert set_layer([("a.b", 1), ("l[1]", "x")]) == {"a": {"b": 1}, "l": [None, "x"]}
    assert typed_set_value("true", False) is True
    assert typed_set_value("007", False) == "007"  # a leading zero stays a string
    assert typed_set_value("42", False) == 42.0
    assert typed_set_value("42", True) == "42"  # --set-string / forceString
    result = render_helm(
        facts_of(
            {
                "c/Chart.yaml": "name: c\nversion: 1.0.0\n",
                "c/values.yaml": 'on: false\nname: from-defaults\nschedule: "@daily"\n',
                # a null in a release's values removes the chart's default (Helm coalesce)
                "c/values-prod.yaml": "on: true\nname: null\n",
                "c/templates/cron.yaml": CRON,
            }
        )
    )
    assert [(o.environment, j.name) for o, j in cronjobs(result)] == [
        ("c", "from-defaults"),
        ("c with values-prod.yaml", "job"),  # `default "job"`: the name was removed
    ]


def test_argo_value_files_flux_git_paths_and_helmfile_installed_false() -> None:
    files = {
        "charts/c/Chart.yaml": "name: c\nversion: 1.0.0\n",
        "charts/c/values.yaml": 'on: true\nschedule: "@daily"\n',
        "charts/c/values-qa.yaml": 'schedule: "@hourly"\n',
        "charts/c/templates/cron.yaml": CRON,
        "argo.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: qa}
            spec:
              source:
                path: charts/c
                helm:
                  valueFiles: [values-qa.yaml, missing.yaml]
            """,
        "flux.yaml": """
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata: {name: prod}
            spec:
              chart:
                spec:
                  chart: ./charts/c
                  sourceRef: {kind: GitRepository, name: repo}
              values: {name: nightly}
            """,
        "helmfile.yaml": """
            releases:
              - name: off
                chart: ./charts/c
                installed: false
            """,
    }
    found = {o.environment.split(":")[0]: j for o, j in cronjobs(render_helm(facts_of(files)))}
    assert sorted(found) == ["argo.yaml", "flux.yaml"]  # the uninstalled release is none
    assert found["argo.yaml"].schedule is not None
    assert found["argo.yaml"].schedule.cron == "0 * * * *"
    assert found["flux.yaml"].name == "nightly"


def test_subchart_tags_and_a_chart_fragment_without_chart_yaml() -> None:
    files = {
        "p/Chart.yaml": """
            name: p
            version: 1.0.0
            dependencies:
              - {name: s, tags: [jobs]}
            """,
        "p/values.yaml": "tags: {jobs: false}\n",
        "p/charts/s/Chart.yaml": "name: s\nversion: 1.0.0\n",
        "p/charts/s/values.yaml": 'on: true\nschedule: "@daily"\n',
        "p/charts/s/templates/cron.yaml": CRON,
        # no Chart.yaml: a fragment; its values are unknown (any may be set elsewhere)
        "frag/templates/cron.yaml": CRON,
    }
    result = render_helm(facts_of(files))
    jobs = cronjobs(result)
    assert [(o.environment, j.name) for o, j in jobs] == [("frag", "{{ .Values.name }}")]
    assert "p/charts/s/templates/cron.yaml" in result.owned  # tagged off: deployed nowhere


def test_a_values_file_that_cannot_be_read_makes_values_unknown() -> None:
    result = render_helm(
        facts_of(
            {
                "c/Chart.yaml": "name: c\nversion: 1.0.0\n",
                "c/values.yaml": "on: true\nname: [broken\n",
                "c/templates/cron.yaml": CRON,
            }
        )
    )
    ((_obj, job),) = cronjobs(result)
    assert job.name == "{{ .Values.name }}"  # unknown, not the `default "job"`
    assert job.schedule is not None and not job.schedule.resolved


def test_one_budget_bounds_all_renders_and_environments_are_capped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from check_background_tasks.deploy import helm
    from check_background_tasks.deploy.gotemplate import Limits

    files = {
        "c/Chart.yaml": "name: c\nversion: 1.0.0\n",
        "c/values.yaml": 'on: true\nschedule: "@daily"\n',
        "c/values-a.yaml": "name: a\n",
        "c/values-b.yaml": "name: b\n",
        "c/templates/cron.yaml": CRON,
    }
    spent = render_helm(facts_of(files), Limits(total_steps=30))
    assert spent.objects == [] and "c/templates/cron.yaml" not in spent.owned
    assert "rendering budget is spent" in spent.notes[0][1].message

    monkeypatch.setattr(helm, "MAX_ENVIRONMENTS", 2)
    capped = render_helm(facts_of(files))
    assert [o.environment for o, _j in cronjobs(capped)] == ["c", "c with values-a.yaml"]
    ((where, note),) = capped.notes
    assert where == "c/Chart.yaml" and "1 of the 3 environments" in note.message
