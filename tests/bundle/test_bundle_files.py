"""The one file rule: nothing from outside the project, no secrets, no crash on a link loop,
and the same rule for the zip, the image and the generated .dockerignore."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from bundlekit import SHAPES, aloft, layer_names, zip_names

from aloft.bundle import file_rule
from aloft.bundle.files import FileRule, dockerignore, select
from aloft.config import load_config
from aloft.exceptions import ConfigError
from aloft.image.base import BaseImage
from aloft.image.build import BuildOptions, build
from aloft.image.cache import Cache
from aloft.image.oci import Platform

SECRETS = {
    ".env": "API_TOKEN=hunter2\n",
    ".env.production": "API_TOKEN=prod\n",
    "id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
    "server.pem": "-----BEGIN CERTIFICATE-----\n",
    "tls.key": "key\n",
    "credentials.json": "{}\n",
    "deploy/gcp.json": '{"type": "service_account", "private_key": "-----BEGIN"}\n',
    ".aws/credentials": "[default]\naws_secret_access_key = x\n",
    ".ssh/config": "Host *\n",
    ".netrc": "machine x password y\n",
    ".npmrc": "//registry/:_authToken=x\n",
    ".pypirc": "[pypi]\npassword = x\n",
    ".git/config": "[core]\n",
    "tests/test_app.py": "def test(): pass\n",
}


def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\n')
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text("app = None\n")
    return root


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_secret_shaped_files_and_tests_are_left_out_with_a_one_line_note(tmp_path: Path) -> None:
    root = project(tmp_path)
    write(root, SECRETS)
    chosen = select(root, FileRule())
    assert chosen.dests() == ["app/__init__.py", "app/main.py"]
    note = chosen.note()
    assert "\n" not in note and "[tool.aloft] include" in note
    for shown in (".env", ".aws/", "id_rsa", "credentials.json", "deploy/gcp.json", "tests/"):
        assert shown in note


def test_an_explicit_include_ships_a_denied_file_and_exclude_wins_over_it(tmp_path: Path) -> None:
    root = project(tmp_path)
    write(root, {".env.defaults": "LOG=info\n", "app/tests/fixture.json": "{}\n"})
    rule = FileRule(include=(".env.defaults", "app/tests/"), exclude=("app/tests/fixture.json",))
    assert select(root, rule).dests() == [
        ".env.defaults",
        "app/__init__.py",
        "app/main.py",
    ]


def test_gitignore_and_a_foreign_dockerignore_are_honoured(tmp_path: Path) -> None:
    root = project(tmp_path)
    write(
        root,
        {
            ".gitignore": "*.log\nlocal_settings.py\n",
            ".dockerignore": "scratch\n",
            "app/debug.log": "x",
            "app/local_settings.py": "X = 1\n",
            "scratch/notes.py": "",
            "app/scratch/kept.py": "",
        },
    )
    assert select(root, FileRule()).dests() == [
        "app/__init__.py",
        "app/main.py",
        "app/scratch/kept.py",  # .dockerignore patterns are anchored at the context root
    ]


def test_in_a_git_work_tree_nested_and_parent_gitignores_count(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("*.sqlite3\n")  # the repository's, above the project
    root = project(tmp_path)
    write(root, {"app/.gitignore": "generated/\n", "app/generated/x.py": "", "db.sqlite3": ""})
    assert select(root, FileRule()).dests() == ["app/__init__.py", "app/main.py"]


def test_a_symlink_out_of_the_project_is_an_error_naming_it(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "app" / "passwd").symlink_to("/etc/passwd")
    with pytest.raises(ConfigError) as caught:
        select(root, FileRule())
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("app/passwd: symlink to /etc/passwd, outside the project")


def test_a_symlinked_folder_out_of_the_project_is_an_error_too(tmp_path: Path) -> None:
    root = project(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.py").write_text("TOKEN = 'x'\n")
    (root / "vendor").symlink_to(outside)
    with pytest.raises(ConfigError, match=r"^vendor: symlink to .*elsewhere, outside"):
        select(root, FileRule())


def test_a_listed_link_may_point_out_of_the_project_and_ships_its_contents(
    tmp_path: Path,
) -> None:
    root = project(tmp_path)
    shared = tmp_path / "shared.cfg"
    shared.write_text("x = 1\n")
    (root / "app" / "shared.cfg").symlink_to(shared)
    chosen = select(root, FileRule(include=("app/shared.cfg",)))
    (item,) = [f for f in chosen.files if f.dest == "app/shared.cfg"]
    assert item.source.read_text() == "x = 1\n"


def test_links_inside_the_project_are_shipped_as_files(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "app" / "alias.py").symlink_to(root / "app" / "main.py")
    assert "app/alias.py" in select(root, FileRule()).dests()


def test_a_link_to_a_secret_inside_the_project_is_left_out_too(tmp_path: Path) -> None:
    root = project(tmp_path)
    write(root, {".env": "API_TOKEN=hunter2\n"})
    (root / "app" / "settings.txt").symlink_to(root / ".env")
    chosen = select(root, FileRule())
    assert "app/settings.txt" not in chosen.dests()
    assert "app/settings.txt" in chosen.note()


def test_a_broken_link_in_a_left_out_folder_is_no_error(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / ".venv").symlink_to(tmp_path / "deleted-env")
    assert select(root, FileRule()).dests() == ["app/__init__.py", "app/main.py"]


def test_a_folder_link_loop_is_an_error_not_a_crash(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "app" / "again").symlink_to(root / "app")
    with pytest.raises(ConfigError, match=r"^app/again: symlink loop"):
        select(root, FileRule())


def test_a_file_link_cycle_is_an_error_not_a_crash(tmp_path: Path) -> None:
    root = project(tmp_path)
    os.symlink("b", root / "a")
    os.symlink("a", root / "b")
    with pytest.raises(ConfigError, match=r"^a: symlink loop"):
        select(root, FileRule())


def test_a_dangling_link_is_named(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "app" / "gone.py").symlink_to(root / "nowhere.py")
    with pytest.raises(ConfigError, match=r"^app/gone.py: dangling symlink"):
        select(root, FileRule())


def test_fifos_and_sockets_are_never_read(tmp_path: Path) -> None:
    root = project(tmp_path)
    os.mkfifo(root / "app" / "pipe.py")
    assert "app/pipe.py" not in select(root, FileRule()).dests()


def test_nothing_left_to_ship_is_an_error(tmp_path: Path) -> None:
    root = project(tmp_path)
    with pytest.raises(ConfigError, match="no Python files left for the app"):
        select(root, FileRule(exclude=("app/",)))


def test_the_generated_dockerignore_states_the_same_rule(tmp_path: Path) -> None:
    root = project(tmp_path)
    write(root, {".gitignore": "*.log\n"})
    text = dockerignore(FileRule(include=(".env.defaults",), exclude=("docs/",)), root)
    lines = text.splitlines()
    for pattern in ("**/.env*", "**/id_rsa*", "**/.aws", "**/tests", "**/*.log", "**/.*"):
        assert pattern in lines
    # Docker applies the last matching line: includes after the deny-list, excludes last.
    assert lines.index("!**/.env.defaults") > lines.index("**/.env*")
    assert lines[-1] == "**/docs"


def test_lambda_package_refuses_a_link_to_etc_passwd_in_one_line(tmp_path: Path) -> None:
    root = SHAPES["flat"](tmp_path)
    (root / "passwd.txt").symlink_to("/etc/passwd")
    out = tmp_path / "out"
    result = aloft("lambda", "package", "--project", str(root), "--out", str(out))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "passwd.txt: symlink to /etc/passwd, outside the project" in line
    assert not (out / "function.zip").exists()


def test_lambda_package_leaves_secrets_out_and_says_so(tmp_path: Path) -> None:
    root = SHAPES["flat"](tmp_path)
    write(root, SECRETS)
    out = tmp_path / "out"
    result = aloft("lambda", "package", "--project", str(root), "--out", str(out))
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if "note:" in line]
    assert len(notes) == 1 and ".aws/" in notes[0]
    shipped = zip_names(out / "function.zip") + zip_names(out / "layer.zip")
    for secret in SECRETS:
        assert secret not in shipped and f"python/{secret}" not in shipped


def test_the_rule_is_tool_aloft_include_exclude_joined_by_the_older_per_target_lists(
    tmp_path: Path,
) -> None:
    root = project(tmp_path)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "proj"\n\n[tool.aloft]\napp = "app.main:app"\n'
        'include = [".env.defaults"]\nexclude = ["docs/"]\n\n'
        '[tool.aloft.image]\nexclude = ["*.md"]\n\n'
        '[tool.aloft.lambda]\ninclude = ["templates/"]\nexclude = ["*.sql"]\n'
    )
    rule = file_rule(load_config(root, environ={"ALOFT_EXCLUDE": "docs/,*.csv"}))
    assert rule == FileRule(
        include=(".env.defaults", "templates/"), exclude=("docs/", "*.csv", "*.md", "*.sql")
    )


def test_src_maps_onto_the_root_unless_it_is_itself_a_package(tmp_path: Path) -> None:
    root = project(tmp_path)
    write(root, {"src/svc/__init__.py": "", "src/svc/web.py": "app = 1\n"})
    assert "svc/web.py" in select(root, FileRule()).dests()
    write(root, {"src/__init__.py": ""})
    assert "src/svc/web.py" in select(root, FileRule()).dests()


def test_aloft_build_leaves_secrets_out_of_the_image_and_says_so(
    tmp_path: Path, bundle_cache: Cache, amd64_base: BaseImage
) -> None:
    root = SHAPES["flat"](tmp_path)
    write(root, {".env": "API_TOKEN=hunter2\n", "id_rsa": "key\n", ".aws/credentials": "x\n"})
    result = aloft(
        "build", "--project", str(root), "--layout", str(tmp_path / "oci"), cache=bundle_cache.root
    )
    assert result.returncode == 0, result.stderr
    (note,) = [line for line in result.stderr.splitlines() if "note:" in line]
    assert ".env" in note and "id_rsa" in note and ".aws/" in note
    built = build(
        load_config(root, environ={}), BuildOptions((Platform("linux", "amd64"),)), bundle_cache
    )
    app = layer_names(bundle_cache.blob_path(built.platforms[0].image.layers[-1].digest))
    assert "app/main.py" in app
    assert not any(name.endswith((".env", "id_rsa", "credentials")) for name in app)


def test_build_inputs_stay_out_so_a_config_change_is_not_a_code_change(tmp_path: Path) -> None:
    root = project(tmp_path)
    write(
        root, {"uv.lock": "", "requirements.txt": "", "Dockerfile": "", "conf/pyproject.toml": ""}
    )
    dests = select(root, FileRule()).dests()
    assert "pyproject.toml" not in dests and "uv.lock" not in dests
    assert "requirements.txt" not in dests and "Dockerfile" not in dests
    assert "conf/pyproject.toml" in dests  # only the project's own, at its root
    assert "pyproject.toml" in select(root, FileRule(include=("pyproject.toml",))).dests()
