"""Each `aloft k8s check` rule on a case it must NOT flag, as the doctor rules have.

Every case is a near miss: a hardened manifest that passes every rule, changed where the rule
looks, yet staying on the right side (a grace period that covers the preStop sleep, probes on a
named port, a 25% maxUnavailable that rounds down to 0 pods, ...). Its twin crosses the line
with the smallest change and must be flagged: that proves the near miss reaches the rule, so a
rule that over-fires fails here rather than passing on a case it never looked at.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from aloft.checks.kube.engine import CheckOptions, KubeChecker
from aloft.checks.kube.rules import rule_modules
from aloft.kube.versions import KubeVersion
from aloft.kube.yamlio import load_documents

Docs = list[dict[str, Any]]

# A Deployment that passes every rule (and the 1.31 schema), with the budget it needs.
GOOD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}
  template:
    metadata:
      labels: {app: web, tier: front}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 30
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: kubernetes.io/hostname
        whenUnsatisfiable: ScheduleAnyway
        labelSelector:
          matchLabels: {app: web}
      containers:
      - name: web
        image: registry.example/shop:1.4.2
        ports:
        - {name: http, containerPort: 8000}
        env:
        - {name: ALOFT_WORKERS, value: "2"}
        resources:
          requests: {cpu: 250m, memory: 256Mi}
          limits: {memory: 256Mi}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
        livenessProbe:
          httpGet: {path: /healthz, port: 8000}
        readinessProbe:
          httpGet: {path: /readyz, port: 8000}
        lifecycle:
          preStop:
            exec:
              command: [sh, -c, sleep 5]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec:
  minAvailable: 1
  selector:
    matchLabels: {app: web}
"""


def good() -> Docs:
    return [dict(d) for d in yaml.safe_load_all(GOOD)]


def pod(docs: Docs) -> dict[str, Any]:
    spec: dict[str, Any] = docs[0]["spec"]["template"]["spec"]
    return spec


def web(docs: Docs) -> dict[str, Any]:
    container: dict[str, Any] = pod(docs)["containers"][0]
    return container


def findings(docs: Docs) -> list[tuple[str, str]]:
    text = yaml.safe_dump_all(docs, sort_keys=False)
    loaded = load_documents(Path("m.yaml"), text, "m.yaml")
    report = KubeChecker(CheckOptions(KubeVersion.parse("1.31"))).run(loaded, ".", {})
    return [(f.rule, f.message) for f in report.findings]


def fired(docs: Docs, rule: str) -> list[str]:
    return [message for rule_id, message in findings(docs) if rule_id == rule]


@dataclasses.dataclass(frozen=True)
class Case:
    rule: str
    name: str
    near_miss: Callable[[Docs], None]  # stays on the right side: must not be flagged
    crossed: Callable[[Docs], None]  # the smallest change over the line: must be flagged


def _env(*entries: dict[str, Any]) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        web(docs)["env"] = [*web(docs)["env"], *entries]

    return change


def _security(**fields: Any) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        web(docs)["securityContext"].update(fields)

    return change


def _pod(**fields: Any) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        pod(docs).update(fields)

    return change


def _image(image: str) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        web(docs)["image"] = image

    return change


def _init_container(security: dict[str, Any]) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        pod(docs)["initContainers"] = [
            {**copy.deepcopy(web(docs)), "name": "migrate", "securityContext": security}
        ]
        for probe in ("livenessProbe", "readinessProbe", "lifecycle"):
            del pod(docs)["initContainers"][0][probe]  # init containers take none of these

    return change


def _probes(live: dict[str, Any], ready: dict[str, Any]) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        web(docs)["livenessProbe"], web(docs)["readinessProbe"] = live, ready

    return change


def _without_readiness_probe(docs: Docs) -> None:
    del web(docs)["readinessProbe"]


def _init_without_probes(docs: Docs) -> None:
    _init_container(dict(web(docs)["securityContext"]))(docs)


def _container_seccomp(profile: dict[str, str]) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        del pod(docs)["securityContext"]["seccompProfile"]
        web(docs)["securityContext"]["seccompProfile"] = profile

    return change


def _host_port(port: int) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        web(docs)["ports"][0]["hostPort"] = port

    return change


def _commit_and_digest(docs: Docs) -> None:
    _image("registry.local/shop:3f2a9c1")(docs)
    _init_without_probes(docs)
    pod(docs)["initContainers"][0]["image"] = "busybox@sha256:" + "b" * 64


def _selector(selector: dict[str, Any]) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        docs[0]["spec"]["selector"] = selector

    return change


def _requests(**requests: str) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        web(docs)["resources"]["requests"] = requests

    return change


def _pdb_namespace(namespace: str) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        docs[1]["metadata"]["namespace"] = namespace

    return change


def _hpa(minimum: int, *, replicas: int | None) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        if replicas is None:
            docs[0]["spec"].pop("replicas")
        else:
            docs[0]["spec"]["replicas"] = replicas
        docs.append(
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": "web", "namespace": "shop"},
                "spec": {
                    "scaleTargetRef": {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": "web",
                    },
                    "minReplicas": minimum,
                    "maxReplicas": 6,
                },
            }
        )

    return change


def _anti_affinity(docs: Docs) -> None:
    del pod(docs)["topologySpreadConstraints"]
    term = {
        "labelSelector": {"matchLabels": {"app": "web"}},
        "topologyKey": "kubernetes.io/hostname",
    }
    pod(docs)["affinity"] = {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "podAffinityTerm": term}
            ]
        }
    }


def _no_spread(docs: Docs) -> None:
    del pod(docs)["topologySpreadConstraints"]


def _prestop_sleep(seconds: int, grace: int | None) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        web(docs)["lifecycle"]["preStop"]["exec"]["command"] = ["sh", "-c", f"sleep {seconds}"]
        if grace is None:
            del pod(docs)["terminationGracePeriodSeconds"]  # the default, 30 s
        else:
            pod(docs)["terminationGracePeriodSeconds"] = grace

    return change


def _rolling(replicas: int, max_unavailable: str) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        docs[0]["spec"]["replicas"] = replicas
        docs[0]["spec"]["strategy"]["rollingUpdate"] = {"maxUnavailable": max_unavailable}

    return change


def _workers(count: str) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        web(docs)["env"] = [{"name": "ALOFT_WORKERS", "value": count}]

    return change


def _writable_tmp(read_only: bool) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        pod(docs)["volumes"] = [{"name": "tmp", "emptyDir": {"medium": "Memory"}}]
        web(docs)["volumeMounts"] = [{"name": "tmp", "mountPath": "/tmp"}]
        web(docs)["securityContext"]["readOnlyRootFilesystem"] = read_only

    return change


def _token_for_bound_account(bound: bool) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        pod(docs)["automountServiceAccountToken"] = True
        pod(docs)["serviceAccountName"] = "leader-election"
        if bound:
            docs.append(
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "RoleBinding",
                    "metadata": {"name": "leader-election", "namespace": "shop"},
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "Role",
                        "name": "leases",
                    },
                    "subjects": [{"kind": "ServiceAccount", "name": "leader-election"}],
                }
            )

    return change


CASES = [
    Case(
        "KUB004",
        "a selector by expression that the template's labels satisfy",
        _selector(
            {
                "matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["front", "back"]},
                    {"key": "app", "operator": "Exists"},
                ]
            }
        ),
        _selector(
            {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}
        ),
    ),
    Case(
        "CFG101",
        "a setting about a credential (its URL) and a token from a Secret",
        _env(
            {"name": "TOKEN_URL", "value": "https://auth.example.com/oauth/token"},
            {
                "name": "API_TOKEN",
                "valueFrom": {"secretKeyRef": {"name": "shop", "key": "api-token"}},
            },
        ),
        _env({"name": "API_TOKEN", "value": "s3cr3t-4f9a1c"}),
    ),
    Case(
        "PSS001",
        "privileged spelt out as false",
        _security(privileged=False),
        _security(privileged=True),
    ),
    Case(
        "PSS002",
        "host namespaces spelt out as false",
        _pod(hostNetwork=False, hostPID=False, hostIPC=False),
        _pod(hostNetwork=False, hostPID=True, hostIPC=False),
    ),
    Case(
        "PSS003",
        "an init container that also forbids escalation",
        _init_container(
            {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            }
        ),
        _init_container({"readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}),
    ),
    Case(
        "PSS004",
        "runAsNonRoot from the pod only, with a non-zero runAsUser",
        _security(runAsUser=10001),
        _security(runAsUser=0),
    ),
    Case(
        "PSS005",
        "ALL dropped and only NET_BIND_SERVICE added back",
        _security(capabilities={"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}),
        _security(capabilities={"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "NET_RAW"]}),
    ),
    Case(
        "PSS006",
        "no pod seccompProfile but a container Localhost profile",
        _container_seccomp({"type": "Localhost", "localhostProfile": "web.json"}),
        _container_seccomp({"type": "Unconfined"}),
    ),
    Case(
        "PSS007",
        "volumes from emptyDir and a ConfigMap, none from the node",
        _pod(
            volumes=[{"name": "tmp", "emptyDir": {}}, {"name": "conf", "configMap": {"name": "c"}}]
        ),
        _pod(volumes=[{"name": "tmp", "emptyDir": {}}, {"name": "d", "hostPath": {"path": "/d"}}]),
    ),
    Case(
        "PSS008",
        "hostPort 0, which exposes no node port",
        _host_port(0),
        _host_port(8000),
    ),
    Case(
        "REL001",
        "an init container without probes (init containers take none)",
        _init_without_probes,
        _without_readiness_probe,
    ),
    Case(
        "REL002",
        "same port and timings, different paths (named port)",
        _probes(
            {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
            {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 10},
        ),
        _probes(
            {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
            {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 3},
        ),
    ),
    Case(
        "REL003",
        "requests for both and a memory limit, no CPU limit (none is asked for)",
        _requests(cpu="100m", memory="128Mi"),
        _requests(memory="128Mi"),
    ),
    Case(
        "REL004",
        "a registry with a port and a versioned tag",
        _image("registry.local:5000/team/shop:2024.06.1"),
        _image("registry.local:5000/team/shop"),
    ),
    Case(
        "REL004",
        "a tag that is a commit id, and a digest",
        _commit_and_digest,
        _image("registry.local/shop:main"),
    ),
    Case(
        "REL005",
        "a budget that selects a subset of the pod's labels",
        _pdb_namespace("shop"),
        _pdb_namespace("other"),
    ),
    Case(
        "REL006",
        "an autoscaled Deployment that leaves replicas unset",
        _hpa(2, replicas=None),
        _hpa(2, replicas=2),
    ),
    Case(
        "REL007",
        "pod anti-affinity instead of spread constraints",
        _anti_affinity,
        _no_spread,
    ),
    Case(
        "REL008",
        "a 40 s preStop sleep inside a 60 s grace period",
        _prestop_sleep(40, 60),
        _prestop_sleep(40, None),
    ),
    Case(
        "REL009",
        "maxUnavailable 25% of 3 replicas rounds down to 0 pods",
        _rolling(3, "25%"),
        _rolling(4, "25%"),
    ),
    Case(
        "REL010",
        "an autoscaler whose minimum is 2",
        _hpa(2, replicas=None),
        _hpa(1, replicas=None),
    ),
    Case(
        "REL011",
        "3 workers in 256Mi, the most that fit",
        _workers("3"),
        _workers("4"),
    ),
    Case(
        "SEC001",
        "a read-only root with a writable emptyDir on /tmp",
        _writable_tmp(True),
        _writable_tmp(False),
    ),
    Case(
        "SEC002",
        "a token asked for by an account a RoleBinding grants a role",
        _token_for_bound_account(True),
        _token_for_bound_account(False),
    ),
]

IDS = [f"{c.rule}-{c.name}" for c in CASES]


def test_the_hardened_manifest_is_clean() -> None:
    assert findings(good()) == []


def test_every_rule_has_a_case_it_must_not_flag() -> None:
    assert {c.rule for c in CASES} == set(rule_modules())


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rule_does_not_flag_the_near_miss(case: Case) -> None:
    docs = good()
    case.near_miss(docs)
    assert fired(docs, case.rule) == []


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rule_flags_its_twin_over_the_line(case: Case) -> None:
    docs = good()
    case.crossed(docs)
    assert fired(docs, case.rule), f"{case.rule} should flag: {findings(docs)}"
