"""A function's execution role, exactly as the templates declare it (permissions.py)."""

from __future__ import annotations

import functools
import json

from aloft.serverless.deploy.run import DeployRun
from aloft.serverless.model import Function, role_name
from aloft.serverless.permissions import POLICY_NAME, Permissions
from aloft.serverless.tagging import pairs


def role(run: DeployRun, fn: Function) -> str:
    """The function's execution role's ARN (see `named_role`)."""
    return named_role(run, role_name(fn.name), fn.permissions)


def named_role(run: DeployRun, name: str, permissions: Permissions) -> str:
    """The role's ARN, once its trust, AWS managed policies and one inline policy are in place,
    every ARN in them filled in for this account."""
    iam = run.client("iam")
    resource = f"role {name}"
    partition, region, account = run.pseudo()
    managed = permissions.managed_arns(partition)
    try:
        found = iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        found = None
    if found is None:

        def create() -> str:
            arn = str(
                iam.create_role(
                    RoleName=name,
                    AssumeRolePolicyDocument=json.dumps(permissions.trust()),
                    Tags=pairs(run.tags),
                )["Role"]["Arn"]
            )
            for policy in managed:
                iam.attach_role_policy(RoleName=name, PolicyArn=policy)
            return arn

        arn = run.apply("create", resource, f"role {name} created", create)
        if arn is None:  # a plan: the role does not exist, so neither does its policy
            run.apply("create", resource, f"role {name} policy set", lambda: None)
            return run.arn("iam", f"role/{name}", regional=False)
    else:
        arn = str(found["Arn"])
        run.sync_tags("role", name, name, {t["Key"]: t["Value"] for t in found.get("Tags", [])})
        attached = {
            p["PolicyArn"]
            for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
            for p in page["AttachedPolicies"]
        }
        for policy_arn in managed:
            if policy_arn not in attached:
                run.apply(
                    "update",
                    resource,
                    f"role {name} policy {policy_arn.rsplit('/', 1)[-1]} attached",
                    functools.partial(iam.attach_role_policy, RoleName=name, PolicyArn=policy_arn),
                )
    policy = json.dumps(permissions.resolved(partition, region, account), sort_keys=True)
    try:
        current = iam.get_role_policy(RoleName=name, PolicyName=POLICY_NAME)["PolicyDocument"]
        if not isinstance(current, str):
            current = json.dumps(current, sort_keys=True)
        same = json.loads(current) == json.loads(policy)
    except iam.exceptions.NoSuchEntityException:
        same = False
    if not same:
        run.apply(
            "update",
            resource,
            f"role {name} policy set",
            lambda: iam.put_role_policy(
                RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=policy
            ),
        )
    return arn
