"""`aloft base`: build aloft's minimal Debian Python base image, and push or write it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from aloft import pythons
from aloft.cli._common import echo_json, image_outputs, output_option, progress_for
from aloft.cli.build_cmd import parse_platforms
from aloft.exceptions import ConfigError
from aloft.image.base import LABEL, build_base, default_suite, environment_mtime
from aloft.image.cache import Cache
from aloft.image.layout import write_layout, write_tarball
from aloft.image.oci import Image, ImageIndex, make_index
from aloft.image.reference import ImageRef


@click.command()
@click.option(
    "--platform",
    "platforms",
    metavar="LIST",
    default="linux/amd64",
    show_default=True,
    help="OS/ARCH[,OS/ARCH...].",
)
@click.option(
    "--python",
    "python",
    metavar="X.Y",
    default="",
    help="The Python to ship; picks the Debian suite that has it (3.11 bookworm, 3.13 trixie, "
    "3.14 forky).",
)
@click.option("--suite", default="", metavar="NAME", help="The Debian suite to build from.")
@click.option(
    "--shell", is_flag=True, help="Add a busybox shell for debugging (not for production)."
)
@image_outputs
@output_option
def base_command(
    platforms: str,
    python: str,
    suite: str,
    shell: bool,
    push_ref: str | None,
    layout: Path | None,
    tarball: Path | None,
    tag: str,
    insecure: tuple[str, ...],
    output: str,
) -> None:
    """Build a minimal, reproducible Python base from Debian packages (verified by apt, unpacked,
    never executed): the interpreter, its shared libraries, CA certificates, time zones and a
    non-root user. `aloft build` uses it by default, from the suite whose Python satisfies the
    project's requires-python.
    """
    show = progress_for(output)
    chosen = default_suite()
    if python:
        choice = pythons.base_suite(
            pythons.ProjectPython(Path("pyproject.toml"), ""), python, field="--python"
        )
        assert choice.suite is not None
        chosen = choice.suite
    if suite:
        named = pythons.debian_suite(suite)
        if python and named != chosen:
            raise ConfigError(
                f"--suite {suite} ships Python {named.python}, not --python {python}; "
                "pass one of them"
            )
        chosen = named
    if chosen.status == "testing":
        show(f"note: {chosen.codename} is Debian testing: it changes daily, no security support")
    cache = Cache()
    bases = []
    for platform in parse_platforms(platforms, []):
        show(f"{platform}: fetching and unpacking Debian packages ({chosen.codename})")
        bases.append(
            build_base(platform, cache, shell=shell, mtime=environment_mtime(), suite=chosen)
        )
    target: Image | ImageIndex = (
        bases[0].image if len(bases) == 1 else make_index([b.image for b in bases])
    )
    name = "aloft-base-shell" if shell else "aloft-base"
    if layout:
        write_layout(target, cache, layout, tag)
    if tarball:
        if not isinstance(target, Image):
            raise ConfigError("--tar holds one platform; pass a single --platform")
        write_tarball(target, cache, tarball, f"{name}:{tag}")
    reference = f"{name}@{target.digest}"
    if push_ref:
        from aloft.image.publish import push
        from aloft.image.registry import Registry

        ref = ImageRef.parse(push_ref, what="--push")
        with Registry(ref.registry, insecure=ref.registry in insecure) as registry:
            digest = push(registry, ref, target, cache, progress=show)
        reference = ref.with_digest(digest).by_digest()
    show.done()
    if output == "json":
        echo_json(
            {
                "digest": target.digest,
                "reference": reference,
                "platforms": [
                    {
                        "platform": str(b.image.platform),
                        "digest": b.image.digest,
                        "size": b.image.size,
                        "python": b.python_version,
                        "suite": b.suite,
                        "glibc": b.glibc,
                        "packages": json.loads(
                            b.image.config_json()["config"]["Labels"][LABEL + "packages"]
                        ),
                    }
                    for b in bases
                ],
            }
        )
    else:
        for b in bases:
            show(
                f"{b.image.platform}: Python {b.python_version} ({b.suite}), glibc {b.glibc}, "
                f"{len(b.packages)} packages, {b.image.size / 1e6:.1f} MB compressed"
            )
        click.echo(reference)


base_command.name = "base"
