"""`aloft k8s render|check|diff|deploy`: manifests from the project config, checked, applied."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from aloft.cli._common import (
    echo_json,
    findings_output_option,
    format_option,
    output_option,
    progress_for,
    project_options,
    report_findings,
    resolve,
)
from aloft.exceptions import ConfigError

if TYPE_CHECKING:
    from aloft.kube.deploy import DeployRequest

F = TypeVar("F", bound=Callable[..., Any])

_VERSION_HELP = (
    "Target Kubernetes version, e.g. 1.20 [default: config, else the cluster's (deploy/diff),"
    " else the newest known]."
)


def _image_options(func: F) -> F:
    func = click.option(
        "--image-record",
        type=click.Path(path_type=Path, dir_okay=False),
        help="The record `aloft build --push --image-record FILE` wrote.",
    )(func)
    return click.option("--image", metavar="REF@sha256:DIGEST", help="Image to run, by digest.")(
        func
    )


@click.group()
def k8s() -> None:
    """Kubernetes: render secure-by-default manifests, check any manifests, deploy with rollback."""


@k8s.command("render")
@project_options
@_image_options
@click.option("--kube-version", help=_VERSION_HELP)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write files into this folder instead of to stdout.",
)
@format_option(
    ["yaml", "json"],
    "yaml",
    "yaml: multi-document; json: one v1 List of the objects.",
    moved="--out",
)
@click.option(
    "--kustomize",
    is_flag=True,
    help="With --out: a Kustomize base plus one overlay per [tool.aloft.environments.*].",
)
def render_command(
    project: Path | None,
    environment: str | None,
    image: str | None,
    image_record: Path | None,
    kube_version: str | None,
    out_dir: Path | None,
    output: str,
    kustomize: bool,
) -> None:
    """Render the project's manifests (multi-document YAML or a JSON List; files with --out).

    Objects: ServiceAccount, hashed ConfigMap, Deployment, Service, HPA, PDB, NetworkPolicy, and
    when configured a release Job, Ingress, HTTPRoute, ServiceMonitor and ExternalSecret.
    """
    from aloft.kube.environments import environment_names
    from aloft.kube.image_input import image_from
    from aloft.kube.kustomize import kustomize_tree
    from aloft.kube.render import render, target_version
    from aloft.kube.yamlio import dump, write_atomic, write_tree

    ref = image_from(_image_reference(image, image_record), required=False)
    if kustomize:
        if out_dir is None:
            raise ConfigError("--kustomize writes a folder; add --out DIR")
        if environment:
            raise ConfigError("--kustomize renders every environment as an overlay; drop --env")
        if output != "yaml":
            raise ConfigError("--kustomize writes YAML files; drop --output")
        base = resolve(project, None)
        version = target_version(base, kube_version)
        envs = {
            name: render(resolve(project, name), ref, version).objects
            for name in environment_names(base.pyproject)
        }
        files = kustomize_tree(render(base, ref, version).objects, envs)
        _warn_if_placeholder(ref)
        write_tree(out_dir, files)
        click.echo(f"wrote {len(files)} files to {out_dir}", err=True)
        return
    resolved = resolve(project, environment)
    rendered = render(resolved, ref, target_version(resolved, kube_version))
    _warn_if_placeholder(ref)
    if output == "json":
        items = {"apiVersion": "v1", "kind": "List", "items": list(rendered.objects)}
        text = json.dumps(items, indent=2) + "\n"
    else:
        text = dump(rendered.objects)
    if out_dir is None:
        click.echo(text, nl=False)
    else:
        path = out_dir / f"manifests.{output}"
        write_atomic(path, text)
        click.echo(f"wrote {len(rendered.objects)} objects to {path}", err=True)


def _warn_if_placeholder(ref: str) -> None:
    """Said once the manifests rendered: a config error stays the one line it is."""
    from aloft.kube.image_input import PLACEHOLDER

    if ref == PLACEHOLDER:
        click.echo(
            "aloft: warning: no --image or --image-record; the manifests run the placeholder"
            f" {PLACEHOLDER.split('@')[0]}, which no cluster can pull: pass the digest"
            " `aloft build --push` printed",
            err=True,
        )


@k8s.command("check")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@project_options
@click.option("--kube-version", help="Kubernetes version whose schemas to validate against.")
@findings_output_option
@click.option(
    "--fail-on",
    type=click.Choice(["info", "warning", "error"]),
    default="error",
    show_default=True,
    help="Exit 1 when a finding is at or above this severity.",
)
@click.option("--disable", multiple=True, metavar="RULE", help="Turn a rule off (repeatable).")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
def check_command(
    files: tuple[Path, ...],
    project: Path | None,
    environment: str | None,
    kube_version: str | None,
    output: str,
    fail_on: str,
    disable: tuple[str, ...],
    list_rules: bool,
) -> None:
    """Validate manifests against the Kubernetes schemas and lint them.

    FILES are YAML/JSON files or folders, written by aloft or not; without FILES, the project's
    own rendered manifests are checked. Silence a finding per object with the annotation
    `aloft/ignore: "RULE: reason"` or on its line with `# aloft: ignore[RULE] reason`.
    Exit codes: 0 clean, 1 findings at or above --fail-on, 2 bad input.
    """
    from aloft.checks.findings import Severity
    from aloft.checks.kube.engine import (
        CheckOptions,
        KubeChecker,
        collect_files,
        load_kube_catalog,
        read_manifests,
        rendered_documents,
    )
    from aloft.checks.suppress import Policy
    from aloft.kube.image_input import PLACEHOLDER
    from aloft.kube.render import render, target_version
    from aloft.kube.versions import KubeVersion

    catalog = load_kube_catalog()
    if list_rules:
        for rule in catalog.rules.values():
            click.echo(f"{rule.id}  {rule.name:<32} {rule.severity.label:<8} {rule.rationale}")
        return
    disabled = set()
    for key in disable:
        rule_id = catalog.resolve(key)
        if rule_id is None:
            raise ConfigError(f"--disable {key}: no such rule; see --list-rules")
        disabled.add(rule_id)
    policy = Policy(disabled=frozenset(disabled), fail_on=Severity.parse(fail_on))
    if files:
        version = KubeVersion.parse(kube_version) if kube_version else KubeVersion.latest()
        root = Path.cwd()
        manifests = read_manifests(collect_files(files), root)
        docs, texts, unreadable = manifests.docs, manifests.texts, manifests.unreadable
    else:
        resolved = resolve(project, environment)
        version = target_version(resolved, kube_version)
        rendered = render(resolved, PLACEHOLDER, version)
        root = resolved.root
        docs, texts, unreadable = rendered_documents(rendered.objects, "(rendered)"), {}, []
    report = KubeChecker(CheckOptions(version, policy), catalog).run(
        docs, str(root), texts, unreadable
    )
    report_findings(report, output, policy.fail_on)


def _deploy_options(func: F) -> F:
    func = click.option("--kube-version", help=_VERSION_HELP)(func)
    func = click.option("--context", "kube_context", help="kubeconfig context (default: current).")(
        func
    )
    func = click.option(
        "--kubeconfig",
        type=click.Path(path_type=Path, dir_okay=False),
        help="kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).",
    )(func)
    return _image_options(project_options(func))


@k8s.command("diff")
@_deploy_options
@output_option
def diff_command(
    project: Path | None,
    environment: str | None,
    image: str | None,
    image_record: Path | None,
    kubeconfig: Path | None,
    kube_context: str | None,
    kube_version: str | None,
    output: str,
) -> None:
    """Show what deploy would change: a server-side dry-run apply compared with the live objects.

    Exit codes: 0 no changes, 1 changes, 2 bad input.
    """
    from aloft.kube.deploy import plan

    result = plan(
        _deploy_request(
            project, environment, image, image_record, kubeconfig, kube_context, kube_version
        )
    )
    if output == "json":
        echo_json(result.as_dict())
    else:
        click.echo(result.text(), nl=False)
    if result.changed:
        sys.exit(1)


@k8s.command("deploy")
@_deploy_options
@click.option(
    "--dry-run", is_flag=True, help="Server-side dry run: validate and show the diff only."
)
@click.option(
    "--timeout", default=300.0, show_default=True, help="Seconds to wait for the rollout."
)
@click.option(
    "--no-prune", is_flag=True, help="Keep objects aloft applied before and no longer renders."
)
@output_option
def deploy_command(
    project: Path | None,
    environment: str | None,
    image: str | None,
    image_record: Path | None,
    kubeconfig: Path | None,
    kube_context: str | None,
    kube_version: str | None,
    dry_run: bool,
    timeout: float,
    no_prune: bool,
    output: str,
) -> None:
    """Apply the manifests (server-side apply, field manager "aloft"), wait for the rollout, and
    roll back automatically when it fails.

    Exit codes: 0 rolled out, 1 failed (and rolled back), 2 bad input (nothing applied).
    """
    from aloft.kube.deploy import deploy

    request = _deploy_request(
        project,
        environment,
        image,
        image_record,
        kubeconfig,
        kube_context,
        kube_version,
        timeout=timeout,
        prune=not no_prune,
    )
    progress = progress_for(output)
    result = deploy(request, dry_run=dry_run, progress=progress)
    progress.done()
    if output == "json":
        echo_json(result.as_dict())
    else:
        click.echo(result.text(), nl=False)
    if not result.ok:
        sys.exit(1)


def _image_reference(image: str | None, image_record: Path | None) -> str | None:
    """--image, or the reference of a container image's --image-record."""
    from aloft.image.record import image_reference

    return image_reference(image, image_record, target="container")


def _deploy_request(
    project: Path | None,
    environment: str | None,
    image: str | None,
    image_record: Path | None,
    kubeconfig: Path | None,
    kube_context: str | None,
    kube_version: str | None,
    *,
    timeout: float = 300.0,
    prune: bool = True,
) -> DeployRequest:
    """The config resolved once, the image and the target version, and the check gate, handed
    down to kube.deploy as plain values."""
    from aloft.checks.kube.gate import deploy_gate
    from aloft.kube.deploy import DeployRequest
    from aloft.kube.image_input import image_from
    from aloft.kube.render import configured_version

    resolved = resolve(project, environment)
    return DeployRequest(
        resolved=resolved,
        image=image_from(_image_reference(image, image_record), required=True),
        gate=deploy_gate(resolved.root),
        kubeconfig=kubeconfig,
        context=kube_context,
        kube_version=configured_version(resolved, kube_version),
        timeout=timeout,
        prune=prune,
    )


@k8s.command("rollback")
@project_options
@click.option("--context", "kube_context", help="kubeconfig context (default: current).")
@click.option(
    "--kubeconfig",
    type=click.Path(path_type=Path, dir_okay=False),
    help="kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).",
)
@click.option(
    "--to",
    "to_revision",
    type=click.IntRange(min=1),
    metavar="REVISION",
    help="Return to this revision (`kubectl rollout history` numbers) [default: the previous].",
)
@click.option(
    "--service",
    "services",
    multiple=True,
    metavar="NAME",
    help="Only this service's Deployment (repeatable) [default: every service].",
)
@click.option("--dry-run", is_flag=True, help="Say what would change, and change nothing.")
@click.option(
    "--timeout", default=300.0, show_default=True, help="Seconds to wait for the rollout."
)
@output_option
def rollback_command(
    project: Path | None,
    environment: str | None,
    kube_context: str | None,
    kubeconfig: Path | None,
    to_revision: int | None,
    services: tuple[str, ...],
    dry_run: bool,
    timeout: float,
    output: str,
) -> None:
    """Return each Deployment to the previous revision aloft deployed (or --to REVISION), the
    way `kubectl rollout undo` does, wait for the rollout, and print what changed.

    Exit codes: 0 rolled back (or nothing to change), 1 failed, 2 bad input.
    """
    from aloft.kube.client import connect
    from aloft.kube.logs import pod_sets
    from aloft.kube.rollback import rollback

    sets = pod_sets(resolve(project, environment), services)
    cluster = connect(kubeconfig, kube_context)
    show = progress_for(output)
    try:
        changes = rollback(
            cluster, sets, to_revision, timeout=timeout, dry_run=dry_run, progress=show
        )
    finally:
        cluster.close()
    show.done()
    if output == "json":
        echo_json({"dry_run": dry_run, "deployments": [c.as_dict() for c in changes]})
    else:
        for change in changes:
            click.echo(("dry run: " if dry_run else "") + change.text())
    if not all(c.ok for c in changes):
        sys.exit(1)
