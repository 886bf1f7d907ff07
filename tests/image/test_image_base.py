"""`aloft base`: a small glibc Python base made from verified Debian packages, never executed."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from aloft.image.base import LABEL, MANYLINUX_LIBRARIES, BaseImage, build_base
from aloft.image.cache import Cache
from aloft.image.elf import is_elf, read_elf
from aloft.image.oci import Platform

MB = 1_000_000


def _tar(cache_dir: Path, base: BaseImage) -> tarfile.TarFile:
    blob = Cache(cache_dir).blob_path(base.image.layers[0].digest).read_bytes()
    return tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob)))


@pytest.fixture(scope="module")
def rootfs(cache_dir: Path, base_amd64: BaseImage) -> Iterator[Path]:
    # Not under pytest's 0700 temp folders: the non-root user must be able to reach it.
    folder = Path(tempfile.mkdtemp(prefix="aloft-base-rootfs-"))
    folder.chmod(0o755)
    with _tar(cache_dir, base_amd64) as tar:
        tar.extractall(folder)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_base_is_at_most_20_mb_compressed(base_amd64: BaseImage, base_arm64: BaseImage) -> None:
    for base in (base_amd64, base_arm64):
        assert base.image.layers[0].size <= 20 * MB, base.image.platform


def test_base_records_python_glibc_and_exact_package_versions(
    base_amd64: BaseImage, rootfs: Path
) -> None:
    assert base_amd64.python_version.startswith("3.")
    assert base_amd64.glibc.startswith("2.")
    listed = {p["name"]: p["version"] for p in base_amd64.packages}
    assert {"libc6", "libssl3", "ca-certificates", "tzdata"} <= set(listed)
    for name, version in listed.items():
        status = (rootfs / "var/lib/dpkg/status.d" / name).read_text()
        assert f"Version: {version}\n" in status
    labels = base_amd64.image.config_json()["config"]["Labels"]
    assert json.loads(labels[LABEL + "packages"])[0]["purl"].startswith("pkg:deb/debian/")


def test_base_has_no_shell_package_manager_or_compiler(rootfs: Path) -> None:
    for tool in ("sh", "bash", "dash", "dpkg", "apt", "apt-get", "gcc", "cc", "perl", "pip"):
        assert not (rootfs / "usr/bin" / tool).exists(), tool
    assert not (rootfs / "usr/lib/python3.11/ensurepip").exists()
    assert not (rootfs / "usr/lib/python3.11/test").exists()


def test_every_binary_is_for_the_platform_and_finds_its_libraries(
    rootfs: Path, base_arm64: BaseImage, cache_dir: Path
) -> None:
    libraries = {p.name for p in (rootfs / "usr/lib/x86_64-linux-gnu").iterdir()}
    for path in rootfs.rglob("*"):
        if path.is_file() and not path.is_symlink() and is_elf(path.read_bytes()[:4]):
            info = read_elf(path.read_bytes())
            assert info.machine == "amd64", path
            assert set(info.needed) <= libraries, (path, set(info.needed) - libraries)
    assert set(MANYLINUX_LIBRARIES) <= libraries
    with _tar(cache_dir, base_arm64) as tar:
        machines = {
            read_elf(tar.extractfile(m).read()).machine  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile() and m.size > 64 and tar.extractfile(m).read(4) == b"\x7fELF"
        }  # type: ignore[union-attr]
    assert machines == {"arm64"}


def test_python_runs_in_the_base_as_the_non_root_user_with_tls_and_time_zones(rootfs: Path) -> None:
    script = (
        "import json, os, pwd, ssl, sqlite3, zoneinfo, datetime;"
        "ctx = ssl.create_default_context();"
        "summer = datetime.datetime(2024, 7, 1, tzinfo=zoneinfo.ZoneInfo('Europe/Paris'));"
        "print(json.dumps({'user': pwd.getpwuid(os.getuid()).pw_name,"
        "'cas': ctx.cert_store_stats()['x509_ca'], 'paris': str(summer.utcoffset()),"
        "'sqlite': sqlite3.sqlite_version}))"
    )
    result = subprocess.run(
        ["chroot", "--userspec=65532:65532", str(rootfs), "/usr/bin/python3", "-c", script],
        check=False,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt",
        },
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["user"] == "nonroot"
    assert answer["cas"] > 100
    assert answer["paris"] == "2:00:00"


def test_stdlib_bytecode_is_precompiled(rootfs: Path) -> None:
    assert (rootfs / "usr/lib/python3.11/__pycache__/ssl.cpython-311.pyc").is_file()
    assert (rootfs / "usr/lib/python3.11/json/__pycache__/decoder.cpython-311.pyc").is_file()


def test_downloaded_debs_are_cached_and_a_rebuild_gives_the_same_digest(
    cache_dir: Path, base_amd64: BaseImage
) -> None:
    archives = cache_dir / "apt" / "bookworm" / "amd64" / "var/cache/apt/archives"
    assert any(archives.glob("libc6_*_amd64.deb"))
    again = build_base(Platform("linux", "amd64"), Cache(cache_dir))
    assert again.image.digest == base_amd64.image.digest


def test_shell_variant_adds_busybox_sh(cache_dir: Path, base_amd64: BaseImage) -> None:
    shell = build_base(Platform("linux", "amd64"), Cache(cache_dir), shell=True)
    with _tar(cache_dir, shell) as tar:
        names = set(tar.getnames())
    assert {"usr/bin/sh", "usr/bin/busybox"} <= names
    assert shell.image.digest != base_amd64.image.digest
