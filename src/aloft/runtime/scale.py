"""`python -m aloft.runtime.scale DEPLOYMENT=REPLICAS ...`: off-hours scaling, from a CronJob.

Sets each named Deployment's `scale` subresource to the given replica count, with the pod's own
ServiceAccount token; the Role it runs under may touch nothing else. `=0` at the close of the
active hours, the HPA's minimum (or the fixed count) at their opening.

Why the scale subresource and not the HPA: an HPA whose target stands at 0 replicas stops acting
("ScalingDisabled") until something scales the target up again, and then resumes from there. So
scaling to zero never fights the HPA, needs no alpha gate (minReplicas 0), and leaves the HPA's own
settings untouched; the opening restores its minimum and it scales on from there.

Standard library only (urllib, ssl): it ships in the service's image and starts in milliseconds.
"""

from __future__ import annotations

import os
import sys

ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def parse_targets(args: list[str]) -> dict[str, int]:
    """`name=replicas` pairs; a ValueError naming the bad one."""
    targets: dict[str, int] = {}
    for arg in args:
        name, sep, count = arg.partition("=")
        if not sep or not name or not count.isdigit():
            raise ValueError(f"{arg!r}: use DEPLOYMENT=REPLICAS, e.g. shop=2 or shop=0")
        targets[name] = int(count)
    if not targets:
        raise ValueError("name at least one DEPLOYMENT=REPLICAS")
    return targets


def scale(
    api: str, token: str, namespace: str, targets: dict[str, int], ca_file: str | None = None
) -> list[str]:
    """Patch every target's scale; the failures, one line each (empty when all succeeded).

    One failing target does not stop the others: each is scaled on its own, and the Job's retry
    repeats only what is idempotent anyway."""
    import json
    import ssl
    import urllib.error
    import urllib.request

    context = ssl.create_default_context(cafile=ca_file) if api.startswith("https") else None
    failures = []
    for name, replicas in targets.items():
        url = f"{api}/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"
        body = json.dumps({"spec": {"replicas": replicas}}).encode()
        request = urllib.request.Request(
            url,
            data=body,
            method="PATCH",
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/merge-patch+json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30, context=context) as response:
                # Scale's replicas is `omitempty`: a spec without it says 0.
                got = (json.loads(response.read()).get("spec") or {}).get("replicas", 0)
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            failures.append(f"{name}: HTTP {exc.code}: {detail}")
            continue
        except OSError as exc:
            failures.append(f"{name}: {exc}")
            continue
        if got != replicas:
            failures.append(f"{name}: asked for {replicas} replicas, the API says {got}")
    return failures


def main(argv: list[str]) -> int:
    try:
        targets = parse_targets(argv)
    except ValueError as exc:
        sys.stderr.write(f"aloft: error: {exc}\n")
        return 2
    host = os.environ.get("KUBERNETES_SERVICE_HOST", "")
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    if not host:
        sys.stderr.write("aloft: error: KUBERNETES_SERVICE_HOST is not set; this runs in a pod\n")
        return 2
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    with open(f"{ACCOUNT_DIR}/token") as file:
        token = file.read().strip()
    with open(f"{ACCOUNT_DIR}/namespace") as file:
        namespace = file.read().strip()
    failures = scale(f"https://{host}:{port}", token, namespace, targets, f"{ACCOUNT_DIR}/ca.crt")
    for line in failures:
        sys.stderr.write(f"aloft: scale {line}\n")
    import json

    sys.stdout.write(json.dumps({"scaled": targets, "failed": len(failures)}) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
