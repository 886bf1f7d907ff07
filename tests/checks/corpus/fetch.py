"""Fetch doctor's corpus of real services into a cache, once per machine.

    python tests/checks/corpus/fetch.py [--cache DIR]

Each project in projects.toml is downloaded as its sdist with pip (`pip download --no-deps
--no-binary :all:`), checked against its sha256, and unpacked under DIR/<name>-<version>/ (a temp
folder renamed into place, so a half-unpacked project is never used). A project already there is
not fetched again. Prints the folder of each project; exit 1 if one cannot be had.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

HERE = Path(__file__).parent
DEFAULT_CACHE = Path(os.environ.get("ALOFT_CORPUS_CACHE", "/var/cache/aloft/corpus"))


def projects() -> list[dict[str, str]]:
    with (HERE / "projects.toml").open("rb") as fh:
        listed: list[dict[str, str]] = tomllib.load(fh)["project"]
    return listed


def project_dir(cache: Path, project: dict[str, str]) -> Path:
    return cache / f"{project['name']}-{project['version']}"


def pip_command() -> list[str]:
    """This Python's pip, else a pip on PATH, else pip run by uv from the package index."""
    probe = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, check=False
    )
    if probe.returncode == 0:
        return [sys.executable, "-m", "pip"]
    for name in ("pip3", "pip"):
        found = shutil.which(name)
        if found:
            return [found]
    uv = shutil.which("uv")
    if uv:
        return [uv, "tool", "run", "--from", "pip", "pip"]
    raise SystemExit("no pip found: install pip or uv to fetch the corpus")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(cache: Path, project: dict[str, str]) -> Path:
    target = project_dir(cache, project)
    if (target / ".fetched").is_file():
        return target
    sdists = cache / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    archive = sdists / project["sdist"]
    if not archive.is_file() or sha256(archive) != project["sha256"]:
        with tempfile.TemporaryDirectory(dir=sdists) as tmp:
            subprocess.run(
                [
                    *pip_command(),
                    "download",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    "--ignore-requires-python",
                    "--disable-pip-version-check",
                    "--quiet",
                    f"{project['name']}=={project['version']}",
                    "-d",
                    tmp,
                ],
                check=True,
                timeout=900,
            )
            downloaded = Path(tmp) / project["sdist"]
            if not downloaded.is_file():
                raise SystemExit(f"{project['name']}: pip did not produce {project['sdist']}")
            os.replace(downloaded, archive)
    actual = sha256(archive)
    if actual != project["sha256"]:
        archive.unlink()
        raise SystemExit(
            f"{project['sdist']}: sha256 {actual} is not the pinned {project['sha256']}"
        )
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=cache))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        [top] = list(staging.iterdir())
        (top / ".fetched").write_text(project["sha256"] + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(top, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    for project in projects():
        print(fetch(args.cache, project))
    return 0


if __name__ == "__main__":
    sys.exit(main())
