"""`aloft init`'s detection on project shapes written here from scratch, read without importing."""

from __future__ import annotations

import textwrap
from pathlib import Path

from aloft.project import detect


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_fastapi_app_in_a_flat_module(tmp_path: Path) -> None:
    write(tmp_path, {"main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"})
    found = detect(tmp_path).app
    assert found is not None
    assert (found.spec, found.framework, found.interface) == ("main:app", "fastapi", "asgi")


def test_src_layout_package_module_is_named_without_src(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "src/shop/__init__.py": "",
            "src/shop/api.py": "import fastapi\napi: fastapi.FastAPI = fastapi.FastAPI()\n",
            "scripts/seed.py": "print('not an app')\n",
        },
    )
    found = detect(tmp_path).app
    assert found is not None and found.spec == "shop.api:api"


def test_namespace_package_without_init_is_a_dotted_module(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "acme/billing/web.py": "from starlette.applications import Starlette as S\n"
            "app = S(routes=[])\n"
        },
    )
    found = detect(tmp_path).app
    assert found is not None
    assert (found.spec, found.framework) == ("acme.billing.web:app", "starlette")


def test_flask_factory_is_named_with_call_syntax(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "src/blog/__init__.py": """
                from flask import Flask

                def create_app(config=None):
                    app = Flask(__name__)
                    return app
            """,
        },
    )
    found = detect(tmp_path).app
    assert found is not None
    assert (found.spec, found.interface, found.factory) == ("blog:create_app()", "wsgi", True)


def test_factory_needing_arguments_is_not_a_candidate(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"blog.py": "from flask import Flask\ndef create_app(config):\n    return Flask('x')\n"},
    )
    assert detect(tmp_path).app is None


def test_module_object_made_by_the_factory_wins_over_the_factory(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "blog/__init__.py": "from flask import Flask\n"
            "def create_app():\n    return Flask('b')\n",
            "wsgi.py": "from blog import create_app\n\napp = create_app()\n",
        },
    )
    detection = detect(tmp_path)
    assert [c.spec for c in detection.candidates] == ["wsgi:app", "blog:create_app()"]


def test_django_prefers_wsgi_and_reads_the_settings_module(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "manage.py": """
                import os, sys
                def main():
                    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_cfg.settings.prod")
            """,
            "site_cfg/__init__.py": "",
            "site_cfg/settings/__init__.py": "",
            "site_cfg/settings/prod.py": "DEBUG = False\n",
            "site_cfg/asgi.py": "from django.core.asgi import get_asgi_application\n"
            "application = get_asgi_application()\n",
            "site_cfg/wsgi.py": "from django.core.wsgi import get_wsgi_application\n"
            "from whitenoise import WhiteNoise\n"
            "application = WhiteNoise(get_wsgi_application())\n",
        },
    )
    detection = detect(tmp_path)
    assert detection.app is not None
    assert (detection.app.spec, detection.app.interface) == ("site_cfg.wsgi:application", "wsgi")
    assert detection.django_settings == "site_cfg.settings.prod"
    assert detection.missing() == []


def test_environments_tests_and_main_guarded_apps_are_ignored(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".venv/lib/python3.11/site-packages/x/app.py": "from fastapi import FastAPI\n"
            "app = FastAPI()\n",
            "tests/test_app.py": "from fastapi import FastAPI\napp = FastAPI()\n",
            "tool.py": "if __name__ == '__main__':\n    from flask import Flask\n"
            "    app = Flask('t')\n",
        },
    )
    detection = detect(tmp_path)
    assert detection.app is None
    assert "no app object" in detection.missing()[0]


def test_relative_import_of_a_factory_is_resolved(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/factory.py": "from flask import Flask\ndef make_app():\n    return Flask('s')\n",
            "svc/wsgi.py": "from .factory import make_app\napplication = make_app()\n",
        },
    )
    found = detect(tmp_path).app
    assert found is not None and found.spec == "svc.wsgi:application"


def test_a_file_with_syntax_errors_is_named_not_fatal(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"broken.py": "def (:\n", "main.py": "from flask import Flask\napp = Flask('m')\n"},
    )
    detection = detect(tmp_path)
    assert detection.app is not None and detection.app.spec == "main:app"
    assert any("broken.py" in note for note in detection.missing())
