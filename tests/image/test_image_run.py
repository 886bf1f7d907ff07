"""The built image really runs: pushed, copied out by skopeo, unpacked by umoci, run by runc."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import subprocess
import time
from pathlib import Path

import httpx
from imagehelpers import RegistryServer, aloft, free_port, skopeo

from aloft.image.base import BaseImage
from testkit import runc_config, runc_run, unpack_image

REPO = Path(__file__).resolve().parents[2]


def _wait_healthy(url: str, process: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"container exited {process.returncode}: "
                f"{process.stdout.read() if process.stdout else ''}"
            )
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError("container never answered /healthz")


def test_fastapi_example_image_serves_as_non_root_and_drains_on_sigterm(
    registry: RegistryServer,
    cache_dir: Path,
    base_amd64: BaseImage,
    redis_server,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    built = aloft(
        "build",
        "--project",
        str(REPO / "examples" / "fastapi"),
        "--push",
        f"{registry.host}/shop:e2e",
        cache=cache_dir,
    )
    assert built.returncode == 0, built.stderr
    reference = built.stdout.strip().splitlines()[-1]
    skopeo(
        "copy", "--src-tls-verify=false", f"docker://{reference}", f"oci:{tmp_path / 'oci'}:shop"
    )
    bundle = tmp_path / "bundle"
    unpack_image(f"{tmp_path / 'oci'}:shop", bundle)
    port = free_port()
    env = {
        "ALOFT_PORT": str(port),
        "ALOFT_WORKERS": "1",
        "ALOFT_DRAIN_DELAY": "0.3",
        "REDIS_URL": redis_server.url(7),
    }
    url = f"http://127.0.0.1:{port}"
    runc_config(bundle, env=env)
    with runc_run(bundle, "aloft-test") as (name, process):
        _wait_healthy(url, process)
        first = httpx.get(url + "/", timeout=5)
        assert first.status_code == 200
        assert first.json()["visits"] == int(redis_server.command("-n", "7", "get", "shop:visits"))
        state = json.loads(
            subprocess.run(
                ["runc", "state", name], capture_output=True, text=True, check=True
            ).stdout
        )
        status = Path(f"/proc/{state['pid']}/status").read_text()
        uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
        assert uid_line.split()[1:] == ["65532"] * 4
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            slow = pool.submit(httpx.get, url + "/report?seconds=1.5", timeout=10)
            time.sleep(0.3)
            subprocess.run(["runc", "kill", name, "TERM"], check=True)
            assert slow.result().status_code == 200
        assert process.wait(30) == 0
