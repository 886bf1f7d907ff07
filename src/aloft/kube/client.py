"""The connection to a cluster, from the user's kubeconfig and context as kubectl reads them.

The PyPI `kubernetes` client is imported here only, so `render` and `check` never pay for it.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from aloft.exceptions import ConfigError, OperationFailed
from aloft.kube.manifest import Manifest
from aloft.kube.versions import KubeVersion

FIELD_MANAGER = "aloft"


@dataclasses.dataclass
class Cluster:
    api: Any  # kubernetes.client.ApiClient
    dynamic: Any  # kubernetes.dynamic.DynamicClient
    version: KubeVersion
    context: str

    def resource(self, api_version: str, kind: str) -> Any | None:
        """The API resource for a kind, or None when the cluster does not serve it (no CRD)."""
        from kubernetes.dynamic.exceptions import ResourceNotFoundError

        try:
            return self.dynamic.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError:
            return None

    def resource_for(self, obj: Manifest) -> Any | None:
        return self.resource(obj["apiVersion"], obj["kind"])

    @property
    def api_apps(self) -> Any:
        from kubernetes import client

        return client.AppsV1Api(self.api)

    @property
    def api_core(self) -> Any:
        from kubernetes import client

        return client.CoreV1Api(self.api)

    @property
    def api_batch(self) -> Any:
        from kubernetes import client

        return client.BatchV1Api(self.api)

    def close(self) -> None:
        self.api.close()


def connect(kubeconfig: Path | None, context: str | None) -> Cluster:
    import warnings

    import urllib3
    from kubernetes import client, config, dynamic
    from kubernetes.config.config_exception import ConfigException

    # A kubeconfig with insecure-skip-tls-verify is the user's explicit choice, as in kubectl.
    warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)

    path = str(kubeconfig) if kubeconfig else os.environ.get("KUBECONFIG") or None
    shown = path or "~/.kube/config"
    try:
        contexts, active = config.list_kube_config_contexts(config_file=path)  # type: ignore[no-untyped-call]
        chosen = context or (active or {}).get("name", "")
        if context and context not in {c["name"] for c in contexts}:
            raise ConfigError(
                f"--context {context}: not in {shown}; known: "
                + ", ".join(sorted(c["name"] for c in contexts))
            )
        api = config.new_client_from_config(config_file=path, context=context)  # type: ignore[no-untyped-call]
    except ConfigException as exc:
        raise ConfigError(
            f"kubeconfig {shown}: {exc}; pass --kubeconfig or set KUBECONFIG"
        ) from None
    except OSError as exc:
        raise ConfigError(f"kubeconfig {shown}: {exc.strerror}; pass --kubeconfig") from None
    try:
        info = client.VersionApi(api).get_code()
        dyn = dynamic.DynamicClient(api)  # type: ignore[no-untyped-call]
    except Exception as exc:  # urllib3 and API errors both mean: cannot reach the cluster
        api.close()
        raise OperationFailed(
            f"cannot reach the cluster of context {chosen or '(current)'}: {_reason(exc)}"
        ) from None
    minor = "".join(ch for ch in str(info.minor) if ch.isdigit())
    return Cluster(api, dyn, KubeVersion(int(info.major), int(minor)), chosen)


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "reason", "") or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def api_message(exc: BaseException) -> str:
    """The API server's own message from an ApiException, in one line."""
    import json

    body = getattr(exc, "body", None)
    if body:
        try:
            return str(json.loads(body).get("message", body)).replace("\n", " ")
        except (ValueError, AttributeError):
            return str(body).replace("\n", " ")[:300]
    return _reason(exc)
