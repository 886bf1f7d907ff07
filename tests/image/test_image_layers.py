"""Layers are byte-for-byte deterministic: same files, same digest, whatever the order or clock."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from pathlib import Path

from aloft.image.cache import Cache
from aloft.image.layers import Entry, Tree, tree_from_folder, write_layer


def _members(cache: Cache, digest: str) -> list[tarfile.TarInfo]:
    data = gzip.decompress(cache.blob_path(digest).read_bytes())
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return tar.getmembers()


def test_same_files_in_any_order_give_the_same_layer_digest(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    entries = [
        Entry("app/b.py", "file", data=b"b"),
        Entry("app/a.py", "file", data=b"a"),
        Entry("app", "dir", 0o755),
        Entry("app/link", "symlink", target="a.py"),
    ]
    first = write_layer(entries, cache, mtime=0)
    second = write_layer(list(reversed(entries)), cache, mtime=0)
    assert first == second
    assert [m.name for m in _members(cache, first.digest)] == [
        "app",
        "app/a.py",
        "app/b.py",
        "app/link",
    ]


def test_file_timestamps_and_owners_on_disk_do_not_leak_into_the_layer(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    digests = []
    for stamp in (1_000_000, 2_000_000):
        folder = tmp_path / f"src{stamp}"
        (folder / "pkg").mkdir(parents=True)
        (folder / "pkg" / "mod.py").write_text("x = 1\n")
        os.utime(folder / "pkg" / "mod.py", (stamp, stamp))
        digests.append(write_layer(tree_from_folder(folder, "app").walk(), cache, mtime=42).digest)
    assert digests[0] == digests[1]
    members = _members(cache, digests[0])
    assert {m.mtime for m in members} == {42}
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}


def test_content_change_changes_digest_and_diff_id(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    one = write_layer([Entry("f", "file", data=b"1")], cache, mtime=0)
    two = write_layer([Entry("f", "file", data=b"2")], cache, mtime=0)
    assert one.digest != two.digest and one.diff_id != two.diff_id
    assert cache.blob_path(one.digest).stat().st_size == one.size


def test_parent_folders_are_added_so_every_path_has_a_directory_entry() -> None:
    tree = Tree()
    tree.file("usr/lib/x/y.so", b"elf")
    assert [e.path for e in tree.walk()] == ["usr", "usr/lib", "usr/lib/x", "usr/lib/x/y.so"]
    assert all(e.kind == "dir" for e in list(tree.walk())[:3])
