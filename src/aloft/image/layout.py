"""Images on disk: an OCI image layout folder, or one tarball that `docker load` and `podman load`
accept (an OCI layout plus Docker's manifest.json, as Docker 25+ writes it).

Both are written beside the destination and renamed into place, so a failed or interrupted
write never leaves a half-written layout or tarball at the path the user named.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from aloft.fileio import file_mode, publish_dir
from aloft.image.cache import Cache
from aloft.image.oci import INDEX, MANIFEST, Image, ImageIndex, canonical

LAYOUT_FILE = b'{"imageLayoutVersion":"1.0.0"}'


def _blobs(target: Image | ImageIndex, cache: Cache) -> dict[str, bytes | Path]:
    """Every blob of the target, by digest: documents as bytes, layers as cache paths."""
    images = target.images if isinstance(target, ImageIndex) else (target,)
    blobs: dict[str, bytes | Path] = {}
    for image in images:
        blobs[image.digest] = image.manifest
        blobs[image.config_digest] = image.config
        for layer in image.layers:
            blobs[layer.digest] = cache.blob_path(layer.digest)
    if isinstance(target, ImageIndex):
        blobs[target.digest] = target.manifest
    return blobs


def _index(target: Image | ImageIndex, tag: str) -> bytes:
    if isinstance(target, ImageIndex):
        descriptor: dict[str, Any] = {
            "mediaType": INDEX,
            "digest": target.digest,
            "size": len(target.manifest),
        }
    else:
        descriptor = {"mediaType": MANIFEST, "digest": target.digest, "size": len(target.manifest)}
    if tag:
        descriptor["annotations"] = {"org.opencontainers.image.ref.name": tag}
    return canonical({"schemaVersion": 2, "mediaType": INDEX, "manifests": [descriptor]})


def write_layout(target: Image | ImageIndex, cache: Cache, dest: Path, tag: str = "latest") -> None:
    dest = dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        publish_dir(temp)
        blob_dir = temp / "blobs" / "sha256"
        blob_dir.mkdir(parents=True)
        for digest, source in sorted(_blobs(target, cache).items()):
            path = blob_dir / digest.split(":")[1]
            if isinstance(source, bytes):
                path.write_bytes(source)
            else:
                try:
                    os.link(source, path)
                except OSError:
                    shutil.copyfile(source, path)
                # Blobs cached by older versions are 0600; the layout is for other tools to read.
                os.chmod(path, file_mode())
        (temp / "oci-layout").write_bytes(LAYOUT_FILE)
        (temp / "index.json").write_bytes(_index(target, tag))
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(dest, old)
            os.replace(temp, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(temp, dest)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def write_tarball(target: Image, cache: Cache, dest: Path, repo_tag: str) -> None:
    """One platform's image as a tarball for `docker load` / `podman load`."""
    dest = dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    os.fchmod(fd, file_mode())
    os.close(fd)
    try:
        manifest = [
            {
                "Config": f"blobs/sha256/{target.config_digest.split(':')[1]}",
                "RepoTags": [repo_tag] if repo_tag else [],
                "Layers": [f"blobs/sha256/{layer.digest.split(':')[1]}" for layer in target.layers],
            }
        ]
        with tarfile.open(name, "w", format=tarfile.PAX_FORMAT) as tar:
            files: dict[str, bytes | Path] = {
                "oci-layout": LAYOUT_FILE,
                "index.json": _index(target, repo_tag),
                "manifest.json": json.dumps(manifest, separators=(",", ":")).encode(),
            }
            for digest, source in _blobs(target, cache).items():
                files[f"blobs/sha256/{digest.split(':')[1]}"] = source
            _add_dir(tar, "blobs")
            _add_dir(tar, "blobs/sha256")
            for path, source in sorted(files.items()):
                info = tarfile.TarInfo(path)
                info.mode = 0o644
                if isinstance(source, bytes):
                    info.size = len(source)
                    tar.addfile(info, io.BytesIO(source))
                else:
                    info.size = source.stat().st_size
                    with source.open("rb") as fh:
                        tar.addfile(info, fh)
        os.replace(name, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def _add_dir(tar: tarfile.TarFile, path: str) -> None:
    info = tarfile.TarInfo(path)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    tar.addfile(info)
