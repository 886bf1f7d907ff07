"""`aloft base`: a minimal, reproducible Python base image made from Debian packages.

Like distroless and apko: packages are fetched and verified by apt, then unpacked (never
installed: no maintainer scripts, no dpkg, no package manager in the image), and only what the
Python runtime needs is kept: the interpreter, the standard library without tests and GUI parts,
the shared libraries reachable from Python's ELF files (plus libstdc++/libgcc_s, which manylinux
wheels may link), CA certificates, time zones and a passwd file with a non-root user.

The Debian suite decides the Python (bookworm 3.11, trixie 3.13, ...); aloft.pythons chooses the
suite from the project's requires-python.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import posixpath
import re
import subprocess
import tarfile
from pathlib import Path
from typing import Any

from aloft import pythons
from aloft.exceptions import OperationFailed
from aloft.image import debs
from aloft.image.cache import Cache, key_of
from aloft.image.elf import is_elf, read_elf
from aloft.image.layers import Tree, write_layer
from aloft.image.oci import Image, Platform, created, make_image

# Bump when the selection below changes, so cached bases are rebuilt.
RECIPE = "5"
# The suite's python3.X by name (not the `python3` default, which a suite may move to a newer X).
PACKAGES = ["ca-certificates", "tzdata", "libstdc++6", "base-files"]
SHELL_PACKAGES = ["busybox-static"]
SHELL_APPLETS = [
    "sh", "ls", "cat", "env", "id", "ps", "echo", "grep", "wget", "vi", "du", "df", "find", "rm",
    "mkdir", "cp", "mv", "ln", "chmod", "tar", "gzip", "sed", "head", "tail", "sort", "wc", "true",
    "false", "sleep", "test", "[", "which", "uname", "kill", "touch", "xargs", "stat",
]  # fmt: skip
NONROOT_UID = 65532
# The system libraries manylinux wheels may link without bundling them (auditwheel's policy),
# minus X11/GL/glib and the libnsl.so.1 that glibc 2.36 no longer ships.
MANYLINUX_LIBRARIES = (
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "librt.so.1",
    "libpthread.so.0",
    "libutil.so.1",
    "libresolv.so.2",
    "libgcc_s.so.1",
    "libstdc++.so.6",
)
LABEL = "org.aloft.base."
CA_BUNDLE = "etc/ssl/certs/ca-certificates.crt"
_DROP_PREFIXES = (
    "usr/share/doc/",
    "usr/share/man/",
    "usr/share/info/",
    "usr/share/lintian/",
    "usr/share/locale/",
    "usr/share/binfmts/",
    "usr/share/python3/",
    "usr/share/pixmaps/",
    "usr/share/applications/",
    "usr/share/menu/",
    "usr/share/zoneinfo/right/",
    "usr/bin/pydoc",
    "usr/bin/pygettext",
    "usr/lib/python3/dist-packages/",
)
_STDLIB_DROP_TOP = {
    "test",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "lib2to3",
    "pydoc_data",
    "__phello__",
}
_STDLIB_DROP_ANY = {"test", "tests", "__pycache__"}
# Extension modules a web service does not use that would pull in large libraries
# (Berkeley DB, ncurses/readline, NIS with Kerberos and TI-RPC).
_DYNLOAD_DROP = re.compile(r"^(nis|_dbm|_gdbm|_curses|_curses_panel|readline|_tkinter)\.")


@dataclasses.dataclass(frozen=True)
class BaseImage:
    """A base image and what the build needs to know about it, read from its config labels."""

    image: Image
    python_version: str  # full, e.g. 3.11.2
    python: str  # the interpreter's path in the image
    glibc: str  # e.g. 2.36; "" for non-glibc bases
    packages: tuple[dict[str, str], ...]
    reference: str
    suite: str = ""  # the Debian suite aloft built it from; "" for other bases

    @property
    def python_minor(self) -> str:
        return ".".join(self.python_version.split(".")[:2])

    @classmethod
    def from_image(cls, image: Image, reference: str, python_version: str = "") -> BaseImage:
        """Read the base's metadata; `python_version` stands in for a base that lacks it."""
        config = image.config_json()
        labels: dict[str, str] = config.get("config", {}).get("Labels") or {}
        version = labels.get(LABEL + "python.version", "") or python_version
        if not version:
            raise OperationFailed(
                f"base {reference} does not record its Python version (label "
                f"{LABEL}python.version); "
                "use a base made by `aloft base` or set [tool.aloft.image] python_version"
            )
        packages = json.loads(labels.get(LABEL + "packages", "[]"))
        return cls(
            image,
            version,
            # Without the label, the runtime looks python3 up on the image's PATH.
            labels.get(
                LABEL + "python.executable", "/usr/bin/python3" if not python_version else "python3"
            ),
            labels.get(LABEL + "glibc", ""),
            tuple(packages),
            reference,
            labels.get(LABEL + "debian.suite", ""),
        )


def default_suite() -> pythons.DebianSuite:
    """The suite of a project that constrains nothing (what `aloft base` builds by default)."""
    choice = pythons.base_suite(pythons.ProjectPython(Path("pyproject.toml"), ""))
    assert choice.suite is not None
    return choice.suite


def build_base(
    platform: Platform,
    cache: Cache,
    *,
    shell: bool = False,
    mtime: int = 0,
    suite: pythons.DebianSuite | None = None,
) -> BaseImage:
    suite = suite or default_suite()
    arch = debs.DEB_ARCH.get(platform.architecture)
    if platform.os != "linux" or arch is None:
        raise OperationFailed(
            f"platform {platform}: aloft base builds linux/amd64 or linux/arm64 (and other "
            "Debian architectures)"
        )
    apt = debs.Apt(cache.folder("apt", suite.codename, arch), arch, suite)
    apt.prepare()
    names = [f"python{suite.python}", *PACKAGES, *(SHELL_PACKAGES if shell else [])]
    resolved = apt.resolve(names)
    key = key_of(RECIPE, str(platform), shell, mtime, suite.codename, resolved)
    reference = f"aloft-base:{suite.codename}-{'shell-' if shell else ''}{platform.architecture}"
    record = cache.record("base", key)
    if record and all(cache.has_blob(d) for d in record["blobs"]):
        return BaseImage.from_image(_image_from_record(record, platform), reference)
    packages = apt.download(names)
    tree, kept = select_files(packages, platform, shell=shell, python=suite.python)
    labels = _labels(packages, kept, suite)
    python_version = labels[LABEL + "python.version"]
    _compile_stdlib(tree, cache, python_version, platform)
    layer = write_layer(tree.walk(), cache, mtime)
    config: dict[str, Any] = {
        "created": created(mtime),
        "config": {
            # The shell variant is for debugging and build stages (like distroless :debug): root.
            "User": "0:0" if shell else f"{NONROOT_UID}:{NONROOT_UID}",
            "Env": [
                "PATH=/usr/local/bin:/usr/bin:/bin",
                "LANG=C.UTF-8",
                f"SSL_CERT_FILE=/{CA_BUNDLE}",
            ],
            "Entrypoint": ["/usr/bin/python3"] if not shell else ["/bin/sh"],
            "WorkingDir": "/",
            "Labels": labels,
        },
        "history": [{"created": created(mtime), "created_by": f"aloft base (recipe {RECIPE})"}],
    }
    image = make_image(platform, [layer], config)
    for digest, data in ((image.config_digest, image.config), (image.digest, image.manifest)):
        cache.put_record("manifests", digest.split(":")[1], {"data": data.decode()})
    cache.put_record(
        "base",
        key,
        {
            "config": image.config.decode(),
            "layers": [dataclasses.asdict(layer)],
            "blobs": [layer.digest],
            "platform": str(platform),
        },
    )
    return BaseImage.from_image(image, reference)


def _image_from_record(record: dict[str, Any], platform: Platform) -> Image:
    from aloft.image.layers import Layer

    layers = [Layer(**item) for item in record["layers"]]
    config = json.loads(record["config"])
    config.pop("rootfs", None)
    return make_image(platform, layers, config)


def select_files(
    packages: list[debs.DebPackage], platform: Platform, *, shell: bool, python: str
) -> tuple[Tree, set[str]]:
    """The base's files, and the names of the packages that contributed any."""
    everything: dict[str, debs.DebMember] = {}
    owner: dict[str, str] = {}
    for package in packages:
        for member in debs.members(package):
            everything[member.path] = member
            owner[member.path] = package.name
    tree = Tree()
    kept: set[str] = set()

    def want(path: str, depth: int = 0) -> str:
        """Keep `path` (following symlinks inside the tree); return the real file's path."""
        member = everything.get(path)
        if member is None:
            raise OperationFailed(
                f"base: {path} missing from the Debian packages; report this as a bug"
            )
        kept.add(owner[path])
        if member.kind == "symlink":
            tree.symlink(path, member.target)
            target = member.target
            resolved = (
                debs.merged_usr(target)
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            )
            if depth > 20:
                raise OperationFailed(f"base: symlink loop at {path}")
            if _canonical(resolved) not in everything:
                return path  # points outside the packages (e.g. to /etc/localtime, made below)
            return want(_canonical(resolved), depth + 1)
        if member.kind == "file":
            tree.file(path, member.data, 0o755 if member.mode & 0o111 else 0o644)
        else:
            tree.dir(path)
        return path

    python_packages = {
        p.name
        for p in packages
        if re.match(rf"^(lib)?python{re.escape(python)}(-minimal|-stdlib)?$", p.name)
    }
    elves: list[str] = []
    for path, member in sorted(everything.items()):
        if owner[path] not in python_packages or not _stdlib_wanted(path) or member.kind == "dir":
            continue
        real = want(path)
        if real.endswith(".so") or real.startswith("usr/bin/python3."):
            elves.append(real)
    _link_closure(elves, everything, want)
    for forced in MANYLINUX_LIBRARIES:
        library = _find_library(forced, everything)
        if library:
            _link_closure([want(library)], everything, want)
    for path, member in everything.items():
        if path.startswith("usr/share/zoneinfo/") and _stdlib_wanted(path) and member.kind != "dir":
            want(path)
    certificates = sorted(
        p for p in everything if p.startswith("usr/share/ca-certificates/") and p.endswith(".crt")
    )
    if not certificates:
        raise OperationFailed("base: no CA certificates in the ca-certificates package")
    kept.add("ca-certificates")
    tree.file(CA_BUNDLE, b"".join(everything[p].data.rstrip(b"\n") + b"\n" for p in certificates))
    for path in ("etc/os-release", "usr/lib/os-release", "etc/debian_version"):
        if path in everything:
            want(path)
    if shell:
        busybox = want("usr/bin/busybox")
        for applet in SHELL_APPLETS:
            tree.symlink(f"usr/bin/{applet}", posixpath.basename(busybox))
    _add_system_files(tree, platform, packages, kept)
    if f"usr/bin/python{python}" not in everything:
        raise OperationFailed(f"base: the Debian packages lack usr/bin/python{python}")
    tree.symlink("usr/bin/python3", f"python{python}")
    tree.symlink("usr/bin/python", "python3")
    return tree, kept


def _canonical(path: str) -> str:
    return debs.merged_usr(path.lstrip("/"))


def _stdlib_wanted(path: str) -> bool:
    if path.startswith(_DROP_PREFIXES) or path.startswith("etc/"):
        return path.startswith("etc/python3")
    match = re.match(r"usr/lib/python3\.\d+/(.*)", path)
    if match:
        parts = match.group(1).split("/")
        if parts[0] in _STDLIB_DROP_TOP or _STDLIB_DROP_ANY & set(parts[:-1]):
            return False
        if "config-3" in parts[0] or (parts[0] == "lib-dynload" and _DYNLOAD_DROP.match(parts[-1])):
            return False
    return not path.startswith("usr/share/") or path.startswith("usr/share/zoneinfo/")


def _library_dirs(everything: dict[str, debs.DebMember]) -> list[str]:
    dirs = sorted(
        {
            posixpath.dirname(p)
            for p in everything
            if re.match(r"usr/lib/[^/]+-linux-gnu[^/]*/[^/]+$", p)
        }
    )
    return [*dirs, "usr/lib", "usr/lib64"]


def _find_library(name: str, everything: dict[str, debs.DebMember]) -> str | None:
    for folder in _library_dirs(everything):
        if f"{folder}/{name}" in everything:
            return f"{folder}/{name}"
    return None


def _link_closure(start: list[str], everything: dict[str, debs.DebMember], want: Any) -> None:
    queue, done = list(start), set()
    while queue:
        path = queue.pop()
        if path in done:
            continue
        done.add(path)
        data = everything[path].data
        if not is_elf(data):
            continue
        info = read_elf(data)
        if info.interpreter:
            queue.append(want(_canonical(info.interpreter)))
        for needed in info.needed:
            found = _find_library(needed, everything)
            if found is None:
                raise OperationFailed(
                    f"base: {path} needs {needed}, which no fetched package ships"
                )
            queue.append(want(found))


def _add_system_files(
    tree: Tree, platform: Platform, packages: list[debs.DebPackage], kept: set[str]
) -> None:
    uid = NONROOT_UID
    tree.file(
        "etc/passwd",
        (
            f"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:{uid}:{uid}:nonroot:/home/nonroot:/sbin/nologin\n"
        ).encode(),
    )
    tree.file("etc/group", f"root:x:0:\nnonroot:x:{uid}:\n".encode())
    tree.file("etc/nsswitch.conf", b"passwd: files\ngroup: files\nhosts: files dns\n")
    tree.symlink("etc/localtime", "/usr/share/zoneinfo/Etc/UTC")
    tree.file("etc/timezone", b"Etc/UTC\n")
    tree.symlink("usr/lib/ssl/certs", "/etc/ssl/certs")
    tree.symlink("usr/lib/ssl/cert.pem", f"/{CA_BUNDLE}")
    tree.dir("tmp", 0o1777)
    tree.dir("root", 0o700)
    tree.dir("home/nonroot", 0o755, uid, uid)
    for link in ("bin", "sbin", "lib"):
        tree.symlink(link, f"usr/{link}")
    if platform.architecture == "amd64":
        tree.symlink("lib64", "usr/lib64")
    # What the image contains, where scanners (trivy, grype, syft) look for it, as distroless does.
    for package in packages:
        if package.name not in kept:
            continue
        fields = debs.control(package)
        lines = [f"Package: {package.name}", "Status: install ok installed"]
        for key in (
            "Priority",
            "Section",
            "Maintainer",
            "Architecture",
            "Multi-Arch",
            "Source",
            "Version",
        ):
            if key in fields:
                lines.append(f"{key}: {fields[key]}")
        tree.file(f"var/lib/dpkg/status.d/{package.name}", ("\n".join(lines) + "\n").encode())


def _labels(
    packages: list[debs.DebPackage], kept: set[str], suite: pythons.DebianSuite
) -> dict[str, str]:
    versions = {p.name: p.version for p in packages}
    minimal = next((p for p in packages if p.name == f"python{suite.python}-minimal"), None)
    if minimal is None:
        raise OperationFailed(
            f"base: apt did not resolve python{suite.python}-minimal from {suite.codename}"
        )
    python_version = re.sub(r"[-+~].*$", "", minimal.version.split(":")[-1])
    glibc = re.sub(r"-.*$", "", versions.get("libc6", ""))
    listed = [
        {"name": p.name, "version": p.version, "arch": p.architecture, "purl": p.purl}
        for p in packages
        if p.name in kept
    ]
    return {
        LABEL + "python.version": python_version,
        LABEL + "python.executable": "/usr/bin/" + minimal.name.removesuffix("-minimal"),
        LABEL + "glibc": glibc,
        LABEL + "debian.suite": suite.codename,
        LABEL + "packages": json.dumps(listed, separators=(",", ":")),
    }


def _compile_stdlib(tree: Tree, cache: Cache, version: str, platform: Platform) -> None:
    """Precompile the standard library; the result is cached by the sources' digest.

    The compiler is the base's own interpreter where this machine can run it (same
    architecture: it is started through the base's own dynamic loader and libraries), else a
    CPython of the same major.minor found on this machine; bytecode is the same on every CPU.
    """
    minor = pythons.minor_of(version)
    prefix = f"usr/lib/python{minor}/"
    sources = [
        e
        for e in tree.walk()
        if e.kind == "file" and e.path.startswith(prefix) and e.path.endswith(".py")
    ]
    digest = hashlib.sha256()
    for entry in sources:
        assert entry.data is not None
        digest.update(entry.path.encode() + b"\0" + hashlib.sha256(entry.data).digest())
    key = key_of(RECIPE, "stdlib-bytecode", digest.hexdigest(), version)
    done = cache.root / "bytecode" / key
    if not done.is_dir():
        with cache.scratch("stdlib-") as scratch:
            rootfs = scratch / "rootfs"
            _materialise(tree, rootfs)
            compiler = _launcher(rootfs, minor, platform.architecture) or _host_python(minor)
            env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
            env["PYTHONHASHSEED"] = "0"  # set constants marshal in a fixed order
            result = subprocess.run(
                [
                    *compiler,
                    "-S",
                    "-B",  # the compiler's own imports must not leave timestamp .pyc behind
                    "-m",
                    "compileall",
                    "-q",
                    "-f",
                    "--invalidation-mode",
                    "unchecked-hash",
                    "-s",
                    str(rootfs),
                    "-p",
                    "/",
                    "-i",
                    "-",
                ],
                input="\n".join(str(rootfs / e.path) for e in sources),
                capture_output=True,
                text=True,
                check=False,
                env=env,
            )
            if result.returncode != 0:
                detail = (result.stdout + result.stderr).strip().splitlines()[-1:]
                raise OperationFailed(f"base: compiling the standard library failed: {detail}")
            out = scratch / "out"
            for pyc in (rootfs / prefix).rglob("*.pyc"):
                target = out / pyc.relative_to(rootfs)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(pyc, target)
            done.parent.mkdir(parents=True, exist_ok=True)
            os.replace(out, done)
    for pyc in sorted(done.rglob("*.pyc")):
        tree.file(pyc.relative_to(done).as_posix(), pyc.read_bytes())


_HOST_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def _materialise(tree: Tree, folder: Path) -> None:
    """Write the tree's files and symlinks to `folder` (absolute links stay as written: they
    are followed only by `_inside`, relative to the folder)."""
    for entry in tree.walk():
        path = folder / entry.path
        if entry.kind == "dir":
            path.mkdir(parents=True, exist_ok=True)
        elif entry.kind == "symlink":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.symlink_to(entry.target)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            assert entry.data is not None
            path.write_bytes(entry.data)
            path.chmod(entry.mode)


def _launcher(rootfs: Path, minor: str, architecture: str) -> list[str] | None:
    """The command that runs the Python unpacked at `rootfs` on this machine, through the
    root's own dynamic loader and libraries (no chroot, no privileges); None where this
    machine cannot run it (another architecture). It finds its standard library from its own
    path, so it needs no PYTHONHOME and works with -I."""
    import platform as host

    if _HOST_ARCH.get(host.machine()) != architecture:
        return None
    binary = rootfs / f"usr/bin/python{minor}"
    if not binary.is_file() or binary.is_symlink():
        return None
    loader = _inside(rootfs, read_elf(binary.read_bytes()).interpreter)
    libraries = sorted({p.parent for p in (rootfs / "usr/lib").glob("*-linux-gnu*/*.so*")})
    if loader is None or not libraries:
        return None
    command = [str(loader), "--library-path", ":".join(map(str, libraries)), str(binary)]
    check = subprocess.run(
        [*command, "-I", "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=False,
    )
    return command if check.returncode == 0 and check.stdout.strip() == minor else None


def _inside(rootfs: Path, path: str) -> Path | None:
    """`path` of the unpacked root, its symlinks followed inside the root (absolute ones too)."""
    relative = debs.merged_usr(path)
    for _ in range(40):
        candidate = rootfs / relative
        if not candidate.is_symlink():
            return candidate if candidate.is_file() else None
        target = os.readlink(candidate)
        relative = (
            debs.merged_usr(target)
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(posixpath.dirname(relative), target))
        )
    return None


def base_interpreter(base: BaseImage, cache: Cache) -> Path | None:
    """The base's own Python as a launcher on this machine, to compile bytecode exactly as the
    image's interpreter would with no matching Python installed here; None for another
    architecture or a base aloft did not make. The unpacked base is kept in the cache."""
    if not base.suite:
        return None
    layer = base.image.layers[0]
    folder = cache.root / "interpreters" / layer.digest.split(":")[1]
    launcher = folder / "python"
    if not launcher.is_file():
        with cache.scratch("interpreter-") as scratch:
            with tarfile.open(cache.blob_path(layer.digest)) as tar:
                if hasattr(tarfile, "tar_filter"):
                    tar.extractall(scratch / "rootfs", filter="tar")
                else:  # pragma: no cover - Pythons without extraction filters
                    tar.extractall(scratch / "rootfs")
            command = _launcher(
                scratch / "rootfs", base.python_minor, base.image.platform.architecture
            )
            if command is None:
                return None
            final = [c.replace(str(scratch), str(folder)) for c in command]
            script = "#!/bin/sh\nexec " + " ".join(f"'{c}'" for c in final) + ' "$@"\n'
            (scratch / "python").write_text(script)
            (scratch / "python").chmod(0o755)
            folder.parent.mkdir(parents=True, exist_ok=True)
            os.replace(scratch, folder)
            scratch.mkdir()  # for the scratch context's cleanup
    found = pythons.interpreter_version(str(launcher))
    return launcher if pythons.minor_of(found or "0.0") == base.python_minor else None


def _host_python(minor: str) -> list[str]:
    found = pythons.find_interpreter(minor)
    if found is None:
        raise OperationFailed(
            f"base: no Python {minor} on this machine to precompile the base's standard library "
            f"for another architecture; install one (e.g. `uv python install {minor}`)"
        )
    return [str(found)]


def environment_mtime() -> int:
    """SOURCE_DATE_EPOCH if set (reproducible-builds.org), else the Unix epoch."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(value) if value.isdigit() else 0
