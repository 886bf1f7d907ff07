"""A CycloneDX 1.5 SBOM of an image: the Python packages of its dependency layer and the base's
Debian packages, written beside the image and attached to it in the registry.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aloft.image.oci import canonical

MEDIA_TYPE = "application/vnd.cyclonedx+json"


def python_packages(site_packages: Path) -> list[dict[str, str]]:
    """Name and version of every distribution installed in `site_packages` (from METADATA)."""
    found = []
    for metadata in sorted(site_packages.glob("*.dist-info/METADATA")):
        fields: dict[str, str] = {}
        for line in metadata.read_text(errors="replace").splitlines():
            if not line.strip():
                break
            key, _, value = line.partition(":")
            if key in ("Name", "Version", "License", "License-Expression") and key not in fields:
                fields[key] = value.strip()
        if "Name" in fields and "Version" in fields:
            found.append(
                {
                    "name": fields["Name"],
                    "version": fields["Version"],
                    "license": fields.get("License-Expression") or fields.get("License", ""),
                }
            )
    return found


def _pypi_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def cyclonedx(
    *,
    name: str,
    version: str,
    image_digest: str,
    created: str,
    python: Iterable[dict[str, str]],
    debian: Iterable[dict[str, str]],
    tool_version: str,
) -> bytes:
    components: list[dict[str, Any]] = []
    for package in sorted(python, key=lambda p: _pypi_name(p["name"])):
        normalised = _pypi_name(package["name"])
        component: dict[str, Any] = {
            "type": "library",
            "name": package["name"],
            "version": package["version"],
            "purl": f"pkg:pypi/{normalised}@{package['version']}",
            "bom-ref": f"pkg:pypi/{normalised}@{package['version']}",
        }
        if package.get("license") and len(package["license"]) < 100:
            component["licenses"] = [{"expression": package["license"]}]
        components.append(component)
    for package in sorted(debian, key=lambda p: p["name"]):
        components.append(
            {
                "type": "library",
                "name": package["name"],
                "version": package["version"],
                "purl": package["purl"],
                "bom-ref": package["purl"],
            }
        )
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'aloft:' + image_digest)}",
        "version": 1,
        "metadata": {
            "timestamp": created,
            "tools": {
                "components": [{"type": "application", "name": "aloft", "version": tool_version}]
            },
            "component": {
                "type": "container",
                "name": name,
                "version": version,
                "bom-ref": image_digest,
                "hashes": [{"alg": "SHA-256", "content": image_digest.split(":")[1]}],
            },
        },
        "components": components,
    }
    return canonical(document)
