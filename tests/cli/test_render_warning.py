"""`aloft k8s render` without an image says on stderr that it renders a placeholder image."""

from __future__ import annotations

import subprocess

import yaml

from aloft.kube.image_input import PLACEHOLDER
from testkit import ALOFT, EXAMPLES

IMAGE = "registry.example/shop@sha256:" + "b" * 64


def render(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ALOFT, "k8s", "render", "--project", str(EXAMPLES / "fastapi"), *args],
        capture_output=True,
        text=True,
        check=True,
    )


def images(text: str) -> set[str]:
    return {
        container["image"]
        for doc in yaml.safe_load_all(text)
        if doc and doc["kind"] == "Deployment"
        for container in doc["spec"]["template"]["spec"]["containers"]
    }


def test_render_without_an_image_warns_of_the_placeholder_on_stderr() -> None:
    done = render()
    assert images(done.stdout) == {PLACEHOLDER}
    warnings = [line for line in done.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "placeholder registry.invalid/image" in warnings[0] and "--image" in warnings[0]


def test_render_with_an_image_has_no_warning() -> None:
    done = render("--image", IMAGE)
    assert images(done.stdout) == {IMAGE}
    assert done.stderr == ""
