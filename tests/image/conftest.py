"""Real peers for the image tests: a CNCF distribution registry on loopback (started once per
session, with its own config), skopeo/umoci/runc as independent readers and runners, and a build
cache in which aloft's base image is built once per session.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from imagehelpers import RegistryServer, make_project, start_registry, stop

from aloft.image.base import BaseImage, build_base
from aloft.image.cache import Cache
from aloft.image.oci import Platform


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    server = start_registry(tmp_path_factory.mktemp("registry"))
    yield server
    stop(server.process)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build cache for the session: the base is fetched and built once, then reused."""
    return tmp_path_factory.mktemp("aloft-cache")


@pytest.fixture(scope="session")
def base_amd64(cache_dir: Path) -> BaseImage:
    return build_base(Platform("linux", "amd64"), Cache(cache_dir))


@pytest.fixture(scope="session")
def base_arm64(cache_dir: Path) -> BaseImage:
    return build_base(Platform("linux", "arm64"), Cache(cache_dir))


@pytest.fixture(scope="session")
def tiny_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("tiny-template") / "tiny")


@pytest.fixture
def tiny(tiny_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of a small locked Starlette project that each test may change."""
    target = tmp_path / "tiny"
    shutil.copytree(tiny_template, target)
    return target
