"""A single-node Kubernetes 1.20 cluster for the tests, on this machine only, and its teardown.

    python tests/cluster/cluster.py up   [--state DIR]   # prints the cluster's facts as JSON
    python tests/cluster/cluster.py down [--state DIR]   # idempotent; restores the host

etcd, kube-apiserver (PodSecurityPolicy admission with a restricted policy as the only PSP),
controller-manager, scheduler and a real kubelet on containerd + runc + CNI bridge, a local
plain-HTTP registry and a pause image built here. Everything listens on 127.0.0.1; pods live on a
bridge with a subnet nothing else on the host uses and no route or NAT outward. Every change to the
host (sysctls kubelet rewrites, an /etc/hosts line, the bridge, netns, mounts, cgroups, log dirs)
is recorded in the state folder before it is made, so `down` undoes it even after a crash.
Binaries come from build.sh's cache. Stdlib only.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import ipaddress
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VERSION = "1.20.2"
CACHE = Path(os.environ.get("KUBE_TEST_CACHE", f"/var/cache/aloft/kubernetes-{VERSION}"))
BIN = CACHE / "bin"
DEFAULT_STATE = Path("/tmp/aloft-kube-cluster")
BRIDGE = "aloftk0"
SYSCTLS = ("vm/overcommit_memory", "kernel/panic", "kernel/panic_on_oops")
HOST_DIRS = ("/var/log/pods", "/var/log/containers", "/var/lib/cni", "/run/netns")
TOKEN = "aloft-test-admin-token"
NAMESPACE = "k8s.io"
PAUSE_REF = "aloft/pause:1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log(message: str) -> None:
    print(f"[cluster {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class State:
    """What `up` changed, written to state.json after every step so `down` can undo it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / "state.json"
        self.data: dict[str, Any] = {}
        if self.path.exists():
            self.data = json.loads(self.path.read_text())

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1))
        tmp.replace(self.path)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.save()


# ---- up ----------------------------------------------------------------------------------------


def pick_subnet() -> str:
    """A /24 in 10.244-10.250 that no address or route on the host overlaps."""
    used = []
    out = subprocess.run(
        ["ip", "-j", "route", "show", "table", "all"], capture_output=True, text=True, check=False
    )
    for route in json.loads(out.stdout or "[]"):
        dst = route.get("dst", "")
        if dst and dst not in ("default",) and ":" not in dst:
            with contextlib.suppress(ValueError):
                used.append(ipaddress.ip_network(dst, strict=False))
    out = subprocess.run(["ip", "-j", "addr"], capture_output=True, text=True, check=False)
    for link in json.loads(out.stdout or "[]"):
        for addr in link.get("addr_info", []):
            if addr.get("family") == "inet":
                used.append(
                    ipaddress.ip_network(f"{addr['local']}/{addr['prefixlen']}", strict=False)
                )
    for second in range(244, 251):
        for third in range(77, 200, 7):
            net = ipaddress.ip_network(f"10.{second}.{third}.0/24")
            if not any(net.overlaps(u) for u in used):
                return str(net)
    raise SystemExit("no free pod subnet in 10.244.0.0/13")


def start(state: State, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
    logs = state.root / "logs"
    logs.mkdir(exist_ok=True)
    with (logs / f"{name}.log").open("ab") as out:
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    pids = dict(state.data.get("pids", {}))
    pids[name] = proc.pid
    state["pids"] = pids


def wait_for(what: str, check: Any, timeout: float, state: State, log_name: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        pid = state.data.get("pids", {}).get(log_name)
        if pid and not _alive(pid):
            tail = (state.root / "logs" / f"{log_name}.log").read_text(errors="replace")[-3000:]
            raise SystemExit(f"{log_name} exited while waiting for {what}:\n{tail}")
        time.sleep(0.2)
    tail = (state.root / "logs" / f"{log_name}.log").read_text(errors="replace")[-3000:]
    raise SystemExit(f"timed out waiting for {what}:\n{tail}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        return stat.read_text().split(") ")[1].split()[0] != "Z"
    return False


def http_ok(url: str, token: str | None = None) -> bool:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=2, context=context) as response:
        return bool(response.status == 200)


def api(state: State, method: str, path: str, body: Any = None) -> Any:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"https://127.0.0.1:{state['ports']['apiserver']}{path}", data=data, method=method
    )
    request.add_header("Authorization", f"Bearer {TOKEN}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10, context=context) as response:
        return json.loads(response.read() or b"null")


def save_host(state: State) -> None:
    state["sysctls"] = {k: Path(f"/proc/sys/{k}").read_text().strip() for k in SYSCTLS}
    state["host_dirs_before"] = {
        d: sorted(os.listdir(d)) if os.path.isdir(d) else None for d in HOST_DIRS
    }


def pki(state: State) -> None:
    pki_dir = state.root / "pki"
    pki_dir.mkdir(exist_ok=True)
    subprocess.run(
        ["openssl", "genrsa", "-out", str(pki_dir / "sa.key"), "2048"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            "openssl",
            "rsa",
            "-in",
            str(pki_dir / "sa.key"),
            "-pubout",
            "-out",
            str(pki_dir / "sa.pub"),
        ],
        check=True,
        capture_output=True,
    )
    (pki_dir / "tokens.csv").write_text(f'{TOKEN},admin,admin,"system:masters"\n')


def kubeconfig(state: State) -> Path:
    path = state.root / "kubeconfig"
    port = state["ports"]["apiserver"]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "aloft-test",
                "cluster": {
                    "server": f"https://127.0.0.1:{port}",
                    "insecure-skip-tls-verify": True,
                },
            }
        ],
        "users": [{"name": "admin", "user": {"token": TOKEN}}],
        "contexts": [{"name": "aloft-test", "context": {"cluster": "aloft-test", "user": "admin"}}],
        "current-context": "aloft-test",
    }
    path.write_text(json.dumps(config, indent=1))
    return path


def start_registry(state: State) -> None:
    port = state["ports"]["registry"]
    config = state.root / "registry.yml"
    config.write_text(
        "version: 0.1\n"
        "log: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {state.root / 'registry'}}}, "
        "delete: {enabled: true}}\n"
        f"http: {{addr: '127.0.0.1:{port}'}}\n"
    )
    start(state, "registry", ["docker-registry", "serve", str(config)])
    wait_for("registry", lambda: http_ok(f"http://127.0.0.1:{port}/v2/"), 20, state, "registry")


def push_pause(state: State) -> None:
    """An OCI image holding only the static pause program, pushed with the registry API."""
    base = f"http://127.0.0.1:{state['ports']['registry']}/v2/aloft/pause"
    layer_tar = io.BytesIO()
    with tarfile.open(fileobj=layer_tar, mode="w") as tar:
        info = tar.gettarinfo(str(BIN / "pause"), arcname="pause")
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0
        info.mode = 0o755
        with (BIN / "pause").open("rb") as fh:
            tar.addfile(info, fh)
    layer = layer_tar.getvalue()
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Entrypoint": ["/pause"], "User": "65535:65535"},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }
    ).encode()
    for blob in (layer, config):
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        request = urllib.request.Request(f"{base}/blobs/uploads/", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10) as response:
            location = response.headers["Location"]
        if location.startswith("/"):
            location = f"http://127.0.0.1:{state['ports']['registry']}{location}"
        sep = "&" if "?" in location else "?"
        put = urllib.request.Request(f"{location}{sep}digest={digest}", method="PUT", data=blob)
        put.add_header("Content-Type", "application/octet-stream")
        urllib.request.urlopen(put, timeout=10).close()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": "sha256:" + hashlib.sha256(layer).hexdigest(),
                    "size": len(layer),
                }
            ],
        }
    ).encode()
    put = urllib.request.Request(f"{base}/manifests/1", method="PUT", data=manifest)
    put.add_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
    urllib.request.urlopen(put, timeout=10).close()


def start_control_plane(state: State) -> None:
    root, ports = state.root, state["ports"]
    start(
        state,
        "etcd",
        [
            "etcd",
            "--name=aloft-test",
            f"--data-dir={root / 'etcd'}",
            f"--listen-client-urls=http://127.0.0.1:{ports['etcd']}",
            f"--advertise-client-urls=http://127.0.0.1:{ports['etcd']}",
            f"--listen-peer-urls=http://127.0.0.1:{ports['etcd_peer']}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{ports['etcd_peer']}",
            f"--initial-cluster=aloft-test=http://127.0.0.1:{ports['etcd_peer']}",
            "--unsafe-no-fsync",
        ],
    )
    wait_for("etcd", lambda: http_ok(f"http://127.0.0.1:{ports['etcd']}/health"), 20, state, "etcd")
    start(
        state,
        "kube-apiserver",
        [
            str(BIN / "kube-apiserver"),
            f"--etcd-servers=http://127.0.0.1:{ports['etcd']}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={ports['apiserver']}",
            "--insecure-port=0",
            f"--cert-dir={root / 'pki'}",
            f"--token-auth-file={root / 'pki' / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            "--service-cluster-ip-range=10.253.0.0/24",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-account-key-file={root / 'pki' / 'sa.pub'}",
            f"--service-account-signing-key-file={root / 'pki' / 'sa.key'}",
            "--endpoint-reconciler-type=none",
            "--enable-admission-plugins=NodeRestriction,PodSecurityPolicy",
            "--allow-privileged=false",
            "--kubelet-preferred-address-types=Hostname",
        ],
    )
    url = f"https://127.0.0.1:{ports['apiserver']}/readyz"
    wait_for("kube-apiserver", lambda: http_ok(url, TOKEN), 60, state, "kube-apiserver")
    restricted_psp(state)
    config = kubeconfig(state)
    start(
        state,
        "kube-controller-manager",
        [
            str(BIN / "kube-controller-manager"),
            f"--kubeconfig={config}",
            "--controllers=*,-nodeipam,-bootstrapsigner,-tokencleaner",
            f"--service-account-private-key-file={root / 'pki' / 'sa.key'}",
            f"--root-ca-file={root / 'pki' / 'apiserver.crt'}",
            "--use-service-account-credentials=false",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            "--port=0",
            f"--secure-port={ports['controller_manager']}",
            "--node-monitor-grace-period=20s",
        ],
    )
    start(
        state,
        "kube-scheduler",
        [
            str(BIN / "kube-scheduler"),
            f"--kubeconfig={config}",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            "--port=0",
            f"--secure-port={ports['scheduler']}",
        ],
    )


def restricted_psp(state: State) -> None:
    """The upstream "restricted" PodSecurityPolicy as the only one, usable by every account."""
    api(
        state,
        "POST",
        "/apis/policy/v1beta1/podsecuritypolicies",
        {
            "apiVersion": "policy/v1beta1",
            "kind": "PodSecurityPolicy",
            "metadata": {
                "name": "restricted",
                "annotations": {
                    "seccomp.security.alpha.kubernetes.io/allowedProfileNames": (
                        "docker/default,runtime/default"
                    ),
                    "seccomp.security.alpha.kubernetes.io/defaultProfileName": "runtime/default",
                },
            },
            "spec": {
                "privileged": False,
                "allowPrivilegeEscalation": False,
                "requiredDropCapabilities": ["ALL"],
                "volumes": [
                    "configMap",
                    "emptyDir",
                    "projected",
                    "secret",
                    "downwardAPI",
                    "persistentVolumeClaim",
                ],
                "hostNetwork": False,
                "hostIPC": False,
                "hostPID": False,
                "runAsUser": {"rule": "MustRunAsNonRoot"},
                "seLinux": {"rule": "RunAsAny"},
                "supplementalGroups": {"rule": "MustRunAs", "ranges": [{"min": 1, "max": 65535}]},
                "fsGroup": {"rule": "MustRunAs", "ranges": [{"min": 1, "max": 65535}]},
                "readOnlyRootFilesystem": False,
            },
        },
    )
    api(
        state,
        "POST",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "psp-restricted"},
            "rules": [
                {
                    "apiGroups": ["policy"],
                    "resources": ["podsecuritypolicies"],
                    "verbs": ["use"],
                    "resourceNames": ["restricted"],
                }
            ],
        },
    )
    api(
        state,
        "POST",
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "psp-restricted"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "psp-restricted",
            },
            "subjects": [
                {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Group",
                    "name": "system:authenticated",
                },
                {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Group",
                    "name": "system:serviceaccounts",
                },
            ],
        },
    )


def start_node(state: State) -> None:
    root, ports = state.root, state["ports"]
    subnet = pick_subnet()
    state["subnet"] = subnet
    net_dir = root / "cni" / "net.d"
    net_dir.mkdir(parents=True, exist_ok=True)
    (net_dir / "10-aloft.conflist").write_text(
        json.dumps(
            {
                "cniVersion": "0.4.0",
                "name": "aloft-kube",
                "plugins": [
                    {
                        "type": "bridge",
                        "bridge": BRIDGE,
                        "isGateway": True,
                        "ipMasq": False,
                        "hairpinMode": True,
                        "ipam": {
                            "type": "host-local",
                            "ranges": [[{"subnet": subnet}]],
                            "dataDir": str(root / "cni" / "ipam"),
                        },
                    }
                ],
            },
            indent=1,
        )
    )
    # Made here rather than on the first pod, so a test can bind a server on the gateway address.
    gateway = str(next(ipaddress.ip_network(subnet).hosts()))
    prefix = ipaddress.ip_network(subnet).prefixlen
    subprocess.run(["ip", "link", "add", BRIDGE, "type", "bridge"], check=True)
    subprocess.run(["ip", "addr", "add", f"{gateway}/{prefix}", "dev", BRIDGE], check=True)
    subprocess.run(["ip", "link", "set", BRIDGE, "up"], check=True)
    state["gateway"] = gateway
    sock = root / "containerd.sock"
    registry = f"127.0.0.1:{ports['registry']}"
    cri = 'plugins."io.containerd.grpc.v1.cri"'
    (root / "containerd.toml").write_text(
        f"""version = 2
root = "{root / "containerd" / "root"}"
state = "{root / "containerd" / "state"}"
disabled_plugins = [
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper",
]
[grpc]
  address = "{sock}"
[ttrpc]
  address = "{sock}.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[{cri}]
  sandbox_image = "{registry}/{PAUSE_REF}"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [{cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [{cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [{cri}.containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "{root / "runc"}"
  [{cri}.cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{net_dir}"
  [{cri}.registry.mirrors."{registry}"]
    endpoint = ["http://{registry}"]
"""
    )
    start(state, "containerd", ["containerd", "--config", str(root / "containerd.toml")])
    wait_for("containerd", sock.exists, 20, state, "containerd")
    node = state["node"]
    add_hosts_entry(state, node)
    kubelet_dir = root / "kubelet"
    kubelet_dir.mkdir(exist_ok=True)
    (kubelet_dir / "config.yaml").write_text(
        json.dumps(
            {
                "apiVersion": "kubelet.config.k8s.io/v1beta1",
                "kind": "KubeletConfiguration",
                "address": "127.0.0.1",
                "port": ports["kubelet"],
                "readOnlyPort": 0,
                "healthzPort": 0,
                "cgroupDriver": "cgroupfs",
                "failSwapOn": False,
                "makeIPTablesUtilChains": False,
                "serializeImagePulls": False,
                "authentication": {"anonymous": {"enabled": True}, "webhook": {"enabled": False}},
                "authorization": {"mode": "AlwaysAllow"},
                "enforceNodeAllocatable": [],
                "evictionHard": {
                    "memory.available": "100Mi",
                    "nodefs.available": "2%",
                    "imagefs.available": "2%",
                },
                "imageGCHighThresholdPercent": 99,
                "imageGCLowThresholdPercent": 98,
                "resolvConf": "/etc/resolv.conf",
                "volumePluginDir": str(kubelet_dir / "volume-plugins"),
                "syncFrequency": "5s",
                "fileCheckFrequency": "5s",
                "nodeStatusUpdateFrequency": "4s",
            }
        )
    )
    start(
        state,
        "kubelet",
        [
            str(BIN / "kubelet"),
            f"--config={kubelet_dir / 'config.yaml'}",
            f"--kubeconfig={root / 'kubeconfig'}",
            f"--root-dir={kubelet_dir}",
            f"--cert-dir={kubelet_dir / 'pki'}",
            f"--hostname-override={node}",
            "--container-runtime=remote",
            f"--container-runtime-endpoint=unix://{sock}",
            f"--pod-infra-container-image={registry}/{PAUSE_REF}",
        ],
    )

    def node_ready() -> bool:
        status = api(state, "GET", f"/api/v1/nodes/{node}")["status"]
        return any(c["type"] == "Ready" and c["status"] == "True" for c in status["conditions"])

    wait_for("node Ready", node_ready, 90, state, "kubelet")


def add_hosts_entry(state: State, node: str) -> None:
    """The API server dials the kubelet by node name (logs, exec, port-forward): map it to
    loopback for the run. /etc/hosts is often a bind mount, so it is edited in place."""
    line = f"127.0.0.1 {node}  # aloft-test-cluster\n"
    state["hosts_line"] = line
    with open("/etc/hosts", "a") as fh:
        fh.write(line)


def up(root: Path) -> dict[str, Any]:
    for binary in (
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kubelet",
        "pause",
    ):
        if not (BIN / binary).exists():
            raise SystemExit(f"{BIN / binary} missing; run tests/cluster/build.sh first")
    if (root / "state.json").exists():
        down(root)
    root.mkdir(parents=True, exist_ok=True)
    state = State(root)
    started = time.monotonic()
    state["node"] = f"aloft-node-{os.getpid()}"
    state["ports"] = {
        name: free_port()
        for name in (
            "etcd",
            "etcd_peer",
            "apiserver",
            "controller_manager",
            "scheduler",
            "kubelet",
            "registry",
        )
    }
    save_host(state)
    pki(state)
    start_registry(state)
    push_pause(state)
    start_control_plane(state)
    api_ready = time.monotonic() - started
    start_node(state)
    facts = {
        "kubeconfig": str(root / "kubeconfig"),
        "registry": f"127.0.0.1:{state['ports']['registry']}",
        "node": state["node"],
        "subnet": state["subnet"],
        "gateway": state["gateway"],
        "kubectl": str(BIN / "kubectl"),
        "version": VERSION,
        "api_ready_s": round(api_ready, 1),
        "node_ready_s": round(time.monotonic() - started, 1),
    }
    state["facts"] = facts
    return facts


# ---- down --------------------------------------------------------------------------------------


def _kill(pid: int, timeout: float = 10.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while _alive(pid) and time.monotonic() < deadline + 5:
            time.sleep(0.1)


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if text in cmdline:
                found.append(int(entry.name))
    return found


def _mounts_under(root: Path) -> list[str]:
    mounts = []
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            point = line.split()[4].replace("\\040", " ")
            if point == str(root) or point.startswith(f"{root}/"):
                mounts.append(point)
    return mounts


def _cgroup_dirs() -> list[Path]:
    """kubelet's kubepods hierarchy in every mounted cgroup controller (v1) or the unified tree."""
    dirs = []
    base = Path("/sys/fs/cgroup")
    for candidate in [base / "kubepods", *base.glob("*/kubepods")]:
        if candidate.is_dir():
            dirs.append(candidate)
    return dirs


def _rmdir_tree(path: Path) -> None:
    for child in sorted((p for p in path.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        with contextlib.suppress(OSError):
            child.rmdir()
    with contextlib.suppress(OSError):
        path.rmdir()


def down(root: Path) -> None:
    if not (root / "state.json").exists():
        if root.exists():
            shutil.rmtree(root, ignore_errors=True)
        return
    state = State(root)
    pids: dict[str, int] = state.data.get("pids", {})
    # Pods first: stop the kubelet, then every container runc knows under our root.
    if "kubelet" in pids:
        _kill(pids["kubelet"])
    runc_root = root / "runc" / NAMESPACE
    if runc_root.exists():
        listing = subprocess.run(
            ["runc", "--root", str(runc_root), "list", "-q"],
            capture_output=True,
            text=True,
            check=False,
        )
        for container in listing.stdout.split():
            subprocess.run(
                ["runc", "--root", str(runc_root), "delete", "-f", container],
                capture_output=True,
                check=False,
            )
    for pid in _processes_mentioning(f"-address {root / 'containerd.sock'}"):
        _kill(pid, 5)
    for name in (
        "containerd",
        "kube-scheduler",
        "kube-controller-manager",
        "kube-apiserver",
        "etcd",
        "registry",
    ):
        if name in pids:
            _kill(pids[name])
    # Anything still running from this state folder (e.g. left by an interrupted `up`).
    for pid in _processes_mentioning(f"{root}/"):
        if pid != os.getpid():
            _kill(pid, 5)
    # Network: pod namespaces the CRI made, then the bridge (veths go with their namespaces).
    before = (state.data.get("host_dirs_before") or {}).get("/run/netns") or []
    if os.path.isdir("/run/netns"):
        for name in os.listdir("/run/netns"):
            if name.startswith("cni-") and name not in before:
                subprocess.run(["ip", "netns", "delete", name], capture_output=True, check=False)
    subprocess.run(["ip", "link", "delete", BRIDGE], capture_output=True, check=False)
    for point in sorted(_mounts_under(root), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)
    for cgroup in _cgroup_dirs():
        _rmdir_tree(cgroup)
    line = state.data.get("hosts_line")
    if line:
        with open("/etc/hosts") as fh:
            text = fh.read()
        if line in text:
            with open("/etc/hosts", "w") as fh:  # in place: /etc/hosts may be a bind mount
                fh.write(text.replace(line, ""))
    for key, value in (state.data.get("sysctls") or {}).items():
        with contextlib.suppress(OSError):
            Path(f"/proc/sys/{key}").write_text(value)
    for folder, entries in (state.data.get("host_dirs_before") or {}).items():
        if folder == "/run/netns" or not os.path.isdir(folder):
            continue
        if entries is None:
            shutil.rmtree(folder, ignore_errors=True)
            continue
        for name in set(os.listdir(folder)) - set(entries):
            target = Path(folder) / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
    if (state.data.get("host_dirs_before") or {}).get("/run/netns") is None and os.path.isdir(
        "/run/netns"
    ):
        with contextlib.suppress(OSError):
            os.rmdir("/run/netns")
    shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE)
    args = parser.parse_args()
    if args.action == "up":
        try:
            facts = up(args.state)
        except BaseException:
            down(args.state)
            raise
        print(json.dumps(facts))
    else:
        down(args.state)


if __name__ == "__main__":
    main()
