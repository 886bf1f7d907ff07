"""An image's OCI config and annotations: what `aloft build` says about the image it made.

The config carries the resolved [tool.aloft] settings as the ALOFT_* and OTEL_* environment (one
builder: `ProjectConfig.runtime_env()`, as Kubernetes and Lambda get them), so the image runs with
no flags; the annotations name the project, its version and the commit it was built from.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from aloft.config import ResolvedConfig
from aloft.image.base import BaseImage
from aloft.image.oci import created

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def project_version(root: Path) -> str:
    """[project] version of the project's pyproject.toml ("0" without one)."""
    with (root / "pyproject.toml").open("rb") as fh:
        return str(tomllib.load(fh).get("project", {}).get("version", "0"))


def image_config(
    resolved: ResolvedConfig, base: BaseImage, mtime: int, site_packages: str
) -> dict[str, Any]:
    """The image's config: the base's, with aloft's environment (the resolved config as ALOFT_*
    variables), user, workdir, entrypoint, port and labels, and one history entry a layer."""
    settings = resolved.config.image
    serve = resolved.config.serve
    base_config = base.image.config_json()
    inherited = dict(base_config.get("config") or {})
    env: dict[str, str] = {}
    for item in inherited.get("Env") or []:
        key, _, value = item.partition("=")
        env[key] = value
    # A src/ layout's packages sit at the workdir's top (the bundle maps src/ onto it).
    python_path = [settings.workdir, site_packages]
    env.update(
        {
            "PYTHONPATH": ":".join(python_path),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "HOME": "/tmp",
        }
    )
    env.update(resolved.config.runtime_env())
    labels = dict(inherited.get("Labels") or {})
    labels.update(image_annotations(resolved, base, mtime))
    labels.update(settings.labels)
    config = {
        "User": f"{settings.user}:{settings.user}",
        "WorkingDir": settings.workdir,
        "Env": [f"{k}={v}" for k, v in sorted(env.items())],
        "Entrypoint": [base.python, "-m", "aloft.runtime", "serve"],
        "ExposedPorts": {f"{serve.port}/tcp": {}},
        "StopSignal": "SIGTERM",
        "Labels": dict(sorted(labels.items())),
    }
    history = list(base_config.get("history") or [])
    when = created(mtime)
    history += [
        {
            "created": when,
            "created_by": "aloft build: dependencies from uv.lock, runtime and server",
        },
        {"created": when, "created_by": f"aloft build: app source in {settings.workdir}"},
    ]
    return {"created": when, "config": config, "history": history}


def image_annotations(
    resolved: ResolvedConfig, base: BaseImage | None, mtime: int
) -> dict[str, str]:
    """The OCI annotations (image-spec annotations.md) of an image or index (`base` None), also
    its labels: created, title, version, and source, revision and base name where known."""
    out = {
        "org.opencontainers.image.created": created(mtime),
        "org.opencontainers.image.title": resolved.project_name,
        "org.opencontainers.image.version": project_version(resolved.root),
    }
    source = resolved.config.image.source
    if source:
        out["org.opencontainers.image.source"] = source
    revision = _git_revision(resolved.root)
    if revision:
        out["org.opencontainers.image.revision"] = revision
    if base is not None:
        out["org.opencontainers.image.base.name"] = base.reference
    return out


def _git_revision(root: Path) -> str:
    if not shutil.which("git"):
        return ""
    result = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], check=False, capture_output=True, text=True
    )
    if result.returncode != 0:
        return ""
    dirty = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--", "."],
        check=False,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
