"""One build cache per session for the bundle tests: aloft's base image is built once."""

from __future__ import annotations

import pytest

from aloft.image.base import BaseImage, build_base
from aloft.image.cache import Cache
from aloft.image.oci import Platform


@pytest.fixture(scope="session")
def bundle_cache(tmp_path_factory: pytest.TempPathFactory) -> Cache:
    return Cache(tmp_path_factory.mktemp("bundle-cache"))


@pytest.fixture(scope="session")
def amd64_base(bundle_cache: Cache) -> BaseImage:
    return build_base(Platform("linux", "amd64"), bundle_cache)
