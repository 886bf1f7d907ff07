"""Debian packages fetched through apt and read without dpkg: nothing from a package is executed.

apt runs against a private state folder in the cache, per Debian suite and architecture: its own
sources (the machine's Debian mirror, pointed at the suite the base is built from), its own lists
and archive, so it verifies the signed Release files and package hashes exactly as it does for
the system, and downloaded `.deb`s are reused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import lzma
import os
import re
import shutil
import subprocess
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

from aloft.exceptions import OperationFailed
from aloft.image.cache import atomic_write
from aloft.pythons import DebianSuite

SOURCES_DIR = Path("/etc/apt/sources.list.d")
SOURCES_LIST = Path("/etc/apt/sources.list")
DEFAULT_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
# Suite names that mark an apt source as Debian's own archive (a release, or an alias of one).
_DEBIAN_SUITE = re.compile(
    r"^(buster|bullseye|bookworm|trixie|forky|duke|sid|oldoldstable|oldstable|stable|testing"
    r"|unstable)(-updates|-security|-backports|-proposed-updates)?$"
)
LISTS_MAX_AGE = 24 * 3600
# Debian architecture names for OCI ones.
DEB_ARCH = {
    "amd64": "amd64",
    "arm64": "arm64",
    "386": "i386",
    "arm": "armhf",
    "ppc64le": "ppc64el",
    "s390x": "s390x",
}
_INST = re.compile(r"^Inst (\S+) (?:\[\S+\] )?\((\S+) .*\[(\S+)\]\)")
# Packages in usr-split layout install here; the base is merged-usr, so they move under usr/.
_MERGED = ("bin/", "sbin/", "lib/", "lib32/", "lib64/", "libx32/")


@dataclasses.dataclass(frozen=True)
class DebPackage:
    name: str
    version: str
    architecture: str
    path: Path

    @property
    def purl(self) -> str:
        return f"pkg:deb/debian/{self.name}@{self.version}?arch={self.architecture}"


@dataclasses.dataclass(frozen=True)
class DebMember:
    """One path from a package's data.tar, already moved to merged-usr layout."""

    path: str
    kind: str  # file, dir, symlink
    mode: int
    data: bytes = b""
    target: str = ""


@dataclasses.dataclass(frozen=True)
class AptSource:
    """One source of the machine's apt configuration (deb822 or one-line form)."""

    uris: tuple[str, ...]
    suites: tuple[str, ...]
    signed_by: str  # a keyring path, or "" when the machine's trusted keys apply


def machine_sources() -> list[AptSource]:
    """The machine's `deb` sources, from /etc/apt/sources.list(.d)."""
    found: list[AptSource] = []
    files = sorted(SOURCES_DIR.glob("*.sources")) + sorted(SOURCES_DIR.glob("*.list"))
    if SOURCES_LIST.is_file():
        files.append(SOURCES_LIST)
    for path in files:
        text = path.read_text(errors="replace")
        if path.suffix == ".sources":
            for paragraph in re.split(r"\n\s*\n", text):
                fields = parse_control(
                    "\n".join(x for x in paragraph.splitlines() if not x.startswith("#"))
                )
                if "deb" not in fields.get("Types", "").split() or fields.get("Enabled") == "no":
                    continue
                signed = fields.get("Signed-By", "").strip()
                found.append(
                    AptSource(
                        tuple(fields.get("URIs", "").split()),
                        tuple(fields.get("Suites", "").split()),
                        signed if "\n" not in signed else "",
                    )
                )
        else:
            for line in text.splitlines():
                match = re.match(r"^\s*deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)", line)
                if match:
                    options = dict(
                        o.split("=", 1) for o in (match.group(1) or "").split() if "=" in o
                    )
                    found.append(
                        AptSource(
                            (match.group(2),), (match.group(3),), options.get("signed-by", "")
                        )
                    )
    return found


def suite_sources(suite: DebianSuite, sources: list[AptSource] | None = None) -> str:
    """deb822 sources for `suite` on the machine's own Debian mirror (never a hard-coded host):
    the release and its updates from the main archive, its security suite from the security
    archive."""
    sources = machine_sources() if sources is None else sources
    main: AptSource | None = None
    security: AptSource | None = None
    for source in sources:
        debian = [s for s in source.suites if _DEBIAN_SUITE.match(s)]
        if not debian or not source.uris:
            continue
        if all(s.endswith("-security") for s in debian):
            security = security or source
        elif any(not s.endswith(("-security", "-backports")) for s in debian):
            main = main or source
    if main is None:
        raise OperationFailed(
            f"no Debian archive in the machine's apt sources ({SOURCES_DIR}): aloft base fetches "
            f"{suite.codename}'s packages from one; add a Debian mirror there, or use a ready "
            "base ([tool.aloft.image] base / --base)"
        )

    def paragraph(source: AptSource, suites: tuple[str, ...]) -> str:
        signed = source.signed_by or (str(DEFAULT_KEYRING) if DEFAULT_KEYRING.is_file() else "")
        lines = [
            "Types: deb",
            f"URIs: {source.uris[0]}",
            f"Suites: {' '.join(suites)}",
            "Components: main",
        ]
        if signed:
            lines.append(f"Signed-By: {signed}")
        return "\n".join(lines) + "\n"

    parts = [paragraph(main, suite.archive)]
    if security is not None and suite.security:
        parts.append(paragraph(security, (suite.security,)))
    return "\n".join(parts)


class Apt:
    """apt-get with its own state folder, for one Debian suite and architecture."""

    def __init__(self, root: Path, arch: str, suite: DebianSuite) -> None:
        self.root = root
        self.arch = arch
        self.suite = suite
        if shutil.which("apt-get") is None:
            raise OperationFailed(
                "apt-get not found: aloft base needs a Debian or Ubuntu machine (or pass --base)"
            )

    def _options(self) -> list[str]:
        return [
            "-q",
            "-o",
            f"Dir={self.root}",
            "-o",
            f"Dir::State::status={self.root / 'var/lib/dpkg/status'}",
            "-o",
            f"APT::Architecture={self.arch}",
            "-o",
            f"APT::Architectures={self.arch}",
            "-o",
            "APT::Install-Recommends=false",
            "-o",
            "Debug::NoLocking=1",
        ]

    def prepare(self) -> None:
        for folder in (
            "etc/apt/sources.list.d",
            "etc/apt/preferences.d",
            "etc/apt/apt.conf.d",
            "var/lib/apt/lists/partial",
            "var/cache/apt/archives/partial",
            "var/lib/dpkg",
        ):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        status = self.root / "var/lib/dpkg/status"
        if not status.exists():
            status.touch()
        target = self.root / "etc/apt/sources.list.d"
        for stale in target.iterdir():
            stale.unlink()
        atomic_write(target / "debian.sources", suite_sources(self.suite).encode())
        # The host's proxy and similar settings still apply to our private apt.
        for conf in sorted(Path("/etc/apt/apt.conf.d").glob("*")):
            if conf.is_file():
                shutil.copyfile(conf, self.root / "etc/apt/apt.conf.d" / conf.name)
        lists = self.root / "var/lib/apt/lists"
        stamps = [p.stat().st_mtime for p in lists.glob("*Packages*")]
        if not stamps or time.time() - max(stamps) > LISTS_MAX_AGE:
            self._run(["update"], "apt-get update (signed Release files)")

    def lists_state(self) -> str:
        """Identifies the package lists apt has; resolution changes only when they do."""
        lists = self.root / "var/lib/apt/lists"
        return ",".join(
            f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
            for p in sorted(lists.glob("*_Packages*"))
        )

    def resolve(self, names: list[str]) -> list[tuple[str, str, str]]:
        """(name, version, arch) of every package `names` needs, as apt resolves them."""
        memo = (
            self.root
            / "resolved"
            / (hashlib.sha256(f"{names}|{self.lists_state()}".encode()).hexdigest() + ".json")
        )
        try:
            return [(name, version, arch) for name, version, arch in json.loads(memo.read_text())]
        except (OSError, ValueError):
            pass
        found = self._resolve(names)
        atomic_write(memo, json.dumps(found).encode())
        return found

    def _resolve(self, names: list[str]) -> list[tuple[str, str, str]]:
        out = self._run(["install", "-s", "-y", *names], "apt-get install -s")
        found = []
        for line in out.splitlines():
            match = _INST.match(line)
            if match:
                found.append((match.group(1).split(":")[0], match.group(2), match.group(3)))
        return sorted(found)

    def download(self, names: list[str]) -> list[DebPackage]:
        resolved = self.resolve(names)
        self._run(["install", "--download-only", "-y", *names], "apt-get install --download-only")
        archives = self.root / "var/cache/apt/archives"
        packages = []
        for name, version, arch in resolved:
            path = archives / f"{name}_{version.replace(':', '%3a')}_{arch}.deb"
            if not path.is_file():
                raise OperationFailed(f"apt did not download {path.name}; run aloft base again")
            packages.append(DebPackage(name, version, arch, path))
        return packages

    def _run(self, args: list[str], what: str) -> str:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", LC_ALL="C")
        result = subprocess.run(
            ["apt-get", *self._options(), *args],
            check=False,
            capture_output=True,
            text=True,
            env=env,
        )
        if result.returncode != 0:
            detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise OperationFailed(f"{what} failed for {self.suite.codename}/{self.arch}: {detail}")
        return result.stdout


def ar_members(path: Path) -> Iterator[tuple[str, bytes]]:
    data = path.read_bytes()
    if not data.startswith(b"!<arch>\n"):
        raise OperationFailed(
            f"{path}: not a Debian package (no ar header); delete it and run again"
        )
    pos = 8
    while pos + 60 <= len(data):
        header = data[pos : pos + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        pos += 60
        yield name, data[pos : pos + size]
        pos += size + (size % 2)


def _open_tar(name: str, blob: bytes) -> tarfile.TarFile:
    if name.endswith(".xz"):
        blob = lzma.decompress(blob)
    elif name.endswith(".zst"):
        blob = subprocess.run(["zstd", "-dc"], input=blob, capture_output=True, check=True).stdout
    return tarfile.open(fileobj=io.BytesIO(blob), mode="r:*")


def control(package: DebPackage) -> dict[str, str]:
    for name, blob in ar_members(package.path):
        if name.startswith("control.tar"):
            with _open_tar(name, blob) as tar:
                member = tar.extractfile("./control")
                assert member is not None
                return parse_control(member.read().decode())
    return {}


def parse_control(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and key:
            fields[key] += "\n" + line
        elif ":" in line:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def members(package: DebPackage) -> Iterator[DebMember]:
    """The package's files, in merged-usr layout; hard links become copies."""
    for name, blob in ar_members(package.path):
        if not name.startswith("data.tar"):
            continue
        with _open_tar(name, blob) as tar:
            seen: dict[str, bytes] = {}
            for info in tar:
                path = merged_usr(info.name)
                if not path:
                    continue
                if info.isdir():
                    yield DebMember(path, "dir", info.mode)
                elif info.issym():
                    yield DebMember(path, "symlink", 0o777, target=info.linkname)
                elif info.isfile():
                    handle = tar.extractfile(info)
                    assert handle is not None
                    data = handle.read()
                    seen[info.name.lstrip("./")] = data
                    yield DebMember(path, "file", info.mode, data=data)
                elif info.islnk():
                    linked = seen.get(info.linkname.lstrip("./"), b"")
                    yield DebMember(path, "file", info.mode, data=linked)


def merged_usr(name: str) -> str:
    path = name.lstrip("./").rstrip("/")
    if path.startswith(_MERGED) or path in {p.rstrip("/") for p in _MERGED}:
        path = "usr/" + path
    return path
