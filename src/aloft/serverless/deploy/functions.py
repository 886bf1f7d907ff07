"""A function itself: its code, its configuration, its concurrency and invoke config.

`function` says whether anything changed, so release publishes a new version only then.

Provisioned concurrency lives on the `live` alias, so it is set after release has moved the alias
(`provisioned`): on a first deploy the alias exists only then, and during a gradual shift Lambda
splits the alias's provisioned concurrency between the two versions by weight by itself. A
function deploy gives provisioned concurrency carries the PROVISIONED tag (ownership is a tag, as
in prune.py), and deploy reads or removes it only on functions configured with it or carrying
that tag: a config that drops the setting releases what an earlier deploy put, and provisioned
concurrency someone set by hand on a function aloft never gave one is left alone.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from aloft.exceptions import OperationFailed
from aloft.serverless.deploy.run import DeployRun
from aloft.serverless.model import ALIAS, Function, alias_label

PROVISIONED = "aloft:provisioned-concurrency"  # on a function deploy gave provisioned concurrency


def function_tags(run: DeployRun, fn: Function) -> dict[str, str]:
    """The deploy's tags, and the record that this function has provisioned concurrency."""
    if not fn.provisioned_concurrency:
        return dict(run.tags)
    return {**run.tags, PROVISIONED: str(fn.provisioned_concurrency)}


def function(run: DeployRun, fn: Function, role: str, layer: str | None) -> bool:
    """Create or update the function; True when its code or configuration changed."""
    lam = run.client("lambda")
    resource = f"function {fn.name}"
    stack = run.stack
    package_type = "Image" if stack.image else "Zip"
    code, settings = _code(run, fn, layer)
    config: dict[str, Any] = {
        "Role": role,
        "MemorySize": fn.memory,
        "Timeout": fn.timeout,
        "Environment": {"Variables": dict(sorted(fn.environment.items()))},
        **settings,
    }
    try:
        current = lam.get_function(FunctionName=fn.name)
    except lam.exceptions.ResourceNotFoundException:
        current = None
    if current is None:
        run.apply(
            "create",
            resource,
            f"function {fn.name} created",
            lambda: lam.create_function(
                FunctionName=fn.name,
                PackageType=package_type,
                Code=code,
                Architectures=[stack.architecture],
                Tags=function_tags(run, fn),
                **config,
            ),
        )
        if run.plan:
            run.absent.add(fn.name)
        return True
    dirty = False
    conf = current["Configuration"]
    if conf.get("PackageType", "Zip") != package_type:
        raise OperationFailed(
            f"function {fn.name}: it is a {conf.get('PackageType', 'Zip')} function on"
            f" AWS and [tool.aloft.lambda] package says {stack.package}; Lambda"
            " cannot change a function's package type: delete the function (or rename"
            " it) and deploy again"
        )
    tags = current.get("Tags") or {}
    if PROVISIONED in tags:
        run.provisioned_before.add(fn.name)
    run.sync_tags("function", fn.name, conf["FunctionArn"], tags, function_tags(run, fn))
    if not _same_code(run, current, code) or conf.get("Architectures", ["x86_64"]) != [
        stack.architecture
    ]:
        run.apply(
            "update",
            resource,
            f"function {fn.name} code updated",
            lambda: lam.update_function_code(
                FunctionName=fn.name, Architectures=[stack.architecture], **code
            ),
        )
        dirty = True
    if _deployed_config(run, conf) != config:
        run.apply(
            "update",
            resource,
            f"function {fn.name} configuration updated",
            lambda: lam.update_function_configuration(FunctionName=fn.name, **config),
        )
        dirty = True
    return dirty


def _code(run: DeployRun, fn: Function, layer: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The function's code (as create_function takes it) and the settings that go with it.

    An image function runs the one image with its handler as the command; it has no
    handler, runtime or layers of its own (the image brings Python and the dependencies).
    """
    if run.stack.image:
        return {"ImageUri": run.stack.image_reference()}, {"ImageConfig": {"Command": [fn.handler]}}
    return {"ZipFile": run.function_zip}, {
        "Handler": fn.handler,
        "Runtime": run.stack.runtime,
        "Layers": [layer] if layer else [],
        # Snapshots of the versions release publishes (the alias serves only those).
        "SnapStart": {"ApplyOn": "PublishedVersions" if fn.snap_start else "None"},
    }


def _deployed_config(run: DeployRun, conf: dict[str, Any]) -> dict[str, Any]:
    """The deployed configuration in the shape `function` builds the wanted one, to compare."""
    existing: dict[str, Any] = {
        "Role": conf.get("Role"),
        "MemorySize": conf.get("MemorySize"),
        "Timeout": conf.get("Timeout"),
        "Environment": {
            "Variables": dict(sorted((conf.get("Environment") or {}).get("Variables", {}).items()))
        },
    }
    if run.stack.image:
        image_config = (conf.get("ImageConfigResponse") or {}).get("ImageConfig") or {}
        existing["ImageConfig"] = {"Command": image_config.get("Command") or []}
    else:
        existing |= {
            "Handler": conf.get("Handler"),
            "Runtime": conf.get("Runtime"),
            "Layers": [entry["Arn"] for entry in conf.get("Layers", [])],
            "SnapStart": {"ApplyOn": (conf.get("SnapStart") or {}).get("ApplyOn", "None")},
        }
    return existing


def _same_code(run: DeployRun, current: dict[str, Any], code: dict[str, Any]) -> bool:
    """Whether the deployed code is what `code` would upload: the same zip or image."""
    if "ImageUri" in code:
        # The reference as given (by digest, it names exactly one image).
        return bool(current.get("Code", {}).get("ImageUri") == code["ImageUri"])
    sha = base64.b64encode(hashlib.sha256(run.function_zip).digest()).decode()
    return bool(current["Configuration"].get("CodeSha256") == sha)


def concurrency(run: DeployRun, fn: Function) -> None:
    """Reserved concurrency as configured; none configured removes a reservation."""
    lam = run.client("lambda")
    current = (
        None
        if fn.name in run.absent
        else lam.get_function_concurrency(FunctionName=fn.name).get("ReservedConcurrentExecutions")
    )
    if current == fn.reserved_concurrency:
        return
    reserved = fn.reserved_concurrency
    run.apply(
        "update",
        f"function {fn.name}",
        f"function {fn.name} reserved concurrency set",
        lambda: (
            lam.delete_function_concurrency(FunctionName=fn.name)
            if reserved is None
            else lam.put_function_concurrency(
                FunctionName=fn.name, ReservedConcurrentExecutions=reserved
            )
        ),
    )


def invoke_config(run: DeployRun, fn: Function) -> None:
    """Asynchronous invocations: the retries, and the queue failures go to."""
    lam = run.client("lambda")
    destination = run.queue_arns[fn.on_failure.name]
    wanted = {
        "MaximumRetryAttempts": fn.maximum_retry_attempts,
        "DestinationConfig": {"OnFailure": {"Destination": destination}},
    }
    same = False
    if fn.name not in run.absent:
        try:
            current = lam.get_function_event_invoke_config(FunctionName=fn.name)
            same = current.get("MaximumRetryAttempts") == fn.maximum_retry_attempts and (
                current.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                == destination
            )
        except lam.exceptions.ResourceNotFoundException:
            pass
    if not same:
        run.apply(
            "update",
            f"function {fn.name}",
            f"function {fn.name} retries and on-failure destination set",
            lambda: lam.put_function_event_invoke_config(FunctionName=fn.name, **wanted),
        )


def provisioned(run: DeployRun, fn: Function) -> None:
    """The alias's provisioned concurrency: the setting inside active hours (or with none set),
    none outside them, so a deploy at night switches nothing on before the window opens."""
    if not fn.provisioned_concurrency and fn.name not in run.provisioned_before:
        return
    lam = run.client("lambda")
    wanted = fn.provisioned_concurrency if run.active else 0
    current = 0
    if fn.name not in run.absent:
        try:
            current = int(
                lam.get_provisioned_concurrency_config(FunctionName=fn.name, Qualifier=ALIAS)[
                    "RequestedProvisionedConcurrentExecutions"
                ]
            )
        except lam.exceptions.ProvisionedConcurrencyConfigNotFoundException:
            current = 0
    if current == wanted:
        return
    label = alias_label(fn.name)
    if wanted:
        run.apply(
            "update",
            label,
            f"{label} provisioned concurrency {wanted}",
            lambda: lam.put_provisioned_concurrency_config(
                FunctionName=fn.name, Qualifier=ALIAS, ProvisionedConcurrentExecutions=wanted
            ),
        )
        return
    why = " (outside active hours)" if fn.provisioned_concurrency else ""
    run.apply(
        "update",
        label,
        f"{label} provisioned concurrency released{why}",
        lambda: lam.delete_provisioned_concurrency_config(FunctionName=fn.name, Qualifier=ALIAS),
    )
