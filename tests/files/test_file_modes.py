"""Files aloft writes get the modes the umask asks for, not mkstemp 0600 or mkdtemp 0700."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from aloft.image.cache import Cache
from aloft.image.layout import write_layout, write_tarball
from aloft.image.oci import Platform, make_image

ALOFT = str(Path(sys.executable).with_name("aloft"))
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fastapi"
IMAGE = "registry.example/shop@sha256:" + "a" * 64


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _project(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [project]
            name = "shop"
            version = "0.1.0"
            dependencies = ["aloft-runtime[asgi]"]

            [tool.aloft]
            app = "shop.main:app"
            """
        )
    )
    return folder


def _aloft_with_umask(umask: int, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", f'umask {umask:03o} && exec "$0" "$@"', ALOFT, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")},
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("umask,expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_rendered_manifests_follow_the_umask(tmp_path: Path, umask: int, expected: int) -> None:
    folder = _project(tmp_path / "p")
    done = _aloft_with_umask(
        umask, "k8s", "render", "--image", IMAGE, "--kube-version", "1.31", "--out", "out",
        cwd=folder,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _mode(folder / "out" / "manifests.yaml") == expected


def test_dockerfile_and_dockerignore_are_0644_under_umask_022(tmp_path: Path) -> None:
    # The example's lock points at ../../packaging/aloft-runtime: keep that relative path valid.
    folder = tmp_path / "examples" / "fastapi"
    shutil.copytree(EXAMPLE, folder)
    (tmp_path / "packaging").symlink_to(EXAMPLE.parents[1] / "packaging")
    done = _aloft_with_umask(0o022, "dockerfile", "--file", "Dockerfile", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert _mode(folder / "Dockerfile") == 0o644
    assert _mode(folder / ".dockerignore") == 0o644


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_oci_layout_folder_is_0755_and_its_files_0644(tmp_path: Path, umask_022: None) -> None:
    cache = Cache(tmp_path / "cache")
    image = make_image(Platform("linux", "amd64"), [], {"config": {}})
    dest = tmp_path / "layout"
    write_layout(image, cache, dest, "v1")
    assert _mode(dest) == 0o755
    assert _mode(dest / "blobs") == 0o755
    for path in dest.rglob("*"):
        assert _mode(path) == (0o755 if path.is_dir() else 0o644), path


def test_image_tarball_is_0644(tmp_path: Path, umask_022: None) -> None:
    cache = Cache(tmp_path / "cache")
    image = make_image(Platform("linux", "amd64"), [], {"config": {}})
    dest = tmp_path / "image.tar"
    write_tarball(image, cache, dest, "shop:v1")
    assert _mode(dest) == 0o644


def test_cached_records_follow_the_umask(tmp_path: Path, umask_022: None) -> None:
    cache = Cache(tmp_path / "cache")
    digest = cache.put_blob_bytes(b"hello")
    assert _mode(cache.blob_path(digest)) == 0o644
