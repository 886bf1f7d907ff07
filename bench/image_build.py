"""`aloft build` benchmarks, measured side by side in one run (results go in bench/RESULTS.md).

1. Warm rebuild after a one-line code change versus a cold build (clean cache), example app.
2. Compressed size: the example image versus aloft's base alone versus a naive single-stage root
   (Debian + python3 + pip + build-essential + the same deps installed with pip's cache kept).
3. Build time: `aloft build` versus `buildah bud` on the `aloft dockerfile` output, on the shell
   variant of the same base (vfs storage, chroot isolation: no daemon, no runc needed).

Run: uv run python bench/image_build.py   (needs network to Debian and PyPI, root for buildah)
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ALOFT = str(Path(sys.executable).parent / "aloft")
SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
CA_BUNDLE = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])} failed: {done.stderr[-2000:]}")
    return elapsed, done.stdout


def example_copy(work: Path) -> Path:
    """The FastAPI example in a temp folder, its runtime path source made absolute, relocked."""
    project = work / "shop"
    shutil.copytree(
        REPO / "examples" / "fastapi",
        project,
        ignore=shutil.ignore_patterns(".venv", "__pycache__"),
    )
    pyproject = project / "pyproject.toml"
    runtime = REPO / "packaging" / "aloft-runtime"
    pyproject.write_text(
        pyproject.read_text().replace("../../packaging/aloft-runtime", str(runtime))
    )
    run("uv", "lock", "--quiet", "--project", str(project))
    return project


def aloft_build(project: Path, cache: Path, *extra: str) -> tuple[float, dict]:  # type: ignore[type-arg]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
    env["ALOFT_CACHE_DIR"] = str(cache)
    seconds, out = run(ALOFT, "build", "--project", str(project), "-o", "json", *extra, env=env)
    return seconds, json.loads(out)


def naive_size(work: Path, project: Path) -> int | None:
    """gzip size of a single-stage root: Debian, python3, pip, build tools, deps with pip cache."""
    if shutil.which("mmdebstrap") is None or os.geteuid() != 0:
        return None
    requirements = subprocess.run(
        [
            "uv",
            "export",
            "--frozen",
            "--no-dev",
            "--no-emit-project",
            "--no-hashes",
            "--no-emit-package",
            "aloft-runtime",
            "--project",
            str(project),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (work / "requirements.txt").write_text(requirements)
    tarball = work / "naive.tar"
    # This machine reaches PyPI through a proxy with its own CA: hand pip the machine's bundle.
    hook = (
        f'cp {work / "requirements.txt"} "$1/tmp/requirements.txt" && cp -r {project} "$1/app" && '
        f'mkdir -p "$1/etc/ssl/certs" && cp {CA_BUNDLE} "$1/etc/ssl/certs/ca-certificates.crt" && '
        'chroot "$1" pip install --break-system-packages -r /tmp/requirements.txt '
        "gunicorn uvicorn uvicorn-worker"
    )
    done = subprocess.run(
        [
            "mmdebstrap",
            "--variant=apt",
            "--include=python3,python3-pip,python3-venv,build-essential",
            "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
            "--skip=output/dev",
            f"--customize-hook={hook}",
            "bookworm",
            str(tarball),
            str(SOURCES),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(f"mmdebstrap failed: {done.stderr[-1500:]}")
        return None
    with tarball.open("rb") as fh:
        return len(gzip.compress(fh.read(), 6))


def buildah_build(work: Path, project: Path, shell_layout: Path, storage: Path) -> float | None:
    """`buildah bud` of the generated Dockerfile on the shell base; None if buildah is missing."""
    if shutil.which("buildah") is None or os.geteuid() != 0:
        return None
    context = project
    _, dockerfile = run(
        ALOFT, "dockerfile", "--project", str(project), "--base", f"oci:{shell_layout}:shell"
    )
    # The shell base has no pip, and no registry here serves uv's image: give the build stage
    # the machine's uv binary, and the runtime as a wheel (it is not on PyPI here).
    shutil.copyfile(shutil.which("uv") or "uv", context / "uv")
    (context / "uv").chmod(0o755)
    run(
        "uv",
        "build",
        "--quiet",
        "--package",
        "aloft-runtime",
        "--wheel",
        "--out-dir",
        str(context / "wheels"),
        cwd=REPO,
    )
    wheel = next((context / "wheels").glob("aloft_runtime-*.whl")).name
    lines = []
    for original in dockerfile.splitlines():
        line = original
        if line.startswith("RUN pip install --no-cache-dir uv=="):
            line = "COPY uv /usr/local/bin/uv"
        elif line.startswith("COPY pyproject.toml uv.lock"):
            line += f"\nCOPY wheels/{wheel} ./"
        lines.append(
            line.replace('"aloft-runtime[asgi]==0.1.0"', f'"aloft-runtime[asgi] @ ./{wheel}"')
        )
    (context / "Dockerfile").write_text("\n".join(lines) + "\n")
    start = time.perf_counter()
    done = subprocess.run(
        [
            "buildah",
            "--root",
            str(storage),
            "--runroot",
            str(storage / "run"),
            "--storage-driver",
            "vfs",
            "bud",
            "--isolation",
            "chroot",
            "--layers",
            "-t",
            "shop-bench",
            "-v",
            f"{CA_BUNDLE}:/etc/ssl/certs/ca-certificates.crt:ro",
            str(context),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(f"buildah bud failed: {done.stderr[-1500:]}")
        return None
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="aloft-bench-") as folder:
        work = Path(folder)
        project = example_copy(work)
        cache = work / "cache"
        cold, first = aloft_build(project, cache)
        warm_same, _ = aloft_build(project, cache)
        with (project / "shop" / "main.py").open("a") as fh:
            fh.write("\n# one-line change\n")
        warm_change, second = aloft_build(project, cache)
        layers1, layers2 = first["platforms"][0]["layers"], second["platforms"][0]["layers"]
        print("== rebuild after a one-line change vs cold build (examples/fastapi)")
        print(f"cold build (clean cache, base from .debs): {cold:6.2f} s")
        print(f"warm rebuild, no change:                   {warm_same:6.2f} s")
        print(f"warm rebuild, one-line change:             {warm_change:6.2f} s")
        print(f"cold / warm-change ratio:                  {cold / warm_change:6.1f}x")
        same_deps = layers1[1]["digest"] == layers2[1]["digest"]
        new_app = layers1[2]["digest"] != layers2[2]["digest"]
        print(f"dependency layer digest unchanged:         {same_deps}")
        print(f"app layer rebuilt:                         {new_app}")

        image = sum(layer["size"] for layer in layers2)
        base = layers2[0]["size"]
        naive = naive_size(work, project)
        print("\n== compressed size")
        print(f"example image (base + deps + app): {image / 1e6:7.1f} MB")
        print(f"aloft base alone:                  {base / 1e6:7.1f} MB", end="")
        print(f"  (image/base {image / base:.2f}x)")
        if naive:
            ratio = naive / image
            print(f"naive single-stage root:           {naive / 1e6:7.1f} MB", end="")
            print(f"  (naive/image {ratio:.2f}x)")
        else:
            print("naive single-stage root: skipped (needs mmdebstrap and root)")

        env = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
        env["ALOFT_CACHE_DIR"] = str(cache)
        shell_layout = work / "shell-layout"
        run(ALOFT, "base", "--shell", "--layout", str(shell_layout), "--tag", "shell", env=env)
        storage = work / "buildah"
        cold_buildah = buildah_build(work, project, shell_layout, storage)
        print("\n== aloft build vs buildah bud (generated Dockerfile, shell base)")
        if cold_buildah is None:
            print("buildah: skipped (not installed, not root, or the build failed above)")
            return
        cold_again, _ = aloft_build(project, work / "cache2")
        with (project / "shop" / "main.py").open("a") as fh:
            fh.write("# another one-line change\n")
        warm_buildah = buildah_build(work, project, shell_layout, storage) or float("nan")
        warm_aloft, _ = aloft_build(project, work / "cache2")
        print(
            f"cold: buildah bud {cold_buildah:6.2f} s, aloft build {cold_again:6.2f} s "
            f"(buildah/aloft {cold_buildah / cold_again:.1f}x; aloft's includes building the base)"
        )
        print(
            f"one-line change: buildah bud {warm_buildah:6.2f} s, aloft build {warm_aloft:6.2f} s "
            f"(buildah/aloft {warm_buildah / warm_aloft:.1f}x)"
        )
        subprocess.run(
            [
                "buildah",
                "--root",
                str(storage),
                "--runroot",
                str(storage / "run"),
                "--storage-driver",
                "vfs",
                "rm",
                "--all",
            ],
            capture_output=True,
            check=False,
        )


if __name__ == "__main__":
    main()
