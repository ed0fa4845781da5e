"""kustomize renders (deploy/kustomize.py) against renders of the real kustomize.

Each case under tests/data/kustomize/ is a small kustomize tree; ``roots.txt`` lists its
root kustomizations, and ``<root>.golden.yaml`` is what ``kubectl kustomize <root>``
(kustomize v5.5.0) printed for it, committed so no binary is needed here (regenerate
them by hand with tests/data/kustomize/regenerate.sh). A render is compared on what we
produce: kind, name, namespace, labels, annotations and the whole spec.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from check_background_tasks.deploy.kustomize import render_kustomize
from check_background_tasks.deploy.kustomize_graph import KustomizeProject
from check_background_tasks.deploy.rendered import Rendered, RenderResult
from check_background_tasks.extract import extract, might_matter
from check_background_tasks.extract.manifest_objects import interpret
from check_background_tasks.model import OPEN, TEMPLATED, FileFacts, Location, Manifest, RawJob

DATA = Path(__file__).parent / "data" / "kustomize"
CASES = sorted(p.name for p in DATA.iterdir() if (p / "roots.txt").is_file())
KINDS = {
    "CronJob",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "HorizontalPodAutoscaler",
    "ScaledObject",
}


def facts_of_tree(root: Path) -> list[FileFacts]:
    """What the scan's extract stage gives for a tree (prefilter included)."""
    out = []
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            full = Path(directory) / name
            path = full.relative_to(root).as_posix()
            source = full.read_bytes()
            if might_matter(name, source):
                out.append(extract(path, source))
    return out


def facts_of(files: dict[str, str]) -> list[FileFacts]:
    out = []
    for path, text in sorted(files.items()):
        source = textwrap.dedent(text).lstrip("\n").encode()
        if might_matter(path.rpartition("/")[2], source):
            out.append(extract(path, source))
    return out


def render_case(case: str) -> RenderResult:
    return render_kustomize(facts_of_tree(DATA / case))


def key_of(doc: dict[str, Any]) -> tuple[str, str, str | None]:
    meta = doc.get("metadata") or {}
    return doc["kind"], meta.get("name"), meta.get("namespace")


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    meta = doc.get("metadata") or {}
    return {
        "kind": doc.get("kind"),
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
        "labels": meta.get("labels"),
        "annotations": meta.get("annotations"),
        "spec": doc.get("spec"),
    }


def golden(case: str, root: str) -> dict[tuple[str, str, str | None], dict[str, Any]]:
    path = DATA / case / (root.replace("/", "__") + ".golden.yaml")
    docs = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    return {key_of(d): comparable(d) for d in docs if d.get("kind") in KINDS}


def by_key(result: RenderResult, environment: str) -> dict[tuple[str, str, str | None], Rendered]:
    return {key_of(o.doc): o for o in result.objects if o.environment == environment}


def the(result: RenderResult, kind: str, name: str, environment: str | None = None) -> Rendered:
    [found] = [
        o
        for o in result.objects
        if o.kind == kind
        and o.doc["metadata"]["name"] == name
        and (environment is None or o.environment == environment)
    ]
    return found


def has_open(value: Any) -> bool:
    if isinstance(value, dict):
        return OPEN in value or any(has_open(v) for v in value.values())
    if isinstance(value, list):
        return any(has_open(v) for v in value)
    return False


# ------------------------------------------------------------------- goldens


@pytest.mark.parametrize("case", CASES)
def test_render_matches_kustomize(case: str) -> None:
    roots = (DATA / case / "roots.txt").read_text().split()
    result = render_case(case)
    assert sorted({o.environment for o in result.objects}) == sorted(roots)
    for root in roots:
        expected = golden(case, root)
        ours = by_key(result, root)
        assert sorted(ours, key=str) == sorted(expected, key=str), root
        for key, rendered in ours.items():
            assert not has_open(rendered.doc), key  # every value of the tree is known
            assert comparable(rendered.doc) == expected[key], key


@pytest.mark.parametrize("case", CASES)
def test_roots_are_the_kustomizations_nobody_uses(case: str) -> None:
    project = KustomizeProject(facts_of_tree(DATA / case))
    assert project.roots() == sorted((DATA / case / "roots.txt").read_text().split())


# ------------------------------------------------------------------- positions


def at(rendered: Rendered, *path: Any) -> tuple[str, int]:
    where = rendered.positions[path]
    return where.file, where.line


def test_a_value_points_at_the_file_that_set_it() -> None:
    result = render_case("smp-suspend")
    job = the(result, "CronJob", "report")
    assert at(job, "spec", "suspend") == ("overlays/prod/cronjob.yaml", 6)
    assert at(job, "spec", "schedule") == ("overlays/prod/cronjob.yaml", 7)
    assert at(job, "spec", "concurrencyPolicy") == ("base/cronjob.yaml", 10)
    limits = ("spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "resources")
    assert at(job, *limits, "limits", "memory") == ("base/cronjob.yaml", 25)
    assert at(job, "spec") == ("base/cronjob.yaml", 7)  # merged: the base's key stands
    assert job.origin == Location("base/cronjob.yaml", 1, 1)
    assert job.sources == ("base/cronjob.yaml", "overlays/prod/cronjob.yaml")
    assert job.environment == "overlays/prod"


def test_json_patch_values_point_at_the_operation() -> None:
    result = render_case("json6902")
    job = the(result, "CronJob", "cleanup")
    assert at(job, "spec", "concurrencyPolicy") == ("overlays/prod/cronjob-ops.yaml", 6)
    assert at(job, "spec", "jobTemplate", "spec", "activeDeadlineSeconds") == (
        "overlays/prod/cronjob-ops.yaml",
        11,
    )
    env = ("spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "env")
    assert at(job, *env, 0) == ("overlays/prod/cronjob-ops.yaml", 19)  # FIRST, added at 0
    assert at(job, *env, 1) == ("base/cronjob.yaml", 23)  # MODE moved down, still the base's
    # a moved value keeps where it was written
    assert at(job, "spec", "jobTemplate", "spec", "parallelism") == ("base/cronjob.yaml", 11)
    assert "startingDeadlineSeconds" not in job.doc["spec"]


def test_inline_patch_values_point_into_the_kustomization() -> None:
    result = render_case("inline-patches")
    worker = the(result, "Deployment", "worker")
    assert at(worker, "spec", "replicas") == ("overlays/staging/kustomization.yaml", 10)
    args = ("spec", "template", "spec", "containers", 0, "args")
    assert worker.positions[args] == Location("overlays/staging/kustomization.yaml", 15, 17)
    digest = the(result, "CronJob", "digest")
    assert at(digest, "spec", "suspend") == ("overlays/staging/kustomization.yaml", 22)
    assert at(digest, "spec", "startingDeadlineSeconds") == (
        "overlays/staging/kustomization.yaml",
        33,
    )
    # a patch written as a quoted string: its whole text is at the string
    deadline = ("spec", "jobTemplate", "spec", "activeDeadlineSeconds")
    assert at(digest, *deadline) == ("overlays/staging/kustomization.yaml", 39)
    assert digest.sources == ("base/workers.yaml", "overlays/staging/kustomization.yaml")


def test_transformer_values_point_at_their_key() -> None:
    result = render_case("names")
    job = the(result, "CronJob", "west-eu-purge-v2")
    assert at(job, "metadata", "namespace") == ("overlays/eu/kustomization.yaml", 3)
    assert at(job, "metadata", "name") == ("overlays/eu-west/kustomization.yaml", 3)
    assert at(job, "spec", "suspend") == ("overlays/eu-west/purge.yaml", 7)
    assert job.origin == Location("base/app.yaml", 35, 1)
    replicas = the(result_replicas := render_case("replicas-images"), "Deployment", "api")
    assert at(replicas, "spec", "replicas") == ("app/kustomization.yaml", 7)
    image = ("spec", "template", "spec", "containers", 0, "image")
    assert at(replicas, *image) == ("app/kustomization.yaml", 12)
    assert replicas.doc["spec"]["template"]["spec"]["containers"][1]["image"] == (
        "registry.example/api-sidecar:1.0"  # another image: untouched
    )
    assert the(result_replicas, "DaemonSet", "agent").doc["spec"].get("replicas") is None


def test_merged_list_items_keep_their_own_positions() -> None:
    result = render_case("merge-lists")
    api = the(result, "Deployment", "api")
    containers = api.doc["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["worker", "api", "sidecar"]
    pod = ("spec", "template", "spec")
    assert at(api, *pod, "containers", 0) == ("overlays/prod/deployment.yaml", 19)
    assert at(api, *pod, "containers", 1, "image") == ("base/deployment.yaml", 27)
    assert at(api, *pod, "containers", 1, "args") == ("overlays/prod/deployment.yaml", 23)
    env = [e["name"] for e in containers[1]["env"]]
    assert env == ["WORKERS", "REGION", "LOG_LEVEL"]
    assert at(api, *pod, "containers", 1, "env", 2) == ("base/deployment.yaml", 30)
    assert at(api, *pod, "containers", 2) == ("base/deployment.yaml", 37)
    assert containers[2]["image"] == "proxy:1" and "env" not in containers[2]  # list deleted


# --------------------------------------------------------- deletes and nulls


def test_patch_delete_removes_the_cronjob_and_the_container() -> None:
    result = render_case("deletes")
    assert [o.doc["metadata"]["name"] for o in result.objects] == ["backup"]
    backup = the(result, "CronJob", "backup")
    spec = backup.doc["spec"]
    assert "startingDeadlineSeconds" not in spec  # key: null deletes
    assert "successfulJobsHistoryLimit" not in spec  # ~ is null too
    assert spec["concurrencyPolicy"] == "Forbid"  # what the patch leaves alone stays
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["backup"]
    assert pod["containers"][0]["resources"] == {"limits": {"cpu": "1", "memory": "2Gi"}}
    assert "nodeSelector" not in pod


def test_full_copy_patch_keeps_what_it_leaves_out() -> None:
    """A patch that repeats the whole CronJob but omits a field does not delete it."""
    result = render_kustomize(
        facts_of(
            {
                "base/kustomization.yaml": "resources: [cronjob.yaml]\n",
                "base/cronjob.yaml": """
                    apiVersion: batch/v1
                    kind: CronJob
                    metadata: {name: releases}
                    spec:
                      schedule: "0 */12 * * *"
                      jobTemplate:
                        spec:
                          activeDeadlineSeconds: 14400
                          template:
                            spec:
                              containers: [{name: r, image: r}]
                    """,
                "prod/kustomization.yaml": "resources: [../base]\npatches: [{path: cj.yaml}]\n",
                "prod/cj.yaml": """
                    apiVersion: batch/v1
                    kind: CronJob
                    metadata: {name: releases}
                    spec:
                      schedule: "0 1 * * *"
                      suspend: false
                      jobTemplate:
                        spec:
                          template:
                            spec:
                              containers: [{name: r, image: r}]
                    """,
            }
        )
    )
    [job] = result.objects
    assert job.doc["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 14400
    assert job.positions[("spec", "jobTemplate", "spec", "activeDeadlineSeconds")].file == (
        "base/cronjob.yaml"
    )


# ------------------------------------------------------------------- owned


def test_owned_files_are_every_file_a_kustomization_uses() -> None:
    result = render_case("inline-patches")
    assert result.owned == {
        "base/kustomization.yaml",
        "base/workers.yaml",
        "overlays/staging/kustomization.yaml",
    }
    result = render_case("components")
    assert result.owned == {
        "base/kustomization.yaml",
        "base/worker.yaml",
        "components/nightly/kustomization.yaml",
        "components/nightly/cronjob.yaml",
        "components/nightly/worker-env.yaml",
        "components/no-limits/kustomization.yaml",
        "overlays/prod/kustomization.yaml",
    }


def test_orphan_manifest_beside_an_overlay_is_not_owned() -> None:
    """A file no kustomization lists is not deployed by one: it keeps its own reading."""
    result = render_kustomize(
        facts_of(
            {
                "moc/kustomization.yaml": "resources: [job.yaml]\n",
                "moc/job.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: a}\n",
                "moc/orphan.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: b}\n",
            }
        )
    )
    assert "moc/orphan.yaml" not in result.owned
    assert [o.doc["metadata"]["name"] for o in result.objects] == ["a"]


def test_no_kustomization_renders_nothing() -> None:
    facts = facts_of(
        {"deploy/job.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: a}\n"}
    )
    assert render_kustomize(facts) == RenderResult()


def test_two_roots_sharing_a_base_each_get_their_own_copy() -> None:
    result = render_case("shared-base")
    prod = the(result, "CronJob", "sync", "envs/prod")
    staging = the(result, "CronJob", "sync", "envs/staging")
    assert prod.doc["spec"]["schedule"] == "*/10 * * * *" and "suspend" not in prod.doc["spec"]
    assert staging.doc["spec"]["schedule"] == "0 * * * *" and staging.doc["spec"]["suspend"]
    assert prod.origin == staging.origin == Location("base/cronjob.yaml", 1, 1)


def test_shared_cases_render_per_environment() -> None:
    result = render_case("case-kustomize-patch")
    job = the(result, "CronJob", "sync")
    assert job.environment == "overlays/prod"
    assert job.doc["spec"]["concurrencyPolicy"] == "Forbid"
    assert job.doc["spec"]["suspend"] is False
    assert "overlays/prod/cronjob.yaml" in result.owned  # the patch is no CronJob of its own
    result = render_case("case-per-environment-copies")
    assert sorted(o.environment for o in result.objects) == ["production", "staging"]
    assert {o.origin.file for o in result.objects} == {
        "production/cronjob.yaml",
        "staging/cronjob.yaml",
    }


# ------------------------------------------------------------ unknown bases


def remote_tree(kustomization: str) -> list[FileFacts]:
    return facts_of(
        {
            "overlays/prod/kustomization.yaml": kustomization,
            "overlays/prod/unsuspend.yaml": """
                apiVersion: batch/v1
                kind: CronJob
                metadata:
                  name: branchprotector
                spec:
                  suspend: false
                """,
        }
    )


def test_remote_base_patch_builds_an_open_object() -> None:
    result = render_kustomize(
        remote_tree(
            """
            resources:
              - github.com/example/prow//base?ref=v1
            patches:
              - path: unsuspend.yaml
            """
        )
    )
    [job] = result.objects
    assert job.doc["spec"] == {"suspend": False, OPEN: True}
    assert job.doc[OPEN] and job.doc["metadata"][OPEN]
    assert job.origin == Location("overlays/prod/unsuspend.yaml", 1, 1)
    assert job.positions[("spec", "suspend")] == Location("overlays/prod/unsuspend.yaml", 6, 3)
    [(file, problem)] = result.notes
    assert file == "overlays/prod/kustomization.yaml"
    assert problem.severity == "info" and problem.line == 4
    assert "github.com/example/prow//base?ref=v1" in problem.message
    assert problem.message.startswith("not analysed: CronJob branchprotector")


def test_remote_base_patch_is_read_as_the_cronjob_it_patches() -> None:
    """What the rules get from an open object: unknown fields, never missing ones."""
    from check_background_tasks.extract.manifest_objects import interpret
    from check_background_tasks.model import TEMPLATED, Manifest

    [job] = render_kustomize(
        remote_tree(
            "resources: [https://example.com/base.yaml]\npatches: [{path: unsuspend.yaml}]\n"
        )
    ).objects
    [raw] = interpret(Manifest(job.kind, job.doc, {}, 1, 1))
    assert raw.extra["concurrency_policy"] == TEMPLATED  # type: ignore[union-attr]


def test_missing_local_base_is_unknown_too() -> None:
    result = render_kustomize(
        remote_tree("resources: [../../base]\npatchesStrategicMerge: [unsuspend.yaml]\n")
    )
    [job] = result.objects
    assert job.doc["spec"][OPEN]
    [(_file, problem)] = result.notes
    assert "../../base" not in problem.message and "base has no kustomization" in problem.message


def test_selector_patch_on_a_remote_base_builds_the_named_object() -> None:
    result = render_kustomize(
        facts_of(
            {
                "prod/kustomization.yaml": """
                    resources: [git::https://example.com/apps.git//jobs]
                    patches:
                      - target: {kind: CronJob, name: backup}
                        patch: |-
                          - op: replace
                            path: /spec/suspend
                            value: true
                      - target: {kind: CronJob, name: "back.*"}
                        patch: |-
                          - op: add
                            path: /spec/jobTemplate/spec/activeDeadlineSeconds
                            value: 60
                      - target: {kind: ConfigMap, name: settings}
                        patch: |-
                          - op: add
                            path: /data/x
                            value: "1"
                    """
            }
        )
    )
    [job] = result.objects
    assert job.doc["metadata"]["name"] == "backup"
    assert job.doc["spec"]["suspend"] is True
    assert job.doc["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 60  # regex hit it
    assert job.doc["spec"][OPEN] and job.doc["spec"]["jobTemplate"][OPEN]


def test_selector_matching_nothing_in_a_known_tree_builds_nothing() -> None:
    result = render_case("target-selectors")
    assert not [o for o in result.objects if o.doc["metadata"]["name"] == "sync"]
    assert result.notes == []


def test_helm_chart_in_a_kustomization_is_unknown_with_a_note() -> None:
    result = render_kustomize(
        remote_tree(
            """
            helmCharts:
              - name: prow
                repo: https://charts.example.com
            patches:
              - path: unsuspend.yaml
            """
        )
    )
    [job] = result.objects
    assert job.doc["spec"][OPEN]
    messages = sorted(p.message for _f, p in result.notes)
    assert any("Helm chart prow is inflated by kustomize" in m for m in messages)
    assert all(p.severity == "info" for _f, p in result.notes)


def test_unreadable_patch_file_makes_what_it_selects_unknown() -> None:
    result = render_kustomize(
        facts_of(
            {
                "k/kustomization.yaml": """
                    resources: [job.yaml]
                    patches:
                      - path: broken.yaml
                        target: {kind: CronJob}
                    """,
                "k/job.yaml": """
                    apiVersion: batch/v1
                    kind: CronJob
                    metadata: {name: a}
                    spec: {schedule: "* * * * *"}
                    """,
                "k/broken.yaml": "kind: CronJob\nspec: [unclosed\n",
            }
        )
    )
    [job] = result.objects
    assert job.doc["spec"][OPEN] and job.doc["spec"]["schedule"] == "* * * * *"
    [(_file, problem)] = result.notes
    assert "the patch k/broken.yaml is not read here" in problem.message


def test_patch_naming_a_dummy_kind_is_not_read_so_its_targets_are_unknown() -> None:
    """`kind: any` with a target: the scan does not read the file (no kind of ours)."""
    facts = facts_of(
        {
            "k/kustomization.yaml": """
                resources: [app.yaml]
                patches:
                  - {path: node-selector.yaml, target: {kind: Deployment}}
                  - {path: node-selector.yaml, target: {kind: ConfigMap}}
                """,
            "k/app.yaml": """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: api}
                spec: {replicas: 2}
                ---
                apiVersion: batch/v1
                kind: CronJob
                metadata: {name: job}
                spec: {schedule: "@daily"}
                """,
            "k/node-selector.yaml": """
                apiVersion: apps/v1
                kind: any
                metadata: {name: any}
                spec: {template: {spec: {nodeSelector: {node: storage}}}}
                """,
        }
    )
    assert "k/node-selector.yaml" not in {ff.path for ff in facts}
    result = render_kustomize(facts)
    assert the(result, "Deployment", "api").doc["spec"] == {"replicas": 2, OPEN: True}
    assert OPEN not in the(result, "CronJob", "job").doc["spec"]
    assert result.notes == []  # a workload's unknown fields are not worth a note
    cronjob_too = [
        replace(ff, manifests=[replace(m, doc=_retarget(m.doc)) for m in ff.manifests])
        if ff.path == "k/kustomization.yaml"
        else ff
        for ff in facts
    ]
    [(_file, problem)] = render_kustomize(cronjob_too).notes
    assert problem.line == 3 and "node-selector.yaml is not read here" in problem.message


def _retarget(doc: dict) -> dict:
    """The kustomization above with its first patch aimed at every kind."""
    patches = [
        dict(p, target={"name": ".*"}) if i == 0 else p for i, p in enumerate(doc["patches"])
    ]
    return dict(doc, patches=patches)


def test_json_patch_that_does_not_apply_makes_the_object_unknown() -> None:
    result = render_kustomize(
        facts_of(
            {
                "k/kustomization.yaml": """
                    resources: [job.yaml]
                    patches:
                      - target: {kind: CronJob, name: a}
                        patch: |-
                          - op: replace
                            path: /spec/missing/deep
                            value: 1
                    """,
                "k/job.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: a}\n"
                "spec: {}\n",
            }
        )
    )
    [job] = result.objects
    assert job.doc["spec"][OPEN]
    [(file, problem)] = result.notes
    assert (file, problem.line) == ("k/kustomization.yaml", 5)  # the operation


def test_cycle_is_a_note_not_an_error() -> None:
    result = render_kustomize(
        facts_of(
            {
                "a/kustomization.yaml": "resources: [../b, job.yaml]\n",
                "a/job.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: a}\n",
                "b/kustomization.yaml": "resources: [../a]\n",
            }
        )
    )
    assert [o.environment for o in result.objects] == ["a"]
    [(_file, problem)] = result.notes
    assert "cycle" in problem.message and problem.severity == "info"


def test_bad_kustomization_is_unknown_never_an_error() -> None:
    result = render_kustomize(
        facts_of(
            {
                "base/kustomization.yaml": "resources: [job.yaml\n",
                "base/job.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: a}\n",
                "prod/kustomization.yaml": "resources: [../base]\npatches: [{path: p.yaml}]\n",
                "prod/p.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: a}\n"
                "spec: {suspend: true}\n",
            }
        )
    )
    [job] = result.objects
    assert job.doc["spec"] == {"suspend": True, OPEN: True}
    assert "base/kustomization.yaml cannot be read" in result.notes[0][1].message


def test_flux_kustomization_is_not_a_kustomize_file() -> None:
    facts = facts_of(
        {
            "clusters/kustomization.yaml": """
                apiVersion: kustomize.toolkit.fluxcd.io/v1
                kind: Kustomization
                metadata: {name: apps}
                spec: {path: ./apps}
                """
        }
    )
    assert KustomizeProject(facts).kustomizations == {}


# ------------------------------------------------------------ inline parsing


def test_inline_patch_text_is_parsed_at_extraction() -> None:
    [ff] = facts_of(
        {
            "k/kustomization.yaml": """
                patches:
                  - patch: |-
                      apiVersion: batch/v1
                      kind: CronJob
                      metadata: {name: a}
                  - patch: "not: [valid"
                  - path: file.yaml
                patchesStrategicMerge:
                  - file.yaml
                """
        }
    )
    [manifest] = ff.manifests
    patches = manifest.doc["patches"]
    assert patches[0]["patch"] == {
        "<inline>": [{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "a"}}]
    }
    assert manifest.positions[("patches", 0, "patch", "<inline>", 0, "kind")] == (4, 7)
    assert patches[1]["patch"] == "not: [valid"  # unreadable: stays text (unknown)
    assert manifest.doc["patchesStrategicMerge"] == ["file.yaml"]


def test_old_style_patches_list_of_file_names_is_applied() -> None:
    """kustomize v3 read `patches: [file.yaml]` as strategic-merge patch files."""
    result = render_kustomize(
        remote_tree("resources: [../../base]\npatches: [unsuspend.yaml]\n")
        + facts_of(
            {
                "base/kustomization.yaml": "resources: [job.yaml]\n",
                "base/job.yaml": "apiVersion: batch/v1\nkind: CronJob\n"
                "metadata: {name: branchprotector}\nspec: {suspend: true, schedule: '@daily'}\n",
            }
        )
    )
    [job] = result.objects
    assert job.doc["spec"] == {"suspend": False, "schedule": "@daily"}
    assert "overlays/prod/unsuspend.yaml" in result.owned


# ---------------------------------------------------------- merge primitives


def located(value: Any, file: str = "f.yaml") -> Any:
    from check_background_tasks.deploy.located import locate

    return locate(value, {}, file, (), Location(file, 1, 1))


def test_strategic_merge_of_an_added_mapping_drops_its_nulls() -> None:
    """Checked with kubectl: `labels: {a: null}` on an object without labels gives {}."""
    from check_background_tasks.deploy.located import plain
    from check_background_tasks.deploy.strategic_merge import apply

    dest = located({"kind": "CronJob", "metadata": {"name": "x"}})
    patch = located({"metadata": {"labels": {"a": None}}, "spec": {"x": None, "y": 1}}, "p.yaml")
    apply(dest, patch, schema=True)
    assert plain(dest) == {
        "kind": "CronJob",
        "metadata": {"name": "x", "labels": {}},
        "spec": {"y": 1},
    }
    assert dest.at["spec"].file == "p.yaml"


def test_strategic_merge_replaces_lists_without_a_merge_key() -> None:
    from check_background_tasks.deploy.located import plain
    from check_background_tasks.deploy.strategic_merge import apply, merge_keys

    assert merge_keys(("spec", "template", "spec", "containers")) == ("name",)
    assert merge_keys(("spec", "template", "spec", "containers", 0, "env")) == ("name",)
    assert merge_keys(("spec", "template", "spec", "containers", 0, "args")) is None
    assert merge_keys(("spec", "template", "spec", "ephemeralContainers", 0, "ports")) is None
    assert merge_keys(("spec", "triggers")) is None
    pod = {"containers": [{"name": "a", "args": ["x", "y"]}]}
    dest = located({"spec": {"template": {"spec": pod}}})
    patch = located(
        {"spec": {"template": {"spec": {"containers": [{"name": "a", "args": ["z"]}]}}}}
    )
    apply(dest, patch, schema=True)
    assert plain(dest)["spec"]["template"]["spec"]["containers"] == [{"name": "a", "args": ["z"]}]
    # without the schema (a kind kustomize does not know) the containers list is replaced
    dest = located({"spec": {"template": {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}}})
    patch = located({"spec": {"template": {"spec": {"containers": [{"name": "b", "x": 1}]}}}})
    apply(dest, patch, schema=False)
    assert plain(dest)["spec"]["template"]["spec"]["containers"] == [{"name": "b", "x": 1}]


def test_json_pointer_escapes_and_negative_indexes() -> None:
    from check_background_tasks.deploy.json_patch import PatchError, apply_operation, pointer
    from check_background_tasks.deploy.located import plain

    assert pointer("/a~1b/c~0d/-") == ["a/b", "c~d", "-"]
    with pytest.raises(PatchError):
        pointer("no-slash")
    doc = located({"l": [1, 2, 3], "m": {}})
    where = Location("p.yaml", 1, 1)
    apply_operation(doc, located({"op": "add", "path": "/l/-1", "value": 4}), where, False)
    apply_operation(doc, located({"op": "replace", "path": "/l/-1", "value": 5}), where, False)
    apply_operation(doc, located({"op": "add", "path": "/m/a~1b", "value": 1}), where, False)
    assert plain(doc) == {"l": [1, 2, 3, 5], "m": {"a/b": 1}}
    with pytest.raises(PatchError):
        apply_operation(doc, located({"op": "test", "path": "/l/0", "value": 9}), where, False)
    with pytest.raises(PatchError):
        apply_operation(doc, located({"op": "add", "path": "/x/y", "value": 1}), where, False)
    # lenient (an object whose base is unknown): missing mappings are created open
    unknown = located({"spec": {}})
    unknown.open = unknown.items["spec"].open = True
    apply_operation(unknown, located({"op": "add", "path": "/spec/a/b", "value": 1}), where, True)
    apply_operation(unknown, located({"op": "remove", "path": "/spec/zz"}), where, True)
    assert plain(unknown) == {"spec": {"a": {"b": 1, OPEN: True}, OPEN: True}, OPEN: True}


def test_object_renamed_by_json_patches_is_found_by_an_earlier_name() -> None:
    """Checked with kubectl kustomize: renamed old -> renamed -> final, the CronJob still
    gets the patch written against `renamed` (the original name alone is not enough)."""
    result = render_kustomize(
        facts_of(
            {
                "base/kustomization.yaml": "resources: [cj.yaml]\n",
                "base/cj.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: old}\n"
                "spec: {schedule: '@daily'}\n",
                "mid/kustomization.yaml": """
                    resources: [../base]
                    patches:
                    - target: {kind: CronJob, name: old}
                      patch: |-
                        - op: replace
                          path: /metadata/name
                          value: renamed
                    """,
                "upper/kustomization.yaml": """
                    resources: [../mid]
                    patches:
                    - target: {kind: CronJob, name: renamed}
                      patch: |-
                        - op: replace
                          path: /metadata/name
                          value: final
                    """,
                "top/kustomization.yaml": """
                    resources: [../upper]
                    patches:
                    - patch: |-
                        apiVersion: batch/v1
                        kind: CronJob
                        metadata: {name: renamed}
                        spec: {suspend: true}
                    """,
            }
        )
    )
    [job] = result.objects
    assert job.doc["metadata"] == {"name": "final"}
    assert job.doc["spec"] == {"schedule": "@daily", "suspend": True}


def test_json_patch_into_a_list_of_an_unread_base_keeps_the_rest_unknown() -> None:
    # infra-deployments: `/containers/0/resources` replaced on a CronJob from a remote
    # base; the container is known only for what the patch writes
    files = {
        "k/kustomization.yaml": """
            resources: [github.com/org/repo//base?ref=v1]
            patches:
              - path: resources.yaml
                target: {kind: CronJob, name: gc}
            """,
        "k/resources.yaml": """
            - op: add
              path: /spec/jobTemplate/spec/template/spec/containers/0/env
              value: [{name: KEEP, value: "256"}]
            - op: replace
              path: /spec/jobTemplate/spec/template/spec/containers/0/resources
              value: {limits: {cpu: 1000m, memory: 4000Mi}}
            """,
    }
    gc = the(render_kustomize(facts_of(files)), "CronJob", "gc")
    containers = gc.doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    first, rest = containers
    assert first["resources"]["limits"] == {"cpu": "1000m", "memory": "4000Mi"}
    assert first["env"] == [{"name": "KEEP", "value": "256"}] and first[OPEN] is True
    assert rest == TEMPLATED  # the base's other containers, unread
    [job] = [
        item
        for item in interpret(Manifest("CronJob", gc.doc, {}, 1, 1))
        if isinstance(item, RawJob)
    ]
    assert job.extra["has_resource_limits"] == TEMPLATED  # unknown, never "missing"


def test_json_patch_into_two_items_of_an_unread_list_in_descending_order() -> None:
    # container 1 is patched before container 0: each is its own item
    files = {
        "k/kustomization.yaml": """
            resources: [github.com/org/repo//base?ref=v1]
            patches:
              - path: names.yaml
                target: {kind: CronJob, name: gc}
            """,
        "k/names.yaml": """
            - op: add
              path: /spec/jobTemplate/spec/template/spec/containers/1/resources
              value: {requests: {cpu: 100m}}
            - op: add
              path: /spec/jobTemplate/spec/template/spec/containers/0/resources
              value: {limits: {cpu: 100m}}
            """,
    }
    gc = the(render_kustomize(facts_of(files)), "CronJob", "gc")
    containers = gc.doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert [c if c == TEMPLATED else c["resources"] for c in containers] == [
        {"limits": {"cpu": "100m"}},
        {"requests": {"cpu": "100m"}},
        TEMPLATED,
    ]


def test_json_patch_replacing_an_item_of_an_unread_list_keeps_the_rest_unknown() -> None:
    files = {
        "k/kustomization.yaml": """
            resources: [github.com/org/repo//base?ref=v1]
            patches:
              - path: container.yaml
                target: {kind: CronJob, name: gc}
            """,
        "k/container.yaml": """
            - op: replace
              path: /spec/jobTemplate/spec/template/spec/containers/0
              value: {name: gc, image: gc:2, resources: {limits: {cpu: 1}}}
            """,
    }
    gc = the(render_kustomize(facts_of(files)), "CronJob", "gc")
    containers = gc.doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert containers[0]["image"] == "gc:2"
    assert containers[-1] == TEMPLATED  # the base's other containers, unread
