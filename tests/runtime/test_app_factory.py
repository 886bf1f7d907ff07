"""The runtime loads an app factory named as 'module:create_app()' (Flask's and gunicorn's form)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aloft.runtime.appload import AppLoadError, load_app


@pytest.fixture
def module_dir(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("factory_")]:
        del sys.modules[name]


def test_factory_is_called_once_and_its_app_returned(module_dir: Path) -> None:
    (module_dir / "factory_ok.py").write_text(
        "calls = []\n"
        "def create_app():\n"
        "    calls.append(1)\n"
        "    def app(environ, start_response):\n"
        "        return [b'made']\n"
        "    return app\n"
    )
    app = load_app("factory_ok:create_app()")
    assert app({}, None) == [b"made"]
    assert sys.modules["factory_ok"].calls == [1]


def test_failing_factory_is_one_line_naming_the_call(module_dir: Path) -> None:
    (module_dir / "factory_bad.py").write_text("def create_app():\n    raise KeyError('DB_URL')\n")
    with pytest.raises(AppLoadError, match=r"calling create_app\(\) raised KeyError"):
        load_app("factory_bad:create_app()")


def test_factory_returning_a_non_app_is_refused(module_dir: Path) -> None:
    (module_dir / "factory_none.py").write_text("def create_app():\n    return None\n")
    with pytest.raises(AppLoadError, match="not an ASGI or WSGI app"):
        load_app("factory_none:create_app()")
