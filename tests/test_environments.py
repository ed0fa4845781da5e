"""deploy.environments: environment roots read from where copies of one manifest live."""

from __future__ import annotations

from check_background_tasks.deploy.environments import (
    environment_of,
    environment_roots,
    infer_environments,
)


def test_copies_in_cluster_directories_mark_the_clusters() -> None:
    objects = [
        ("clusters/c1/kanary.yaml", "kanary", None),
        ("clusters/c2/kanary.yaml", "kanary", None),
        ("clusters/c3/apps/kanary.yaml", "kanary", None),
        ("clusters/c1/vacuum.yaml", "vacuum", None),  # one copy: no evidence, but under c1
    ]
    assert environment_roots(objects) == {"clusters/c1", "clusters/c2", "clusters/c3"}
    assert infer_environments(objects) == {
        "clusters/c1/kanary.yaml": "clusters/c1",
        "clusters/c2/kanary.yaml": "clusters/c2",
        "clusters/c3/apps/kanary.yaml": "clusters/c3",
        "clusters/c1/vacuum.yaml": "clusters/c1",
    }


def test_the_split_is_where_the_directories_first_differ() -> None:
    objects = [
        ("deploy/prod/cron/report.yaml", "report", "shop"),
        ("deploy/staging/cron/report.yaml", "report", "shop"),
    ]
    assert environment_roots(objects) == {"deploy/prod", "deploy/staging"}
    assert environment_of("deploy/prod/other/x.yaml", environment_roots(objects)) == "deploy/prod"
    assert environment_of("deploy/x.yaml", environment_roots(objects)) is None


def test_top_level_directories_can_be_environments() -> None:
    objects = [("prod/a.yaml", "a", None), ("dev/a.yaml", "a", None)]
    assert environment_roots(objects) == {"prod", "dev"}


def test_no_environment_without_copies_in_several_directories() -> None:
    # Same name in two namespaces: two objects of one cluster, not two environments.
    assert environment_roots([("a/x.yaml", "x", "one"), ("b/x.yaml", "x", "two")]) == set()
    # Two copies in one directory (two documents, or a file and its backup).
    assert environment_roots([("k8s/x.yaml", "x", None), ("k8s/y.yaml", "x", None)]) == set()
    # A copy in the parent directory is a base, not an environment of its own.
    assert environment_roots([("k8s/x.yaml", "x", None), ("k8s/prod/x.yaml", "x", None)]) == set()
    # A templated name is the same text in every chart.
    helm = [
        ("a/t.yaml", "{{ .Release.Name }}-x", None),
        ("b/t.yaml", "{{ .Release.Name }}-x", None),
    ]
    assert environment_roots(helm) == set()
    assert environment_roots([("a/x.yaml", None, None), ("b/x.yaml", None, None)]) == set()
    assert infer_environments([]) == {}


def test_nested_roots_pick_the_innermost() -> None:
    objects = [
        ("envs/prod/a.yaml", "a", None),
        ("envs/dev/a.yaml", "a", None),
        ("envs/prod/eu/b.yaml", "b", None),
        ("envs/prod/us/b.yaml", "b", None),
    ]
    got = infer_environments(objects)
    assert got["envs/prod/a.yaml"] == "envs/prod"
    assert got["envs/prod/eu/b.yaml"] == "envs/prod/eu"
    assert got["envs/dev/a.yaml"] == "envs/dev"


def test_prefix_of_a_name_is_not_a_parent() -> None:
    assert environment_of("clusters/c10/x.yaml", {"clusters/c1"}) is None
