"""Bad input and interrupted work: one clear line, a non-zero exit, nothing half-written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from imagehelpers import RegistryServer, aloft, free_port, make_project, skopeo

from aloft.image.base import BaseImage


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("aloft: error: ")
    return lines[0]


def test_missing_lock_file_names_it_and_the_fix(tmp_path: Path, cache_dir: Path) -> None:
    project = make_project(tmp_path / "app", lock=False)
    result = aloft(
        "build",
        "--project",
        str(project),
        "--layout",
        str(tmp_path / "out"),
        "-o",
        "json",
        cache=cache_dir,
    )
    assert result.returncode == 2
    line = _one_error_line(result)
    assert "uv.lock: missing" in line and "uv lock" in line
    assert not (tmp_path / "out").exists()


def test_stale_lock_file_is_refused(tiny: Path, tmp_path: Path, cache_dir: Path) -> None:
    pyproject = tiny / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('"starlette>=0.37"', '"starlette>=0.37", "idna>=3"')
    )
    result = aloft(
        "build",
        "--project",
        str(tiny),
        "--layout",
        str(tmp_path / "out"),
        "-o",
        "json",
        cache=cache_dir,
    )
    assert result.returncode == 2
    assert "does not match pyproject.toml" in _one_error_line(result)
    assert not (tmp_path / "out").exists()


def test_unreachable_registry_is_one_line_and_exit_1(
    tiny: Path, cache_dir: Path, base_amd64: BaseImage
) -> None:
    port = free_port()
    result = aloft(
        "build",
        "--project",
        str(tiny),
        "--push",
        f"127.0.0.1:{port}/tiny:v1",
        "-o",
        "json",
        cache=cache_dir,
    )
    assert result.returncode == 1
    assert f"registry 127.0.0.1:{port} unreachable" in _one_error_line(result)


def test_unqualified_push_reference_asks_for_a_registry(tiny: Path, cache_dir: Path) -> None:
    result = aloft(
        "build", "--project", str(tiny), "--push", "tiny:v1", "-o", "json", cache=cache_dir
    )
    assert result.returncode == 2
    assert "name the registry" in _one_error_line(result)


def test_base_that_does_not_exist(tiny: Path, registry: RegistryServer, cache_dir: Path) -> None:
    result = aloft(
        "build",
        "--project",
        str(tiny),
        "--base",
        f"{registry.host}/no/such-base:1",
        "-o",
        "json",
        cache=cache_dir,
    )
    assert result.returncode == 1
    assert f"base image {registry.host}/no/such-base:1 not found" in _one_error_line(result)


def test_dependency_without_wheels_for_the_platform(
    tmp_path: Path, cache_dir: Path, base_amd64: BaseImage
) -> None:
    # docopt publishes only an sdist: no wheel for any platform.
    project = make_project(tmp_path / "app", deps='"docopt==0.6.2"')
    out = tmp_path / "out"
    result = aloft(
        "build", "--project", str(project), "--layout", str(out), "-o", "json", cache=cache_dir
    )
    assert result.returncode == 1
    line = _one_error_line(result)
    assert "linux/amd64" in line and "docopt" in line
    assert not out.exists()


PUSH_SCRIPT = """
import sys
from pathlib import Path
from aloft.config import load_config
from aloft.image.build import BuildOptions, build
from aloft.image.cache import Cache
from aloft.image.oci import Platform
from aloft.image.publish import push
from aloft.image.reference import ImageRef
from aloft.image.registry import Registry

project, ref = Path(sys.argv[1]), ImageRef.parse(sys.argv[2])
cache = Cache()
result = build(load_config(project), BuildOptions((Platform("linux", "amd64"),)), cache)
# Small chunks make the upload take long enough to be interrupted in the middle.
with Registry(ref.registry, chunk_size=64 * 1024, monolithic_limit=0) as registry:
    push(registry, ref, result.target, cache, progress=lambda m: print(m, flush=True))
print("pushed", result.digest, flush=True)
"""


def test_push_killed_half_way_leaves_no_manifest_and_the_next_push_succeeds(
    tiny: Path, registry: RegistryServer, cache_dir: Path, base_amd64: BaseImage
) -> None:
    ref = f"{registry.host}/interrupted:v1"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
    env["ALOFT_CACHE_DIR"] = str(cache_dir)
    process = subprocess.Popen(
        [sys.executable, "-c", PUSH_SCRIPT, str(tiny), ref],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # the config blob is done; the base layer is uploading
    assert first.startswith("blob "), first
    time.sleep(0.2)
    process.kill()
    process.wait()
    assert not registry.has_manifest("interrupted", "v1")

    result = aloft("build", "--project", str(tiny), "--push", ref, cache=cache_dir)
    assert result.returncode == 0, result.stderr
    digest = result.stdout.strip().splitlines()[-1].split("@")[1]
    inspected = skopeo("inspect", "--tls-verify=false", f"docker://{ref}").stdout
    assert digest in inspected
    import json

    for layer in json.loads(inspected)["Layers"]:
        assert registry.has_blob("interrupted", layer)


def test_build_interrupted_then_rerun_gives_the_same_digest(
    tiny: Path, tmp_path: Path, base_amd64: BaseImage, cache_dir: Path
) -> None:
    # The session's cache minus every cached app and dependency layer: the base stays built.
    clean = tmp_path / "cache"
    shutil.copytree(cache_dir, clean, copy_function=os.link)
    shutil.rmtree(clean / "records" / "layers")
    shutil.rmtree(clean / "blobs")
    (clean / "blobs" / "sha256").mkdir(parents=True)
    for layer in base_amd64.image.layers:
        os.link(
            cache_dir / "blobs" / "sha256" / layer.digest[7:],
            clean / "blobs" / "sha256" / layer.digest[7:],
        )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ALOFT_") and k != "SOURCE_DATE_EPOCH"
    }
    env["ALOFT_CACHE_DIR"] = str(clean)
    from imagehelpers import ALOFT

    process = subprocess.Popen(
        [ALOFT, "build", "--project", str(tiny)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "dependencies" in line:  # the base is done; kill during the dependency layer
            break
    process.kill()
    process.wait()
    again = aloft("build", "--project", str(tiny), cache=clean)
    assert again.returncode == 0, again.stderr
    warm = aloft("build", "--project", str(tiny), cache=cache_dir)
    assert again.stdout.strip().splitlines()[-1] == warm.stdout.strip().splitlines()[-1]
