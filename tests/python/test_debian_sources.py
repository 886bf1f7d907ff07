"""apt sources for a base's Debian suite come from the machine's own Debian mirror, in deb822 or
one-line form, and never name a host of their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from aloft import pythons
from aloft.exceptions import OperationFailed
from aloft.image import debs

DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
OTHER = (
    "Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n"
)
ONE_LINE = (
    "deb [signed-by=/k.gpg arch=amd64] http://ftp.example/debian bookworm main\n"
    "deb http://ftp.example/debian-security bookworm-security main\n"
    "deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n"
)


@pytest.fixture
def sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "sources.list.d"
    folder.mkdir()
    monkeypatch.setattr(debs, "SOURCES_DIR", folder)
    monkeypatch.setattr(debs, "SOURCES_LIST", tmp_path / "sources.list")
    return folder


def test_trixie_sources_from_a_deb822_machine(sources: Path) -> None:
    (sources / "debian.sources").write_text(DEB822)
    (sources / "nodesource.sources").write_text(OTHER)
    text = debs.suite_sources(pythons.debian_suite("trixie"))
    assert text == (
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: trixie trixie-updates\n"
        "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: trixie-security\n"
        "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    )


def test_forky_has_no_security_suite(sources: Path) -> None:
    (sources / "debian.sources").write_text(DEB822)
    text = debs.suite_sources(pythons.debian_suite("forky"))
    assert "Suites: forky\n" in text
    assert "security" not in text


def test_one_line_sources_keep_their_keyring(sources: Path) -> None:
    (sources.parent / "sources.list").write_text(ONE_LINE)
    text = debs.suite_sources(pythons.debian_suite("trixie"))
    assert "URIs: http://ftp.example/debian\nSuites: trixie trixie-updates\n" in text
    assert "Signed-By: /k.gpg\n" in text
    assert "URIs: http://ftp.example/debian-security\nSuites: trixie-security\n" in text
    assert "google" not in text


def test_a_machine_without_a_debian_archive_is_one_line(sources: Path) -> None:
    (sources / "nodesource.sources").write_text(OTHER)
    with pytest.raises(OperationFailed) as error:
        debs.suite_sources(pythons.debian_suite("trixie"))
    assert "no Debian archive in the machine's apt sources" in str(error.value)
    assert "\n" not in str(error.value)
