"""Which files are read: git-aware, excludes, skipped directories, symlinks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import write_tree

from check_background_tasks.discover import ModuleNamer, SourceFile, discover

JOB = "import asyncio\nasyncio.create_task(work())\n"


def _names(root: Path, exclude: list[str] | None = None) -> list[str]:
    files, errors = discover([str(root)], exclude or [], cwd=root)
    assert errors == []
    return [f.display for f in files]


def test_skips_virtualenvs_caches_and_build_dirs(tmp_path):
    write_tree(
        tmp_path,
        {
            "app/jobs.py": JOB,
            ".venv/lib/x.py": JOB,
            "env2/pyvenv.cfg": "home = /usr\n",
            "env2/lib/y.py": JOB,
            "node_modules/pkg/z.py": JOB,
            "build/lib/b.py": JOB,
            "app/__pycache__/c.py": JOB,
            ".tox/py/d.py": JOB,
            "pkg.egg-info/e.py": JOB,
            "README.md": "not code",
        },
    )
    assert _names(tmp_path) == ["app/jobs.py"]


def test_gitignore_is_honoured_in_a_work_tree(tmp_path):
    write_tree(
        tmp_path,
        {".gitignore": "generated/\n", "generated/g.py": JOB, "app.py": JOB, "new.py": JOB},
    )
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "app.py", ".gitignore"], check=True)
    # Tracked and untracked-but-not-ignored files are read; ignored ones are not.
    assert _names(tmp_path) == ["app.py", "new.py"]


def test_many_directory_arguments_stay_within_the_open_file_limit(tmp_path):
    """Each directory argument is listed by git; with hundreds of them at a low open-file
    limit, a listing that could not start would walk its directory without .gitignore."""
    count = 150
    tree = {".gitignore": "generated.py\n"}
    for i in range(count):
        tree[f"d{i:03d}/kept.py"] = JOB
        tree[f"d{i:03d}/generated.py"] = JOB
    write_tree(tmp_path, tree)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))\n"
        "from check_background_tasks.discover import discover\n"
        "files, errors = discover(sys.argv[1:], [])\n"
        "print('\\n'.join(f.display for f in files))\n"
    )
    dirs = [f"d{i:03d}" for i in range(count)]
    result = subprocess.run(
        [sys.executable, "-c", script, *dirs],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [f"{d}/kept.py" for d in dirs]


def test_exclude_globs_match_paths_and_components(tmp_path):
    write_tree(tmp_path, {"app/a.py": JOB, "tests/t.py": JOB, "app/migrations/m.py": JOB})
    assert _names(tmp_path, ["tests", "*/migrations/*"]) == ["app/a.py"]


def test_directory_named_like_a_file_is_not_a_file(tmp_path):
    (tmp_path / "weird.py").mkdir()
    (tmp_path / "weird.py" / "inner.py").write_text(JOB)
    assert _names(tmp_path) == ["weird.py/inner.py"]


def test_symlinks_never_lead_out_of_the_root(tmp_path):
    outside = tmp_path / "outside"
    root = tmp_path / "root"
    write_tree(outside, {"secret.py": JOB})
    write_tree(root, {"app.py": JOB, "sub/inner.py": JOB})
    os.symlink(outside / "secret.py", root / "link_out.py")
    os.symlink(outside, root / "dir_out")
    os.symlink(root / "sub" / "inner.py", root / "link_in.py")
    os.symlink(root / "missing.py", root / "dangling.py")
    os.symlink(root / "loop_a.py", root / "loop_b.py")
    os.symlink(root / "loop_b.py", root / "loop_a.py")
    assert _names(root) == ["app.py", "link_in.py", "sub/inner.py"]


def test_missing_path_is_an_error(tmp_path):
    files, errors = discover([str(tmp_path / "nope")], [], cwd=tmp_path)
    assert files == [] and errors == [f"{tmp_path / 'nope'}: no such file or directory"]


def test_module_names_follow_packages_and_src_layouts(tmp_path):
    write_tree(
        tmp_path,
        {
            "src/pkg/__init__.py": "",
            "src/pkg/sub/__init__.py": "",
            "src/pkg/sub/mod.py": "",
            "scripts/tool.py": "",
            "top.py": "",
        },
    )
    namer = ModuleNamer()

    def name(rel: str) -> tuple[str | None, bool]:
        return namer.name(SourceFile(str(tmp_path / rel), rel, str(tmp_path)))

    assert name("src/pkg/sub/mod.py") == ("pkg.sub.mod", False)
    assert name("src/pkg/sub/__init__.py") == ("pkg.sub", True)
    assert name("scripts/tool.py") == ("scripts.tool", False)
    assert name("top.py") == ("top", False)


VENDORED = {
    "app/jobs.py": JOB,
    # `pip install --target libs`: third-party code, each package beside its dist-info
    "libs/engineio/async_client.py": JOB,
    "libs/python_engineio-4.9.0.dist-info/METADATA": "Name: python-engineio\n",
    "libs/six.py": JOB,
    # a project's own package directory named like it, without installed metadata
    "lib/tasks.py": JOB,
}


def test_installed_packages_vendored_into_the_project_are_not_read(tmp_path):
    write_tree(tmp_path, VENDORED)
    assert _names(tmp_path) == ["app/jobs.py", "lib/tasks.py"]


def test_installed_packages_are_not_read_in_a_git_work_tree_either(tmp_path):
    write_tree(tmp_path, VENDORED)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "-A"], check=True)
    assert _names(tmp_path) == ["app/jobs.py", "lib/tasks.py"]
    # asked for by name, the directory is read: it is what the user wants checked
    assert [f.display for f in discover([str(tmp_path / "libs")], [], cwd=tmp_path)[0]] == [
        "libs/engineio/async_client.py",
        "libs/six.py",
    ]
