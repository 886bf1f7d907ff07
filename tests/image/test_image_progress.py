"""Progress of a real push to the registry on loopback, as each kind of reader sees it: plain
lines with bytes and rate in a log, live bars on a terminal, nothing beside the JSON for scripts."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

from imagehelpers import ALOFT, RegistryServer, aloft

from aloft.image.base import BaseImage
from aloft.image.cache import Cache
from aloft.image.oci import Platform
from aloft.image.publish import pull, push
from aloft.image.reference import ImageRef
from aloft.image.registry import Registry
from aloft.progress import LineProgress

SIZE = r"[\d.]+ [kMG]?B"
UPLOADED = re.compile(rf"^  blob [0-9a-f]{{12}} {SIZE} uploaded \({SIZE} in [\d.]+ s, {SIZE}/s\)$")


def test_a_push_off_a_terminal_logs_each_blob_with_bytes_and_rate(
    registry: RegistryServer, cache_dir: Path, base_amd64: BaseImage
) -> None:
    result = aloft("base", "--push", f"{registry.host}/progress-lines:v1", cache=cache_dir)
    assert result.returncode == 0, result.stderr
    uploaded = [line for line in result.stderr.splitlines() if UPLOADED.match(line)]
    assert len(uploaded) == len(list(base_amd64.image.blobs()))
    assert "\x1b[" not in result.stderr
    assert result.stdout.strip().splitlines() == [
        f"{registry.host}/progress-lines@{base_amd64.image.digest}"
    ]
    again = aloft("base", "--push", f"{registry.host}/progress-lines:v1", cache=cache_dir)
    assert again.returncode == 0, again.stderr
    assert not any(UPLOADED.match(line) for line in again.stderr.splitlines())
    assert re.search(r"^  blob [0-9a-f]{12} [\d.]+ [kMG]?B exists$", again.stderr, re.M)


def test_a_push_with_json_output_prints_only_the_json(
    registry: RegistryServer, cache_dir: Path, base_amd64: BaseImage
) -> None:
    result = aloft(
        "base", "--push", f"{registry.host}/progress-json:v1", "-o", "json", cache=cache_dir
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["digest"] == base_amd64.image.digest
    assert "blob" not in result.stderr


def test_a_push_on_a_terminal_draws_live_bars_on_stderr(
    registry: RegistryServer, cache_dir: Path, base_amd64: BaseImage
) -> None:
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_") and k != "NO_COLOR"}
    env.update(ALOFT_CACHE_DIR=str(cache_dir), TERM="xterm-256color", COLUMNS="120")
    child = subprocess.Popen(
        [ALOFT, "base", "--push", f"{registry.host}/progress-live:v1"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    drawn = b""
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            if not select.select([leader], [], [], 0.2)[0]:
                if child.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child's end closed
                break
            if not chunk:
                break
            drawn += chunk
        stdout, _ = child.communicate(timeout=60)
    finally:
        os.close(leader)
        if child.poll() is None:
            child.kill()
    text = drawn.decode("utf-8", "replace")
    assert child.returncode == 0, text
    assert stdout.decode().strip() == f"{registry.host}/progress-live@{base_amd64.image.digest}"
    assert "\x1b[" in text and "\x1b[?25h" in text  # live display, cursor given back
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    done = re.findall(
        rf"✓ blob [0-9a-f]{{12}} {SIZE} uploaded .*{SIZE} in [\d.]+ s, {SIZE}/s", plain
    )
    assert len(done) == len(list(base_amd64.image.blobs()))  # each blob, with bytes and rate


def test_a_base_pulled_from_a_registry_reports_each_layer_fetched_with_bytes_and_rate(
    registry: RegistryServer, cache_dir: Path, base_amd64: BaseImage, tmp_path: Path
) -> None:
    ref = ImageRef.parse(f"{registry.host}/progress-pull:v1")
    with Registry(ref.registry) as client:
        push(client, ref, base_amd64.image, Cache(cache_dir))
        out = io.StringIO()
        fresh = Cache(tmp_path / "cache")
        pull(client, ref, Platform("linux", "amd64"), fresh, progress=LineProgress(out))
        again = io.StringIO()
        pull(client, ref, Platform("linux", "amd64"), fresh, progress=LineProgress(again))
    layers = len(base_amd64.image.layers)
    pulled = re.findall(
        rf"^  base layer [0-9a-f]{{12}} {SIZE} pulled \({SIZE} in", out.getvalue(), re.M
    )
    assert len(pulled) == layers
    assert again.getvalue() == ""  # all in the cache: nothing moved, nothing said
