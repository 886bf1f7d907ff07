"""`--platform linux/amd64,linux/arm64`: one index, each image with its own wheels and base,
and an SBOM attached to each through the OCI tag-schema fallback."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import httpx
from imagehelpers import RegistryServer, aloft, skopeo

from aloft.image.base import BaseImage
from aloft.image.elf import is_elf, read_elf

ACCEPT = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json"


def _get(registry: RegistryServer, path: str) -> httpx.Response:
    reply = httpx.get(registry.url(path), headers={"Accept": ACCEPT})
    assert reply.status_code == 200, (path, reply.text)
    return reply


def _layer_members(registry: RegistryServer, repository: str, digest: str) -> dict[str, bytes]:
    blob = _get(registry, f"/v2/{repository}/blobs/{digest}").content
    out = {}
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob))) as tar:
        for member in tar.getmembers():
            if member.isfile():
                handle = tar.extractfile(member)
                assert handle is not None
                out[member.name] = handle.read()
    return out


def test_two_platforms_make_an_index_with_the_right_wheels_binaries_and_sboms(
    tiny: Path,
    registry: RegistryServer,
    cache_dir: Path,
    base_amd64: BaseImage,
    base_arm64: BaseImage,
) -> None:
    result = aloft(
        "build",
        "--project",
        str(tiny),
        "--platform",
        "linux/amd64,linux/arm64",
        "--push",
        f"{registry.host}/multi:v1",
        cache=cache_dir,
    )
    assert result.returncode == 0, result.stderr
    digest = result.stdout.strip().splitlines()[-1].split("@")[1]
    raw = skopeo(
        "inspect", "--tls-verify=false", "--raw", f"docker://{registry.host}/multi:v1"
    ).stdout
    index = json.loads(raw)
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"
    platforms = {m["platform"]["architecture"]: m["digest"] for m in index["manifests"]}
    assert set(platforms) == {"amd64", "arm64"}
    arm_config = json.loads(
        skopeo(
            "inspect",
            "--tls-verify=false",
            "--override-arch",
            "arm64",
            "--config",
            f"docker://{registry.host}/multi@{digest}",
        ).stdout
    )
    assert arm_config["architecture"] == "arm64"

    arm_manifest = _get(registry, f"/v2/multi/manifests/{platforms['arm64']}").json()
    assert arm_manifest["layers"][0]["digest"] == base_arm64.image.layers[0].digest
    deps = _layer_members(registry, "multi", arm_manifest["layers"][1]["digest"])
    wheel_tags = [
        line
        for name, data in deps.items()
        if name.endswith(".dist-info/WHEEL")
        for line in data.decode().splitlines()
        if line.startswith("Tag:")
    ]
    platform_tags = [tag for tag in wheel_tags if not tag.endswith("-any")]
    assert platform_tags and all("aarch64" in tag for tag in platform_tags)
    machines = {read_elf(data).machine for data in deps.values() if is_elf(data)}
    assert machines == {"arm64"}
    amd_manifest = _get(registry, f"/v2/multi/manifests/{platforms['amd64']}").json()
    amd_deps = _layer_members(registry, "multi", amd_manifest["layers"][1]["digest"])
    assert {read_elf(d).machine for d in amd_deps.values() if is_elf(d)} == {"amd64"}

    for arch, manifest_digest in platforms.items():
        referrers = _get(
            registry, f"/v2/multi/manifests/{manifest_digest.replace(':', '-')}"
        ).json()
        (entry,) = referrers["manifests"]
        assert entry["artifactType"] == "application/vnd.cyclonedx+json"
        artifact = _get(registry, f"/v2/multi/manifests/{entry['digest']}").json()
        assert artifact["subject"]["digest"] == manifest_digest
        sbom = _get(registry, f"/v2/multi/blobs/{artifact['layers'][0]['digest']}").json()
        assert sbom["bomFormat"] == "CycloneDX"
        purls = {c["purl"] for c in sbom["components"]}
        assert any(p.startswith("pkg:pypi/starlette@") for p in purls)
        assert any(
            p.startswith("pkg:deb/debian/libc6@") and p.endswith(f"arch={arch}") for p in purls
        )
