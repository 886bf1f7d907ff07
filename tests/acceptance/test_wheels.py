"""The two wheels users install: names, complete metadata, and what each one ships."""

from __future__ import annotations

import email.message
import email.parser
import zipfile
from pathlib import Path

from acceptkit import Installed


def metadata(wheel: Path) -> tuple[email.message.Message, list[str]]:
    with zipfile.ZipFile(wheel) as zipped:
        names = zipped.namelist()
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(zipped.read(meta).decode()), names


def wheel(installed: Installed, prefix: str) -> Path:
    (found,) = installed.dist.glob(f"{prefix}-*.whl")
    return found


def test_both_wheels_carry_complete_metadata(installed: Installed) -> None:
    for prefix, name, extras in (
        ("aloft_cli", "aloft-cli", {"aws"}),
        ("aloft_runtime", "aloft-runtime", {"asgi", "wsgi", "otel", "aws"}),
    ):
        meta, names = metadata(wheel(installed, prefix))
        assert meta["Name"] == name
        assert meta["License-Expression"] == "Apache-2.0"
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), name
        assert meta["Requires-Python"] == ">=3.10"
        assert set(meta.get_all("Provides-Extra") or []) == extras, name
        urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
        assert {"Homepage", "Source", "Issues"} <= set(urls), urls
        classifiers = meta.get_all("Classifier") or []
        assert "Programming Language :: Python :: 3.13" in classifiers, name
        assert meta["Description-Content-Type"] == "text/markdown" and meta.get_payload()


def test_the_runtime_wheel_ships_only_aloft_runtime_and_the_tool_never_does(
    installed: Installed,
) -> None:
    _, runtime = metadata(wheel(installed, "aloft_runtime"))
    code = [n for n in runtime if ".dist-info/" not in n]
    assert code and all(n.startswith("aloft/runtime/") for n in code), code[:10]
    assert "aloft/runtime/__init__.py" in code
    assert not any("__pycache__" in n for n in code)
    cli_meta, cli = metadata(wheel(installed, "aloft_cli"))
    assert "aloft/cli/__init__.py" in cli
    # No aloft/__init__.py in either: `aloft` is a namespace both install into.
    assert "aloft/__init__.py" not in cli + runtime
    assert not any(n.startswith("aloft/runtime/") for n in cli)
    assert "aloft-runtime==0.1.0" in (cli_meta.get_all("Requires-Dist") or [])


def test_the_tool_is_installed_compiled_as_the_readme_says(installed: Installed) -> None:
    """`uv tool install --compile-bytecode` (the README's line): a module the CLI never imports
    has its bytecode too, so it was compiled at install, not by a first run."""
    tools = installed.bin.parent / "tools" / "aloft-cli"
    (testing,) = tools.glob("lib/python3.*/site-packages/click/testing.py")
    cached = list((testing.parent / "__pycache__").glob("testing.cpython-3*.pyc"))
    assert cached, f"{testing}: no bytecode; the README's `uv tool install` lost --compile-bytecode"
