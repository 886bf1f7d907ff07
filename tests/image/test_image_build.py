"""`aloft build`: the image an independent client reads is the one aloft computed; builds are
reproducible and cached per layer."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from imagehelpers import RegistryServer, aloft, skopeo

from aloft.image.base import BaseImage


def _build_json(*args: str, cache: Path) -> dict:  # type: ignore[type-arg]
    result = aloft("build", *args, "--output", "json", cache=cache)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_pushed_image_digest_layers_and_config_match_what_skopeo_reads(
    tiny: Path, registry: RegistryServer, cache_dir: Path, base_amd64: BaseImage
) -> None:
    result = aloft(
        "build", "--project", str(tiny), "--push", f"{registry.host}/tiny:v1", cache=cache_dir
    )
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(f"{registry.host}/tiny@sha256:")
    digest = last.split("@")[1]

    raw = skopeo(
        "inspect", "--tls-verify=false", "--raw", f"docker://{registry.host}/tiny:v1"
    ).stdout
    from hashlib import sha256

    assert "sha256:" + sha256(raw.encode()).hexdigest() == digest
    inspected = json.loads(
        skopeo("inspect", "--tls-verify=false", f"docker://{registry.host}/tiny:v1").stdout
    )
    assert inspected["Digest"] == digest
    manifest = json.loads(raw)
    assert inspected["Layers"] == [layer["digest"] for layer in manifest["layers"]]
    assert manifest["layers"][0]["digest"] == base_amd64.image.layers[0].digest

    config = json.loads(
        skopeo(
            "inspect", "--tls-verify=false", "--config", f"docker://{registry.host}/tiny:v1"
        ).stdout
    )
    assert config["config"]["User"] == "65532:65532"
    assert config["config"]["Entrypoint"][1:] == ["-m", "aloft.runtime", "serve"]
    assert "ALOFT_APP=tiny:app" in config["config"]["Env"]
    assert "8000/tcp" in config["config"]["ExposedPorts"]
    assert config["rootfs"]["diff_ids"][0] == base_amd64.image.layers[0].diff_id
    assert manifest["annotations"]["org.opencontainers.image.title"] == "tiny"


def test_two_builds_from_clean_caches_give_the_same_digest(
    tiny: Path, tmp_path: Path, cache_dir: Path, base_amd64: BaseImage
) -> None:
    warm = _build_json("--project", str(tiny), cache=cache_dir)
    cold = _build_json("--project", str(tiny), cache=tmp_path / "clean-cache")
    assert cold["digest"] == warm["digest"]
    assert cold["platforms"][0]["reused"] == []


def test_code_only_change_rebuilds_only_the_app_layer(
    tiny: Path, cache_dir: Path, base_amd64: BaseImage
) -> None:
    before = _build_json("--project", str(tiny), cache=cache_dir)
    with (tiny / "tiny.py").open("a") as fh:
        fh.write("\n# a one-line change\n")
    after = _build_json("--project", str(tiny), cache=cache_dir)
    old, new = before["platforms"][0]["layers"], after["platforms"][0]["layers"]
    assert [x["digest"] for x in new[:2]] == [x["digest"] for x in old[:2]]
    assert new[2]["digest"] != old[2]["digest"]
    assert after["platforms"][0]["reused"] == ["dependencies"]
    assert after["digest"] != before["digest"]


def test_oci_layout_and_load_tarball_hold_the_same_image(
    tiny: Path, tmp_path: Path, cache_dir: Path, base_amd64: BaseImage
) -> None:
    layout, tarball = tmp_path / "layout", tmp_path / "image.tar"
    built = _build_json(
        "--project",
        str(tiny),
        "--layout",
        str(layout),
        "--tar",
        str(tarball),
        "--tag",
        "v2",
        cache=cache_dir,
    )
    from_layout = json.loads(skopeo("inspect", f"oci:{layout}:v2").stdout)
    assert from_layout["Digest"] == built["digest"]
    from_archive = json.loads(skopeo("inspect", f"docker-archive:{tarball}").stdout)
    layout_config = json.loads(skopeo("inspect", "--config", f"oci:{layout}:v2").stdout)
    # docker-archive names layers by their uncompressed digests (the config's diff_ids).
    assert from_archive["Layers"] == layout_config["rootfs"]["diff_ids"]
    with tarfile.open(tarball) as tar:
        assert {"manifest.json", "index.json", "oci-layout"} <= set(tar.getnames())
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        assert json.load(handle)[0]["RepoTags"] == ["tiny:v2"]
    sbom = json.loads((tmp_path / "layout.sbom.cdx.json").read_text())
    names = {c["name"] for c in sbom["components"]}
    assert {
        "starlette",
        "pydantic_core",
        "gunicorn",
        "uvicorn",
        "aloft-runtime",
        "libc6",
        "python3.11-minimal",
    } <= names


def test_image_contains_runtime_and_server_but_not_the_tooling(
    tiny: Path, tmp_path: Path, cache_dir: Path, base_amd64: BaseImage
) -> None:
    layout = tmp_path / "layout"
    built = _build_json("--project", str(tiny), "--layout", str(layout), cache=cache_dir)
    deps_digest = built["platforms"][0]["layers"][1]["digest"]
    with tarfile.open(layout / "blobs" / "sha256" / deps_digest.split(":")[1]) as tar:
        names = set(tar.getnames())
    site = "opt/aloft/site-packages"
    assert f"{site}/aloft/runtime/__main__.py" in names
    assert any(n.startswith(f"{site}/gunicorn/") for n in names)
    assert any(n.startswith(f"{site}/uvicorn/") for n in names)
    assert not any(
        n.startswith((f"{site}/aloft/cli/", f"{site}/aloft/image/", f"{site}/aloft/config/"))
        for n in names
    )
    assert not any(n.startswith(f"{site}/bin/") for n in names)
    # Bytecode is precompiled for the base's Python, so a read-only root filesystem costs nothing.
    assert f"{site}/starlette/__pycache__/applications.cpython-311.pyc" in names
    app_digest = built["platforms"][0]["layers"][2]["digest"]
    with tarfile.open(layout / "blobs" / "sha256" / app_digest.split(":")[1]) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert "app/__pycache__/tiny.cpython-311.pyc" in members
    assert members["app/tiny.py"].uid == 0 and members["app/tiny.py"].mode == 0o644
    assert not any(".venv" in n for n in members)


def test_base_pushed_by_aloft_base_is_pulled_by_digest_and_its_layer_mounted(
    tiny: Path, registry: RegistryServer, cache_dir: Path, base_amd64: BaseImage
) -> None:
    pushed = aloft("base", "--push", f"{registry.host}/aloft/base:bookworm", cache=cache_dir)
    assert pushed.returncode == 0, pushed.stderr
    base_ref = pushed.stdout.strip().splitlines()[-1]
    assert base_ref == f"{registry.host}/aloft/base@{base_amd64.image.digest}"
    built = aloft(
        "build",
        "--project",
        str(tiny),
        "--base",
        base_ref,
        "--push",
        f"{registry.host}/mounted:v1",
        cache=cache_dir,
    )
    assert built.returncode == 0, built.stderr
    assert f"blob {base_amd64.image.layers[0].digest[7:19]}" in built.stderr
    assert "mounted" in next(
        line
        for line in built.stderr.splitlines()
        if base_amd64.image.layers[0].digest[7:19] in line
    )
    manifest = json.loads(
        skopeo(
            "inspect", "--tls-verify=false", "--raw", f"docker://{registry.host}/mounted:v1"
        ).stdout
    )
    assert manifest["layers"][0]["digest"] == base_amd64.image.layers[0].digest
    assert manifest["annotations"]["org.opencontainers.image.base.name"] == base_ref


def test_source_date_epoch_sets_app_times_but_leaves_the_dependency_layer(
    tiny: Path, cache_dir: Path, base_amd64: BaseImage
) -> None:
    one = aloft(
        "build",
        "--project",
        str(tiny),
        "-o",
        "json",
        cache=cache_dir,
        env={"SOURCE_DATE_EPOCH": "1700000000"},
    )
    two = aloft(
        "build",
        "--project",
        str(tiny),
        "-o",
        "json",
        cache=cache_dir,
        env={"SOURCE_DATE_EPOCH": "1700003600"},
    )
    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    first, second = (json.loads(r.stdout)["platforms"][0]["layers"] for r in (one, two))
    assert first[:2] == second[:2]
    assert first[2] != second[2]
